#include "safelaunch/win32/user_object.hpp"

#include "safelaunch/win32/user32_api.hpp"

#include "win32/api_failure.hpp"

#include <sddl.h>

#include <exception>
#include <initializer_list>
#include <mutex>

namespace safelaunch::win32 {

// Serialises our own process-station switches (see the header for what this does not cover).
std::mutex& station_switch_mutex() {
    static std::mutex m;
    return m;
}

namespace {


std::string station_label(std::string_view name) { return "window station " + std::string(name); }
std::string desktop_label(std::string_view name) { return "desktop " + std::string(name); }

// For the duration of one name-based desktop call: the process station is `target`.
class ProcessStationSwitch {
public:
    ProcessStationSwitch(const User32Api& u, HWINSTA target, std::error_code& ec, ApiFailure* failure)
        : u_(u), lock_(station_switch_mutex()), previous_(u.GetProcessWindowStation()) {
        if (!previous_) {
            const DWORD e = ::GetLastError();
            detail::fail(ec, failure, "GetProcessWindowStation", "own process", e);
            return;
        }
        if (target == previous_) return;
        if (!u_.SetProcessWindowStation(target)) {
            const DWORD e = ::GetLastError();
            detail::fail(ec, failure, "SetProcessWindowStation", "target window station", e);
            return;
        }
        switched_ = true;
    }
    ProcessStationSwitch(const ProcessStationSwitch&) = delete;
    ProcessStationSwitch& operator=(const ProcessStationSwitch&) = delete;
    // The handle from GetProcessWindowStation is not ours to close.
    ~ProcessStationSwitch() {
        if (switched_) u_.SetProcessWindowStation(previous_);
    }

private:
    const User32Api& u_;
    std::lock_guard<std::mutex> lock_;
    HWINSTA previous_ = nullptr;
    bool switched_ = false;
};

// A SECURITY_ATTRIBUTES built from SDDL, or none.
struct SecurityAttributes {
    unique_hlocal sd;
    SECURITY_ATTRIBUTES sa{};
    [[nodiscard]] SECURITY_ATTRIBUTES* get() { return sd ? &sa : nullptr; }
};

bool make_security_attributes(const std::optional<std::string>& sddl, SecurityAttributes& out,
                              std::error_code& ec, ApiFailure* failure) {
    if (!sddl) return true;
    const auto wide = detail::widen(*sddl);
    PSECURITY_DESCRIPTOR psd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(wide.c_str(), SDDL_REVISION_1, &psd, nullptr)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "ConvertStringSecurityDescriptorToSecurityDescriptorW", "SDDL " + *sddl, e);
        return false;
    }
    out.sd.reset(psd);
    out.sa = SECURITY_ATTRIBUTES{sizeof(SECURITY_ATTRIBUTES), psd, FALSE};
    return true;
}

std::wstring object_info_string(HANDLE object, int index, const char* what, std::error_code& ec,
                                ApiFailure* failure) {
    const auto* u = user32(ec, failure);
    if (!u) return {};
    DWORD needed = 0;
    if (!u->GetUserObjectInformationW(object, index, nullptr, 0, &needed) && needed == 0) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetUserObjectInformationW", what, e);
        return {};
    }
    std::wstring text(needed / sizeof(wchar_t) + 1, L'\0');
    if (!u->GetUserObjectInformationW(object, index, text.data(),
                                     static_cast<DWORD>(text.size() * sizeof(wchar_t)), &needed)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetUserObjectInformationW", what, e);
        return {};
    }
    text.resize(std::wcslen(text.c_str()));
    return text;
}

BOOL CALLBACK collect_name(LPWSTR name, LPARAM param) {
    reinterpret_cast<std::vector<std::string>*>(param)->push_back(detail::narrow(name));
    return TRUE;
}

void note(std::vector<ApiFailure>* notes, const ApiFailure& f) {
    if (notes) notes->push_back(f);
}

}  // namespace

unique_hwinsta open_window_station(std::string_view name, ACCESS_MASK access, std::error_code& ec,
                                   ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    const auto wide = detail::widen(name);
    unique_hwinsta station(u->OpenWindowStationW(wide.c_str(), FALSE, access));
    if (!station) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "OpenWindowStationW", station_label(name), e);
    }
    return station;
}

unique_hwinsta open_window_station(std::string_view name, ACCESS_MASK access) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return open_window_station(name, access, ec, f); });
}

unique_hdesk open_desktop(HWINSTA station, std::string_view name, ACCESS_MASK access, std::error_code& ec,
                          ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    const auto wide = detail::widen(name);
    const ProcessStationSwitch in_station(*u, station, ec, failure);
    if (ec) return {};
    unique_hdesk desktop(u->OpenDesktopW(wide.c_str(), 0, FALSE, access));
    if (!desktop) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "OpenDesktopW", desktop_label(name), e);
    }
    return desktop;
}

unique_hdesk open_desktop(HWINSTA station, std::string_view name, ACCESS_MASK access) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return open_desktop(station, name, access, ec, f); });
}

unique_hwinsta create_window_station(std::string_view name, const std::optional<std::string>& sddl,
                                     std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    SecurityAttributes sa;
    if (!make_security_attributes(sddl, sa, ec, failure)) return {};
    const auto wide = detail::widen(name);
    unique_hwinsta station(u->CreateWindowStationW(wide.c_str(), CWF_CREATE_ONLY,
                                                  WINSTA_ALL_ACCESS | STANDARD_RIGHTS_REQUIRED, sa.get()));
    if (!station) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "CreateWindowStationW", station_label(name), e);
    }
    return station;
}

unique_hwinsta create_window_station(std::string_view name, const std::optional<std::string>& sddl) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return create_window_station(name, sddl, ec, f); });
}

CreatedDesktop create_desktop(HWINSTA station, std::string_view name, std::optional<std::uint32_t> heap_kb,
                              const std::optional<std::string>& sddl, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    SecurityAttributes sa;
    if (!make_security_attributes(sddl, sa, ec, failure)) return {};
    const auto wide = detail::widen(name);
    constexpr ACCESS_MASK kAccess = rights::kDesktopAllSpecific | rights::kStandardRightsRequired;
    const CreateDesktopExWFn create_ex = heap_kb ? u->CreateDesktopExW : nullptr;

    const ProcessStationSwitch in_station(*u, station, ec, failure);
    if (ec) return {};
    CreatedDesktop out;
    if (create_ex) {
        out.desktop.reset(create_ex(wide.c_str(), nullptr, nullptr, 0, kAccess, sa.get(), *heap_kb, nullptr));
        out.heap_bounded = static_cast<bool>(out.desktop);
    } else {
        out.desktop.reset(u->CreateDesktopW(wide.c_str(), nullptr, nullptr, 0, kAccess, sa.get()));
        if (heap_kb)
            out.heap_note = "CreateDesktopExW is not exported by user32 here (Wine): cannot bound desktop heap";
    }
    if (!out.desktop) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, create_ex ? "CreateDesktopExW" : "CreateDesktopW", desktop_label(name), e);
        return {};
    }
    return out;
}

CreatedDesktop create_desktop(HWINSTA station, std::string_view name, std::optional<std::uint32_t> heap_kb,
                              const std::optional<std::string>& sddl) {
    return detail::or_throw(
        [&](std::error_code& ec, ApiFailure* f) { return create_desktop(station, name, heap_kb, sddl, ec, f); });
}

std::string object_name(HANDLE object, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    return detail::narrow(object_info_string(object, UOI_NAME, "UOI_NAME", ec, failure));
}

std::string object_type(HANDLE object, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    return detail::narrow(object_info_string(object, UOI_TYPE, "UOI_TYPE", ec, failure));
}

std::uint32_t object_flags(HANDLE object, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return 0;
    USEROBJECTFLAGS flags{};
    DWORD needed = 0;
    if (!u->GetUserObjectInformationW(object, UOI_FLAGS, &flags, sizeof(flags), &needed)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetUserObjectInformationW", "UOI_FLAGS", e);
        return 0;
    }
    return flags.dwFlags;
}

std::uint32_t desktop_heap_kb(HDESK desktop, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return 0;
    ULONG kb = 0;
    DWORD needed = 0;
    if (!u->GetUserObjectInformationW(desktop, UOI_HEAPSIZE, &kb, sizeof(kb), &needed)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetUserObjectInformationW", "UOI_HEAPSIZE", e);
        return 0;
    }
    return kb;
}

std::string object_name(HANDLE object) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return object_name(object, ec, f); });
}
std::string object_type(HANDLE object) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return object_type(object, ec, f); });
}
std::uint32_t object_flags(HANDLE object) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return object_flags(object, ec, f); });
}
std::uint32_t desktop_heap_kb(HDESK desktop) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return desktop_heap_kb(desktop, ec, f); });
}

std::vector<std::string> enumerate_window_stations(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    std::vector<std::string> names;
    if (!u->EnumWindowStationsW(collect_name, reinterpret_cast<LPARAM>(&names))) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "EnumWindowStationsW", "", e);
        return {};
    }
    return names;
}

std::vector<std::string> enumerate_window_stations() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return enumerate_window_stations(ec, f); });
}

std::vector<std::string> enumerate_desktops(HWINSTA station, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    std::vector<std::string> names;
    if (!u->EnumDesktopsW(station, collect_name, reinterpret_cast<LPARAM>(&names))) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "EnumDesktopsW", "window station", e);
        return {};
    }
    return names;
}

std::vector<std::string> enumerate_desktops(HWINSTA station) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return enumerate_desktops(station, ec, f); });
}

std::string process_window_station_name(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    const HWINSTA station = u->GetProcessWindowStation();  // not ours to close
    if (!station) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetProcessWindowStation", "own process", e);
        return {};
    }
    return object_name(station, ec, failure);
}

std::string process_window_station_name() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return process_window_station_name(ec, f); });
}

std::string thread_desktop_name(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    const HDESK desktop = u->GetThreadDesktop(::GetCurrentThreadId());  // not ours to close
    if (!desktop) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetThreadDesktop", "own thread", e);
        return {};
    }
    return object_name(desktop, ec, failure);
}

std::string thread_desktop_name() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return thread_desktop_name(ec, f); });
}

UserObjectFacts gather_user_object_facts(HANDLE object, ObjectKind kind, const std::optional<AccessQuery>& query,
                                         std::vector<ApiFailure>* notes) {
    UserObjectFacts facts;
    facts.exists = true;
    std::error_code ec;
    ApiFailure failure;

    facts.name = object_name(object, ec, &failure);
    if (ec) note(notes, failure);
    if (auto type = object_type(object, ec, &failure); !ec) facts.type = std::move(type);
    else note(notes, failure);
    if (const auto flags = object_flags(object, ec, &failure); !ec) facts.flags = flags;
    else note(notes, failure);
    if (kind == ObjectKind::desktop) {
        if (const auto kb = desktop_heap_kb(static_cast<HDESK>(object), ec, &failure); !ec) facts.heap_kb = kb;
        else note(notes, failure);
    }
    if (auto sddl = get_sddl(object, ec, &failure); !ec) {
        facts.sddl = std::move(sddl.sddl);
        facts.sd_present = sddl.sd_present;
    } else {
        note(notes, failure);
    }
    if (query) {
        facts.access_requested = query->desired;
        if (const auto r = access_check(query->token, object, query->desired, kind, ec, &failure); !ec) {
            facts.access_requested = r.desired;
            facts.access_granted = r.granted;
            facts.access_maximum = r.maximum_allowed;
        } else {
            note(notes, failure);
        }
    }
    return facts;
}

namespace {

// `exists` for a failed open: access denied still proves the object is there. When user32 itself
// could not be loaded (our own connection failed), nothing was looked for: unknown.
UserObjectFacts not_opened(std::string_view name, const ApiFailure& failure) {
    UserObjectFacts facts;
    facts.name = std::string(name);
    facts.exists = failure.code == make_win32_error(ERROR_ACCESS_DENIED);
    facts.exists_known = failure.api != "LoadLibraryExW" && failure.api != "GetProcAddress";
    facts.open_error = failure.describe();
    return facts;
}

// We could not open the object to read its SD. user32's own open, MAXIMUM_ALLOWED as the target
// token (impersonated), tells whether that token is granted nothing: then the access facts say 0.
// Anything but ERROR_ACCESS_DENIED (impersonation refused or downgraded, the open succeeding)
// leaves them unknown.
template <typename Open>
void check_open_as_token(const std::optional<AccessQuery>& query, UserObjectFacts& facts, Open open_max) {
    if (!query || !facts.exists || !::ImpersonateLoggedOnUser(query->token)) return;
    std::error_code ec;
    { const auto handle = open_max(ec); }  // closed before RevertToSelf
    if (!::RevertToSelf()) std::terminate();  // never keep running as another user
    if (ec != make_win32_error(ERROR_ACCESS_DENIED)) return;
    facts.access_requested = query->desired;
    facts.access_granted = 0;
    facts.access_maximum = 0;
}

}  // namespace

UserObjectFacts gather_window_station_facts(std::string_view station, const std::optional<AccessQuery>& query,
                                            std::vector<ApiFailure>* notes) {
    std::error_code ec;
    ApiFailure failure;
    // READ_CONTROL is what the SDDL and the access check need; the read right only the UOI_* reads.
    unique_hwinsta handle;
    for (const ACCESS_MASK access : std::initializer_list<ACCESS_MASK>{READ_CONTROL | WINSTA_READATTRIBUTES, READ_CONTROL,
                                     WINSTA_READATTRIBUTES}) {
        handle = open_window_station(station, access, ec, &failure);
        if (!ec) break;
    }
    if (ec) {
        auto facts = not_opened(station, failure);
        check_open_as_token(query, facts, [&](std::error_code& e) { return open_window_station(station, MAXIMUM_ALLOWED, e); });
        return facts;
    }
    auto facts = gather_user_object_facts(handle.get(), ObjectKind::window_station, query, notes);
    facts.name = std::string(station);
    return facts;
}

UserObjectFacts gather_desktop_facts(std::string_view station, std::string_view desktop,
                                     const std::optional<AccessQuery>& query, std::vector<ApiFailure>* notes) {
    std::error_code ec;
    ApiFailure failure;
    // Any access works for SetProcessWindowStation; ask for the least.
    const auto st = open_window_station(station, WINSTA_READATTRIBUTES, ec, &failure);
    if (ec) {
        // Whatever the station's failure proves about the station, it says nothing of the desktop.
        auto facts = not_opened(desktop, failure);
        facts.exists = false;
        facts.exists_known = false;
        return facts;
    }
    unique_hdesk handle;
    for (const ACCESS_MASK access : std::initializer_list<ACCESS_MASK>{READ_CONTROL | DESKTOP_READOBJECTS, READ_CONTROL,
                                     DESKTOP_READOBJECTS}) {
        handle = open_desktop(st.get(), desktop, access, ec, &failure);
        if (!ec) break;
    }
    if (ec) {
        auto facts = not_opened(desktop, failure);
        check_open_as_token(query, facts, [&](std::error_code& e) { return open_desktop(st.get(), desktop, MAXIMUM_ALLOWED, e); });
        return facts;
    }
    auto facts = gather_user_object_facts(handle.get(), ObjectKind::desktop, query, notes);
    facts.name = std::string(desktop);
    return facts;
}

}  // namespace safelaunch::win32
