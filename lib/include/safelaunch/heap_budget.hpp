// Desktop heap budget: how much of the session's desktop-heap pool the existing desktops use,
// how many more noninteractive (service) desktops fit, and what it takes to fit N more.
//
// Sources: KB 184802; NTDebugging blog "Desktop Heap, part 2" (2007); platform-facts.md.
//   - XP / Server 2003 x86: desktop heaps come from the session view, 48 MB by default (20 MB when
//     no SessionViewSize is set, the Terminal Server default, and always with /3GB).
//   - From Vista on (and on x64) the session view is dynamic: there is no fixed pool, so the
//     caller gives an assumed pool or none (then only per-desktop figures are computed).
//   - Desktop sizes: each WinSta0 desktop the SharedSection second value, except Winlogon and
//     Disconnect (XP/2003: 128 and 64 KB; from Vista on: 192 and 96 KB, see below); each noninteractive desktop (one per service logon session /
//     noninteractive station; LocalSystem services share Service-0x0-3e7$\Default) the third.
//     The Screen-saver desktop (only while a secure screen saver runs) is taken at the
//     interactive size: an assumption, not confirmed by a primary source.
//
// Formulas (KB; all integer, rounded down):
//   size(d)            = d.heap_kb if given, else by kind: interactive/screen_saver -> SS[1],
//                        noninteractive -> SS[2], winlogon -> 128 (XP/2003) or 192,
//                        disconnect -> 64 (XP/2003) or 96
//   used               = sum(size(d) * d.count) + (shared_heap_in_pool ? SS[0] : 0)
//   free               = max(pool - used, 0)
//   noninteractive_fit = free / SS[2]
//   pool_kb_needed(N)  = used + N * SS[2]
//   noninteractive_kb_for(N) = (pool - fixed) / (existing_noninteractive + N),
//                        fixed = used - noninteractive desktops (they all take the new third
//                        value after the reboot); nullopt when no pool or the result < 128
//   processes_that_fit(heap) = heap / per_process_kb          (field figure ~7 KB per service)
//   windows_that_fit(heap, t) = heap * 1024 / (400 + 2 * t)  (~400 B per small window, 2 B per
//                                                              title character)
//
// Finding ids (stable; never reused):
//   heap.pool.unknown               info     no pool given (dynamic session view): no bound
//   heap.pool.exhausted             error    used > pool, or not one more noninteractive desktop fits
//   heap.pool.low                   warning  fewer than kLowFitDesktops more noninteractive desktops fit
//   heap.noninteractive.small       warning  the third value holds fewer processes than expected
//                                            (or, with no expectation, is below 512 KB)
//   heap.noninteractive.interactive_sized  warning  no third value: every service desktop takes
//                                            the interactive size
#pragma once

#include "safelaunch/finding.hpp"
#include "safelaunch/shared_section.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// WinSta0's Winlogon and Disconnect desktop heaps. XP/2003: 128 and 64 KB (KB 184802). From Vista
// on: 192 and 96 KB. The Vista-and-later figures were read in a debugger session (`!dskheap` on
// Server 2012, quoted in issue 8), not from documentation; the other Vista-and-later versions are
// assumed to match it.
inline constexpr std::uint32_t kXpWinlogonDesktopKb = 128;
inline constexpr std::uint32_t kXpDisconnectDesktopKb = 64;
inline constexpr std::uint32_t kWinlogonDesktopKb = 192;
inline constexpr std::uint32_t kDisconnectDesktopKb = 96;
inline constexpr std::uint32_t kXpSessionViewKb = 48 * 1024;
inline constexpr std::uint32_t kSmallSessionViewKb = 20 * 1024;  // Terminal Services, /3GB
inline constexpr std::uint32_t kServiceProcessKb = 7;
inline constexpr std::uint32_t kSmallWindowBytes = 400;
inline constexpr std::uint32_t kTitleCharBytes = 2;
inline constexpr std::uint32_t kSmallNoninteractiveKb = 512;
inline constexpr std::uint64_t kLowFitDesktops = 10;

enum class DesktopHeapKind { interactive, noninteractive, winlogon, disconnect, screen_saver, fixed };
[[nodiscard]] std::string_view to_string(DesktopHeapKind kind) noexcept;

struct DesktopHeapEntry {
    std::string name;                     // "WinSta0\\Default", "Service-0x0-3e7$\\Default"
    DesktopHeapKind kind = DesktopHeapKind::noninteractive;
    std::uint32_t count = 1;              // identical desktops (e.g. 40 service logon sessions)
    std::optional<std::uint32_t> heap_kb; // measured (UOI_HEAPSIZE) or explicit; required for `fixed`
};

// WinSta0's desktops in an interactive session: Default, Winlogon, Disconnect (+ Screen-saver).
[[nodiscard]] std::vector<DesktopHeapEntry> interactive_session_desktops(bool screen_saver_shown = false);

// The pool for desktop heaps: XP/2003 x86 48 MB, 20 MB under Terminal Services or /3GB;
// nullopt for x64 or Vista and later (dynamic session view).
[[nodiscard]] std::optional<std::uint32_t> session_pool_kb(std::uint32_t major, bool x64,
                                                           bool terminal_services,
                                                           bool three_gb) noexcept;

// The Winlogon / Disconnect sizes for the OS the budget is for (OsFacts::major): XP/2003 (major 5
// and below) or Vista and later; an unknown OS takes the Vista-and-later figures.
struct SecureDesktopSizes {
    std::uint32_t winlogon_kb = kWinlogonDesktopKb;
    std::uint32_t disconnect_kb = kDisconnectDesktopKb;
};
[[nodiscard]] SecureDesktopSizes secure_desktop_sizes(std::optional<std::uint32_t> os_major) noexcept;

struct HeapBudgetInput {
    SharedSection shared_section;
    // The Windows major version the budget is for; picks the Winlogon / Disconnect sizes.
    // nullopt: not given, the Vista-and-later figures are assumed (and said so in `assumptions`).
    std::optional<std::uint32_t> os_major;
    std::optional<std::uint32_t> pool_kb;  // nullopt: unknown / dynamic
    std::string pool_source;               // for the assumption line: "XP x86 default", "caller"
    std::vector<DesktopHeapEntry> desktops;
    bool shared_heap_in_pool = true;       // count SS[0] against the pool (conservative)
    // Processes expected on each noninteractive desktop, for heap.noninteractive.small.
    std::optional<std::uint32_t> processes_per_noninteractive_desktop;
};

struct HeapBudgetLine {
    std::string name;
    DesktopHeapKind kind = DesktopHeapKind::fixed;
    std::uint32_t count = 0;
    std::uint32_t heap_kb_each = 0;
    std::uint64_t total_kb = 0;
};

struct HeapBudget {
    std::vector<HeapBudgetLine> lines;
    std::uint64_t used_kb = 0;
    std::optional<std::uint64_t> pool_kb;
    std::optional<std::uint64_t> free_kb;
    std::optional<std::uint64_t> noninteractive_fit;  // more noninteractive desktops that fit
    std::uint64_t processes_per_noninteractive = 0;   // processes_that_fit(SS[2])
    std::vector<std::string> assumptions;             // print these with the result
    std::vector<Finding> findings;

    // Multi-line report: lines, totals, then "assumption: ..." lines.
    [[nodiscard]] std::string to_text() const;
};

[[nodiscard]] HeapBudget compute_heap_budget(const HeapBudgetInput& input);

// Largest third SharedSection value (KB) with which `more` extra noninteractive desktops fit.
[[nodiscard]] std::optional<std::uint32_t> noninteractive_kb_for(const HeapBudgetInput& input,
                                                                 std::uint32_t more);
// Pool (KB) needed for `more` extra noninteractive desktops at the current third value.
[[nodiscard]] std::uint64_t pool_kb_needed(const HeapBudgetInput& input, std::uint32_t more);

[[nodiscard]] std::uint64_t processes_that_fit(std::uint64_t heap_kb,
                                               std::uint32_t per_process_kb = kServiceProcessKb) noexcept;
[[nodiscard]] std::uint64_t windows_that_fit(std::uint64_t heap_kb, std::uint32_t title_chars = 0) noexcept;

}  // namespace safelaunch
