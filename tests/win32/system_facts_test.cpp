// System facts: OS/Wine, the SubSystems registry value, stations and desktops, Win32k events.
#include "safelaunch/win32/system_facts.hpp"

#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sl = safelaunch;
namespace w = safelaunch::win32;

namespace {

// Independent of wine_get_version: only a Wine prefix has HKCU\Software\Wine.
bool has_wine_registry_key() {
    w::unique_hkey key;
    return ::RegOpenKeyExW(HKEY_CURRENT_USER, L"Software\\Wine", 0, KEY_READ, key.put()) == ERROR_SUCCESS;
}

}  // namespace

TEST(SystemFacts, OsVersionIsReadAndWineIsDetected) {
    const auto os = w::gather_os_facts();
    EXPECT_GE(os.major, 6u);
    EXPECT_GT(os.build, 0u);
    EXPECT_TRUE(os.x64) << "64-bit test executable";
    EXPECT_EQ(os.wine_version.has_value(), has_wine_registry_key());
    if (os.wine_version) {
        EXPECT_FALSE(os.wine_version->empty());
    }
}

TEST(SystemFacts, SubSystemsValuesAreReadOrAbsentUnderWine) {
    std::error_code ec;
    sl::ApiFailure failure;
    const auto values = w::read_subsystems_values(ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    if (w::wine_version()) {
        EXPECT_FALSE(values.windows) << "Wine has no SubSystems key";
        EXPECT_FALSE(values.stray_shared_section);
        return;
    }
    ASSERT_TRUE(values.windows);
    EXPECT_NE(values.windows->find("SharedSection="), std::string::npos) << *values.windows;
}

TEST(SystemFacts, StationsIncludeOwnStationWithItsDesktop) {
    std::error_code ec;
    sl::ApiFailure failure;
    const auto stations = w::gather_station_facts(ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    const auto own = w::process_window_station_name();
    const auto it = std::find_if(stations.begin(), stations.end(), [&](const auto& s) { return s.name == own; });
    ASSERT_NE(it, stations.end()) << own;
    EXPECT_NE(std::find(it->desktops.begin(), it->desktops.end(), w::thread_desktop_name()), it->desktops.end());
    if (w::wine_version()) {
        EXPECT_TRUE(it->desktop_heap_kb.empty()) << "UOI_HEAPSIZE fails under Wine";
    } else {
        EXPECT_EQ(it->desktop_heap_kb.size(), it->desktops.size());
    }
}

TEST(SystemFacts, DesktopHeapEventsAreReadOrSkippedWhereEvtQueryIsAStub) {
    std::error_code ec;
    sl::ApiFailure failure;
    const auto events = w::query_desktop_heap_events(std::chrono::hours(24 * 30), ec, &failure);
    if (w::wine_version()) {
        EXPECT_TRUE(ec) << "observed: Wine 8's EvtQuery is a stub that returns NULL";
    }
    if (ec) {
        EXPECT_EQ(failure.api, "EvtQuery");
        const auto facts = w::gather_system_facts();
        EXPECT_FALSE(facts.events);
        ASSERT_TRUE(facts.events_error);
        EXPECT_NE(facts.events_error->find("EvtQuery"), std::string::npos) << *facts.events_error;
        GTEST_SKIP() << "EvtQuery failed here (a stub under Wine): " << failure.describe();
    }
    for (const auto& e : events) {
        EXPECT_TRUE(e.id == 243 || e.id == 244) << e.id;
        EXPECT_EQ(e.source, "Win32k");
        EXPECT_FALSE(e.time_utc.empty());
    }
}

TEST(SystemFacts, GatherSystemFactsFillsOsAndStations) {
    const auto facts = w::gather_system_facts();
    EXPECT_GT(facts.os.major, 0u);
    EXPECT_FALSE(facts.stations.empty());
    EXPECT_NE(facts.events.has_value(), facts.events_error.has_value());
}
