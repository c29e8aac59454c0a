// safelaunch-probe: the canary child. Started on the target window station/desktop with the
// target token, it shows whether a user32 program can start there at all, and optionally whether
// the desktop heap still has room for about N KB of window objects.
//
//   safelaunch-probe [--alloc-kb N]
//
// A child that cannot connect to its station/desktop never reaches main(): it dies in user32's
// initialisation with 0xC0000142 (128 before Vista) — that exit code is the canary's verdict.
// Otherwise it prints one JSON line on stdout and exits with one of these codes (stable, only
// ever added to):
//   0  ok: connected (and, with --alloc-kb, created and freed the objects)
//   2  usage: bad arguments
//   3  no_desktop_name: GetUserObjectInformationW(UOI_NAME) failed on its own station/desktop
//   4  register_class_failed: RegisterClassExW failed
//   5  heap_exhausted: CreateWindowExW failed before the budget was reached (desktop heap; the
//      error is ERROR_NOT_ENOUGH_MEMORY, or 0 on some builds)
//   6  handle_quota: CreateWindowExW failed with ERROR_NO_MORE_USER_HANDLES (the per-process
//      USER handle quota, 10,000 by default — not the desktop heap)
// Never run it with a large N under Wine: Wine has no desktop heap, and filling its global
// user-handle table crashes wineserver.
#include <windows.h>

#include "report_text.hpp"
#include "safelaunch/command_line_split.hpp"

#include <cstdio>
#include <cwchar>
#include <string>
#include <vector>

namespace {

// Field measurement: ~400 bytes of desktop heap per small window (plus ~2 per title character;
// the probe's windows have no title). See /work/shared/notes/platform-facts.md.
constexpr unsigned kBytesPerWindow = 400;
// Above the default per-process USER handle quota anyway; keeps a typo from running for minutes.
constexpr unsigned long kMaxAllocKb = 1024 * 1024;

enum ExitCode : int {
    kOk = 0,
    kUsage = 2,
    kNoDesktopName = 3,
    kRegisterClassFailed = 4,
    kHeapExhausted = 5,
    kHandleQuota = 6,
};

using safelaunch::report_text::json_string;
using safelaunch::report_text::object_name;

struct Report {
    std::wstring station, desktop;
    unsigned long alloc_kb = 0;
    unsigned long target = 0, created = 0;
    const char* result = "ok";
    const char* api = nullptr;
    DWORD error = 0;
};

int finish(const Report& r, int code) {
    std::string line = "{\"probe\":\"safelaunch-probe\",\"version\":1,\"result\":\"" + std::string(r.result) + "\"";
    line += ",\"exit_code\":" + std::to_string(code);
    line += ",\"station\":" + json_string(r.station) + ",\"desktop\":" + json_string(r.desktop);
    line += ",\"alloc_kb\":" + std::to_string(r.alloc_kb) + ",\"bytes_per_object\":" + std::to_string(kBytesPerWindow);
    line += ",\"objects_target\":" + std::to_string(r.target) + ",\"objects_created\":" + std::to_string(r.created);
    line += ",\"estimated_kb\":" + std::to_string(static_cast<unsigned long long>(r.created) * kBytesPerWindow / 1024);
    if (r.api) line += ",\"api\":\"" + std::string(r.api) + "\",\"error\":" + std::to_string(r.error);
    line += "}\n";
    DWORD written = 0;
    ::WriteFile(::GetStdHandle(STD_OUTPUT_HANDLE), line.data(), static_cast<DWORD>(line.size()), &written, nullptr);
    return code;
}

}  // namespace

int main() {
    Report report;

    // First user32 calls: this is where the process connects to its station and desktop.
    if (!object_name(::GetProcessWindowStation(), report.station) ||
        !object_name(::GetThreadDesktop(::GetCurrentThreadId()), report.desktop)) {
        report.result = "no_desktop_name";
        report.api = "GetUserObjectInformationW";
        report.error = ::GetLastError();
        return finish(report, kNoDesktopName);
    }

    // Our own splitter (header-only, the library's rules), not CommandLineToArgvW: SHELL32 would
    // add itself and GDI32 (and their start-up cost) to every canary (issue 12).
    const auto argv = safelaunch::basic_parse_command_line<wchar_t>(::GetCommandLineW());
    for (std::size_t i = 1; i < argv.size(); ++i) {
        if (argv[i] == L"--alloc-kb" && i + 1 < argv.size()) {
            const std::wstring& value = argv[++i];
            wchar_t* end = nullptr;
            report.alloc_kb = std::wcstoul(value.c_str(), &end, 10);
            if (end == value.c_str() || *end != L'\0' || report.alloc_kb > kMaxAllocKb) {
                report.result = "usage";
                return finish(report, kUsage);
            }
        } else {
            report.result = "usage";
            return finish(report, kUsage);
        }
    }
    if (report.alloc_kb == 0) return finish(report, kOk);

    const HINSTANCE instance = ::GetModuleHandleW(nullptr);
    WNDCLASSEXW wc{};
    wc.cbSize = sizeof wc;
    wc.lpfnWndProc = ::DefWindowProcW;
    wc.hInstance = instance;
    wc.lpszClassName = L"SafelaunchProbe";
    if (!::RegisterClassExW(&wc)) {
        report.result = "register_class_failed";
        report.api = "RegisterClassExW";
        report.error = ::GetLastError();
        return finish(report, kRegisterClassFailed);
    }

    report.target = static_cast<unsigned long>((static_cast<unsigned long long>(report.alloc_kb) * 1024 +
                                                kBytesPerWindow - 1) / kBytesPerWindow);
    std::vector<HWND> windows;
    windows.reserve(report.target);
    int code = kOk;
    while (windows.size() < report.target) {
        // Hidden, untitled popups: desktop-heap objects with no painting and no taskbar entry.
        const HWND w = ::CreateWindowExW(0, wc.lpszClassName, L"", WS_POPUP, 0, 0, 1, 1, nullptr, nullptr, instance,
                                         nullptr);
        if (!w) {
            report.error = ::GetLastError();
            report.api = "CreateWindowExW";
            const bool quota = report.error == ERROR_NO_MORE_USER_HANDLES;
            report.result = quota ? "handle_quota" : "heap_exhausted";
            code = quota ? kHandleQuota : kHeapExhausted;
            break;
        }
        windows.push_back(w);
    }
    report.created = static_cast<unsigned long>(windows.size());
    for (auto it = windows.rbegin(); it != windows.rend(); ++it) ::DestroyWindow(*it);
    ::UnregisterClassW(wc.lpszClassName, instance);
    return finish(report, code);
}
