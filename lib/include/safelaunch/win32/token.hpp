// Token facts: who the child will run as, read from a real token into TokenFacts.
//
// Every operation comes as a pair: `op(..., std::error_code& ec, ApiFailure* failure = nullptr)`
// clears `ec`, and on failure sets it (win32_category) and fills `*failure` with the API name and
// the object; `op(...)` throws safelaunch::Error with the same ApiFailure.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/win32/handles.hpp"

#include <cstdint>
#include <string_view>
#include <system_error>

namespace safelaunch::win32 {

// LogonUserW's logon types: the token (and so the window station) a service gets depends on it.
enum class LogonKind { interactive, batch, service };

// Reads user, logon SID, groups, restricted SIDs, integrity, session, AuthenticationId and token
// type. `token` needs TOKEN_QUERY. Names come from LookupAccountSidW and stay "" when the lookup
// fails (a deleted account, an unreachable domain): only the SIDs are required. `source` is left
// empty for the caller to fill.
[[nodiscard]] TokenFacts gather_token_facts(HANDLE token, std::error_code& ec,
                                            ApiFailure* failure = nullptr);
[[nodiscard]] TokenFacts gather_token_facts(HANDLE token);

// The calling process's token, duplicated as a primary token (for CreateProcessAsUserW) or as an
// impersonation token (SecurityImpersonation). Access: MAXIMUM_ALLOWED.
[[nodiscard]] unique_handle duplicate_own_token(bool primary, std::error_code& ec,
                                                ApiFailure* failure = nullptr);
[[nodiscard]] unique_handle duplicate_own_token(bool primary);

// The access a token handle given to CreateProcessAsUserW gets from us: the three rights its
// hToken documentation requires (TOKEN_QUERY, TOKEN_DUPLICATE, TOKEN_ASSIGN_PRIMARY), plus
// TOKEN_ADJUST_DEFAULT and TOKEN_ADJUST_SESSIONID so a caller may set the default DACL or (with
// SE_TCB_NAME) the session before the launch.
inline constexpr DWORD kAsUserTokenAccess =
    TOKEN_QUERY | TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY | TOKEN_ADJUST_DEFAULT | TOKEN_ADJUST_SESSIONID;

// A primary token for CreateProcessAsUserW that runs as another process: that process's token,
// opened with TOKEN_QUERY | TOKEN_DUPLICATE (all OpenProcessToken needs to grant), then duplicated
// with DuplicateTokenEx as a TokenPrimary with kAsUserTokenAccess. The process's own handle is
// never handed out: it lacks TOKEN_ASSIGN_PRIMARY. Failures name OpenProcess, OpenProcessToken or
// DuplicateTokenEx.
[[nodiscard]] unique_handle open_token_of_pid(std::uint32_t pid, std::error_code& ec,
                                              ApiFailure* failure = nullptr);
[[nodiscard]] unique_handle open_token_of_pid(std::uint32_t pid);

// What CreateProcessAsUserW will ask of this process for `token` (TOKEN_QUERY): whether the
// caller's effective token holds SeAssignPrimaryTokenPrivilege and SeIncreaseQuotaPrivilege, and
// whether `token` is of the caller's logon session. The decision is the core's (analysis.hpp).
[[nodiscard]] AsUserFacts gather_as_user_facts(HANDLE token, std::error_code& ec,
                                               ApiFailure* failure = nullptr);
[[nodiscard]] AsUserFacts gather_as_user_facts(HANDLE token);

// LogonUserW with the default provider; the result is a primary token. UTF-8 arguments.
[[nodiscard]] unique_handle logon_user(std::string_view user, std::string_view domain,
                                       std::string_view password, LogonKind kind,
                                       std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] unique_handle logon_user(std::string_view user, std::string_view domain,
                                       std::string_view password, LogonKind kind);

// An impersonation duplicate (SecurityIdentification, TOKEN_QUERY) of any token: what AccessCheck
// requires as its client token.
[[nodiscard]] unique_handle make_impersonation_duplicate(HANDLE token, std::error_code& ec,
                                                         ApiFailure* failure = nullptr);
[[nodiscard]] unique_handle make_impersonation_duplicate(HANDLE token);

}  // namespace safelaunch::win32
