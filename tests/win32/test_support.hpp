// Paths the Win32 tests share: the test executable's folder, the child executables beside it,
// and the tools in the build tree's launcher folder.
#pragma once

#include <windows.h>

#include <boost/nowide/convert.hpp>

#include <atomic>
#include <string>

namespace safelaunch::test {

inline std::string exe_dir() {
    std::wstring path(MAX_PATH * 4, L'\0');
    path.resize(::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
    return boost::nowide::narrow(path.substr(0, path.find_last_of(L'\\')));
}

// tests/win32/children/<name>.cpp, built next to the test executable.
inline std::string child_path(const std::string& name) { return exe_dir() + "\\" + name + ".exe"; }

// safelaunch.exe, safelaunch-probe.exe, deskheap-repro.exe: <build>/launcher/.
inline std::string tool_path(const std::string& name) { return exe_dir() + "\\..\\..\\launcher\\" + name + ".exe"; }

// This process as "<pid>-<start>": Wine reuses process ids at once, and an object can outlive the
// process that named it (a child still on the desktop; wineserver closes a used desktop a second
// late), so the pid alone does not say whose an object is; the pair (pid, creation time) does.
inline const std::string& process_tag() {
    static const std::string tag = [] {
        FILETIME created{}, exited{}, kernel{}, user{};
        ::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user);
        const auto start = (static_cast<unsigned long long>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
        return std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(start % 1'000'000'000'000ULL);
    }();
    return tag;
}

// A name no other test and no other test process uses: "<stem>-<pid>-<start>-<n>".
inline std::string unique_name(const std::string& stem) {
    static std::atomic<int> counter{0};
    return stem + "-" + process_tag() + "-" + std::to_string(counter++);
}

}  // namespace safelaunch::test
