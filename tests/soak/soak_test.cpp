// Soak (issue 5, "Leaks"): launches a trivial child many times through safe_launch_and_wait with
// check = fast, then asserts that every child exited 0, that this process holds as many handles
// as before (GetProcessHandleCount), and that no window station or desktop appeared.
//
// The count: the SAFELAUNCH_SOAK_LAUNCHES environment variable (the Windows workflow sets 10000,
// the figure; ./scripts/test uses the default), else SAFELAUNCH_SOAK_DEFAULT_LAUNCHES from
// the build (tests/soak/CMakeLists.txt: 300). Under Wine one checked launch costs ~45-145 ms on a
// 2-core machine (quiet / busy), so 10,000 take 8-25 minutes.
//
// Nothing here fills desktop heaps or the user-handle table (that crashes wineserver).
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <windows.h>

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join on fmt >= 11
#include <gtest/gtest.h>

#include <chrono>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#ifndef SAFELAUNCH_SOAK_CHILD
#define SAFELAUNCH_SOAK_CHILD "..\\win32\\child_exit.exe"
#endif

namespace safelaunch::win32 {
namespace {

#ifndef SAFELAUNCH_SOAK_DEFAULT_LAUNCHES
#define SAFELAUNCH_SOAK_DEFAULT_LAUNCHES 10000
#endif
constexpr std::uint64_t kDefaultLaunches = SAFELAUNCH_SOAK_DEFAULT_LAUNCHES;
// Launches before the "before" handle count is taken. The first launches make the process load
// and cache things once, each holding a handle for the process lifetime: DLLs the launch path
// pulls in (advapi32/user32 connections: this process's window station and desktop handles),
// the security/token caches, Boost.Asio's IOCP and Wine's first-use server objects. None of
// these grow with the number of launches, so a count taken after them must come back exactly.
constexpr std::uint64_t kWarmUpLaunches = 20;

std::string exe_dir() {
    std::wstring path(MAX_PATH * 4, L'\0');
    path.resize(::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
    return boost::nowide::narrow(path.substr(0, path.find_last_of(L'\\')));
}

std::uint64_t launch_count() {
    // GetEnvironmentVariableW, not std::getenv: MSVC deprecates the CRT one (C4996, an error
    // under /WX).
    std::wstring value(32, L'\0');
    const DWORD n_chars = ::GetEnvironmentVariableW(L"SAFELAUNCH_SOAK_LAUNCHES", value.data(),
                                                    static_cast<DWORD>(value.size()));
    if (n_chars == 0 || n_chars >= value.size()) return kDefaultLaunches;  // unset, empty or absurd
    value.resize(n_chars);
    wchar_t* end = nullptr;
    const auto n = std::wcstoull(value.c_str(), &end, 10);
    return (end && *end == '\0' && n > 0) ? n : kDefaultLaunches;
}

// GetProcessHandleCount: exact on Windows; Wine 8 answers TRUE with a count of 0 (observed), so
// the soak also counts through the system handle table, which Wine does implement.
DWORD handle_count() {
    DWORD count = 0;
    if (!::GetProcessHandleCount(::GetCurrentProcess(), &count)) return 0;
    return count;
}

// NtQuerySystemInformation(SystemExtendedHandleInformation): one entry per handle of every process.
struct HandleEntry {
    void* object;
    ULONG_PTR process_id;
    ULONG_PTR handle;
    ULONG granted_access;
    USHORT creator_back_trace_index;
    USHORT object_type_index;
    ULONG attributes;
    ULONG reserved;
};
struct HandleTable {
    ULONG_PTR count;
    ULONG_PTR reserved;
    HandleEntry entries[1];
};
constexpr ULONG kSystemExtendedHandleInformation = 64;
constexpr LONG kStatusInfoLengthMismatch = static_cast<LONG>(0xC0000004);
using NtQuerySystemInformationFn = LONG(WINAPI*)(ULONG, void*, ULONG, ULONG*);

// This process's handles per object type index; nullopt when the table cannot be read.
std::optional<std::map<USHORT, std::uint64_t>> handles_by_type() {
    const auto query = reinterpret_cast<NtQuerySystemInformationFn>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQuerySystemInformation")));
    if (!query) return std::nullopt;
    std::vector<unsigned char> buffer(1 << 20);
    LONG status = 0;
    for (int attempt = 0; attempt < 8; ++attempt) {
        ULONG needed = 0;
        status = query(kSystemExtendedHandleInformation, buffer.data(), static_cast<ULONG>(buffer.size()), &needed);
        if (status != kStatusInfoLengthMismatch) break;
        buffer.resize(std::max<std::size_t>(buffer.size() * 2, needed + 65536));
    }
    if (status < 0) return std::nullopt;
    const auto* table = reinterpret_cast<const HandleTable*>(buffer.data());
    const auto pid = static_cast<ULONG_PTR>(::GetCurrentProcessId());
    std::map<USHORT, std::uint64_t> by_type;
    for (ULONG_PTR i = 0; i < table->count; ++i)
        if (table->entries[i].process_id == pid) ++by_type[table->entries[i].object_type_index];
    return by_type;
}

std::uint64_t total(const std::map<USHORT, std::uint64_t>& by_type) {
    std::uint64_t n = 0;
    for (const auto& [type, count] : by_type) n += count;
    return n;
}

// "type 7: 12 -> 13" for each type index whose count changed.
std::string type_changes(const std::map<USHORT, std::uint64_t>& before, const std::map<USHORT, std::uint64_t>& after) {
    std::set<USHORT> types;
    for (const auto& [t, n] : before) types.insert(t);
    for (const auto& [t, n] : after) types.insert(t);
    std::string text;
    for (const auto t : types) {
        const auto b = before.count(t) ? before.at(t) : 0, a = after.count(t) ? after.at(t) : 0;
        if (a != b) text += fmt::format("{}type {}: {} -> {}", text.empty() ? "" : ", ", t, b, a);
    }
    return text;
}

// Every "station" and "station\desktop" this process can see. Desktops of a station that cannot
// be opened for enumeration are left out (the same ones both times).
std::set<std::string> user_objects() {
    std::set<std::string> names;
    std::error_code ec;
    for (const auto& station : enumerate_window_stations(ec)) {
        names.insert(station);
        std::error_code open_ec;
        auto handle = open_window_station(station, WINSTA_ENUMDESKTOPS, open_ec);
        if (open_ec) continue;
        std::error_code enum_ec;
        for (const auto& desktop : enumerate_desktops(handle.get(), enum_ec)) names.insert(station + "\\" + desktop);
    }
    return names;
}

LaunchRequest trivial_child_request() {
    LaunchRequest request;
    request.program = exe_dir() + "\\" SAFELAUNCH_SOAK_CHILD;
    request.args = {"0"};
    request.check = CheckPolicy::fast;
    request.stdio.in.kind = StdStream::Kind::null;
    request.stdio.out.kind = StdStream::Kind::null;
    request.stdio.err.kind = StdStream::Kind::null;
    return request;
}

// Wine 8 under load occasionally fails CreateProcessW with ERROR_INTERNAL_ERROR (1359): observed
// about once per 1,200 launches with other builds running, for bare CreateProcessW (benchmark) as
// much as through the library, so it is Wine's process start, not ours. Under Wine such failures
// are counted apart and tolerated up to this rate; everywhere else every launch must succeed.
constexpr double kWineTransientRate = 0.002;

struct LaunchResult {
    std::string problem;     // empty: the child ran and exited 0
    bool wine_transient = false;
};

LaunchResult launch_once(const LaunchRequest& request, const SafeLaunchOptions& options) {
    const Outcome out = safe_launch_and_wait(request, options);
    if (out.not_started) {
        if (out.launch_failure) {
            const auto& code = out.launch_failure->failure.code;
            const bool transient = code.category() == win32_category() && code.value() == ERROR_INTERNAL_ERROR;
            return {"not started: " + out.launch_failure->failure.describe(), transient};
        }
        return {out.failure ? "not started: " + out.failure->describe() : std::string("refused by the pre-flight")};
    }
    if (!out.exit_code) return {"no exit code"};
    if (*out.exit_code != 0) return {fmt::format("exit code {:#x}", *out.exit_code)};
    return {};
}

TEST(Soak, FastCheckedLaunchesLeaveNoHandleStationOrDesktop) {
    const auto request = trivial_child_request();
    ASSERT_NE(::GetFileAttributesW(boost::nowide::widen(request.program).c_str()), INVALID_FILE_ATTRIBUTES)
        << "child not built: " << request.program;
    const SafeLaunchOptions options;
    const auto launches = launch_count();

    const auto objects_before = user_objects();
    for (std::uint64_t i = 0; i < kWarmUpLaunches; ++i) {
        const auto r = launch_once(request, options);
        ASSERT_TRUE(r.problem.empty() || r.wine_transient) << "warm-up launch " << i << ": " << r.problem;
    }
    // Two counts, both taken after the warm-up: GetProcessHandleCount (0 under Wine 8, which
    // stubs it) and this process's entries in the system handle table.
    const DWORD handles_before = handle_count();
    const auto table_before = handles_by_type();
    ASSERT_TRUE(handles_before > 0 || table_before) << "no way to count this process's handles here";
    const bool wine = wine_version().has_value();
    std::uint64_t failures = 0, wine_transients = 0;
    std::map<std::string, std::uint64_t> problems;  // what went wrong, how often
    const auto t0 = std::chrono::steady_clock::now();
    for (std::uint64_t i = 1; i <= launches; ++i) {
        auto r = launch_once(request, options);
        if (!r.problem.empty() && wine && r.wine_transient) {
            ++wine_transients;
        } else if (!r.problem.empty()) {
            ++failures;
            ++problems[std::move(r.problem)];
        }
        if (i % 1000 == 0 || i == launches) {
            const auto s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            std::cout << fmt::format("[soak] {}/{} launches, {:.1f} s ({:.2f} ms/launch), {} Wine transient failures\n",
                                     i, launches, s, 1000.0 * s / static_cast<double>(i), wine_transients)
                      << std::flush;
        }
    }
    const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const DWORD handles_after = handle_count();
    const auto table_after = handles_by_type();
    const auto objects_after = user_objects();

    RecordProperty("launches", static_cast<int>(launches));
    RecordProperty("seconds", fmt::format("{:.1f}", seconds));
    RecordProperty("handles_before", static_cast<int>(handles_before));
    RecordProperty("handles_after", static_cast<int>(handles_after));
    if (table_before && table_after) {
        RecordProperty("table_handles_before", static_cast<int>(total(*table_before)));
        RecordProperty("table_handles_after", static_cast<int>(total(*table_after)));
    }

    RecordProperty("wine_transient_failures", static_cast<int>(wine_transients));
    EXPECT_LE(static_cast<double>(wine_transients), kWineTransientRate * static_cast<double>(launches) + 1)
        << "Wine's CreateProcessW ERROR_INTERNAL_ERROR more often than seen before";
    EXPECT_EQ(failures, 0u) << [&] {
        std::string text;
        for (const auto& [what, n] : problems) text += fmt::format("\n  {} x {}", n, what);
        return text;
    }();
    if (handles_before > 0) {
        EXPECT_EQ(handles_after, handles_before) << "GetProcessHandleCount after " << launches << " launches";
    }
    if (table_before) {
        ASSERT_TRUE(table_after) << "the handle table could be read before but not after";
        EXPECT_EQ(total(*table_after), total(*table_before))
            << "handle table after " << launches << " launches: " << type_changes(*table_before, *table_after);
    }
    std::vector<std::string> appeared;
    for (const auto& name : objects_after)
        if (!objects_before.count(name)) appeared.push_back(name);
    EXPECT_TRUE(appeared.empty()) << "window stations/desktops that appeared: " << fmt::format("{}", fmt::join(appeared, ", "));
}

// The checks above are only worth something if the counts move when a handle leaks: pin that by
// leaking one on purpose.
TEST(Soak, HandleCountSeesALeakedHandle) {
    const DWORD before = handle_count();
    if (before == 0 && wine_version())
        GTEST_SKIP() << "Wine 8 stubs GetProcessHandleCount (TRUE, count 0); the handle table count is used";
    ASSERT_GT(before, 0u) << "GetProcessHandleCount failed: " << ::GetLastError();
    HANDLE leaked = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    ASSERT_NE(leaked, nullptr);
    EXPECT_EQ(handle_count(), before + 1);
    ::CloseHandle(leaked);
    EXPECT_EQ(handle_count(), before);
}

TEST(Soak, HandleTableSeesALeakedHandle) {
    const auto before = handles_by_type();
    ASSERT_TRUE(before) << "NtQuerySystemInformation(SystemExtendedHandleInformation) failed";
    HANDLE leaked = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    ASSERT_NE(leaked, nullptr);
    const auto during = handles_by_type();
    ::CloseHandle(leaked);
    const auto after = handles_by_type();
    ASSERT_TRUE(during && after);
    EXPECT_EQ(total(*during), total(*before) + 1) << type_changes(*before, *during);
    EXPECT_EQ(total(*after), total(*before)) << type_changes(*before, *after);
}

// Likewise for the object check: a station we create shows up in user_objects().
TEST(Soak, ObjectListSeesACreatedStationAndDesktop) {
    const auto name = fmt::format("safelaunch-soak-{}", ::GetCurrentProcessId());
    const auto before = user_objects();
    {
        auto station = create_window_station(name);
        auto desktop = create_desktop(station.get(), "soak");
        const auto during = user_objects();
        EXPECT_FALSE(before.count(name));
        EXPECT_TRUE(during.count(name));
        EXPECT_TRUE(during.count(name + "\\soak"));
    }
    const auto after = user_objects();
    EXPECT_FALSE(after.count(name)) << "closing the last handle destroys a station";
}

}  // namespace
}  // namespace safelaunch::win32
