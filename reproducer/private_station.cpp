#include "private_station.hpp"

#include "safelaunch/error.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <fmt/format.h>

#include <windows.h>

namespace safelaunch::repro {
namespace {

namespace w = safelaunch::win32;

// What the scenarios do with the station: create desktops in it, read its name, enumerate its
// desktops for the cleanup check (GENERIC_READ maps to WINSTA_ENUMDESKTOPS | ENUMERATE |
// READATTRIBUTES | READSCREEN | STANDARD_RIGHTS_READ).
constexpr ACCESS_MASK kAccess = GENERIC_READ | WINSTA_CREATEDESKTOP;
// Chromium's retry when an existing station's DACL refuses GENERIC_READ.
constexpr ACCESS_MASK kFallbackAccess = WINSTA_READATTRIBUTES | WINSTA_ENUMDESKTOPS | WINSTA_CREATEDESKTOP;

std::string describe_last(const char* api, const std::string& object) {
    return ApiFailure{api, object, make_win32_error(::GetLastError())}.describe();
}

// TokenElevation of this process (false when it cannot be read).
bool process_is_elevated() {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) return false;
    const w::unique_handle owned(token);
    TOKEN_ELEVATION elevation{};
    DWORD size = 0;
    if (!::GetTokenInformation(token, TokenElevation, &elevation, sizeof elevation, &size)) return false;
    return elevation.TokenIsElevated != 0;
}

}  // namespace

std::optional<PrivateStation> create_private_station(const std::string& fallback_name, StationRefusal& refusal,
                                                     std::string& why) {
    refusal = StationRefusal::none;
    PrivateStation s;
    std::error_code ec;
    ApiFailure failure;
    // user32 is loaded here, not at start: the engine imports none (issue 12).
    const auto* u = w::user32(ec, &failure);
    if (!u) {
        refusal = StationRefusal::failed;
        why = failure.describe();
        return std::nullopt;
    }
    // lpsa = NULL: the handle is not inheritable and a new station gets the default security.
    s.handle.reset(u->CreateWindowStationW(nullptr, 0, kAccess, nullptr));
    if (!s.handle && ::GetLastError() == ERROR_ACCESS_DENIED)
        s.handle.reset(u->CreateWindowStationW(nullptr, 0, kFallbackAccess, nullptr));
    if (!s.handle) {
        refusal = StationRefusal::failed;
        why = describe_last("CreateWindowStationW", "(no name: the system names it)");
        return std::nullopt;
    }
    s.name = w::object_name(s.handle.get(), ec, &failure);
    if (!ec && !s.name.empty()) return s;

    // No name to give a child in lpDesktop.
    const std::string nameless = ec ? "UOI_NAME failed: " + failure.describe() : "UOI_NAME is empty";
    s.handle.reset();
    if (!process_is_elevated() && !w::wine_version()) {
        refusal = StationRefusal::needs_elevation;
        why = fmt::format("the window station created without a name has none to read back ({}), and creating a "
                          "named one needs an elevated (Administrators) token: run deskheap-repro elevated",
                          nameless);
        return std::nullopt;
    }
    s.handle = w::create_window_station(fallback_name, std::nullopt, ec, &failure);
    if (ec) {
        refusal = StationRefusal::failed;
        why = failure.describe();
        return std::nullopt;
    }
    s.name = fallback_name;
    s.named_by_system = false;
    s.notes.push_back(fmt::format("the unnamed window station had no name to read back ({}): used the named "
                                  "station {} instead",
                                  nameless, fallback_name));
    return s;
}

}  // namespace safelaunch::repro
