// Issue 9, part 2: 0xC000026B in the catalogue, and codes cut to 8 bits by runners and shells.
#include "safelaunch/exit_code.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace safelaunch {
namespace {

// ntstatus.h: STATUS_DLL_INIT_FAILED_LOGOFF 0xC000026B, "The application failed to initialize
// because the window station is shutting down".
TEST(ExitCodeLogoff, IsCataloguedWithItsNameFamilyAndEveryNotation) {
    EXPECT_EQ(kStatusDllInitFailedLogoff, 0xC000026BU);
    const auto info = explain_exit_code(0xC000026B);
    EXPECT_TRUE(info.known);
    EXPECT_EQ(info.name, "STATUS_DLL_INIT_FAILED_LOGOFF");
    EXPECT_EQ(info.family, ExitCodeFamily::ntstatus_error);
    EXPECT_EQ(info.hex, "0xC000026B");
    EXPECT_EQ(info.signed_value, -1073741205);
    for (const auto* text : {"0xC000026B", "3221226091", "-1073741205", "C000026Bh", "c000026b",
                             "STATUS_DLL_INIT_FAILED_LOGOFF", "status_dll_init_failed_logoff"})
        EXPECT_EQ(parse_exit_code(text), 0xC000026BU) << text;
    const auto codes = catalogued_exit_codes();
    EXPECT_NE(std::find(codes.begin(), codes.end(), 0xC000026BU), codes.end());
}

TEST(ExitCodeLogoff, SaysTheStationWasShuttingDownAndNotTheKbCauses) {
    const auto info = explain_exit_code(0xC000026B);
    EXPECT_NE(info.summary.find("shutting down"), std::string::npos) << info.summary;
    // The cause is known (logoff / shutdown), so the KB 184802 ranking (access, desktop heap) and
    // the canary must not run for it.
    EXPECT_FALSE(info.dll_init_failure);
    EXPECT_FALSE(info.desktop_related);
    ASSERT_FALSE(info.causes.empty());
    ASSERT_FALSE(info.remedies.empty());
    const bool names_logoff = std::any_of(info.causes.begin(), info.causes.end(),
                                          [](const std::string& c) { return c.find("logged off") != std::string::npos; });
    EXPECT_TRUE(names_logoff);
}

TEST(ExitCodeTruncated, SixtySixIsTheLowByteOfDllInitFailed) {
    EXPECT_EQ(kStatusDllInitFailed & 0xFFU, 66U);
    const auto full = known_codes_with_low_byte(66);
    EXPECT_EQ(full, std::vector<std::uint32_t>{kStatusDllInitFailed});
}

TEST(ExitCodeTruncated, LogoffCodeEndsIn107) {
    const auto full = known_codes_with_low_byte(0x6B);
    EXPECT_NE(std::find(full.begin(), full.end(), kStatusDllInitFailedLogoff), full.end());
}

TEST(ExitCodeTruncated, SeveralKnownCodesCanShareAByteInTableOrder) {
    // STATUS_NO_MEMORY 0xC0000017 and STATUS_INVALID_CRUNTIME_PARAMETER 0xC0000417 both end in 0x17.
    const auto x17 = known_codes_with_low_byte(0x17);
    EXPECT_NE(std::find(x17.begin(), x17.end(), 0xC0000017U), x17.end());
    EXPECT_NE(std::find(x17.begin(), x17.end(), 0xC0000417U), x17.end());
    // STATUS_ACCESS_VIOLATION 0xC0000005 shows as 5.
    const auto five = known_codes_with_low_byte(5);
    EXPECT_NE(std::find(five.begin(), five.end(), 0xC0000005U), five.end());
    const auto codes = catalogued_exit_codes();
    for (unsigned b = 0; b <= 0xFF; ++b) {
        const auto full = known_codes_with_low_byte(static_cast<std::uint8_t>(b));
        // Each listed code is catalogued, ends in b, and is above 0xFF (a cut changes it).
        for (const auto c : full) {
            EXPECT_EQ(c & 0xFFU, b);
            EXPECT_GT(c, 0xFFU);
            EXPECT_NE(std::find(codes.begin(), codes.end(), c), codes.end());
        }
        // Nothing is missed: every catalogued code above 0xFF with that byte is listed, in table order.
        std::vector<std::uint32_t> want;
        for (const auto c : codes)
            if (c > 0xFFU && (c & 0xFFU) == b) want.push_back(c);
        EXPECT_EQ(full, want) << b;
    }
}

TEST(ExitCodeTruncated, CodesThatFitAByteAreNotTheirOwnTruncation) {
    // 128 and 1 are catalogued, but cutting them to 8 bits changes nothing.
    for (const auto c : known_codes_with_low_byte(128)) EXPECT_NE(c, 128U);
    for (const auto c : known_codes_with_low_byte(1)) EXPECT_NE(c, 1U);
    EXPECT_TRUE(known_codes_with_low_byte(0).empty());
}

}  // namespace
}  // namespace safelaunch
