// libFuzzer target: parse_desktop_spec on arbitrary bytes.
// Invariants: an accepted spec's to_string() parses back to an equal spec with the same text
// (a fixed point); a rejected one has a reason other than ok and a one-line message.
#include "safelaunch/desktop_spec.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    // First byte 0x00 stands for lpDesktop NULL, so the inherit kind is reached too.
    const std::optional<std::string_view> spec =
        (size == 1 && data[0] == 0) ? std::nullopt
                                    : std::optional<std::string_view>(
                                          std::string_view(reinterpret_cast<const char*>(data), size));
    const auto r = parse_desktop_spec(spec);
    if (!r) {
        if (r.reason() == DesktopSpecReason::ok || r.problem().message.empty() ||
            r.problem().message.find('\n') != std::string::npos)
            std::abort();
        return 0;
    }
    const auto text = r->to_string();
    const auto again = parse_desktop_spec(text ? std::optional<std::string_view>(*text) : std::nullopt);
    if (!again || !equals(*r, *again) || again->to_string() != text) std::abort();
    if (text && spec && *text != *spec) std::abort();  // nothing is normalised away
    (void)resolve_desktop(*r, ResolveContext{});
    return 0;
}
