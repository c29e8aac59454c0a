#include "safelaunch/win32k_trace.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/printable.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

constexpr std::string_view kUnverified =
    "Win32k event 58 and its fields are read from the binaries, not documented: unverified until a Windows run confirms them";

std::string cause_text(ResolutionCause c) {
    switch (c) {
    case ResolutionCause::access:
        return "access: the child's token may not open its window station or desktop (KB 184802, desktop access)";
    case ResolutionCause::missing_desktop:
        return "missing_desktop: the window station or desktop named for the child does not exist (placement)";
    case ResolutionCause::desktop_heap:
        return "desktop_heap: no memory for the child's desktop objects (KB 184802, desktop heap)";
    case ResolutionCause::unknown:
        break;
    }
    return "a status this tool does not map to a KB 184802 cause";
}

std::string remedy_for(ResolutionCause c) {
    switch (c) {
    case ResolutionCause::access:
        return "Grant the child's logon SID the station and desktop rights it lacks (safelaunch run --grant), or launch "
               "it on a desktop of its own (--private-desktop).";
    case ResolutionCause::missing_desktop:
        return "Create the station and desktop before the launch, or correct lpDesktop (\"Station\\Desktop\").";
    case ResolutionCause::desktop_heap:
        return "Raise the SharedSection value for this desktop's kind, or run fewer processes on it.";
    case ResolutionCause::unknown:
        break;
    }
    return "Look the status up; keep the trace output for the issue tracker.";
}

std::string fields_text(const Win32kTraceEvent& e) {
    std::string s;
    for (const auto& [name, value] : e.fields) s += fmt::format("{}{}={}", s.empty() ? "" : ", ", name, value);
    return s.empty() ? std::string("no fields decoded") : s;
}

}  // namespace

std::string_view to_string(ResolutionCause c) noexcept {
    switch (c) {
    case ResolutionCause::access: return "access";
    case ResolutionCause::missing_desktop: return "missing_desktop";
    case ResolutionCause::desktop_heap: return "desktop_heap";
    case ResolutionCause::unknown: break;
    }
    return "unknown";
}

ResolutionCause resolution_cause(std::uint32_t status) noexcept {
    switch (status) {
    case kStatusAccessDenied: return ResolutionCause::access;
    case kStatusObjectNameNotFound:
    case kStatusObjectPathNotFound:
    case kStatusObjectNameInvalid: return ResolutionCause::missing_desktop;
    case kStatusNoMemory:
    case kStatusInsufficientResources: return ResolutionCause::desktop_heap;
    default: return ResolutionCause::unknown;
    }
}

std::string_view status_name(std::uint32_t status) noexcept {
    switch (status) {
    case kStatusAccessDenied: return "STATUS_ACCESS_DENIED";
    case kStatusObjectNameNotFound: return "STATUS_OBJECT_NAME_NOT_FOUND";
    case kStatusObjectPathNotFound: return "STATUS_OBJECT_PATH_NOT_FOUND";
    case kStatusObjectNameInvalid: return "STATUS_OBJECT_NAME_INVALID";
    case kStatusNoMemory: return "STATUS_NO_MEMORY";
    case kStatusInsufficientResources: return "STATUS_INSUFFICIENT_RESOURCES";
    default: return {};
    }
}

std::string describe_status(std::uint32_t status) {
    const auto name = status_name(status);
    return name.empty() ? fmt::format("0x{:08X}", status) : fmt::format("0x{:08X} ({})", status, name);
}

const Win32kTraceEvent* child_resolution_failure(const Win32kTraceFacts& facts) noexcept {
    if (!facts.child_pid) return nullptr;
    const auto it = std::find_if(facts.events.begin(), facts.events.end(), [&](const Win32kTraceEvent& e) {
        return e.id == kWin32kEventDesktopResolutionFailure && e.pid == *facts.child_pid;
    });
    return it == facts.events.end() ? nullptr : &*it;
}

std::vector<Finding> win32k_trace_findings(const Win32kTraceFacts& facts) {
    std::vector<Finding> out;
    if (!facts.requested) return out;
    if (!facts.started) {
        Finding f{"win32k.trace.unavailable", Severity::warning, {}, {}, {}};
        const auto code = facts.error ? fmt::format(" (error {})", *facts.error) : std::string{};
        f.message = fmt::format("the Win32k ETW trace could not start: {}{}{}", facts.failed_api.empty() ? "" : facts.failed_api + " failed",
                                code, facts.reason.empty() ? "" : ": " + facts.reason);
        f.evidence = fmt::format("session {}; {}", facts.session_name.empty() ? "(none)" : facts.session_name, kUnverified);
        if (facts.error && *facts.error == 5)  // ERROR_ACCESS_DENIED
            f.remedy = "Run safelaunch elevated (administrator) or as a member of the Performance Log Users group.";
        else if (facts.error && (*facts.error == 120 || *facts.error == 127))  // not implemented / proc not found
            f.remedy = "This system has no usable ETW session API: the trace needs Windows Vista or later.";
        else
            f.remedy = "The launch is diagnosed without it; read the error above.";
        out.push_back(std::move(f));
    } else if (const auto* e = child_resolution_failure(facts)) {
        Finding f{"win32k.desktop_resolution_failure", Severity::error, {}, {}, {}};
        if (e->status) {
            const auto cause = resolution_cause(*e->status);
            f.message = fmt::format("Win32k event 58 (DesktopResolutionFailure) for pid {}: {} means {}", e->pid,
                                    describe_status(*e->status), cause_text(cause));
            f.remedy = remedy_for(cause);
        } else {
            f.message = fmt::format("Win32k event 58 (DesktopResolutionFailure) for pid {}, with no status field decoded", e->pid);
            f.remedy = remedy_for(ResolutionCause::unknown);
        }
        f.evidence = fmt::format("{}; {}", fields_text(*e), kUnverified);
        out.push_back(std::move(f));
    } else {
        Finding f{"win32k.trace.no_event", Severity::info, {}, {}, {}};
        f.message = facts.child_pid
                        ? fmt::format("the Win32k trace ran and saw no event 58 for pid {} ({} events delivered)", *facts.child_pid,
                                      facts.events_total)
                        : fmt::format("the Win32k trace ran, but no child was started ({} events delivered)", facts.events_total);
        f.evidence = fmt::format("weak evidence: {}", kUnverified);
        if (facts.events_lost || facts.buffers_lost || facts.events_dropped)
            f.evidence = fmt::format("not even weak evidence: the session lost {} events and {} real-time buffers, and {} "
                                     "events 58 beyond the {} kept were dropped; an event 58 for the child may be "
                                     "among them; {}",
                                     facts.events_lost, facts.buffers_lost, facts.events_dropped, kWin32kTraceMaxEvents,
                                     kUnverified);
        out.push_back(std::move(f));
    }
    for (auto& f : out) {  // fields come from the event and may hold any character
        escape_control_chars_in_place(f.message);
        escape_control_chars_in_place(f.evidence);
    }
    return out;
}

std::string win32k_trace_line(const Win32kTraceFacts& facts) {
    if (!facts.requested) return "win32k trace: not requested";
    if (!facts.started)
        return escape_control_chars(fmt::format("win32k trace: could not start: {}{}{}", facts.failed_api,
                                                facts.error ? fmt::format(" error {}", *facts.error) : std::string{},
                                                facts.reason.empty() ? "" : ": " + facts.reason));
    if (const auto* e = child_resolution_failure(facts))
        return fmt::format("win32k trace: event 58 for pid {}: {} -> {} (unverified event)", e->pid,
                           e->status ? describe_status(*e->status) : std::string("no status decoded"),
                           e->status ? to_string(resolution_cause(*e->status)) : std::string_view{"unknown"});
    return fmt::format("win32k trace: ran, no event 58 for pid {} ({} events delivered)",
                       facts.child_pid ? std::to_string(*facts.child_pid) : std::string("(none)"), facts.events_total);
}

}  // namespace safelaunch
