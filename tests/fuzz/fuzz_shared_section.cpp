// libFuzzer target: the SharedSection analysers on arbitrary bytes.
// Invariants: no crash or exception; values read are within range (>= 128 KB for desktop heaps,
// no value above kMaxSharedSectionKb, noninteractive == interactive when not given); every
// finding has a shared_section.* id and a message; values are nullopt iff an error says why.
#include "safelaunch/shared_section.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void check(const safelaunch::SharedSectionAnalysis& a) {
    using namespace safelaunch;
    bool error = false;
    for (const auto& f : a.findings) {
        if (f.id.rfind("shared_section.", 0) != 0 || f.message.empty()) std::abort();
        error = error || f.severity == Severity::error;
    }
    if (!a.values) {
        if (!error) std::abort();
        return;
    }
    const auto& v = *a.values;
    if (v.shared_kb == 0 || v.shared_kb > kMaxSharedSectionKb) std::abort();
    if (v.interactive_kb < kMinDesktopHeapKb || v.interactive_kb > kMaxSharedSectionKb) std::abort();
    if (v.noninteractive_kb < kMinDesktopHeapKb || v.noninteractive_kb > kMaxSharedSectionKb) std::abort();
    if (!v.noninteractive_given && v.noninteractive_kb != v.interactive_kb) std::abort();
    // Printing the values and reading them back gives the same values.
    const auto again = analyze_shared_section(v.to_string());
    if (!again.values || !(*again.values == v)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    // Split at the first 0x01 byte: before it the Windows value, after it a stray registry value.
    const auto cut = in.find('\x01');
    const auto value = in.substr(0, cut);
    const auto stray = cut == std::string_view::npos ? std::optional<std::string_view>()
                                                     : std::optional<std::string_view>(in.substr(cut + 1));
    check(analyze_windows_value(value, stray));
    check(analyze_shared_section(in));
    return 0;
}
