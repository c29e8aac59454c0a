// Window stations and desktops: open, create, enumerate, read their UOI_* attributes, and gather
// UserObjectFacts (attributes + SDDL + a real AccessCheck for a token).
//
// Operations come as pairs: `op(..., std::error_code& ec, ApiFailure* failure = nullptr)` clears
// `ec` and on failure sets it and fills `*failure` (API name, object); `op(...)` throws
// safelaunch::Error. Names are UTF-8.
//
// Desktops by name: OpenDesktopW/CreateDesktop(Ex)W only see the desktops of the *process* window
// station, and no documented API takes a station handle instead. Like Chromium's sandbox
// (sandbox/win/src/window.cc, CreateAltDesktop) we switch the process station with
// SetProcessWindowStation for the one call and switch back; a process-wide lock serialises our own
// switches, but other threads of the process that resolve desktop names (or launch children with
// lpDesktop = NULL) during that window would see the other station: not thread-safe with respect to
// other user32 users. The undocumented NtUserOpenDesktop(RootDirectory = station) was rejected as
// not part of the documented surface.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/security.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

[[nodiscard]] unique_hwinsta open_window_station(std::string_view name, ACCESS_MASK access,
                                                 std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] unique_hwinsta open_window_station(std::string_view name, ACCESS_MASK access);

// The desktop `name` of `station` (see above for how).
[[nodiscard]] unique_hdesk open_desktop(HWINSTA station, std::string_view name, ACCESS_MASK access,
                                        std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] unique_hdesk open_desktop(HWINSTA station, std::string_view name, ACCESS_MASK access);

// A new window station (CWF_CREATE_ONLY: fails with ERROR_ACCESS_DENIED/ALREADY_EXISTS rather than
// reusing an existing one), opened with WINSTA_ALL_ACCESS | STANDARD_RIGHTS_REQUIRED. `sddl`:
// the security descriptor to give it; nullopt = the system default.
[[nodiscard]] unique_hwinsta create_window_station(std::string_view name,
                                                   const std::optional<std::string>& sddl,
                                                   std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] unique_hwinsta create_window_station(std::string_view name,
                                                   const std::optional<std::string>& sddl = std::nullopt);

struct CreatedDesktop {
    unique_hdesk desktop;   // DESKTOP_ALL_ACCESS | STANDARD_RIGHTS_REQUIRED
    bool heap_bounded = false;           // CreateDesktopExW took heap_kb
    std::optional<std::string> heap_note;  // why heap_kb could not be applied
};

// A desktop in `station`. With `heap_kb`, CreateDesktopExW (resolved with GetProcAddress: Wine does
// not export it) bounds its heap; where it is missing CreateDesktopW is used and `heap_note` says
// so. `sddl`: nullopt = the system default.
[[nodiscard]] CreatedDesktop create_desktop(HWINSTA station, std::string_view name,
                                            std::optional<std::uint32_t> heap_kb,
                                            const std::optional<std::string>& sddl,
                                            std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] CreatedDesktop create_desktop(HWINSTA station, std::string_view name,
                                            std::optional<std::uint32_t> heap_kb = std::nullopt,
                                            const std::optional<std::string>& sddl = std::nullopt);

// GetUserObjectInformationW. `object` is an HWINSTA or HDESK.
[[nodiscard]] std::string object_name(HANDLE object, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string object_type(HANDLE object, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::uint32_t object_flags(HANDLE object, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string object_name(HANDLE object);
[[nodiscard]] std::string object_type(HANDLE object);
[[nodiscard]] std::uint32_t object_flags(HANDLE object);
// UOI_HEAPSIZE in KB (desktops, Vista+). Wine fails it with ERROR_INVALID_PARAMETER.
[[nodiscard]] std::uint32_t desktop_heap_kb(HDESK desktop, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::uint32_t desktop_heap_kb(HDESK desktop);

// Names, in the order the system returns them.
[[nodiscard]] std::vector<std::string> enumerate_window_stations(std::error_code& ec,
                                                                 ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<std::string> enumerate_window_stations();
[[nodiscard]] std::vector<std::string> enumerate_desktops(HWINSTA station, std::error_code& ec,
                                                          ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<std::string> enumerate_desktops(HWINSTA station);

// Serialises this library's own process-station switches (open_desktop, create_desktop). Hold it
// to read the process station and thread desktop without seeing a temporarily switched station.
[[nodiscard]] std::mutex& station_switch_mutex();

// What a child launched with lpDesktop = NULL inherits: this process's station and this thread's
// desktop.
[[nodiscard]] std::string process_window_station_name(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string process_window_station_name();
[[nodiscard]] std::string thread_desktop_name(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::string thread_desktop_name();

// For gather_*_facts: whose access to check, and for which rights.
struct AccessQuery {
    HANDLE token = nullptr;      // primary or impersonation; needs TOKEN_QUERY | TOKEN_DUPLICATE
    std::uint32_t desired = 0;   // generic rights are mapped
};

// Fills UserObjectFacts from an open handle (needs READ_CONTROL for the SDDL and the access check,
// WINSTA_READATTRIBUTES / DESKTOP_READOBJECTS for the UOI_* reads). Never fails as a whole: each
// fact that cannot be read stays nullopt and its failure is appended to `notes` when given (Wine:
// UOI_HEAPSIZE -> ERROR_INVALID_PARAMETER). `name` is UOI_NAME.
[[nodiscard]] UserObjectFacts gather_user_object_facts(HANDLE object, ObjectKind kind,
                                                       const std::optional<AccessQuery>& query = std::nullopt,
                                                       std::vector<ApiFailure>* notes = nullptr);

// Opens by name first (READ_CONTROL + read rights, retrying without READ_CONTROL); when the open
// fails, `open_error` holds the failure and `exists` is true only for ERROR_ACCESS_DENIED (the
// object is there). A desktop whose station cannot be opened was not looked for: exists_known =
// false. With a query, access_maximum is the token's AccessCheck(MAXIMUM_ALLOWED); when the
// object cannot be opened to read its SD, user32's own open (MAXIMUM_ALLOWED, impersonating the
// token) is tried, and its ERROR_ACCESS_DENIED records access_maximum = access_granted = 0.
[[nodiscard]] UserObjectFacts gather_window_station_facts(std::string_view station,
                                                          const std::optional<AccessQuery>& query = std::nullopt,
                                                          std::vector<ApiFailure>* notes = nullptr);
[[nodiscard]] UserObjectFacts gather_desktop_facts(std::string_view station, std::string_view desktop,
                                                   const std::optional<AccessQuery>& query = std::nullopt,
                                                   std::vector<ApiFailure>* notes = nullptr);

}  // namespace safelaunch::win32
