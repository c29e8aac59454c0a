#include "safelaunch/access_rights.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(AccessRights, ValuesMatchWinuserH) {
    EXPECT_EQ(rights::kWinstaAllAccess, 0x37Fu);
    EXPECT_EQ(rights::kWinstaEnumDesktops | rights::kWinstaReadAttributes | rights::kWinstaAccessClipboard |
                  rights::kWinstaCreateDesktop | rights::kWinstaWriteAttributes | rights::kWinstaAccessGlobalAtoms |
                  rights::kWinstaExitWindows | rights::kWinstaEnumerate | rights::kWinstaReadScreen,
              rights::kWinstaAllAccess);
    EXPECT_EQ(rights::kDesktopSwitchDesktop, 0x100u);
    EXPECT_EQ(rights::kStandardRightsRequired,
              rights::kDelete | rights::kReadControl | rights::kWriteDac | rights::kWriteOwner);
}

// Default service-account grants (platform-facts.md); the same masks a public Windows 11 field note
// measured as the "action masks" 0x6E (station) and 0xCF (desktop).
TEST(AccessRights, User32BaselinesAreTheServiceAccountDefaults) {
    EXPECT_EQ(rights::kUser32StationBaseline, 0xF006Eu);
    EXPECT_EQ(rights::kUser32DesktopBaseline, 0xF00CFu);
}

struct MappingCase {
    ObjectKind kind;
    std::uint32_t generic;
    std::uint32_t expected;
};

class GenericMappingTable : public ::testing::TestWithParam<MappingCase> {};

// Microsoft Learn "Window Station Security and Access Rights" / "Desktop Security and Access
// Rights" generic-rights tables.
TEST_P(GenericMappingTable, MapsAsWindowsDocuments) {
    const auto& c = GetParam();
    EXPECT_EQ(map_generic(c.generic, generic_mapping_for(c.kind)), c.expected)
        << describe_rights(map_generic(c.generic, generic_mapping_for(c.kind)), c.kind);
}

INSTANTIATE_TEST_SUITE_P(
    StationAndDesktop, GenericMappingTable,
    ::testing::Values(MappingCase{ObjectKind::window_station, rights::kGenericRead, 0x20303},
                      MappingCase{ObjectKind::window_station, rights::kGenericWrite, 0x2001C},
                      MappingCase{ObjectKind::window_station, rights::kGenericExecute, 0x20060},
                      MappingCase{ObjectKind::window_station, rights::kGenericAll, 0xF037F},
                      MappingCase{ObjectKind::desktop, rights::kGenericRead, 0x20041},
                      MappingCase{ObjectKind::desktop, rights::kGenericWrite, 0x200BE},
                      MappingCase{ObjectKind::desktop, rights::kGenericExecute, 0x20100},
                      MappingCase{ObjectKind::desktop, rights::kGenericAll, 0xF01FF},
                      MappingCase{ObjectKind::other, rights::kGenericAll, 0xF0000}));

TEST(AccessRights, MapGenericKeepsSpecificBitsAndDropsGenericOnes) {
    EXPECT_EQ(map_generic(rights::kGenericRead | rights::kWinstaCreateDesktop | rights::kMaximumAllowed,
                          kWindowStationMapping),
              0x20303u | rights::kWinstaCreateDesktop | rights::kMaximumAllowed);
    EXPECT_EQ(map_generic(0, kDesktopMapping), 0u);
}

TEST(AccessRights, DescribeNamesBitsPerObjectKindAndKeepsUnknownBitsAsHex) {
    EXPECT_EQ(describe_rights(rights::kWinstaAccessClipboard | rights::kReadControl | 0x400, ObjectKind::window_station),
              "WINSTA_ACCESSCLIPBOARD|READ_CONTROL|0x400");
    EXPECT_EQ(describe_rights(0x3, ObjectKind::desktop), "DESKTOP_READOBJECTS|DESKTOP_CREATEWINDOW");
    EXPECT_EQ(describe_rights(0x3 | rights::kGenericAll, ObjectKind::other), "GENERIC_ALL|0x3");
    EXPECT_EQ(describe_rights(0, ObjectKind::desktop), "0");
}

}  // namespace
}  // namespace safelaunch
