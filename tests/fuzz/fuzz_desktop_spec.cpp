// libFuzzer target: parse_desktop_spec on arbitrary bytes.
// Invariants: an accepted spec's to_string() parses back to an equal spec with the same text
// (a fixed point: parse -> print -> parse); a rejected one has a reason other than ok and a
// one-line message; resolve_desktop keeps a named spec's names and applies the connection rules
// (desktop_spec.hpp) to the others.
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
    // Resolution: a named spec keeps its names; otherwise the connection rules pick the station.
    ResolveContext ctx;
    ctx.logon_luid = 0x3e7;
    for (const bool interactive : {true, false}) {
        ctx.interactive_session = interactive;
        const auto where = resolve_desktop(*r, ctx);
        switch (r->kind) {
        case DesktopSpecKind::inherit:
            if (where.how != ResolveHow::inherited || where.station != ctx.parent_station ||
                where.desktop != ctx.parent_desktop)
                std::abort();
            break;
        case DesktopSpecKind::absolute:
            if (where.how != ResolveHow::named || where.station != r->station || where.desktop != r->desktop)
                std::abort();
            break;
        case DesktopSpecKind::relative:
        case DesktopSpecKind::hidden_session:
            if (where.desktop != (r->kind == DesktopSpecKind::relative ? r->desktop : "Default")) std::abort();
            if (interactive ? (where.how != ResolveHow::interactive || where.station != "WinSta0")
                            : (where.how != ResolveHow::hidden_session || where.station != "Service-0x0-3e7$"))
                std::abort();
            break;
        }
    }
    return 0;
}
