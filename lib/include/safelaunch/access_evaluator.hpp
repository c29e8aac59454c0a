// An offline model of AccessCheck: which rights a token (TokenFacts) gets on an object whose
// security descriptor was parsed from SDDL, and why each missing right is missing.
//
// It serves analysis of snapshots taken elsewhere and tests. On Windows the real AccessCheck
// (done by the Win32 layer) stays authoritative; where both exist, trust the real one.
//
// Rules modelled, in AccessCheck's order:
//  - The DACL: absent (no D:) or NULL (D:NO_ACCESS_CONTROL) grants everything asked; an empty
//    DACL grants nothing but the owner's implicit rights.
//  - The owner (the token's user SID or an enabled group equals the SD's owner) gets READ_CONTROL
//    and WRITE_DAC before the DACL is walked, so no deny ACE takes them away, unless the DACL has
//    an effective OWNER RIGHTS (S-1-3-4) ACE: then OW ACEs (which match the owner) replace them.
//  - ACEs in order; inherit-only (IO) ACEs do not apply to the object. Per right, the first ACE
//    that names it decides: an allow ACE grants it, a deny ACE denies it. Allow ACEs match the user
//    SID and enabled groups; deny ACEs also match deny-only groups; disabled groups match nothing.
//    CREATOR OWNER / CREATOR GROUP in an effective ACE match nobody (they only matter when
//    inherited). Generic rights in ACEs and in the request are mapped with the object's mapping.
//  - ACE types: A and D; OA/OD only without an object GUID (with one they need an object type list,
//    which AccessCheck does not have); XD (conditional deny) is applied as a plain deny because the
//    condition is not evaluated (deny wins when unsure); XA/ZA are not applied; AU/ML/... are not
//    DACL ACEs. Skipped ACEs are listed in the notes.
//  - MAXIMUM_ALLOWED: every right the walk grants.
//  - Restricted tokens (TokenFacts::restricted_sids non-empty): a second walk with the restricted
//    SIDs in place of the user and groups; a right is granted only if both walks grant it.
//  - Mandatory integrity, simply: the SACL's first effective ML ACE (none = Medium, no-write-up);
//    if the token's level is below it, NW withholds the write mapping + DELETE, WRITE_DAC,
//    WRITE_OWNER; NR the read mapping; NX the execute mapping (READ_CONTROL and SYNCHRONIZE are
//    withheld only by NR). No token integrity in the facts: not checked (noted).
//  - Privileges are not in the facts: ACCESS_SYSTEM_SECURITY is reported as needing
//    SeSecurityPrivilege; SeTakeOwnershipPrivilege and the like are not modelled.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/sddl.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// What decided one right.
enum class RightSource {
    ace,               // ACE #ace_index: granted (allow ACE) or denied (deny ACE)
    owner_implicit,    // READ_CONTROL / WRITE_DAC of the owner
    absent_dacl,       // the SD has no DACL
    null_dacl,         // D:NO_ACCESS_CONTROL
    no_ace,            // no ACE grants it (not granted)
    integrity_policy,  // the mandatory label withholds it
    privilege,         // needs a privilege the facts do not model (not granted)
};

enum class AccessPass { normal, restricted };

struct RightDecision {
    std::uint32_t right = 0;  // one bit
    bool granted = false;
    RightSource source = RightSource::no_ace;
    AccessPass pass = AccessPass::normal;  // the walk that decided the outcome
    std::optional<std::size_t> ace_index;  // 0-based index in the DACL, for RightSource::ace
    std::string ace_sid;                   // that ACE's SID, SDDL form ("RC", "S-1-5-5-0-123")

    // "DESKTOP_CREATEWINDOW: denied by ACE #0 (RC) in the restricted-SID pass"
    [[nodiscard]] std::string describe(ObjectKind kind) const;
};

struct AccessCheckResult {
    std::uint32_t desired = 0;  // the request after generic mapping (MAXIMUM_ALLOWED kept)
    // The requested rights this token gets; with MAXIMUM_ALLOWED, every right it gets. Unlike
    // AccessCheck (0 on failure) this stays the partial set when `allowed` is false.
    std::uint32_t granted = 0;
    bool allowed = false;  // AccessCheck's AccessStatus
    // One per requested bit in bit order, then (MAXIMUM_ALLOWED) one per further granted bit.
    std::vector<RightDecision> rights;
    std::vector<std::string> notes;  // modelling limits met on the way ("ACE #3 (XA) not applied")

    // Requested rights not granted.
    [[nodiscard]] std::uint32_t missing() const noexcept;
    [[nodiscard]] const RightDecision* decision(std::uint32_t right) const noexcept;
    // One line: "granted WINSTA_...|READ_CONTROL; missing: X: no ACE grants it; Y: denied by ..."
    [[nodiscard]] std::string describe(ObjectKind kind) const;
};

[[nodiscard]] AccessCheckResult evaluate_access(const SecurityDescriptor& sd, const TokenFacts& token,
                                                std::uint32_t desired, const GenericMapping& mapping);
[[nodiscard]] AccessCheckResult evaluate_access(const SecurityDescriptor& sd, const TokenFacts& token,
                                                std::uint32_t desired, ObjectKind kind);

}  // namespace safelaunch
