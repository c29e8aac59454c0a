// The launch context in the analysis (LauncherFacts): another session is not judged by name (C3),
// RunAsLogon from LocalSystem is refused and its `check` prediction is flagged (C2), and an
// unknown interactive logon session is said (M4). Constructed facts: Wine shows none of these.
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

bool has(const Analysis& a, const std::string& id) {
    return std::any_of(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
}

const Finding& get(const Analysis& a, const std::string& id) {
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
    EXPECT_NE(it, a.preflight.end()) << id;
    return *it;
}

// A service (session 0) launching a user's token of session 1 onto WinSta0\Default: the objects it
// could open by name are session 0's, so the facts hold none.
Snapshot service_launching_into_a_user_session() {
    Snapshot s;
    s.token.user_sid = "S-1-5-21-1-2-3-1001";
    s.token.logon_sid = "S-1-5-5-0-777";
    s.token.session_id = 1;
    s.target.spec = "WinSta0\\Default";
    s.target.station = "WinSta0";
    s.target.desktop = "Default";
    s.target.how = "named";
    LauncherFacts l;
    l.session_id = 0;
    l.local_system = true;
    l.run_as = "token";
    l.token_is_childs = true;
    s.launcher = l;
    return s;
}

TEST(LaunchContext, AnotherSessionIsAWarningAndNothingIsJudgedByName) {
    const auto a = analyze(service_launching_into_a_user_session());
    ASSERT_TRUE(has(a, "session.other.not_inspectable"));
    EXPECT_EQ(get(a, "session.other.not_inspectable").severity, Severity::warning);
    EXPECT_NE(get(a, "session.other.not_inspectable").message.find("session 1"), std::string::npos);
    EXPECT_FALSE(has(a, "desktop.station.missing"));  // exists = false here means "not looked at"
    EXPECT_FALSE(has(a, "desktop.desktop.missing"));
    EXPECT_FALSE(has(a, "heap.desktop.size_unknown"));
    EXPECT_TRUE(a.access.empty()) << "no access fact: nothing for --grant to grant";
    EXPECT_EQ(a.verdict, Verdict::warn);
}

TEST(LaunchContext, SameSessionStillReportsAMissingStation) {
    auto s = service_launching_into_a_user_session();
    s.launcher->session_id = 1;
    const auto a = analyze(s);
    EXPECT_FALSE(has(a, "session.other.not_inspectable"));
    EXPECT_TRUE(has(a, "desktop.station.missing"));
    EXPECT_EQ(a.verdict, Verdict::blocked);
}

TEST(LaunchContext, AnInvalidSpecIsStillAnErrorInAnotherSession) {
    auto s = service_launching_into_a_user_session();
    s.target.spec = "WinSta0/Default";
    const auto a = analyze(s);
    EXPECT_TRUE(has(a, "desktop.spec.invalid"));
    EXPECT_EQ(a.verdict, Verdict::blocked);
}

TEST(LaunchContext, RunAsLogonFromLocalSystemIsRefusedUpFront) {
    LauncherFacts l;
    l.local_system = true;
    l.run_as = "logon";
    const auto f = refuse_before_launch(l);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->id, "run_as.logon.local_system");
    EXPECT_EQ(f->severity, Severity::error);
    l.run_as = "token";  // CreateProcessAsUserW from LocalSystem is the normal service case
    EXPECT_FALSE(refuse_before_launch(l).has_value());
    l.run_as = "logon";
    l.local_system = false;
    EXPECT_FALSE(refuse_before_launch(l).has_value());

    auto s = service_launching_into_a_user_session();
    s.launcher->run_as = "logon";
    EXPECT_TRUE(has(analyze(s), "run_as.logon.local_system"));
    EXPECT_EQ(analyze(s).verdict, Verdict::blocked);
}

TEST(LaunchContext, RunAsLogonPredictionSaysItCanBeWrong) {
    auto s = service_launching_into_a_user_session();
    s.launcher->local_system = false;
    s.launcher->run_as = "logon";
    s.launcher->token_is_childs = false;  // `check`: a LogonUserW token stands in for the child's
    EXPECT_EQ(get(analyze(s), "prediction.run_as_logon").severity, Severity::warning);
    // The LogonUserW token's session says nothing: CreateProcessWithLogonW uses the caller's.
    EXPECT_FALSE(has(analyze(s), "session.other.not_inspectable"));
    s.launcher->token_is_childs = true;   // `run`: the suspended child's own token
    EXPECT_FALSE(has(analyze(s), "prediction.run_as_logon"));
    EXPECT_TRUE(has(analyze(s), "session.other.not_inspectable"));
}

TEST(LaunchContext, UnknownInteractiveSessionIsSaidOnlyWhereItDecidesTheStation) {
    Snapshot s;
    s.token.logon_sid = "S-1-5-5-0-1";
    s.token.session_id = 1;
    s.target.spec = "";
    s.launcher = LauncherFacts{};
    s.launcher->session_id = 1;
    s.launcher->interactive_user_sid_error = "GetUserObjectInformationW(UOI_USER_SID) failed: 87";
    const auto a = analyze(s);
    ASSERT_TRUE(has(a, "desktop.interactive.unknown"));
    EXPECT_EQ(get(a, "desktop.interactive.unknown").severity, Severity::info);
    EXPECT_NE(get(a, "desktop.interactive.unknown").evidence.find("87"), std::string::npos);

    s.launcher->interactive_user_sid = "S-1-5-5-0-1";  // known: the logon SIDs decided
    EXPECT_FALSE(has(analyze(s), "desktop.interactive.unknown"));
    s.launcher->interactive_user_sid.reset();
    s.target.spec = "WinSta0\\Default";  // named: no rule picks the station
    EXPECT_FALSE(has(analyze(s), "desktop.interactive.unknown"));
    s.target.spec.reset();  // NULL: inherited
    EXPECT_FALSE(has(analyze(s), "desktop.interactive.unknown"));
}

TEST(LaunchContext, SnapshotsWithoutLauncherFactsGetNoneOfTheseFindings) {
    auto s = service_launching_into_a_user_session();
    s.launcher.reset();
    const auto a = analyze(s);
    EXPECT_FALSE(has(a, "session.other.not_inspectable"));
    EXPECT_TRUE(has(a, "desktop.station.missing"));
}

TEST(LaunchContext, LauncherFactsRoundTripThroughJson) {
    auto s = service_launching_into_a_user_session();
    s.launcher->interactive_user_sid_error = "87";
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
    ASSERT_TRUE(back.launcher.has_value());
    EXPECT_EQ(back.launcher->session_id, 0u);
    EXPECT_TRUE(back.launcher->token_is_childs);
    EXPECT_FALSE(back.launcher->interactive_user_sid.has_value());

    auto j = nlohmann::json(s);
    j.erase("launcher");  // an older snapshot
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    EXPECT_FALSE(back.launcher.has_value());
}

}  // namespace
}  // namespace safelaunch
