#include "scenarios.hpp"

#include "scenario_support.hpp"

#include "filler_process.hpp"
#include "interrupt.hpp"
#include "private_station.hpp"

#include "safelaunch/access_rights.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/grant.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"
#ifdef DESKHEAP_REPRO_HAVE_PREFLIGHT
#include "safelaunch/win32/safe_launch.hpp"
#endif

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)
#include <nlohmann/json.hpp>

#include <windows.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <vector>

namespace safelaunch::repro {
namespace detail {

constexpr auto kPoll = std::chrono::milliseconds(100);
// Exit code of a child we end (timeout, Ctrl+C): ERROR_CANCELLED, never mistaken for 0xC0000142.
constexpr std::uint32_t kEndedByUs = ERROR_CANCELLED;

std::uint64_t ms_since(Clock::time_point t0) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

std::string exe_dir() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n < path.size()) {
            path.resize(n);
            break;
        }
        path.resize(path.size() * 2);
    }
    const auto slash = path.find_last_of(L"\\/");
    return boost::nowide::narrow(slash == std::wstring::npos ? L"." : path.substr(0, slash));
}

bool file_exists(const std::string& path) {
    const DWORD a = ::GetFileAttributesW(boost::nowide::widen(path).c_str());
    return a != INVALID_FILE_ATTRIBUTES && !(a & FILE_ATTRIBUTE_DIRECTORY);
}

std::string temp_file(std::string_view what) {
    static int counter = 0;
    wchar_t dir[MAX_PATH + 1];
    const DWORD n = ::GetTempPathW(MAX_PATH + 1, dir);
    const std::string base = n ? boost::nowide::narrow(std::wstring(dir, n)) : std::string(".\\");
    return fmt::format("{}{}{}-{}.txt", base, object_prefix(), what, counter++);
}

std::string first_line(const std::string& path) {
    std::ifstream in(std::filesystem::path(boost::nowide::widen(path)));
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    return line;
}

ApiFailure last_error(std::string api, std::string object) {
    return ApiFailure{std::move(api), std::move(object), make_win32_error(::GetLastError())};
}

// Closes with the result checked: a handle that cannot be closed is something left behind. Such a
// handle exists only once user32 was loaded, so the table is there.
void close_checked(w::unique_hdesk& d, const std::string& what, std::vector<std::string>& left) {
    if (!d) return;
    std::error_code ec;
    ApiFailure failure;
    const auto* u = w::user32(ec, &failure);
    if (!u) left.push_back(failure.describe());
    else if (!u->CloseDesktop(d.release())) left.push_back(last_error("CloseDesktop", what).describe());
}
void close_checked(w::unique_hwinsta& s, const std::string& what, std::vector<std::string>& left) {
    if (!s) return;
    std::error_code ec;
    ApiFailure failure;
    const auto* u = w::user32(ec, &failure);
    if (!u) left.push_back(failure.describe());
    else if (!u->CloseWindowStation(s.release())) left.push_back(last_error("CloseWindowStation", what).describe());
}

// Starts `program` (default: the probe) on `spec` (lpDesktop), waits (checking for Ctrl+C and the
// timeout), and reads its output: the first line into `report`, all of it into `output`.
ChildRun run_child(const Ctx& c, const std::optional<std::string>& spec, const std::string& program,
                   std::vector<std::string> args) {
    ChildRun r;
    const auto out = temp_file("child");
    LaunchRequest request;
    request.program = program.empty() ? c.probe : program;
    request.args = std::move(args);
    request.desktop = spec;
    request.check = CheckPolicy::none;
    request.error_ui = kChildErrorUi;
    request.stdio.in.kind = StdStream::Kind::null;
    request.stdio.out = {StdStream::Kind::file, out, false};
    request.stdio.err.kind = StdStream::Kind::null;
    std::error_code ec;
    LaunchFailure failure;
    auto child = w::launch_process(request, ec, &failure);
    if (ec) {
        r.notes.push_back("launch failed: " + failure.failure.describe());
        return r;
    }
    r.error_mode = child.error_mode();
    auto tracked = std::make_unique<TrackedChild>(child.native_handle());
    const auto deadline = Clock::now() + std::chrono::milliseconds(c.o.child_timeout_ms);
    for (;;) {
        const auto code = child.wait_for(kPoll, ec);
        if (ec) {
            r.notes.push_back("waiting for the child failed: " + ec.message());
            child.terminate(kEndedByUs, ec);
            break;
        }
        if (code) {
            r.code = *code;
            break;
        }
        if (interrupted() || Clock::now() > deadline) {
            r.notes.push_back(interrupted() ? "child ended: interrupted"
                                            : fmt::format("child ended after {} ms (timeout)", c.o.child_timeout_ms));
            child.terminate(kEndedByUs, ec);
            break;
        }
    }
    tracked.reset();  // before the handle it duplicated is closed
    child = w::Child();
    if (auto line = first_line(out); !line.empty()) r.report = std::move(line);
    {
        std::ifstream in(std::filesystem::path(boost::nowide::widen(out)), std::ios::binary);
        std::ostringstream all;
        all << in.rdbuf();
        r.output = all.str();
    }
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    return r;
}

// The library's pre-flight for the same launch, as the safe launch call would run it.
void run_preflight(const Ctx& c, PhaseRecord& p, const std::string& spec, CheckPolicy policy) {
#ifdef DESKHEAP_REPRO_HAVE_PREFLIGHT
    LaunchRequest request;
    request.program = c.probe;
    request.desktop = spec;
    request.check = policy;
    w::SafeLaunchOptions options;
    options.probe_path = c.probe;
    options.read_events = false;
    try {
        std::error_code ec;
        ApiFailure failure;
        const auto pre = w::preflight(request, options, ec, &failure);
        if (ec) {
            p.preflight_error = failure.api.empty() ? ec.message() : failure.describe();
            return;
        }
        p.preflight_verdict = std::string(to_string(pre.analysis.verdict));
        for (const auto& f : pre.analysis.preflight)
            if (f.severity != Severity::info) p.preflight_findings.push_back(f.id);
    } catch (const std::exception& e) {
        p.preflight_error = e.what();
    }
#else
    (void)c;
    (void)spec;
    (void)policy;
    p.preflight_error = "safelaunch::win32::preflight is not in this build";
#endif
}

// Win32k events 243/244 and popup events 26 logged since the run began (plus a minute of clock slack).
void read_events(const Ctx& c, PhaseRecord& p) {
    const auto window = std::chrono::seconds(ms_since(c.started) / 1000 + 60);
    std::error_code ec;
    ApiFailure failure;
    const auto events = w::query_start_failure_events(std::chrono::duration_cast<std::chrono::seconds>(window), ec,
                                                     &failure);
    if (ec) {
        p.notes.push_back("events 243/244/26 not readable: " + failure.describe());
        return;
    }
    for (const auto& e : events) p.events.push_back(e.id);
}

// "connected to S\\D" from the probe's line, for the honest note on what the child did.
std::string where_it_ran(const PhaseRecord& p) {
    if (!p.child_report) return "(no report)";
    const auto j = nlohmann::json::parse(*p.child_report, nullptr, false);
    if (j.is_discarded() || !j.contains("station") || !j.contains("desktop")) return "(unreadable report)";
    return j["station"].get<std::string>() + "\\" + j["desktop"].get<std::string>();
}

// Issue 12: safelaunch itself, started on the filled desktop, must survive it. It imports no user32,
// so `check` loads user32 only when it reads the desktop; if that load fails (1114), it reports
// self.desktop.connect_failed instead of dying with 0xC0000142 before main.
void check_safelaunch_survives(const Ctx& c, PhaseRecord& p, const std::string& spec) {
    const auto tool = exe_dir() + "\\safelaunch.exe";
    if (::GetFileAttributesW(boost::nowide::widen(tool).c_str()) == INVALID_FILE_ATTRIBUTES) {
        p.notes.push_back("safelaunch.exe is not beside deskheap-repro: its own survival was not checked");
        return;
    }
    c.say(fmt::format("{}: {}: safelaunch check on {} (it must not die of it)", p.scenario, p.name, spec));
    auto run = run_child(c, spec, tool, {"check", "--json"});
    p.self_check_exit_code = run.code;
    p.self_check_reported = run.output.find("self.desktop.connect_failed") != std::string::npos;
    const bool heap_was_full = p.child_exit_code && explain_exit_code(*p.child_exit_code).dll_init_failure;
    if (run.code && explain_exit_code(*run.code).dll_init_failure) {
        p.problem = fmt::format("safelaunch itself died of the full desktop ({}) instead of reporting "
                                "self.desktop.connect_failed",
                                describe_exit_code(*run.code));
        p.ok = false;
    } else if (heap_was_full && !*p.self_check_reported) {
        p.problem = fmt::format("safelaunch check on the full desktop did not report self.desktop.connect_failed ({})",
                                run.code ? describe_exit_code(*run.code) : std::string("not started"));
        p.ok = false;
    } else if (!heap_was_full) {
        p.notes.push_back(fmt::format("safelaunch check on this desktop: {} (the child did not fail, so no "
                                      "self.desktop.connect_failed was expected)",
                                      run.code ? describe_exit_code(*run.code) : std::string("not started")));
    }
}

// One phase: pre-flight, then the child, then the verdict on both.
PhaseRecord run_phase(const Ctx& c, std::string scenario, std::string name, Expect expect, const std::string& spec,
                      CheckPolicy policy, HDESK desktop) {
    PhaseRecord p;
    p.scenario = std::move(scenario);
    p.name = std::move(name);
    p.expected = expect;
    p.preflight_expected = expect == Expect::success ? "ok" : "blocked";
    const auto t0 = Clock::now();
    c.say(fmt::format("{}: {}: pre-flight, then safelaunch-probe on {}", p.scenario, p.name, spec));
    run_preflight(c, p, spec, policy);
    auto child = run_child(c, spec);
    p.child_exit_code = child.code;
    p.child_report = std::move(child.report);
    p.child_error_mode = std::move(child.error_mode);
    for (auto& n : child.notes) p.notes.push_back(std::move(n));
    // Wine connects a child it denies to another desktop instead of ending it: say so.
    if (p.child_report && where_it_ran(p) != spec) p.notes.push_back("the child connected to " + where_it_ran(p) + ", not " + spec);
    if (desktop) {
        std::error_code ec;
        const auto kb = w::desktop_heap_kb(desktop, ec);
        if (!ec) p.heap_kb = kb;
    }
    p.duration_ms = ms_since(t0);
    p.ok = p.child_as_expected() && p.preflight_matches() != false;
    c.say(fmt::format("{}: {}: child {}", p.scenario, p.name,
                      p.child_exit_code ? describe_exit_code(*p.child_exit_code) : std::string("not started")));
    return p;
}

ScenarioResult setup_error(ScenarioResult s, const ApiFailure& failure) {
    s.outcome = Outcome::error;
    s.reason = "setup failed: " + failure.describe();
    return s;
}

ScenarioResult missing_probe(ScenarioResult s, const Ctx& c) {
    s.outcome = Outcome::error;
    s.reason = fmt::format("the child program is missing: {} (build safelaunch_probe, or pass --probe)", c.probe);
    return s;
}

void finish(ScenarioResult& s) {
    if (!s.reason.empty()) return;  // an error or a skip was already decided
    s.outcome = outcome_of_phases(s.phases);
    if (s.outcome == Outcome::reproduced) {
        s.reason = "control started, failure died with 0xC0000142, recovery started again; pre-flight agreed";
        return;
    }
    std::vector<std::string> problems;
    for (const auto& p : s.phases) {
        if (p.ok) continue;
        if (!p.child_as_expected())
            problems.push_back(fmt::format("{}: expected {}, child {}", p.name,
                                           p.expected == Expect::success ? "exit 0" : "0xC0000142",
                                           p.child_exit_code ? exit_code_hex(*p.child_exit_code) : "not started"));
        else if (p.problem)
            problems.push_back(fmt::format("{}: {}", p.name, *p.problem));
        else
            problems.push_back(fmt::format("{}: pre-flight said {}, expected {}", p.name, *p.preflight_verdict,
                                           p.preflight_expected));
    }
    s.reason = fmt::format("{}", fmt::join(problems, "; "));
}

std::optional<ScenarioResult> fill_preconditions(ScenarioResult& s, const Ctx& c, bool need_bounded_heap) {
    if (need_bounded_heap) {
        std::error_code uec;
        ApiFailure uf;
        const auto* u = w::user32(uec, &uf);
        if (!u) return skipped(std::move(s), "cannot bound desktop heap here: " + uf.describe());
        if (!u->CreateDesktopExW)
            return skipped(std::move(s), "cannot bound desktop heap here: user32.dll does not export CreateDesktopExW");
    }
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    if (!file_exists(c.filler)) {
        s.outcome = Outcome::error;
        s.reason = fmt::format("the filler program is missing: {} (build the deskheap-filler target)", c.filler);
        return std::move(s);
    }
    return std::nullopt;
}

ScenarioResult skipped(ScenarioResult s, std::string reason) {
    s.outcome = Outcome::skipped;
    s.reason = std::move(reason);
    return s;
}

// The scenario's station (unnamed, see private_station.hpp) and the spec of its desktop `desk`.
// nullopt: `s` holds the refusal (77, elevation) or the setup error.
std::optional<PrivateStation> open_station(ScenarioResult& s, const std::string& scenario) {
    StationRefusal refusal = StationRefusal::none;
    std::string why;
    auto station = create_private_station(object_prefix() + scenario, refusal, why);
    if (!station) {
        s.outcome = refusal == StationRefusal::needs_elevation ? Outcome::skipped : Outcome::error;
        s.reason = (refusal == StationRefusal::needs_elevation ? "refused here: " : "setup failed: ") + why;
        return std::nullopt;
    }
    s.station = station->name;
    return station;
}

}  // namespace detail

namespace {

using namespace detail;

// ---------------------------------------------------------------------------------------------
// heap

// CreateDesktopExW returns the existing desktop when the name is taken, with its old heap: the
// heap counts as bounded only when UOI_HEAPSIZE reads back what was asked.
std::optional<std::string> heap_mismatch(HDESK desktop, std::uint32_t requested_kb, std::vector<std::string>& notes) {
    std::error_code ec;
    ApiFailure failure;
    const auto kb = w::desktop_heap_kb(desktop, ec, &failure);
    if (ec) {
        notes.push_back("UOI_HEAPSIZE not readable, the heap size is not confirmed: " + failure.describe());
        return std::nullopt;
    }
    if (kb == requested_kb) return std::nullopt;
    return fmt::format("the desktop's heap is {} KB, not the {} KB asked for (an existing desktop was reused?)", kb,
                       requested_kb);
}

ScenarioResult run_heap(const Ctx& c) {
    ScenarioResult s;
    s.name = "heap";
    s.heap_kb_requested = c.o.heap_kb;
    // Under Wine only an explicit small bound runs the mechanics: there is no heap to exhaust, and
    // filling Wine's user-handle table crashes wineserver.
    const bool wine_mechanics = c.wine && c.o.max_objects && *c.o.max_objects <= kWineFillBound;
    if (c.wine && !wine_mechanics)
        return skipped(std::move(s), fmt::format("Wine {} has no desktop heap to exhaust (and filling its user-handle "
                                                 "table crashes wineserver): stopped before creating anything",
                                                 *c.wine));
    if (auto refused = fill_preconditions(s, c, !wine_mechanics)) return std::move(*refused);

    auto station = open_station(s, "heap");
    if (!station) return s;
    const std::string desk_name = object_prefix() + "heap";
    const std::string spec = station->name + "\\" + desk_name;
    std::error_code ec;
    ApiFailure failure;
    auto created = w::create_desktop(station->handle.get(), desk_name, c.o.heap_kb, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    s.desktops.push_back(desk_name);
    std::vector<std::string> heap_notes = station->notes;
    if (created.heap_note) heap_notes.push_back(*created.heap_note);
    std::optional<std::string> mismatch;
    if (created.heap_bounded) mismatch = heap_mismatch(created.desktop.get(), c.o.heap_kb, heap_notes);
    if (mismatch) {
        s.outcome = Outcome::error;
        s.reason = "setup failed: " + *mismatch;
    } else if (!created.heap_bounded && !wine_mechanics) {
        s.outcome = Outcome::skipped;
        s.reason = "cannot bound desktop heap here: " + created.heap_note.value_or("CreateDesktopExW not used");
    } else {
        const HDESK desk = created.desktop.get();
        s.phases.push_back(run_phase(c, "heap", "control", Expect::success, spec, CheckPolicy::canary, desk));
        for (auto& n : heap_notes) s.phases.back().notes.push_back(std::move(n));
        if (!interrupted()) {
            const auto t0 = Clock::now();
            const auto bound = c.o.max_objects.value_or(kDefaultMaxFillObjects);
            c.say(fmt::format("heap: deskheap-filler fills {} ({} KB) with windows, menus and strings", spec,
                              c.o.heap_kb));
            FillerProcess filler;
            std::string why;
            const auto fill = filler.fill(c.filler, spec, bound,
                                          [&c](std::uint64_t seconds) { c.say(fmt::format("heap: filling ({} s)", seconds)); },
                                          why);
            if (!fill) {
                s.outcome = Outcome::error;
                s.reason = fmt::format("setup failed: the filler on {}: {}", spec, why);
            } else if (fill->station + "\\" + fill->desktop != spec) {
                s.outcome = Outcome::error;
                s.reason = fmt::format("setup failed: the filler ran on {}\\{}, not on {}", fill->station, fill->desktop,
                                       spec);
            } else {
                c.say(fmt::format("heap: filler holds {} objects, stopped by {}", fill->total(), fill->describe_stop()));
                auto p = run_phase(c, "heap", "failure", Expect::dll_init_failed, spec, CheckPolicy::canary, desk);
                p.objects_created = fill->total();
                p.filler_stop = fill->describe_stop();
                p.notes.push_back(fmt::format("filler (a process on {}): {} windows, {} menus, {} 8-character and {} "
                                              "1-character items, {} empty menus",
                                              spec, fill->windows, fill->menus, fill->strings, fill->short_strings,
                                              fill->tiny_menus));
                if (fill->hit_handle_quota)
                    p.notes.push_back("the per-process USER handle quota ran out before the desktop heap: "
                                      "try a smaller --heap-kb");
                check_safelaunch_survives(c, p, spec);
                read_events(c, p);
                p.duration_ms = ms_since(t0);
                s.phases.push_back(std::move(p));
                c.say(fmt::format("heap: releasing the filler's {} objects", fill->total()));
            }
            std::string release_why;
            const auto released = filler.release(release_why);
            if (s.phases.size() == 2) {
                if (released == 0u) s.phases.back().notes.push_back("filler released its objects and exited 0");
                else s.phases.back().notes.push_back("filler release: " + release_why);
            }
            if (s.reason.empty() && released != 0u) {
                s.outcome = Outcome::error;
                s.reason = "cleanup failed: " + release_why;
            }
            if (s.reason.empty() && !interrupted())
                s.phases.push_back(run_phase(c, "heap", "recovery", Expect::success, spec, CheckPolicy::canary, desk));
        }
    }
    close_checked(created.desktop, "desktop " + spec, s.left_behind);
    close_checked(station->handle, "window station " + station->name, s.left_behind);
    finish(s);
    if (wine_mechanics && s.outcome != Outcome::error) {
        // Wine neither bounds the heap nor denies the child: only the mechanics can be shown.
        std::uint64_t objects = s.phases.size() > 1 ? s.phases[1].objects_created : 0;
        s.outcome = Outcome::skipped;
        s.reason = fmt::format("mechanics only: Wine {} has no desktop heap, so a bounded fill ({} objects, --max-objects "
                               "{}) cannot exhaust it; unnamed station, desktop, filler process on it, release and "
                               "cleanup ran",
                               *c.wine, objects, *c.o.max_objects);
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// acl

std::string access_note(const char* when, const w::AccessCheckResult& a) {
    return fmt::format("{}: AccessCheck of the child's token for 0x{:X} on the desktop: {} (granted 0x{:X}, maximum 0x{:X})",
                       when, a.desired, a.all_granted ? "granted" : "denied", a.granted, a.maximum_allowed);
}

// The failure phase's DACL. The child runs as our own user, who is the desktop's owner (or, when
// elevated, in Administrators, the owner then): an owner implicitly has READ_CONTROL | WRITE_DAC
// ("Owner of a New Object"), and the child's connection opens the desktop with MAXIMUM_ALLOWED.
// An OWNER RIGHTS (S-1-3-4) ACE replaces those implicit rights: the owner gets READ_CONTROL alone,
// which keeps the pre-flight (our own token) able to read the DACL, and nothing user32 asks for.
// SYSTEM keeps full access so the desktop is never unmanageable.
constexpr char kLockedDacl[] = "D:P(A;;RC;;;S-1-3-4)(A;;GA;;;SY)";

ScenarioResult run_acl(const Ctx& c) {
    ScenarioResult s;
    s.name = "acl";
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    std::error_code ec;
    ApiFailure failure;
    auto token = w::duplicate_own_token(true, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    const auto facts = w::gather_token_facts(token.get(), ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    auto station = open_station(s, "acl");
    if (!station) return s;
    const std::string desk_name = object_prefix() + "acl";
    const std::string spec = station->name + "\\" + desk_name;
    auto created = w::create_desktop(station->handle.get(), desk_name, std::nullopt, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    s.desktops.push_back(desk_name);
    const HDESK desk = created.desktop.get();
    auto check = [&](const char* when, PhaseRecord& p) {
        std::error_code e;
        ApiFailure f;
        const auto a = w::access_check(token.get(), desk, kDesktopRightsNeeded, ObjectKind::desktop, e, &f);
        if (e) {
            p.notes.push_back(std::string(when) + ": AccessCheck failed: " + f.describe());
            return std::optional<w::AccessCheckResult>();
        }
        p.notes.push_back(access_note(when, a));
        return std::optional<w::AccessCheckResult>(a);
    };

    // The pre-flight runs the canary: the lock leaves the child READ_CONTROL (the OWNER RIGHTS ACE),
    // so the access check alone only warns (issue 10, M3: only "granted nothing" blocks) and the
    // canary, the same user32 program as the child, decides.
    // control: the desktop's default DACL (the creator's default DACL) gives the user the rights.
    auto control = run_phase(c, "acl", "control", Expect::success, spec, CheckPolicy::canary, desk);
    for (const auto& n : station->notes) control.notes.push_back(n);
    check("control", control);
    s.phases.push_back(std::move(control));

    const auto original = w::get_sddl(desk, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    if (!interrupted()) {
        // Our handle keeps WRITE_DAC (granted at creation) for the grant and the restore below.
        w::set_dacl_from_sddl(desk, kLockedDacl, ec, &failure);
        if (ec) {
            close_checked(created.desktop, "desktop " + spec, s.left_behind);
            close_checked(station->handle, "window station " + station->name, s.left_behind);
            return setup_error(std::move(s), failure);
        }
        auto p = run_phase(c, "acl", "failure", Expect::dll_init_failed, spec, CheckPolicy::canary, desk);
        p.notes.push_back(std::string("desktop DACL set to ") + kLockedDacl +
                          " (OWNER RIGHTS: the owner, i.e. the child's user, gets READ_CONTROL only)");
        const auto a = check("failure", p);
        if (a && a->all_granted) {
            s.outcome = Outcome::error;
            s.reason = "setup failed: the locked DACL did not take (AccessCheck still grants the rights)";
        } else if (a) {
            // What the child's MAXIMUM_ALLOWED open gets beyond READ_CONTROL: the owner's implicit
            // rights where OWNER RIGHTS is not honoured.
            const auto beyond = a->maximum_allowed & ~static_cast<std::uint32_t>(READ_CONTROL);
            if (beyond != 0)
                p.notes.push_back(fmt::format("the child's token still gets 0x{:X} beyond READ_CONTROL: OWNER RIGHTS "
                                              "(S-1-3-4) not honoured here",
                                              beyond));
        }
        s.phases.push_back(std::move(p));
    }

    // recovery: the library's grant gives the logon SID (else the user) the rights back.
    if (!interrupted() && s.reason.empty()) {
        w::GrantRequest request{spec, facts.logon_sid.value_or(facts.user_sid), rights::kUser32DesktopBaseline,
                                !facts.logon_sid.has_value()};
        auto grant = w::grant_access(desk, request, ec, &failure);
        if (ec) {
            s.outcome = Outcome::error;
            s.reason = "setup failed: " + failure.describe();
        } else {
            auto p = run_phase(c, "acl", "recovery", Expect::success, spec, CheckPolicy::canary, desk);
            p.notes.push_back(fmt::format("granted 0x{:X} to {} (ScopedGrant)", grant.mask(), grant.sid()));
            check("recovery", p);
            grant.revert(ec, &failure);
            if (ec) s.left_behind.push_back("grant not reverted: " + failure.describe());
            else p.notes.push_back("grant reverted");
            s.phases.push_back(std::move(p));
        }
    }
    // Undo our DACL change too, where there was a DACL to go back to (Wine's new desktops have no
    // descriptor at all; the desktop is destroyed with our handle just below anyway).
    if (original.sd_present && original.sddl.find("D:") != std::string::npos) {
        w::set_dacl_from_sddl(desk, original.sddl, ec, &failure);
        if (ec) s.left_behind.push_back("original DACL not restored: " + failure.describe());
    }
    close_checked(created.desktop, "desktop " + spec, s.left_behind);
    close_checked(station->handle, "window station " + station->name, s.left_behind);
    finish(s);

    // Wine lets a denied child fall back to a default desktop: a platform limit, not a miss.
    if (c.wine && s.outcome == Outcome::not_reproduced && s.phases.size() == 3 && s.phases[0].ok &&
        s.phases[2].ok && s.phases[1].child_exit_code == 0u) {
        s.outcome = Outcome::skipped;
        s.reason = fmt::format(
            "not reproduced on this platform: Wine {} does not deny a child its desktop (with the DACL denying it, "
            "the child connected to {} and exited 0); the mechanics ran: DACL set, AccessCheck denied, grant, "
            "revert, cleanup{}",
            *c.wine, where_it_ran(s.phases[1]),
            where_it_ran(s.phases[2]) == spec ? ""
                                              : "; after the grant the child still connected to " + where_it_ran(s.phases[2]));
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// pool

std::optional<DWORD> session_of_this_process() {
    DWORD session = 0;
    if (!::ProcessIdToSessionId(::GetCurrentProcessId(), &session)) return std::nullopt;
    return session;
}

// Desktop heap exhaustion, as CreateDesktop(Ex)W reports it.
bool is_out_of_heap(const std::error_code& ec) {
    return ec == make_win32_error(ERROR_NOT_ENOUGH_MEMORY) || ec == make_win32_error(ERROR_OUTOFMEMORY);
}

ScenarioResult run_pool(const Ctx& c) {
    ScenarioResult s;
    s.name = "pool";
    const std::uint32_t kb = c.o.pool_heap_kb.value_or(20480);
    s.heap_kb_requested = kb;
    if (c.wine)
        return skipped(std::move(s),
                       fmt::format("Wine {} has no session desktop-heap pool and creates missing desktops silently; "
                                   "creating desktops until failure would only fill wineserver's tables: stopped "
                                   "before creating anything",
                                   *c.wine));
    if (const auto session = session_of_this_process(); !session || *session == 0)
        return skipped(std::move(s), session ? "refused in session 0: exhausting the services' session desktop-heap "
                                               "pool makes service starts fail system-wide while it runs; run it in "
                                               "an interactive session"
                                             : "refused: the session of this process could not be read "
                                               "(ProcessIdToSessionId), and session 0 must not be exhausted");
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    auto station = open_station(s, "pool");
    if (!station) return s;
    const std::string prefix = object_prefix() + "pool-";
    // A fresh desktop name for every launch: CreateDesktopExW would return an existing one.
    auto child_desktop = [&](const char* phase) {
        s.desktops.push_back(prefix + "child-" + phase);
        return s.desktops.back();
    };
    std::error_code ec;
    ApiFailure failure;

    // control: the desktop the launch needs can be created, and the child starts on it.
    {
        const auto name = child_desktop("control");
        auto d = w::create_desktop(station->handle.get(), name, kb, std::nullopt, ec, &failure);
        if (ec) return setup_error(std::move(s), failure);
        s.phases.push_back(run_phase(c, "pool", "control", Expect::success, station->name + "\\" + name,
                                     CheckPolicy::fast, d.desktop.get()));
        close_checked(d.desktop, "desktop " + name, s.left_behind);
    }

    std::vector<w::CreatedDesktop> pool;
    const auto bound = c.o.max_objects.value_or(kDefaultMaxPoolDesktops);
    if (!interrupted()) {
        const auto t0 = Clock::now();
        c.say(fmt::format("pool: creating {} KB desktops in {} until one cannot be created (at most {})", kb,
                          station->name, bound));
        std::string stop = "the --max-objects bound (no failure)";
        std::error_code stop_ec;
        while (pool.size() < bound) {
            if (interrupted()) {
                stop = "interrupted";
                break;
            }
            const auto name = fmt::format("{}fill-{}", prefix, pool.size());
            auto d = w::create_desktop(station->handle.get(), name, kb, std::nullopt, ec, &failure);
            if (ec) {
                stop = failure.describe();
                stop_ec = ec;
                break;
            }
            pool.push_back(std::move(d));
            if (pool.size() % 50 == 0) c.say(fmt::format("pool: {} desktops", pool.size()));
        }
        c.say(fmt::format("pool: stopped after {} desktops: {}", pool.size(), stop));
        // failure: the launch needs a new desktop, which can no longer be created.
        const auto name = child_desktop("failure");
        auto d = w::create_desktop(station->handle.get(), name, kb, std::nullopt, ec, &failure);
        const std::string creation = ec ? "its creation failed: " + failure.describe() : "it could still be created";
        auto p = run_phase(c, "pool", "failure", Expect::dll_init_failed, station->name + "\\" + name,
                           CheckPolicy::fast, d.desktop.get());
        p.objects_created = pool.size();
        p.filler_stop = stop;
        p.notes.push_back("the launch needed desktop " + name + ": " + creation);
        read_events(c, p);
        // Only heap exhaustion counts: any other reason (access denied, the bound) proves nothing.
        const bool event_244 = std::find(p.events.begin(), p.events.end(), 244u) != p.events.end();
        const bool exhausted = (stop_ec && is_out_of_heap(stop_ec)) || (ec && is_out_of_heap(ec)) || event_244;
        if (!exhausted) {
            p.ok = false;
            p.problem = "not desktop-heap exhaustion: creation did not fail with ERROR_NOT_ENOUGH_MEMORY or "
                        "ERROR_OUTOFMEMORY, and no event 244 was logged";
        }
        p.duration_ms = ms_since(t0);
        close_checked(d.desktop, "desktop " + name, s.left_behind);
        s.phases.push_back(std::move(p));
    }
    c.say(fmt::format("pool: releasing {} desktops", pool.size()));
    for (std::size_t i = pool.size(); i-- > 0;)
        close_checked(pool[i].desktop, fmt::format("desktop {}fill-{}", prefix, i), s.left_behind);
    pool.clear();

    if (!interrupted() && s.phases.size() == 2) {
        const auto name = child_desktop("recovery");
        auto d = w::create_desktop(station->handle.get(), name, kb, std::nullopt, ec, &failure);
        if (ec) {
            s.outcome = Outcome::error;
            s.reason = "recovery: the desktop still cannot be created after releasing the pool: " + failure.describe();
        } else {
            s.phases.push_back(run_phase(c, "pool", "recovery", Expect::success, station->name + "\\" + name,
                                         CheckPolicy::fast, d.desktop.get()));
            close_checked(d.desktop, "desktop " + name, s.left_behind);
        }
    }
    close_checked(station->handle, "window station " + station->name, s.left_behind);
    finish(s);
    return s;
}

// Trust, but verify: nothing of ours may outlive its scenario. The stations may be shared (and
// live on), so what is checked is every desktop named with our prefix in them, and any station
// named with it (the named fallback).
void verify_cleanup(RunReport& report) {
    if (report.scenarios.empty()) return;
    const auto prefix = object_prefix();
    std::vector<std::string> left;
    std::error_code ec;
    const auto stations = w::enumerate_window_stations(ec);
    if (!ec)
        for (const auto& st : stations)
            if (st.rfind(prefix, 0) == 0) left.push_back("window station " + st + " still exists");
    std::vector<std::string> checked;
    for (const auto& s : report.scenarios) {
        if (!s.station || std::find(checked.begin(), checked.end(), *s.station) != checked.end()) continue;
        checked.push_back(*s.station);
        auto station = w::open_window_station(*s.station, WINSTA_ENUMDESKTOPS, ec);
        if (ec) continue;  // gone (or not ours to open): nothing of ours can be in it
        const auto desktops = w::enumerate_desktops(station.get(), ec);
        if (ec) continue;
        for (const auto& d : desktops)
            if (d.rfind(prefix, 0) == 0) left.push_back("desktop " + *s.station + "\\" + d + " still exists");
    }
    if (left.empty()) return;
    auto& last = report.scenarios.back();
    for (auto& l : left) last.left_behind.push_back(l);
    last.outcome = Outcome::error;
    last.reason = "cleanup failed: " + left.front();
}

ScenarioResult guarded(const char* name, ScenarioResult (*run)(const Ctx&), const Ctx& c) {
    try {
        return run(c);
    } catch (const std::exception& e) {
        ScenarioResult s;
        s.name = name;
        s.outcome = Outcome::error;
        s.reason = std::string("failed: ") + e.what();
        return s;
    }
}

}  // namespace

std::string object_prefix() { return fmt::format("deskheap-repro-{}-", ::GetCurrentProcessId()); }

RunReport run_scenarios(const Options& options, const Progress& progress) {
    RunReport report;
    report.scenario = options.scenario;
    const auto os = w::gather_os_facts();
    report.platform.os = fmt::format("{}{}{}.{}.{}", os.product, os.product.empty() ? "" : " ", os.major, os.minor, os.build);
    report.platform.build = os.build;
    report.platform.wine = w::wine_version();

    const auto dir = exe_dir();
    Ctx c{options, progress, options.probe.empty() ? dir + "\\safelaunch-probe.exe" : options.probe,
          dir + "\\deskheap-filler.exe", report.platform.wine};
    std::vector<std::pair<const char*, ScenarioResult (*)(const Ctx&)>> todo;
    if (options.scenario == "heap" || options.scenario == "all") todo.emplace_back("heap", run_heap);
    if (options.scenario == "acl" || options.scenario == "all") todo.emplace_back("acl", run_acl);
    if (options.scenario == "pool") todo.emplace_back("pool", run_pool);
    if (options.scenario == "private") todo.emplace_back("private", detail::run_private);
    if (options.scenario == "admission") todo.emplace_back("admission", detail::run_admission);
    for (const auto& [name, run] : todo) {
        if (interrupted()) break;
        report.scenarios.push_back(guarded(name, run, c));
    }
    report.interrupted = interrupted();
    verify_cleanup(report);
    return report;
}

}  // namespace safelaunch::repro
