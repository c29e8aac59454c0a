// The safe launch call: the drop-in for CreateProcess / CreateProcessAsUser.
//
//   request -> resolve the token and the station\desktop as Windows would -> gather facts
//           -> decide (portable analysis) -> [refuse | scoped grant] -> launch (Boost.Process v2)
//           -> wait -> on a DLL-init exit or a look-alike: post-mortem facts -> diagnosis
//
// Gathering lives here (Win32); every decision is made by safelaunch::analyze() on the facts.
#pragma once

#include "safelaunch/admission.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/grant.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launch_pool.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/win32k_trace.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace safelaunch::win32 {

struct SafeLaunchOptions {
    AnalysisOptions analysis;
    // Grant the token's logon SID the rights it lacks on the station and desktop for the child's
    // lifetime (kStationRightsNeeded / kDesktopRightsNeeded), and take them back afterwards.
    bool grant = false;
    // Take back grants journaled by launchers that died (always done when `grant` is set).
    bool repair_stale_grants = false;
    // The canary (CheckPolicy::canary and post-mortem); empty: safelaunch-probe.exe beside the
    // running executable.
    std::string probe_path;
    std::uint32_t canary_alloc_kb = 0;  // desktop-heap objects the canary creates and frees
    // Read Win32k events 243/244 from the System log after a failed launch.
    bool read_events = true;
    // Whether this process may load user32 to read the target station and desktop (facts and
    // post-mortem). false (`run --no-preflight`, with CheckPolicy::none): the facts carry the
    // names asked for, the token, the registry, the events and the canary (a process of its own),
    // never a station or desktop read here, so a broken desktop cannot take this process with it.
    bool connect = true;

    // Admission control (issue 8 part 4). Set: before the child is created, hold the launch until
    // `admission->kb_needed` KB of desktop heap can be allocated on its desktop, announcing every
    // wait, and refuse (NotStartedReason::no_headroom, heap.desktop.no_headroom) once
    // hold_timeout has passed. An empty admission->desktop is filled with the request's desktop.
    // The trial runs before this launch's grant (`grant`): on a desktop the child's user cannot
    // open yet, the canary dies as on a full heap (0xC0000142) and the hold ends in no_headroom.
    // A trial that cannot run at all refuses at once (headroom_unknown). waited includes the
    // trials' own run time (a canary start each).
    std::optional<AdmissionPolicy> admission;
    // Where the headroom is read: nullptr = a TrialHeadroom (the canary with --alloc-kb, as the
    // request's token on its desktop; win32/trial_headroom.hpp). Not owned; tests inject one.
    HeadroomSource* headroom = nullptr;
    AdmissionAnnounce admission_announce;  // called before every wait (progress)
    // Shared by siblings launched with the same options: the SafeChild of each notifies it when
    // its child is gone (SafeChild::wait(), or its destructor), which wakes a held launch at once
    // instead of at the end of its backoff. nullptr: a clock of this launch's own (no early wake).
    // One admitting thread per clock (SteadyAdmissionClock): launchers on several threads each
    // hold their own clock.
    std::shared_ptr<SteadyAdmissionClock> admission_clock;
    // Issue 9 part 3 (win32/win32k_trace.hpp): a real-time ETW session on Microsoft-Windows-Win32k
    // from before the child is created until it has exited, for event 58 with the child's pid
    // (unverified event; needs administrator or Performance Log Users). Outcome::win32k_trace and
    // the post-mortem carry what it saw; a session that cannot start is a finding, never a refusal.
    bool trace_win32k = false;

    // Pooled placement (issue 8 part 2): a request whose private_desktop names a pool takes a lease
    // on a desktop of this pool (its name must match), keyed by the child's logon SID (else user
    // SID) and the heap size. Not owned: the pool must outlive every SafeChild launched with it
    // (each holds its lease until its child has exited). nullptr: such a request is refused
    // (desktop.private.pool_unavailable). With `admission` set, a full pool is waited on up to
    // admission->hold_timeout (pool_announce before every wait); else desktop.pool.full at once.
    LaunchPool* pool = nullptr;
    PoolAnnounce pool_announce;
};

// The token whose rights matter for `request`: the caller's own (a primary duplicate), the given
// token (duplicated), or a LogonUserW token for the given user.
[[nodiscard]] unique_handle target_token(const LaunchRequest& request, std::error_code& ec,
                                         ApiFailure* failure = nullptr);

// The launching process and the way `request` launches (session, LocalSystem, run_as, WinSta0's
// UOI_USER_SID). `token_is_childs`: the facts will be read from the suspended child's own token.
// `connect` false: WinSta0's user SID is not read (that needs user32; SafeLaunchOptions::connect).
[[nodiscard]] LauncherFacts gather_launcher_facts(const LaunchRequest& request, bool token_is_childs,
                                                  bool connect = true);

// Facts about where `request`'s child would connect, as the given token. Never fails as a whole
// once the token is known: what cannot be read stays empty with its reason in the facts. When the
// token's session is not the launcher's, no station or desktop is opened by name (they would be
// the launcher's session's objects): only the resolved names are filled.
[[nodiscard]] Snapshot gather_launch_facts(const LaunchRequest& request, HANDLE token,
                                           const SafeLaunchOptions& options = {});
[[nodiscard]] Snapshot gather_launch_facts(const LaunchRequest& request, HANDLE token,
                                           const LauncherFacts& launcher, const SafeLaunchOptions& options);

// Runs the canary (safelaunch-probe) on the request's desktop as the request's token and keeps
// its JSON report. When it could not be run (probe missing, CreateProcess* failed, timed out)
// the facts say so (ran = false) and `ec` / `failure` name the call that failed.
[[nodiscard]] CanaryFacts run_canary(const LaunchRequest& request, const SafeLaunchOptions& options,
                                     std::error_code& ec, ApiFailure* failure = nullptr);

struct Preflight {
    Snapshot facts;
    Analysis analysis;
};

// Gathers and decides; runs the canary when request.check is canary. request.check == none gives
// an empty, ok Preflight. This is the prediction (`safelaunch check`): the token is the caller's,
// the request's, or a LogonUserW token for RunAsLogon, whose child really gets the caller's logon
// SID (finding prediction.run_as_logon). safe_launch() checks the child's own token instead.
[[nodiscard]] Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options,
                                  std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options = {});

// Why safe_launch did not start a child.
enum class NotStartedReason {
    refused,        // a blocking pre-flight finding, and on_blocking = refuse (the suspended
                    // child, if one was made, was terminated before it ran any code)
    grant_failed,   // --grant could not add its ACE
    launch_failed,  // CreateProcess* (or ResumeThread) failed (see LaunchFailure)
    token_failed,   // the target token could not be had
    no_headroom,    // admission: no room on the desktop within the hold (heap.desktop.no_headroom)
    headroom_unknown,  // admission: the headroom could not be measured (heap.desktop.headroom_unknown)
    placement_failed,  // the private desktop could not be created or verified, or the request's
                       // placement is invalid (desktop and private_desktop both set; a pool)
};

// What became of the child's process tree (LaunchRequest::contain_tree), once a child started.
struct TreeOutcome {
    bool contained = false;           // held by a kill-on-close Job object
    std::optional<std::string> note;  // why not, when containment was asked and could not be had
    // Processes safelaunch ended: at a timeout the whole tree (the child included); after the
    // child's own exit, the descendants it left running (ended at once, counted exactly).
    // Uncontained: 1 at a timeout (the child alone), else 0.
    std::uint32_t ended = 0;
};

struct Outcome {
    Preflight preflight;                       // of the suspended child (after any grant)
    std::vector<std::string> grants;           // "S-1-5-5-0-123: 0x6e on window station X", reverted
    std::optional<std::uint32_t> exit_code;    // nullopt: not started, or still running at timeout
    bool timed_out = false;                    // ended by safelaunch after request.timeout
    std::uint64_t runtime_ms = 0;
    std::optional<Snapshot> post_mortem;       // facts gathered after a DLL-init exit or look-alike
    std::optional<Diagnosis> diagnosis;
    std::optional<NotStartedReason> not_started;
    std::optional<LaunchFailure> launch_failure;
    std::optional<ApiFailure> failure;         // token/grant failure detail
    std::optional<ChildErrorMode> error_mode;  // the hard-error mode the child got (when it started)
    // When SafeLaunchOptions::admission was set: admitted or not, how many waits, how long, the
    // last free figure; the refusal is also in preflight.analysis.preflight.
    std::optional<AdmissionResult> admission;
    std::optional<TreeOutcome> tree;  // set by SafeChild::wait() when a child started
    PlacementOutcome placement;                // where the child was placed (private desktop facts)
    std::optional<Win32kTraceFacts> win32k_trace;  // SafeLaunchOptions::trace_win32k (set by wait())
};

// Notifies the siblings' admission clock (SafeLaunchOptions::admission_clock) once, when the
// child it belongs to is gone; moved with its SafeChild.
class ExitSignal {
public:
    ExitSignal() = default;
    explicit ExitSignal(std::shared_ptr<SteadyAdmissionClock> clock) noexcept : clock_(std::move(clock)) {}
    ExitSignal(ExitSignal&&) noexcept = default;  // a moved-from shared_ptr is empty: no double signal
    ExitSignal& operator=(ExitSignal&& other) noexcept;
    ExitSignal(const ExitSignal&) = delete;
    ExitSignal& operator=(const ExitSignal&) = delete;
    ~ExitSignal() { fire(); }
    void fire() noexcept;

private:
    std::shared_ptr<SteadyAdmissionClock> clock_;
};

// A child started by safe_launch(), with its pre-flight and its grants. wait() waits (honouring
// request.timeout), diagnoses a DLL-init exit or a look-alike, and takes the grants back; so does
// the destructor of a SafeChild nobody waited for (after terminating the child, as Child does).
class SafeChild {
public:
    SafeChild() = default;
    SafeChild(SafeChild&&) noexcept = default;
    SafeChild& operator=(SafeChild&&) noexcept = default;

    [[nodiscard]] bool started() const noexcept { return child_.valid(); }
    // Before wait(): the pre-flight and why it did not start, if it did not.
    [[nodiscard]] const Outcome& outcome() const noexcept { return outcome_; }
    [[nodiscard]] Child& child() noexcept { return child_; }
    [[nodiscard]] Outcome wait();

private:
    friend SafeChild safe_launch(const LaunchRequest&, const SafeLaunchOptions&);
    LaunchRequest request_;
    SafeLaunchOptions options_;
    Outcome outcome_;
    std::string started_utc_;
    bool had_console_ = true;  // the child had a console to attach to (ExitFacts::had_console)
    unique_handle token_;      // the child's own token (TOKEN_QUERY | TOKEN_DUPLICATE), for the post-mortem
    // Declared before grants_ and child_: the private desktop outlives both (closed after the
    // child has exited and the post-mortem is done).
    PrivateDesktop private_desktop_;
    Win32kTrace win32k_trace_;  // SafeLaunchOptions::trace_win32k: running from before the launch
    std::optional<LaunchPool::Lease> pool_lease_;  // pooled placement: given back after the child has exited
    // Declared before child_: fires after the destructor of child_ has ended the child.
    ExitSignal exited_;
    // Declared before child_: destroyed after it, so a grant outlives the child it was made for.
    std::vector<ScopedGrant> grants_;
    Child child_;
};

// With request.private_desktop and no pool, a private station and desktop are created first for the target token's logon SID (win32/private_desktop.hpp), and the
// child runs there: every later step sees request.desktop = that desktop. A failure to create or
// verify it is NotStartedReason::placement_failed, never a launch on a shared desktop. With a
// pool named (options.pool), the child gets a lease on one of the pool's desktops instead; a full
// pool (desktop.pool.full) or one that cannot make a desktop is placement_failed too.
// Creates the child suspended, checks its own token in its own session (and grants, when asked,
// to that token's logon SID), then resumes it, or terminates it before it has run any code when
// the verdict is blocked and on_blocking is refuse. RunAsLogon from LocalSystem is refused before
// any process is made. request.check == none: a plain launch. With options.admission, the hold
// comes first, before any process of the request is made (only the trial's canaries run).
// Never throws for launch-time failures: they are in outcome().
[[nodiscard]] SafeChild safe_launch(const LaunchRequest& request, const SafeLaunchOptions& options = {});

// safe_launch(request, options).wait(): pre-flight, launch, wait, diagnose. Grants are reverted
// before this returns, also when the launch fails or the child crashes.
[[nodiscard]] Outcome safe_launch_and_wait(const LaunchRequest& request, const SafeLaunchOptions& options = {});

}  // namespace safelaunch::win32
