#include "safelaunch/dacl_census.hpp"

#include "safelaunch/sddl.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

namespace safelaunch {
std::optional<DaclCensus> dacl_census(std::string_view sddl) {
    std::error_code ec;
    const auto sd = parse_sddl(sddl, ec);
    if (!sd || !sd->dacl || sd->dacl->is_null) return std::nullopt;
    DaclCensus census;
    census.aces = static_cast<std::uint32_t>(sd->dacl->aces.size());
    for (const auto& ace : sd->dacl->aces) {
        if (!is_logon_sid(ace.sid)) continue;
        auto text = ace.sid.to_string();
        if (std::find(census.logon_sids.begin(), census.logon_sids.end(), text) == census.logon_sids.end())
            census.logon_sids.push_back(std::move(text));
    }
    return census;
}

std::optional<Finding> logon_sid_pileup(const DaclCensus& census, std::string_view prefix, std::string_view label) {
    const auto n = census.logon_sids.size();
    if (n <= kLogonSidPileupThreshold) return std::nullopt;
    constexpr std::size_t kShown = 5;
    std::string shown;
    for (std::size_t i = 0; i < std::min(n, kShown); ++i) shown += (i ? ", " : "") + census.logon_sids[i];
    if (n > kShown) shown += fmt::format(", and {} more", n - kShown);
    return Finding{fmt::format("acl.{}.logon_sid_pileup", prefix), Severity::warning,
                   fmt::format("the DACL of {} grants {} distinct logon SIDs (more than {}): some launcher adds an ACE "
                               "per logon session and never takes it back",
                               label, n, kLogonSidPileupThreshold),
                   fmt::format("{} ACEs in the DACL; logon SIDs (S-1-5-5-X-Y): {}", census.aces, shown),
                   "find the launcher that grants logon SIDs without revoking them (code after KB 165194 that never "
                   "removes its ACE); `safelaunch repair` takes back safelaunch's own stale grants; ACEs of logon "
                   "sessions that have ended can be removed. The ACL is capped at 64 KiB: once full, grants fail"};
}

}  // namespace safelaunch
