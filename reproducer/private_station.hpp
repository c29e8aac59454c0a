// The window station the scenarios create their desktops in. Created without a name, as
// Chromium's sandbox does (sandbox/win/src/window.cc, CreateAltWindowStation): "Only members of
// the Administrators group are allowed to specify a name. If lpwinsta is NULL ..., the system
// forms a window station name using the logon session identifier" (CreateWindowStationW). The
// name is read back with UOI_NAME. Without CWF_CREATE_ONLY an existing station of that name is
// opened instead, so the station may be shared (with earlier scenarios, or other programs of the
// logon session): only the desktops, named with object_prefix(), are ours alone.
#pragma once

#include "safelaunch/win32/handles.hpp"

#include <optional>
#include <string>
#include <vector>

namespace safelaunch::repro {

struct PrivateStation {
    win32::unique_hwinsta handle;  // WINSTA_CREATEDESKTOP plus read rights
    std::string name;              // UOI_NAME
    bool named_by_system = true;   // false: the named fallback below was used
    std::vector<std::string> notes;
};

enum class StationRefusal { none, needs_elevation, failed };

// The unnamed station. Where the system gives it no name to read back (Wine 8 creates an unnamed
// object), a child cannot be pointed at it: then the station `fallback_name` is created instead,
// which Windows allows only to Administrators, so a token that is not elevated is refused before
// trying (`refusal` = needs_elevation, `why` says so).
[[nodiscard]] std::optional<PrivateStation> create_private_station(const std::string& fallback_name,
                                                                   StationRefusal& refusal, std::string& why);

}  // namespace safelaunch::repro
