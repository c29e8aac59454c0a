// How crowded a window station's or desktop's DACL is (issue 9 part 5): the ACE count, and the
// distinct logon SIDs (S-1-5-5-X-Y) it grants to. Launchers that follow KB 165194 add an ACE for
// each child's logon SID; the ones that never take it back leave one per logon session behind,
// until the ACL reaches its 64 KiB cap (~2,700 such ACEs) and every further grant fails.
#pragma once

#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

struct DaclCensus {
    std::uint32_t aces = 0;                // every ACE of the DACL
    std::vector<std::string> logon_sids;   // distinct logon SIDs with an ACE, in DACL order
};

// nullopt when the SDDL does not parse or has no DACL (absent or NULL: nothing to count).
[[nodiscard]] std::optional<DaclCensus> dacl_census(std::string_view sddl);

// A DACL granting more distinct logon SIDs than this warns (acl.<object>.logon_sid_pileup). A
// healthy WinSta0 or Default names one (the session's user), two or three while a RunAs
// (Secondary Logon) child or a launcher's scoped grant is alive; a service's station names its own.
// Nine or more logon sessions at once on one object means ACEs are added and never taken back.
inline constexpr std::size_t kLogonSidPileupThreshold = 8;

// The warning for one object ("station" / "desktop", `label` "desktop WinSta0\\Default"), or
// nullopt while at most kLogonSidPileupThreshold logon SIDs are named.
[[nodiscard]] std::optional<Finding> logon_sid_pileup(const DaclCensus& census, std::string_view prefix,
                                                      std::string_view label);

}  // namespace safelaunch
