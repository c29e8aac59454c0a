// JSON forms of the facts added for issue 10 (M3, M9, m4, m7), and how older snapshots read.
#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

Snapshot round_trip(const Snapshot& s) {
    Snapshot back;
    std::string error;
    EXPECT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
    return back;
}

TEST(FactsJson, UnknownExistenceIsNullAndReadsBack) {
    Snapshot s;
    s.target.desktop_facts.exists_known = false;
    const auto j = nlohmann::json(s);
    EXPECT_TRUE(j["target"]["desktop_facts"]["exists"].is_null());
    EXPECT_EQ(j["target"]["station_facts"]["exists"], false);
    const auto back = round_trip(s);
    EXPECT_FALSE(back.target.desktop_facts.exists_known);
    EXPECT_FALSE(back.target.desktop_facts.exists);
    EXPECT_TRUE(back.target.station_facts.exists_known);
}

TEST(FactsJson, AccessMaximumRoundTrips) {
    Snapshot s;
    s.target.desktop_facts.access_maximum = 0x20000;
    EXPECT_EQ(round_trip(s).target.desktop_facts.access_maximum, 0x20000u);
    s.target.desktop_facts.access_maximum = 0;
    EXPECT_EQ(round_trip(s).target.desktop_facts.access_maximum, 0u) << "0 (nothing granted) is not null";
}

TEST(FactsJson, DesktopHeapSizesArePerDesktopWithNulls) {
    Snapshot s;
    s.system.stations = {StationFacts{"WinSta0", true, {"Default", "Winlogon"}, {20480, std::nullopt}}};
    const auto j = nlohmann::json(s);
    EXPECT_EQ(j["system"]["stations"][0]["desktop_heap_kb"].dump(), "[20480,null]");
    const auto back = round_trip(s);
    ASSERT_EQ(back.system.stations[0].desktop_heap_kb.size(), 2u);
    EXPECT_EQ(back.system.stations[0].desktop_heap_kb[0], 20480u);
    EXPECT_FALSE(back.system.stations[0].desktop_heap_kb[1]);

    Snapshot bad;
    std::string error;
    EXPECT_FALSE(snapshot_from_json_text(R"({"system":{"stations":[{"desktop_heap_kb":[-1]}]}})", bad, error));
    EXPECT_NE(error.find("desktop_heap_kb"), std::string::npos) << error;
    EXPECT_FALSE(snapshot_from_json_text(R"({"system":{"stations":[{"desktop_heap_kb":5}]}})", bad, error));
}

TEST(FactsJson, CanaryKeepsWhetherItRanAndItsReport) {
    Snapshot s;
    CanaryFacts c{6, 8000, false, "exited 6"};
    c.report = R"({"probe":"safelaunch-probe","result":"handle_quota"})";
    s.canary = c;
    auto back = round_trip(s);
    ASSERT_TRUE(back.canary);
    EXPECT_TRUE(back.canary->ran);
    EXPECT_EQ(back.canary->report, c.report);
    s.canary->ran = false;
    s.canary->report.reset();
    back = round_trip(s);
    EXPECT_FALSE(back.canary->ran);
    EXPECT_FALSE(back.canary->report);
}

TEST(FactsJson, OlderSnapshotsReadWithTheDefaults) {
    Snapshot s;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(
        R"({"target":{"desktop_facts":{"exists":true}},"canary":{"exit_code":0},)"
        R"("system":{"stations":[{"name":"WinSta0","desktops":["Default"],"desktop_heap_kb":[]}]}})",
        s, error))
        << error;
    EXPECT_TRUE(s.target.desktop_facts.exists);
    EXPECT_TRUE(s.target.desktop_facts.exists_known);
    EXPECT_TRUE(s.target.station_facts.exists_known) << "no key: the default";
    EXPECT_FALSE(s.target.desktop_facts.access_maximum);
    ASSERT_TRUE(s.canary);
    EXPECT_TRUE(s.canary->ran);
    EXPECT_TRUE(s.system.stations[0].desktop_heap_kb.empty());
}

}  // namespace
}  // namespace safelaunch
