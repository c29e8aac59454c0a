// The canary (safelaunch-probe) as run_canary runs it: its report is kept, and a canary that
// could not run is told apart from one that failed on the desktop (M9).
#include "safelaunch/win32/safe_launch.hpp"

#include "safelaunch/probe_report.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch::win32 {
namespace {

bool has(const Analysis& a, const std::string& id, Severity severity) {
    return std::any_of(a.preflight.begin(), a.preflight.end(),
                       [&](const Finding& f) { return f.id == id && f.severity == severity; });
}

LaunchRequest own_desktop() {
    LaunchRequest r;
    r.program = test::child_path("child_exit");  // not launched: the canary takes only the desktop
    return r;
}

TEST(Canary, ReportOfTheProbeIsKept) {
    SafeLaunchOptions o;
    o.probe_path = test::tool_path("safelaunch-probe");
    o.canary_alloc_kb = 8;  // tiny: Wine has no desktop heap to fill
    std::error_code ec;
    ApiFailure failure;
    const auto c = run_canary(own_desktop(), o, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    EXPECT_TRUE(c.ran);
    EXPECT_EQ(c.exit_code, 0u) << c.detail;
    EXPECT_TRUE(c.allocated);
    ASSERT_TRUE(c.report) << "the probe's stdout goes to a file, not to NUL";
    const auto report = parse_probe_report(*c.report);
    ASSERT_TRUE(report) << *c.report;
    EXPECT_EQ(report->result, "ok");
    EXPECT_EQ(report->exit_code, 0u);
    EXPECT_EQ(report->objects_created, 21u) << "8 KB at 400 bytes per window";
}

TEST(Canary, MissingProbeIsNotRunNotAFailure) {
    SafeLaunchOptions o;
    o.probe_path = test::exe_dir() + "\\no-such-probe-4711.exe";
    std::error_code ec;
    ApiFailure failure;
    const auto c = run_canary(own_desktop(), o, ec, &failure);
    EXPECT_TRUE(ec);
    EXPECT_FALSE(failure.api.empty());
    EXPECT_FALSE(c.ran);
    EXPECT_FALSE(c.report);
    EXPECT_NE(c.detail.find("canary not run"), std::string::npos) << c.detail;

    Snapshot s;
    s.target.spec = "WinSta0\\Default";
    s.target.station = "WinSta0";
    s.target.desktop = "Default";
    s.target.station_facts.exists = s.target.desktop_facts.exists = true;
    s.target.station_facts.sd_present = s.target.desktop_facts.sd_present = false;
    s.canary = c;
    const auto a = analyze(s);
    EXPECT_TRUE(has(a, "canary.not_run", Severity::warning));
    EXPECT_FALSE(has(a, "canary.failed", Severity::error));
    EXPECT_NE(a.verdict, Verdict::blocked);
}

TEST(Canary, PreflightWithAMissingProbeWarnsInsteadOfBlocking) {
    auto r = own_desktop();
    r.check = CheckPolicy::canary;
    SafeLaunchOptions o;
    o.probe_path = test::exe_dir() + "\\no-such-probe-4711.exe";
    const auto p = preflight(r, o);
    ASSERT_TRUE(p.facts.canary);
    EXPECT_FALSE(p.facts.canary->ran);
    EXPECT_TRUE(has(p.analysis, "canary.not_run", Severity::warning));
    EXPECT_NE(p.analysis.verdict, Verdict::blocked);
}

}  // namespace
}  // namespace safelaunch::win32
