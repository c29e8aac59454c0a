// ScopedGrant: give exactly one logon SID exactly the rights it lacks on one window station or
// desktop, for as long as the grant lives, and put the prior DACL back exactly afterwards.
//
// Crash safety: a grant is journaled (win32/grant_journal.hpp) before its ACE is added and the
// entry is deleted after the revert succeeded, so a launcher killed in between leaves an entry from
// which repair_stale_grants() removes the ACE later. Nothing here depends on the handle the caller
// passed (the grant holds its own duplicate).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/security.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace safelaunch::win32 {

struct GrantRequest {
    std::string object_name;            // for messages and the journal: "WinSta0\\Default"
    std::string sid;                    // S-1-5-5-X-Y (an SDDL alias is canonicalised first)
    std::uint32_t mask = 0;             // exactly these rights; generic rights are mapped
    bool allow_non_logon_sid = false;   // explicit override for a SID that is not S-1-5-5-X-Y
    // Journal the grant (grant_journal_dir()). Only a grant whose object_name names the object in
    // full ("Station\\Desk", or the station's name) and matches the handle's UOI_NAME can be found
    // again by a repair; for any other name the grant is made unjournaled (see ScopedGrant::journaled).
    // When the journal cannot be written the grant is refused: it could not be repaired after a crash.
    bool journal = true;
};

// Why `sid` (canonical "S-1-..." form) may not be granted, or nullopt when it may. Broad SIDs
// (Everyone, Users, Authenticated Users, Interactive, ...) are refused even with the override.
[[nodiscard]] std::optional<std::string> grant_sid_refusal(std::string_view sid, bool allow_non_logon_sid);

class ScopedGrant;
namespace detail {
ScopedGrant grant_access_impl(HANDLE object, ObjectKind kind, const GrantRequest& request,
                              std::error_code& ec, ApiFailure* failure);
}  // namespace detail

class ScopedGrant {
public:
    ScopedGrant() noexcept = default;
    ScopedGrant(const ScopedGrant&) = delete;
    ScopedGrant& operator=(const ScopedGrant&) = delete;
    ScopedGrant(ScopedGrant&& other) noexcept;
    ScopedGrant& operator=(ScopedGrant&& other) noexcept;  // reverts what this one held first
    ~ScopedGrant();                                        // reverts; a failure is swallowed

    // Restores the prior DACL exactly, then deletes the journal entry. No-op when not active. When
    // only the deletion fails, ec says so but the grant is no longer active (the DACL is restored;
    // a repair later finds no ACE for the entry and deletes it).
    void revert(std::error_code& ec, ApiFailure* failure = nullptr);
    void revert();

    [[nodiscard]] bool active() const noexcept { return active_; }
    [[nodiscard]] const std::string& object_name() const noexcept { return object_name_; }
    [[nodiscard]] const std::string& sid() const noexcept { return sid_; }
    [[nodiscard]] std::uint32_t mask() const noexcept { return mask_; }
    [[nodiscard]] ObjectKind kind() const noexcept { return kind_; }
    [[nodiscard]] const std::string& prior_sddl() const noexcept { return prior_sddl_; }
    // The journal entry's path while one exists; empty for an unjournaled grant.
    [[nodiscard]] const std::string& journal_path() const noexcept { return journal_path_; }
    [[nodiscard]] bool journaled() const noexcept { return !journal_path_.empty(); }

private:
    friend ScopedGrant detail::grant_access_impl(HANDLE, ObjectKind, const GrantRequest&,
                                                 std::error_code&, ApiFailure*);
    [[nodiscard]] HANDLE handle() const noexcept;

    unique_hdesk desktop_;        // exactly one of these two holds our duplicate of the object
    unique_hwinsta station_;
    unique_hlocal prior_sd_;      // GetSecurityInfo(DACL) result: owns the prior DACL
    const ACL* prior_dacl_ = nullptr;
    bool prior_protected_ = false;
    bool active_ = false;
    ObjectKind kind_ = ObjectKind::desktop;
    std::string object_name_;
    std::string sid_;
    std::uint32_t mask_ = 0;
    std::string prior_sddl_;
    std::string journal_path_;
};

// Adds one ACCESS_ALLOWED ACE (request.sid, request.mask) after the explicit deny ACEs. The handle
// needs READ_CONTROL | WRITE_DAC. Refused (ERROR_INVALID_SID) for SIDs grant_sid_refusal rejects,
// (ERROR_INVALID_ACL) for an object with a NULL or absent DACL (an ACE would *restrict* it), and
// (ERROR_INVALID_PARAMETER) for an empty mask.
[[nodiscard]] ScopedGrant grant_access(HDESK desktop, const GrantRequest& request, std::error_code& ec,
                                       ApiFailure* failure = nullptr);
[[nodiscard]] ScopedGrant grant_access(HDESK desktop, const GrantRequest& request);
[[nodiscard]] ScopedGrant grant_access(HWINSTA station, const GrantRequest& request, std::error_code& ec,
                                       ApiFailure* failure = nullptr);
[[nodiscard]] ScopedGrant grant_access(HWINSTA station, const GrantRequest& request);

}  // namespace safelaunch::win32
