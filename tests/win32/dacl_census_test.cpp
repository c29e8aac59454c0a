// Issue 9 part 5 under Wine (GetSecurityInfo/SetSecurityInfo are real there): the desktop's DACL
// as gathered gives its ACE count and distinct logon SIDs in the facts JSON, and many logon SIDs
// give acl.desktop.logon_sid_pileup; a desktop with few stays without it.
#include "safelaunch/dacl_census.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch::win32 {
namespace {

bool has_finding(const Preflight& p, const std::string& id) {
    const auto& f = p.analysis.preflight;
    return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.id == id; });
}

// A desktop of our own in WinSta0: everyone in (so access findings stay out of the way) plus
// `logon_sids` ACEs for made-up logon sessions, as a launcher that never revokes leaves them.
struct CrowdedDesktop {
    std::string name = test::unique_name("sl-crowded");
    unique_hdesk desk;
    explicit CrowdedDesktop(std::size_t logon_sids) {
        auto station = open_window_station("WinSta0", WINSTA_CREATEDESKTOP | WINSTA_ENUMDESKTOPS);
        desk = create_desktop(station.get(), name, std::nullopt, std::nullopt).desktop;
        std::string sddl = "D:P(A;;0xf01ff;;;SY)(A;;0xf01ff;;;WD)";
        for (std::size_t i = 0; i < logon_sids; ++i) sddl += fmt::format("(A;;0x1ff;;;S-1-5-5-0-{})", 70000 + i);
        set_dacl_from_sddl(desk.get(), sddl);
    }
    LaunchRequest request() const {
        LaunchRequest r;
        r.program = test::child_path("child_exit");
        r.args = {"0"};
        r.desktop = "WinSta0\\" + name;
        return r;
    }
};

TEST(DaclCensus, ManyLogonSidsOnTheDesktopWarn) {
    const CrowdedDesktop d(kLogonSidPileupThreshold + 1);
    const auto p = preflight(d.request());
    ASSERT_TRUE(p.facts.target.desktop_facts.sddl) << "GetSecurityInfo reads the DACL under Wine";
    EXPECT_TRUE(has_finding(p, "acl.desktop.logon_sid_pileup"));
    const nlohmann::json j = p.facts.target.desktop_facts;
    EXPECT_EQ(j.at("dacl_aces"), kLogonSidPileupThreshold + 3) << j.dump();
    EXPECT_EQ(j.at("dacl_logon_sids"), kLogonSidPileupThreshold + 1);
}

TEST(DaclCensus, FewLogonSidsAreCountedWithoutAFinding) {
    const CrowdedDesktop d(kLogonSidPileupThreshold);
    const auto p = preflight(d.request());
    ASSERT_TRUE(p.facts.target.desktop_facts.sddl);
    EXPECT_FALSE(has_finding(p, "acl.desktop.logon_sid_pileup"));
    const nlohmann::json j = p.facts.target.desktop_facts;
    EXPECT_EQ(j.at("dacl_logon_sids"), kLogonSidPileupThreshold);
}

}  // namespace
}  // namespace safelaunch::win32
