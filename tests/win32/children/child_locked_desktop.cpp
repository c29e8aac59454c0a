// child_locked_desktop NAME [SECONDS]: creates the desktop WinSta0\NAME, sets a DACL that lets
// only SYSTEM in (SetSecurityInfo: Wine ignores a descriptor given at creation), prints "ready",
// and keeps the desktop alive until stdin closes or SECONDS pass (default 60). For the demo and
// for tests that need a locked desktop held by another process.
#include <windows.h>

#include <aclapi.h>
#include <sddl.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {  // ASCII names: enough for tests and the demo
    if (argc < 2) {
        std::fputs("usage: child_locked_desktop NAME [SECONDS]\n", stderr);
        return 2;
    }
    const DWORD seconds = argc > 2 ? static_cast<DWORD>(std::strtoul(argv[2], nullptr, 10)) : 60;
    HDESK desk = CreateDesktopA(argv[1], nullptr, nullptr, 0, GENERIC_ALL, nullptr);
    if (!desk) {
        std::fprintf(stderr, "CreateDesktopA failed: %lu\n", GetLastError());
        return 3;
    }
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:P(A;;0xf01ff;;;SY)", SDDL_REVISION_1, &sd, nullptr)) {
        std::fprintf(stderr, "ConvertStringSecurityDescriptorToSecurityDescriptorW failed: %lu\n", GetLastError());
        CloseDesktop(desk);
        return 3;
    }
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    const auto rc = SetSecurityInfo(desk, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                    nullptr, nullptr, dacl, nullptr);
    LocalFree(sd);
    if (rc != ERROR_SUCCESS) {
        std::fprintf(stderr, "SetSecurityInfo failed: %lu\n", rc);
        CloseDesktop(desk);
        return 3;
    }
    std::puts("ready");
    std::fflush(stdout);
    // Until stdin closes (the parent is done) or the time is up.
    const HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
    const DWORD start = GetTickCount();
    char buf[64];
    DWORD got = 0;
    while (GetTickCount() - start < seconds * 1000) {
        if (GetFileType(in) == FILE_TYPE_PIPE) {
            if (!ReadFile(in, buf, sizeof buf, &got, nullptr) || got == 0) break;
        } else {
            Sleep(200);
        }
    }
    CloseDesktop(desk);
    return 0;
}
