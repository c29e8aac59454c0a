// Security descriptors of window stations and desktops: read as SDDL, write a DACL, and the real
// AccessCheck of a token against them (authoritative on Windows; Wine enforces it too).
//
// Operations come as pairs: `op(..., std::error_code& ec, ApiFailure* failure = nullptr)` clears
// `ec` and on failure sets it and fills `*failure` (API name, object); `op(...)` throws
// safelaunch::Error.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/error.hpp"
#include "safelaunch/win32/handles.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace safelaunch::win32 {

// ObjectKind (safelaunch/access_rights.hpp) picks the GENERIC_MAPPING: window_station or desktop;
// `other` is refused with ERROR_INVALID_PARAMETER where a mapping is needed.

// "S-1-5-5-0-12345" (ConvertSidToStringSidW); "" for an invalid SID.
[[nodiscard]] std::string sid_to_string(PSID sid);

struct SddlText {
    std::string sddl;         // O:, G:, D: and S: (integrity label) parts as far as the object has them
    bool sd_present = true;   // false: no owner, group or DACL at all (Wine's WinSta0 / Default)
};

// GetSecurityInfo(SE_WINDOW_OBJECT, OWNER | GROUP | DACL | LABEL) rendered with
// ConvertSecurityDescriptorToStringSecurityDescriptorW. `object` needs READ_CONTROL. The label
// (S:(ML;;NW;;;LW)) appears only when the object has one: none means Medium.
[[nodiscard]] SddlText get_sddl(HANDLE object, std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] SddlText get_sddl(HANDLE object);

// Replaces the DACL with the one in `sddl` (its D: part; "D:P..." keeps it protected).
// SetSecurityInfo, so Wine enforces it too. `object` needs WRITE_DAC.
void set_dacl_from_sddl(HANDLE object, std::string_view sddl, std::error_code& ec,
                        ApiFailure* failure = nullptr);
void set_dacl_from_sddl(HANDLE object, std::string_view sddl);

// SetSecurityInfo(SE_WINDOW_OBJECT, DACL) with a binary DACL; `dacl` null sets a NULL DACL.
// `protect` adds PROTECTED_DACL_SECURITY_INFORMATION (SDDL "D:P").
void set_dacl(HANDLE object, const ACL* dacl, bool protect, std::error_code& ec,
              ApiFailure* failure = nullptr);
void set_dacl(HANDLE object, const ACL* dacl, bool protect);

struct AccessCheckResult {
    std::uint32_t desired = 0;          // after MapGenericMask
    std::uint32_t granted = 0;          // desired & maximum_allowed: which asked-for rights are held
    std::uint32_t maximum_allowed = 0;  // AccessCheck(MAXIMUM_ALLOWED): everything the token gets
    bool all_granted = false;           // AccessCheck(desired) said yes
};

// The real AccessCheck of `token` (primary or impersonation: an impersonation duplicate is made)
// against `object`'s security descriptor, integrity label included, with the window station or
// desktop GENERIC_MAPPING.
// `object` needs READ_CONTROL. Generic rights in `desired` are mapped first.
[[nodiscard]] AccessCheckResult access_check(HANDLE token, HANDLE object, std::uint32_t desired,
                                             ObjectKind kind, std::error_code& ec,
                                             ApiFailure* failure = nullptr);
[[nodiscard]] AccessCheckResult access_check(HANDLE token, HANDLE object, std::uint32_t desired,
                                             ObjectKind kind);

// The GENERIC_MAPPING Windows uses for the kind (Microsoft Learn, "Window Station Security and
// Access Rights" / "Desktop Security and Access Rights"), from safelaunch/access_rights.hpp.
// `other`: generic rights map to standard rights only.
[[nodiscard]] GENERIC_MAPPING generic_mapping(ObjectKind kind) noexcept;

}  // namespace safelaunch::win32
