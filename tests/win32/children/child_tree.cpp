// Test child: starts argv[1] copies of child_sleep.exe (beside it) that sleep argv[2] ms, prints
// each one's pid on a line of its own, then sleeps argv[3] ms (0: exits at once) and exits 0.
// For the Job object tests: the grandchildren must end with the job, not outlive it.
#include <windows.h>
#include <shellapi.h>

#include <cstdio>
#include <cwchar>
#include <string>

int main() {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(::GetCommandLineW(), &argc);
    if (!argv || argc < 4) return 2;
    const unsigned long count = std::wcstoul(argv[1], nullptr, 10);
    std::wstring self(MAX_PATH * 4, L'\0');
    self.resize(::GetModuleFileNameW(nullptr, self.data(), static_cast<DWORD>(self.size())));
    const std::wstring sleeper = self.substr(0, self.find_last_of(L'\\')) + L"\\child_sleep.exe";
    for (unsigned long i = 0; i < count; ++i) {
        std::wstring command = L"\"" + sleeper + L"\" " + argv[2];
        STARTUPINFOW si{sizeof(si)};
        PROCESS_INFORMATION pi{};
        if (!::CreateProcessW(sleeper.c_str(), command.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi))
            return 3;
        std::printf("%lu\n", pi.dwProcessId);
        std::fflush(stdout);
        ::CloseHandle(pi.hThread);
        ::CloseHandle(pi.hProcess);
    }
    ::Sleep(static_cast<DWORD>(std::wcstoul(argv[3], nullptr, 10)));
    return 0;
}
