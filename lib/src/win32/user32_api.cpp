#include "safelaunch/win32/user32_api.hpp"

#include "win32/api_failure.hpp"
#include "win32/dynamic_library.hpp"

namespace safelaunch::win32 {
namespace {

bool fill(HMODULE m, User32Api& t, std::error_code& ec, ApiFailure* failure) {
    const auto r = [&](const char* name, auto& slot) {
        return detail::resolve_export(m, "user32.dll", name, slot, ec, failure);
    };
    if (!(r("CloseDesktop", t.CloseDesktop) && r("CloseWindowStation", t.CloseWindowStation) &&
          r("CreateDesktopW", t.CreateDesktopW) && r("CreateWindowStationW", t.CreateWindowStationW) &&
          r("DestroyMenu", t.DestroyMenu) && r("DestroyWindow", t.DestroyWindow) &&
          r("EnumDesktopsW", t.EnumDesktopsW) && r("EnumWindowStationsW", t.EnumWindowStationsW) &&
          r("GetProcessWindowStation", t.GetProcessWindowStation) && r("GetThreadDesktop", t.GetThreadDesktop) &&
          r("GetUserObjectInformationW", t.GetUserObjectInformationW) && r("OpenDesktopW", t.OpenDesktopW) &&
          r("OpenWindowStationW", t.OpenWindowStationW) &&
          r("SetProcessWindowStation", t.SetProcessWindowStation)))
        return false;
    // Optional (Wine 8 lacks it): its absence is no failure.
    t.CreateDesktopExW = reinterpret_cast<CreateDesktopExWFn>(
        reinterpret_cast<void (*)()>(::GetProcAddress(m, "CreateDesktopExW")));
    return true;
}

// Never destroyed: handles closed by static destructors may still need it.
detail::DynamicLibrary<User32Api>& library() {
    static auto* const lib = new detail::DynamicLibrary<User32Api>(L"user32.dll", "user32.dll", fill);
    return *lib;
}

}  // namespace

const User32Api* user32(std::error_code& ec, ApiFailure* failure) { return library().get(ec, failure); }

const User32Api& user32() {
    return *detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return user32(ec, f); });
}

SelfConnectFacts self_connect_facts() {
    SelfConnectFacts facts;
    const auto state = library().state();
    facts.attempted = state.attempted;
    facts.connected = state.loaded;
    if (state.failure) {
        facts.error = static_cast<std::uint32_t>(state.failure->code.value());
        facts.api = state.failure->api + "(" + state.failure->object + ")";
        facts.failure = state.failure->describe();
    }
    STARTUPINFOW si{};
    si.cb = sizeof si;
    ::GetStartupInfoW(&si);  // kernel32, no failure return (Vista+)
    if (si.lpDesktop) facts.startup_desktop = detail::narrow(si.lpDesktop);
    return facts;
}

namespace detail {

const User32Api* user32_for_close() noexcept { return library().for_close(); }

void reset_user32_for_testing(User32Loader loader) { library().reset_for_testing(loader); }

}  // namespace detail

}  // namespace safelaunch::win32
