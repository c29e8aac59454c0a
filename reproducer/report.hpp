// What deskheap-repro found: one record per phase, one result per scenario, and the three
// renderings (human summary, --json, --junit). Plain data: no handles, no <windows.h>.
#pragma once

#include "safelaunch/launch_request.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch::repro {

// The tool's exit codes (stable, documented in --help and the README; never renumbered).
inline constexpr int kExitReproduced = 0;     // every phase behaved as expected
inline constexpr int kExitNotReproduced = 1;  // a phase did not (or the pre-flight mispredicted it)
inline constexpr int kExitUsage = 2;          // bad command line
inline constexpr int kExitError = 3;          // setup or cleanup failed (left_behind says what remains)
inline constexpr int kExitSkipped = 77;       // this platform cannot reproduce it (reason says why)

// Every child the reproducer starts (probe, filler) has hard-error popups suppressed: a child that
// dies of the exhaustion it provokes exits at once with its code instead of waiting on a dialog.
inline constexpr ErrorUi kChildErrorUi = ErrorUi::suppress;

// What the child should do in a phase.
enum class Expect { success, dll_init_failed };

struct PhaseRecord {
    std::string scenario;                          // "heap", "acl", "pool"
    std::string name;                              // "control", "failure", "recovery"
    Expect expected = Expect::success;
    std::optional<std::uint32_t> child_exit_code;  // nullopt: not started, or ended by us
    bool ok = false;                               // child as expected (and pre-flight agreed)
    std::optional<std::string> preflight_verdict;  // "ok" / "warn" / "blocked"; nullopt: not run
    std::string preflight_expected;                // "ok" (ok or warn) / "blocked"
    std::vector<std::string> preflight_findings;   // ids of warning/error findings
    std::optional<std::string> preflight_error;    // why it could not run
    std::uint64_t objects_created = 0;             // filler objects / pool desktops
    std::optional<std::string> filler_stop;        // the error that stopped the filler
    std::optional<std::uint32_t> heap_kb;          // UOI_HEAPSIZE of the child's desktop
    std::uint64_t duration_ms = 0;
    std::vector<std::uint32_t> events;             // Win32k 243/244 seen since the scenario began
    std::optional<std::string> child_report;       // the probe's JSON line
    std::optional<ChildErrorMode> child_error_mode;  // the hard-error mode the probe was given
    // Heap failure phase (issue 12): `safelaunch check --json` started on the same filled desktop. It
    // must not die of it (0xC0000142) and, when the heap is really full, must report
    // self.desktop.connect_failed. nullopt: not run (other phases, or safelaunch.exe not found).
    std::optional<std::uint32_t> self_check_exit_code;
    std::optional<bool> self_check_reported;  // its output names self.desktop.connect_failed
    std::vector<std::string> notes;                // what else happened, one line each
    // Set: the phase was not run because this platform cannot show it (the reason; no child ran).
    std::optional<std::string> skipped;
    std::optional<std::string> problem;            // why not ok although child and pre-flight were

    // Does the pre-flight verdict agree with `preflight_expected`? nullopt when it did not run.
    [[nodiscard]] std::optional<bool> preflight_matches() const;
    // Did the child do what `expected` says (0, or 0xC0000142 / 128)?
    [[nodiscard]] bool child_as_expected() const;
};

enum class Outcome { reproduced, not_reproduced, skipped, error };
[[nodiscard]] std::string_view to_string(Outcome o) noexcept;
[[nodiscard]] int exit_code_of(Outcome o) noexcept;

struct ScenarioResult {
    std::string name;
    Outcome outcome = Outcome::error;
    std::string reason;                      // one line
    std::vector<PhaseRecord> phases;
    std::vector<std::string> left_behind;    // objects or changes cleanup could not undo
    std::optional<std::uint32_t> heap_kb_requested;
    std::optional<std::string> station;      // the window station used (UOI_NAME; may be shared)
    std::vector<std::string> desktops;       // the desktops its children were started on (ours alone;
                                             // pool: its many fill-N desktops are not listed)
    // What the scenario measured beyond its phases (private: the desktops held, the heap sizes
    // tried, the launcher's own desktop; admission: the hold). null when there is nothing more.
    nlohmann::json details;
};

struct PlatformInfo {
    std::string os;                    // "Windows 10 Pro 10.0.19045"
    std::uint32_t build = 0;
    std::optional<std::string> wine;   // Wine's version, nullopt on Windows
};

struct RunReport {
    std::string scenario;              // as asked: heap / acl / pool / all
    PlatformInfo platform;
    std::vector<ScenarioResult> scenarios;
    bool interrupted = false;          // Ctrl+C / console close
};

// Scenario outcome from its phases (error and skipped are set by the scenario itself).
[[nodiscard]] Outcome outcome_of_phases(const std::vector<PhaseRecord>& phases);
// The run's outcome: error > not_reproduced > skipped > reproduced; and its one-line reason.
[[nodiscard]] Outcome overall_outcome(const RunReport& report);
[[nodiscard]] std::string overall_reason(const RunReport& report);

[[nodiscard]] nlohmann::json to_json(const RunReport& report);
// One <testcase> per phase (classname deskheap-repro.<scenario>); a scenario that stopped before
// its first phase is one skipped (or errored) case named after the scenario.
[[nodiscard]] std::string to_junit(const RunReport& report);
void print_human(std::ostream& out, const RunReport& report);

}  // namespace safelaunch::repro
