#include "scenarios.hpp"

#include "filler.hpp"
#include "interrupt.hpp"

#include "safelaunch/access_rights.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/grant.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
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

namespace safelaunch::repro {
namespace {

namespace w = safelaunch::win32;
using Clock = std::chrono::steady_clock;

constexpr char kDesktopName[] = "repro";
constexpr auto kPoll = std::chrono::milliseconds(100);
// Exit code of a child we end (timeout, Ctrl+C): ERROR_CANCELLED, never mistaken for 0xC0000142.
constexpr std::uint32_t kEndedByUs = ERROR_CANCELLED;

std::uint64_t ms_since(Clock::time_point t0) {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count());
}

struct Ctx {
    const Options& o;
    const Progress& progress;
    std::string probe;
    std::optional<std::string> wine;
    Clock::time_point started = Clock::now();

    void say(std::string_view line) const {
        if (progress) progress(line);
    }
};

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

// Closes with the result checked: a handle that cannot be closed is something left behind.
void close_checked(w::unique_hdesk& d, const std::string& what, std::vector<std::string>& left) {
    if (!d) return;
    if (!::CloseDesktop(d.release())) left.push_back(last_error("CloseDesktop", what).describe());
}
void close_checked(w::unique_hwinsta& s, const std::string& what, std::vector<std::string>& left) {
    if (!s) return;
    if (!::CloseWindowStation(s.release())) left.push_back(last_error("CloseWindowStation", what).describe());
}

struct ChildRun {
    std::optional<std::uint32_t> code;
    std::optional<std::string> report;  // the probe's JSON line
    std::vector<std::string> notes;
};

// Starts the probe on `spec` (lpDesktop), waits (checking for Ctrl+C and the timeout), and reads
// its one line of output.
ChildRun run_child(const Ctx& c, const std::string& spec) {
    ChildRun r;
    const auto out = temp_file("child");
    LaunchRequest request;
    request.program = c.probe;
    request.desktop = spec;
    request.check = CheckPolicy::none;
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
    track_child(child.native_handle());
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
    track_child(nullptr);
    child = w::Child();
    if (auto line = first_line(out); !line.empty()) r.report = std::move(line);
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

// Win32k events 243/244 logged since the run began (plus a minute of clock slack).
void read_events(const Ctx& c, PhaseRecord& p) {
    const auto window = std::chrono::seconds(ms_since(c.started) / 1000 + 60);
    std::error_code ec;
    ApiFailure failure;
    const auto events = w::query_desktop_heap_events(std::chrono::duration_cast<std::chrono::seconds>(window), ec,
                                                     &failure);
    if (ec) {
        p.notes.push_back("events 243/244 not readable: " + failure.describe());
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
        else
            problems.push_back(fmt::format("{}: pre-flight said {}, expected {}", p.name, *p.preflight_verdict,
                                           p.preflight_expected));
    }
    s.reason = fmt::format("{}", fmt::join(problems, "; "));
}

// ---------------------------------------------------------------------------------------------
// heap

ScenarioResult run_heap(const Ctx& c) {
    ScenarioResult s;
    s.name = "heap";
    s.heap_kb_requested = c.o.heap_kb;
    if (c.wine) {
        s.outcome = Outcome::skipped;
        s.reason = fmt::format(
            "Wine {} has no desktop heap to exhaust (and filling its user-handle table crashes wineserver): "
            "stopped before creating anything",
            *c.wine);
        return s;
    }
    if (!::GetProcAddress(::GetModuleHandleW(L"user32.dll"), "CreateDesktopExW")) {
        s.outcome = Outcome::skipped;
        s.reason = "cannot bound desktop heap here: user32.dll does not export CreateDesktopExW";
        return s;
    }
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);

    const std::string station_name = object_prefix() + "heap";
    const std::string spec = station_name + "\\" + kDesktopName;
    std::error_code ec;
    ApiFailure failure;
    auto station = w::create_window_station(station_name, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    auto created = w::create_desktop(station.get(), kDesktopName, c.o.heap_kb, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    if (!created.heap_bounded) {
        s.outcome = Outcome::skipped;
        s.reason = "cannot bound desktop heap here: " + created.heap_note.value_or("CreateDesktopExW not used");
    } else {
        const HDESK desk = created.desktop.get();
        s.phases.push_back(run_phase(c, "heap", "control", Expect::success, spec, CheckPolicy::canary, desk));
        if (!interrupted()) {
            const auto t0 = Clock::now();
            FillOptions fo;
            fo.max_objects = c.o.max_objects;
            fo.progress = [&c](const FillResult& r) {
                c.say(fmt::format("heap: filling: {} objects ({} windows, {} menus, {} strings)", r.total(), r.windows,
                                  r.menus, r.strings));
            };
            DesktopFiller filler(station.get(), desk, fo);
            c.say(fmt::format("heap: filling desktop {} ({} KB) with windows, menus and strings", spec, c.o.heap_kb));
            const auto fill = filler.fill();
            c.say(fmt::format("heap: filler stopped after {} objects: {}", fill.total(), fill.describe_stop()));
            if (!fill.attached) {
                s.outcome = Outcome::error;
                s.reason = fmt::format("setup failed: the filler thread could not attach to {}: {}", spec,
                                       fill.describe_stop());
            } else {
                auto p = run_phase(c, "heap", "failure", Expect::dll_init_failed, spec, CheckPolicy::canary, desk);
                p.objects_created = fill.total();
                p.filler_stop = fill.describe_stop();
                p.notes.push_back(fmt::format("filler: {} windows, {} menus, {} strings{}", fill.windows, fill.menus,
                                              fill.strings,
                                              fill.attach_switched_station ? " (attached with the process station switched)" : ""));
                if (fill.hit_handle_quota)
                    p.notes.push_back("the per-process USER handle quota ran out before the desktop heap: "
                                      "try a smaller --heap-kb");
                read_events(c, p);
                p.duration_ms = ms_since(t0);
                s.phases.push_back(std::move(p));
                c.say(fmt::format("heap: freeing {} objects", fill.total()));
            }
            filler.release();
            if (s.reason.empty() && !interrupted())
                s.phases.push_back(run_phase(c, "heap", "recovery", Expect::success, spec, CheckPolicy::canary, desk));
        }
    }
    close_checked(created.desktop, "desktop " + spec, s.left_behind);
    close_checked(station, "window station " + station_name, s.left_behind);
    finish(s);
    return s;
}

// ---------------------------------------------------------------------------------------------
// acl

std::string access_note(const char* when, const w::AccessCheckResult& a) {
    return fmt::format("{}: AccessCheck of the child's token for 0x{:X} on the desktop: {} (granted 0x{:X}, maximum 0x{:X})",
                       when, a.desired, a.all_granted ? "granted" : "denied", a.granted, a.maximum_allowed);
}

ScenarioResult run_acl(const Ctx& c) {
    ScenarioResult s;
    s.name = "acl";
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    const std::string station_name = object_prefix() + "acl";
    const std::string spec = station_name + "\\" + kDesktopName;
    std::error_code ec;
    ApiFailure failure;
    auto token = w::duplicate_own_token(true, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    const auto facts = w::gather_token_facts(token.get(), ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    auto station = w::create_window_station(station_name, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    auto created = w::create_desktop(station.get(), kDesktopName, std::nullopt, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    const HDESK desk = created.desktop.get();
    auto check = [&](const char* when, PhaseRecord& p) {
        std::error_code e;
        ApiFailure f;
        const auto a = w::access_check(token.get(), desk, kDesktopRightsNeeded, ObjectKind::desktop, e, &f);
        if (e) {
            p.notes.push_back(std::string(when) + ": AccessCheck failed: " + f.describe());
            return std::optional<bool>();
        }
        p.notes.push_back(access_note(when, a));
        return std::optional<bool>(a.all_granted);
    };

    // control: the desktop's default DACL (the creator's default DACL) gives the user the rights.
    auto control = run_phase(c, "acl", "control", Expect::success, spec, CheckPolicy::fast, desk);
    check("control", control);
    s.phases.push_back(std::move(control));

    const auto original = w::get_sddl(desk, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);
    // failure: a protected DACL that lets the user read the descriptor and nothing else.
    const std::string locked = "D:P(A;;RC;;;" + facts.user_sid + ")";
    if (!interrupted()) {
        w::set_dacl_from_sddl(desk, locked, ec, &failure);
        if (ec) {
            close_checked(created.desktop, "desktop " + spec, s.left_behind);
            close_checked(station, "window station " + station_name, s.left_behind);
            return setup_error(std::move(s), failure);
        }
        auto p = run_phase(c, "acl", "failure", Expect::dll_init_failed, spec, CheckPolicy::fast, desk);
        p.notes.push_back("desktop DACL set to " + locked);
        if (check("failure", p) == true) {
            s.outcome = Outcome::error;
            s.reason = "setup failed: the locked DACL did not take (AccessCheck still grants the rights)";
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
            auto p = run_phase(c, "acl", "recovery", Expect::success, spec, CheckPolicy::fast, desk);
            p.notes.push_back(fmt::format("granted 0x{:X} to {} (ScopedGrant)", grant.mask(), grant.sid()));
            check("recovery", p);
            grant.revert(ec, &failure);
            if (ec) s.left_behind.push_back("grant not reverted: " + failure.describe());
            else p.notes.push_back("grant reverted");
            s.phases.push_back(std::move(p));
        }
    }
    // Undo our DACL change too, where there was a DACL to go back to (Wine's new desktops have no
    // descriptor at all; the desktop is destroyed with its station just below anyway).
    if (original.sd_present && original.sddl.find("D:") != std::string::npos) {
        w::set_dacl_from_sddl(desk, original.sddl, ec, &failure);
        if (ec) s.left_behind.push_back("original DACL not restored: " + failure.describe());
    }
    close_checked(created.desktop, "desktop " + spec, s.left_behind);
    close_checked(station, "window station " + station_name, s.left_behind);
    finish(s);

    // Wine lets a denied child fall back to WinSta0\Default: a platform limit, not a miss.
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

ScenarioResult run_pool(const Ctx& c) {
    ScenarioResult s;
    s.name = "pool";
    const std::uint32_t kb = c.o.pool_heap_kb.value_or(20480);
    s.heap_kb_requested = kb;
    if (c.wine) {
        s.outcome = Outcome::skipped;
        s.reason = fmt::format(
            "Wine {} has no session desktop-heap pool and creates missing desktops silently; creating desktops "
            "until failure would only fill wineserver's tables: stopped before creating anything",
            *c.wine);
        return s;
    }
    if (!file_exists(c.probe)) return missing_probe(std::move(s), c);
    const std::string station_name = object_prefix() + "pool";
    const std::string child_desk = "child";
    const std::string spec = station_name + "\\" + child_desk;
    std::error_code ec;
    ApiFailure failure;
    auto station = w::create_window_station(station_name, std::nullopt, ec, &failure);
    if (ec) return setup_error(std::move(s), failure);

    // control: the desktop the launch needs can be created, and the child starts on it.
    {
        auto d = w::create_desktop(station.get(), child_desk, kb, std::nullopt, ec, &failure);
        if (ec) return setup_error(std::move(s), failure);
        s.phases.push_back(run_phase(c, "pool", "control", Expect::success, spec, CheckPolicy::fast, d.desktop.get()));
        close_checked(d.desktop, "desktop " + spec, s.left_behind);
    }

    std::vector<w::CreatedDesktop> pool;
    if (!interrupted()) {
        const auto t0 = Clock::now();
        c.say(fmt::format("pool: creating {} KB desktops in {} until one cannot be created", kb, station_name));
        std::string stop = "the --max-objects bound (no failure)";
        while (pool.size() < c.o.max_objects) {
            if (interrupted()) {
                stop = "interrupted";
                break;
            }
            auto d = w::create_desktop(station.get(), fmt::format("fill-{}", pool.size()), kb, std::nullopt, ec, &failure);
            if (ec) {
                stop = failure.describe();
                break;
            }
            pool.push_back(std::move(d));
            if (pool.size() % 50 == 0) c.say(fmt::format("pool: {} desktops", pool.size()));
        }
        c.say(fmt::format("pool: stopped after {} desktops: {}", pool.size(), stop));
        // failure: the launch needs a new desktop, which can no longer be created.
        auto d = w::create_desktop(station.get(), child_desk, kb, std::nullopt, ec, &failure);
        const std::string creation = ec ? "its creation failed: " + failure.describe() : "it could still be created";
        auto p = run_phase(c, "pool", "failure", Expect::dll_init_failed, spec, CheckPolicy::fast, d.desktop.get());
        p.objects_created = pool.size();
        p.filler_stop = stop;
        p.notes.push_back("the launch needed desktop " + spec + ": " + creation);
        read_events(c, p);
        p.duration_ms = ms_since(t0);
        close_checked(d.desktop, "desktop " + spec, s.left_behind);
        s.phases.push_back(std::move(p));
    }
    c.say(fmt::format("pool: releasing {} desktops", pool.size()));
    for (std::size_t i = pool.size(); i-- > 0;)
        close_checked(pool[i].desktop, fmt::format("desktop {}\\fill-{}", station_name, i), s.left_behind);
    pool.clear();

    if (!interrupted() && s.phases.size() == 2) {
        auto d = w::create_desktop(station.get(), child_desk, kb, std::nullopt, ec, &failure);
        if (ec) {
            s.outcome = Outcome::error;
            s.reason = "recovery: the desktop still cannot be created after releasing the pool: " + failure.describe();
        } else {
            s.phases.push_back(run_phase(c, "pool", "recovery", Expect::success, spec, CheckPolicy::fast, d.desktop.get()));
            close_checked(d.desktop, "desktop " + spec, s.left_behind);
        }
    }
    close_checked(station, "window station " + station_name, s.left_behind);
    finish(s);
    return s;
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

    Ctx c{options, progress, options.probe.empty() ? exe_dir() + "\\safelaunch-probe.exe" : options.probe,
          report.platform.wine};
    std::vector<std::pair<const char*, ScenarioResult (*)(const Ctx&)>> todo;
    if (options.scenario == "heap" || options.scenario == "all") todo.emplace_back("heap", run_heap);
    if (options.scenario == "acl" || options.scenario == "all") todo.emplace_back("acl", run_acl);
    if (options.scenario == "pool") todo.emplace_back("pool", run_pool);
    for (const auto& [name, run] : todo) {
        if (interrupted()) break;
        report.scenarios.push_back(guarded(name, run, c));
    }
    report.interrupted = interrupted();

    // Trust, but verify: no station of ours may outlive its scenario.
    std::error_code ec;
    const auto stations = w::enumerate_window_stations(ec);
    if (!ec && !report.scenarios.empty()) {
        const auto prefix = object_prefix();
        for (const auto& st : stations) {
            if (st.rfind(prefix, 0) != 0) continue;
            auto& last = report.scenarios.back();
            last.left_behind.push_back("window station " + st + " still exists");
            last.outcome = Outcome::error;
            last.reason = "cleanup failed: window station " + st + " still exists";
        }
    }
    return report;
}

}  // namespace safelaunch::repro
