#include "safelaunch/win32/security.hpp"

#include "safelaunch/win32/token.hpp"
#include "win32/api_failure.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <vector>

namespace safelaunch::win32 {
namespace {

// The documented values (Microsoft Learn, "Window Station Security and Access Rights" and
// "Desktop Security and Access Rights", generic rights tables); Wine's server/winstation.c agrees.
static_assert(kWindowStationMapping.read == 0x20303 && kWindowStationMapping.write == 0x2001C &&
              kWindowStationMapping.execute == 0x20060 && kWindowStationMapping.all == 0xF037F);
static_assert(kDesktopMapping.read == 0x20041 && kDesktopMapping.write == 0x200BE &&
              kDesktopMapping.execute == 0x20100 && kDesktopMapping.all == 0xF01FF);

constexpr SECURITY_INFORMATION kOwnerGroupDacl =
    OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
// With the mandatory integrity label (the SACL's ML ACE): AccessCheck applies it only when the SD
// it is given holds it, and a missing label means Medium. Reading it needs READ_CONTROL only
// (SECURITY_INFORMATION, "Right required to query"), not ACCESS_SYSTEM_SECURITY.
constexpr SECURITY_INFORMATION kOwnerGroupDaclLabel = kOwnerGroupDacl | LABEL_SECURITY_INFORMATION;

// GetSecurityInfo returns its error code instead of setting the last error. `info` says which
// parts were read: before Vista there are no labels and the flag is refused.
unique_hlocal read_sd(HANDLE object, std::error_code& ec, ApiFailure* failure,
                      SECURITY_INFORMATION* info = nullptr) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    SECURITY_INFORMATION wanted = kOwnerGroupDaclLabel;
    DWORD e = ::GetSecurityInfo(object, SE_WINDOW_OBJECT, wanted, nullptr, nullptr, nullptr, nullptr, &sd);
    if (e == ERROR_INVALID_PARAMETER) {
        wanted = kOwnerGroupDacl;
        e = ::GetSecurityInfo(object, SE_WINDOW_OBJECT, wanted, nullptr, nullptr, nullptr, nullptr, &sd);
    }
    if (info) *info = wanted;
    unique_hlocal owner(sd);
    if (e != ERROR_SUCCESS) {
        detail::fail(ec, failure, "GetSecurityInfo", "window object", e);
        return {};
    }
    return owner;
}

// One AccessCheck; false with ec set when the call itself failed (not when access is denied).
bool check(PSECURITY_DESCRIPTOR sd, HANDLE imp, DWORD desired, const GENERIC_MAPPING& mapping,
           DWORD& granted, BOOL& status, std::error_code& ec, ApiFailure* failure) {
    std::vector<DWORD> privileges(64);  // DWORD-aligned PRIVILEGE_SET buffer
    DWORD length = static_cast<DWORD>(privileges.size() * sizeof(DWORD));
    auto mapping_copy = mapping;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (::AccessCheck(sd, imp, desired, &mapping_copy,
                          reinterpret_cast<PPRIVILEGE_SET>(privileges.data()), &length, &granted, &status))
            return true;
        const DWORD e = ::GetLastError();
        if (e == ERROR_INSUFFICIENT_BUFFER && attempt == 0) {
            privileges.resize(length / sizeof(DWORD) + 1);
            continue;
        }
        detail::fail(ec, failure, "AccessCheck", "window object", e);
        return false;
    }
    return false;
}

}  // namespace

std::string sid_to_string(PSID sid) {
    LPWSTR text = nullptr;
    if (!sid || !::ConvertSidToStringSidW(sid, &text)) return {};
    const unique_hlocal owner(text);
    return detail::narrow(text);
}

GENERIC_MAPPING generic_mapping(ObjectKind kind) noexcept {
    const GenericMapping m = generic_mapping_for(kind);
    return GENERIC_MAPPING{m.read, m.write, m.execute, m.all};
}

SddlText get_sddl(HANDLE object, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    SECURITY_INFORMATION info = 0;
    const auto sd = read_sd(object, ec, failure, &info);
    if (ec) return {};
    auto* psd = static_cast<PSECURITY_DESCRIPTOR>(sd.get());
    PSID owner = nullptr, group = nullptr;
    BOOL defaulted = FALSE, dacl_present = FALSE;
    PACL dacl = nullptr;
    ::GetSecurityDescriptorOwner(psd, &owner, &defaulted);
    ::GetSecurityDescriptorGroup(psd, &group, &defaulted);
    ::GetSecurityDescriptorDacl(psd, &dacl_present, &dacl, &defaulted);

    SddlText out;
    out.sd_present = owner || group || dacl_present;
    LPWSTR text = nullptr;
    if (!::ConvertSecurityDescriptorToStringSecurityDescriptorW(psd, SDDL_REVISION_1, info, &text, nullptr)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "ConvertSecurityDescriptorToStringSecurityDescriptorW", "window object", e);
        return {};
    }
    const unique_hlocal text_owner(text);
    out.sddl = detail::narrow(text);
    return out;
}

SddlText get_sddl(HANDLE object) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return get_sddl(object, ec, f); });
}

void set_dacl(HANDLE object, const ACL* dacl, bool protect, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const SECURITY_INFORMATION info =
        DACL_SECURITY_INFORMATION | (protect ? PROTECTED_DACL_SECURITY_INFORMATION : 0);
    const DWORD e = ::SetSecurityInfo(object, SE_WINDOW_OBJECT, info, nullptr, nullptr,
                                      const_cast<PACL>(dacl), nullptr);
    if (e != ERROR_SUCCESS) detail::fail(ec, failure, "SetSecurityInfo", "window object DACL", e);
}

void set_dacl(HANDLE object, const ACL* dacl, bool protect) {
    detail::or_throw([&](std::error_code& ec, ApiFailure* f) { set_dacl(object, dacl, protect, ec, f); });
}

void set_dacl_from_sddl(HANDLE object, std::string_view sddl, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto wide = detail::widen(sddl);
    PSECURITY_DESCRIPTOR psd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(wide.c_str(), SDDL_REVISION_1, &psd, nullptr)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
                     "SDDL " + std::string(sddl), e);
        return;
    }
    const unique_hlocal owner(psd);
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    if (!::GetSecurityDescriptorDacl(psd, &present, &dacl, &defaulted) ||
        !::GetSecurityDescriptorControl(psd, &control, &revision)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "GetSecurityDescriptorDacl", "SDDL " + std::string(sddl), e);
        return;
    }
    if (!present) {  // no D: part: nothing to set, and a NULL DACL would open the object to all
        detail::fail(ec, failure, "set_dacl_from_sddl", "SDDL without D: part: " + std::string(sddl),
                     ERROR_INVALID_PARAMETER);
        return;
    }
    set_dacl(object, dacl, (control & SE_DACL_PROTECTED) != 0, ec, failure);
}

void set_dacl_from_sddl(HANDLE object, std::string_view sddl) {
    detail::or_throw([&](std::error_code& ec, ApiFailure* f) { set_dacl_from_sddl(object, sddl, ec, f); });
}

AccessCheckResult access_check(HANDLE token, HANDLE object, std::uint32_t desired, ObjectKind kind,
                               std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (kind == ObjectKind::other) {
        detail::fail(ec, failure, "access_check", "object of kind other: no window object mapping",
                     ERROR_INVALID_PARAMETER);
        return {};
    }
    const auto sd = read_sd(object, ec, failure);
    if (ec) return {};
    // AccessCheck takes only an impersonation token; a duplicate works for primary ones too.
    const auto imp = make_impersonation_duplicate(token, ec, failure);
    if (ec) return {};
    const GENERIC_MAPPING mapping = generic_mapping(kind);
    AccessCheckResult result;
    DWORD mapped = desired;
    ::MapGenericMask(&mapped, const_cast<GENERIC_MAPPING*>(&mapping));
    result.desired = mapped;

    DWORD maximum = 0, granted = 0;
    BOOL status = FALSE;
    auto* psd = static_cast<PSECURITY_DESCRIPTOR>(sd.get());
    if (!check(psd, imp.get(), MAXIMUM_ALLOWED, mapping, maximum, status, ec, failure)) return {};
    result.maximum_allowed = status ? maximum : 0;
    if (!check(psd, imp.get(), mapped, mapping, granted, status, ec, failure)) return {};
    result.all_granted = status != FALSE;
    result.granted = result.all_granted ? mapped : (mapped & result.maximum_allowed);
    return result;
}

AccessCheckResult access_check(HANDLE token, HANDLE object, std::uint32_t desired, ObjectKind kind) {
    return detail::or_throw(
        [&](std::error_code& ec, ApiFailure* f) { return access_check(token, object, desired, kind, ec, f); });
}

}  // namespace safelaunch::win32
