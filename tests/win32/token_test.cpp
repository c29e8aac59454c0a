// Token fact gathering against real tokens of the test process (under Wine and on Windows).
#include "safelaunch/win32/token.hpp"

#include "safelaunch/win32/system_facts.hpp"

#include <gtest/gtest.h>

#include <iostream>
#include <regex>

namespace sl = safelaunch;
namespace w = safelaunch::win32;

namespace {

bool is_sid(const std::string& s) {
    static const std::regex kSid(R"(S-1-\d+(-\d+)+)");
    return std::regex_match(s, kSid);
}

}  // namespace

TEST(TokenFacts, OwnPrimaryTokenHasWellFormedUserSidAndIsPrimary) {
    const auto token = w::duplicate_own_token(true);
    const auto facts = w::gather_token_facts(token.get());
    EXPECT_TRUE(is_sid(facts.user_sid)) << facts.user_sid;
    EXPECT_TRUE(facts.primary);
    EXPECT_FALSE(facts.groups.empty());
    for (const auto& g : facts.groups) EXPECT_TRUE(is_sid(g.sid)) << g.sid;
    EXPECT_EQ(facts.integrity_sid.rfind("S-1-16-", 0), 0u) << facts.integrity_sid;
    EXPECT_TRUE(facts.restricted_sids.empty()) << "the test process does not run restricted";
    if (w::wine_version()) {
        EXPECT_EQ(facts.logon_luid, 0u) << "observed: Wine's AuthenticationId is 0-0";
    } else {
        EXPECT_NE(facts.logon_luid, 0u);
    }
}

TEST(TokenFacts, LogonSidIsTheGroupMarkedLogonId) {
    const auto token = w::duplicate_own_token(true);
    const auto facts = w::gather_token_facts(token.get());
    std::optional<std::string> marked;
    for (const auto& g : facts.groups)
        if ((g.attributes & sl::group_attr::kLogonId) == sl::group_attr::kLogonId) marked = g.sid;
    EXPECT_EQ(facts.logon_sid, marked);
    if (!facts.logon_sid) GTEST_SKIP() << "this token has no SE_GROUP_LOGON_ID group";
    EXPECT_TRUE(std::regex_match(*facts.logon_sid, std::regex(R"(S-1-5-5-\d+-\d+)"))) << *facts.logon_sid;
}

TEST(TokenFacts, ImpersonationDuplicateIsNotPrimaryAndSameUser) {
    const auto own = w::duplicate_own_token(true);
    const auto imp = w::make_impersonation_duplicate(own.get());
    const auto a = w::gather_token_facts(own.get());
    const auto b = w::gather_token_facts(imp.get());
    EXPECT_FALSE(b.primary);
    EXPECT_EQ(a.user_sid, b.user_sid);
    EXPECT_EQ(a.logon_luid, b.logon_luid);
    EXPECT_EQ(a.logon_sid, b.logon_sid);
}

TEST(TokenFacts, OwnTokenAsImpersonationDuplicateIsNotPrimary) {
    const auto imp = w::duplicate_own_token(false);
    EXPECT_FALSE(w::gather_token_facts(imp.get()).primary);
}

TEST(TokenFacts, TokenOfOwnPidMatchesOwnToken) {
    const auto by_pid = w::open_token_of_pid(::GetCurrentProcessId());
    const auto own = w::duplicate_own_token(true);
    const auto a = w::gather_token_facts(by_pid.get());
    const auto b = w::gather_token_facts(own.get());
    EXPECT_TRUE(a.primary);
    EXPECT_EQ(a.user_sid, b.user_sid);
    EXPECT_EQ(a.session_id, b.session_id);
    EXPECT_EQ(a.logon_luid, b.logon_luid);
    EXPECT_EQ(a.integrity_sid, b.integrity_sid);
}

TEST(TokenFacts, TokenOfMissingPidKeepsApiNameAndCode) {
    // Process ids are multiples of 4: 0xFFFFFFF1 is never a live process.
    std::error_code ec;
    sl::ApiFailure failure;
    const auto token = w::open_token_of_pid(0xFFFFFFF1u, ec, &failure);
    EXPECT_FALSE(token);
    ASSERT_TRUE(ec);
    EXPECT_EQ(ec.category(), sl::win32_category());
    EXPECT_EQ(failure.api, "OpenProcess");
    EXPECT_EQ(failure.object, "pid 4294967281");
    try {
        (void)w::open_token_of_pid(0xFFFFFFF1u);
        ADD_FAILURE() << "expected safelaunch::Error";
    } catch (const sl::Error& e) {
        EXPECT_EQ(e.api(), "OpenProcess");
        EXPECT_EQ(e.code(), ec);
    }
}

TEST(TokenFacts, GatherOnInvalidHandleFailsWithGetTokenInformation) {
    std::error_code ec;
    sl::ApiFailure failure;
    (void)w::gather_token_facts(nullptr, ec, &failure);
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "GetTokenInformation");
    EXPECT_EQ(failure.object, "TokenUser");
}

TEST(TokenFacts, LogonWithWrongPasswordFails) {
    std::error_code ec;
    sl::ApiFailure failure;
    const auto token = w::logon_user("safelaunch-no-such-user", ".", "wrong password", w::LogonKind::batch,
                                     ec, &failure);
    EXPECT_FALSE(token);
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "LogonUserW");
    EXPECT_EQ(failure.object.rfind(".\\safelaunch-no-such-user", 0), 0u) << failure.object;
    if (w::wine_version()) {
        // Observed: Wine's LogonUserW stub says TRUE and hands back a made-up handle value.
        EXPECT_EQ(ec, sl::make_win32_error(ERROR_INVALID_HANDLE)) << failure.describe();
        EXPECT_NE(failure.object.find("not a token"), std::string::npos) << failure.object;
        GTEST_SKIP() << "LogonUserW is a stub under Wine: " << failure.describe();
    }
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_LOGON_FAILURE)) << failure.describe();
}
