// safelaunch imports PROGRAM: will the program connect to a window station at start? Reads its
// import tables and follows the static import closure; on any OS.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/json.hpp"
#include "safelaunch/env_var.hpp"
#include "safelaunch/pe_imports.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

struct ImportsOptions {
    std::string program;
    std::string root;
    std::string system_dir;
    bool json = false;
};

// The folder searched as System32: --system-dir as given; --root's System32 (SysWOW64 for an x86
// image when there is one, as WOW64 redirects it); else %SystemRoot%\System32.
std::string system_dir_for(const ImportsOptions& o, std::uint16_t machine) {
    if (!o.system_dir.empty()) return o.system_dir;
    std::string root = o.root;
    if (root.empty()) {
        root = env_var("SystemRoot").value_or("");
    }
    if (root.empty())
        throw UsageError{"imports: no system directory: give --root WINDOWS_DIR or --system-dir DIR "
                         "(SystemRoot is not set)"};
    const auto find_dir = [&](std::string_view name) -> std::optional<std::string> {
        // Case-insensitively, as Windows would ("system32" on some installations).
        namespace fs = std::filesystem;
        std::error_code ec;
        const auto s = std::u8string(root.begin(), root.end());
        for (fs::directory_iterator it(fs::path(s), ec), end; !ec && it != end; it.increment(ec)) {
            const auto file = it->path().filename().u8string();
            if (normalize_dll_name(std::string(file.begin(), file.end())) == normalize_dll_name(name) && it->is_directory(ec)) {
                const auto full = it->path().u8string();
                return std::string(full.begin(), full.end());
            }
        }
        return std::nullopt;
    };
    if (machine == kMachineX86)
        if (auto wow = find_dir("SysWOW64")) return *wow;
    if (auto sys = find_dir("System32")) return *sys;
    return root + (root.find('\\') != std::string::npos ? "\\System32" : "/System32");
}

int run_imports(const ImportsOptions& o) {
    DiskImageFiles files;
    std::string error;
    const auto bytes = files.read(o.program, error);
    if (!bytes) throw UsageError{fmt::format("imports: cannot read '{}': {}", o.program, error)};
    const auto head = parse_pe_imports(*bytes);
    if (!head.valid)
        throw UsageError{fmt::format("imports: '{}' is not a readable PE image: {}", o.program,
                                     head.problems.empty() ? "?" : head.problems.front().message)};
    ImportClosureOptions options;
    options.system_dir = system_dir_for(o, head.machine);
    const auto c = import_closure(o.program, files, options, error);
    if (!c) throw UsageError{fmt::format("imports: '{}': {}", o.program, error)};

    if (o.json) {
        nlohmann::json chain = nlohmann::json::array();
        for (const auto& s : c->chain) chain.push_back({{"name", s.name}, {"delay", s.delay}});
        print_json({{"program", o.program},
                    {"machine", machine_name(c->image.machine)},
                    {"format", to_string(c->image.format)},
                    {"system_dir", options.system_dir},
                    {"verdict", to_string(c->verdict)},
                    {"chain", chain},
                    {"chain_text", chain_text(*c)},
                    {"imports", c->image.imports},
                    {"delay_imports", c->image.delay_imports},
                    {"unresolved", c->unresolved},
                    {"api_sets", c->api_sets},
                    {"problems", c->problems}});
        return kOk;
    }
    // Names come from the file: escaped on their way to the terminal.
    const auto line = [](std::string_view l) { print_fact_line(std::cout, l); };
    line(fmt::format("Program: {} ({}, {})", o.program, to_string(c->image.format), machine_name(c->image.machine)));
    line(fmt::format("System directory: {}", options.system_dir));
    line(fmt::format("Imports: {}", c->image.imports.empty() ? "none" : fmt::format("{}", fmt::join(c->image.imports, ", "))));
    line(fmt::format("Delay imports: {}",
                     c->image.delay_imports.empty() ? "none" : fmt::format("{}", fmt::join(c->image.delay_imports, ", "))));
    line(fmt::format("Modules read: {}", c->modules.size()));
    if (!c->api_sets.empty()) line(fmt::format("API sets (not followed): {}", fmt::join(c->api_sets, ", ")));
    if (!c->unresolved.empty()) line(fmt::format("Not found: {}", fmt::join(c->unresolved, ", ")));
    std::cout << "Verdict: " << to_string(c->verdict) << '\n';
    switch (c->verdict) {
    case ConnectVerdict::connects_at_init:
        line("  connects to a window station and desktop at start: " + chain_text(*c));
        break;
    case ConnectVerdict::delay_loaded:
        line("  connects only when a delay-loaded DLL is first used: " + chain_text(*c));
        break;
    case ConnectVerdict::never:
        std::cout << "  user32.dll and gdi32.dll are not in the import closure: no connection at start\n";
        break;
    }
    print_findings(std::cout, c->problems);
    return kOk;
}

}  // namespace

void add_imports(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<ImportsOptions>();
    auto* sub = app.add_subcommand("imports", "Will PROGRAM connect to a window station at start? Its PE import closure, on any OS");
    sub->add_option("PROGRAM", o->program, "the program (.exe or .dll) to read")->required();
    auto* root = sub->add_option("--root", o->root, "Windows directory whose System32 is searched (default: %SystemRoot%)");
    sub->add_option("--system-dir", o->system_dir, "the folder searched as System32 itself (e.g. Wine's x86_64-windows)")
        ->excludes(root);
    sub->add_flag("--json", o->json, "print JSON");
    sub->footer("DLLs are looked up beside PROGRAM, then in the system directory (names compared case-insensitively); "
                "api-ms-win-* / ext-ms-* API sets are listed, not followed.\n"
                "Verdict: connects_at_init (user32.dll or gdi32.dll reached through static imports), "
                "delay_loaded (only through delay imports), never.\n"
                "Exit status: 0 a verdict was given (whichever), 2 usage, unreadable PROGRAM or not a PE image.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_imports(*o); }; });
}

}  // namespace safelaunch::cli
