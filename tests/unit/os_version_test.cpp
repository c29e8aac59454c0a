#include "safelaunch/os_version.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(OsVersion, NamesAndNumbersParse) {
    struct Case {
        const char* text;
        std::uint32_t major, minor, build;
        bool x64;
    };
    const Case cases[] = {
        {"xp", 5, 1, 2600, false},       {"XP-x64", 5, 1, 2600, true},  {"2003", 5, 2, 3790, false},
        {"vista", 6, 0, 6001, true},     {"vista-rtm-x86", 6, 0, 6000, false}, {"7-x86", 6, 1, 7601, false},
        {"2012R2", 6, 3, 9600, true},    {"10", 10, 0, 19045, true},    {"11", 10, 0, 22631, true},
        {"6.1.7601", 6, 1, 7601, true},  {"5.1", 5, 1, 0, false},       {"10.0.20348-x64", 10, 0, 20348, true},
    };
    for (const auto& c : cases) {
        std::string reason;
        const auto os = parse_os_version(c.text, reason);
        ASSERT_TRUE(os) << c.text << ": " << reason;
        EXPECT_EQ(os->major, c.major) << c.text;
        EXPECT_EQ(os->minor, c.minor) << c.text;
        EXPECT_EQ(os->build, c.build) << c.text;
        EXPECT_EQ(os->x64, c.x64) << c.text;
    }
}

TEST(OsVersion, RejectsWithOneLineNamingTheValue) {
    for (const char* bad : {"", "95", "win10", "10.", ".1", "6.1.7601.1", "4.0", "11.0", "12.0", "6", "7-arm64", "-x64", "6.x"}) {
        std::string reason;
        EXPECT_FALSE(parse_os_version(bad, reason)) << bad;
        EXPECT_NE(reason.find(std::string("'") + bad + "'"), std::string::npos) << reason;
        EXPECT_EQ(reason.find('\n'), std::string::npos);
    }
}

TEST(OsVersion, DescribeNamesProductBuildAndArchitecture) {
    std::string reason;
    auto os = parse_os_version("7-x86", reason);
    ASSERT_TRUE(os);
    EXPECT_EQ(describe_os(*os), "Windows 7 (6.1.7601, x86)");
    os->wine_version = "8.0";
    EXPECT_EQ(describe_os(*os), "Windows 7 (6.1.7601, x86) under Wine 8.0");
}

}  // namespace
}  // namespace safelaunch
