// Analysis: the pre-flight verdict and, after an exit, the diagnosis, both decided from a
// Snapshot of facts. Portable: the same decisions run inside `safelaunch check/run` on Windows
// and in `safelaunch analyze` on any OS.
//
// Pre-flight finding ids (stable; never reused), in the order they are checked:
//   self.desktop.connect_failed    error    safelaunch's own user32.dll load failed (SelfConnectFacts:
//                                           1114 ERROR_DLL_INIT_FAILED, or an export missing) and the
//                                           child shares our desktop (lpDesktop NULL, or naming the
//                                           desktop we started on): it would die the same way
//   self.desktop.preflight_skipped warning  the same failure, the child's desktop is another: nothing
//                                           could be looked at, the launch goes ahead unchecked
//                                           (either one: no station/desktop/heap finding follows)
//   run_as.logon.local_system      error    RunAsLogon from LocalSystem: CreateProcessWithLogonW refuses
//   prediction.run_as_logon        warning  RunAsLogon checked with a LogonUserW token (check): the child
//                                           really gets the caller's logon SID (and station for NULL/"")
//   session.other.not_inspectable  warning  the token's session is not the launcher's: no check by name,
//                                           no grant (the station/desktop/heap findings are skipped)
//   desktop.interactive.unknown    info     "" or "Desk": WinSta0's UOI_USER_SID unknown (Wine), the
//                                           INTERACTIVE group decided WinSta0 vs Service-0x..$
//   desktop.spec.invalid           error    lpDesktop cannot name a desktop Windows could connect to
//   desktop.station.missing        error    the named station does not exist: Windows ends the child
//                                           with 0xC0000142 (Wine creates it silently)
//   desktop.desktop.missing        error    likewise for the desktop
//   desktop.hidden_station.absent  info     "" and Service-0x..$ does not exist yet: Windows creates
//                                           it at the child's first user32 call
//   acl.station.no_access          error    the token is granted nothing on the station: user32's open
//   acl.desktop.no_access          error      (MAXIMUM_ALLOWED) fails, the child dies with 0xC0000142
//   acl.station.missing_rights     warning  the token gets some rights, but not all of the service
//   acl.desktop.missing_rights     warning    baseline: it may still connect; the canary decides
//   acl.station.no_security        info     the object has no security descriptor (Wine's WinSta0):
//   acl.desktop.no_security        info       nothing restricts access
//   acl.station.unchecked          warning  neither a real AccessCheck nor a readable SD (desktop: also
//   acl.desktop.unchecked          warning    when its station could not be opened to look for it)
//   acl.station.sddl_unreadable    warning  the SD text did not parse (the offline model could not run)
//   acl.desktop.sddl_unreadable    warning
//   token.restricted               info     restricted token: a second access pass applies
//   token.privilege.assign_primary_missing  warning  RunAsToken: the caller lacks
//                                           SeAssignPrimaryTokenPrivilege, which CreateProcessAsUserW
//                                           needs unless the token is derived from the caller's own
//   token.privilege.increase_quota_missing  warning  RunAsToken: the caller lacks SeIncreaseQuotaPrivilege
//   heap.desktop.size_unknown      info     UOI_HEAPSIZE could not be read (Wine, XP)
//   heap.desktop.small             warning  the target desktop's heap holds fewer processes than
//                                           expected (or, noninteractive with no expectation, < 512 KB)
//   heap.session_view.unknown     info     (snapshot with session_view) the session's view space
//   heap.session_view.exhausted   error      could not be read / a desktop the launch creates (lpDesktop
//   heap.session_view.low         warning    "" with no Service-0x..$ station yet: the SharedSection
//   heap.session_view.headroom    info       third value) does not fit / little room / the figures
//                                           (rules in session_view.hpp)
//   canary.not_run                 warning  the canary could not be run (probe missing, CreateProcess*
//                                           failed, timed out, arguments refused): nothing learnt
//   canary.quota                   warning  it stopped at its USER handle quota (probe exit 6) before
//                                           allocating what was asked: the heap test is inconclusive
//   canary.failed                  error    the canary could not start or allocate on the target desktop
//   canary.ok                      info
//   + shared_section.* findings of the SubSystems `Windows` value, when it was read.
//   system.hard_error_mode         info     the machine's ErrorMode (KB 128642), when it was gathered
//                                           (snapshot): 0/not set popups wait, 1 only system errors
//                                           are answered, 2 every hard error is answered and logged
//                                           as event 26
//   + program.imports.* (info) when the snapshot has program_imports: whether the child connects
//     at start, which may drop acl.* / heap.* findings to info (connect_rules.hpp, C1-C4).
//
// Access: the real AccessCheck result in the facts decides when present (authoritative on
// Windows); otherwise the offline evaluator runs on the SDDL (with its S: integrity label). Only
// "granted nothing" blocks: user32 connects with MAXIMUM_ALLOWED and no minimum set of rights is
// documented. The baseline checked for missing_rights: the specific rights Windows grants a
// service account (rights::kUser32StationBaseline / kUser32DesktopBaseline without their standard
// rights, which connecting does not need). A snapshot without access_maximum (older versions)
// cannot show "granted nothing": its missing rights are warnings.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/diagnosis.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/heap_budget.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// The rights whose absence is reported (and what --grant adds): the specific rights of the
// service-account baseline. Its standard rights (DELETE, WRITE_DAC, ...) are not needed to
// connect: WinSta0's own DACL gives the interactive logon SID 0x37F without them.
inline constexpr std::uint32_t kStationRightsNeeded = rights::kUser32StationBaseline & ~rights::kStandardRightsRequired;
inline constexpr std::uint32_t kDesktopRightsNeeded = rights::kUser32DesktopBaseline & ~rights::kStandardRightsRequired;

// The largest canary allocation that can be reached before the per-process USER handle quota
// (USERProcessHandleQuota, 10,000 by default) stops the probe: quota x ~400 bytes per window.
inline constexpr std::uint32_t kUserHandleQuota = 10'000;
inline constexpr std::uint32_t kCanaryMaxAllocKb = kUserHandleQuota * kSmallWindowBytes / 1024;  // 3906

struct AnalysisOptions {
    // Processes expected on the target desktop at once, for heap.desktop.small.
    std::optional<std::uint32_t> expected_processes;
    // Desktop rights the launch denies the child on purpose (a private desktop denies it
    // kPrivateDesktopChildDenied): not reported as missing.
    std::uint32_t desktop_rights_withheld = 0;
};

struct Analysis {
    std::vector<Finding> preflight;              // the pre-flight findings
    Verdict verdict = Verdict::ok;               // of `preflight`
    std::vector<AccessCheckFacts> access;        // one per object checked (station, desktop)
    std::optional<Diagnosis> diagnosis;          // when the snapshot has exit facts
    [[nodiscard]] std::vector<Finding> all_findings() const;  // preflight, then the diagnosis's
};

[[nodiscard]] Analysis analyze(const Snapshot& facts, const AnalysisOptions& options = {});

// The finding that stops a launch before any process is created (RunAsLogon from LocalSystem:
// run_as.logon.local_system), if any. analyze() reports it too.
[[nodiscard]] std::optional<Finding> refuse_before_launch(const LauncherFacts& launcher);

// A token in the interactive logon session connects to WinSta0 when lpDesktop names no station:
// INTERACTIVE (S-1-5-4) enabled, outside session 0 (where services run).
[[nodiscard]] bool in_interactive_session(const TokenFacts& token) noexcept;

// Exits that get a post-mortem (facts again, events, canary): DLL-init failures and NTSTATUS
// errors (the look-alikes); an ordinary exit code does not.
[[nodiscard]] bool worth_a_post_mortem(std::uint32_t exit_code);

// What the diagnosis is given for a snapshot with exit facts (exposed for tests).
[[nodiscard]] DiagnosisInput diagnosis_input(const Snapshot& facts, const std::vector<AccessCheckFacts>& access);

}  // namespace safelaunch
