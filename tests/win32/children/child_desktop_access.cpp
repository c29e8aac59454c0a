// Test child: child_desktop_access DESKTOP MS. For MS milliseconds, every 20 ms, opens DESKTOP (on
// its own window station) with the rights user32 needs to connect (0xCF: read/write objects, create
// window/menu, hook control, enumerate), as a process connecting to it would. Exits with the number
// of refused opens (at most 200), so 0 means access held throughout. Under Wine OpenDesktopW
// enforces the DACL set with SetSecurityInfo, so this sees an ACE vanish while the child runs.
#include <windows.h>
#include <shellapi.h>

#include <cstdio>
#include <cwchar>

int main() {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(::GetCommandLineW(), &argc);
    if (!argv || argc < 3) return 255;
    const DWORD duration = static_cast<DWORD>(std::wcstoul(argv[2], nullptr, 10));
    const DWORD start = ::GetTickCount();
    int refused = 0;
    do {
        if (HDESK desk = ::OpenDesktopW(argv[1], 0, FALSE, 0xCF)) {
            ::CloseDesktop(desk);
        } else if (refused++ == 0) {
            std::fprintf(stderr, "OpenDesktopW(%ls) refused after %lu ms: %lu\n", argv[1], ::GetTickCount() - start,
                         ::GetLastError());
        }
        ::Sleep(20);
    } while (::GetTickCount() - start < duration);
    return refused > 200 ? 200 : refused;
}
