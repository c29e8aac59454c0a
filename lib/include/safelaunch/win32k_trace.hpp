// Win32k ETW event 58 (issue 9 part 3): the kernel's own record of why desktop resolution failed.
// Portable: the Win32 layer (win32/win32k_trace.hpp) runs a real-time ETW session around the launch
// and fills Win32kTraceFacts; this file turns them into findings and into the KB 184802 cause.
//
// UNVERIFIED until a Windows run confirms it: the provider Microsoft-Windows-Win32k
// {8C416C79-D49B-4F01-A467-E56D3AA8234C} is reported (from reading the binaries, not from any
// documentation) to log event 58 "DesktopResolutionFailure" with the process id and the NTSTATUS of
// desktop resolution, just before that status becomes 0xC0000142. The event id, the field names and
// the rights the session needs (administrator or Performance Log Users) wait for Windows.
//
// Status -> cause:
//   0xC0000022 STATUS_ACCESS_DENIED                 -> access (the token may not open them)
//   0xC0000034 STATUS_OBJECT_NAME_NOT_FOUND,
//   0xC000003A STATUS_OBJECT_PATH_NOT_FOUND,
//   0xC0000033 STATUS_OBJECT_NAME_INVALID           -> missing_desktop (the named station or
//                                                       desktop does not exist: placement)
//   0xC0000017 STATUS_NO_MEMORY,
//   0xC000009A STATUS_INSUFFICIENT_RESOURCES        -> desktop_heap
//   anything else                                    -> named, cause unknown
//
// Findings (stable ids):
//   win32k.trace.unavailable            warning: asked for, but the session could not start (why:
//                                       the API, its Win32 code, one line; 5 = needs administrator
//                                       or Performance Log Users)
//   win32k.desktop_resolution_failure   error: event 58 for the child's pid, with its status and
//                                       the KB cause it means (decisive)
//   win32k.trace.no_event               info: the session ran and saw no event 58 for the child
//                                       (weak: the event id and fields are unverified)
#pragma once

#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace safelaunch {

inline constexpr std::string_view kWin32kProviderGuid = "8C416C79-D49B-4F01-A467-E56D3AA8234C";
inline constexpr std::string_view kWin32kProviderName = "Microsoft-Windows-Win32k";
inline constexpr std::uint16_t kWin32kEventDesktopResolutionFailure = 58;

// Events of interest kept per launch: a runaway provider cannot grow the facts without bound.
inline constexpr std::size_t kWin32kTraceMaxEvents = 16;

inline constexpr std::uint32_t kStatusNoMemory = 0xC0000017;
inline constexpr std::uint32_t kStatusObjectNameInvalid = 0xC0000033;
inline constexpr std::uint32_t kStatusObjectNameNotFound = 0xC0000034;
inline constexpr std::uint32_t kStatusObjectPathNotFound = 0xC000003A;
inline constexpr std::uint32_t kStatusInsufficientResources = 0xC000009A;

// One event of the Win32k provider kept by the session (id 58 for any pid, before the child's pid
// was known; the core matches the pid).
struct Win32kTraceEvent {
    std::uint16_t id = 0;
    std::uint32_t pid = 0;                   // EVENT_HEADER.ProcessId, or a pid field when present
    std::optional<std::uint32_t> status;     // the NTSTATUS field, when one was decoded
    std::string status_field;                // its property name ("Status", ...): unverified
    std::vector<std::pair<std::string, std::string>> fields;  // every decoded property, name -> text
    std::string time_utc;                    // "2026-12-06T11:00:00.1234567Z"
};

struct Win32kTraceFacts {
    bool requested = false;                  // the caller asked for the trace
    bool started = false;                    // StartTraceW and EnableTraceEx2 succeeded
    // Why it did not start (or stopped badly): the API that failed, its Win32 code, one line.
    std::string failed_api;                  // "StartTraceW", "EnableTraceEx2", "OpenTraceW", ...
    std::optional<std::uint32_t> error;      // Win32 error code
    std::string reason;                      // one line
    std::string session_name;                // "safelaunch-win32k-<pid>-<n>"
    std::uint8_t level = 0;                  // TRACE_LEVEL_* enabled
    std::uint64_t keywords = 0;              // MatchAnyKeyword enabled
    std::optional<std::uint32_t> child_pid;  // set once the child exists
    std::uint64_t events_total = 0;          // every event the session delivered (any id, any pid)
    std::uint32_t events_dropped = 0;        // events of interest beyond kWin32kTraceMaxEvents
    // What the session lost (EVENT_TRACE_PROPERTIES after the stop): an event 58 may be among them.
    std::uint32_t events_lost = 0;           // EventsLost
    std::uint32_t buffers_lost = 0;          // RealTimeBuffersLost
    std::vector<Win32kTraceEvent> events;    // of interest: id 58
};

enum class ResolutionCause { access, missing_desktop, desktop_heap, unknown };

[[nodiscard]] std::string_view to_string(ResolutionCause c) noexcept;

// The KB 184802 cause an event 58 status means (table above).
[[nodiscard]] ResolutionCause resolution_cause(std::uint32_t status) noexcept;
// "STATUS_ACCESS_DENIED" etc. for the statuses above, else "".
[[nodiscard]] std::string_view status_name(std::uint32_t status) noexcept;
// "0xC0000022 (STATUS_ACCESS_DENIED)" or "0xC0001234".
[[nodiscard]] std::string describe_status(std::uint32_t status);

// The first event 58 of the child's pid, or nullptr (no child pid, or none seen).
[[nodiscard]] const Win32kTraceEvent* child_resolution_failure(const Win32kTraceFacts& facts) noexcept;

// The findings listed above; nothing when the trace was not requested.
[[nodiscard]] std::vector<Finding> win32k_trace_findings(const Win32kTraceFacts& facts);

// One line for the run report: "win32k trace: not requested" / "could not start: ..." /
// "ran, no event 58 for pid 1234 (N events seen)" / "event 58 for pid 1234: 0xC0000022 (...)".
[[nodiscard]] std::string win32k_trace_line(const Win32kTraceFacts& facts);

}  // namespace safelaunch
