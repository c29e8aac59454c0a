#include "safelaunch/desktop_spec.hpp"

#include "safelaunch/printable.hpp"

#include <fmt/format.h>

#include <charconv>
#include <vector>

namespace safelaunch {
namespace {

// Decodes strict UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
[[nodiscard]] bool decode_utf8(std::string_view s, std::vector<char32_t>* out) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        char32_t cp = 0;
        std::size_t len = 0;
        if (b0 < 0x80) { cp = b0; len = 1; }
        else if (b0 >= 0xC2 && b0 <= 0xDF) { cp = b0 & 0x1Fu; len = 2; }
        else if (b0 >= 0xE0 && b0 <= 0xEF) { cp = b0 & 0x0Fu; len = 3; }
        else if (b0 >= 0xF0 && b0 <= 0xF4) { cp = b0 & 0x07u; len = 4; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto b = static_cast<unsigned char>(s[i + k]);
            if ((b & 0xC0u) != 0x80u) return false;
            cp = (cp << 6) | (b & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        if (out) out->push_back(cp);
        i += len;
    }
    return true;
}

[[nodiscard]] std::size_t utf16_units(std::string_view s) {
    std::vector<char32_t> cps;
    if (!decode_utf8(s, &cps)) return s.size();
    std::size_t n = 0;
    for (char32_t c : cps) n += c >= 0x10000 ? 2 : 1;
    return n;
}

// Simple (1:1) upper-casing over the ranges documented in the header.
[[nodiscard]] char32_t simple_upper(char32_t c) noexcept {
    if (c >= U'a' && c <= U'z') return c - 32;
    if (c < 0x80) return c;
    if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 32;
    if (c == 0xFF) return 0x178;
    if (c >= 0x100 && c <= 0x137) return (c & 1u) ? c - 1 : c;
    if (c >= 0x139 && c <= 0x148) return (c & 1u) ? c : c - 1;
    if (c >= 0x14A && c <= 0x177) return (c & 1u) ? c - 1 : c;
    if (c >= 0x179 && c <= 0x17E) return (c & 1u) ? c : c - 1;
    if (c == 0x3C2) return 0x3A3;  // final sigma
    if (c >= 0x3B1 && c <= 0x3C9) return c - 32;
    if (c >= 0x430 && c <= 0x44F) return c - 32;
    if (c >= 0x450 && c <= 0x45F) return c - 80;
    return c;
}

[[nodiscard]] std::string in_quotes(std::string_view s) {
    // Keep messages one line and printable: escape control bytes, quotes and backslashes stay.
    // (Appended, not "\"" + ... + "\"": GCC 12 at -O3 warns a false -Wrestrict on that chain.)
    std::string out = "\"";
    out += escape_control_chars(s);
    out += '"';
    return out;
}

[[nodiscard]] DesktopSpecProblem problem(DesktopSpecReason reason, std::string_view spec,
                                         std::string_view why) {
    return {reason, fmt::format("lpDesktop {}: {}", in_quotes(spec), why)};
}

class DesktopSpecCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "desktop_spec"; }
    std::string message(int ev) const override {
        return std::string(to_string(static_cast<DesktopSpecReason>(ev)));
    }
};

}  // namespace

std::string_view to_string(DesktopSpecKind kind) noexcept {
    switch (kind) {
        case DesktopSpecKind::inherit: return "inherit";
        case DesktopSpecKind::hidden_session: return "hidden_session";
        case DesktopSpecKind::relative: return "relative";
        case DesktopSpecKind::absolute: return "absolute";
    }
    return "unknown";
}

std::string_view to_string(DesktopSpecReason reason) noexcept {
    switch (reason) {
        case DesktopSpecReason::ok: return "ok";
        case DesktopSpecReason::embedded_nul: return "embedded NUL";
        case DesktopSpecReason::invalid_utf8: return "invalid UTF-8";
        case DesktopSpecReason::too_many_separators: return "more than one backslash";
        case DesktopSpecReason::empty_station: return "empty window station name";
        case DesktopSpecReason::empty_desktop: return "empty desktop name";
        case DesktopSpecReason::forward_slash: return "forward slash in a name";
        case DesktopSpecReason::name_too_long: return "name too long";
    }
    return "unknown desktop spec error";
}

const std::error_category& desktop_spec_category() noexcept {
    static const DesktopSpecCategory category;
    return category;
}

std::error_code make_error_code(DesktopSpecReason reason) noexcept {
    return {static_cast<int>(reason), desktop_spec_category()};
}

std::optional<std::string> DesktopSpec::to_string() const {
    switch (kind) {
        case DesktopSpecKind::inherit: return std::nullopt;
        case DesktopSpecKind::hidden_session: return std::string();
        case DesktopSpecKind::relative: return desktop;
        case DesktopSpecKind::absolute: return station + '\\' + desktop;
    }
    return std::nullopt;
}

std::string DesktopSpec::describe() const {
    switch (kind) {
        case DesktopSpecKind::inherit: return "NULL (inherit the parent's)";
        case DesktopSpecKind::hidden_session: return "\"\" (per-logon-session station)";
        default: return in_quotes(*to_string());
    }
}

bool names_equal(std::string_view a, std::string_view b) {
    std::vector<char32_t> ca, cb;
    if (!decode_utf8(a, &ca) || !decode_utf8(b, &cb)) return a == b;
    if (ca.size() != cb.size()) return false;
    for (std::size_t i = 0; i < ca.size(); ++i)
        if (simple_upper(ca[i]) != simple_upper(cb[i])) return false;
    return true;
}

bool equals(const DesktopSpec& a, const DesktopSpec& b) {
    if (a.kind != b.kind) return false;
    switch (a.kind) {
        case DesktopSpecKind::inherit:
        case DesktopSpecKind::hidden_session: return true;
        case DesktopSpecKind::relative: return names_equal(a.desktop, b.desktop);
        case DesktopSpecKind::absolute:
            return names_equal(a.station, b.station) && names_equal(a.desktop, b.desktop);
    }
    return false;
}

InvalidDesktopSpec::InvalidDesktopSpec(const DesktopSpecProblem& problem)
    : std::system_error(make_error_code(problem.reason), problem.message) {}

const DesktopSpec& DesktopSpecResult::value() const {
    if (!spec_) throw InvalidDesktopSpec(problem_);
    return *spec_;
}

DesktopSpecResult parse_desktop_spec(std::optional<std::string_view> spec_in) {
    if (!spec_in) return DesktopSpec{DesktopSpecKind::inherit, {}, {}};
    const std::string_view spec = *spec_in;
    if (spec.empty()) return DesktopSpec{DesktopSpecKind::hidden_session, {}, {}};

    if (spec.find('\0') != std::string_view::npos)
        return problem(DesktopSpecReason::embedded_nul, spec,
                       "contains a NUL character; Windows would read only the part before it");
    if (!decode_utf8(spec, nullptr))
        return problem(DesktopSpecReason::invalid_utf8, spec,
                       "is not valid UTF-8, so it cannot be converted to a Windows name");

    const auto sep = spec.find('\\');
    if (sep != std::string_view::npos && spec.find('\\', sep + 1) != std::string_view::npos)
        return problem(DesktopSpecReason::too_many_separators, spec,
                       "has more than one backslash; it must be \"Desktop\" or \"Station\\Desktop\" "
                       "and names cannot contain '\\'");

    DesktopSpec out;
    if (sep == std::string_view::npos) {
        out.kind = DesktopSpecKind::relative;
        out.desktop = std::string(spec);
    } else {
        out.kind = DesktopSpecKind::absolute;
        out.station = std::string(spec.substr(0, sep));
        out.desktop = std::string(spec.substr(sep + 1));
        if (out.station.empty())
            return problem(DesktopSpecReason::empty_station, spec,
                           "has an empty window station name before the backslash");
        if (out.desktop.empty())
            return problem(DesktopSpecReason::empty_desktop, spec,
                           "has an empty desktop name after the backslash");
    }

    if (spec.find('/') != std::string_view::npos)
        return problem(DesktopSpecReason::forward_slash, spec,
                       "contains '/', which Windows does not treat as a separator: it would be part "
                       "of a name no desktop has (use a backslash: \"WinSta0\\Default\")");

    for (const std::string* name : {&out.station, &out.desktop}) {
        const auto units = utf16_units(*name);
        if (units > kMaxNameUnits)
            return problem(DesktopSpecReason::name_too_long, spec,
                           fmt::format("has a name of {} UTF-16 units; the limit is {}", units,
                                       kMaxNameUnits));
    }
    return out;
}

std::optional<DesktopSpec> parse_desktop_spec(std::optional<std::string_view> spec,
                                              std::error_code& ec) {
    auto result = parse_desktop_spec(spec);
    if (!result) {
        ec = make_error_code(result.reason());
        return std::nullopt;
    }
    ec.clear();
    return result.value();
}

std::string hidden_station_name(std::uint64_t logon_luid) {
    const auto hi = static_cast<std::uint32_t>(logon_luid >> 32);
    const auto lo = static_cast<std::uint32_t>(logon_luid & 0xFFFFFFFFu);
    return fmt::format("Service-0x{:x}-{:x}$", hi, lo);
}

std::optional<std::uint64_t> parse_hidden_station_name(std::string_view name) noexcept {
    constexpr std::string_view kPrefix = "service-0x";
    if (name.size() < kPrefix.size() + 4 || name.back() != '$') return std::nullopt;
    for (std::size_t i = 0; i < kPrefix.size(); ++i) {
        char c = name[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != kPrefix[i]) return std::nullopt;
    }
    const auto body = name.substr(kPrefix.size(), name.size() - kPrefix.size() - 1);
    const auto dash = body.find('-');
    if (dash == std::string_view::npos) return std::nullopt;
    auto hex32 = [](std::string_view s) -> std::optional<std::uint32_t> {
        if (s.empty() || s.size() > 8) return std::nullopt;
        std::uint32_t v = 0;
        const auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
        if (err != std::errc{} || end != s.data() + s.size()) return std::nullopt;
        return v;
    };
    const auto hi = hex32(body.substr(0, dash));
    const auto lo = hex32(body.substr(dash + 1));
    if (!hi || !lo) return std::nullopt;
    return (std::uint64_t{*hi} << 32) | *lo;
}

std::string_view to_string(ResolveHow how) noexcept {
    switch (how) {
        case ResolveHow::inherited: return "inherited";
        case ResolveHow::named: return "named";
        case ResolveHow::inherited_handle: return "inherited handle";
        case ResolveHow::interactive: return "interactive logon session";
        case ResolveHow::hidden_session: return "hidden per-logon-session station";
    }
    return "unknown";
}

InteractiveDecision decide_interactive(const InteractiveFacts& f) {
    // The user SID of WinSta0 describes the launcher's session only.
    const bool same_session = f.launcher_session && *f.launcher_session == f.token_session;
    if (f.winsta0_user_sid && same_session) {
        const bool match = !f.winsta0_user_sid->empty() && f.token_logon_sid &&
                           names_equal(*f.token_logon_sid, *f.winsta0_user_sid);  // SIDs: ASCII, any case
        return {match, InteractiveBasis::logon_sid};
    }
    return {f.token_has_interactive_group && f.token_session != 0, InteractiveBasis::group_fallback};
}

ResolvedDesktop resolve_desktop(const DesktopSpec& spec, const ResolveContext& ctx) {
    constexpr std::string_view kDefaultDesktop = "Default";
    if (spec.kind == DesktopSpecKind::inherit ||
        (spec.kind == DesktopSpecKind::hidden_session && ctx.empty_means_inherit))
        return {ctx.parent_station, ctx.parent_desktop, ResolveHow::inherited};
    if (spec.kind == DesktopSpecKind::absolute)
        return {spec.station, spec.desktop, ResolveHow::named};

    const std::string desktop =
        spec.kind == DesktopSpecKind::relative ? spec.desktop : std::string(kDefaultDesktop);
    if (ctx.inherited_station) return {*ctx.inherited_station, desktop, ResolveHow::inherited_handle};
    if (ctx.interactive_session) return {"WinSta0", desktop, ResolveHow::interactive};
    return {hidden_station_name(ctx.logon_luid), desktop, ResolveHow::hidden_session};
}

}  // namespace safelaunch
