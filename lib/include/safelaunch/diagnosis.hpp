// Diagnosis: after a child died at start, rank the causes of KB 184802's "DLL initialization
// failed" from the facts gathered post-mortem. Portable, decisions only: the Win32 layer (or a
// snapshot) fills DiagnosisInput; nothing here calls Windows.
//
// Causes (stable ids; a Finding's id is "diagnosis." + the cause id):
//   access                       the child's token lacks rights on its window station or desktop
//   desktop_heap                 the desktop's heap is full (Win32k event 243)
//   session_pool                 a desktop could not be created for lack of heap space (event 244)
//   missing_desktop              the window station or desktop named in lpDesktop does not exist
//   restricted_token_no_console  a restricted-token child had no console to inherit
//   other_dll_init               some DLL's initialiser failed for reasons of its own
//   not_dll_init                 the exit code is not a DLL-initialisation failure (a look-alike)
//   program_access               the child's token may not read/execute its program, folder or a
//                                non-system DLL (R13, applied by apply_program_access)
//
// Likelihood, strongest first: decided (a fact proves it), likely (facts point to it), possible
// (nothing rules it out; the evidence line names the check to run), unlikely (facts argue
// against it). Causes are sorted by likelihood, ties in the order listed above, so access comes
// before desktop_heap: an access failure is deterministic, heap exhaustion depends on load.
//
// Rules, applied in this order:
//  R1  Exit code 0: no causes; the child exited normally.
//  R2  A code other than 0xC0000142 and 128 (0xC0000135, 0xC0000005, 1, ...): not_dll_init is
//      decided, with the catalogue's meaning, causes and remedies; no desktop cause is listed.
//  R3  access: an access check that found no access at all (user32's open with MAXIMUM_ALLOWED
//      fails) -> decided; one that found some of the baseline rights missing -> likely (the child
//      may still connect); remedy: grant those rights to that SID on that object. Every check
//      passed -> unlikely; not checked -> possible.
//  R4  desktop_heap: event 243 seen since the launch -> decided. Otherwise, heap facts:
//      canary could not start or could not allocate -> likely (only possible when R3 decided
//      access: the canary's failure may share that cause); canary started and allocated ->
//      unlikely (possible when the estimated fill is still >= 90 %). Without a canary result,
//      estimated fill >= 90 % -> likely, >= 75 % -> possible, below -> unlikely.
//      No heap facts -> possible (check event 243 and run the canary). Event 243 known absent
//      does not demote by itself: 243 and 244 are reported to share one log-once flag per
//      session, so an earlier heap failure of this boot may hide this one (the evidence says so).
//      Remedy: the SharedSection value to raise (the second for desktops of the interactive
//      station WinSta0, the third for other stations' desktops) and the size to set:
//      HeapFacts::recommended_kb when given, else the next step above the current size in the
//      ladder 768 -> 1024 -> 2048, then doubling up to 20480 KB (Microsoft's advised ceiling for
//      the second value, applied to both). At 20480 or more no raise is advised: fewer windows or
//      fewer processes per desktop. Unknown current size: "one step (768 -> 1024 -> 2048)".
//  R5  session_pool: event 244 seen -> decided; known absent -> unlikely (with the same log-once
//      caveat as R4); unknown -> unlikely with the check to run (it is rare next to R3/R4).
//  R6  missing_desktop: station or desktop known not to exist -> decided; both exist -> unlikely;
//      unknown -> unlikely with the check to run.
//  R7  restricted_token_no_console: known true -> likely (the same code has other causes); known
//      false -> unlikely; unknown -> unlikely with the check to run.
//  R8  other_dll_init: likely when facts rule out both access (checks passed) and desktop_heap
//      (canary allocated or fill < 75 %, no event 243) and no other cause is decided or likely;
//      otherwise unlikely. Remedy: find the failing DLL (loader snaps, debugger).
//  R9  Runtime: a loader-time DLL-init failure ends the process within a fraction of a second.
//      runtime_ms > kDllInitWindowMs -> every desktop cause (R3-R7) steps down one level
//      (decided -> likely ...), other_dll_init becomes likely: the code more likely came from a
//      grandchild whose exit code a wrapper passed on, or the program chose it.
//  R10 Exit code 128: on Vista and later (os.major >= 6) a DLL-init failure exits 0xC0000142,
//      so 128 is more often the program's own code: not_dll_init is added as possible and every
//      other cause steps down one level (decided -> likely ...). OS unknown: kept as a DLL-init
//      failure, with an evidence line saying the reading depends on the Windows version.
//  R12 Event 26 ("Application Popup") seen naming the child's image and 0xC0000142: this very
//      process failed to initialise a DLL. R9 and R10 do not step down (the popup itself may have
//      kept the process alive past the loader window, and 128 then is not the program's own
//      code); every listed cause that is not unlikely gets the event as an evidence line. It
//      does not choose between the desktop causes. Known absent: no evidence (a child with
//      SEM_FAILCRITICALERRORS gets no popup; R4 says so).
//  R11 Under Wine (os.wine_version set) the desktop causes cannot occur (no desktop heap; Wine
//      creates missing desktops and ignores desktop DACLs for the connection): access,
//      desktop_heap, session_pool and missing_desktop become unlikely with that evidence.
//  Events and the child's error mode: the System log's "Application Popup" event 26, which names
//      the image and 0xc0000142 when its hard-error popup is raised, is not expected for a child
//      whose popup was suppressed (SEM_FAILCRITICALERRORS in the mode it inherited, safelaunch's
//      default): ReactOS's kernel drops such a hard error before csrss logs it (unverified on
//      Windows). Its absence then says nothing about where the code came from. With
//      child_error_mode known and suppressing, desktop_heap's evidence (where the events are
//      weighed) says so; no likelihood changes on it.
//  R13 Program access (safelaunch/program_access.hpp, ProgramAccessFacts): an AccessCheck with the
//      child's token found the program or a non-system DLL of its closure denied FILE_GENERIC_READ
//      | FILE_EXECUTE (or its folder FILE_TRAVERSE). Exit 0xC0000022 (STATUS_ACCESS_DENIED, the
//      loader's code for such a file) -> program_access decided (a file) or likely (only the
//      folder: "Bypass traverse checking" usually skips that check), listed first. A DLL-init
//      code (0xC0000142 / 128 / 0xC000026B) -> program_access possible: a denied static import
//      ends the process with 0xC0000022 before any initialiser runs, so only a DLL loaded by an
//      initialiser fails this way. 0xC0000022 with every file granted: not_dll_init says the
//      denied object is another. No facts: nothing changes.
//  R14 Win32k ETW event 58 (safelaunch/win32k_trace.hpp; opt-in, applied last by
//      apply_win32k_trace, after the import scan and program access): the kernel's own record of
//      why desktop resolution failed for the child's pid. Its status decides the cause
//      (0xC0000022 -> access, 0xC0000034 / 0xC000003A / 0xC0000033 -> missing_desktop, 0xC0000017 /
//      0xC000009A -> desktop_heap) and outranks inference: every other listed cause that is not
//      unlikely becomes unlikely with "overridden by" and what it was (session_pool is kept beside
//      desktop_heap: both are memory). Another status: named in deciding_evidence and in the
//      desktop causes' evidence, no likelihood changes. The trace ran but saw no event 58 for the
//      pid: weak evidence only (a line on the desktop causes; the event id and fields are
//      unverified). Not requested or not started: nothing changes. Exit codes that are not a
//      DLL-init failure (R2): the event is one more evidence line.
// deciding_evidence: one line: the evidence of the decided cause(s) ("both reported, access first"
// when two decided), else of the likely one, else "nothing decisive" with the checks to run.
#pragma once

#include "safelaunch/exit_code.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

// Beyond this the child got past process initialisation; see R9.
inline constexpr std::uint64_t kDllInitWindowMs = 2000;

// Heap ladder and ceiling of R4.
inline constexpr std::uint32_t kHeapCeilingKb = 20480;

enum class CauseId {
    access,
    desktop_heap,
    session_pool,
    missing_desktop,
    restricted_token_no_console,
    other_dll_init,
    not_dll_init,
    program_access,  // R13
};

enum class Likelihood { decided, likely, possible, unlikely };

[[nodiscard]] std::string_view to_string(CauseId c) noexcept;
[[nodiscard]] std::string_view to_string(Likelihood l) noexcept;
[[nodiscard]] std::optional<CauseId> cause_from_string(std::string_view s) noexcept;
[[nodiscard]] std::optional<Likelihood> likelihood_from_string(std::string_view s) noexcept;

// The target desktop's heap, measured after the failure.
struct HeapFacts {
    std::optional<std::uint32_t> heap_kb;         // size: UOI_HEAPSIZE, or SharedSection for the desktop's kind
    std::optional<bool> interactive;              // desktop of WinSta0 (second SharedSection value) or not (third)
    std::optional<bool> canary_started;           // a canary process started on that desktop afterwards
    std::optional<bool> canary_allocated;         // the canary could create its windows there
    std::optional<double> estimated_fill_percent; // 0..100, from a heap budget estimate
    std::optional<std::uint32_t> recommended_kb;  // a size chosen by the caller; overrides the ladder
};

// One access check of the child's token against its window station or desktop.
struct AccessCheckFacts {
    std::string object;          // "desktop Service-0x0-3e7$\\Default"
    std::string trustee_sid;     // the SID to grant to (user or logon SID): "S-1-5-21-...-1001"
    bool ok = true;              // every requested right was granted
    std::string missing_rights;  // "DESKTOP_CREATEWINDOW | DESKTOP_READOBJECTS" when !ok
    bool no_access = false;      // granted nothing at all: user32's MAXIMUM_ALLOWED open fails
};

struct DiagnosisInput {
    std::uint32_t exit_code = 0;
    std::optional<std::uint64_t> runtime_ms;
    std::optional<HeapFacts> heap;
    std::vector<AccessCheckFacts> access;       // empty: not checked
    std::optional<bool> event_243_seen;         // since the launch; nullopt: log not read
    std::optional<bool> event_244_seen;
    // An "Application Popup" event 26 since the launch naming the child's image and a DLL-init
    // status (safelaunch/event_evidence.hpp); nullopt: the log was not read or the image is unknown.
    std::optional<bool> event_26_seen;
    std::string event_26_text;                  // that event's text, when seen
    std::optional<bool> restricted_token_without_console;
    std::optional<bool> station_exists;
    std::optional<bool> desktop_exists;
    std::optional<OsFacts> os;
    std::optional<std::uint32_t> child_error_mode;  // the mode it inherited (ExitFacts::error_mode)
};

struct RankedCause {
    CauseId id = CauseId::other_dll_init;
    Likelihood likelihood = Likelihood::possible;
    std::vector<std::string> evidence;  // one fact or missing check per line
    std::string remedy;                 // concrete: the grant, the SharedSection value, the check
};

struct Diagnosis {
    ExitCodeInfo code;
    std::vector<RankedCause> causes;  // strongest first; see the rules above
    std::string deciding_evidence;    // one line

    // The entry for a cause, or nullptr when it is not listed.
    [[nodiscard]] const RankedCause* find(CauseId id) const noexcept;
};

// The next size on the R4 ladder above `current_kb`; nullopt at or above the ceiling.
[[nodiscard]] std::optional<std::uint32_t> next_heap_step_kb(std::uint32_t current_kb) noexcept;

[[nodiscard]] Diagnosis diagnose(const DiagnosisInput& input);

// R14: the Win32k trace's event 58 for the child's pid (see above).
[[nodiscard]] Diagnosis apply_win32k_trace(Diagnosis diagnosis, const Win32kTraceFacts& trace);

// Finding per listed cause except unlikely ones: id "diagnosis.<cause>", severity error for
// decided, warning for likely, info for possible; evidence lines joined with "; ". Preceded by
// "diagnosis.exit_code" (info for 0, error otherwise) naming the code and deciding_evidence.
[[nodiscard]] std::vector<Finding> to_findings(const Diagnosis& diagnosis);

}  // namespace safelaunch
