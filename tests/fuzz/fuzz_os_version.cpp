// libFuzzer target: parse_os_version on arbitrary bytes.
// Invariants: accepted versions are in the documented range (major 5..10) and describe to one
// line; the numeric form MAJOR.MINOR.BUILD-x64/-x86 of an accepted version parses back to the
// same numbers and architecture; a rejection leaves a non-empty one-line reason.
#include "safelaunch/os_version.hpp"

#include <fmt/format.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

bool one_line(std::string_view s) { return s.find('\n') == std::string_view::npos && s.find('\r') == std::string_view::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string reason;
    const auto os = parse_os_version(text, reason);
    if (!os) {
        // One line even when the value holds CR/LF (it once did not: regressions/os_version/).
        if (reason.empty() || !one_line(reason)) std::abort();
        return 0;
    }
    if (os->major < 5 || os->major > 10 || os->product.empty()) std::abort();
    const auto described = describe_os(*os);
    if (described.empty() || !one_line(described)) std::abort();
    const auto numeric = fmt::format("{}.{}.{}-{}", os->major, os->minor, os->build, os->x64 ? "x64" : "x86");
    std::string again_reason;
    const auto again = parse_os_version(numeric, again_reason);
    if (!again || again->major != os->major || again->minor != os->minor || again->build != os->build ||
        again->x64 != os->x64)
        std::abort();
    return 0;
}
