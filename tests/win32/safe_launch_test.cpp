// The safe launch call end to end under Wine: refusal of missing and locked desktops, the scoped
// grant (added, used, removed exactly), exit codes and their diagnosis, and the safelaunch CLI.
#include "safelaunch/win32/safe_launch.hpp"

#include "safelaunch/desktop_spec.hpp"
#include "safelaunch/json.hpp"

#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "test_support.hpp"

#include <aclapi.h>
#include <gtest/gtest.h>
#include <sddl.h>

#include <algorithm>

namespace safelaunch::win32 {
namespace {

using test::child_path;
using test::tool_path;
using test::unique_name;

bool has_finding(const Preflight& p, const std::string& id) {
    const auto& f = p.analysis.preflight;
    return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.id == id; });
}

bool desktop_exists(const std::string& name) {
    auto station = open_window_station("WinSta0", WINSTA_ENUMDESKTOPS);
    const auto names = enumerate_desktops(station.get());
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return names_equal(n, name); });
}

LaunchRequest exit_request(const std::string& code) {
    LaunchRequest r;
    r.program = child_path("child_exit");
    r.args = {code};
    return r;
}

// A desktop of our own in WinSta0 whose DACL lets only SYSTEM in.
struct LockedDesktop {
    std::string name = unique_name("sl-locked");
    unique_hdesk desk;
    LockedDesktop() {
        auto station = open_window_station("WinSta0", WINSTA_CREATEDESKTOP | WINSTA_ENUMDESKTOPS);
        desk = create_desktop(station.get(), name, std::nullopt, std::nullopt).desktop;
        set_dacl_from_sddl(desk.get(), "D:P(A;;0xf01ff;;;SY)");
    }
    std::string spec() const { return "WinSta0\\" + name; }
};

// A LockedDesktop given to SYSTEM as well: the owner's implicit READ_CONTROL | WRITE_DAC go, so
// the token is granted nothing and user32's MAXIMUM_ALLOWED open fails (M3: only that blocks;
// a LockedDesktop still leaves its owner those two rights, a warning). Another owner needs
// SeRestorePrivilege on Windows (Wine allows it): `sealed` says whether it worked.
struct SealedDesktop : LockedDesktop {
    bool sealed = false;
    SealedDesktop() {
        PSID system = nullptr;
        if (!::ConvertStringSidToSidW(L"S-1-5-18", &system)) return;
        const unique_hlocal owner(system);
        sealed = ::SetSecurityInfo(desk.get(), SE_WINDOW_OBJECT, OWNER_SECURITY_INFORMATION, system, nullptr, nullptr,
                                   nullptr) == ERROR_SUCCESS;
    }
};

TEST(SafeLaunch, MissingDesktopIsRefusedBeforeAnythingIsLaunched) {
    const auto name = unique_name("sl-missing");
    auto r = exit_request("0");
    r.desktop = "WinSta0\\" + name;
    const auto out = safe_launch_and_wait(r);
    ASSERT_TRUE(out.not_started.has_value());
    EXPECT_EQ(*out.not_started, NotStartedReason::refused);
    EXPECT_TRUE(has_finding(out.preflight, "desktop.desktop.missing"));
    EXPECT_FALSE(out.exit_code.has_value());
    // Wine would have created the desktop silently had the child been launched.
    EXPECT_FALSE(desktop_exists(name));
}

TEST(SafeLaunch, InvalidSpecIsRefused) {
    auto r = exit_request("0");
    r.desktop = "WinSta0/Default";
    const auto out = safe_launch_and_wait(r);
    ASSERT_TRUE(out.not_started.has_value());
    EXPECT_TRUE(has_finding(out.preflight, "desktop.spec.invalid"));
}

TEST(SafeLaunch, LockedDesktopIsBlockedByTheRealAccessCheck) {
    SealedDesktop locked;
    if (!locked.sealed) GTEST_SKIP() << "cannot make SYSTEM the desktop's owner here (SeRestorePrivilege)";
    auto r = exit_request("0");
    r.desktop = locked.spec();
    const auto p = preflight(r);
    EXPECT_EQ(p.analysis.verdict, Verdict::blocked);
    EXPECT_TRUE(has_finding(p, "acl.desktop.no_access"));
    ASSERT_TRUE(p.facts.target.desktop_facts.access_requested.has_value());
    EXPECT_EQ(*p.facts.target.desktop_facts.access_requested, kDesktopRightsNeeded);
    const auto out = safe_launch_and_wait(r);
    ASSERT_TRUE(out.not_started.has_value());
    EXPECT_EQ(*out.not_started, NotStartedReason::refused);
}

TEST(SafeLaunch, GrantLetsTheChildStartAndIsRemovedExactlyAfterwards) {
    LockedDesktop locked;
    const auto before = get_sddl(locked.desk.get()).sddl;
    auto r = exit_request("7");
    r.desktop = locked.spec();
    SafeLaunchOptions o;
    o.grant = true;
    const auto out = safe_launch_and_wait(r, o);
    ASSERT_FALSE(out.not_started.has_value()) << (out.failure ? out.failure->describe() : "");
    EXPECT_EQ(out.preflight.analysis.verdict, Verdict::ok);  // re-checked with the grant in place
    ASSERT_EQ(out.grants.size(), 1u);
    EXPECT_NE(out.grants[0].find("S-1-5-5-"), std::string::npos) << out.grants[0];  // the logon SID only
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 7u);
    EXPECT_EQ(get_sddl(locked.desk.get()).sddl, before);
}

TEST(SafeLaunch, GrantHoldsWhileTheChildRunsAndGoesWithWait) {
    LockedDesktop locked;
    const auto before = get_sddl(locked.desk.get()).sddl;
    LaunchRequest r;
    r.program = child_path("child_sleep");
    r.args = {"400"};
    r.desktop = locked.spec();
    SafeLaunchOptions o;
    o.grant = true;
    auto child = safe_launch(r, o);
    ASSERT_TRUE(child.started()) << (child.outcome().failure ? child.outcome().failure->describe() : "");
    EXPECT_NE(get_sddl(locked.desk.get()).sddl, before);  // the logon SID's ACE is there meanwhile
    const auto out = child.wait();
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 0u);
    EXPECT_EQ(get_sddl(locked.desk.get()).sddl, before);
}

TEST(SafeLaunch, ForcedLaunchGoesAheadDespiteABlockingFinding) {
    SealedDesktop locked;
    if (!locked.sealed) GTEST_SKIP() << "cannot make SYSTEM the desktop's owner here (SeRestorePrivilege)";
    auto r = exit_request("0");
    r.desktop = locked.spec();
    r.on_blocking = OnBlocking::warn;
    const auto out = safe_launch_and_wait(r);
    EXPECT_EQ(out.preflight.analysis.verdict, Verdict::blocked);
    ASSERT_TRUE(out.exit_code.has_value());
    if (wine_version()) {
        EXPECT_EQ(*out.exit_code, 0u) << "Wine falls back to WinSta0\\Default instead of failing the child";
    }
}

TEST(SafeLaunch, DllInitExitGetsAPostMortemDiagnosis) {
    SafeLaunchOptions o;
    o.probe_path = tool_path("safelaunch-probe");
    const auto out = safe_launch_and_wait(exit_request("0xC0000142"), o);
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 0xC0000142u);
    ASSERT_TRUE(out.diagnosis.has_value());
    EXPECT_TRUE(out.diagnosis->code.dll_init_failure);
    ASSERT_TRUE(out.post_mortem.has_value());
    ASSERT_TRUE(out.post_mortem->exit.has_value());
    EXPECT_EQ(out.post_mortem->exit->exit_code, 0xC0000142u);
    ASSERT_TRUE(out.post_mortem->canary.has_value()) << "the canary runs after a DLL-init death";
    EXPECT_EQ(out.post_mortem->canary->exit_code, 0u);
    if (wine_version()) {
        // Wine cannot have the desktop causes: the ranking says so instead of guessing.
        EXPECT_EQ(out.diagnosis->causes.front().id, CauseId::other_dll_init);
        EXPECT_TRUE(out.post_mortem->system.events_error.has_value()) << "EvtQuery is a stub under Wine";
    }
}

TEST(SafeLaunch, LookAlikeExitIsNotCalledADesktopProblem) {
    const auto out = safe_launch_and_wait(exit_request("0xC0000135"));
    ASSERT_TRUE(out.diagnosis.has_value());
    EXPECT_EQ(out.diagnosis->causes.front().id, CauseId::not_dll_init);
    EXPECT_FALSE(out.post_mortem->canary.has_value());
}

TEST(SafeLaunch, OrdinaryExitHasNoDiagnosis) {
    const auto out = safe_launch_and_wait(exit_request("3"));
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 3u);
    EXPECT_FALSE(out.diagnosis.has_value());
}

TEST(SafeLaunch, CheckNoneGathersNothing) {
    auto r = exit_request("0");
    r.check = CheckPolicy::none;
    r.desktop = "WinSta0/Default";  // not even looked at
    const auto p = preflight(r);
    EXPECT_TRUE(p.analysis.preflight.empty());
    EXPECT_EQ(p.analysis.verdict, Verdict::ok);
}

TEST(SafeLaunch, CanaryPolicyRunsTheProbeOnTheTargetDesktop) {
    auto r = exit_request("0");
    r.check = CheckPolicy::canary;
    SafeLaunchOptions o;
    o.probe_path = tool_path("safelaunch-probe");
    o.canary_alloc_kb = 8;  // tiny: Wine has no desktop heap to fill
    const auto p = preflight(r, o);
    ASSERT_TRUE(p.facts.canary.has_value());
    EXPECT_EQ(p.facts.canary->exit_code, 0u) << p.facts.canary->detail;
    EXPECT_TRUE(p.facts.canary->allocated);
    EXPECT_TRUE(has_finding(p, "canary.ok"));
}

TEST(SafeLaunch, TimeoutEndsTheChild) {
    LaunchRequest r;
    r.program = child_path("child_sleep");
    r.args = {"30000"};
    r.timeout = std::chrono::milliseconds(300);
    const auto out = safe_launch_and_wait(r);
    EXPECT_TRUE(out.timed_out);
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, kTerminatedExitCode);
    EXPECT_LT(out.runtime_ms, 20000u);
}

TEST(SafeLaunch, SnapshotRoundTripsThroughJsonToTheSameVerdict) {
    SealedDesktop locked;
    if (!locked.sealed) GTEST_SKIP() << "cannot make SYSTEM the desktop's owner here (SeRestorePrivilege)";
    auto r = exit_request("0");
    r.desktop = locked.spec();
    auto token = duplicate_own_token(true);
    const auto facts = gather_launch_facts(r, token.get());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(nlohmann::json(facts).dump(), back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(facts));
    const auto here = analyze(facts);
    const auto there = analyze(back);  // what `safelaunch analyze` computes on another machine
    EXPECT_EQ(there.verdict, Verdict::blocked);
    EXPECT_EQ(nlohmann::json(there.preflight), nlohmann::json(here.preflight));
}

// The CLI over the same call: exit codes of check and run, and the grant from the command line.
std::uint32_t run_tool(std::vector<std::string> args) {
    LaunchRequest r;
    r.program = tool_path("safelaunch");
    r.args = std::move(args);
    r.stdio.out.kind = StdStream::Kind::null;
    r.stdio.err.kind = StdStream::Kind::null;
    auto child = launch_process(r);
    return child.wait();
}

TEST(SafeLaunchCli, ExitCodesFollowTheEnvConvention) {
    LockedDesktop locked;
    const auto missing = "WinSta0\\" + unique_name("sl-cli-missing");
    EXPECT_EQ(run_tool({"check", "--desktop", missing}), 1u);
    EXPECT_EQ(run_tool({"check"}), 0u);
    EXPECT_EQ(run_tool({"run", "--desktop", missing, "--", child_path("child_exit"), "0"}), 126u);
    EXPECT_EQ(run_tool({"run", "--", "no-such-program-here.exe"}), 127u);
    EXPECT_EQ(run_tool({"run", "--bogus", "--", child_path("child_exit"), "0"}), 125u);
    EXPECT_EQ(run_tool({"run", "--", child_path("child_exit"), "42"}), 42u);
    EXPECT_EQ(run_tool({"run", "--", child_path("child_exit"), "0xC0000142"}), 0xC0000142u);
    if (SealedDesktop sealed; sealed.sealed) {
        EXPECT_EQ(run_tool({"run", "--desktop", sealed.spec(), "--", child_path("child_exit"), "0"}), 126u);
    }
    const auto before = get_sddl(locked.desk.get()).sddl;
    EXPECT_EQ(run_tool({"run", "--grant", "--desktop", locked.spec(), "--", child_path("child_exit"), "5"}), 5u);
    EXPECT_EQ(get_sddl(locked.desk.get()).sddl, before);
}

}  // namespace
}  // namespace safelaunch::win32
