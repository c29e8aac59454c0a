#include "safelaunch/diagnosis.hpp"

#include "safelaunch/error_mode.hpp"

#include "safelaunch/printable.hpp"
#include "safelaunch/win32k_trace.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace safelaunch {
namespace {

constexpr std::array kCauseNames = {
    std::string_view{"access"},         std::string_view{"desktop_heap"},
    std::string_view{"session_pool"},   std::string_view{"missing_desktop"},
    std::string_view{"restricted_token_no_console"}, std::string_view{"other_dll_init"},
    std::string_view{"not_dll_init"},   std::string_view{"program_access"},
};
constexpr std::array kLikelihoodNames = {
    std::string_view{"decided"}, std::string_view{"likely"}, std::string_view{"possible"}, std::string_view{"unlikely"},
};

Likelihood weaker(Likelihood l) noexcept {
    return l == Likelihood::unlikely ? l : static_cast<Likelihood>(static_cast<int>(l) + 1);
}

bool positive(Likelihood l) noexcept { return l == Likelihood::decided || l == Likelihood::likely; }

constexpr std::string_view kSubsystemsKey =
    "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\SubSystems, value Windows";

// R3.
RankedCause rank_access(const DiagnosisInput& in, bool& ruled_out) {
    RankedCause c{CauseId::access, Likelihood::possible, {}, {}};
    ruled_out = false;
    if (in.access.empty()) {
        c.evidence.emplace_back("not checked: run an AccessCheck of the child's token against its window station and desktop");
        c.remedy = "Check the token's access: WINSTA_* rights on the station and DESKTOP_* rights on the desktop "
                   "(a service account needs at least DESKTOP_CREATEWINDOW, READOBJECTS, WRITEOBJECTS, ENUMERATE).";
        return c;
    }
    std::vector<std::string> grants;
    bool no_access = false;
    for (const auto& check : in.access) {
        if (check.ok) {
            c.evidence.push_back(fmt::format("access check passed on {}", check.object));
            continue;
        }
        const auto who = check.trustee_sid.empty() ? std::string("the child's user or logon SID") : check.trustee_sid;
        const auto rights = check.missing_rights.empty() ? std::string("the requested rights") : check.missing_rights;
        c.evidence.insert(c.evidence.begin() + static_cast<std::ptrdiff_t>(grants.size()),
                          fmt::format("access check failed: {} lacks {} on {}{}", who, rights, check.object,
                                      check.no_access ? " and is granted nothing there" : ""));
        grants.push_back(fmt::format("{} {} on {}", who, rights, check.object));
        no_access = no_access || check.no_access;
    }
    if (grants.empty()) {
        c.likelihood = Likelihood::unlikely;
        ruled_out = true;
        c.remedy = "None needed: the token has the rights it asks for.";
        return c;
    }
    // Granted nothing: user32's open fails for certain. Some rights: it may still connect.
    c.likelihood = no_access ? Likelihood::decided : Likelihood::likely;
    if (!no_access)
        c.evidence.emplace_back("some rights were granted, so user32's MAXIMUM_ALLOWED open may still succeed");
    std::string remedy;
    for (const auto& g : grants) remedy += (remedy.empty() ? "Grant " : "; grant ") + g;
    c.remedy = remedy + " (an allow ACE in the object's DACL; safelaunch's scoped grant does this for one launch).";
    return c;
}

std::string heap_remedy(const std::optional<HeapFacts>& heap) {
    std::string_view which = "third SharedSection value (desktops of non-interactive stations; the second if the desktop is on WinSta0)";
    if (heap && heap->interactive) {
        which = *heap->interactive ? "second SharedSection value (desktops of the interactive station WinSta0)"
                                   : "third SharedSection value (desktops of non-interactive stations)";
    }
    std::string size;
    if (heap && heap->recommended_kb) {
        size = fmt::format("to {} KB", *heap->recommended_kb);
    } else if (heap && heap->heap_kb) {
        const auto next = next_heap_step_kb(*heap->heap_kb);
        if (!next)
            return fmt::format("The desktop already has {} KB, at or above the {} KB ceiling: put fewer windows or processes "
                               "on this desktop (e.g. run services under accounts or stations of their own) instead of raising it.",
                               *heap->heap_kb, kHeapCeilingKb);
        size = fmt::format("from {} to {} KB", *heap->heap_kb, *next);
    } else {
        size = "one step (768 -> 1024 -> 2048 KB)";
    }
    return fmt::format("Raise the {} {} in {}, then reboot.", which, size, kSubsystemsKey);
}

// R4.
RankedCause rank_desktop_heap(const DiagnosisInput& in, bool access_failed, bool& ruled_out) {
    RankedCause c{CauseId::desktop_heap, Likelihood::possible, {}, heap_remedy(in.heap)};
    ruled_out = false;
    if (in.event_243_seen && *in.event_243_seen) {
        c.likelihood = Likelihood::decided;
        c.evidence.emplace_back("Win32k event 243 \"A desktop heap allocation failed\" was logged since the launch");
    }
    const auto& h = in.heap;
    bool measured = false;
    if (h) {
        const bool canary_failed = (h->canary_started && !*h->canary_started) || (h->canary_allocated && !*h->canary_allocated);
        const bool canary_ok = h->canary_started.value_or(false) && h->canary_allocated.value_or(false);
        if (canary_failed) {
            measured = true;
            c.evidence.emplace_back(h->canary_started && !*h->canary_started
                                        ? "a canary process could not start on the same desktop after the failure"
                                        : "a canary process on the same desktop could not create its windows");
            if (c.likelihood != Likelihood::decided) {
                if (access_failed) {
                    c.likelihood = Likelihood::possible;
                    c.evidence.emplace_back("the canary's failure may share the access failure's cause");
                } else {
                    c.likelihood = Likelihood::likely;
                }
            }
        } else if (canary_ok) {
            measured = true;
            c.evidence.emplace_back("a canary process started on the same desktop and created its windows after the failure");
            if (c.likelihood != Likelihood::decided) c.likelihood = Likelihood::unlikely;
        }
        const bool started_only = h->canary_started.value_or(false) && !h->canary_allocated;
        if (started_only) c.evidence.emplace_back("a canary process started on the same desktop afterwards; it was not asked to allocate");
        if (h->estimated_fill_percent) {
            measured = true;
            const double fill = *h->estimated_fill_percent;
            c.evidence.push_back(fmt::format("desktop heap estimated {:.0f} % full{}", fill,
                                             h->heap_kb ? fmt::format(" of {} KB", *h->heap_kb) : std::string{}));
            if (c.likelihood != Likelihood::decided && !canary_failed && !canary_ok)
                c.likelihood = fill >= 90.0 ? Likelihood::likely : fill >= 75.0 ? Likelihood::possible : Likelihood::unlikely;
            else if (c.likelihood == Likelihood::unlikely && fill >= 90.0)
                c.likelihood = Likelihood::possible;  // a canary fitting in 10 % left says little
        } else if (h->heap_kb) {
            c.evidence.push_back(fmt::format("desktop heap size {} KB", *h->heap_kb));
        }
    }
    if (!measured && c.likelihood != Likelihood::decided)
        c.evidence.emplace_back("heap not measured: run the heap canary with an allocation on the target desktop");
    if (in.event_243_seen && !*in.event_243_seen)
        c.evidence.emplace_back(
            "event 243 not logged since the launch: weak evidence, as 243 and 244 are reported to share one log-once flag per "
            "session (after the first heap failure of a boot neither is logged again), so this does not rule it out");
    else if (!in.event_243_seen)
        c.evidence.emplace_back("System log not read: look for Win32k event 243");
    // Event 26 ("Application Popup") is logged when csrss raises the hard-error popup. A child
    // that inherited SEM_FAILCRITICALERRORS never gets that far: ReactOS's kernel drops the hard
    // error before csrss sees it (unverified on Windows), so no event 26 is expected for it.
    if (in.child_error_mode && hard_errors_suppressed(*in.child_error_mode))
        c.evidence.push_back(fmt::format("the child's hard-error popup was suppressed (error mode {:#06x}): no \"Application "
                                         "Popup\" event 26 is expected for it, so its absence is no evidence",
                                         *in.child_error_mode));
    ruled_out = c.likelihood == Likelihood::unlikely && !(in.event_243_seen && *in.event_243_seen);
    return c;
}

// R5.
RankedCause rank_session_pool(const DiagnosisInput& in) {
    RankedCause c{CauseId::session_pool, Likelihood::unlikely, {}, {}};
    c.remedy = "Fewer desktops: every service account's logon session gets its own Service-0x...$ station and desktop with a full "
               "non-interactive heap, so run services under fewer accounts or lower the third SharedSection value; on XP/2003 x86 "
               "all desktops share a 48 MB session view (20 MB under Terminal Services or /3GB).";
    if (!in.event_244_seen) {
        c.evidence.emplace_back("not checked: look for Win32k event 244 in the System log");
    } else if (*in.event_244_seen) {
        c.likelihood = Likelihood::decided;
        c.evidence.emplace_back("Win32k event 244 \"Failed to create a desktop due to desktop heap exhaustion\" was logged since the launch");
    } else {
        c.evidence.emplace_back("event 244 not logged since the launch (weak evidence: 243 and 244 are reported to share one "
                                "log-once flag per session)");
    }
    return c;
}

// R6.
RankedCause rank_missing_desktop(const DiagnosisInput& in) {
    RankedCause c{CauseId::missing_desktop, Likelihood::unlikely, {}, {}};
    c.remedy = "Create the desktop (CreateDesktopW in its station) before the launch, or correct lpDesktop: "
               "\"Station\\Desktop\" with a backslash; a bare name is relative to the station the child uses.";
    const bool station_missing = in.station_exists && !*in.station_exists;
    const bool desktop_missing = in.desktop_exists && !*in.desktop_exists;
    if (station_missing) c.evidence.emplace_back("the window station named for the child does not exist");
    if (desktop_missing) c.evidence.emplace_back("the desktop named for the child does not exist");
    if (station_missing || desktop_missing) {
        c.likelihood = Likelihood::decided;
    } else if (in.station_exists && in.desktop_exists) {
        c.evidence.emplace_back("the window station and desktop exist");
        c.remedy.clear();
    } else {
        c.evidence.emplace_back("not checked: open the window station and desktop named in lpDesktop");
    }
    return c;
}

// R7.
RankedCause rank_restricted_token(const DiagnosisInput& in) {
    RankedCause c{CauseId::restricted_token_no_console, Likelihood::unlikely, {}, {}};
    c.remedy = "Start the child with DETACHED_PROCESS so no console is made for it, give the parent a console first "
               "(AllocConsole) so the child inherits one, or launch it without restricting SIDs.";
    if (!in.restricted_token_without_console) {
        c.evidence.emplace_back("not checked: does the token have restricting SIDs, and did the parent have a console?");
    } else if (*in.restricted_token_without_console) {
        c.likelihood = Likelihood::likely;
        c.evidence.emplace_back("the child ran under a restricted token with no console to inherit");
    } else {
        c.evidence.emplace_back("the child did not run under a restricted token without a console");
        c.remedy.clear();
    }
    return c;
}

std::string first_line(const RankedCause& c) {
    return fmt::format("{}: {}", to_string(c.id), c.evidence.empty() ? std::string("no evidence") : c.evidence.front());
}

std::string deciding_line(const std::vector<RankedCause>& causes) {
    std::vector<const RankedCause*> decided, likely, possible;
    for (const auto& c : causes) {
        if (c.likelihood == Likelihood::decided) decided.push_back(&c);
        else if (c.likelihood == Likelihood::likely) likely.push_back(&c);
        else if (c.likelihood == Likelihood::possible) possible.push_back(&c);
    }
    const auto join = [](const std::vector<const RankedCause*>& list) {
        std::string s;
        for (const auto* c : list) s += (s.empty() ? "" : " and ") + first_line(*c);
        return s;
    };
    if (decided.size() == 1) return "decided by " + first_line(*decided.front());
    if (!decided.empty()) {
        auto s = "decided by " + join(decided);
        if (decided.front()->id == CauseId::access)
            s += "; both reported, access first: it fails every time, heap exhaustion depends on load";
        return s;
    }
    if (!likely.empty()) return "nothing decided; likely " + join(likely);
    std::string names;
    for (const auto* c : possible) names += (names.empty() ? "" : ", ") + std::string(to_string(c->id));
    if (names.empty()) return "nothing decisive: every listed cause is unlikely";
    return fmt::format("nothing decisive: possible {}; run the checks listed with them", names);
}

}  // namespace

std::string_view to_string(CauseId c) noexcept { return kCauseNames[static_cast<std::size_t>(c)]; }
std::string_view to_string(Likelihood l) noexcept { return kLikelihoodNames[static_cast<std::size_t>(l)]; }

std::optional<CauseId> cause_from_string(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kCauseNames.size(); ++i)
        if (kCauseNames[i] == s) return static_cast<CauseId>(i);
    return std::nullopt;
}

std::optional<Likelihood> likelihood_from_string(std::string_view s) noexcept {
    for (std::size_t i = 0; i < kLikelihoodNames.size(); ++i)
        if (kLikelihoodNames[i] == s) return static_cast<Likelihood>(i);
    return std::nullopt;
}

const RankedCause* Diagnosis::find(CauseId id) const noexcept {
    const auto it = std::find_if(causes.begin(), causes.end(), [&](const RankedCause& c) { return c.id == id; });
    return it == causes.end() ? nullptr : &*it;
}

std::optional<std::uint32_t> next_heap_step_kb(std::uint32_t current_kb) noexcept {
    for (const std::uint32_t step : {768U, 1024U, 2048U})
        if (current_kb < step) return step;
    if (current_kb >= kHeapCeilingKb) return std::nullopt;
    std::uint32_t step = 2048;
    while (step <= current_kb) step *= 2;
    return std::min(step, kHeapCeilingKb);
}

Diagnosis diagnose(const DiagnosisInput& in) {
    Diagnosis d;
    d.code = explain_exit_code(in.exit_code);

    // R1.
    if (in.exit_code == 0) {
        d.deciding_evidence = "exit code 0: the child exited normally";
        return d;
    }
    // R2.
    if (!d.code.dll_init_failure) {
        RankedCause c{CauseId::not_dll_init, Likelihood::decided, {}, {}};
        c.evidence.push_back(fmt::format("exit code {} is not a DLL-initialisation failure: {}", describe_exit_code(in.exit_code),
                                         d.code.summary));
        for (const auto& cause : d.code.causes) c.evidence.push_back("cause: " + cause);
        for (const auto& r : d.code.remedies) c.remedy += (c.remedy.empty() ? "" : " ") + r;
        d.causes.push_back(std::move(c));
        d.deciding_evidence = "decided by " + first_line(d.causes.front());
        return d;
    }

    bool access_ruled_out = false, heap_ruled_out = false;
    auto access = rank_access(in, access_ruled_out);
    auto heap = rank_desktop_heap(in, access.likelihood == Likelihood::decided, heap_ruled_out);
    d.causes = {std::move(access), std::move(heap), rank_session_pool(in), rank_missing_desktop(in), rank_restricted_token(in)};

    // R8.
    RankedCause other{CauseId::other_dll_init, Likelihood::unlikely, {}, {}};
    other.remedy = "Find the DLL whose initialiser failed: enable loader snaps (gflags -i <exe> +sls) and run the program under a "
                   "debugger, or read the Application event log; that DLL's DllMain returned FALSE.";
    const bool another_positive = std::any_of(d.causes.begin(), d.causes.end(), [](const RankedCause& c) { return positive(c.likelihood); });
    if (access_ruled_out && heap_ruled_out && !another_positive) {
        other.likelihood = Likelihood::likely;
        other.evidence.emplace_back("the access check passed and the desktop heap had room, so a DLL failed for its own reasons");
    } else {
        other.evidence.emplace_back("only once access and desktop heap are ruled out");
    }

    // R12: the popup names this image and the status, so this process itself failed at start.
    const bool popup = in.event_26_seen && *in.event_26_seen;
    const auto popup_line = popup ? fmt::format("System log event 26 (Application Popup) since the launch names the child's "
                                                "image and a DLL-init failure: \"{}\"", in.event_26_text)
                                  : std::string{};

    // R9: beyond the loader window the code did not come from this process's own start.
    if (popup && in.runtime_ms && *in.runtime_ms > kDllInitWindowMs) {
        for (auto& c : d.causes)
            if (c.likelihood != Likelihood::unlikely)
                c.evidence.push_back(fmt::format("the child ran {} ms, but the popup event shows it failed at start (a popup "
                                                 "waiting for an answer keeps the process alive)",
                                                 *in.runtime_ms));
    } else if (in.runtime_ms && *in.runtime_ms > kDllInitWindowMs) {
        const auto line = fmt::format("the child ran {} ms; a loader-time DLL-init failure ends within a fraction of a second", *in.runtime_ms);
        for (auto& c : d.causes) {
            c.likelihood = weaker(c.likelihood);
            c.evidence.push_back(line);
        }
        other.likelihood = Likelihood::likely;
        other.evidence.insert(other.evidence.begin(),
                              line + ": the code more likely came from a grandchild whose exit code a wrapper passed on, or the program chose it");
    } else if (in.runtime_ms) {
        for (auto& c : d.causes)
            if (c.likelihood != Likelihood::unlikely)
                c.evidence.push_back(fmt::format("the child ended after {} ms, as a loader-time failure does", *in.runtime_ms));
    }
    d.causes.push_back(std::move(other));

    // R10 (not when R12's popup shows a DLL-init failure of this image).
    if (in.exit_code == kErrorWaitNoChildren) {
        if (popup) {
            // Nothing to step down: the popup, not the code, says what happened.
        } else if (in.os && in.os->major >= 6) {
            const auto line = fmt::format("exit code 128 on Windows {}.{}: from Vista on a DLL-init failure exits 0xC0000142, so 128 is "
                                          "more often the program's own code",
                                          in.os->major, in.os->minor);
            for (auto& c : d.causes) {
                c.likelihood = weaker(c.likelihood);
                c.evidence.push_back(line);
            }
            d.causes.push_back({CauseId::not_dll_init, Likelihood::possible, {line},
                                "Check the program's documentation or output for exit code 128."});
        } else if (in.os) {
            for (auto& c : d.causes)
                c.evidence.push_back(fmt::format("exit code 128 on Windows {}.{}: the pre-Vista form of 0xC0000142", in.os->major, in.os->minor));
        } else {
            for (auto& c : d.causes)
                c.evidence.emplace_back("exit code 128 means a DLL-init failure only before Vista (0xC0000142 after): Windows version unknown");
        }
    }

    if (popup)
        for (auto& c : d.causes)
            if (c.likelihood != Likelihood::unlikely) c.evidence.push_back(popup_line);

    // R11.
    if (in.os && in.os->wine_version) {
        const auto line = fmt::format("running under Wine {}: no desktop heap limit, missing desktops are created and desktop DACLs "
                                      "do not stop the connection",
                                      *in.os->wine_version);
        for (auto& c : d.causes) {
            if (c.id == CauseId::access || c.id == CauseId::desktop_heap || c.id == CauseId::session_pool || c.id == CauseId::missing_desktop) {
                c.likelihood = Likelihood::unlikely;
                c.evidence.insert(c.evidence.begin(), line);
            }
        }
        const bool any_positive =
            std::any_of(d.causes.begin(), d.causes.end(), [](const RankedCause& c) { return positive(c.likelihood); });
        for (auto& c : d.causes) {
            if (c.id != CauseId::other_dll_init || c.likelihood != Likelihood::unlikely || any_positive) continue;
            c.likelihood = Likelihood::likely;
            c.evidence.insert(c.evidence.begin(), line + ", so a DLL failed for its own reasons");
        }
    }

    std::stable_sort(d.causes.begin(), d.causes.end(), [](const RankedCause& a, const RankedCause& b) {
        if (a.likelihood != b.likelihood) return a.likelihood < b.likelihood;
        return a.id < b.id;
    });
    d.deciding_evidence = deciding_line(d.causes);
    // Object names come from facts and may hold any character: keep every line one line.
    for (auto& c : d.causes) {
        for (auto& e : c.evidence) escape_control_chars_in_place(e);
        escape_control_chars_in_place(c.remedy);
    }
    escape_control_chars_in_place(d.deciding_evidence);
    return d;
}

Diagnosis apply_win32k_trace(Diagnosis d, const Win32kTraceFacts& t) {
    if (!t.requested || !t.started || d.causes.empty()) return d;
    const auto is_desktop_cause = [](CauseId id) {
        return id == CauseId::access || id == CauseId::desktop_heap || id == CauseId::session_pool || id == CauseId::missing_desktop;
    };
    const auto* e = child_resolution_failure(t);
    if (!e) {
        const auto line = fmt::format("the Win32k trace ran and logged no event 58 for the child's pid {} (weak evidence: the event id "
                                      "and its fields are unverified)",
                                      t.child_pid ? std::to_string(*t.child_pid) : std::string("(unknown)"));
        for (auto& c : d.causes)
            if (is_desktop_cause(c.id) && c.likelihood != Likelihood::unlikely) c.evidence.push_back(line);
        return d;
    }
    const auto status = e->status ? describe_status(*e->status) : std::string("no status decoded");
    const auto event_line = fmt::format("Win32k event 58 (DesktopResolutionFailure) for the child's pid {}: {}", e->pid, status);
    const auto cause = e->status ? resolution_cause(*e->status) : ResolutionCause::unknown;
    if (!d.code.dll_init_failure || cause == ResolutionCause::unknown) {
        const auto line = d.code.dll_init_failure
                              ? event_line + ", a status this tool does not map to a KB 184802 cause (unverified event)"
                              : event_line + ", but the exit code is not a DLL-initialisation failure (unverified event)";
        for (auto& c : d.causes)
            if (!d.code.dll_init_failure || is_desktop_cause(c.id)) c.evidence.push_back(line);
        d.deciding_evidence = escape_control_chars(line) + "; " + d.deciding_evidence;
        return d;
    }
    const CauseId decided = cause == ResolutionCause::access          ? CauseId::access
                            : cause == ResolutionCause::desktop_heap ? CauseId::desktop_heap
                                                                     : CauseId::missing_desktop;
    std::vector<std::string> overridden;
    bool found = false;
    for (auto& c : d.causes) {
        if (c.id == decided) {
            found = true;
            c.likelihood = Likelihood::decided;
            c.evidence.insert(c.evidence.begin(), event_line + " (unverified event)");
            continue;
        }
        if (c.likelihood == Likelihood::unlikely) continue;
        if (decided == CauseId::desktop_heap && c.id == CauseId::session_pool) {  // both are memory: kept
            c.evidence.push_back(event_line);
            continue;
        }
        overridden.push_back(fmt::format("{} ({})", to_string(c.id), to_string(c.likelihood)));
        c.evidence.insert(c.evidence.begin(), fmt::format("overridden by {}; was {}", event_line, to_string(c.likelihood)));
        c.likelihood = Likelihood::unlikely;
    }
    if (!found) d.causes.push_back({decided, Likelihood::decided, {event_line + " (unverified event)"}, {}});
    std::stable_sort(d.causes.begin(), d.causes.end(), [](const RankedCause& a, const RankedCause& b) {
        if (a.likelihood != b.likelihood) return a.likelihood < b.likelihood;
        return a.id < b.id;
    });
    std::string overrides;
    for (const auto& o : overridden) overrides += (overrides.empty() ? "" : ", ") + o;
    d.deciding_evidence = fmt::format("decided by {}: {} (unverified event){}", event_line, to_string(decided),
                                      overrides.empty() ? std::string{} : "; it overrides the inference: " + overrides);
    for (auto& c : d.causes)
        for (auto& ev : c.evidence) escape_control_chars_in_place(ev);
    escape_control_chars_in_place(d.deciding_evidence);
    return d;
}

std::vector<Finding> to_findings(const Diagnosis& d) {
    std::vector<Finding> out;
    Finding head;
    head.id = "diagnosis.exit_code";
    head.severity = d.code.code == 0 ? Severity::info : Severity::error;
    head.message = fmt::format("child exit code {}: {}", describe_exit_code(d.code.code), d.code.summary);
    head.evidence = d.deciding_evidence;
    out.push_back(std::move(head));
    for (const auto& c : d.causes) {
        if (c.likelihood == Likelihood::unlikely) continue;
        Finding f;
        f.id = fmt::format("diagnosis.{}", to_string(c.id));
        f.severity = c.likelihood == Likelihood::decided  ? Severity::error
                     : c.likelihood == Likelihood::likely ? Severity::warning
                                                          : Severity::info;
        f.message = fmt::format("{}: {}", to_string(c.likelihood), c.evidence.empty() ? std::string(to_string(c.id)) : c.evidence.front());
        for (const auto& e : c.evidence) f.evidence += (f.evidence.empty() ? "" : "; ") + e;
        f.remedy = c.remedy;
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace safelaunch
