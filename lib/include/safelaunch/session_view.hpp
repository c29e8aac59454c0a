// Session view headroom (issue 8, part 3): before a desktop is created, does one of that size fit
// in the session's view space?
//
// Every desktop heap is mapped into its session's view space as one view of the heap's size (KB
// 184802; from Vista on the session view is a dynamic range, no longer a fixed 48 MB pool). When no
// free range of that size is left, CreateDesktop fails and Win32k logs event 244 ("Failed to create
// a desktop due to desktop heap exhaustion"). Windows reports the session's free view space through
// NtQuerySystemInformation(SystemSessionMappedViewInformation = 68), an undocumented class: the
// Win32 layer (safelaunch/win32/session_view.hpp) fills SessionViewFacts, this file decides.
//
// Finding ids (stable; never reused), from session_view_findings(facts, size):
//   heap.session_view.unknown    info     the figures could not be read (Wine, a refused or absent
//                                         call): nothing is guessed, `unknown_reason` says why
//   heap.session_view.exhausted  error    a desktop of `size` KB is to be created and the largest
//                                         free range is smaller than it (so also when nothing is
//                                         free): CreateDesktop would fail (event 244)
//   heap.session_view.low        warning  any of: a desktop of `size` KB fits, but fewer than
//                                         kLowSessionViewDesktops of that size could
//                                         (bytes_available / size, an upper bound: fragmentation
//                                         only lowers it); no size given and nothing is free; the
//                                         session has counted view failures (view_failures > 0)
//   heap.session_view.headroom   info     the figures, when none of the above applies
// Why these rules:
//   - Only the largest contiguous range decides "fits": a heap is one view, it cannot be split.
//   - With no size (nothing is to be created) an empty view space is a warning, not an error: the
//     launch itself maps nothing new, but any desktop this session creates next would fail.
//   - view_failures is a counter kept in the session's MM_SESSION_SPACE; the sources show it only
//     being read, never reset, so it is taken as cumulative for the session's life: evidence that
//     the space ran out at some time, not that it is out now. A warning, never an error.
//   - kLowSessionViewDesktops matches heap_budget's kLowFitDesktops (10): the same margin as the
//     XP pool model's heap.pool.low.
#pragma once

#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

inline constexpr std::string_view kSessionViewSource =
    "NtQuerySystemInformation(SystemSessionMappedViewInformation=68)";
inline constexpr std::uint64_t kLowSessionViewDesktops = 10;

// One session's view space, as SYSTEM_SESSION_MAPPED_VIEW_INFORMATION reports it.
struct SessionViewFacts {
    bool known = false;                       // false: the figures below mean nothing
    std::string unknown_reason;               // why not known: the API and its NTSTATUS, or absent
    std::uint32_t session_id = 0;             // the session asked for (and, when known, answered)
    std::uint64_t bytes_available = 0;        // NumberOfBytesAvailable: free view space in total
    std::uint64_t largest_contiguous = 0;     // NumberOfBytesAvailableContiguous: largest free range
    std::uint32_t view_failures = 0;          // ViewFailures: failed view mappings, cumulative
    std::string source{kSessionViewSource};   // where the figures came from

    // "session 1: 30720 KB free, largest free range 20480 KB, 0 view failures" or
    // "session 1: unknown: <reason>".
    [[nodiscard]] std::string describe() const;
};

// How many desktops of `desktop_kb` fit at most (bytes_available / size); 0 for a size of 0.
[[nodiscard]] std::uint64_t session_view_desktops_that_fit(const SessionViewFacts& facts,
                                                          std::uint32_t desktop_kb) noexcept;

// The findings above, for a desktop of `desktop_kb_needed` KB about to be created (nullopt: none is
// created; only the size-free rules apply). Exactly one finding is returned.
[[nodiscard]] std::vector<Finding> session_view_findings(const SessionViewFacts& facts,
                                                         std::optional<std::uint32_t> desktop_kb_needed);

}  // namespace safelaunch
