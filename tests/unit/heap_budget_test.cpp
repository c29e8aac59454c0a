#include "safelaunch/heap_budget.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace safelaunch {
namespace {

constexpr SharedSection kXp{1024, 3072, 512, true};
constexpr SharedSection kXpTwoValues{1024, 3072, 3072, false};
constexpr SharedSection kX64{1024, 20480, 768, true};

[[nodiscard]] bool has(const HeapBudget& b, std::string_view id) {
    return std::any_of(b.findings.begin(), b.findings.end(), [&](const Finding& f) { return f.id == id; });
}

[[nodiscard]] HeapBudgetInput xp_with_services(std::uint32_t services, SharedSection ss = kXp) {
    HeapBudgetInput in;
    in.shared_section = ss;
    in.os_major = 5;
    in.pool_kb = kXpSessionViewKb;
    in.pool_source = "XP/2003 x86 default session view";
    in.desktops = interactive_session_desktops();
    in.desktops.push_back({"Service-0x0-3e7$\\Default", DesktopHeapKind::noninteractive, 1, std::nullopt});
    in.desktops.push_back({"Service-0x0-3e4$\\Default", DesktopHeapKind::noninteractive, 1, std::nullopt});
    in.desktops.push_back({"Service-0x0-3e5$\\Default", DesktopHeapKind::noninteractive, 1, std::nullopt});
    if (services) in.desktops.push_back({"user services", DesktopHeapKind::noninteractive, services, std::nullopt});
    return in;
}

TEST(HeapBudget, XpDefaultSessionMatchesTheHandArithmetic) {
    // 1024 shared + 3072 Default + 128 Winlogon + 64 Disconnect + 3 x 512 system services.
    const auto b = compute_heap_budget(xp_with_services(0));
    EXPECT_EQ(b.used_kb, 1024u + 3072 + 128 + 64 + 3 * 512);
    ASSERT_TRUE(b.pool_kb);
    EXPECT_EQ(*b.pool_kb, 49152u);
    ASSERT_TRUE(b.free_kb);
    EXPECT_EQ(*b.free_kb, 49152u - 5824);
    ASSERT_TRUE(b.noninteractive_fit);
    EXPECT_EQ(*b.noninteractive_fit, (49152u - 5824) / 512);  // 84
    EXPECT_TRUE(b.findings.empty());
}

TEST(HeapBudget, ExhaustedWhenNotOneMoreServiceDesktopFits) {
    // 84 more fit: with 84 user services the pool has 320 KB left, less than one 512 KB desktop.
    const auto b = compute_heap_budget(xp_with_services(84));
    ASSERT_TRUE(b.noninteractive_fit);
    EXPECT_EQ(*b.noninteractive_fit, 0u);
    ASSERT_TRUE(has(b, "heap.pool.exhausted"));
    EXPECT_EQ(b.findings.back().severity, Severity::error);
}

TEST(HeapBudget, ExhaustedWhenUsedExceedsThePool) {
    const auto b = compute_heap_budget(xp_with_services(200));
    ASSERT_TRUE(b.pool_kb);
    ASSERT_TRUE(b.free_kb);
    EXPECT_GT(b.used_kb, *b.pool_kb);
    EXPECT_EQ(*b.free_kb, 0u);
    EXPECT_TRUE(has(b, "heap.pool.exhausted"));
}

TEST(HeapBudget, LowWhenFewerThanTenMoreFit) {
    const auto b = compute_heap_budget(xp_with_services(80));
    ASSERT_TRUE(b.noninteractive_fit);
    EXPECT_EQ(*b.noninteractive_fit, 4u);
    EXPECT_TRUE(has(b, "heap.pool.low"));
    EXPECT_FALSE(has(b, "heap.pool.exhausted"));
}

// kLowFitDesktops: room for 10 more is enough, 9 is low. 74 user services leave 5440 KB (10 x 512
// and 320 over), 75 leave 4928 KB (9 x 512 and 320 over).
TEST(HeapBudget, LowStartsBelowTenMoreDesktops) {
    const auto ten = compute_heap_budget(xp_with_services(74));
    ASSERT_TRUE(ten.noninteractive_fit);
    EXPECT_EQ(*ten.noninteractive_fit, 10u);
    EXPECT_TRUE(ten.findings.empty());
    const auto nine = compute_heap_budget(xp_with_services(75));
    ASSERT_TRUE(nine.noninteractive_fit);
    EXPECT_EQ(*nine.noninteractive_fit, 9u);
    ASSERT_EQ(nine.findings.size(), 1u);
    EXPECT_EQ(nine.findings[0].id, "heap.pool.low");
    EXPECT_EQ(nine.findings[0].severity, Severity::warning);
    EXPECT_EQ(nine.findings[0].message, "only 9 more noninteractive desktops fit in the desktop heap pool");
}

// One more desktop fitting is low, not exhausted: 83 user services leave 832 KB.
TEST(HeapBudget, OneMoreDesktopFittingIsLowNotExhausted) {
    const auto b = compute_heap_budget(xp_with_services(83));
    ASSERT_TRUE(b.noninteractive_fit);
    EXPECT_EQ(*b.noninteractive_fit, 1u);
    ASSERT_EQ(b.findings.size(), 1u);
    EXPECT_EQ(b.findings[0].id, "heap.pool.low");
    EXPECT_EQ(b.findings[0].message, "only 1 more noninteractive desktops fit in the desktop heap pool");
}

// One desktop more than fits leaves free space; exactly full leaves none; both are exhausted.
TEST(HeapBudget, PoolUsedExactlyIsExhaustedWithoutOverflow) {
    auto in = xp_with_services(0);
    in.pool_kb = 5824;  // exactly what the listed desktops use
    const auto b = compute_heap_budget(in);
    ASSERT_TRUE(b.free_kb);
    EXPECT_EQ(*b.free_kb, 0u);
    ASSERT_EQ(b.findings.size(), 1u);
    EXPECT_EQ(b.findings[0].id, "heap.pool.exhausted");
    EXPECT_EQ(b.findings[0].severity, Severity::error);
    EXPECT_EQ(b.findings[0].message.rfind("not one more noninteractive desktop fits", 0), 0u) << b.findings[0].message;
    in.pool_kb = 5823;
    const auto over = compute_heap_budget(in);
    ASSERT_EQ(over.findings.size(), 1u);
    EXPECT_EQ(over.findings[0].message, "the listed desktops need 5824 KB of desktop heap but the pool is 5823 KB");
}

TEST(HeapBudget, TwoValueSharedSectionMakesServiceDesktopsInteractiveSized) {
    const auto b = compute_heap_budget(xp_with_services(0, kXpTwoValues));
    EXPECT_TRUE(has(b, "heap.noninteractive.interactive_sized"));
    ASSERT_TRUE(b.noninteractive_fit);
    EXPECT_EQ(*b.noninteractive_fit, (49152u - (1024 + 3072 + 128 + 64 + 3 * 3072)) / 3072);
}

TEST(HeapBudget, TerminalServicesAndThreeGbShrinkTheXpPool) {
    EXPECT_EQ(session_pool_kb(5, false, false, false), kXpSessionViewKb);
    EXPECT_EQ(session_pool_kb(5, false, true, false), kSmallSessionViewKb);
    EXPECT_EQ(session_pool_kb(5, false, false, true), kSmallSessionViewKb);
    EXPECT_FALSE(session_pool_kb(6, false, false, false));  // Vista+: dynamic
    EXPECT_FALSE(session_pool_kb(5, true, false, false));   // x64
}

TEST(HeapBudget, UnknownPoolGivesPerDesktopFiguresOnly) {
    HeapBudgetInput in;
    in.shared_section = kX64;
    in.desktops = interactive_session_desktops(true);
    const auto b = compute_heap_budget(in);
    EXPECT_FALSE(b.pool_kb);
    EXPECT_FALSE(b.noninteractive_fit);
    ASSERT_EQ(b.findings.size(), 1u);
    EXPECT_EQ(b.findings[0].id, "heap.pool.unknown");
    EXPECT_EQ(b.findings[0].severity, Severity::info);
    // No OS given: Winlogon 192 KB and Disconnect 96 KB (Vista and later); screen-saver at interactive size.
    EXPECT_EQ(b.used_kb, 1024u + 20480 + 192 + 96 + 20480);
    EXPECT_EQ(b.processes_per_noninteractive, 768u / 7);
    const auto text = b.to_text();
    EXPECT_NE(text.find("assumption: the Screen-saver desktop"), std::string::npos) << text;
    EXPECT_NE(text.find("pool: unknown"), std::string::npos) << text;
}

TEST(HeapBudget, WinlogonAndDisconnectSizesFollowTheOs) {
    EXPECT_EQ(secure_desktop_sizes(5).winlogon_kb, 128u);  // XP, Server 2003 (and XP x64: 5.2)
    EXPECT_EQ(secure_desktop_sizes(5).disconnect_kb, 64u);
    EXPECT_EQ(secure_desktop_sizes(6).winlogon_kb, 192u);  // Vista, 7, 8, 2012 (the !dskheap source)
    EXPECT_EQ(secure_desktop_sizes(6).disconnect_kb, 96u);
    EXPECT_EQ(secure_desktop_sizes(10).winlogon_kb, 192u);
    EXPECT_EQ(secure_desktop_sizes(10).disconnect_kb, 96u);
    EXPECT_EQ(secure_desktop_sizes(std::nullopt).winlogon_kb, 192u);
    EXPECT_EQ(secure_desktop_sizes(std::nullopt).disconnect_kb, 96u);
}

TEST(HeapBudget, ModernSessionCountsWinlogon192AndDisconnect96AndSaysSo) {
    HeapBudgetInput in;
    in.shared_section = kX64;
    in.os_major = 10;
    in.desktops = interactive_session_desktops();
    const auto b = compute_heap_budget(in);
    EXPECT_EQ(b.used_kb, 1024u + 20480 + 192 + 96);
    ASSERT_EQ(b.lines.size(), 4u);  // shared heap, Default, Winlogon, Disconnect
    EXPECT_EQ(b.lines[2].heap_kb_each, 192u);
    EXPECT_EQ(b.lines[3].heap_kb_each, 96u);
    const auto text = b.to_text();
    EXPECT_NE(text.find("assumption: Winlogon desktop 192 KB, Disconnect desktop 96 KB (Vista-and-later "
                        "figures, from a Server 2012 !dskheap)\n"),
              std::string::npos)
        << text;
    in.os_major = 5;
    const auto xp = compute_heap_budget(in).to_text();
    EXPECT_NE(xp.find("assumption: Winlogon desktop 128 KB, Disconnect desktop 64 KB (XP/2003 figures)\n"),
              std::string::npos)
        << xp;
    in.os_major.reset();
    const auto unknown = compute_heap_budget(in).to_text();
    EXPECT_NE(unknown.find("Disconnect desktop 96 KB (Vista-and-later figures, from a Server 2012 !dskheap; "
                           "the OS was not given)"),
              std::string::npos)
        << unknown;
}

TEST(HeapBudget, MeasuredHeapSizeOverridesTheKindsSize) {
    HeapBudgetInput in;
    in.shared_section = kX64;
    in.shared_heap_in_pool = false;
    in.desktops = {{"safelaunch-1\\canary", DesktopHeapKind::fixed, 2, 256u},
                   {"WinSta0\\Default", DesktopHeapKind::interactive, 1, 10240u}};
    EXPECT_EQ(compute_heap_budget(in).used_kb, 2u * 256 + 10240);
}

TEST(HeapBudget, ThirdValueNeededForMoreServices) {
    auto in = xp_with_services(40);
    // fixed = 1024 + 3072 + 128 + 64 = 4288; 43 existing + 20 more = 63 desktops share 44864 KB.
    EXPECT_EQ(noninteractive_kb_for(in, 20), (49152u - 4288) / 63);  // 712
    // With the third value it returns, everything fits.
    ASSERT_TRUE(noninteractive_kb_for(in, 20));
    in.shared_section.noninteractive_kb = *noninteractive_kb_for(in, 20);
    in.desktops.back().count += 20;
    EXPECT_LE(compute_heap_budget(in).used_kb, 49152u);
}

TEST(HeapBudget, ThirdValueNeededIsNoneBelow128OrWithoutPool) {
    EXPECT_FALSE(noninteractive_kb_for(xp_with_services(0), 400));  // 44864/403 = 111 < 128
    auto in = xp_with_services(0);
    in.pool_kb.reset();
    EXPECT_FALSE(noninteractive_kb_for(in, 1));
}

// The 128 KB floor: 347 more desktops get 44864 / 350 = 128 KB each, 348 more would get 127.
TEST(HeapBudget, ThirdValueNeededStopsAtExactly128) {
    EXPECT_EQ(noninteractive_kb_for(xp_with_services(0), 347), 128u);
    EXPECT_FALSE(noninteractive_kb_for(xp_with_services(0), 348));
}

// More room than one SharedSection value can hold: the answer is capped at the largest value.
TEST(HeapBudget, ThirdValueNeededIsCappedAtTheLargestSharedSectionValue) {
    HeapBudgetInput in;
    in.shared_section = kX64;
    in.shared_heap_in_pool = false;
    in.pool_kb = 10'000'000;
    EXPECT_EQ(noninteractive_kb_for(in, 1), kMaxSharedSectionKb);
    EXPECT_EQ(noninteractive_kb_for(in, 3), 10'000'000u / 3);
}

TEST(HeapBudget, PoolNeededForMoreServices) {
    const auto in = xp_with_services(0);
    EXPECT_EQ(pool_kb_needed(in, 100), 5824u + 100 * 512);
}

TEST(HeapBudget, NoninteractiveSmallAgainstExpectedProcesses) {
    auto in = xp_with_services(0);
    in.processes_per_noninteractive_desktop = 113;  // 768 KB / 7 KB = 109 < 113
    in.shared_section = kX64;
    EXPECT_TRUE(has(compute_heap_budget(in), "heap.noninteractive.small"));
    in.processes_per_noninteractive_desktop = 100;
    EXPECT_FALSE(has(compute_heap_budget(in), "heap.noninteractive.small"));
    // 768 KB holds 109 processes: 109 expected fit, 110 do not.
    in.processes_per_noninteractive_desktop = 109;
    EXPECT_FALSE(has(compute_heap_budget(in), "heap.noninteractive.small"));
    in.processes_per_noninteractive_desktop = 110;
    EXPECT_TRUE(has(compute_heap_budget(in), "heap.noninteractive.small"));
}

// An expectation replaces the 512 KB rule: a 256 KB desktop expected to hold 30 processes is enough.
TEST(HeapBudget, ExpectedProcessesReplaceThe512Rule) {
    auto in = xp_with_services(0);
    in.shared_section.noninteractive_kb = 256;  // 36 processes
    in.processes_per_noninteractive_desktop = 30;
    EXPECT_FALSE(has(compute_heap_budget(in), "heap.noninteractive.small"));
}

TEST(HeapBudget, NoninteractiveSmallWithoutExpectationBelow512) {
    auto in = xp_with_services(0);
    in.shared_section.noninteractive_kb = 256;  // HCL's "decrease the value to 256"
    EXPECT_TRUE(has(compute_heap_budget(in), "heap.noninteractive.small"));
    in.shared_section.noninteractive_kb = 511;
    EXPECT_TRUE(has(compute_heap_budget(in), "heap.noninteractive.small"));
    in.shared_section.noninteractive_kb = 512;
    EXPECT_FALSE(has(compute_heap_budget(in), "heap.noninteractive.small"));
}

TEST(HeapBudget, FieldFiguresReproduceTheReportedMachine) {
    // platform-facts.md: 768 -> 2048 KB took one machine from 113 to 270 service processes
    // (~6.8 and ~7.6 KB each); the 7 KB figure must land within 10% of both.
    EXPECT_NEAR(static_cast<double>(processes_that_fit(768)), 113.0, 11.3);
    EXPECT_NEAR(static_cast<double>(processes_that_fit(2048)), 270.0, 27.0);
    EXPECT_EQ(processes_that_fit(512, 0), 0u);
    // At ~400 bytes per small window, 512 KB holds 1310 windows. (The other field figure,
    // ~2,500 windows/menus per 512 KB, counts smaller objects too; we use the conservative one.)
    EXPECT_EQ(windows_that_fit(512), 512u * 1024 / 400);
    EXPECT_EQ(windows_that_fit(512, 100), 512u * 1024 / 600);
}

TEST(HeapBudget, EveryFindingHasMessageEvidenceAndHeapId) {
    auto in = xp_with_services(200, kXpTwoValues);
    in.shared_section.noninteractive_kb = 300;
    const auto findings = compute_heap_budget(in).findings;
    // No third value, a 300 KB service desktop, and 203 of them overflow the 48 MB pool.
    std::vector<std::string> ids;
    for (const auto& f : findings) ids.push_back(f.id);
    EXPECT_EQ(ids, (std::vector<std::string>{"heap.noninteractive.interactive_sized", "heap.noninteractive.small",
                                             "heap.pool.exhausted"}));
    ASSERT_EQ(findings.size(), 3u);
    // The severities heap_budget.hpp documents.
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_EQ(findings[1].severity, Severity::warning);
    EXPECT_EQ(findings[2].severity, Severity::error);
    for (const auto& f : findings) {
        EXPECT_EQ(f.id.rfind("heap.", 0), 0u) << f.id;
        EXPECT_FALSE(f.message.empty()) << f.id;
        EXPECT_FALSE(f.evidence.empty()) << f.id;
        EXPECT_FALSE(f.remedy.empty()) << f.id;
    }
}

}  // namespace
}  // namespace safelaunch
