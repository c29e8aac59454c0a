// System facts: OS version, Wine, the SubSystems registry value with its SharedSection, the
// stations and desktops the caller can see, and recent start-failure events (Win32k 243/244, popup 26).
//
// Operations that can fail come as pairs: `op(..., std::error_code& ec, ApiFailure* failure =
// nullptr)` clears `ec` and on failure sets it and fills `*failure`; `op(...)` throws
// safelaunch::Error. gather_system_facts never fails as a whole.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

// "8.0" from ntdll's wine_get_version, or nullopt on Windows.
[[nodiscard]] std::optional<std::string> wine_version();

// RtlGetVersion (not GetVersionEx: no manifest lies), native architecture, registry ProductName.
[[nodiscard]] OsFacts gather_os_facts();

struct SubSystemsValues {
    std::optional<std::string> windows;               // the `Windows` value, unexpanded
    std::optional<std::string> stray_shared_section;  // a `SharedSection` value beside it
};

// HKLM\System\CurrentControlSet\Control\Session Manager\SubSystems. A missing key or value is a
// fact (nullopt), not an error: Wine has no such key.
[[nodiscard]] SubSystemsValues read_subsystems_values(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] SubSystemsValues read_subsystems_values();

// HKLM\SYSTEM\CurrentControlSet\Control\Windows, value ErrorMode (KB 128642), the machine's
// hard-error mode. A missing key or value is "not set" (value nullopt, which means 0); any other
// failure, or a value that is not a REG_DWORD, fills `error`. Never throws.
[[nodiscard]] HardErrorModeFacts read_hard_error_mode();

// Every station the caller can enumerate, with its desktops and their UOI_HEAPSIZE: desktop_heap_kb
// is parallel to desktops, nullopt for each desktop that cannot be opened or read (every one under
// Wine). A station that cannot be opened is listed without desktops.
[[nodiscard]] std::vector<StationFacts> gather_station_facts(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<StationFacts> gather_station_facts();

// From the System log within `window`, newest first: Win32k events 243 ("A desktop heap
// allocation failed") and 244 ("Failed to create a desktop due to desktop heap exhaustion"),
// logged under the provider name "Win32k" (the legacy source) or "Microsoft-Windows-Win32k", and
// "Application Popup" event 26, the hard-error popup (safelaunch/event_evidence.hpp says what each
// proves). `source` is the name the event carries and formats its message; a message that cannot
// be formatted is the event's data strings joined with " : ". time_utc is EvtRender's SystemTime
// (7 fractional digits). Under Wine EvtQuery is a stub and this fails.
[[nodiscard]] std::vector<EventFacts> query_start_failure_events(std::chrono::seconds window,
                                                                std::error_code& ec,
                                                                ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<EventFacts> query_start_failure_events(std::chrono::seconds window);

// All of the above; failures land in events_error or leave the optional facts empty.
[[nodiscard]] SystemFacts gather_system_facts(std::chrono::seconds event_window = std::chrono::hours(24 * 7));

}  // namespace safelaunch::win32
