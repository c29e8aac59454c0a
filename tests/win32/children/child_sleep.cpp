// Test child: sleeps argv[1] milliseconds, then exits 0. For timeout and terminate tests.
#include <windows.h>
#include <shellapi.h>

#include <cwchar>

int main() {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(::GetCommandLineW(), &argc);
    if (!argv || argc < 2) return 2;
    ::Sleep(static_cast<DWORD>(std::wcstoul(argv[1], nullptr, 10)));
    return 0;
}
