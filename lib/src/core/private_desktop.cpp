#include "safelaunch/private_desktop.hpp"

#include "safelaunch/access_evaluator.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/sddl.hpp"
#include "safelaunch/sid.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

Ace ace(AceType type, std::uint32_t mask, const Sid& sid) {
    Ace a;
    a.type = type;
    a.mask = mask;
    a.sid = sid;
    return a;
}

// Protected DACL: deny (if any) first, then SYSTEM, the launching user, and the child unless its
// SID already has full access.
std::string dacl_sddl(std::string_view launching_user_sid, std::string_view child_sid, std::uint32_t full,
                      std::uint32_t child_allowed, std::uint32_t child_denied) {
    const Sid user = parse_sid(launching_user_sid);
    const Sid child = parse_sid(child_sid);
    SecurityDescriptor sd;
    auto& dacl = sd.dacl.emplace();
    dacl.is_protected = true;  // nothing inherited from the parent directory object
    if (child_denied != 0) dacl.aces.push_back(ace(AceType::deny, child_denied, child));
    dacl.aces.push_back(ace(AceType::allow, full, well_known::kLocalSystem));
    if (user != well_known::kLocalSystem) dacl.aces.push_back(ace(AceType::allow, full, user));
    if (child != user && child != well_known::kLocalSystem)
        dacl.aces.push_back(ace(AceType::allow, child_allowed & ~child_denied, child));
    return to_sddl(sd);
}

std::string describe_ace(const Ace& a) { return to_sddl(a); }

}  // namespace

Placement placement_of(const LaunchRequest& request) noexcept {
    if (request.private_desktop) return Placement::private_desktop;
    if (request.desktop) return Placement::named;
    return Placement::inherit;
}

std::string_view to_string(Placement p) noexcept {
    switch (p) {
        case Placement::inherit: return "inherit";
        case Placement::named: return "named";
        case Placement::private_desktop: return "private";
    }
    return "unknown";
}

std::optional<std::string> placement_problem(const LaunchRequest& request) {
    if (request.private_desktop && request.desktop)
        return fmt::format("the request names a desktop (\"{}\") and asks for a private desktop: choose one",
                           *request.desktop);
    if (request.private_desktop) {
        const auto kb = request.private_desktop->heap_kb;
        if (kb < kPrivateDesktopMinKb || kb > kPrivateDesktopMaxKb)
            return fmt::format("private desktop heap of {} KB is outside {}..{} KB", kb, kPrivateDesktopMinKb,
                               kPrivateDesktopMaxKb);
    }
    return std::nullopt;
}

std::string private_station_name(std::string_view hex128) {
    return std::string(kPrivateStationPrefix) + std::string(hex128);
}

bool is_private_station_name(std::string_view name) noexcept {
    if (name.size() != kPrivateStationPrefix.size() + 32 || name.substr(0, kPrivateStationPrefix.size()) != kPrivateStationPrefix)
        return false;
    const auto hex = name.substr(kPrivateStationPrefix.size());
    return std::all_of(hex.begin(), hex.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string private_station_sddl(std::string_view launching_user_sid, std::string_view child_sid) {
    return dacl_sddl(launching_user_sid, child_sid, kPrivateStationFullAccess, kStationRightsNeeded, 0);
}

std::string private_desktop_sddl(std::string_view launching_user_sid, std::string_view child_sid) {
    return dacl_sddl(launching_user_sid, child_sid, kPrivateDesktopFullAccess, kDesktopRightsNeeded,
                     kPrivateDesktopChildDenied);
}

bool dacl_matches(std::string_view set_sddl, std::string_view read_sddl, std::string* why) {
    const auto say = [&](std::string text) {
        if (why) *why = std::move(text);
        return false;
    };
    std::error_code ec;
    SddlError error;
    const auto set = parse_sddl(set_sddl, ec, &error);
    if (!set) return say("the DACL set does not parse: " + error.describe());
    const auto read = parse_sddl(read_sddl, ec, &error);
    if (!read) return say("the DACL read back does not parse: " + error.describe());
    if (!read->dacl || read->dacl->is_null) return say("no DACL was read back (everyone has full access)");
    const auto& want = set->dacl ? set->dacl->aces : std::vector<Ace>{};
    const auto& got = read->dacl->aces;
    for (std::size_t i = 0; i < std::max(want.size(), got.size()); ++i) {
        if (i >= got.size()) return say(fmt::format("ACE #{} {} was not read back", i, describe_ace(want[i])));
        if (i >= want.size()) return say(fmt::format("ACE #{} {} was read back but not set", i, describe_ace(got[i])));
        const auto& w = want[i];
        const auto& g = got[i];
        if (w.type != g.type || w.flags != g.flags || w.mask != g.mask || w.sid != g.sid)
            return say(fmt::format("ACE #{}: set {}, read back {}", i, describe_ace(w), describe_ace(g)));
    }
    return true;
}

std::string_view to_string(StationSource s) noexcept {
    switch (s) {
        case StationSource::random_name: return "random_name";
        case StationSource::logon_session: return "logon_session";
    }
    return "unknown";
}

std::optional<StationSource> station_source_from_string(std::string_view s) noexcept {
    if (s == "random_name") return StationSource::random_name;
    if (s == "logon_session") return StationSource::logon_session;
    return std::nullopt;
}

StationSource choose_station_source(std::optional<bool> launcher_is_admin) noexcept {
    return launcher_is_admin.value_or(false) ? StationSource::random_name : StationSource::logon_session;
}

std::string named_station_refusal(std::string_view station, std::optional<bool> launcher_is_admin,
                                  std::uint32_t win32_error) {
    constexpr std::uint32_t kAccessDenied = 5;
    constexpr std::uint32_t kAlreadyExists = 183;
    const bool admin = launcher_is_admin.value_or(false);
    if (win32_error == kAlreadyExists || (admin && win32_error == kAccessDenied))
        return fmt::format("window station {} exists already (a name collision): it is not used", station);
    if (win32_error == kAccessDenied)
        return fmt::format("window station {} was refused: only members of Administrators may name a window "
                           "station (this launcher {}); not a name collision",
                           station, launcher_is_admin ? "is not one" : "may not be one: membership unknown");
    return fmt::format("window station {} could not be created", station);
}

std::uint32_t child_station_rights_missing(std::string_view station_sddl, std::string_view child_sid) {
    if (station_sddl.empty()) return 0;  // no security descriptor: no DACL, nothing is checked
    TokenFacts child;  // the child's SID alone, enabled
    child.user_sid = std::string(child_sid);
    (void)parse_sid(child_sid);  // throws for a bad SID
    const auto result = evaluate_access(parse_sddl(station_sddl), child, kStationRightsNeeded, ObjectKind::window_station);
    return result.missing();
}

std::string PrivateDesktopFacts::lp_desktop() const { return station + "\\" + desktop; }

PrivateDesktopFacts plan_private_desktop(const PrivateDesktopSpec& spec, std::string_view launching_user_sid,
                                         std::string_view child_sid, bool can_bound_heap) {
    PrivateDesktopFacts f;
    f.station = std::string(kPrivateStationPrefix) + "<random>";
    f.desktop = std::string(kPrivateDesktopName);
    f.pool = spec.pool;
    f.heap_kb_asked = spec.heap_kb;
    f.heap_bounded = can_bound_heap;
    if (!can_bound_heap) f.heap_note = "CreateDesktopExW is not exported by user32 here (Wine): cannot bound desktop heap";
    f.launching_user_sid = std::string(launching_user_sid);
    f.child_sid = std::string(child_sid);
    f.station_dacl_set = private_station_sddl(launching_user_sid, child_sid);
    f.desktop_dacl_set = private_desktop_sddl(launching_user_sid, child_sid);
    return f;
}

Finding pool_unavailable_finding(std::string_view pool) {
    return {"desktop.private.pool_unavailable", Severity::error,
            fmt::format("pooled placement (pool '{}') was asked for, but this launch was given no pool: the launch is "
                        "refused",
                        pool),
            "a pool name was given and no pool (SafeLaunchOptions::pool)",
            "give the launch its pool (safelaunch run --pool makes one), or leave out the pool name: each launch then "
            "gets a private desktop of its own"};
}

PrivateDesktopFacts plan_private_desktop(const PrivateDesktopSpec& spec, std::string_view launching_user_sid,
                                         std::string_view child_sid, bool can_bound_heap,
                                         std::optional<bool> launcher_is_admin) {
    auto f = plan_private_desktop(spec, launching_user_sid, child_sid, can_bound_heap);
    f.launcher_is_admin = launcher_is_admin;
    f.station_source = choose_station_source(launcher_is_admin);
    if (f.station_source == StationSource::logon_session) {
        f.station = "<logon session station>";
        f.desktop = std::string(kPrivateStationPrefix) + "<random>";
    }
    return f;
}

std::vector<Finding> private_desktop_findings(const PrivateDesktopFacts& f) {
    std::vector<Finding> out;
    const auto where = f.created ? f.lp_desktop() : std::string("the private desktop");
    if (!f.heap_bounded)
        out.push_back({"desktop.private.heap_unbounded", Severity::warning,
                       fmt::format("{} {} not get the {} KB heap asked for: its heap is the system's default size",
                                   where, f.created ? "did" : "would", f.heap_kb_asked),
                       f.heap_note.value_or("CreateDesktopW was used instead of CreateDesktopExW"),
                       "on Windows Vista or later CreateDesktopExW bounds it; here (Wine) there is no desktop heap "
                       "to run out of"});
    if (f.created && f.heap_bounded && f.heap_kb_read && *f.heap_kb_read != f.heap_kb_asked)
        out.push_back({"desktop.private.heap_mismatch", Severity::error,
                       fmt::format("{} has a {} KB heap, not the {} KB asked for: an existing desktop was opened "
                                   "instead of a new one",
                                   where, *f.heap_kb_read, f.heap_kb_asked),
                       fmt::format("UOI_HEAPSIZE read back {} KB after CreateDesktopExW(ulHeapSize = {} KB)",
                                   *f.heap_kb_read, f.heap_kb_asked),
                       "nothing was launched there; find who creates window stations named safelaunch-*"});
    if (f.created) {
        std::string why;
        if (f.dacl_read_error || !f.station_dacl_read || !f.desktop_dacl_read) {
            out.push_back({"desktop.private.dacl_mismatch", Severity::error,
                           fmt::format("the DACLs of {} could not be read back, so they are not verified", where),
                           f.dacl_read_error.value_or("no DACL read back"),
                           "nothing was launched there"});
        } else if (f.station_source == StationSource::random_name &&
                   !dacl_matches(f.station_dacl_set, *f.station_dacl_read, &why)) {
            out.push_back({"desktop.private.dacl_mismatch", Severity::error,
                           fmt::format("window station {} does not have the DACL it was created with", f.station),
                           fmt::format("{}; set {}, read back {}", why, f.station_dacl_set, *f.station_dacl_read),
                           "nothing was launched there: another party made or changed the object"});
        } else if (!dacl_matches(f.desktop_dacl_set, *f.desktop_dacl_read, &why)) {
            out.push_back({"desktop.private.dacl_mismatch", Severity::error,
                           fmt::format("desktop {} does not have the DACL it was created with", where),
                           fmt::format("{}; set {}, read back {}", why, f.desktop_dacl_set, *f.desktop_dacl_read),
                           "nothing was launched there: another party made or changed the object"});
        }
    }
    if (f.station_source == StationSource::logon_session) {
        out.push_back({"desktop.private.session_station", Severity::info,
                       fmt::format("not an administrator: the station is this logon session's {}, shared with "
                                   "other launches of this logon session; the desktop on it is private (heap "
                                   "bound, DACL)",
                                   f.created ? f.station : std::string("station")),
                       !f.launcher_is_admin ? "Administrators membership unknown: " +
                                                  f.admin_check_error.value_or("not checked")
                       : *f.launcher_is_admin
                           ? std::string("the launcher is an administrator, but the logon session's station was asked for")
                           : std::string("BUILTIN\\Administrators is not enabled in the launcher's token "
                                         "(CheckTokenMembership); only administrators may name a window station"),
                       "run the launcher as an elevated administrator for a window station of its own"});
        if (f.created && f.station_dacl_read && !f.dacl_read_error) {
            std::uint32_t missing = 0;
            std::string evidence;
            try {
                missing = child_station_rights_missing(*f.station_dacl_read, f.child_sid);
                evidence = fmt::format("station security descriptor read back: {}",
                                       f.station_dacl_read->empty() ? std::string("none (no DACL)")
                                                                    : *f.station_dacl_read);
            } catch (const Error& e) {
                missing = kStationRightsNeeded;
                evidence = fmt::format("the station's security descriptor could not be evaluated: {}", e.what());
            }
            if (missing != 0)
                out.push_back({"desktop.private.station_denies_child", Severity::error,
                               fmt::format("window station {} does not grant the child ({}) {}: user32 in the "
                                           "child could not connect",
                                           f.station, f.child_sid, describe_rights(missing, ObjectKind::window_station)),
                               evidence,
                               "nothing was launched there: the logon session's station belongs to whoever made "
                               "it first; run the launcher as an administrator (a station of its own) or launch "
                               "the child with the launcher's logon SID"});
        }
    }
    return out;
}

namespace {

template <typename T>
void put(nlohmann::json& j, const char* key, const std::optional<T>& v) {
    j[key] = v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <typename T>
void get(const nlohmann::json& j, const char* key, std::optional<T>& v) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null())
        v.reset();
    else
        v = it->get<T>();
}

template <typename T>
void get(const nlohmann::json& j, const char* key, T& v) {
    if (const auto it = j.find(key); it != j.end()) v = it->get<T>();
}

}  // namespace

void to_json(nlohmann::json& j, const PrivateDesktopFacts& f) {
    j = nlohmann::json{{"station", f.station},
                       {"desktop", f.desktop},
                       {"lp_desktop", f.lp_desktop()},
                       {"created", f.created},
                       {"heap_kb_asked", f.heap_kb_asked},
                       {"heap_bounded", f.heap_bounded},
                       {"launching_user_sid", f.launching_user_sid},
                       {"child_sid", f.child_sid},
                       {"station_dacl_set", f.station_dacl_set},
                       {"desktop_dacl_set", f.desktop_dacl_set},
                       {"dacl_set_after_creation", f.dacl_set_after_creation},
                       {"station_source", to_string(f.station_source)}};
    put(j, "launcher_is_admin", f.launcher_is_admin);
    put(j, "admin_check_error", f.admin_check_error);
    put(j, "pool", f.pool);
    put(j, "heap_note", f.heap_note);
    put(j, "heap_kb_read", f.heap_kb_read);
    put(j, "heap_read_error", f.heap_read_error);
    put(j, "station_dacl_read", f.station_dacl_read);
    put(j, "desktop_dacl_read", f.desktop_dacl_read);
    put(j, "dacl_read_error", f.dacl_read_error);
}

void from_json(const nlohmann::json& j, PrivateDesktopFacts& f) {
    if (!j.is_object()) throw std::invalid_argument("private desktop facts must be a JSON object");
    get(j, "station", f.station);
    get(j, "desktop", f.desktop);
    get(j, "pool", f.pool);
    get(j, "created", f.created);
    get(j, "heap_kb_asked", f.heap_kb_asked);
    get(j, "heap_bounded", f.heap_bounded);
    get(j, "heap_note", f.heap_note);
    get(j, "heap_kb_read", f.heap_kb_read);
    get(j, "heap_read_error", f.heap_read_error);
    get(j, "launching_user_sid", f.launching_user_sid);
    get(j, "child_sid", f.child_sid);
    get(j, "station_dacl_set", f.station_dacl_set);
    get(j, "desktop_dacl_set", f.desktop_dacl_set);
    get(j, "station_dacl_read", f.station_dacl_read);
    get(j, "desktop_dacl_read", f.desktop_dacl_read);
    get(j, "dacl_read_error", f.dacl_read_error);
    get(j, "dacl_set_after_creation", f.dacl_set_after_creation);
    if (const auto it = j.find("station_source"); it != j.end()) {
        const auto source = station_source_from_string(it->get<std::string>());
        if (!source) throw std::invalid_argument("unknown station_source \"" + it->get<std::string>() + "\"");
        f.station_source = *source;
    }
    get(j, "launcher_is_admin", f.launcher_is_admin);
    get(j, "admin_check_error", f.admin_check_error);
}

void to_json(nlohmann::json& j, const PlacementOutcome& p) {
    j = nlohmann::json{{"kind", to_string(p.kind)}, {"findings", p.findings}};
    put(j, "lp_desktop", p.lp_desktop);
    const auto* d = p.private_desktop ? &*p.private_desktop : nullptr;
    j["station"] = d ? nlohmann::json(d->station) : nlohmann::json(nullptr);
    j["desktop"] = d ? nlohmann::json(d->desktop) : nlohmann::json(nullptr);
    j["heap_kb"] = d ? nlohmann::json(d->heap_kb_asked) : nlohmann::json(nullptr);
    j["private"] = d ? nlohmann::json(*d) : nlohmann::json(nullptr);
    if (p.pool)
        j["pool"] = {{"name", p.pool->pool},           {"station", p.pool->station},
                     {"reused", p.pool->reused},       {"lease_number", p.pool->lease_number},
                     {"desktops", p.pool->desktops},   {"leases", p.pool->leases}};
    else
        j["pool"] = nullptr;
}

}  // namespace safelaunch
