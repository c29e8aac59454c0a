// The STARTUPINFO.lpDesktop string: parse it, print it, compare it, and resolve it to the
// window station and desktop a child would connect to.
//
// Model (STARTUPINFO docs, "Process Connection to a Window Station / Desktop"):
//   NULL             inherit the parent's station and desktop
//   ""               no name: the connection rules pick the station; for a token outside the
//                    interactive logon session that is the hidden per-logon-session station
//                    Service-0x<hi>-<lo>$, desktop "Default"
//   "Desk"           a desktop relative to the station the connection rules pick
//   "Station\Desk"   both named
//
// Names: UTF-8 here, UTF-16 in Windows. They are compared case-insensitively the way the object
// manager does with OBJ_CASE_INSENSITIVE: one UTF-16 unit at a time, simple upper-casing, no
// locale and no multi-character folding. We upper-case ASCII, Latin-1, Latin Extended-A, basic
// Greek and basic Cyrillic (Windows' table covers more; names outside these ranges compare
// exactly, which can only make two names differ that Windows would call equal).
//
// Length limit: kMaxNameUnits = 259 UTF-16 units per name (MAX_PATH minus the terminator).
// The object manager itself only caps a whole path at 32767 units (UNICODE_STRING); we found no
// documented per-component limit for station or desktop names (the 255-unit figure is NTFS's
// file-name limit, not the object namespace's). user32's ANSI entry points
// (CreateWindowStationA, CreateDesktopA, OpenDesktopA) convert names into a MAX_PATH buffer and
// fail with ERROR_FILENAME_EXCED_RANGE beyond it (Wine's dlls/user32/winstation.c does the same),
// and UOI_NAME readers commonly use MAX_PATH buffers: a longer name is a name tools cannot use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace safelaunch {

inline constexpr std::size_t kMaxNameUnits = 259;

enum class DesktopSpecKind { inherit, hidden_session, relative, absolute };

// Why a spec was rejected. Stable numbers (they are error_code values): add only at the end.
enum class DesktopSpecReason {
    ok = 0,
    embedded_nul = 1,         // Win32 would cut the string at the NUL
    invalid_utf8 = 2,         // cannot be converted to the UTF-16 Windows needs
    too_many_separators = 3,  // "A\B\C": station and desktop names cannot contain '\'
    empty_station = 4,        // "\Default", "\"
    empty_desktop = 5,        // "WinSta0\"
    forward_slash = 6,        // "WinSta0/Default": '/' is no separator, just part of a name
    name_too_long = 7,        // a part longer than kMaxNameUnits UTF-16 units
};

[[nodiscard]] std::string_view to_string(DesktopSpecKind kind) noexcept;
[[nodiscard]] std::string_view to_string(DesktopSpecReason reason) noexcept;
[[nodiscard]] const std::error_category& desktop_spec_category() noexcept;
[[nodiscard]] std::error_code make_error_code(DesktopSpecReason reason) noexcept;

struct DesktopSpec {
    DesktopSpecKind kind = DesktopSpecKind::inherit;
    std::string station;  // absolute only
    std::string desktop;  // relative and absolute

    // The lpDesktop string that means this spec: nullopt for inherit (NULL), "" for
    // hidden_session, "Desk" or "Station\Desk". Parsing it gives back an equal spec.
    [[nodiscard]] std::optional<std::string> to_string() const;
    // For messages: "NULL (inherit)", "\"\" (hidden session station)", "\"WinSta0\\Default\"".
    [[nodiscard]] std::string describe() const;
};

// Same kind and the same names, compared case-insensitively (see above).
[[nodiscard]] bool equals(const DesktopSpec& a, const DesktopSpec& b);
// Case-insensitive comparison of one station or desktop name (UTF-8).
[[nodiscard]] bool names_equal(std::string_view a, std::string_view b);

struct DesktopSpecProblem {
    DesktopSpecReason reason = DesktopSpecReason::ok;
    std::string message;  // one line, names the bad value: "lpDesktop \"WinSta0/Default\": ..."
};

// Thrown by DesktopSpecResult::value() on a rejected spec; code() is in desktop_spec_category().
class InvalidDesktopSpec : public std::system_error {
public:
    explicit InvalidDesktopSpec(const DesktopSpecProblem& problem);
};

// Either a DesktopSpec or the reason it was rejected.
class DesktopSpecResult {
public:
    DesktopSpecResult(DesktopSpec spec) : spec_(std::move(spec)) {}  // NOLINT: implicit on purpose
    DesktopSpecResult(DesktopSpecProblem problem) : problem_(std::move(problem)) {}  // NOLINT

    [[nodiscard]] bool has_value() const noexcept { return spec_.has_value(); }
    explicit operator bool() const noexcept { return has_value(); }
    // Throws InvalidDesktopSpec when rejected.
    [[nodiscard]] const DesktopSpec& value() const;
    [[nodiscard]] const DesktopSpec& operator*() const { return value(); }
    [[nodiscard]] const DesktopSpec* operator->() const { return &value(); }
    // reason == ok when accepted.
    [[nodiscard]] const DesktopSpecProblem& problem() const noexcept { return problem_; }
    [[nodiscard]] DesktopSpecReason reason() const noexcept { return problem_.reason; }

private:
    std::optional<DesktopSpec> spec_;
    DesktopSpecProblem problem_;
};

// nullopt = lpDesktop NULL. Checks, in this order: embedded NUL, invalid UTF-8, more than one
// backslash, empty station, empty desktop, '/', length.
[[nodiscard]] DesktopSpecResult parse_desktop_spec(std::optional<std::string_view> spec);
// error_code overload: nullopt and ec set (desktop_spec_category) when rejected.
[[nodiscard]] std::optional<DesktopSpec> parse_desktop_spec(std::optional<std::string_view> spec,
                                                            std::error_code& ec);

// "Service-0x<AuthenticationId.HighPart>-<LowPart>$" in lowercase hex without leading zeros, as
// Windows names the per-logon-session station: LocalSystem 0x3e7 -> "Service-0x0-3e7$".
[[nodiscard]] std::string hidden_station_name(std::uint64_t logon_luid);
// The inverse: the LUID a "Service-0x..-..$" name stands for (case-insensitive), else nullopt.
[[nodiscard]] std::optional<std::uint64_t> parse_hidden_station_name(std::string_view name) noexcept;

// What the launcher knows when it resolves a spec for a child.
struct ResolveContext {
    std::string parent_station = "WinSta0";   // the launching process's station (NULL inherits it)
    std::string parent_desktop = "Default";   // and desktop
    std::uint64_t logon_luid = 0;             // AuthenticationId of the child's token
    bool interactive_session = true;          // the token belongs to the interactive logon session
    // A window station handle the child inherits (rule 2 below), by name; none by default.
    std::optional<std::string> inherited_station;
    // CreateProcessWithLogonW (RunAsLogon): "" inherits like NULL ("If the lpDesktop member is NULL
    // or an empty string, the new process inherits the desktop and window station of its parent").
    bool empty_means_inherit = false;
};

enum class ResolveHow {
    inherited,        // NULL: the parent's station and desktop
    named,            // "Station\Desk"
    inherited_handle, // station from an inherited station handle
    interactive,      // WinSta0: the token is in the interactive logon session
    hidden_session,   // Service-0x..$ for the token's logon session (created if missing)
};
// "inherited", "named", "inherited handle", "interactive logon session",
// "hidden per-logon-session station" (DesktopTargetFacts::how uses these texts).
[[nodiscard]] std::string_view to_string(ResolveHow how) noexcept;

struct ResolvedDesktop {
    std::string station;
    std::string desktop;
    ResolveHow how = ResolveHow::inherited;
};

// Whether a token belongs to the interactive logon session (and so connects to WinSta0 when
// lpDesktop names no station). Windows decides by logon session ("Process Connection to a Window
// Station"), not by the INTERACTIVE group: a LogonUserW(INTERACTIVE) token carries S-1-5-4 but has
// a logon session of its own, and its child goes to Service-0x<hi>-<lo>$.
struct InteractiveFacts {
    std::optional<std::string> token_logon_sid;       // S-1-5-5-X-Y of the child's token
    std::uint32_t token_session = 0;
    bool token_has_interactive_group = false;         // S-1-5-4 enabled
    std::optional<std::uint32_t> launcher_session;    // where winsta0_user_sid was read
    // UOI_USER_SID of WinSta0 in the launcher's session: nullopt = unknown (Wine fails it with
    // ERROR_INVALID_PARAMETER), "" = no user associated with it.
    std::optional<std::string> winsta0_user_sid;
};

enum class InteractiveBasis {
    logon_sid,       // compared the token's logon SID with WinSta0's user SID
    group_fallback,  // that SID is unknown here (or belongs to another session): INTERACTIVE group
                     // enabled and session != 0, which can be wrong for a LogonUserW token
};

struct InteractiveDecision {
    bool interactive = false;
    InteractiveBasis basis = InteractiveBasis::group_fallback;
};

[[nodiscard]] InteractiveDecision decide_interactive(const InteractiveFacts& facts);

// Where a child connects at its first user32/gdi32 call. Order (platform-facts.md, after the
// child's own SetProcessWindowStation, which a launcher cannot see): the station named in
// lpDesktop; an inherited station handle; WinSta0 for the interactive logon session; otherwise
// Service-0x<hi>-<lo>$. The desktop is the one named, else "Default". NULL copies the parent's.
[[nodiscard]] ResolvedDesktop resolve_desktop(const DesktopSpec& spec, const ResolveContext& ctx);

}  // namespace safelaunch

template <>
struct std::is_error_code_enum<safelaunch::DesktopSpecReason> : std::true_type {};
