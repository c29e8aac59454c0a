// The environment a child of another user starts from (win32-review M10): CreateProcessAsUserW
// with NULL gives the child *our* environment ("If this parameter is NULL, the new process uses
// the environment of the calling process"), so RunAsToken children get the token user's own block
// (CreateEnvironmentBlock) with set/unset applied over it.
//
// The oracle is a variable of the same name in two places with two values: our own environment
// ("from launcher") and the user's HKCU\Environment ("from profile"), which CreateEnvironmentBlock
// reads for a user whose profile is loaded (ours is).
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launch_environment.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/token.hpp"

#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <string>

namespace safelaunch::win32 {
namespace {

// HKCU\Environment is shared by every test process of the run (ctest -j): one name per process, so
// one test's clean-up cannot remove another's value (seen: AsUserSetAndUnset... read nullopt).
const std::string kVarName = "SAFELAUNCH_PROFILE_VAR_" + std::to_string(::GetCurrentProcessId());
const std::wstring kWVarName(kVarName.begin(), kVarName.end());
const char* const kVar = kVarName.c_str();
const wchar_t* const kWVar = kWVarName.c_str();

// Sets HKCU\Environment\<name> for the test's lifetime; removes it after.
class ProfileVariable {
public:
    ProfileVariable(const wchar_t* name, const std::wstring& value) : name_(name) {
        EXPECT_EQ(::RegCreateKeyExW(HKEY_CURRENT_USER, L"Environment", 0, nullptr, 0, KEY_SET_VALUE, nullptr,
                                    key_.put(), nullptr),
                  ERROR_SUCCESS);
        EXPECT_EQ(::RegSetValueExW(key_.get(), name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
                                   static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t))),
                  ERROR_SUCCESS);
    }
    ProfileVariable(const ProfileVariable&) = delete;
    ProfileVariable& operator=(const ProfileVariable&) = delete;
    ~ProfileVariable() { ::RegDeleteValueW(key_.get(), name_); }

private:
    const wchar_t* name_;
    unique_hkey key_;
};

// Our own environment variable for the test's lifetime.
class OwnVariable {
public:
    OwnVariable(const wchar_t* name, const wchar_t* value) : name_(name) {
        EXPECT_TRUE(::SetEnvironmentVariableW(name, value));
    }
    OwnVariable(const OwnVariable&) = delete;
    OwnVariable& operator=(const OwnVariable&) = delete;
    ~OwnVariable() { ::SetEnvironmentVariableW(name_, nullptr); }

private:
    const wchar_t* name_;
};

unique_handle own_primary_token() {
    unique_handle own, primary;
    EXPECT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, own.put()));
    EXPECT_TRUE(::DuplicateTokenEx(own.get(), TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY, nullptr,
                                   SecurityImpersonation, TokenPrimary, primary.put()));
    return primary;
}

// child_report's value of `var`: nullopt when absent. Fails the test when the child did not report.
std::optional<std::string> child_sees(LaunchRequest request, const std::string& var) {
    const auto out = test::exe_dir() + "\\" + test::unique_name("safelaunch-env") + ".json";
    request.program = test::child_path("child_report");
    request.args = {out, var};
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, ec, &failure);
    EXPECT_FALSE(ec) << failure.failure.describe();
    if (ec) return std::nullopt;
    EXPECT_EQ(child.wait(), 0u);
    std::ifstream in(boost::nowide::widen(out).c_str(), std::ios::binary);
    nlohmann::json merged = nlohmann::json::object();
    std::string line;
    while (std::getline(in, line)) merged.update(nlohmann::json::parse(line));
    in.close();
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    EXPECT_TRUE(merged.contains("env") && merged["env"].contains(var)) << merged.dump();
    if (!merged.contains("env") || !merged["env"].contains(var) || merged["env"][var].is_null()) return std::nullopt;
    return merged["env"][var].get<std::string>();
}

// The value of `name` in a double-NUL-terminated block, nullopt when absent.
std::optional<std::wstring> value_in(const std::wstring& block, const std::wstring& name) {
    for (std::size_t at = 0; at < block.size() && block[at];) {
        const std::wstring entry(block.c_str() + at);
        const auto eq = entry.find(L'=', 1);
        if (eq != std::wstring::npos && ::CompareStringOrdinal(entry.c_str(), static_cast<int>(eq), name.c_str(),
                                                               static_cast<int>(name.size()), TRUE) == CSTR_EQUAL)
            return entry.substr(eq + 1);
        at += entry.size() + 1;
    }
    return std::nullopt;
}

TEST(LaunchEnvironment, CallerChildInheritsOurVariables) {
    const ProfileVariable profile(kWVar, L"from profile");
    const OwnVariable own(kWVar, L"from launcher");
    EXPECT_EQ(child_sees(LaunchRequest{}, kVar), "from launcher");
}

TEST(LaunchEnvironment, AsUserChildGetsTheTokenUsersVariablesNotOurs) {
    const ProfileVariable profile(kWVar, L"from profile");
    const OwnVariable own(kWVar, L"from launcher");
    const OwnVariable parent(L"SAFELAUNCH_PARENT_VAR", L"from parent");
    const auto token = own_primary_token();
    LaunchRequest request;
    request.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())};
    EXPECT_EQ(child_sees(request, kVar), "from profile");
    EXPECT_EQ(child_sees(request, "SAFELAUNCH_PARENT_VAR"), std::nullopt);  // ours only, not the user's
}

TEST(LaunchEnvironment, AsUserSetAndUnsetApplyOverTheUsersVariables) {
    const ProfileVariable profile(kWVar, L"from profile");
    const OwnVariable parent(L"SAFELAUNCH_PARENT_VAR", L"from parent");
    const auto token = own_primary_token();
    LaunchRequest request;
    request.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())};
    request.environment.set = {{"SAFELAUNCH_TEST_VAR", "set by the request"}};
    EXPECT_EQ(child_sees(request, "SAFELAUNCH_TEST_VAR"), "set by the request");
    EXPECT_EQ(child_sees(request, kVar), "from profile");
    EXPECT_EQ(child_sees(request, "SAFELAUNCH_PARENT_VAR"), std::nullopt);
    std::string lower = kVarName;  // names compare case-insensitively
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    request.environment.unset = {lower};
    EXPECT_EQ(child_sees(request, kVar), std::nullopt);
}

TEST(LaunchEnvironment, AsUserBlockIsTheUsersEvenWhenNothingChanges) {
    const ProfileVariable profile(kWVar, L"from profile");
    const OwnVariable own(kWVar, L"from launcher");
    const auto token = own_primary_token();
    std::error_code ec;
    ApiFailure failure;
    const auto block = environment_block(EnvironmentSpec{}, RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())},
                                         ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    ASSERT_FALSE(block.empty()) << "empty would mean NULL: our environment";
    ASSERT_GE(block.size(), 2u);
    EXPECT_EQ(block.substr(block.size() - 2), std::wstring(2, L'\0'));
    EXPECT_EQ(value_in(block, kWVar), L"from profile");
    // Names not taken from us, but the user's: the system's own SystemRoot is among them.
    EXPECT_TRUE(value_in(block, L"SystemRoot").has_value());

    // For the caller, no change is still NULL.
    EXPECT_EQ(environment_block(EnvironmentSpec{}, RunAsCaller{}, ec), L"");
    EXPECT_FALSE(ec);
}

TEST(LaunchEnvironment, AsUserWithoutInheritHoldsOnlyWhatIsSet) {
    const auto token = own_primary_token();
    EnvironmentSpec spec;
    spec.inherit = false;
    spec.set = {{"A", "1"}};
    std::error_code ec;
    EXPECT_EQ(environment_block(spec, RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())}, ec),
              std::wstring(L"A=1\0\0", 5));
    EXPECT_FALSE(ec);
}

TEST(LaunchEnvironment, AsUserWithANonTokenFailsInCreateEnvironmentBlock) {
    const unique_handle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    LaunchRequest request;
    request.program = test::child_path("child_exit");
    request.args = {"0"};
    request.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(event.get())};
    std::error_code ec;
    LaunchFailure failure;
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(failure.failure.api, "CreateEnvironmentBlock") << failure.failure.describe();
}

TEST(LaunchEnvironment, LogonWithNoChangeLeavesTheBlockToCreateProcessWithLogonW) {
    // NULL: CreateProcessWithLogonW then builds "an environment created from the profile of the
    // user". No logon happens here: the user need not exist.
    std::error_code ec;
    EXPECT_EQ(environment_block(EnvironmentSpec{}, RunAsLogon{"safelaunch-no-such-user", ".", "x", 0}, ec), L"");
    EXPECT_FALSE(ec);
}

TEST(LaunchEnvironment, LogonWithAChangeBuildsTheUsersBlockThroughLogonUser) {
    EnvironmentSpec spec;
    spec.set = {{"A", "1"}};
    std::error_code ec;
    ApiFailure failure;
    const auto block =
        environment_block(spec, RunAsLogon{"safelaunch-no-such-user", ".", "wrong password", 0}, ec, &failure);
    EXPECT_EQ(block, L"");
    ASSERT_TRUE(ec);
    // The launcher's own variables are never the fallback: the failure is reported.
    EXPECT_EQ(failure.api, "LogonUserW") << failure.describe();
}

TEST(LaunchEnvironment, LogonWithNetCredentialsOnlyKeepsOurVariables) {
    // LOGON_NETCREDENTIALS_ONLY: "The new process uses the same token as the caller"; no logon here.
    const OwnVariable own(kWVar, L"from launcher");
    EnvironmentSpec spec;
    spec.set = {{"A", "1"}};
    std::error_code ec;
    ApiFailure failure;
    const auto block = environment_block(
        spec, RunAsLogon{"safelaunch-no-such-user", ".", "wrong password", LOGON_NETCREDENTIALS_ONLY}, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    EXPECT_EQ(value_in(block, kWVar), L"from launcher");
    EXPECT_EQ(value_in(block, L"A"), L"1");
}

}  // namespace
}  // namespace safelaunch::win32
