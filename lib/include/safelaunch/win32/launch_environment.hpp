// The child's environment block: an EnvironmentSpec applied to the variables the child's user
// should start from (ours for RunAsCaller, the user's own for a child of another user).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/launch_request.hpp"

#include <string>
#include <system_error>

namespace safelaunch::win32 {

// The UTF-16 environment block (CREATE_UNICODE_ENVIRONMENT) for `spec`: the parent's variables
// (when inherit) with `unset` removed and `set` applied, names compared case-insensitively,
// sorted as CreateProcess documents; the parent's "=C:" style entries are kept. Empty result
// when spec changes nothing (inherit, no set, no unset): pass NULL to inherit.
[[nodiscard]] std::wstring environment_block(const EnvironmentSpec& spec);

// The block for a child that runs as `run_as` (empty: pass NULL):
//  - RunAsCaller: environment_block(spec).
//  - RunAsToken: with inherit, the token user's own variables, CreateEnvironmentBlock(token,
//    FALSE), with `unset` and `set` applied; never empty, since NULL would give the child *our*
//    variables (a service's TEMP, USERPROFILE, APPDATA). Without inherit, only `set`.
//  - RunAsLogon: empty when `spec` changes nothing, so CreateProcessWithLogonW builds the user's
//    profile environment itself; otherwise as RunAsToken, on a LogonUserW (interactive) token.
//    With LOGON_NETCREDENTIALS_ONLY the child runs with our token locally: as RunAsCaller.
// Per CreateEnvironmentBlock's remarks, user variables (USERPROFILE, HKCU\Environment) are in the
// block only while the user's profile is loaded: it is for a logged-on user; loading it
// (LoadUserProfile) is the caller's business. Failures keep the API (CreateEnvironmentBlock,
// LogonUserW) and its GetLastError() code.
[[nodiscard]] std::wstring environment_block(const EnvironmentSpec& spec, const RunAs& run_as,
                                             std::error_code& ec, ApiFailure* failure = nullptr);

}  // namespace safelaunch::win32
