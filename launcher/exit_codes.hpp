// The safelaunch tool's exit codes: stable, documented in the README, never renumbered.
#pragma once

namespace safelaunch::cli {

inline constexpr int kOk = 0;            // no finding of error severity (check: not blocked)
inline constexpr int kFindings = 1;      // explain/heap/analyze: an error-severity finding; check: blocked
inline constexpr int kUsage = 2;         // bad command line or bad input value (not for `run`)
// `run` follows env/timeout: it exits with the child's code, or one of these.
inline constexpr int kTimedOut = 124;    // --timeout ended the child (as coreutils `timeout` does)
inline constexpr int kToolFailed = 125;  // safelaunch itself failed (also: --hold-for-headroom could
                                         // not measure, heap.desktop.headroom_unknown), or bad usage of `run`
inline constexpr int kNotStarted = 126;  // refused by pre-flight or by --hold-for-headroom
                                         // (heap.desktop.no_headroom), or CreateProcess failed
inline constexpr int kNotFound = 127;    // the program was not found

}  // namespace safelaunch::cli
