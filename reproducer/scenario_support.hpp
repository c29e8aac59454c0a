// What the scenarios share (scenarios.cpp defines it): the run's context, the child runner, one
// phase (pre-flight + child + verdict), checked closes and the scenario verdict helpers. Internal
// to deskheap-repro; each scenario file includes it.
#pragma once

#include "options.hpp"
#include "private_station.hpp"
#include "report.hpp"
#include "scenarios.hpp"

#include "safelaunch/error.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/handles.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch::repro::detail {

namespace w = safelaunch::win32;
using Clock = std::chrono::steady_clock;

struct Ctx {
    const Options& o;
    const Progress& progress;
    std::string probe;
    std::string filler;  // deskheap-filler.exe, beside this program
    std::optional<std::string> wine;
    Clock::time_point started = Clock::now();

    void say(std::string_view line) const {
        if (progress) progress(line);
    }
};

[[nodiscard]] std::uint64_t ms_since(Clock::time_point t0);
[[nodiscard]] bool file_exists(const std::string& path);
[[nodiscard]] ApiFailure last_error(std::string api, std::string object);

// Closes with the result checked; what cannot be closed goes to `left`.
void close_checked(w::unique_hdesk& d, const std::string& what, std::vector<std::string>& left);
void close_checked(w::unique_hwinsta& s, const std::string& what, std::vector<std::string>& left);

struct ChildRun {
    std::optional<std::uint32_t> code;
    std::optional<std::string> report;  // the child's first stdout line (the probe's JSON)
    std::string output;                 // everything it wrote to stdout
    std::optional<ChildErrorMode> error_mode;
    std::vector<std::string> notes;
};

// Starts `program` (default: the probe) on `spec` (lpDesktop; nullopt inherits this process's
// station and desktop), waits (Ctrl+C and the child timeout ended it), and reads its output.
[[nodiscard]] ChildRun run_child(const Ctx& c, const std::optional<std::string>& spec, const std::string& program = {},
                                 std::vector<std::string> args = {});

// Win32k events 243/244 (and popups, 26) logged since the run began, into p.events.
void read_events(const Ctx& c, PhaseRecord& p);
// "Station\\Desk" the probe reported connecting to.
[[nodiscard]] std::string where_it_ran(const PhaseRecord& p);

// One phase: pre-flight (policy), then the probe on `spec`, then the verdict on both; `desktop`
// (may be null) is read for UOI_HEAPSIZE.
[[nodiscard]] PhaseRecord run_phase(const Ctx& c, std::string scenario, std::string name, Expect expect,
                                    const std::string& spec, CheckPolicy policy, HDESK desktop);

[[nodiscard]] ScenarioResult setup_error(ScenarioResult s, const ApiFailure& failure);
[[nodiscard]] ScenarioResult missing_probe(ScenarioResult s, const Ctx& c);
[[nodiscard]] ScenarioResult skipped(ScenarioResult s, std::string reason);
// What a scenario that fills a bounded desktop needs before it makes anything: CreateDesktopExW
// (unless `need_bounded_heap` is false), the probe and the filler. nullopt: all there; else `s`
// finished as a skip (77) or a setup error.
[[nodiscard]] std::optional<ScenarioResult> fill_preconditions(ScenarioResult& s, const Ctx& c,
                                                               bool need_bounded_heap);
// Outcome and reason from the phases, unless a reason (error, skip) was already set.
void finish(ScenarioResult& s);
// The unnamed station for `scenario`; nullopt: `s` holds the refusal (77) or the setup error.
[[nodiscard]] std::optional<PrivateStation> open_station(ScenarioResult& s, const std::string& scenario);

// The two scenarios of issue 8 part 5 (private_scenario.cpp, admission_scenario.cpp).
[[nodiscard]] ScenarioResult run_private(const Ctx& c);
[[nodiscard]] ScenarioResult run_admission(const Ctx& c);

}  // namespace safelaunch::repro::detail
