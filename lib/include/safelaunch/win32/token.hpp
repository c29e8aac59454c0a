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

// The primary token of another process, opened with TOKEN_QUERY | TOKEN_DUPLICATE.
[[nodiscard]] unique_handle open_token_of_pid(std::uint32_t pid, std::error_code& ec,
                                              ApiFailure* failure = nullptr);
[[nodiscard]] unique_handle open_token_of_pid(std::uint32_t pid);

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
