// Token fact gathering against real tokens of the test process (under Wine and on Windows).
#include "safelaunch/win32/token.hpp"

#include "safelaunch/win32/system_facts.hpp"

#include <boost/nowide/convert.hpp>
#include <sddl.h>
#include <winternl.h>

#include <gtest/gtest.h>

#include <cstddef>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <vector>

namespace sl = safelaunch;
namespace w = safelaunch::win32;

namespace {

std::string narrow(const wchar_t* s) { return boost::nowide::narrow(s); }

// The access a handle was granted, as the object manager records it (NtQueryObject, resolved at
// run time so the tests need no ntdll import library).
ACCESS_MASK granted_access(HANDLE h) {
    using NtQueryObjectFn = NTSTATUS(NTAPI*)(HANDLE, OBJECT_INFORMATION_CLASS, PVOID, ULONG, PULONG);
    const auto query = reinterpret_cast<NtQueryObjectFn>(
        reinterpret_cast<void*>(::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "NtQueryObject")));
    EXPECT_NE(query, nullptr);
    if (!query) return 0;
    PUBLIC_OBJECT_BASIC_INFORMATION info{};
    ULONG size = 0;
    EXPECT_EQ(query(h, ObjectBasicInformation, &info, sizeof info, &size), 0) << "NtQueryObject";
    return info.GrantedAccess;
}

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
    // The oracle reads TokenGroups itself, not through gather_token_facts.
    std::optional<std::string> marked;
    DWORD size = 0;
    ::GetTokenInformation(token.get(), TokenGroups, nullptr, 0, &size);
    ASSERT_GT(size, 0u);
    std::vector<std::byte> buffer(size);
    ASSERT_TRUE(::GetTokenInformation(token.get(), TokenGroups, buffer.data(), size, &size));
    const auto* groups = reinterpret_cast<const TOKEN_GROUPS*>(buffer.data());
    for (DWORD i = 0; i < groups->GroupCount && !marked; ++i) {
        if ((groups->Groups[i].Attributes & SE_GROUP_LOGON_ID) != SE_GROUP_LOGON_ID) continue;
        wchar_t* text = nullptr;
        ASSERT_TRUE(::ConvertSidToStringSidW(groups->Groups[i].Sid, &text));
        marked = narrow(text);
        ::LocalFree(text);
    }
    EXPECT_EQ(facts.logon_sid, marked);
    if (w::wine_version()) {
        ASSERT_TRUE(facts.logon_sid) << "observed: Wine's token always has a logon SID";
    }
    if (!facts.logon_sid) GTEST_SKIP() << "this token has no SE_GROUP_LOGON_ID group (checked against TokenGroups)";
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

// M1: CreateProcessAsUserW's hToken "must have the TOKEN_QUERY, TOKEN_DUPLICATE, and
// TOKEN_ASSIGN_PRIMARY access rights"; the process's own token handle had only the first two.
TEST(TokenFacts, TokenOfPidIsAPrimaryDuplicateWithAssignPrimaryAccess) {
    const auto by_pid = w::open_token_of_pid(::GetCurrentProcessId());
    ASSERT_TRUE(by_pid);
    EXPECT_EQ(granted_access(by_pid.get()), w::kAsUserTokenAccess);
    EXPECT_TRUE(w::kAsUserTokenAccess & TOKEN_ASSIGN_PRIMARY);

    TOKEN_TYPE type{};
    DWORD size = 0;
    ASSERT_TRUE(::GetTokenInformation(by_pid.get(), TokenType, &type, sizeof type, &size));
    EXPECT_EQ(type, TokenPrimary);

    // A new token object (DuplicateTokenEx), not a second handle to the process's token.
    w::unique_handle process_token;
    ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, process_token.put()));
    TOKEN_STATISTICS dup{}, original{};
    ASSERT_TRUE(::GetTokenInformation(by_pid.get(), TokenStatistics, &dup, sizeof dup, &size));
    ASSERT_TRUE(::GetTokenInformation(process_token.get(), TokenStatistics, &original, sizeof original, &size));
    EXPECT_FALSE(dup.TokenId.LowPart == original.TokenId.LowPart && dup.TokenId.HighPart == original.TokenId.HighPart);
    EXPECT_EQ(dup.AuthenticationId.LowPart, original.AuthenticationId.LowPart);
    EXPECT_EQ(dup.AuthenticationId.HighPart, original.AuthenticationId.HighPart);
}

// The oracle for the privilege facts: TokenPrivileges read here, named with LookupPrivilegeNameW.
TEST(TokenFacts, AsUserFactsMatchTheCallersTokenPrivileges) {
    w::unique_handle process_token;
    ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, process_token.put()));
    DWORD size = 0;
    ::GetTokenInformation(process_token.get(), TokenPrivileges, nullptr, 0, &size);
    ASSERT_GT(size, 0u);
    std::vector<std::byte> buffer(size);
    ASSERT_TRUE(::GetTokenInformation(process_token.get(), TokenPrivileges, buffer.data(), size, &size));
    const auto* tp = reinterpret_cast<const TOKEN_PRIVILEGES*>(buffer.data());
    std::map<std::wstring, bool> held;  // name -> enabled
    for (DWORD i = 0; i < tp->PrivilegeCount; ++i) {
        auto luid = tp->Privileges[i].Luid;
        wchar_t name[128];
        DWORD len = 128;
        ASSERT_TRUE(::LookupPrivilegeNameW(nullptr, &luid, name, &len));
        held[name] = (tp->Privileges[i].Attributes & SE_PRIVILEGE_ENABLED) != 0;
    }
    const std::wstring kAssign = L"SeAssignPrimaryTokenPrivilege", kQuota = L"SeIncreaseQuotaPrivilege";
    const auto own = w::duplicate_own_token(true);
    const auto facts = w::gather_as_user_facts(own.get());
    EXPECT_EQ(facts.assign_primary_held, held.count(kAssign) == 1);
    EXPECT_EQ(facts.assign_primary_enabled, held.count(kAssign) && held[kAssign]);
    EXPECT_EQ(facts.increase_quota_held, held.count(kQuota) == 1);
    EXPECT_EQ(facts.increase_quota_enabled, held.count(kQuota) && held[kQuota]);
    EXPECT_TRUE(facts.same_logon_session) << "a duplicate of our own token";
    std::cout << "[          ] caller privileges: SeAssignPrimaryTokenPrivilege "
              << (facts.assign_primary_held ? (facts.assign_primary_enabled ? "enabled" : "held") : "absent")
              << ", SeIncreaseQuotaPrivilege "
              << (facts.increase_quota_held ? (facts.increase_quota_enabled ? "enabled" : "held") : "absent") << "\n";
}

TEST(TokenFacts, AsUserFactsOnANonTokenFailWithTheApiName) {
    const w::unique_handle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    std::error_code ec;
    sl::ApiFailure failure;
    (void)w::gather_as_user_facts(event.get(), ec, &failure);
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "GetTokenInformation");
    EXPECT_EQ(failure.object, "TokenStatistics");
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
