// The one-line JSON reports of the plain user32 helper programs (safelaunch-probe, deskheap-filler):
// UTF-8 text, JSON string escaping, and a window station's or desktop's name. Header-only, so those
// programs stay free of the library and import little beyond USER32 and KERNEL32.
#pragma once

#include <windows.h>

#include <cstdio>
#include <cwchar>
#include <string>

namespace safelaunch::report_text {

inline std::string utf8(const std::wstring& w) {
    if (w.empty()) return {};
    const int n = ::WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), nullptr, 0, nullptr, nullptr);
    std::string s(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, w.data(), static_cast<int>(w.size()), s.data(), n, nullptr, nullptr);
    return s;
}

inline std::string json_string(const std::wstring& w) {
    std::string out = "\"";
    for (const char c : utf8(w)) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(u));
            out += buf;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

// UOI_NAME of a window station or desktop handle; false when it cannot be read.
inline bool object_name(HANDLE object, std::wstring& name) {
    DWORD needed = 0;
    ::GetUserObjectInformationW(object, UOI_NAME, nullptr, 0, &needed);
    name.assign(needed / sizeof(wchar_t) + 1, L'\0');
    if (!::GetUserObjectInformationW(object, UOI_NAME, name.data(), static_cast<DWORD>(name.size() * sizeof(wchar_t)),
                                     &needed))
        return false;
    name.resize(std::wcslen(name.c_str()));
    return true;
}

}  // namespace safelaunch::report_text
