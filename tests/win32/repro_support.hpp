// Helpers of the deskheap-repro black-box tests (repro_cli_test.cpp, repro_scenarios_test.cpp):
// run the tool as a program and read what it wrote; find what it left behind.
#pragma once

#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <boost/nowide/convert.hpp>
#include <gtest/gtest.h>

#include <windows.h>
#include <tlhelp32.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace repro_test {

namespace sl = safelaunch;
namespace w = safelaunch::win32;

inline std::string exe_dir() {
    std::wstring path(MAX_PATH, L'\0');
    path.resize(::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
    return boost::nowide::narrow(path.substr(0, path.find_last_of(L"\\/")));
}

// Built by reproducer/CMakeLists.txt into <build>/launcher, beside safelaunch-probe.exe (a
// dependency of this test binary: tests/win32/CMakeLists.txt).
inline std::string tool_path(const char* exe) { return exe_dir() + "\\..\\..\\launcher\\" + exe; }
inline bool file_exists(const std::string& path) {
    return ::GetFileAttributesW(boost::nowide::widen(path).c_str()) != INVALID_FILE_ATTRIBUTES;
}

inline std::string temp_path(const std::string& stem) {
    static std::atomic<int> counter{0};  // one per binary: inline
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return boost::nowide::narrow(dir) + "safelaunch-repro-test-" + stem + "-" + std::to_string(::GetCurrentProcessId()) +
           "-" + std::to_string(counter++);
}

inline std::string slurp(const std::string& path) {
    std::ifstream in(std::filesystem::path(boost::nowide::widen(path)), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Run {
    std::uint32_t exit_code = 0;
    std::uint32_t pid = 0;
    std::string out, err;
};

inline Run run_repro(const std::string& exe, std::vector<std::string> args) {
    const auto out = temp_path("out"), err = temp_path("err");
    sl::LaunchRequest request;
    request.program = exe;
    request.args = std::move(args);
    request.stdio.in.kind = sl::StdStream::Kind::null;
    request.stdio.out = {sl::StdStream::Kind::file, out, false};
    request.stdio.err = {sl::StdStream::Kind::file, err, false};
    auto child = w::launch_process(request);
    Run r;
    r.pid = child.pid();
    const auto code = child.wait_for(std::chrono::seconds(90));
    if (!code) child.terminate();
    r.exit_code = code.value_or(0xFFFFFFFFu);
    child = w::Child();
    r.out = slurp(out);
    r.err = slurp(err);
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    ::DeleteFileW(boost::nowide::widen(err).c_str());
    return r;
}

inline std::vector<std::uint32_t> children_of(std::uint32_t pid) {
    std::vector<std::uint32_t> kids;
    const HANDLE snap = ::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
    if (snap == INVALID_HANDLE_VALUE) return kids;
    PROCESSENTRY32W e{};
    e.dwSize = sizeof e;
    for (BOOL more = ::Process32FirstW(snap, &e); more; more = ::Process32NextW(snap, &e))
        if (e.th32ParentProcessID == pid && e.th32ProcessID != pid) kids.push_back(e.th32ProcessID);
    ::CloseHandle(snap);
    return kids;
}

// The tool is built with these tests: a missing one is a failure, never a skip.
#define REQUIRE_TOOL(var, exe)                                                \
    const std::optional<std::string> var = repro_test::tool_path(exe);    \
    ASSERT_TRUE(repro_test::file_exists(*var)) << exe << " is not where the build puts it: " << *var
#define REQUIRE_REPRO(var) REQUIRE_TOOL(var, "deskheap-repro.exe")

// Every desktop named with `prefix` in `station` (empty when the station no longer exists).
inline std::vector<std::string> our_desktops(const std::string& station, const std::string& prefix) {
    std::vector<std::string> found;
    std::error_code ec;
    const auto handle = w::open_window_station(station, WINSTA_ENUMDESKTOPS, ec);
    if (ec) return found;
    for (const auto& d : w::enumerate_desktops(handle.get(), ec))
        if (d.rfind(prefix, 0) == 0) found.push_back(d);
    return found;
}

inline std::string joined(const std::vector<std::string>& names) {
    std::string all;
    for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
    return all;
}

}  // namespace repro_test
