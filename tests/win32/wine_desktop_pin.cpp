// wine-desktop-pin: keeps the default desktop in use for a whole test run under Wine.
//
// Why: wineserver closes a desktop one second after its last non-system user leaves, and its
// owner, `explorer.exe /desktop`, quits. The next user32 program restarts explorer, which then
// inherits that program's Unix stdio: under ctest, one test's output pipe. ctest waits for the
// pipe to close, so that test "runs" until explorer quits again, i.e. until the run goes quiet
// (seen: the canary test took 17 s, and 120 s = timeout in a full run). One hidden window held
// here keeps the desktop in use, so the explorer started at boot (stdio on /dev/null) stays.
//
//   wine-desktop-pin [MINUTES]   hold the desktop (one instance per Wine session) until --stop,
//                                or MINUTES pass (default 120: a lost pin cannot linger for ever)
//   wine-desktop-pin --stop      end the holding instance
// Exit: 0 held and released, or stopped, or another instance already holds; 2 usage; 3 failed.
#include <windows.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

constexpr wchar_t kInstanceMutex[] = L"safelaunch-wine-desktop-pin";
constexpr wchar_t kStopEvent[] = L"safelaunch-wine-desktop-pin-stop";

int stop() {
    HANDLE ev = ::OpenEventW(EVENT_MODIFY_STATE, FALSE, kStopEvent);
    if (!ev) return 0;  // nothing holds the desktop
    ::SetEvent(ev);
    ::CloseHandle(ev);
    return 0;
}

int hold(DWORD minutes) {
    HANDLE instance = ::CreateMutexW(nullptr, FALSE, kInstanceMutex);
    if (!instance) return 3;
    if (::GetLastError() == ERROR_ALREADY_EXISTS) {
        ::CloseHandle(instance);
        return 0;
    }
    HANDLE stop_event = ::CreateEventW(nullptr, TRUE, FALSE, kStopEvent);
    // A window makes this thread a user of its desktop (a console program alone is not).
    HWND window = ::CreateWindowExW(0, L"STATIC", L"safelaunch wine desktop pin", 0, 0, 0, 0, 0, nullptr, nullptr,
                                    ::GetModuleHandleW(nullptr), nullptr);
    if (!stop_event || !window) {
        std::fprintf(stderr, "wine-desktop-pin: %s failed: %lu\n", stop_event ? "CreateWindowExW" : "CreateEventW",
                     ::GetLastError());
        return 3;
    }
    const ULONGLONG deadline = ::GetTickCount64() + ULONGLONG{minutes} * 60'000;
    for (ULONGLONG now = ::GetTickCount64(); now < deadline; now = ::GetTickCount64()) {
        const DWORD r = ::MsgWaitForMultipleObjects(1, &stop_event, FALSE, static_cast<DWORD>(deadline - now),
                                                    QS_ALLINPUT);
        if (r != WAIT_OBJECT_0 + 1) break;  // stopped, timed out, or failed: release the desktop
        MSG msg;
        while (::PeekMessageW(&msg, nullptr, 0, 0, PM_REMOVE)) ::DispatchMessageW(&msg);
    }
    ::DestroyWindow(window);
    ::CloseHandle(stop_event);
    ::CloseHandle(instance);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2) {
        std::fputs("usage: wine-desktop-pin [MINUTES] | --stop\n", stderr);
        return 2;
    }
    if (argc == 2 && std::strcmp(argv[1], "--stop") == 0) return stop();
    DWORD minutes = 120;
    if (argc == 2) {
        char* end = nullptr;
        const unsigned long m = std::strtoul(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0' || m == 0 || m > 24 * 60) {
            std::fprintf(stderr, "wine-desktop-pin: MINUTES must be 1..1440, not \"%s\"\n", argv[1]);
            return 2;
        }
        minutes = static_cast<DWORD>(m);
    }
    return hold(minutes);
}
