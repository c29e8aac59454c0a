// deskheap-filler: fills the desktop heap of the desktop it runs on, then holds it full until told
// to let go. deskheap-repro starts it with lpDesktop "Station\Desk", so the filling is done by a
// process connected to that desktop the documented way (a thread may only use a desktop of its
// process's window station: SetThreadDesktop, GetThreadDesktop) — as Chromium starts its targets.
//
//   deskheap-filler --ready-event NAME --release-event NAME --parent-pid PID [--max-objects N]
//
// 1. Connects (first user32 call) and reads back its station and desktop (UOI_NAME).
// 2. Creates objects from large to small until user32 refuses: hidden popups with 240-character
//    titles, menus with one 240-character item, 8-character items, 1-character items, then empty
//    menus, so that as little room as possible is left (the size of the first allocation a new
//    thread needs on the desktop is undocumented).
// 3. Prints one JSON line (what it created, the call that failed and its error), sets the ready
//    event, and waits for the release event (or for the parent to end).
// 4. Destroys everything (windows on this thread, which created them), prints a second line, exits.
// Exit codes: 0 released; 2 usage; 3 no_desktop_name; 4 the events or the parent could not be
// opened; 5 RegisterClassExW failed; 6 the parent ended before releasing (cleaned up anyway).
// Like the probe it imports user32: on a desktop it cannot connect to it dies with 0xC0000142.
// Never run it unbounded under Wine: filling Wine's user-handle table crashes wineserver.
#include <windows.h>

#include "report_text.hpp"
#include "safelaunch/command_line_split.hpp"

#include <cstdio>
#include <cwchar>
#include <string>
#include <vector>

namespace {

enum ExitCode : int { kReleased = 0, kUsage = 2, kNoDesktopName = 3, kNoEvents = 4, kRegisterFailed = 5, kParentGone = 6 };

constexpr wchar_t kClassName[] = L"DeskheapReproFiller";
// Titles and item texts live in the desktop heap too (~2 bytes a character): long ones first take
// the heap faster than the per-process USER handle quota (10,000 by default) runs out.
const std::wstring kLongText(240, L'x');
const std::wstring kShortText(8, L's');
const std::wstring kTinyText(1, L't');
constexpr unsigned kItemsPerMenu = 64;

using safelaunch::report_text::json_string;
using safelaunch::report_text::object_name;

void write_line(const std::string& line) {
    DWORD written = 0;
    const std::string l = line + "\n";
    ::WriteFile(::GetStdHandle(STD_OUTPUT_HANDLE), l.data(), static_cast<DWORD>(l.size()), &written, nullptr);
}

struct Fill {
    std::wstring station, desktop;
    unsigned long long windows = 0, menus = 0, strings = 0, short_strings = 0, tiny_menus = 0;
    unsigned long long max_objects = 200000;
    const char* stop_api = nullptr;
    DWORD stop_error = 0;
    bool hit_handle_quota = false;  // ERROR_NO_MORE_USER_HANDLES: the per-process quota, not the heap
    bool hit_limit = false;         // stopped at max_objects without a failure
    std::vector<HWND> window_handles;
    std::vector<HMENU> menu_handles;

    unsigned long long total() const { return windows + menus + strings + short_strings + tiny_menus; }
    void stop(const char* api) {
        stop_api = api;
        stop_error = ::GetLastError();
        if (stop_error == ERROR_NO_MORE_USER_HANDLES) hit_handle_quota = true;
    }
    bool keep_going() {
        if (total() >= max_objects) {
            hit_limit = true;
            return false;
        }
        return !hit_handle_quota;
    }
    // Appends `text` items to the menus held, kItemsPerMenu each; a menu whose item array cannot
    // grow is left for the next; two refusals in a row end the stage.
    void append_items(const std::wstring& text, unsigned long long& counter) {
        int refusals = 0;
        unsigned in_menu = 0;
        for (std::size_t m = 0; m < menu_handles.size() && keep_going();) {
            if (::AppendMenuW(menu_handles[m], MF_STRING, static_cast<UINT_PTR>(1000 + counter % 60000), text.c_str())) {
                ++counter;
                refusals = 0;
                if (++in_menu < kItemsPerMenu) continue;
            } else {
                stop("AppendMenuW");
                if (++refusals >= 2) break;
            }
            ++m;
            in_menu = 0;
        }
    }
    void run(HINSTANCE instance) {
        while (keep_going()) {  // hidden, titled popups (no painting, no taskbar entry)
            const HWND w = ::CreateWindowExW(0, kClassName, kLongText.c_str(), WS_POPUP, 0, 0, 1, 1, nullptr, nullptr,
                                             instance, nullptr);
            if (!w) {
                stop("CreateWindowExW");
                break;
            }
            window_handles.push_back(w);
            ++windows;
        }
        while (keep_going()) {  // menus with one long item each
            const HMENU m = ::CreateMenu();
            if (!m) {
                stop("CreateMenu");
                break;
            }
            menu_handles.push_back(m);
            ++menus;
            if (!::AppendMenuW(m, MF_STRING, 1, kLongText.c_str())) {
                stop("AppendMenuW");
                break;
            }
        }
        append_items(kShortText, strings);
        append_items(kTinyText, short_strings);
        while (keep_going()) {  // the smallest objects last: empty menus
            const HMENU m = ::CreateMenu();
            if (!m) {
                stop("CreateMenu");
                break;
            }
            menu_handles.push_back(m);
            ++tiny_menus;
        }
    }
    void release() {
        for (auto it = menu_handles.rbegin(); it != menu_handles.rend(); ++it) ::DestroyMenu(*it);
        for (auto it = window_handles.rbegin(); it != window_handles.rend(); ++it) ::DestroyWindow(*it);
        menu_handles.clear();
        window_handles.clear();
    }
    std::string json(const char* state) const {
        std::string l = "{\"filler\":\"deskheap-filler\",\"version\":1,\"state\":\"" + std::string(state) + "\"";
        l += ",\"station\":" + json_string(station) + ",\"desktop\":" + json_string(desktop);
        l += ",\"windows\":" + std::to_string(windows) + ",\"menus\":" + std::to_string(menus);
        l += ",\"strings\":" + std::to_string(strings) + ",\"short_strings\":" + std::to_string(short_strings);
        l += ",\"tiny_menus\":" + std::to_string(tiny_menus) + ",\"total\":" + std::to_string(total());
        l += ",\"hit_limit\":" + std::string(hit_limit ? "true" : "false");
        l += ",\"hit_handle_quota\":" + std::string(hit_handle_quota ? "true" : "false");
        if (stop_api) l += ",\"stop_api\":\"" + std::string(stop_api) + "\",\"stop_error\":" + std::to_string(stop_error);
        return l + "}";
    }
};

int fail(const char* result, const char* api, int code) {
    const DWORD error = ::GetLastError();
    write_line("{\"filler\":\"deskheap-filler\",\"version\":1,\"state\":\"" + std::string(result) +
               "\",\"exit_code\":" + std::to_string(code) + (api ? ",\"api\":\"" + std::string(api) + "\"" : "") +
               ",\"error\":" + std::to_string(error) + "}");
    return code;
}

}  // namespace

int main() {
    Fill fill;
    // First user32 calls: this is where the process connects to its station and desktop.
    if (!object_name(::GetProcessWindowStation(), fill.station) ||
        !object_name(::GetThreadDesktop(::GetCurrentThreadId()), fill.desktop))
        return fail("no_desktop_name", "GetUserObjectInformationW", kNoDesktopName);

    std::wstring ready_name, release_name;
    unsigned long parent_pid = 0;
    // Our own splitter (header-only, the library's rules), not CommandLineToArgvW: SHELL32 would
    // import GDI32 too (issue 12).
    const auto argv = safelaunch::basic_parse_command_line<wchar_t>(::GetCommandLineW());
    for (std::size_t i = 1; i + 1 < argv.size(); i += 2) {
        const std::wstring& key = argv[i];
        const std::wstring& value = argv[i + 1];
        wchar_t* end = nullptr;
        if (key == L"--ready-event") ready_name = value;
        else if (key == L"--release-event") release_name = value;
        else if (key == L"--parent-pid") parent_pid = std::wcstoul(value.c_str(), &end, 10);
        else if (key == L"--max-objects") fill.max_objects = std::wcstoull(value.c_str(), &end, 10);
        else return fail("usage", nullptr, kUsage);
        if (end && *end != L'\0') return fail("usage", nullptr, kUsage);
    }
    if (argv.size() % 2 != 1 || ready_name.empty() || release_name.empty() || parent_pid == 0 || fill.max_objects == 0)
        return fail("usage", nullptr, kUsage);

    const HANDLE ready = ::OpenEventW(EVENT_MODIFY_STATE, FALSE, ready_name.c_str());
    if (!ready) return fail("no_events", "OpenEventW", kNoEvents);
    const HANDLE release = ::OpenEventW(SYNCHRONIZE, FALSE, release_name.c_str());
    if (!release) return fail("no_events", "OpenEventW", kNoEvents);
    const HANDLE parent = ::OpenProcess(SYNCHRONIZE, FALSE, parent_pid);
    if (!parent) return fail("no_events", "OpenProcess", kNoEvents);

    const HINSTANCE instance = ::GetModuleHandleW(nullptr);
    WNDCLASSEXW wc{};
    wc.cbSize = sizeof wc;
    wc.lpfnWndProc = ::DefWindowProcW;
    wc.hInstance = instance;
    wc.lpszClassName = kClassName;
    if (!::RegisterClassExW(&wc)) return fail("register_class_failed", "RegisterClassExW", kRegisterFailed);

    fill.run(instance);
    write_line(fill.json("filled"));
    ::SetEvent(ready);
    const HANDLE waits[] = {release, parent};
    const DWORD woke = ::WaitForMultipleObjects(2, waits, FALSE, INFINITE);
    fill.release();
    ::UnregisterClassW(kClassName, instance);
    const bool released = woke == WAIT_OBJECT_0;
    write_line(fill.json(released ? "released" : "parent_gone"));
    ::CloseHandle(parent);
    ::CloseHandle(release);
    ::CloseHandle(ready);
    return released ? kReleased : kParentGone;
}
