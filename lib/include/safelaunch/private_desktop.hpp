// Private desktops (issue 8, section 1): a window station and desktop of the launch's own, with a
// bounded heap, so a child never shares (and never fills) a desktop heap it does not own.
//
// Portable: the placement of a request, the security descriptors to give the objects, the facts
// the Win32 layer gathers after creating them (win32/private_desktop.hpp), and the decisions
// about those facts (findings). No <windows.h>.
//
// The DACLs (protected, canonical order: the deny ACE first):
//   station  SYSTEM and the launching user: WINSTA_ALL_ACCESS | STANDARD_RIGHTS_REQUIRED;
//            the child: kStationRightsNeeded (what user32 needs to connect).
//   desktop  deny the child DESKTOP_SWITCHDESKTOP | HOOKCONTROL | JOURNALRECORD | JOURNALPLAYBACK;
//            SYSTEM and the launching user: all desktop rights | STANDARD_RIGHTS_REQUIRED;
//            the child: kDesktopRightsNeeded without the denied rights.
//   No Everyone, no Users, no other SID.
// The child's SID is its logon SID (S-1-5-5-X-Y) when its token has one, else its user SID.
//
// When the child's SID is one of the full-access SIDs (the launching user's, or SYSTEM's: a token
// with no logon SID run by the same account), its allow ACE is left out (the full-access ACE
// already covers it) and the deny ACE stays: the deny is checked first, so it applies to every
// token holding that SID, the launcher's own included. The same holds when the launcher and the
// child share a logon SID (RunAsCaller). The launcher then has full access minus the four denied
// rights on the private desktop, which it does not use. Note that a child running as the same
// account is not isolated by this: it owns nothing here, but it may open its creator's desktop
// (WinSta0\Default) the way its creator can. The deny keeps a cooperating child from hooking or
// switching desktops; a boundary needs a different token.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/finding.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

struct LaunchRequest;

// What the CLI accepts for --private-desktop=KB. The floor is the smallest size said to be
// accepted on x64 (unverified: reproducer scenario "private" reports it); the ceiling is
// Microsoft's advised maximum for a desktop heap (the interactive SharedSection value).
inline constexpr std::uint32_t kPrivateDesktopDefaultKb = 512;
inline constexpr std::uint32_t kPrivateDesktopMinKb = 8;
inline constexpr std::uint32_t kPrivateDesktopMaxKb = 20480;

struct PrivateDesktopSpec {
    std::uint32_t heap_kb = kPrivateDesktopDefaultKb;
    std::optional<std::string> pool;  // a pool name: pooled placement; nullopt: one per launch
};

// Where a request's child runs: inherit (lpDesktop NULL), named (request.desktop), or a private
// desktop made for it (request.private_desktop).
enum class Placement { inherit, named, private_desktop };

[[nodiscard]] Placement placement_of(const LaunchRequest& request) noexcept;
[[nodiscard]] std::string_view to_string(Placement p) noexcept;
// Why the request cannot be placed ("desktop and private_desktop are both set"); nullopt: fine.
[[nodiscard]] std::optional<std::string> placement_problem(const LaunchRequest& request);

// The desktop inside a private station (the station name carries the randomness).
inline constexpr std::string_view kPrivateDesktopName = "Desktop";
// "safelaunch-" + 32 lower-case hex digits (128 random bits).
inline constexpr std::string_view kPrivateStationPrefix = "safelaunch-";
[[nodiscard]] std::string private_station_name(std::string_view hex128);
[[nodiscard]] bool is_private_station_name(std::string_view name) noexcept;

// The rights of each ACE (see the header comment).
inline constexpr std::uint32_t kPrivateStationFullAccess = rights::kWinstaAllAccess | rights::kStandardRightsRequired;
inline constexpr std::uint32_t kPrivateDesktopFullAccess = rights::kDesktopAllSpecific | rights::kStandardRightsRequired;
inline constexpr std::uint32_t kPrivateDesktopChildDenied = rights::kDesktopSwitchDesktop | rights::kDesktopHookControl |
                                                             rights::kDesktopJournalRecord |
                                                             rights::kDesktopJournalPlayback;

// SIDs as "S-1-..." strings. Both functions throw safelaunch::Error (parse_sid) for a bad SID.
[[nodiscard]] std::string private_station_sddl(std::string_view launching_user_sid, std::string_view child_sid);
[[nodiscard]] std::string private_desktop_sddl(std::string_view launching_user_sid, std::string_view child_sid);

// Whether the DACL read back (`read_sddl`, as GetSecurityInfo renders it: owner and group may be
// there too) is the one set (`set_sddl`): same ACEs, same order, compared as type, flags, mask and
// SID. On a difference, `why` (when given) names the first one ("ACE #2: ... read back as ...").
[[nodiscard]] bool dacl_matches(std::string_view set_sddl, std::string_view read_sddl, std::string* why = nullptr);

// Which window station a private desktop goes on (issue 8 part 1 correction). Only members of
// BUILTIN\Administrators may name a window station (CreateWindowStationW): an administrator gets
// a station of its own, named safelaunch-<32 hex> and created with CWF_CREATE_ONLY; anyone else
// gets the logon session's station (CreateWindowStationW with a NULL name: the system names it,
// e.g. "Service-0x0-3e7$", and returns it when it exists already), shared with every other launch
// of that logon session, and the private part is the desktop on it: a CSPRNG name, the heap
// bound, our DACL read back.
enum class StationSource { random_name, logon_session };
[[nodiscard]] std::string_view to_string(StationSource s) noexcept;
[[nodiscard]] std::optional<StationSource> station_source_from_string(std::string_view s) noexcept;
// `launcher_is_admin`: the launcher's effective token has BUILTIN\Administrators enabled
// (CheckTokenMembership: a filtered, non-elevated administrator's token has it deny-only, so it
// is not). Unknown (the check failed): the logon session's station, which any caller may make.
[[nodiscard]] StationSource choose_station_source(std::optional<bool> launcher_is_admin) noexcept;

// What a refused CreateWindowStationW(safelaunch-<hex>, CWF_CREATE_ONLY) means: for an
// administrator ERROR_ALREADY_EXISTS (183) or ERROR_ACCESS_DENIED (5) is a name collision (the
// station exists already); for anyone else ERROR_ACCESS_DENIED is the rule that only
// administrators name stations, never a collision.
[[nodiscard]] std::string named_station_refusal(std::string_view station, std::optional<bool> launcher_is_admin,
                                                std::uint32_t win32_error);

// What the child's SID alone is granted of kStationRightsNeeded by a station's security descriptor
// as read back (`station_sddl`; empty: the object had no security descriptor, i.e. no DACL, which
// grants everything). Only the child's SID is counted: groups of its token (Everyone, ...) are
// not known here. Throws safelaunch::Error for an SDDL or SID that does not parse.
[[nodiscard]] std::uint32_t child_station_rights_missing(std::string_view station_sddl, std::string_view child_sid);

struct PrivateDesktopFacts {
    std::string station;                      // "safelaunch-<32 hex>"; a plan: "safelaunch-<random>";
                                              //   logon_session: the name the system gave it
    std::string desktop;                      // kPrivateDesktopName; logon_session: "safelaunch-<32 hex>"
    StationSource station_source = StationSource::random_name;
    std::optional<bool> launcher_is_admin;    // CheckTokenMembership(Administrators); nullopt: not known
    std::optional<std::string> admin_check_error;  // why not known
    std::optional<std::string> pool;          // the pool asked for (nullopt: per launch)
    bool created = false;                     // false: a plan (`check`), nothing was created
    std::uint32_t heap_kb_asked = 0;
    bool heap_bounded = false;                // CreateDesktopExW took heap_kb_asked
    std::optional<std::string> heap_note;     // why not (CreateDesktopExW missing: Wine)
    std::optional<std::uint32_t> heap_kb_read;  // UOI_HEAPSIZE read back
    std::optional<std::string> heap_read_error;  // why it could not be read (Wine: ERROR_INVALID_PARAMETER)
    std::string launching_user_sid;
    std::string child_sid;
    std::string station_dacl_set;             // SDDL given at creation
    std::string desktop_dacl_set;
    std::optional<std::string> station_dacl_read;  // GetSecurityInfo, read back after creation
    std::optional<std::string> desktop_dacl_read;
    std::optional<std::string> dacl_read_error;
    // "station" / "desktop": the object had no security descriptor after creation (the one given
    // to CreateWindowStationW / CreateDesktop(Ex)W was not applied: Wine), so the DACL was set
    // with SetSecurityInfo before it was read back. Empty on Windows.
    std::vector<std::string> dacl_set_after_creation;

    // "safelaunch-<hex>\Desktop": the child's lpDesktop.
    [[nodiscard]] std::string lp_desktop() const;
};

// What a private desktop for `spec` would be, before anything is created (`check`): names are
// placeholders, the DACLs are the ones that would be set. `can_bound_heap`: CreateDesktopExW is
// there. Throws like private_desktop_sddl for a bad SID.
[[nodiscard]] PrivateDesktopFacts plan_private_desktop(const PrivateDesktopSpec& spec,
                                                       std::string_view launching_user_sid,
                                                       std::string_view child_sid, bool can_bound_heap);
// The same for a launcher whose Administrators membership is known: a non-administrator's plan
// is the logon session's station ("<logon session station>") with "safelaunch-<random>" on it
// (station_source logon_session, finding desktop.private.session_station).
[[nodiscard]] PrivateDesktopFacts plan_private_desktop(const PrivateDesktopSpec& spec,
                                                       std::string_view launching_user_sid,
                                                       std::string_view child_sid, bool can_bound_heap,
                                                       std::optional<bool> launcher_is_admin);

// desktop.private.pool_unavailable (error, pool_unavailable_finding; not from the facts): a pool
//   was asked for and the launch was given none, so it is refused rather than placed on a
//   per-launch desktop unasked.
// desktop.private.heap_unbounded (warning): the heap could not be bounded (CreateDesktopExW
//   missing, e.g. Wine): the desktop has the system's default size for its station.
// desktop.private.heap_mismatch (error): UOI_HEAPSIZE read back is not what was asked (an
//   existing desktop was opened instead of a new one made). Not decided when it cannot be read.
// desktop.private.dacl_mismatch (error): a DACL read back is not the one set, or could not be
//   read back after creation.
//   For a logon_session station only the desktop's DACL is compared: the station is shared and
//   may have existed before, with the DACL of whoever made it.
// desktop.private.session_station (info): not an administrator: the station is the logon
//   session's, shared with other launches of that logon session; the desktop on it is private.
// desktop.private.station_denies_child (error): the logon session's station, as read back, does
//   not grant the child's SID kStationRightsNeeded (names the missing rights).
[[nodiscard]] std::vector<Finding> private_desktop_findings(const PrivateDesktopFacts& facts);
[[nodiscard]] Finding pool_unavailable_finding(std::string_view pool);

void to_json(nlohmann::json& j, const PrivateDesktopFacts& f);
void from_json(const nlohmann::json& j, PrivateDesktopFacts& f);

// A pooled placement (issue 8 part 2): which pool, which of its stations, and whether the desktop
// was there before this launch.
struct PoolPlacement {
    std::string pool;
    std::string station;
    bool reused = false;             // the desktop existed before this launch's lease
    std::uint32_t lease_number = 0;  // this desktop's n-th lease (1: its first child)
    std::uint32_t desktops = 0;      // the pool's desktops right after the lease was taken
    std::uint32_t leases = 0;        // the pool's leases out right after (this one included)
};

// Where a launch placed its child, for the launch report ("placement" in `run --json`).
struct PlacementOutcome {
    Placement kind = Placement::inherit;
    std::optional<std::string> lp_desktop;             // what the child was given; nullopt: NULL
    std::optional<PrivateDesktopFacts> private_desktop;  // kind private: created (or how far it got)
    std::vector<Finding> findings;                     // private_desktop_findings()
    std::optional<PoolPlacement> pool;                 // set when the desktop came from a pool
};

// {"kind": "inherit" | "named" | "private", "lp_desktop", "station", "desktop", "heap_kb",
//  "findings": [...], "private": facts | null, "pool": {"name", "station", "reused", "lease_number",
//  "desktops", "leases"} | null}; station/desktop/heap_kb null unless private.
void to_json(nlohmann::json& j, const PlacementOutcome& p);

}  // namespace safelaunch
