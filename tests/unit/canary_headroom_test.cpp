// The trial allocation's canary read as a headroom reading (admission control, issue 8 part 4).
#include "safelaunch/canary_headroom.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

CanaryFacts ran(std::uint32_t exit_code, std::uint32_t alloc_kb, std::optional<std::string> report = std::nullopt) {
    CanaryFacts c;
    c.exit_code = exit_code;
    c.alloc_kb = alloc_kb;
    c.allocated = exit_code == 0 && alloc_kb > 0;
    c.detail = "safelaunch-probe --alloc-kb " + std::to_string(alloc_kb) + " exited " + std::to_string(exit_code);
    c.report = std::move(report);
    return c;
}

std::string probe_line(const std::string& result, int code, unsigned created, unsigned estimated_kb) {
    return "{\"probe\":\"safelaunch-probe\",\"version\":1,\"result\":\"" + result + "\",\"exit_code\":" +
           std::to_string(code) + ",\"station\":\"WinSta0\",\"desktop\":\"Default\",\"alloc_kb\":64,"
           "\"bytes_per_object\":400,\"objects_target\":164,\"objects_created\":" + std::to_string(created) +
           ",\"estimated_kb\":" + std::to_string(estimated_kb) + ",\"api\":\"CreateWindowExW\",\"error\":8}";
}

TEST(CanaryHeadroom, AllocatedEverythingFits) {
    const auto r = headroom_from_canary(ran(0, 64), 64);
    EXPECT_TRUE(r.fits);
    EXPECT_FALSE(r.free_kb);  // the probe does not say how much more there was
    EXPECT_FALSE(r.unmeasurable);
}

TEST(CanaryHeadroom, ConnectOnlyFitsWhenNothingIsNeeded) {
    EXPECT_TRUE(headroom_from_canary(ran(0, 0), 0).fits);
}

TEST(CanaryHeadroom, ATrialSmallerThanTheNeedMeasuresNothing) {
    const auto r = headroom_from_canary(ran(0, 8), 64);
    EXPECT_FALSE(r.fits);
    ASSERT_TRUE(r.unmeasurable);
    EXPECT_EQ(*r.unmeasurable, "the canary tried 8 KB, not the 64 KB needed");
}

TEST(CanaryHeadroom, HeapExhaustedIsNoRoomWithWhatItGot) {
    const auto r = headroom_from_canary(ran(5, 64, probe_line("heap_exhausted", 5, 30, 11)), 64);
    EXPECT_FALSE(r.fits);
    EXPECT_FALSE(r.unmeasurable);
    EXPECT_EQ(r.free_kb, 11u);
}

TEST(CanaryHeadroom, HeapExhaustedWithoutAReportIsNoRoomOfUnknownSize) {
    const auto r = headroom_from_canary(ran(5, 64), 64);
    EXPECT_FALSE(r.fits);
    EXPECT_FALSE(r.unmeasurable);
    EXPECT_FALSE(r.free_kb);
}

TEST(CanaryHeadroom, ACanaryThatCouldNotConnectIsNoRoom) {
    for (const std::uint32_t code : {0xC0000142u, 128u}) {
        const auto r = headroom_from_canary(ran(code, 64), 64);
        EXPECT_FALSE(r.fits) << code;
        EXPECT_FALSE(r.unmeasurable) << code;
        EXPECT_FALSE(r.free_kb) << code;
    }
}

TEST(CanaryHeadroom, RegisterClassFailedIsNoRoom) {
    const auto r = headroom_from_canary(ran(4, 64), 64);
    EXPECT_FALSE(r.fits);
    EXPECT_FALSE(r.unmeasurable);
}

TEST(CanaryHeadroom, ACanaryThatDidNotRunIsUnmeasurableNotNoRoom) {
    CanaryFacts c;
    c.ran = false;
    c.exit_code = 0xFFFFFFFFu;
    c.alloc_kb = 64;
    c.detail = "canary not run: CreateProcessW(C:\\x\\safelaunch-probe.exe) failed: 2";
    const auto r = headroom_from_canary(c, 64);
    EXPECT_FALSE(r.fits);
    ASSERT_TRUE(r.unmeasurable);
    EXPECT_EQ(*r.unmeasurable, c.detail);
}

TEST(CanaryHeadroom, TheHandleQuotaIsUnmeasurableNotNoRoom) {
    const auto r = headroom_from_canary(ran(6, 3906, probe_line("handle_quota", 6, 9990, 3902)), 3906);
    EXPECT_FALSE(r.fits);
    ASSERT_TRUE(r.unmeasurable);
    EXPECT_NE(r.unmeasurable->find("USER handle quota"), std::string::npos) << *r.unmeasurable;
    EXPECT_NE(r.unmeasurable->find("after ~3902 KB"), std::string::npos) << *r.unmeasurable;
}

TEST(CanaryHeadroom, OtherExitsAreUnmeasurableWithTheDetail) {
    for (const std::uint32_t code : {2u, 3u, 0xC0000005u}) {
        const auto c = ran(code, 64);
        const auto r = headroom_from_canary(c, 64);
        EXPECT_FALSE(r.fits) << code;
        ASSERT_TRUE(r.unmeasurable) << code;
        EXPECT_EQ(*r.unmeasurable, c.detail);
    }
}

}  // namespace
}  // namespace safelaunch
