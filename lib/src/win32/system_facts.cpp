#include "safelaunch/win32/system_facts.hpp"

#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "win32/api_failure.hpp"
#include "win32/wevtapi_api.hpp"

#include <winevt.h>

#include <fmt/format.h>

#include <map>

namespace safelaunch::win32 {
namespace {

void evt_close(EVT_HANDLE h) noexcept {
    if (const auto* w = wevtapi_for_close()) w->EvtClose(h);
}
using unique_evt = UniqueAny<EVT_HANDLE, evt_close>;

constexpr const wchar_t* kSubSystemsKey = L"System\\CurrentControlSet\\Control\\Session Manager\\SubSystems";
constexpr const wchar_t* kWindowsKey = L"SYSTEM\\CurrentControlSet\\Control\\Windows";

template <typename Fn>
Fn ntdll_export(const char* name) {
    const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) return nullptr;
    // Through void(*)(): the one function-pointer cast -Wcast-function-type accepts.
    return reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(::GetProcAddress(ntdll, name)));
}

// A REG_SZ / REG_EXPAND_SZ value, unexpanded; nullopt when absent; ec for any other failure.
std::optional<std::string> reg_string(HKEY key, const wchar_t* value, const char* label, std::error_code& ec,
                                      ApiFailure* failure) {
    constexpr DWORD kFlags = RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND;
    DWORD size = 0;
    LSTATUS e = ::RegGetValueW(key, nullptr, value, kFlags, nullptr, nullptr, &size);
    if (e == ERROR_FILE_NOT_FOUND) return std::nullopt;
    std::wstring text(size / sizeof(wchar_t) + 1, L'\0');
    if (e == ERROR_SUCCESS || e == ERROR_MORE_DATA) {
        size = static_cast<DWORD>(text.size() * sizeof(wchar_t));
        e = ::RegGetValueW(key, nullptr, value, kFlags, nullptr, text.data(), &size);
    }
    if (e == ERROR_FILE_NOT_FOUND) return std::nullopt;
    if (e != ERROR_SUCCESS) {
        detail::fail(ec, failure, "RegGetValueW", label, static_cast<DWORD>(e));
        return std::nullopt;
    }
    text.resize(std::wcslen(text.c_str()));
    return detail::narrow(text);
}

// The text between <tag ...> and </tag>, or "".
std::string element_text(const std::string& xml, std::string_view tag) {
    const auto open = xml.find(fmt::format("<{}", tag));
    if (open == std::string::npos) return {};
    const auto start = xml.find('>', open);
    if (start == std::string::npos || xml[start - 1] == '/') return {};
    const auto end = xml.find(fmt::format("</{}>", tag), start);
    return end == std::string::npos ? std::string{} : xml.substr(start + 1, end - start - 1);
}

// The text of every <Data> element, joined with " : " (an event 26's caption and text).
std::string data_strings(const std::string& xml) {
    std::string out;
    for (auto open = xml.find("<Data"); open != std::string::npos; open = xml.find("<Data", open + 1)) {
        const auto start = xml.find('>', open);
        if (start == std::string::npos || xml[start - 1] == '/') continue;
        const auto end = xml.find("</Data>", start);
        if (end == std::string::npos) break;
        out += (out.empty() ? "" : " : ") + xml.substr(start + 1, end - start - 1);
    }
    return out;
}

// The value of attribute `attr` in the first <tag ...> ('...' or "...").
std::string attribute(const std::string& xml, std::string_view tag, std::string_view attr) {
    const auto open = xml.find(fmt::format("<{}", tag));
    if (open == std::string::npos) return {};
    const auto close = xml.find('>', open);
    const auto at = xml.find(fmt::format("{}=", attr), open);
    if (at == std::string::npos || at > close) return {};
    const auto quote_pos = at + attr.size() + 1;
    const char quote = xml[quote_pos];
    const auto end = xml.find(quote, quote_pos + 1);
    return end == std::string::npos ? std::string{} : xml.substr(quote_pos + 1, end - quote_pos - 1);
}

std::wstring render_xml(const WevtApi& w, EVT_HANDLE event) {
    DWORD used = 0, properties = 0;
    w.EvtRender(nullptr, event, EvtRenderEventXml, 0, nullptr, &used, &properties);
    std::wstring xml(used / sizeof(wchar_t) + 1, L'\0');
    if (!w.EvtRender(nullptr, event, EvtRenderEventXml, static_cast<DWORD>(xml.size() * sizeof(wchar_t)),
                     xml.data(), &used, &properties))
        return {};
    xml.resize(std::wcslen(xml.c_str()));
    return xml;
}

// The event's message from the publisher's resources; "" when it cannot be formatted.
std::string format_message(const WevtApi& w, EVT_HANDLE publisher, EVT_HANDLE event) {
    if (!publisher) return {};
    DWORD used = 0;
    w.EvtFormatMessage(publisher, event, 0, 0, nullptr, EvtFormatMessageEvent, 0, nullptr, &used);
    if (used == 0) return {};
    std::wstring text(used + 1, L'\0');
    if (!w.EvtFormatMessage(publisher, event, 0, 0, nullptr, EvtFormatMessageEvent,
                            static_cast<DWORD>(text.size()), text.data(), &used))
        return {};
    text.resize(std::wcslen(text.c_str()));
    return detail::narrow(text);
}

}  // namespace

std::optional<std::string> wine_version() {
    using WineGetVersion = const char*(CDECL*)();
    if (const auto get = ntdll_export<WineGetVersion>("wine_get_version")) return std::string(get());
    return std::nullopt;
}

OsFacts gather_os_facts() {
    OsFacts os;
    using RtlGetVersionFn = LONG(WINAPI*)(PRTL_OSVERSIONINFOW);
    if (const auto rtl_get_version = ntdll_export<RtlGetVersionFn>("RtlGetVersion")) {
        RTL_OSVERSIONINFOW info{};
        info.dwOSVersionInfoSize = sizeof(info);
        if (rtl_get_version(&info) == 0) {
            os.major = info.dwMajorVersion;
            os.minor = info.dwMinorVersion;
            os.build = info.dwBuildNumber;
        }
    }
    SYSTEM_INFO si{};
    ::GetNativeSystemInfo(&si);
    os.x64 = si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_AMD64 ||
             si.wProcessorArchitecture == PROCESSOR_ARCHITECTURE_ARM64;
    unique_hkey key;
    if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", 0,
                        KEY_QUERY_VALUE | KEY_WOW64_64KEY, key.put()) == ERROR_SUCCESS) {
        std::error_code ignored;  // the product name is optional free text
        if (auto product = reg_string(key.get(), L"ProductName", "ProductName", ignored, nullptr))
            os.product = std::move(*product);
    }
    os.wine_version = wine_version();
    return os;
}

SubSystemsValues read_subsystems_values(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    SubSystemsValues values;
    unique_hkey key;
    const LSTATUS e = ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, kSubSystemsKey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY,
                                      key.put());
    if (e == ERROR_FILE_NOT_FOUND) return values;  // Wine: no such key
    if (e != ERROR_SUCCESS) {
        detail::fail(ec, failure, "RegOpenKeyExW", "HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\SubSystems",
                     static_cast<DWORD>(e));
        return values;
    }
    values.windows = reg_string(key.get(), L"Windows", "SubSystems\\Windows", ec, failure);
    if (ec) return values;
    values.stray_shared_section = reg_string(key.get(), L"SharedSection", "SubSystems\\SharedSection", ec, failure);
    return values;
}

HardErrorModeFacts read_hard_error_mode() {
    HardErrorModeFacts facts;
    unique_hkey key;
    LSTATUS e = ::RegOpenKeyExW(HKEY_LOCAL_MACHINE, kWindowsKey, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, key.put());
    if (e == ERROR_FILE_NOT_FOUND) return facts;  // no key: not set
    if (e == ERROR_SUCCESS) {
        DWORD value = 0;
        DWORD size = sizeof value;
        e = ::RegGetValueW(key.get(), nullptr, L"ErrorMode", RRF_RT_REG_DWORD, nullptr, &value, &size);
        if (e == ERROR_SUCCESS) facts.value = value;
        if (e == ERROR_SUCCESS || e == ERROR_FILE_NOT_FOUND) return facts;
    }
    // ERROR_UNSUPPORTED_TYPE: a value that is not a REG_DWORD; csrss would not read it as a mode.
    std::error_code ec;
    ApiFailure failure;
    detail::fail(ec, &failure, key ? "RegGetValueW" : "RegOpenKeyExW",
                 "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Windows, value ErrorMode", static_cast<DWORD>(e));
    facts.error = failure.describe();
    return facts;
}

SubSystemsValues read_subsystems_values() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return read_subsystems_values(ec, f); });
}

std::vector<StationFacts> gather_station_facts(std::error_code& ec, ApiFailure* failure) {
    const auto names = enumerate_window_stations(ec, failure);
    if (ec) return {};
    std::vector<StationFacts> stations;
    for (const auto& name : names) {
        StationFacts station;
        station.name = name;
        std::error_code e;
        const auto handle = open_window_station(name, WINSTA_ENUMDESKTOPS | WINSTA_READATTRIBUTES, e);
        if (!e) {
            const auto flags = object_flags(handle.get(), e);
            station.interactive = !e && (flags & WSF_VISIBLE) != 0;
            station.desktops = enumerate_desktops(handle.get(), e);
            // One entry per desktop: a desktop we may not open (WinSta0\Winlogon is SYSTEM-only)
            // leaves only its own size unknown.
            for (const auto& desktop : station.desktops) {
                const auto d = open_desktop(handle.get(), desktop, DESKTOP_READOBJECTS, e);
                const auto kb = e ? 0 : desktop_heap_kb(d.get(), e);
                station.desktop_heap_kb.push_back(e ? std::nullopt : std::optional<std::uint32_t>(kb));
            }
        }
        stations.push_back(std::move(station));
    }
    return stations;
}

std::vector<StationFacts> gather_station_facts() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return gather_station_facts(ec, f); });
}

std::vector<EventFacts> query_start_failure_events(std::chrono::seconds window, std::error_code& ec,
                                                  ApiFailure* failure) {
    ec.clear();
    // Absent on some editions, or refused: the events are then unknown, with this reason.
    const auto* w = wevtapi(ec, failure);
    if (!w) return {};
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(window).count();
    // Both names: 243/244 reach the System log under the legacy source "Win32k"; the manifest
    // provider Microsoft-Windows-Win32k writes other channels. Microsoft's own Defender custom view
    // matches both the same way. Event 26's source is "Application Popup" (unverified here: no
    // Windows event log under Wine).
    const auto query = detail::widen(fmt::format(
        "*[System[((Provider[@Name='Win32k' or @Name='Microsoft-Windows-Win32k'] and (EventID=243 or EventID=244)) or "
        "(Provider[@Name='Application Popup'] and EventID=26)) and TimeCreated[timediff(@SystemTime) <= {}]]]",
        ms));
    ::SetLastError(ERROR_SUCCESS);  // so a stub that fails silently is not blamed on a stale code
    const unique_evt results(w->EvtQuery(nullptr, L"System", query.c_str(), EvtQueryChannelPath | EvtQueryReverseDirection));
    if (!results) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "EvtQuery", "System log, events 243/244/26", e);
        return {};
    }
    // Messages are formatted with the metadata of the provider that logged each event (the legacy
    // source "Win32k" for the System log), opened once per name; a null handle leaves them empty.
    std::map<std::string, unique_evt> publishers;
    const auto publisher_for = [&](const std::string& name) -> EVT_HANDLE {
        auto it = publishers.find(name);
        if (it == publishers.end())
            it = publishers
                     .emplace(name, unique_evt(w->EvtOpenPublisherMetadata(nullptr, detail::widen(name).c_str(),
                                                                          nullptr, 0, 0)))
                     .first;
        return it->second.get();
    };
    std::vector<EventFacts> events;
    for (;;) {
        EVT_HANDLE batch[16] = {};
        DWORD returned = 0;
        if (!w->EvtNext(results.get(), 16, batch, INFINITE, 0, &returned)) {
            const DWORD e = ::GetLastError();
            if (e == ERROR_NO_MORE_ITEMS) break;
            detail::fail(ec, failure, "EvtNext", "System log, events 243/244/26", e);
            return {};
        }
        for (DWORD i = 0; i < returned; ++i) {
            const unique_evt event(batch[i]);
            const auto xml = detail::narrow(render_xml(*w, event.get()));
            EventFacts fact;
            fact.source = attribute(xml, "Provider", "Name");
            if (fact.source.empty()) fact.source = "Win32k";
            const auto id = element_text(xml, "EventID");
            fact.id = id == "243" ? 243u : id == "244" ? 244u : id == "26" ? 26u : 0u;
            fact.time_utc = attribute(xml, "TimeCreated", "SystemTime");
            fact.message = format_message(*w, publisher_for(fact.source), event.get());
            if (fact.message.empty()) fact.message = data_strings(xml);
            events.push_back(std::move(fact));
        }
    }
    return events;
}

std::vector<EventFacts> query_start_failure_events(std::chrono::seconds window) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return query_start_failure_events(window, ec, f); });
}

SystemFacts gather_system_facts(std::chrono::seconds event_window) {
    SystemFacts facts;
    facts.os = gather_os_facts();
    std::error_code ec;
    ApiFailure failure;
    const auto subsystems = read_subsystems_values(ec, &failure);
    facts.subsystems_windows_value = subsystems.windows;
    facts.stray_shared_section_value = subsystems.stray_shared_section;
    facts.hard_error_mode = read_hard_error_mode();
    facts.stations = gather_station_facts(ec, &failure);
    auto events = query_start_failure_events(event_window, ec, &failure);
    if (ec) facts.events_error = failure.describe();
    else facts.events = std::move(events);
    return facts;
}

}  // namespace safelaunch::win32
