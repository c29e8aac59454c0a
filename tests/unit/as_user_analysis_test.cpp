// CreateProcessAsUserW's privileges, decided in the core from AsUserFacts (win32-review M1):
// "the process that calls CreateProcessAsUser must have the SE_INCREASE_QUOTA_NAME privilege and
// may require the SE_ASSIGNPRIMARYTOKEN_NAME privilege if the token is not assignable"
// (CreateProcessAsUserW, Microsoft Learn).
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace safelaunch {
namespace {

Snapshot healthy() {
    std::ifstream in(std::string(SAFELAUNCH_TEST_DATA) + "/snapshots/healthy-interactive.json", std::ios::binary);
    EXPECT_TRUE(in);
    std::stringstream text;
    text << in.rdbuf();
    Snapshot s;
    std::string error;
    EXPECT_TRUE(snapshot_from_json_text(text.str(), s, error)) << error;
    return s;
}

const Finding* find(const Analysis& a, const std::string& id) {
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
    return it == a.preflight.end() ? nullptr : &*it;
}

constexpr auto kAssign = "token.privilege.assign_primary_missing";
constexpr auto kQuota = "token.privilege.increase_quota_missing";

TEST(AsUserAnalysis, NoFactsNoFinding) {
    const auto a = analyze(healthy());  // RunAsCaller and RunAsLogon gather no AsUserFacts
    EXPECT_EQ(a.verdict, Verdict::ok);
    EXPECT_EQ(find(a, kAssign), nullptr);
    EXPECT_EQ(find(a, kQuota), nullptr);
}

TEST(AsUserAnalysis, TokenOfAnotherLogonSessionWithoutPrivilegesWarnsOfBoth) {
    auto s = healthy();
    s.as_user = AsUserFacts{};  // nothing held, another logon session: a user launching --token-of-pid
    const auto a = analyze(s);
    const auto* assign = find(a, kAssign);
    ASSERT_NE(assign, nullptr);
    EXPECT_EQ(assign->severity, Severity::warning);
    EXPECT_NE(assign->message.find("will fail"), std::string::npos) << assign->message;
    EXPECT_NE(assign->message.find("1314"), std::string::npos) << assign->message;
    EXPECT_NE(assign->evidence.find("SeAssignPrimaryTokenPrivilege not held"), std::string::npos) << assign->evidence;
    EXPECT_NE(assign->evidence.find("of another logon session"), std::string::npos) << assign->evidence;
    EXPECT_NE(assign->remedy.find("--user"), std::string::npos) << assign->remedy;
    const auto* quota = find(a, kQuota);
    ASSERT_NE(quota, nullptr);
    EXPECT_EQ(quota->severity, Severity::warning);
    EXPECT_NE(quota->message.find("SeIncreaseQuotaPrivilege"), std::string::npos) << quota->message;
    EXPECT_EQ(a.verdict, Verdict::warn);  // reported up front, not blocking: the launch itself decides
}

TEST(AsUserAnalysis, SameLogonSessionSaysMayFail) {
    auto s = healthy();
    s.as_user = AsUserFacts{};
    s.as_user->same_logon_session = true;
    s.as_user->increase_quota_held = true;
    const auto a = analyze(s);
    const auto* assign = find(a, kAssign);
    ASSERT_NE(assign, nullptr);
    EXPECT_NE(assign->message.find("may fail"), std::string::npos) << assign->message;
    EXPECT_NE(assign->message.find("derived from the caller's own"), std::string::npos) << assign->message;
    EXPECT_EQ(find(a, kQuota), nullptr);
}

TEST(AsUserAnalysis, HeldPrivilegesEvenDisabledGiveNoFinding) {
    // LocalSystem holds both, disabled by default; the privilege need only be held.
    auto s = healthy();
    s.as_user = AsUserFacts{true, false, true, false, false};
    const auto a = analyze(s);
    EXPECT_EQ(find(a, kAssign), nullptr);
    EXPECT_EQ(find(a, kQuota), nullptr);
    EXPECT_EQ(a.verdict, Verdict::ok);
}

TEST(AsUserAnalysis, JsonKeysAreTheDocumentedOnes) {
    Snapshot s;
    s.as_user = AsUserFacts{true, false, false, false, true};
    const nlohmann::json j = s;
    ASSERT_TRUE(j.contains("as_user")) << j.dump();
    const auto& a = j["as_user"];
    EXPECT_EQ(a.at("assign_primary_held"), true);
    EXPECT_EQ(a.at("assign_primary_enabled"), false);
    EXPECT_EQ(a.at("increase_quota_held"), false);
    EXPECT_EQ(a.at("increase_quota_enabled"), false);
    EXPECT_EQ(a.at("same_logon_session"), true);

    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    ASSERT_TRUE(back.as_user);
    EXPECT_TRUE(back.as_user->assign_primary_held);
    EXPECT_TRUE(back.as_user->same_logon_session);
    EXPECT_FALSE(back.as_user->increase_quota_held);
}

TEST(AsUserAnalysis, SnapshotsWithoutTheKeyReadAsNoFacts) {
    auto j = nlohmann::json(healthy());
    j.erase("as_user");
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    EXPECT_FALSE(back.as_user.has_value());
    j["as_user"] = "yes";
    EXPECT_FALSE(snapshot_from_json_text(j.dump(), back, error));
    EXPECT_NE(error.find("as_user"), std::string::npos) << error;
}

}  // namespace
}  // namespace safelaunch
