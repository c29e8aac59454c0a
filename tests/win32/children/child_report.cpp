// Test child: reports what it received, one JSON object per line, so launch tests can check that
// arguments, environment, working directory and desktop arrived as asked.
//   child_report <out-file | -> <VAR | -> [args...]
// Lines: {"argv":[...]}  {"env":{"VAR":"value" | null}}  {"cwd":"..."}  {"station":"...","desktop":"..."}
//        {"stdin":{"type":GetFileType,"read_ok":bool,"bytes":n}} when SAFELAUNCH_READ_STDIN is set (one
//        ReadFile of up to 64 bytes)
//        {"set_event":{"handle":n,"ok":bool}} when SAFELAUNCH_SET_EVENT holds a handle value: SetEvent on
//        it, so a parent can see whether that handle was inherited.
// argv comes from GetCommandLineW → CommandLineToArgvW (what a Unicode program sees); the desktop
// from GetThreadDesktop + UOI_NAME, which also makes this process connect to its desktop (user32).
#include <windows.h>
#include <shellapi.h>

#include <cstdint>
#include <cstdio>
#include <cwchar>
#include <string>
#include <vector>

#include "report_text.hpp"

// JSON string escaping and UOI_NAME are the probe's (launcher/probe/report_text.hpp), not a copy.
using safelaunch::report_text::json_string;

namespace {

std::string json(const std::wstring& w) { return json_string(w); }

std::wstring object_name(HANDLE object) {
    std::wstring name;
    if (!safelaunch::report_text::object_name(object, name)) return L"?error " + std::to_wstring(::GetLastError());
    return name;
}

}  // namespace

int main() {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(::GetCommandLineW(), &argc);
    if (!argv || argc < 3) return 2;
    const std::wstring out_path = argv[1];
    const std::wstring var = argv[2];

    std::string report = "{\"argv\":[";
    for (int i = 0; i < argc; ++i) report += (i ? "," : "") + json(argv[i]);
    report += "]}\n";

    if (var != L"-") {
        std::wstring value(32768, L'\0');
        ::SetLastError(0);
        const DWORD n = ::GetEnvironmentVariableW(var.c_str(), value.data(), static_cast<DWORD>(value.size()));
        const bool found = n != 0 || ::GetLastError() != ERROR_ENVVAR_NOT_FOUND;
        value.resize(n);
        report += "{\"env\":{" + json(var) + ":" + (found ? json(value) : std::string("null")) + "}}\n";
    }

    std::wstring cwd(MAX_PATH * 4, L'\0');
    cwd.resize(::GetCurrentDirectoryW(static_cast<DWORD>(cwd.size()), cwd.data()));
    report += "{\"cwd\":" + json(cwd) + "}\n";

    report += "{\"station\":" + json(object_name(::GetProcessWindowStation())) +
              ",\"desktop\":" + json(object_name(::GetThreadDesktop(::GetCurrentThreadId()))) + "}\n";

    // Only when asked: an inherited console stdin would block the read.
    if (::GetEnvironmentVariableW(L"SAFELAUNCH_READ_STDIN", nullptr, 0) > 0) {
        const HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
        const bool valid = in && in != INVALID_HANDLE_VALUE;
        char buf[64];
        DWORD got = 0;
        const bool read_ok = valid && ::ReadFile(in, buf, sizeof buf, &got, nullptr);
        report += "{\"stdin\":{\"type\":" + std::to_string(valid ? ::GetFileType(in) : 0) + ",\"read_ok\":" +
                  (read_ok ? "true" : "false") + ",\"bytes\":" + std::to_string(got) + "}}\n";
    }

    wchar_t event_text[32] = {};
    if (::GetEnvironmentVariableW(L"SAFELAUNCH_SET_EVENT", event_text, 32) > 0) {
        const auto value = std::wcstoull(event_text, nullptr, 10);
        const bool ok = ::SetEvent(reinterpret_cast<HANDLE>(static_cast<std::uintptr_t>(value))) != FALSE;
        report += "{\"set_event\":{\"handle\":" + std::to_string(value) + ",\"ok\":" + (ok ? "true" : "false") +
                  "}}\n";
    }

    if (out_path == L"-") {
        DWORD written = 0;
        ::WriteFile(::GetStdHandle(STD_OUTPUT_HANDLE), report.data(), static_cast<DWORD>(report.size()), &written, nullptr);
        return 0;
    }
    const HANDLE f = ::CreateFileW(out_path.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (f == INVALID_HANDLE_VALUE) return 3;
    DWORD written = 0;
    const BOOL ok = ::WriteFile(f, report.data(), static_cast<DWORD>(report.size()), &written, nullptr);
    ::CloseHandle(f);
    return ok ? 0 : 4;
}
