// The admission scenario (issue 8 part 5): the library's admission control (SafeLaunchOptions::
// admission, safelaunch/admission.hpp) on a desktop whose heap is full.
//   control:  a child starts on the empty desktop (heap bounded with CreateDesktopExW);
//   failure:  deskheap-filler fills the desktop; a child started without admission dies with
//             0xC0000142;
//   recovery: the same launch through safe_launch() with admission: the trial canary finds no
//             room, so it is held (every wait announced); on the first announced wait the filler
//             frees its objects; the next trial fits and the child starts and exits 0.
// Under Wine there is no desktop heap to fill (and filling its user-handle table crashes
// wineserver): the scenario stops with 77 before creating anything.
#include "scenario_support.hpp"

#include "filler_process.hpp"
#include "interrupt.hpp"

#include "safelaunch/admission.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <windows.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace safelaunch::repro::detail {
namespace {

using nlohmann::json;

// What the held child needs: the canary allocates this much (safelaunch-probe --alloc-kb) on the
// target desktop per trial. A few windows' worth: more than a full heap has, far less than the
// filler frees.
constexpr std::uint32_t kNeedKb = 16;

// The held launch's progress, shared between its thread (the announce callback) and ours.
struct HoldState {
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> announced;  // describe(wait) of every wait
    bool done = false;                   // safe_launch() returned
};

}  // namespace

ScenarioResult run_admission(const Ctx& c) {
    ScenarioResult s;
    s.name = "admission";
    s.heap_kb_requested = c.o.heap_kb;
    if (c.wine)
        return skipped(std::move(s), fmt::format("Wine {} has no desktop heap: a desktop cannot be filled (and filling "
                                                 "its user-handle table crashes wineserver), so no launch would be "
                                                 "held: stopped before creating anything",
                                                 *c.wine));
    if (auto refused = fill_preconditions(s, c, true)) return std::move(*refused);
    auto station = open_station(s, "admission");
    if (!station) return s;
    const std::string desk_name = object_prefix() + "admission";
    const std::string spec = station->name + "\\" + desk_name;
    std::error_code ec;
    ApiFailure failure;
    auto created = w::create_desktop(station->handle.get(), desk_name, c.o.heap_kb, std::nullopt, ec, &failure);
    if (ec) {
        close_checked(station->handle, "window station " + station->name, s.left_behind);
        return setup_error(std::move(s), failure);
    }
    s.desktops.push_back(desk_name);
    const HDESK desk = created.desktop.get();
    const auto kb_read = w::desktop_heap_kb(desk, ec, &failure);
    json details = {{"kb_needed", kNeedKb}, {"hold_ms", c.o.hold_ms}};
    if (!created.heap_bounded || ec || kb_read != c.o.heap_kb) {
        s.outcome = Outcome::error;
        s.reason = !created.heap_bounded ? "setup failed: " + created.heap_note.value_or("heap not bounded")
                   : ec ? "setup failed: UOI_HEAPSIZE not readable: " + failure.describe()
                        : fmt::format("setup failed: the desktop's heap is {} KB, not the {} KB asked for", kb_read,
                                      c.o.heap_kb);
    } else {
        // The canary pre-flight, as in the heap scenario: on the full desktop it dies like the child.
        s.phases.push_back(run_phase(c, "admission", "control", Expect::success, spec, CheckPolicy::canary, desk));
        FillerProcess filler;
        std::optional<FillReport> fill;
        if (!interrupted()) {
            c.say(fmt::format("admission: deskheap-filler fills {} ({} KB)", spec, c.o.heap_kb));
            std::string why;
            fill = filler.fill(c.filler, spec, c.o.max_objects.value_or(kDefaultMaxFillObjects),
                               [&c](std::uint64_t seconds) { c.say(fmt::format("admission: filling ({} s)", seconds)); },
                               why);
            if (!fill) {
                s.outcome = Outcome::error;
                s.reason = fmt::format("setup failed: the filler on {}: {}", spec, why);
            } else if (fill->hit_limit) {
                s.outcome = Outcome::error;
                s.reason = fmt::format("setup failed: the filler stopped at the --max-objects bound ({} objects), not "
                                       "at a full heap",
                                       fill->total());
            }
        }
        if (fill && s.reason.empty() && !interrupted()) {
            // failure: no admission, the child dies of the full heap.
            auto p = run_phase(c, "admission", "failure", Expect::dll_init_failed, spec, CheckPolicy::canary, desk);
            p.objects_created = fill->total();
            p.filler_stop = fill->describe_stop();
            read_events(c, p);
            s.phases.push_back(std::move(p));

            // recovery: admission holds the same launch; the filler frees its objects while it waits.
            PhaseRecord r;
            r.scenario = "admission";
            r.name = "recovery";
            r.expected = Expect::success;
            r.preflight_expected = "ok";
            const auto t0 = Clock::now();
            LaunchRequest request;
            request.program = c.probe;
            request.desktop = spec;
            request.check = CheckPolicy::fast;
            request.error_ui = kChildErrorUi;
            request.timeout = std::chrono::milliseconds(c.o.child_timeout_ms);
            request.stdio.in.kind = StdStream::Kind::null;
            request.stdio.out.kind = StdStream::Kind::null;
            request.stdio.err.kind = StdStream::Kind::null;
            w::SafeLaunchOptions options;
            options.probe_path = c.probe;
            options.read_events = false;
            AdmissionPolicy policy;
            policy.kb_needed = kNeedKb;
            policy.hold_timeout = std::chrono::milliseconds(c.o.hold_ms);
            policy.desktop = spec;
            options.admission = policy;
            HoldState state;
            options.admission_announce = [&state, &c, &spec](const AdmissionWait& wait) {
                const auto line = describe(wait, spec);
                c.say("admission: " + line);
                std::lock_guard lock(state.mutex);
                state.announced.push_back(line);
                state.cv.notify_all();
            };
            c.say(fmt::format("admission: safe_launch with admission ({} KB needed, hold {} ms) on the full desktop",
                              kNeedKb, c.o.hold_ms));
            w::SafeChild child;
            std::exception_ptr thrown;
            std::thread launcher([&] {
                try {
                    child = w::safe_launch(request, options);
                } catch (...) {
                    thrown = std::current_exception();
                }
                std::lock_guard lock(state.mutex);
                state.done = true;
                state.cv.notify_all();
            });
            bool held = false;
            {
                std::unique_lock lock(state.mutex);
                state.cv.wait(lock, [&] { return state.done || !state.announced.empty(); });
                held = !state.announced.empty();
            }
            // Held (or refused, or admitted at once): the filler frees its objects now either way.
            c.say(fmt::format("admission: releasing the filler's {} objects", fill->total()));
            std::string release_why;
            const auto released = filler.release(release_why);
            r.notes.push_back(released == 0u ? "filler released its objects and exited 0"
                                             : "filler release: " + release_why);
            launcher.join();
            if (thrown) std::rethrow_exception(thrown);  // guarded(): the scenario's error; the filler is gone
            auto outcome = child.started() ? child.wait() : child.outcome();
            r.child_exit_code = outcome.exit_code;
            r.preflight_verdict = std::string(to_string(outcome.preflight.analysis.verdict));
            for (const auto& f : outcome.preflight.analysis.preflight)
                if (f.severity != Severity::info) r.preflight_findings.push_back(f.id);
            r.duration_ms = ms_since(t0);
            std::vector<std::string> announced;
            {
                std::lock_guard lock(state.mutex);
                announced = state.announced;
            }
            json hold = {{"held", held}, {"announced", announced}};
            if (outcome.admission) {
                const auto& a = *outcome.admission;
                hold["admitted"] = a.admitted;
                hold["waits"] = a.waits;
                hold["waited_ms"] = a.waited.count();
                hold["last_free_kb"] = a.last_free_kb ? json(*a.last_free_kb) : json(nullptr);
                hold["refusal"] = a.refusal ? json(a.refusal->id) : json(nullptr);
                r.notes.push_back(fmt::format("admission: {} after {} waits, {} ms", a.admitted ? "admitted" : "refused",
                                              a.waits, a.waited.count()));
            }
            details["hold"] = hold;
            r.ok = r.child_as_expected() && r.preflight_matches() != false;
            if (r.ok && !held) {
                r.ok = false;
                r.problem = "the launch was not held: the trial found room on the filled desktop";
            } else if (!r.ok && !child.started()) {
                r.problem = fmt::format("not started: the admission did not admit it ({})",
                                        outcome.admission && outcome.admission->refusal
                                            ? outcome.admission->refusal->message
                                            : std::string("no admission result"));
            }
            s.phases.push_back(std::move(r));
        }
        if (fill) {
            std::string why;
            if (filler.release(why) != 0u && s.reason.empty()) {
                s.outcome = Outcome::error;
                s.reason = "cleanup failed: " + why;
            }
        }
    }
    s.details = std::move(details);
    close_checked(created.desktop, "desktop " + spec, s.left_behind);
    close_checked(station->handle, "window station " + station->name, s.left_behind);
    finish(s);
    if (s.outcome == Outcome::reproduced)
        s.reason = "control started; on the full desktop the child died with 0xC0000142 without admission; with "
                   "admission it was held, the filler freed its objects, and it started";
    return s;
}

}  // namespace safelaunch::repro::detail
