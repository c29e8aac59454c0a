// Issue 9 part 5: the ACE count and the distinct logon SIDs of a station's or desktop's DACL, and
// acl.<object>.logon_sid_pileup above kLogonSidPileupThreshold, on both sides of the boundary.
#include "safelaunch/analysis.hpp"
#include "safelaunch/dacl_census.hpp"
#include "safelaunch/json.hpp"
#include "snapshot_file.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace safelaunch {
namespace {

// A DACL with SYSTEM and `n` distinct logon SIDs (each with one ACE), plus a repeat of the first.
std::string dacl_with_logon_sids(std::size_t n) {
    std::string sddl = "O:SYG:SYD:P(A;;0xf01ff;;;SY)";
    for (std::size_t i = 0; i < n; ++i) sddl += fmt::format("(A;;0x1ff;;;S-1-5-5-0-{})", 1000 + i);
    if (n > 0) sddl += "(A;;0x1;;;S-1-5-5-0-1000)";
    return sddl;
}

bool has(const std::vector<Finding>& findings, const std::string& id) {
    return std::any_of(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
}

// As in analysis_boundaries_test.cpp: a service's pre-flight with no findings at all.
Snapshot service_preflight() {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.exit.reset();
    return s;
}

TEST(DaclCensus, CountsAcesAndDistinctLogonSids) {
    const auto c = dacl_census("O:SYG:SYD:P(A;;0x37f;;;S-1-5-5-0-310744)(A;;0xf037f;;;SY)(A;;0x37f;;;BA)"
                               "(D;;0x2;;;S-1-5-5-0-310744)(A;;0x1;;;S-1-5-5-1-2)(A;;0x1;;;S-1-5-21-1-2-3-1001)");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->aces, 6u);
    EXPECT_EQ(c->logon_sids, (std::vector<std::string>{"S-1-5-5-0-310744", "S-1-5-5-1-2"}));
}

TEST(DaclCensus, NotLogonSidsThatOnlyLookAlike) {
    // S-1-5-5 with two sub-authorities only, S-1-5-5-X-Y-Z, and another authority.
    const auto c = dacl_census("D:(A;;0x1;;;S-1-5-5-0)(A;;0x1;;;S-1-5-5-0-1-2)(A;;0x1;;;S-1-16-5-0-1)");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->aces, 3u);
    EXPECT_TRUE(c->logon_sids.empty());
}

TEST(DaclCensus, NothingToCountWithoutADacl) {
    EXPECT_FALSE(dacl_census("O:SYG:SY"));                  // absent
    EXPECT_FALSE(dacl_census("D:NO_ACCESS_CONTROL"));       // NULL
    EXPECT_FALSE(dacl_census("D:(X;;;"));                   // unreadable
    const auto empty = dacl_census("D:P");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->aces, 0u);
}

TEST(DaclCensus, PileupWarnsAboveTheThresholdOnly) {
    const auto at = dacl_census(dacl_with_logon_sids(kLogonSidPileupThreshold));
    ASSERT_TRUE(at);
    EXPECT_EQ(at->logon_sids.size(), kLogonSidPileupThreshold) << "the repeated SID counts once";
    EXPECT_FALSE(logon_sid_pileup(*at, "desktop", "desktop WinSta0\\Default"));
    const auto above = dacl_census(dacl_with_logon_sids(kLogonSidPileupThreshold + 1));
    const auto f = logon_sid_pileup(*above, "desktop", "desktop WinSta0\\Default");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->id, "acl.desktop.logon_sid_pileup");
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_NE(f->message.find("9 distinct logon SIDs"), std::string::npos) << f->message;
    EXPECT_NE(f->evidence.find(fmt::format("{} ACEs", kLogonSidPileupThreshold + 3)), std::string::npos) << f->evidence;
    EXPECT_NE(f->evidence.find("and 4 more"), std::string::npos) << f->evidence;
}

TEST(DaclCensus, AnalyzeWarnsForEachCrowdedObject) {
    auto s = service_preflight();
    s.target.desktop_facts.sddl = dacl_with_logon_sids(kLogonSidPileupThreshold);
    s.target.station_facts.sddl = dacl_with_logon_sids(kLogonSidPileupThreshold);
    auto a = analyze(s);
    EXPECT_FALSE(has(a.preflight, "acl.desktop.logon_sid_pileup"));
    EXPECT_FALSE(has(a.preflight, "acl.station.logon_sid_pileup"));

    s.target.desktop_facts.sddl = dacl_with_logon_sids(kLogonSidPileupThreshold + 1);
    a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "acl.desktop.logon_sid_pileup"));
    EXPECT_FALSE(has(a.preflight, "acl.station.logon_sid_pileup"));
    EXPECT_EQ(a.verdict, Verdict::warn);

    s.target.station_facts.sddl = dacl_with_logon_sids(kLogonSidPileupThreshold + 1);
    EXPECT_TRUE(has(analyze(s).preflight, "acl.station.logon_sid_pileup"));
}

TEST(DaclCensus, CleanSnapshotsStayFindingFree) {
    const auto a = analyze(service_preflight());
    EXPECT_TRUE(a.preflight.empty());
    for (const char* name : {"healthy-interactive.json", "service-heap-exhausted.json", "runas-winsta0-denied.json"}) {
        const auto s = test::load_snapshot(name);
        const auto all = analyze(s).all_findings();
        EXPECT_FALSE(has(all, "acl.desktop.logon_sid_pileup")) << name;
        EXPECT_FALSE(has(all, "acl.station.logon_sid_pileup")) << name;
    }
}

TEST(DaclCensus, CountsAreInTheFactsJsonAndNotReadBack) {
    auto s = service_preflight();
    const nlohmann::json j = s.target.desktop_facts;
    EXPECT_EQ(j.at("dacl_aces"), 2);
    EXPECT_EQ(j.at("dacl_logon_sids"), 1);
    const auto back = j.get<UserObjectFacts>();
    EXPECT_EQ(back.sddl, s.target.desktop_facts.sddl);
    s.target.desktop_facts.sddl.reset();
    const nlohmann::json none = s.target.desktop_facts;
    EXPECT_FALSE(none.contains("dacl_aces"));
}

}  // namespace
}  // namespace safelaunch
