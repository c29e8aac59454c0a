// The private scenario (issue 8 part 5): safelaunch's private desktops (win32/private_desktop.hpp),
// with a bounded heap and set DACLs: for an administrator each on a station "safelaunch-<32 hex>"
// of its own, for anyone else a desktop "safelaunch-<32 hex>" on the logon session's station.
//   - N of them held at once at 512 KB, and N at the smallest heap CreateDesktopExW accepts (found
//     by trying descending sizes), with UOI_HEAPSIZE and the DACLs read back for each;
//   - the launcher's own desktop untouched: its UOI_HEAPSIZE and a canary allocation on it
//     (safelaunch-probe --alloc-kb, inheriting this process's desktop) before and after;
//   - control: a child starts on a 512 KB one while all are held;
//   - failure: a child on a smallest-size one dies with 0xC0000142 (what Windows is expected to do
//     with a heap too small for user32's connection; the phase reports what it saw);
//   - recovery: after everything is released, a smallest-size desktop is creatable again and a
//     child starts on a fresh 512 KB one.
// Under Wine CreateDesktopExW is missing (no heap can be bounded, UOI_HEAPSIZE fails): the failure
// phase is skipped with the reason and the scenario exits 77; the rest still runs and is checked.
#include "scenario_support.hpp"

#include "interrupt.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/private_desktop.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <windows.h>

#include <algorithm>
#include <set>

namespace safelaunch::repro::detail {
namespace {

using nlohmann::json;

constexpr std::uint32_t kNormalKb = kPrivateDesktopDefaultKb;  // 512
// Tried from the top down; the first refusal ends the search (smaller sizes are not tried).
constexpr std::uint32_t kFloorCandidatesKb[] = {256, 128, 64, 32, 16, 12, 8, 4, 2, 1};
// What the canary allocates on the launcher's own desktop (and frees at once).
constexpr std::uint32_t kOwnDesktopCanaryKb = 64;

struct Sids {
    std::string launching, child;
};

json desktop_json(const w::PrivateDesktop& d, const std::optional<std::string>& error = std::nullopt) {
    const auto& f = d.facts();
    json dacl = nullptr;
    std::string dacl_why;
    if (f.desktop_dacl_read && f.station_dacl_read) {
        std::string why_station;
        const bool desk_ok = dacl_matches(f.desktop_dacl_set, *f.desktop_dacl_read, &dacl_why);
        const bool station_ok = dacl_matches(f.station_dacl_set, *f.station_dacl_read, &why_station);
        dacl = desk_ok && station_ok;
        if (!station_ok) dacl_why = "station: " + why_station;
    }
    return {{"station", f.station},
            {"desktop", f.desktop},
            {"created", f.created},
            {"heap_kb_asked", f.heap_kb_asked},
            {"heap_bounded", f.heap_bounded},
            {"heap_note", f.heap_note ? json(*f.heap_note) : json(nullptr)},
            {"heap_kb_read", f.heap_kb_read ? json(*f.heap_kb_read) : json(nullptr)},
            {"heap_read_error", f.heap_read_error ? json(*f.heap_read_error) : json(nullptr)},
            {"dacls_match", dacl},
            {"dacl_mismatch", dacl_why.empty() ? json(nullptr) : json(dacl_why)},
            {"dacl_read_error", f.dacl_read_error ? json(*f.dacl_read_error) : json(nullptr)},
            {"dacl_set_after_creation", f.dacl_set_after_creation},
            {"error", error ? json(*error) : json(nullptr)}};
}

// The launcher's own desktop (what a child with lpDesktop NULL inherits): UOI_HEAPSIZE, and a
// canary that connects there and allocates kOwnDesktopCanaryKb of desktop-heap objects.
json own_desktop_state(const Ctx& c) {
    json j;
    std::error_code ec;
    ApiFailure failure;
    {
        const auto station = w::process_window_station_name(ec, &failure);
        const auto desktop = ec ? std::string() : w::thread_desktop_name(ec, &failure);
        j["name"] = ec ? json(nullptr) : json(station + "\\" + desktop);
    }
    const auto* u = w::user32(ec, &failure);
    const HDESK own = u ? u->GetThreadDesktop(::GetCurrentThreadId()) : nullptr;  // not to be closed
    if (!own) {
        j["heap_kb"] = nullptr;
        j["heap_error"] = u ? last_error("GetThreadDesktop", "this thread").describe() : failure.describe();
    } else {
        const auto kb = w::desktop_heap_kb(own, ec, &failure);
        j["heap_kb"] = ec ? json(nullptr) : json(kb);
        j["heap_error"] = ec ? json(failure.describe()) : json(nullptr);
    }
    LaunchRequest request;
    request.program = c.probe;  // desktop nullopt: the canary inherits ours
    w::SafeLaunchOptions options;
    options.probe_path = c.probe;
    options.canary_alloc_kb = kOwnDesktopCanaryKb;
    const auto canary = w::run_canary(request, options, ec, &failure);
    j["canary"] = {{"alloc_kb", kOwnDesktopCanaryKb},
                   {"ran", canary.ran},
                   {"exit_code", canary.ran ? json(canary.exit_code) : json(nullptr)},
                   {"allocated", canary.allocated},
                   {"detail", canary.detail}};
    return j;
}

// Holds `n` private desktops of `kb` at once (appended to `held`); the first failure stops it and
// is returned (with the facts of the failed one in `out`).
std::optional<ApiFailure> hold(const Sids& sids, std::uint32_t kb, std::uint32_t n, std::vector<w::PrivateDesktop>& held,
                               json& out) {
    for (std::uint32_t i = 0; i < n && !interrupted(); ++i) {
        std::error_code ec;
        ApiFailure failure;
        auto d = w::create_private_desktop(PrivateDesktopSpec{kb, std::nullopt}, sids.child, sids.launching, ec, &failure);
        if (ec) {
            out.push_back(desktop_json(d, failure.describe()));
            return failure;
        }
        out.push_back(desktop_json(d));
        held.push_back(std::move(d));
    }
    return std::nullopt;
}

// Descending sizes until CreateDesktopExW refuses one; each is created alone and closed at once.
// `accepted`: the smallest CreateDesktopExW took; `exact`: the smallest it took and UOI_HEAPSIZE
// read back as asked (the library's verification refuses a desktop whose heap reads back
// otherwise, so that is the smallest a private desktop can have).
json find_floor(const Sids& sids, std::optional<std::uint32_t>& accepted, std::optional<std::uint32_t>& exact) {
    json tries = json::array();
    for (const auto kb : kFloorCandidatesKb) {
        if (interrupted()) break;
        std::error_code ec;
        ApiFailure failure;
        auto d = w::create_private_desktop(PrivateDesktopSpec{kb, std::nullopt}, sids.child, sids.launching, ec, &failure);
        const auto& f = d.facts();
        const bool took = f.created && f.heap_bounded;
        const bool as_asked = took && f.heap_kb_read == kb;
        tries.push_back({{"kb", kb},
                         {"accepted", took},
                         {"heap_kb_read", f.heap_kb_read ? json(*f.heap_kb_read) : json(nullptr)},
                         {"read_back_as_asked", as_asked},
                         {"error", ec ? json(failure.describe()) : json(nullptr)}});
        d.close();
        if (!took) break;
        accepted = kb;
        if (as_asked) exact = kb;
    }
    return tries;
}

// What this scenario made and must see go: the station when it is ours (an administrator's,
// safelaunch-<hex>), else the desktop ("station\\desktop": the logon session's station is shared
// and stays).
std::string made_object(const w::PrivateDesktop& d) {
    return d.facts().station_source == StationSource::random_name ? d.facts().station : d.lp_desktop();
}

// Objects of `made` that still exist (the system destroys one with its last handle).
std::vector<std::string> still_there(const std::vector<std::string>& made) {
    std::vector<std::string> left;
    std::error_code ec;
    const auto stations = w::enumerate_window_stations(ec);
    if (ec) return left;
    for (const auto& name : made) {
        const auto slash = name.find('\\');
        if (slash == std::string::npos) {
            if (std::find(stations.begin(), stations.end(), name) != stations.end()) left.push_back(name);
            continue;
        }
        const auto station = w::open_window_station(name.substr(0, slash), WINSTA_ENUMDESKTOPS, ec);
        if (ec) continue;  // the station itself is gone, and its desktops with it
        const auto desktops = w::enumerate_desktops(station.get(), ec);
        if (!ec && std::find(desktops.begin(), desktops.end(), name.substr(slash + 1)) != desktops.end())
            left.push_back(name);
    }
    return left;
}

PhaseRecord on_fresh_desktop(const Ctx& c, const Sids& sids, const char* name, std::uint32_t kb, Expect expect,
                             ScenarioResult& s, std::vector<std::string>& made) {
    std::error_code ec;
    ApiFailure failure;
    auto d = w::create_private_desktop(PrivateDesktopSpec{kb, std::nullopt}, sids.child, sids.launching, ec, &failure);
    if (ec) {
        PhaseRecord p;
        p.scenario = "private";
        p.name = name;
        p.expected = expect;
        p.problem = fmt::format("a {} KB private desktop could not be created: {}", kb, failure.describe());
        return p;
    }
    made.push_back(made_object(d));
    s.desktops.push_back(d.lp_desktop());
    auto p = run_phase(c, "private", name, expect, d.lp_desktop(), CheckPolicy::canary, d.desktop());
    d.close();
    return p;
}

// Where the children reported connecting, when that is not the private desktop itself (Wine: its
// user32 asks for every desktop right, the deny ACE refuses it, and it makes "Default" in the
// station instead).
std::string elsewhere(const ScenarioResult& s) {
    std::string out;
    for (const auto& p : s.phases) {
        if (!p.child_report) continue;
        const auto at = where_it_ran(p);
        if (at.size() < 8 || at.compare(at.size() - 8, 8, "\\Desktop") != 0)
            out += fmt::format("; the {} child reported connecting to {}, not the private desktop", p.name, at);
    }
    return out;
}

}  // namespace

ScenarioResult run_private(const Ctx& c) {
    ScenarioResult s;
    s.name = "private";
    s.heap_kb_requested = kNormalKb;
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    std::error_code ec;
    ApiFailure failure;
    Sids sids;
    sids.launching = w::own_user_sid(ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    {
        auto token = w::duplicate_own_token(true, ec, &failure);
        if (ec) return setup_error(std::move(s), failure);
        sids.child = w::private_desktop_sid_of(token.get(), ec, &failure);  // the probe runs as us
        if (ec) return setup_error(std::move(s), failure);
    }
    const bool bounded = w::can_bound_desktop_heap();
    const std::uint32_t n = c.o.desktops;
    json details = {{"desktops_per_size", n}, {"child_sid", sids.child}, {"can_bound_heap", bounded}};
    std::vector<std::string> made;  // made_object() of every desktop made, for the cleanup check

    c.say("private: the launcher's own desktop before (UOI_HEAPSIZE, canary allocation)");
    details["own_desktop"]["before"] = own_desktop_state(c);

    // N at 512 KB, held through the control phase and the floor's.
    std::vector<w::PrivateDesktop> held;
    json held_json = json::array();
    c.say(fmt::format("private: holding {} private desktops of {} KB", n, kNormalKb));
    const auto held_failure = hold(sids, kNormalKb, n, held, held_json);
    for (const auto& d : held) made.push_back(made_object(d));
    details["held"] = held_json;
    if (held_failure) {
        details["own_desktop"]["after"] = nullptr;
        s.details = std::move(details);
        for (auto& d : held) d.close();
        return setup_error(std::move(s), *held_failure);
    }
    std::set<std::string> distinct;
    for (const auto& d : held) distinct.insert(d.lp_desktop());
    details["names_distinct"] = distinct.size() == held.size();
    if (!held.empty()) {
        s.desktops.push_back(held.front().lp_desktop());
        auto p = run_phase(c, "private", "control", Expect::success, held.front().lp_desktop(), CheckPolicy::canary,
                           held.front().desktop());
        p.notes.push_back(fmt::format("{} private desktops of {} KB held at once; the child ran on the first", held.size(),
                                      kNormalKb));
        if (distinct.size() != held.size()) {
            p.ok = false;
            p.problem = "two private desktops got the same name";
        }
        s.phases.push_back(std::move(p));
    }

    // The floor, then N held at it, and the failure phase on one of them.
    std::optional<std::uint32_t> floor, accepted;  // floor: the smallest read back as asked
    std::vector<w::PrivateDesktop> held_floor;
    json floor_json = json::array();
    if (!bounded) {
        details["floor"] = {{"searched", false},
                            {"smallest_accepted_kb", nullptr},
                            {"smallest_exact_kb", nullptr},
                            {"tries", json::array()}};
        PhaseRecord p;
        p.scenario = "private";
        p.name = "failure";
        p.expected = Expect::dll_init_failed;
        p.skipped = fmt::format("cannot bound desktop heap here: user32.dll has no CreateDesktopExW{}",
                                c.wine ? " (Wine " + *c.wine + ")" : "");
        s.phases.push_back(std::move(p));
    } else if (!interrupted()) {
        c.say("private: trying descending heap sizes with CreateDesktopExW");
        auto tries = find_floor(sids, accepted, floor);
        details["floor"] = {{"searched", true},
                            {"smallest_accepted_kb", accepted ? json(*accepted) : json(nullptr)},
                            {"smallest_exact_kb", floor ? json(*floor) : json(nullptr)},
                            {"tries", std::move(tries)}};
        if (floor) {
            c.say(fmt::format("private: smallest accepted {} KB, read back as asked {} KB; holding {} of those",
                              accepted.value_or(0), *floor, n));
            const auto floor_failure = hold(sids, *floor, n, held_floor, floor_json);
            for (const auto& d : held_floor) made.push_back(made_object(d));
            if (held_floor.empty()) {
                s.outcome = Outcome::error;
                s.reason = "setup failed: no desktop of the smallest size could be held: " +
                           (floor_failure ? floor_failure->describe() : std::string("interrupted"));
            } else {
                s.desktops.push_back(held_floor.front().lp_desktop());
                auto p = run_phase(c, "private", "failure", Expect::dll_init_failed, held_floor.front().lp_desktop(),
                                   CheckPolicy::canary, held_floor.front().desktop());
                p.notes.push_back(fmt::format("{} private desktops of {} KB held at once{}", held_floor.size(), *floor,
                                              floor_failure ? "; the next failed: " + floor_failure->describe() : ""));
                read_events(c, p);
                s.phases.push_back(std::move(p));
            }
        } else {
            s.outcome = Outcome::error;
            s.reason = fmt::format("setup failed: CreateDesktopExW accepted none of the sizes tried (from {} KB down) "
                                   "with UOI_HEAPSIZE reading back what was asked",
                                   kFloorCandidatesKb[0]);
        }
    }
    details["held_floor"] = floor_json;

    c.say("private: the launcher's own desktop after");
    details["own_desktop"]["after"] = own_desktop_state(c);
    const auto& before = details["own_desktop"]["before"];
    const auto& after = details["own_desktop"]["after"];
    // Untouched: the same heap size read back (where readable), and the canary's allocation
    // succeeding after as it did before.
    const bool heap_same = before["heap_kb"] == after["heap_kb"] && before["name"] == after["name"];
    const bool canary_same = before["canary"]["allocated"] == after["canary"]["allocated"];
    details["own_desktop"]["heap_compared"] = !before["heap_kb"].is_null() && !after["heap_kb"].is_null();
    details["own_desktop"]["untouched"] = heap_same && canary_same;

    c.say("private: releasing everything");
    for (auto& d : held_floor) d.close();
    for (auto& d : held) d.close();
    held_floor.clear();
    held.clear();
    auto left = still_there(made);
    details["released"] = {{"objects_checked", made.size()}, {"objects_left", left}};

    // Recovery: the smallest size is creatable again, and a child starts on a fresh 512 KB one.
    if (!interrupted() && s.reason.empty()) {
        std::optional<std::string> floor_again;
        if (floor) {
            auto d = w::create_private_desktop(PrivateDesktopSpec{*floor, std::nullopt}, sids.child, sids.launching, ec,
                                               &failure);
            floor_again = ec ? "not creatable: " + failure.describe()
                             : fmt::format("creatable again (UOI_HEAPSIZE {} KB)",
                                           d.facts().heap_kb_read ? std::to_string(*d.facts().heap_kb_read) : "?");
            if (!ec) made.push_back(made_object(d));
            d.close();
        }
        auto p = on_fresh_desktop(c, sids, "recovery", kNormalKb, Expect::success, s, made);
        if (floor_again) {
            p.notes.push_back(fmt::format("after release, a {} KB private desktop: {}", *floor, *floor_again));
            if (floor_again->rfind("not", 0) == 0) {
                p.ok = false;
                p.problem = "after release, a smallest-size desktop could not be created again";
            }
        }
        s.phases.push_back(std::move(p));
        left = still_there(made);
        details["released"] = {{"objects_checked", made.size()}, {"objects_left", left}};
    }
    for (const auto& l : left)
        s.left_behind.push_back(fmt::format("{} {} still exists", l.find('\\') == std::string::npos ? "window station" : "desktop", l));
    s.details = std::move(details);

    if (!s.left_behind.empty() && s.reason.empty()) {
        s.outcome = Outcome::error;
        s.reason = "cleanup failed: " + s.left_behind.front();
    }
    if (!s.reason.empty()) return s;
    if (!s.details["own_desktop"]["untouched"].get<bool>()) {
        s.outcome = Outcome::not_reproduced;
        s.reason = "the launcher's own desktop changed while the private desktops were held: " +
                   s.details["own_desktop"].dump();
        return s;
    }
    const bool ran_ok = std::all_of(s.phases.begin(), s.phases.end(),
                                    [](const PhaseRecord& p) { return p.skipped || p.ok; });
    if (!bounded && ran_ok) {
        s.outcome = Outcome::skipped;
        s.reason = fmt::format(
            "cannot show the failure here{}: no CreateDesktopExW, so no heap can be bounded and UOI_HEAPSIZE is not "
            "read back; shown: {} private desktops held at once (distinct names, DACLs read back), control and "
            "recovery children started, the launcher's own desktop untouched (canary allocated {} KB before and "
            "after), everything released{}",
            c.wine ? " (Wine " + *c.wine + ")" : std::string(), n, kOwnDesktopCanaryKb, elsewhere(s));
        return s;
    }
    // Skipped phases aside, the phases decide.
    std::vector<PhaseRecord> run;
    for (const auto& p : s.phases)
        if (!p.skipped) run.push_back(p);
    std::swap(run, s.phases);
    finish(s);
    std::swap(run, s.phases);
    if (s.outcome == Outcome::reproduced)
        s.reason = fmt::format("{} desktops held at {} KB and at {} KB (the smallest CreateDesktopExW accepted and "
                               "read back); control started, failure died with 0xC0000142 on the smallest, recovery "
                               "started; the launcher's own desktop untouched",
                               n, kNormalKb, floor.value_or(0));
    if (s.outcome == Outcome::reproduced && accepted != floor)
        s.reason += fmt::format(" (CreateDesktopExW also took {} KB, but UOI_HEAPSIZE read back another size)",
                                accepted.value_or(0));
    return s;
}

}  // namespace safelaunch::repro::detail
