// ISO 8601 UTC text <-> 100-ns ticks since 1601 (FILETIME scale).
#include "safelaunch/utc_time.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(UtcTime, WholeSecondsAndSevenFractionalDigitsReadOnOneScale) {
    const auto whole = parse_utc_ticks("2026-11-20T08:13:58Z");
    const auto half = parse_utc_ticks("2026-11-20T08:13:58.5000000Z");
    ASSERT_TRUE(whole && half);
    EXPECT_EQ(*half - *whole, 5'000'000);  // half a second in 100-ns ticks
    EXPECT_LT(std::string("2026-11-20T08:13:58.5000000Z"), std::string("2026-11-20T08:13:58Z"))
        << "as text the later time sorts first: why the times are compared as numbers";
    EXPECT_EQ(parse_utc_ticks("2026-11-20T08:13:58.5Z"), half);
    EXPECT_EQ(*parse_utc_ticks("2026-11-20T08:13:58.0000001Z") - *whole, 1);
    EXPECT_EQ(parse_utc_ticks("2026-11-20T08:13:58.123456789Z"), parse_utc_ticks("2026-11-20T08:13:58.1234567Z"))
        << "digits below one tick are dropped";
}

TEST(UtcTime, KnownFileTimeValues) {
    // FILETIME of 1970-01-01 is 116444736000000000 (the Unix epoch offset every Windows SDK uses).
    EXPECT_EQ(parse_utc_ticks("1970-01-01T00:00:00Z"), 116444736000000000);
    EXPECT_EQ(parse_utc_ticks("1601-01-01T00:00:00Z"), 0);
    EXPECT_EQ(*parse_utc_ticks("2024-03-01T00:00:00Z") - *parse_utc_ticks("2024-02-28T00:00:00Z"),
              2LL * 86400 * 10'000'000) << "2024 is a leap year";
}

TEST(UtcTime, FormatRoundTripsWithSevenDigits) {
    const auto t = parse_utc_ticks("2026-11-20T08:13:58.1234567Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(format_utc_ticks(*t), "2026-11-20T08:13:58.1234567Z");
    EXPECT_EQ(format_utc_ticks(0), "1601-01-01T00:00:00.0000000Z");
    EXPECT_EQ(format_utc_ticks(*parse_utc_ticks("2000-02-29T23:59:59Z")), "2000-02-29T23:59:59.0000000Z");
    EXPECT_EQ(format_utc_ticks(-1), "");
}

TEST(UtcTime, OtherTextIsRefused) {
    for (const char* text : {"", "2026-11-20", "2026-11-20T08:13:58", "2026-11-20 08:13:58Z",
                             "2026-11-20T08:13:58+01:00", "2026-11-20T08:13:58.Z", "2026-11-20T08:13:58.1234567890Z",
                             "2026-13-20T08:13:58Z", "2026-02-29T08:13:58Z", "2026-11-20T24:00:00Z",
                             "2026-11-20T08:60:00Z", "1600-12-31T23:59:59Z", "2026-11-20T08:13:58ZZ",
                             "+026-11-20T08:13:58Z", "2026-1x-20T08:13:58Z"}) {
        EXPECT_FALSE(parse_utc_ticks(text)) << text;
    }
}

}  // namespace
}  // namespace safelaunch
