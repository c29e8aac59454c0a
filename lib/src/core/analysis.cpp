#include "safelaunch/analysis.hpp"

#include "safelaunch/event_evidence.hpp"

#include "safelaunch/access_evaluator.hpp"
#include "safelaunch/access_rights.hpp"
#include "safelaunch/connect_rules.hpp"
#include "safelaunch/dacl_census.hpp"
#include "safelaunch/desktop_spec.hpp"
#include "safelaunch/error.hpp"
#include "safelaunch/event_evidence.hpp"
#include "safelaunch/heap_budget.hpp"
#include "safelaunch/printable.hpp"
#include "safelaunch/probe_report.hpp"
#include "safelaunch/program_access.hpp"
#include "safelaunch/session_notes.hpp"
#include "safelaunch/sddl.hpp"
#include "safelaunch/session_view.hpp"
#include "safelaunch/shared_section.hpp"
#include "safelaunch/utc_time.hpp"
#include "safelaunch/win32k_trace.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

constexpr std::uint32_t kWsfVisible = 1;  // UOI_FLAGS of an interactive station

struct ObjectCheck {
    const UserObjectFacts* facts;
    ObjectKind kind;
    std::string prefix;  // "station" / "desktop": finding ids and messages
    std::string label;   // "desktop WinSta0\\Default"
    std::uint32_t required;
};

std::string trustee_of(const TokenFacts& token) {
    // The logon SID is the narrowest grant that covers the child (KB 165194's approach).
    if (token.logon_sid && !token.logon_sid->empty()) return *token.logon_sid;
    return token.user_sid;
}

std::string grant_remedy(const ObjectCheck& c, std::uint32_t missing, const std::string& trustee) {
    // The launcher could not open the object itself (its facts came from an open as the child's
    // token): it cannot change the DACL either, so no grant is suggested (issue 9 part 4).
    if (c.facts->open_error && !c.facts->sddl)
        return fmt::format("safelaunch cannot open {} itself ({}), so it cannot grant there: launch on a desktop the "
                           "token can use (lpDesktop \"\" gives it a hidden station of its own), or grant {} to {} from "
                           "a process that may change that DACL",
                           c.label, *c.facts->open_error, describe_rights(missing, c.kind), trustee);
    // The launcher adds the ACE, so it needs WRITE_DAC on the object. WinSta0's DACL gives the
    // interactive logon SID 0x37F (no WRITE_DAC): on stations, --grant is no promise.
    const std::string_view grant =
        c.kind == ObjectKind::window_station
            ? "safelaunch run --grant does this for the child's lifetime if the launcher may change the station's "
              "DACL (WRITE_DAC: on WinSta0 only SYSTEM and the station's owner)"
            : "safelaunch run --grant does this for the child's lifetime; it needs WRITE_DAC on the desktop";
    return fmt::format("grant {} to {} on {} ({}), or launch on a desktop the token can use",
                       describe_rights(missing, c.kind), trustee, c.label, grant);
}

// The access finding for a token that gets `maximum` (nullopt: not known) and lacks `missing` of
// the needed rights. user32 opens the station and the desktop with MAXIMUM_ALLOWED and no minimum
// set of rights is documented (sandboxes start children on desktops that deny DESKTOP_CREATEWINDOW
// and more), so only an open that would be granted nothing blocks (acl.*.no_access); other
// missing rights are a warning and the canary decides.
void add_access_finding(const ObjectCheck& c, std::optional<std::uint32_t> maximum, std::uint32_t missing,
                        std::string evidence, const std::string& trustee, AccessCheckFacts& fact,
                        std::vector<Finding>& out) {
    fact.ok = false;
    fact.missing_rights = describe_rights(missing, c.kind);
    if (maximum && *maximum == 0) {
        fact.no_access = true;
        out.push_back({fmt::format("acl.{}.no_access", c.prefix), Severity::error,
                       fmt::format("the token is granted no access to {}: user32's open fails and the child would die "
                                   "with 0xC0000142",
                                   c.label),
                       std::move(evidence), grant_remedy(c, missing, trustee)});
        return;
    }
    out.push_back({fmt::format("acl.{}.missing_rights", c.prefix), Severity::warning,
                   fmt::format("the token lacks {} on {}; the child may still connect (user32 opens it with "
                               "MAXIMUM_ALLOWED), but may fail when it creates windows",
                               fact.missing_rights, c.label),
                   std::move(evidence),
                   grant_remedy(c, missing, trustee) + "; run the check with --canary to see whether a child starts there"});
}

// Adds the access finding for one object and returns the access fact for the diagnosis.
std::optional<AccessCheckFacts> check_access(const ObjectCheck& c, const TokenFacts& token,
                                             std::vector<Finding>& out) {
    const auto& f = *c.facts;
    const auto id = [&](std::string_view what) { return fmt::format("acl.{}.{}", c.prefix, what); };
    if (!f.exists) {
        if (!f.exists_known)
            out.push_back({id("unchecked"), Severity::warning,
                           fmt::format("{} could not be checked: whether it exists is not known", c.label),
                           f.open_error.value_or("its window station could not be opened"),
                           "run safelaunch check as a user that may open the window station"});
        return std::nullopt;
    }
    const auto trustee = trustee_of(token);
    AccessCheckFacts fact{c.label, trustee, true, {}};

    if (f.access_granted && f.access_requested) {
        const auto missing = *f.access_requested & ~*f.access_granted & c.required;
        if (missing == 0) return fact;
        add_access_finding(c, f.access_maximum, missing,
                           fmt::format("AccessCheck for {} ({}) granted {} of {}{}",
                                       token.user_name.empty() ? token.user_sid : token.user_name, token.user_sid,
                                       describe_rights(*f.access_granted, c.kind),
                                       describe_rights(*f.access_requested, c.kind),
                                       f.access_maximum ? fmt::format("; MAXIMUM_ALLOWED gives {}",
                                                                      describe_rights(*f.access_maximum, c.kind))
                                                        : std::string()),
                           trustee, fact, out);
        return fact;
    }
    if (!f.sd_present) {
        out.push_back({id("no_security"), Severity::info,
                       fmt::format("{} has no security descriptor: nothing restricts access", c.label),
                       "GetSecurityInfo returned no owner, group or DACL (Wine leaves WinSta0 and Default so)", ""});
        return fact;
    }
    if (!f.sddl) {
        out.push_back({id("unchecked"), Severity::warning,
                       fmt::format("access to {} could not be checked", c.label),
                       f.open_error.value_or("no security descriptor and no AccessCheck result in the facts"),
                       "run safelaunch check as a user that may read the object's security (READ_CONTROL)"});
        fact.ok = true;
        return std::nullopt;
    }
    std::error_code ec;
    SddlError err;
    const auto sd = parse_sddl(*f.sddl, ec, &err);
    if (!sd) {
        out.push_back({id("sddl_unreadable"), Severity::warning,
                       fmt::format("the security descriptor of {} could not be read offline", c.label), err.describe(),
                       "run safelaunch check on the machine itself: the real AccessCheck decides there"});
        return std::nullopt;
    }
    // MAXIMUM_ALLOWED as well: `granted` is then every right the token gets (the S: label applies).
    const auto result = evaluate_access(*sd, token, c.required | rights::kMaximumAllowed, c.kind);
    const auto missing = result.missing();
    if (missing == 0) return fact;
    add_access_finding(c, result.granted, missing,
                       fmt::format("offline AccessCheck model on {}: {}", *f.sddl, result.describe(c.kind)), trustee,
                       fact, out);
    return fact;
}

void check_existence(const Snapshot& s, bool hidden, std::vector<Finding>& out) {
    const auto& t = s.target;
    const auto where = fmt::format("{}\\{}", t.station, t.desktop);
    if (!t.station_facts.exists_known) return;  // not looked for: nothing to conclude
    if (!t.station_facts.exists) {
        if (hidden) {
            out.push_back({"desktop.hidden_station.absent", Severity::info,
                           fmt::format("window station {} does not exist yet; Windows creates it at the child's first "
                                       "user32 call",
                                       t.station),
                           t.station_facts.open_error.value_or("OpenWindowStation found no such station"), ""});
            return;
        }
        out.push_back({"desktop.station.missing", Severity::error,
                       fmt::format("window station {} does not exist: the child would die with 0xC0000142", t.station),
                       t.station_facts.open_error.value_or("OpenWindowStation found no such station"),
                       fmt::format("create the station first, or launch with a desktop that exists (lpDesktop {})",
                                   "\"WinSta0\\Default\" for the interactive one")});
        return;
    }
    if (!t.desktop_facts.exists && t.desktop_facts.exists_known) {
        out.push_back({"desktop.desktop.missing", Severity::error,
                       fmt::format("desktop {} does not exist: the child would die with 0xC0000142", where),
                       t.desktop_facts.open_error.value_or("OpenDesktop found no such desktop"),
                       "create the desktop first (CreateDesktop), or name one that exists"});
    }
}

void check_heap(const Snapshot& s, const std::optional<SharedSection>& ss, const AnalysisOptions& o,
                std::vector<Finding>& out) {
    const auto& t = s.target;
    if (!t.desktop_facts.exists) return;
    const bool interactive = t.station_facts.flags ? (*t.station_facts.flags & kWsfVisible) != 0
                                                   : names_equal(t.station, "WinSta0");
    std::optional<std::uint32_t> heap = t.desktop_facts.heap_kb;
    std::string source = "UOI_HEAPSIZE";
    if (!heap) {
        out.push_back({"heap.desktop.size_unknown", Severity::info,
                       fmt::format("the heap size of desktop {}\\{} could not be read", t.station, t.desktop),
                       "GetUserObjectInformation(UOI_HEAPSIZE) failed (Wine and Windows before Vista lack it)", ""});
        if (ss) {
            heap = interactive ? ss->interactive_kb : ss->noninteractive_kb;
            source = fmt::format("SharedSection {} value", interactive ? "second" : "third");
        }
    }
    if (!heap) return;
    const auto fit = processes_that_fit(*heap);
    const bool small = o.expected_processes ? fit < *o.expected_processes : (!interactive && *heap < kSmallNoninteractiveKb);
    if (!small) return;
    const auto want = o.expected_processes ? fmt::format("{} expected", *o.expected_processes)
                                           : fmt::format("below {} KB", kSmallNoninteractiveKb);
    auto step = next_heap_step_kb(*heap);
    out.push_back({"heap.desktop.small", Severity::warning,
                   fmt::format("desktop {}\\{} has a {} KB heap: room for ~{} processes ({})", t.station, t.desktop,
                               *heap, fit, want),
                   fmt::format("{} KB from {}; ~{} KB per process (field figure)", *heap, source, kServiceProcessKb),
                   step ? fmt::format("raise the SharedSection {} value to {} KB (reboot), or start fewer processes on "
                                      "this desktop",
                                      interactive ? "second" : "third", *step)
                        : std::string("start fewer processes on this desktop")});
}

// Session view headroom (issue 8 part 3). The size of the desktop this launch makes Windows create,
// if any: lpDesktop "" whose Service-0x..$ station does not exist yet gets a new station and
// Default desktop at the SharedSection third value (unknown without it: no size is guessed).
// Every other launch connects to a desktop that exists (or is reported missing): nothing new.
std::optional<std::uint32_t> desktop_kb_created(const Snapshot& s, const std::optional<SharedSection>& ss) {
    const bool hidden = s.target.spec && s.target.spec->empty();
    const auto& station = s.target.station_facts;
    if (!hidden || !station.exists_known || station.exists || !ss) return std::nullopt;
    return ss->noninteractive_kb;
}

// CreateProcessAsUserW's documented demands on its caller: SE_INCREASE_QUOTA_NAME "typically",
// SE_ASSIGNPRIMARYTOKEN_NAME "if the token is not assignable". A token of another logon session
// cannot be derived from the caller's own, so it is not assignable. Reported before the launch,
// which would otherwise fail with ERROR_PRIVILEGE_NOT_HELD (1314) after every check had passed.
void check_as_user(const AsUserFacts& a, std::vector<Finding>& out) {
    const auto state = [](bool held, bool enabled) {
        return held ? (enabled ? "held, enabled" : "held, disabled") : "not held";
    };
    const auto evidence = fmt::format("the caller's token: SeAssignPrimaryTokenPrivilege {}, SeIncreaseQuotaPrivilege "
                                      "{}; the child's token is of {} logon session",
                                      state(a.assign_primary_held, a.assign_primary_enabled),
                                      state(a.increase_quota_held, a.increase_quota_enabled),
                                      a.same_logon_session ? "the caller's" : "another");
    constexpr auto remedy = "run the launcher as a service account (LocalSystem holds both privileges), grant its account "
                            "the privilege, or run as the user with --user (CreateProcessWithLogonW needs no privilege)";
    if (!a.assign_primary_held)
        out.push_back({"token.privilege.assign_primary_missing", Severity::warning,
                       a.same_logon_session
                           ? "CreateProcessAsUserW may fail with ERROR_PRIVILEGE_NOT_HELD (1314): the caller lacks "
                             "SeAssignPrimaryTokenPrivilege, needed unless the token is derived from the caller's own"
                           : "CreateProcessAsUserW will fail with ERROR_PRIVILEGE_NOT_HELD (1314): the token is of another "
                             "logon session and the caller lacks SeAssignPrimaryTokenPrivilege",
                       evidence, remedy});
    if (!a.increase_quota_held)
        out.push_back({"token.privilege.increase_quota_missing", Severity::warning,
                       "CreateProcessAsUserW may fail with ERROR_PRIVILEGE_NOT_HELD (1314): the caller lacks "
                       "SeIncreaseQuotaPrivilege",
                       evidence, remedy});
}

// The launch context (LauncherFacts): when the facts are a prediction that can be wrong, and when
// they cannot be had at all. Returns false when the target objects must not be judged by name.
bool check_launch_context(const Snapshot& s, std::optional<DesktopSpec> spec, std::vector<Finding>& out) {
    if (!s.launcher) return true;  // a snapshot from before LauncherFacts: nothing to say
    const auto& l = *s.launcher;
    if (auto f = refuse_before_launch(l)) out.push_back(std::move(*f));
    if (l.run_as == "logon" && !l.token_is_childs)
        out.push_back({"prediction.run_as_logon", Severity::warning,
                       "the checks are a prediction that can be wrong for a launch as another user by password",
                       "checked with a LogonUserW token; CreateProcessWithLogonW gives the child the caller's logon "
                       "SID, and for lpDesktop NULL or \"\" the caller's window station and desktop",
                       "safelaunch run checks the child's own token before it runs"});
    // A LogonUserW stand-in for RunAsLogon has a session of its own; the child runs in the caller's.
    const bool logon_prediction = l.run_as == "logon" && !l.token_is_childs;
    if (!logon_prediction && s.token.session_id != l.session_id) {
        out.push_back({"session.other.not_inspectable", Severity::warning,
                       fmt::format("the token belongs to session {}, the launcher runs in session {}: another "
                                   "session's window stations and desktops are not inspectable by name",
                                   s.token.session_id, l.session_id),
                       "OpenWindowStation and OpenDesktop see only the caller's session; no access check, no "
                       "existence check and no grant were made",
                       "run safelaunch check inside the target session to inspect its desktop"});
        return false;
    }
    if (spec && (spec->kind == DesktopSpecKind::relative ||
                 (spec->kind == DesktopSpecKind::hidden_session && l.run_as != "logon"))) {
        const auto d = decide_interactive(
            {s.token.logon_sid, s.token.session_id,
             std::any_of(s.token.groups.begin(), s.token.groups.end(),
                         [](const GroupFacts& g) { return g.sid == "S-1-5-4" && (g.attributes & group_attr::kEnabled); }),
             l.session_id, l.interactive_user_sid});
        if (d.basis == InteractiveBasis::group_fallback)
            out.push_back({"desktop.interactive.unknown", Severity::info,
                           fmt::format("whether the token is in the interactive logon session could not be read; "
                                       "assumed it {}",
                                       d.interactive ? "is (WinSta0)" : "is not (its Service-0x..$ station)"),
                           l.interactive_user_sid_error.value_or("no user SID of WinSta0 in the facts"),
                           "decided from the INTERACTIVE group, which a LogonUserW token also carries"});
    }
    return true;
}

// Whether the child connects where this process could not (SelfConnectFacts::startup_desktop):
// NULL inherits our station and desktop; "" does for RunAsLogon (CreateProcessWithLogonW); a
// spec naming the desktop we were started on (a bare "Desk" matches its desktop part). Anything
// else, and any spec when we were started with an empty lpDesktop, is taken as another desktop.
bool child_shares_our_desktop(const DesktopSpec& child, const SelfConnectFacts& self, const Snapshot& s) {
    if (child.kind == DesktopSpecKind::inherit) return true;
    if (child.kind == DesktopSpecKind::hidden_session) return s.launcher && s.launcher->run_as == "logon";
    if (self.startup_desktop.empty()) return false;
    const auto own = parse_desktop_spec(std::optional<std::string_view>(self.startup_desktop));
    if (!own || (own->kind != DesktopSpecKind::relative && own->kind != DesktopSpecKind::absolute)) return false;
    if (child.kind == DesktopSpecKind::relative) return names_equal(child.desktop, own->desktop);
    return own->kind == DesktopSpecKind::absolute && equals(child, *own);
}

// Our own failed connection (issue 12): user32.dll could not be loaded in this process, so no
// station or desktop could be looked at. For a child on our desktop that failure is the verdict
// (KB 184802's two causes apply to it as to us); for another desktop the pre-flight is skipped.
// Returns false when the failure was seen: the target objects must not be judged (not looked at).
bool check_self_connect(const Snapshot& s, const std::optional<DesktopSpec>& spec, std::vector<Finding>& out) {
    if (!s.self_connect || !s.self_connect->attempted || s.self_connect->connected) return true;
    const auto& self = *s.self_connect;
    const auto ours = self.startup_desktop.empty() ? std::string("inherited")
                                                   : fmt::format("\"{}\"", self.startup_desktop);
    const auto name = win32_error_name(self.error);
    const auto what = fmt::format("{} failed with {}{}{}", self.api.empty() ? "loading user32.dll" : self.api,
                                  self.error, name.empty() ? "" : " ", name);
    const auto evidence = fmt::format("{}; this process's desktop (GetStartupInfoW lpDesktop): {}",
                                      self.failure.empty() ? what : self.failure, ours);
    constexpr auto causes = "KB 184802 names two causes: the account may not use the window station or desktop "
                            "(grant it access, or launch on a desktop it may use), or the desktop heap is full "
                            "(end processes on that desktop, or raise the SharedSection value for it and reboot)";
    if (spec && child_shares_our_desktop(*spec, self, s)) {
        out.push_back({"self.desktop.connect_failed", Severity::error,
                       fmt::format("safelaunch could not connect to its own desktop ({}): {}; a child on the same "
                                   "desktop would die with 0xC0000142",
                                   ours, what),
                       fmt::format("{}; the child's lpDesktop {} is this desktop", evidence,
                                   spec->describe()),
                       fmt::format("{}; run --force launches anyway", causes)});
    } else {
        out.push_back({"self.desktop.preflight_skipped", Severity::warning,
                       fmt::format("safelaunch could not connect to its own desktop ({}): {}; the child's desktop "
                                   "is another one and was not checked",
                                   ours, what),
                       fmt::format("{}; the child's lpDesktop {}", evidence,
                                   spec ? spec->describe() : std::string("is not valid")),
                       fmt::format("run safelaunch check from a process that can connect; for this process, {}",
                                   causes)});
    }
    return false;
}

std::string canary_evidence(const CanaryFacts& c) {
    return c.report ? fmt::format("{}; its report: {}", c.detail, *c.report) : c.detail;
}

void check_canary(const Snapshot& s, const CanaryFacts& c, std::vector<Finding>& out) {
    const auto where = fmt::format("{}\\{}", s.target.station, s.target.desktop);
    if (!c.ran || c.exit_code == probe_exit::kUsage) {
        // Nothing was learnt about the desktop: not a reason to refuse the launch.
        out.push_back({"canary.not_run", Severity::warning,
                       fmt::format("the canary could not be run on {}: the desktop was not tested", where),
                       canary_evidence(c),
                       "check that safelaunch-probe.exe is beside safelaunch.exe and that the target token may run it"});
        return;
    }
    if (c.exit_code == probe_exit::kHandleQuota) {
        // The per-process USER handle quota (10,000 by default) ended the fill, not the heap.
        const auto report = c.report ? parse_probe_report(*c.report) : std::nullopt;
        out.push_back({"canary.quota", Severity::warning,
                       fmt::format("the canary started on {} but reached its USER handle quota before it allocated "
                                   "{} KB{}: the heap test is inconclusive",
                                   where, c.alloc_kb,
                                   report && report->objects_created
                                       ? fmt::format(" (after {} objects, ~{} KB)", *report->objects_created,
                                                     report->estimated_kb.value_or(0))
                                       : std::string()),
                       canary_evidence(c),
                       fmt::format("run the canary with a smaller --alloc-kb (at most {})", kCanaryMaxAllocKb)});
        return;
    }
    const bool ok = c.exit_code == probe_exit::kOk && (c.alloc_kb == 0 || c.allocated);
    if (ok)
        out.push_back({"canary.ok", Severity::info,
                       fmt::format("the canary started on {}{}", where,
                                   c.alloc_kb ? fmt::format(" and allocated {} KB", c.alloc_kb) : ""),
                       canary_evidence(c), ""});
    else
        out.push_back({"canary.failed", Severity::error,
                       fmt::format("the canary could not {} on {} (exit {})",
                                   c.exit_code == probe_exit::kOk || c.exit_code == probe_exit::kHeapExhausted
                                       ? fmt::format("allocate {} KB", c.alloc_kb)
                                   : explain_exit_code(c.exit_code).dll_init_failure ? std::string("start")
                                                                                    : std::string("complete its test"),
                                   where, describe_exit_code(c.exit_code)),
                       canary_evidence(c), "see the access and heap findings; safelaunch explain the exit code"});
}

// One info line on the machine's hard-error mode (KB 128642): whether a popup would wait.
void check_hard_error_mode(const HardErrorModeFacts& h, std::vector<Finding>& out) {
    constexpr std::string_view kKey = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Windows, value ErrorMode";
    Finding f{"system.hard_error_mode", Severity::info, "", "", ""};
    if (h.error) {
        f.message = "the machine's hard-error mode could not be read";
        f.evidence = *h.error;
    } else if (!h.value || *h.value == 0) {
        f.message = fmt::format("hard-error mode {}: a hard-error popup waits for an answer (KB 128642); safelaunch "
                                "suppresses it for its own children",
                                h.value ? "0" : "not set (0)");
        f.evidence = fmt::format("{}: {}", kKey, h.value ? "0" : "not set");
        f.remedy = "for an unattended machine (CI, services) set it to 2";
    } else if (*h.value == 1) {
        f.message = "hard-error mode 1: only errors from the system are answered and logged; a program's popup still "
                    "waits (KB 128642)";
        f.evidence = fmt::format("{}: 1", kKey);
        f.remedy = "for an unattended machine (CI, services) set it to 2";
    } else {
        f.message = fmt::format("hard-error mode {}: hard errors are answered automatically and logged as System event 26 "
                                "\"Application Popup\" (KB 128642)",
                                *h.value);
        f.evidence = fmt::format("{}: {}{}", kKey, *h.value, *h.value == 2 ? "" : " (KB 128642 documents 0, 1 and 2)");
    }
    out.push_back(std::move(f));
}

}  // namespace

std::optional<Finding> refuse_before_launch(const LauncherFacts& l) {
    if (l.run_as == "logon" && l.local_system)
        return Finding{"run_as.logon.local_system", Severity::error,
                       "CreateProcessWithLogonW cannot be called from LocalSystem",
                       "the launcher runs as S-1-5-18 and the request runs as another user by name and password "
                       "(the function uses the logon SID of the caller's token, which LocalSystem does not have)",
                       "from a service, log the user on (LogonUserW) and launch with that token "
                       "(--token-of-pid or CreateProcessAsUserW)"};
    return std::nullopt;
}

bool in_interactive_session(const TokenFacts& t) noexcept {
    const bool interactive = std::any_of(t.groups.begin(), t.groups.end(), [](const GroupFacts& g) {
        return g.sid == "S-1-5-4" && (g.attributes & group_attr::kEnabled);
    });
    return interactive && t.session_id != 0;
}

bool worth_a_post_mortem(std::uint32_t exit_code) {
    const auto info = explain_exit_code(exit_code);
    return info.dll_init_failure || info.family == ExitCodeFamily::ntstatus_error;
}

std::vector<Finding> Analysis::all_findings() const {
    auto all = preflight;
    if (diagnosis) {
        const auto d = to_findings(*diagnosis);
        all.insert(all.end(), d.begin(), d.end());
    }
    return all;
}

DiagnosisInput diagnosis_input(const Snapshot& s, const std::vector<AccessCheckFacts>& access) {
    DiagnosisInput in;
    if (s.exit) {
        in.exit_code = s.exit->exit_code;
        in.runtime_ms = s.exit->runtime_ms;
        if (!s.token.restricted_sids.empty()) in.restricted_token_without_console = !s.exit->had_console;
        else in.restricted_token_without_console = false;
        in.child_error_mode = s.exit->error_mode;
    }
    in.access = access;
    if (s.system.events) {
        // Only this launch's events count. Compared as 100-ns ticks: EvtRender's SystemTime has 7
        // fractional digits and started_utc may have none, and as text "...:58.5Z" < "...:58Z".
        // With a start time, an event whose time does not parse is not counted.
        const bool bounded = s.exit && !s.exit->started_utc.empty();
        const auto since = bounded ? parse_utc_ticks(s.exit->started_utc) : std::nullopt;
        const auto this_launch = [&](const EventFacts& e) {
            if (!bounded) return true;
            const auto at = parse_utc_ticks(e.time_utc);
            return since && at && *at >= *since;
        };
        const auto seen = [&](std::uint32_t id) {
            return std::any_of(s.system.events->begin(), s.system.events->end(),
                               [&](const EventFacts& e) { return e.id == id && this_launch(e); });
        };
        in.event_243_seen = seen(kEventDesktopHeapAllocFailed);
        in.event_244_seen = seen(kEventDesktopCreateFailed);
        // Event 26 counts only when it names the child's image (the program's resolved path, else
        // the name it was started by).
        const std::string image = s.program_imports && !s.program_imports->program.empty() ? s.program_imports->program
                                  : s.exit                                                  ? s.exit->image
                                                                                            : std::string{};
        if (!image.empty()) {
            in.event_26_seen = false;
            for (const auto& e : *s.system.events) {
                if (e.id != kEventApplicationPopup || !this_launch(e) || !popup_reports_dll_init_failure(e.message, image))
                    continue;
                in.event_26_seen = true;
                in.event_26_text = e.message;
                break;
            }
        }
    }
    if (s.target.station_facts.exists_known) in.station_exists = s.target.station_facts.exists;
    if (s.target.desktop_facts.exists_known) in.desktop_exists = s.target.desktop_facts.exists;
    // A hidden station that does not exist yet is created for the child: not a missing desktop.
    if (s.target.spec && s.target.spec->empty() && !s.target.station_facts.exists) {
        in.station_exists.reset();
        in.desktop_exists.reset();
    }
    HeapFacts heap;
    heap.heap_kb = s.target.desktop_facts.heap_kb;
    if (s.target.station_facts.flags) heap.interactive = (*s.target.station_facts.flags & kWsfVisible) != 0;
    // A canary that did not run, or that stopped at the USER handle quota, says nothing of the heap.
    if (s.canary && s.canary->ran && s.canary->exit_code != probe_exit::kUsage) {
        heap.canary_started = s.canary->exit_code != 0xC0000142u && s.canary->exit_code != 128u;
        if (s.canary->alloc_kb > 0 && s.canary->exit_code != probe_exit::kHandleQuota)
            heap.canary_allocated = s.canary->allocated;
    }
    if (heap.heap_kb || heap.canary_started) in.heap = heap;
    in.os = s.system.os;
    if (s.system.os.major == 0) in.os.reset();  // not gathered
    return in;
}

Analysis analyze(const Snapshot& s, const AnalysisOptions& o) {
    Analysis a;
    auto& out = a.preflight;

    const auto spec = parse_desktop_spec(s.target.spec ? std::optional<std::string_view>(*s.target.spec) : std::nullopt);
    const auto spec_or_none = spec ? std::optional<DesktopSpec>(*spec) : std::nullopt;
    const bool connected = check_self_connect(s, spec_or_none, out);
    const bool inspectable = check_launch_context(s, spec_or_none, out) && connected;
    if (connected)  // the target was looked at (issue 9 part 4)
        for (auto& f : session_notes(s)) out.push_back(std::move(f));
    if (!spec) {
        out.push_back({"desktop.spec.invalid", Severity::error, spec.problem().message,
                       fmt::format("lpDesktop as given: \"{}\"", s.target.spec.value_or("")),
                       "use NULL (inherit), \"\" (hidden station), \"Desktop\" or \"Station\\Desktop\" with a "
                       "backslash"});
    } else if (inspectable) {
        check_existence(s, spec->kind == DesktopSpecKind::hidden_session, out);
    }

    const auto station_label = fmt::format("window station {}", s.target.station);
    const auto desktop_label = fmt::format("desktop {}\\{}", s.target.station, s.target.desktop);
    for (const ObjectCheck& c : {ObjectCheck{&s.target.station_facts, ObjectKind::window_station, "station",
                                             station_label, kStationRightsNeeded},
                                 ObjectCheck{&s.target.desktop_facts, ObjectKind::desktop, "desktop", desktop_label,
                                             kDesktopRightsNeeded & ~o.desktop_rights_withheld}}) {
        if (!inspectable) break;
        if (auto fact = check_access(c, s.token, out)) a.access.push_back(*fact);
        // Issue 9 part 5: logon-SID grants that pile up (warning above kLogonSidPileupThreshold).
        if (c.facts->exists && c.facts->sddl)
            if (const auto census = dacl_census(*c.facts->sddl))
                if (auto pileup = logon_sid_pileup(*census, c.prefix, c.label)) out.push_back(std::move(*pileup));
    }
    if (!s.token.restricted_sids.empty())
        out.push_back({"token.restricted", Severity::info,
                       fmt::format("the token is restricted ({} restricted SIDs): access needs both passes",
                                   s.token.restricted_sids.size()),
                       "TokenRestrictedSids is not empty", ""});
    if (s.as_user) check_as_user(*s.as_user, out);

    std::optional<SharedSection> ss;
    if (s.system.subsystems_windows_value) {
        auto analysis = analyze_windows_value(*s.system.subsystems_windows_value,
                                              s.system.stray_shared_section_value
                                                  ? std::optional<std::string_view>(*s.system.stray_shared_section_value)
                                                  : std::nullopt);
        ss = analysis.values;
        // A broken SharedSection does not stop this launch (the running csrss already parsed it);
        // it is reported, at most as a warning.
        for (auto& f : analysis.findings) {
            if (f.severity == Severity::error) f.severity = Severity::warning;
            out.push_back(std::move(f));
        }
    }
    if (inspectable) check_heap(s, ss, o, out);
    if (s.session_view) {
        auto views = session_view_findings(*s.session_view, desktop_kb_created(s, ss));
        out.insert(out.end(), views.begin(), views.end());
    }
    if (s.system.hard_error_mode) check_hard_error_mode(*s.system.hard_error_mode, out);

    if (s.canary) check_canary(s, *s.canary, out);

    // Will the child connect at start? Its import closure (issue 9; rules in connect_rules.hpp).
    const auto connect = s.program_imports ? connect_facts_of(*s.program_imports) : std::nullopt;
    if (s.program_imports) out.push_back(program_imports_finding(*s.program_imports));
    if (connect) out = apply_connect_facts(std::move(out), *connect);
    // Look-alikes (issue 9 part 4): the child may not open its program or DLLs; aliases.
    if (s.program_access)
        for (auto& f : program_access_findings(*s.program_access, s.launcher)) out.push_back(std::move(f));

    if (s.win32k_trace)  // issue 9 part 3 (escaped by win32k_trace_findings)
        for (auto& f : win32k_trace_findings(*s.win32k_trace)) out.push_back(std::move(f));
    // Names from the snapshot (station, desktop, account, lpDesktop) may hold any character.
    for (auto& f : out) {
        escape_control_chars_in_place(f.message);
        escape_control_chars_in_place(f.evidence);
        escape_control_chars_in_place(f.remedy);
    }
    a.verdict = verdict_of(out);
    if (s.exit) a.diagnosis = diagnose(diagnosis_input(s, a.access));
    if (a.diagnosis && connect) a.diagnosis = apply_connect_facts(std::move(*a.diagnosis), *connect);
    if (a.diagnosis && s.program_access) a.diagnosis = apply_program_access(std::move(*a.diagnosis), *s.program_access);
    // R14 last: the kernel's own record outranks every inference (issue 9 part 3).
    if (a.diagnosis && s.win32k_trace) a.diagnosis = apply_win32k_trace(std::move(*a.diagnosis), *s.win32k_trace);
    return a;
}

}  // namespace safelaunch
