#include "safelaunch/win32/token.hpp"

#include "safelaunch/win32/security.hpp"
#include "win32/api_failure.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace safelaunch::win32 {
namespace {

// GetTokenInformation into a heap buffer (operator new aligns for every TOKEN_* struct).
std::unique_ptr<std::byte[]> token_info(HANDLE token, TOKEN_INFORMATION_CLASS cls, const char* what,
                                        std::error_code& ec, ApiFailure* failure) {
    DWORD size = 0;
    if (!::GetTokenInformation(token, cls, nullptr, 0, &size)) {
        const DWORD e = ::GetLastError();
        if (e != ERROR_INSUFFICIENT_BUFFER && e != ERROR_BAD_LENGTH) {
            detail::fail(ec, failure, "GetTokenInformation", what, e);
            return nullptr;
        }
    }
    auto buffer = std::make_unique<std::byte[]>(size ? size : 1);
    if (!::GetTokenInformation(token, cls, buffer.get(), size, &size)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetTokenInformation", what, e);
        return nullptr;
    }
    return buffer;
}

template <typename T>
bool token_value(HANDLE token, TOKEN_INFORMATION_CLASS cls, const char* what, T& out,
                 std::error_code& ec, ApiFailure* failure) {
    DWORD size = 0;
    if (!::GetTokenInformation(token, cls, &out, sizeof(T), &size)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetTokenInformation", what, e);
        return false;
    }
    return true;
}

// "DOMAIN\\name", or "" when the SID does not map (the name is optional, the SID is the fact).
std::string lookup_account_name(PSID sid) {
    DWORD name_len = 0, domain_len = 0;
    SID_NAME_USE use{};
    ::LookupAccountSidW(nullptr, sid, nullptr, &name_len, nullptr, &domain_len, &use);
    if (name_len == 0) return {};
    std::wstring name(name_len, L'\0'), domain(domain_len, L'\0');
    if (!::LookupAccountSidW(nullptr, sid, name.data(), &name_len, domain.data(), &domain_len, &use))
        return {};
    name.resize(name_len);
    domain.resize(domain_len);
    return domain.empty() ? detail::narrow(name) : detail::narrow(domain + L"\\" + name);
}

// LookupAccountSidW is a call into the LSA (for domain groups, perhaps a domain controller, and
// slowest for SIDs that do not map), made twice for each group of the token on every launch.
// Names are evidence, never decisions, and rarely change: one process-wide cache serves all
// launches, unmapped SIDs included. A renamed account keeps its old name here until the bound
// empties the cache.
std::string account_name(PSID sid, const std::string& sid_string) {
    constexpr std::size_t kMaxCachedNames = 4096;
    static std::mutex mutex;
    static std::unordered_map<std::string, std::string> names;
    {
        const std::lock_guard lock(mutex);
        if (const auto it = names.find(sid_string); it != names.end()) return it->second;
    }
    auto name = lookup_account_name(sid);
    const std::lock_guard lock(mutex);
    if (names.size() >= kMaxCachedNames) names.clear();
    names.emplace(sid_string, name);
    return name;
}

std::vector<GroupFacts> group_facts(const TOKEN_GROUPS& groups) {
    std::vector<GroupFacts> out;
    out.reserve(groups.GroupCount);
    for (DWORD i = 0; i < groups.GroupCount; ++i) {
        const auto& g = groups.Groups[i];
        auto sid = sid_to_string(g.Sid);
        auto name = account_name(g.Sid, sid);
        out.push_back({std::move(sid), std::move(name), g.Attributes});
    }
    return out;
}

unique_handle duplicate(HANDLE token, DWORD access, SECURITY_IMPERSONATION_LEVEL level,
                        TOKEN_TYPE type, std::error_code& ec, ApiFailure* failure) {
    unique_handle dup;
    if (!::DuplicateTokenEx(token, access, nullptr, level, type, dup.put())) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "DuplicateTokenEx",
                     type == TokenPrimary ? "primary token" : "impersonation token", e);
        return {};
    }
    return dup;
}

}  // namespace

TokenFacts gather_token_facts(HANDLE token, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    TokenFacts facts;

    const auto user = token_info(token, TokenUser, "TokenUser", ec, failure);
    if (!user) return {};
    const auto* tu = reinterpret_cast<const TOKEN_USER*>(user.get());
    facts.user_sid = sid_to_string(tu->User.Sid);
    facts.user_name = account_name(tu->User.Sid, facts.user_sid);

    const auto groups = token_info(token, TokenGroups, "TokenGroups", ec, failure);
    if (!groups) return {};
    facts.groups = group_facts(*reinterpret_cast<const TOKEN_GROUPS*>(groups.get()));
    for (const auto& g : facts.groups)
        if ((g.attributes & group_attr::kLogonId) == group_attr::kLogonId) {
            facts.logon_sid = g.sid;
            break;
        }

    // Wine 8 does not implement this class (ERROR_INVALID_FUNCTION) and has no restricted SIDs
    // (its NtFilterToken ignores them), so "none" is the fact there.
    ApiFailure restricted_failure;
    if (const auto restricted = token_info(token, TokenRestrictedSids, "TokenRestrictedSids", ec, &restricted_failure))
        facts.restricted_sids = group_facts(*reinterpret_cast<const TOKEN_GROUPS*>(restricted.get()));
    else if (ec == make_win32_error(ERROR_INVALID_FUNCTION))
        ec.clear();
    else {
        if (failure) *failure = std::move(restricted_failure);
        return {};
    }

    const auto label = token_info(token, TokenIntegrityLevel, "TokenIntegrityLevel", ec, failure);
    if (!label) return {};
    facts.integrity_sid = sid_to_string(reinterpret_cast<const TOKEN_MANDATORY_LABEL*>(label.get())->Label.Sid);

    DWORD session = 0;
    if (!token_value(token, TokenSessionId, "TokenSessionId", session, ec, failure)) return {};
    facts.session_id = session;

    TOKEN_STATISTICS stats{};
    if (!token_value(token, TokenStatistics, "TokenStatistics", stats, ec, failure)) return {};
    // The Service-0x<High>-<Low>$ station name is built from these two halves.
    facts.logon_luid = (std::uint64_t{static_cast<std::uint32_t>(stats.AuthenticationId.HighPart)} << 32) |
                       stats.AuthenticationId.LowPart;
    facts.primary = stats.TokenType == TokenPrimary;
    return facts;
}

TokenFacts gather_token_facts(HANDLE token) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return gather_token_facts(token, ec, f); });
}

unique_handle duplicate_own_token(bool primary, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    unique_handle own;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY | TOKEN_DUPLICATE, own.put())) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "OpenProcessToken", "own process", e);
        return {};
    }
    return duplicate(own.get(), MAXIMUM_ALLOWED, SecurityImpersonation,
                     primary ? TokenPrimary : TokenImpersonation, ec, failure);
}

unique_handle duplicate_own_token(bool primary) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return duplicate_own_token(primary, ec, f); });
}

unique_handle open_token_of_pid(std::uint32_t pid, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto who = "pid " + std::to_string(pid);
    const unique_handle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "OpenProcess", who, e);
        return {};
    }
    unique_handle token;
    if (!::OpenProcessToken(process.get(), TOKEN_QUERY | TOKEN_DUPLICATE, token.put())) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "OpenProcessToken", who, e);
        return {};
    }
    // CreateProcessAsUserW refuses a handle without TOKEN_ASSIGN_PRIMARY (ERROR_ACCESS_DENIED on
    // Windows; Wine does not check): launch with a primary duplicate of our own.
    unique_handle primary;
    if (!::DuplicateTokenEx(token.get(), kAsUserTokenAccess, nullptr, SecurityImpersonation, TokenPrimary,
                            primary.put())) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "DuplicateTokenEx", who + " (primary token)", e);
        return {};
    }
    return primary;
}

unique_handle open_token_of_pid(std::uint32_t pid) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return open_token_of_pid(pid, ec, f); });
}

AsUserFacts gather_as_user_facts(HANDLE token, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    // The privilege check of process creation is made on the caller's effective token.
    unique_handle own;
    if (!::OpenThreadToken(::GetCurrentThread(), TOKEN_QUERY, TRUE, own.put())) {
        const DWORD e = ::GetLastError();
        if (e != ERROR_NO_TOKEN) {
            detail::fail(ec, failure, "OpenThreadToken", "current thread", e);
            return {};
        }
        if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, own.put())) {
            const DWORD pe = ::GetLastError();
            detail::fail(ec, failure, "OpenProcessToken", "own process", pe);
            return {};
        }
    }
    const auto privileges = token_info(own.get(), TokenPrivileges, "TokenPrivileges of the caller", ec, failure);
    if (!privileges) return {};
    const auto* tp = reinterpret_cast<const TOKEN_PRIVILEGES*>(privileges.get());

    AsUserFacts facts;
    // Privilege LUIDs are per system: look them up by name rather than hard-code them.
    const auto find = [&](const wchar_t* name, bool& held, bool& enabled) {
        LUID luid{};
        if (!::LookupPrivilegeValueW(nullptr, name, &luid)) {
            const DWORD e = ::GetLastError();
            detail::fail(ec, failure, "LookupPrivilegeValueW", detail::narrow(name), e);
            return false;
        }
        for (DWORD i = 0; i < tp->PrivilegeCount; ++i) {
            const auto& p = tp->Privileges[i];
            if (p.Luid.LowPart == luid.LowPart && p.Luid.HighPart == luid.HighPart) {
                held = true;
                enabled = (p.Attributes & SE_PRIVILEGE_ENABLED) != 0;
            }
        }
        return true;
    };
    // SE_ASSIGNPRIMARYTOKEN_NAME and SE_INCREASE_QUOTA_NAME, spelled wide (they follow UNICODE).
    if (!find(L"SeAssignPrimaryTokenPrivilege", facts.assign_primary_held, facts.assign_primary_enabled)) return {};
    if (!find(L"SeIncreaseQuotaPrivilege", facts.increase_quota_held, facts.increase_quota_enabled)) return {};

    TOKEN_STATISTICS mine{}, theirs{};
    if (!token_value(own.get(), TokenStatistics, "TokenStatistics of the caller", mine, ec, failure)) return {};
    if (!token_value(token, TokenStatistics, "TokenStatistics", theirs, ec, failure)) return {};
    facts.same_logon_session = mine.AuthenticationId.LowPart == theirs.AuthenticationId.LowPart &&
                               mine.AuthenticationId.HighPart == theirs.AuthenticationId.HighPart;
    return facts;
}

AsUserFacts gather_as_user_facts(HANDLE token) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return gather_as_user_facts(token, ec, f); });
}

unique_handle logon_user(std::string_view user, std::string_view domain, std::string_view password,
                         LogonKind kind, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const DWORD type = kind == LogonKind::interactive ? LOGON32_LOGON_INTERACTIVE
                       : kind == LogonKind::batch     ? LOGON32_LOGON_BATCH
                                                      : LOGON32_LOGON_SERVICE;
    const auto w_user = detail::widen(user), w_domain = detail::widen(domain);
    auto w_password = detail::widen(password);
    unique_handle token;
    const BOOL ok = ::LogonUserW(w_user.c_str(), w_domain.empty() ? nullptr : w_domain.c_str(),
                                 w_password.c_str(), type, LOGON32_PROVIDER_DEFAULT, token.put());
    const DWORD e = ok ? 0 : ::GetLastError();
    ::SecureZeroMemory(w_password.data(), w_password.size() * sizeof(wchar_t));
    const auto who = domain.empty() ? std::string(user) : std::string(domain) + "\\" + std::string(user);
    if (!ok) {
        detail::fail(ec, failure, "LogonUserW", who, e);
        return {};
    }
    // Wine's LogonUserW is a stub that returns TRUE with a made-up handle value: refuse it rather
    // than hand out something that is not a token (and never close a handle that is not ours).
    TOKEN_TYPE type_check{};
    DWORD size = 0;
    if (!::GetTokenInformation(token.get(), TokenType, &type_check, sizeof(type_check), &size)) {
        const DWORD te = ::GetLastError();
        if (te == ERROR_INVALID_HANDLE) (void)token.release();
        detail::fail(ec, failure, "LogonUserW", who + ": returned handle is not a token (Wine stub?)", te);
        return {};
    }
    return token;
}

unique_handle logon_user(std::string_view user, std::string_view domain, std::string_view password,
                         LogonKind kind) {
    return detail::or_throw(
        [&](std::error_code& ec, ApiFailure* f) { return logon_user(user, domain, password, kind, ec, f); });
}

unique_handle make_impersonation_duplicate(HANDLE token, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    return duplicate(token, TOKEN_QUERY, SecurityIdentification, TokenImpersonation, ec, failure);
}

unique_handle make_impersonation_duplicate(HANDLE token) {
    return detail::or_throw(
        [&](std::error_code& ec, ApiFailure* f) { return make_impersonation_duplicate(token, ec, f); });
}

}  // namespace safelaunch::win32
