// user32.dll at first use, and our own failed connection as evidence (issue 12). A Wine process
// always connects, so the failure is injected through the loader seam
// (detail::reset_user32_for_testing): a loader that fails as user32's initialisation does when the
// desktop heap is full or our desktop is denied (ERROR_DLL_INIT_FAILED, 1114), or one that hands
// back a module without user32's exports. Windows alone can show the real failure (a reproducer
// phase: `safelaunch check` started on a desktop that is already full).
#include "safelaunch/win32/user32_api.hpp"

#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

namespace safelaunch::win32 {
namespace {

using test::child_path;
using test::unique_name;

std::atomic<int> g_loader_calls{0};

HMODULE failing_init(const wchar_t*) noexcept {
    ++g_loader_calls;
    ::SetLastError(ERROR_DLL_INIT_FAILED);
    return nullptr;
}

// A loaded module that exports none of user32's functions.
HMODULE not_user32(const wchar_t*) noexcept {
    ++g_loader_calls;
    return ::GetModuleHandleW(L"kernel32.dll");
}

// Installs a loader for one test and puts LoadLibraryExW back afterwards, whatever happens.
class InjectedLoader {
public:
    explicit InjectedLoader(detail::User32Loader loader) {
        g_loader_calls = 0;
        detail::reset_user32_for_testing(loader);
    }
    InjectedLoader(const InjectedLoader&) = delete;
    InjectedLoader& operator=(const InjectedLoader&) = delete;
    ~InjectedLoader() { detail::reset_user32_for_testing(nullptr); }
};

bool has(const std::vector<Finding>& findings, const std::string& id) {
    return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
}

const Finding* find(const std::vector<Finding>& findings, const std::string& id) {
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
    return it == findings.end() ? nullptr : &*it;
}

LaunchRequest exit_request(std::optional<std::string> desktop) {
    LaunchRequest r;
    r.program = child_path("child_exit");
    r.args = {"7"};
    r.desktop = std::move(desktop);
    return r;
}

TEST(User32Api, LoadsOnceAndResolvesEveryFunction) {
    std::error_code ec;
    const auto* first = user32(ec);
    ASSERT_NE(first, nullptr) << ec.message();
    EXPECT_FALSE(ec);
    EXPECT_EQ(user32(ec), first) << "one table for the process";
    EXPECT_NE(first->OpenDesktopW, nullptr);
    EXPECT_NE(first->SetProcessWindowStation, nullptr);
    EXPECT_EQ(first->OpenDesktopW, reinterpret_cast<decltype(first->OpenDesktopW)>(reinterpret_cast<void (*)()>(
                                       ::GetProcAddress(::GetModuleHandleW(L"user32.dll"), "OpenDesktopW"))));
    const auto self = self_connect_facts();
    EXPECT_TRUE(self.attempted);
    EXPECT_TRUE(self.connected);
    EXPECT_EQ(self.error, 0u);
    EXPECT_TRUE(self.api.empty());
}

TEST(User32Api, FailedInitIsReportedWithItsCodeAndApiAndKept) {
    const InjectedLoader inject(failing_init);
    std::error_code ec;
    ApiFailure failure;
    EXPECT_EQ(user32(ec, &failure), nullptr);
    EXPECT_EQ(ec, make_win32_error(ERROR_DLL_INIT_FAILED));
    EXPECT_EQ(failure.api, "LoadLibraryExW");
    EXPECT_EQ(failure.object, "user32.dll");
    EXPECT_NE(failure.describe().find("LoadLibraryExW(user32.dll) failed: 1114 ERROR_DLL_INIT_FAILED"),
              std::string::npos)
        << failure.describe();
    // Kept: the next call reports the same failure without loading again.
    EXPECT_EQ(user32(ec), nullptr);
    EXPECT_EQ(g_loader_calls.load(), 1);
    try {
        (void)user32();
        ADD_FAILURE() << "the throwing overload did not throw";
    } catch (const Error& e) {
        EXPECT_EQ(e.failure().api, "LoadLibraryExW");
        EXPECT_EQ(e.code(), make_win32_error(ERROR_DLL_INIT_FAILED));
    }
    const auto self = self_connect_facts();
    EXPECT_TRUE(self.attempted);
    EXPECT_FALSE(self.connected);
    EXPECT_EQ(self.error, 1114u);
    EXPECT_EQ(self.api, "LoadLibraryExW(user32.dll)");
}

TEST(User32Api, AMissingExportIsNamed) {
    const InjectedLoader inject(not_user32);
    std::error_code ec;
    ApiFailure failure;
    EXPECT_EQ(user32(ec, &failure), nullptr);
    EXPECT_EQ(ec, make_win32_error(ERROR_PROC_NOT_FOUND)) << failure.describe();
    EXPECT_EQ(failure.api, "GetProcAddress");
    EXPECT_EQ(failure.object, "user32.dll!CloseDesktop");
    EXPECT_EQ(self_connect_facts().api, "GetProcAddress(user32.dll!CloseDesktop)");
}

TEST(User32Api, RestoringTheLoaderLoadsAgain) {
    {
        const InjectedLoader inject(failing_init);
        std::error_code ec;
        EXPECT_EQ(user32(ec), nullptr);
    }
    std::error_code ec;
    EXPECT_NE(user32(ec), nullptr) << ec.message();
    EXPECT_TRUE(self_connect_facts().connected);
}

TEST(User32Api, HandlesMadeBeforeAFailureStillClose) {
    const auto name = unique_name("sl-selfc");
    auto station = create_window_station(name, std::nullopt);
    {
        const InjectedLoader inject(failing_init);
        station.reset();  // closes through the table that was loaded
    }
    const auto names = enumerate_window_stations();
    EXPECT_EQ(std::count(names.begin(), names.end(), name), 0) << "the station was not closed";
}

TEST(User32Api, EveryUserObjectCallFailsWithTheLoadFailure) {
    const InjectedLoader inject(failing_init);
    std::error_code ec;
    ApiFailure failure;
    (void)open_window_station("WinSta0", WINSTA_READATTRIBUTES, ec, &failure);
    EXPECT_EQ(ec, make_win32_error(ERROR_DLL_INIT_FAILED));
    EXPECT_EQ(failure.api, "LoadLibraryExW");
    (void)enumerate_window_stations(ec, &failure);
    EXPECT_EQ(failure.api, "LoadLibraryExW");
    (void)thread_desktop_name(ec, &failure);
    EXPECT_EQ(failure.api, "LoadLibraryExW");
    // Not "missing": nothing was looked for.
    const auto facts = gather_window_station_facts("WinSta0", std::nullopt);
    EXPECT_FALSE(facts.exists_known);
    ASSERT_TRUE(facts.open_error);
    EXPECT_NE(facts.open_error->find("LoadLibraryExW(user32.dll)"), std::string::npos) << *facts.open_error;
}

TEST(SelfConnect, PreflightOnOurOwnDesktopIsBlockedByOurFailure) {
    const InjectedLoader inject(failing_init);
    const auto p = preflight(exit_request(std::nullopt));
    ASSERT_TRUE(p.facts.self_connect);
    EXPECT_TRUE(p.facts.self_connect->attempted);
    EXPECT_FALSE(p.facts.self_connect->connected);
    EXPECT_EQ(p.facts.self_connect->error, 1114u);
    const auto* f = find(p.analysis.preflight, "self.desktop.connect_failed");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->severity, Severity::error);
    EXPECT_EQ(p.analysis.verdict, Verdict::blocked);
    EXPECT_NE(f->message.find("1114 ERROR_DLL_INIT_FAILED"), std::string::npos) << f->message;
    EXPECT_FALSE(has(p.analysis.preflight, "desktop.station.missing")) << "the station was not looked for";
    EXPECT_FALSE(has(p.analysis.preflight, "acl.desktop.unchecked"));
    // What does not need user32 was still gathered.
    EXPECT_FALSE(p.facts.token.user_sid.empty());
    EXPECT_NE(p.facts.system.os.major, 0u);
}

TEST(SelfConnect, RunRefusesAChildOnOurDesktopUnlessForced) {
    const InjectedLoader inject(failing_init);
    auto refused = safe_launch_and_wait(exit_request(std::nullopt));
    ASSERT_TRUE(refused.not_started);
    EXPECT_EQ(*refused.not_started, NotStartedReason::refused);  // `safelaunch run` exits 126
    EXPECT_FALSE(refused.exit_code);
    EXPECT_TRUE(has(refused.preflight.analysis.preflight, "self.desktop.connect_failed"));

    auto request = exit_request(std::nullopt);
    request.on_blocking = OnBlocking::warn;  // --force
    const auto forced = safe_launch_and_wait(request);
    EXPECT_FALSE(forced.not_started);
    ASSERT_TRUE(forced.exit_code);
    EXPECT_EQ(*forced.exit_code, 7u);
}

TEST(SelfConnect, AChildOnAnotherDesktopIsLaunchedWithAWarning) {
    // A desktop of our own, made while user32 still loads, so the child has somewhere to go.
    const auto name = unique_name("sl-other");
    const auto station = open_window_station("WinSta0", WINSTA_CREATEDESKTOP);
    const auto other = create_desktop(station.get(), name, std::nullopt, std::nullopt);
    const InjectedLoader inject(failing_init);
    const auto out = safe_launch_and_wait(exit_request("WinSta0\\" + name));
    const auto& findings = out.preflight.analysis.preflight;
    const auto* f = find(findings, "self.desktop.preflight_skipped");
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_FALSE(has(findings, "self.desktop.connect_failed"));
    EXPECT_FALSE(has(findings, "desktop.desktop.missing")) << "not looked for";
    EXPECT_EQ(out.preflight.analysis.verdict, Verdict::warn);
    EXPECT_FALSE(out.not_started);
    ASSERT_TRUE(out.exit_code);
    EXPECT_EQ(*out.exit_code, 7u);
}

TEST(SelfConnect, SnapshotFactsAreGatheredWithoutUser32) {
    const InjectedLoader inject(failing_init);
    std::error_code ec;
    const auto token = target_token(exit_request(std::nullopt), ec);
    ASSERT_FALSE(ec) << ec.message();
    const auto facts = gather_launch_facts(exit_request(std::nullopt), token.get());
    EXPECT_FALSE(facts.token.user_sid.empty());
    EXPECT_NE(facts.system.os.major, 0u);
    ASSERT_TRUE(facts.launcher);
    ASSERT_TRUE(facts.launcher->interactive_user_sid_error);
    EXPECT_NE(facts.launcher->interactive_user_sid_error->find("LoadLibraryExW(user32.dll)"), std::string::npos);
    const auto system = gather_system_facts(std::chrono::hours(1));
    EXPECT_TRUE(system.stations.empty()) << "stations need user32";
    EXPECT_NE(system.os.major, 0u);
    EXPECT_TRUE(system.events || system.events_error) << "the event log is read or its failure said";
}

}  // namespace
}  // namespace safelaunch::win32
