// libFuzzer target: the PE import reader and the import closure on arbitrary bytes.
// Invariants: no crash, no read outside the input (ASan), no exception; an invalid image says why
// with a pe.header.* problem; every problem has a pe.* id and a message; names are non-empty,
// at most 260 bytes, without NUL. The closure runs over a file system where every DLL name is
// the input itself (so import loops and self-imports are the rule) and stays bounded.
#include "safelaunch/pe_imports.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

using namespace safelaunch;

void check_names(const std::vector<std::string>& names) {
    for (const auto& n : names)
        if (n.empty() || n.size() > 260 || n.find('\0') != std::string::npos) std::abort();
}

void check_problems(const std::vector<Finding>& problems) {
    for (const auto& p : problems)
        if (p.id.rfind("pe.", 0) != 0 || p.message.empty()) std::abort();
}

class SameImageEverywhere final : public ImageFiles {
public:
    explicit SameImageEverywhere(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}
    std::optional<std::string> find(const std::string& dir, const std::string& name) override {
        if (dir != "sys") return std::nullopt;  // nothing beside the program: every DLL from "sys"
        return "sys/" + normalize_dll_name(name);
    }
    std::optional<std::vector<std::uint8_t>> read(const std::string&, std::string&) override {
        ++reads;
        return bytes_;
    }
    std::size_t reads = 0;

private:
    std::vector<std::uint8_t> bytes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> in(data, size);
    const auto r = parse_pe_imports(in);
    check_problems(r.problems);
    if (!r.valid) {
        if (r.problems.empty() || r.problems.front().id.rfind("pe.header.", 0) != 0) std::abort();
        if (!r.imports.empty() || !r.delay_imports.empty()) std::abort();
        return 0;
    }
    check_names(r.imports);
    check_names(r.delay_imports);

    SameImageEverywhere files(in);
    ImportClosureOptions options{"sys", 64};
    std::string error;
    const auto c = import_closure("app/prog.exe", files, options, error);
    if (!c) std::abort();  // the image is valid, so the closure exists
    check_problems(c->problems);
    if (files.reads > options.max_modules + 1) std::abort();
    if ((c->verdict == ConnectVerdict::never) != c->chain.empty()) std::abort();
    if (!c->chain.empty()) {
        const auto last = normalize_dll_name(c->chain.back().name);
        if (last != "user32.dll" && last != "gdi32.dll") std::abort();
        bool delay = false;
        for (const auto& s : c->chain) delay = delay || s.delay;
        if (delay != (c->verdict == ConnectVerdict::delay_loaded)) std::abort();
    }
    return 0;
}
