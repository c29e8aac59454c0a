// ScopedGrant: hold a share of a safelaunch ACE that gives exactly one logon SID exactly the rights
// it lacks on one window station or desktop, for as long as the grant lives (C4).
//
// Share counting (safelaunch/grant_share.hpp): under the object's cross-process lock
// (grant_lock.hpp), the first launcher adds one ACCESS_ALLOWED ACE; a launcher that finds that
// safelaunch ACE present joins it; the ACE goes with the last share. A revert removes exactly that
// one ACE when it is the last share, and never writes a saved DACL back: whatever else changed in
// the meantime (an administrator's ACE) stays. Access that exists without a safelaunch grant is not
// ours: with `access_token` set, such an object gets no share and no ACE (an inactive grant).
//
// Crash safety: each share is journaled (win32/grant_journal.hpp) before the ACE is added or joined,
// and the entry is deleted after the revert, so a launcher killed in between leaves an entry from
// which repair_stale_grants() takes the ACE back once no live share is left. Nothing here depends
// on the handle the caller passed (the grant holds its own duplicate).
//
// An unjournaled grant (journal false, or a name that does not name the object in full) cannot be
// counted: it adds its own ACE and its revert removes one matching ACE.
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
    // The token the child will run with. When set, whether access is missing is decided by
    // AccessCheck under the object's lock: a token that already has the rights gets no ACE (and a
    // share only of a safelaunch ACE it relies on). When null, access is taken to be missing.
    HANDLE access_token = nullptr;
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

    // Releases this share under the object's lock: removes the one ACE when no other live share
    // holds it, then deletes the journal entry. No-op when not active. When only the deletion fails,
    // ec says so but the grant is no longer active (a repair later deletes the entry).
    void revert(std::error_code& ec, ApiFailure* failure = nullptr);
    void revert();

    [[nodiscard]] bool active() const noexcept { return active_; }
    // This share added the ACE (false: it joined a safelaunch ACE another launcher had added).
    [[nodiscard]] bool added_ace() const noexcept { return added_ace_; }
    [[nodiscard]] const std::string& object_name() const noexcept { return object_name_; }
    [[nodiscard]] const std::string& sid() const noexcept { return sid_; }
    [[nodiscard]] std::uint32_t mask() const noexcept { return mask_; }
    [[nodiscard]] ObjectKind kind() const noexcept { return kind_; }
    // The DACL as found under the lock, for the journal and for people; never written back.
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
    bool active_ = false;
    bool added_ace_ = false;
    ObjectKind kind_ = ObjectKind::desktop;
    std::string object_name_;
    std::string sid_;
    std::uint32_t mask_ = 0;
    std::string prior_sddl_;
    std::string journal_path_;
    std::string journal_dir_;
};

// Takes a share of (request.sid, request.mask) on the object; the first share adds one
// ACCESS_ALLOWED ACE after the explicit deny ACEs. The handle needs READ_CONTROL | WRITE_DAC. The
// result is inactive, with ec clear, when request.access_token already has the rights without a
// safelaunch ACE. Refused (ERROR_INVALID_SID) for SIDs grant_sid_refusal rejects,
// (ERROR_INVALID_ACL) for an object with a NULL or absent DACL (an ACE would *restrict* it), and
// (ERROR_INVALID_PARAMETER) for an empty mask.
[[nodiscard]] ScopedGrant grant_access(HDESK desktop, const GrantRequest& request, std::error_code& ec,
                                       ApiFailure* failure = nullptr);
[[nodiscard]] ScopedGrant grant_access(HDESK desktop, const GrantRequest& request);
[[nodiscard]] ScopedGrant grant_access(HWINSTA station, const GrantRequest& request, std::error_code& ec,
                                       ApiFailure* failure = nullptr);
[[nodiscard]] ScopedGrant grant_access(HWINSTA station, const GrantRequest& request);

}  // namespace safelaunch::win32
