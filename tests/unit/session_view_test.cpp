// Session view headroom (issue 8 part 3): the decision rules of session_view.hpp at their
// boundaries, the JSON form, and the analysis of a snapshot that carries the facts.
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/session_view.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

constexpr std::uint64_t kKb = 1024;

SessionViewFacts known(std::uint64_t available_kb, std::uint64_t contiguous_kb, std::uint32_t failures = 0) {
    SessionViewFacts f;
    f.known = true;
    f.session_id = 1;
    f.bytes_available = available_kb * kKb;
    f.largest_contiguous = contiguous_kb * kKb;
    f.view_failures = failures;
    return f;
}

Finding only(const std::vector<Finding>& findings) {
    EXPECT_EQ(findings.size(), 1u);
    return findings.empty() ? Finding{} : findings.front();
}

TEST(SessionView, UnknownIsInfoWithTheReasonAndNoFigures) {
    SessionViewFacts f;
    f.session_id = 2;
    f.unknown_reason = "NtQuerySystemInformation(SystemSessionMappedViewInformation=68) failed: NTSTATUS 0xC0000003";
    f.bytes_available = 0;  // meaningless while unknown: must not read as "exhausted"
    for (const auto need : {std::optional<std::uint32_t>(), std::optional<std::uint32_t>(768)}) {
        const auto v = only(session_view_findings(f, need));
        EXPECT_EQ(v.id, "heap.session_view.unknown");
        EXPECT_EQ(v.severity, Severity::info);
        EXPECT_EQ(v.evidence, f.unknown_reason);
        EXPECT_NE(v.message.find("session 2"), std::string::npos) << v.message;
    }
    EXPECT_EQ(f.describe(), "session 2: unknown: " + f.unknown_reason);
}

TEST(SessionView, UnknownWithoutAReasonSaysSo) {
    SessionViewFacts f;
    EXPECT_EQ(only(session_view_findings(f, 512)).evidence, "no reason was recorded");
}

TEST(SessionView, ExhaustedWhenTheLargestRangeIsOneKbShortOfTheDesktop) {
    const auto v = only(session_view_findings(known(100'000, 767), 768));
    EXPECT_EQ(v.id, "heap.session_view.exhausted");
    EXPECT_EQ(v.severity, Severity::error);
    EXPECT_NE(v.message.find("largest free range is 767 KB"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("event 244"), std::string::npos) << v.message;
    EXPECT_FALSE(v.remedy.empty());
}

TEST(SessionView, ExhaustedByOneByte) {
    auto f = known(100'000, 0);
    f.largest_contiguous = 768 * kKb - 1;
    EXPECT_EQ(only(session_view_findings(f, 768)).id, "heap.session_view.exhausted");
    f.largest_contiguous = 768 * kKb;
    EXPECT_NE(only(session_view_findings(f, 768)).id, "heap.session_view.exhausted") << "exactly the size fits";
}

TEST(SessionView, NothingFreeWithASizeIsExhausted) {
    EXPECT_EQ(only(session_view_findings(known(0, 0), 8)).id, "heap.session_view.exhausted");
}

TEST(SessionView, LowBelowTenDesktopsOfThatSize) {
    // 9 x 768 KB + 767 KB: at most 9 fit.
    const auto v = only(session_view_findings(known(9 * 768 + 767, 768), 768));
    EXPECT_EQ(v.id, "heap.session_view.low");
    EXPECT_EQ(v.severity, Severity::warning);
    EXPECT_NE(v.message.find("at most 9 desktops of 768 KB fit"), std::string::npos) << v.message;
}

TEST(SessionView, TenDesktopsOfThatSizeAreHeadroom) {
    const auto v = only(session_view_findings(known(10 * 768, 768), 768));
    EXPECT_EQ(v.id, "heap.session_view.headroom");
    EXPECT_EQ(v.severity, Severity::info);
    EXPECT_NE(v.message.find("room for up to 10 desktops of 768 KB"), std::string::npos) << v.message;
    EXPECT_NE(v.evidence.find("7680 KB free, largest free range 768 KB, 0 view failures"), std::string::npos)
        << v.evidence;
    EXPECT_NE(v.evidence.find(std::string(kSessionViewSource)), std::string::npos) << v.evidence;
}

TEST(SessionView, FailuresAloneAreAWarningNeverAnError) {
    const auto with_size = only(session_view_findings(known(1'000'000, 500'000, 3), 512));
    EXPECT_EQ(with_size.id, "heap.session_view.low");
    EXPECT_NE(with_size.message.find("3 view mappings have failed in session 1"), std::string::npos)
        << with_size.message;
    const auto without = only(session_view_findings(known(1'000'000, 500'000, 1), std::nullopt));
    EXPECT_EQ(without.id, "heap.session_view.low");
    EXPECT_EQ(without.severity, Severity::warning);
    EXPECT_NE(without.message.find("1 view mapping has failed"), std::string::npos) << without.message;
}

TEST(SessionView, FewDesktopsAndFailuresAreOneFindingWithBothReasons) {
    const auto v = only(session_view_findings(known(2 * 512, 512, 4), 512));
    EXPECT_EQ(v.id, "heap.session_view.low");
    EXPECT_NE(v.message.find("at most 2 desktops of 512 KB fit"), std::string::npos) << v.message;
    EXPECT_NE(v.message.find("4 view mappings have failed"), std::string::npos) << v.message;
}

TEST(SessionView, NoSizeAndNothingFreeIsAWarningNotAnError) {
    const auto v = only(session_view_findings(known(0, 0), std::nullopt));
    EXPECT_EQ(v.id, "heap.session_view.low");
    EXPECT_EQ(v.severity, Severity::warning);
    EXPECT_NE(v.message.find("no view space is free"), std::string::npos) << v.message;
}

TEST(SessionView, NoSizeWithSpaceIsHeadroomWithTheFigures) {
    const auto v = only(session_view_findings(known(1, 1), std::nullopt));
    EXPECT_EQ(v.id, "heap.session_view.headroom");
    EXPECT_NE(v.message.find("1 KB free, largest free range 1 KB"), std::string::npos) << v.message;
}

TEST(SessionView, ASizeOfZeroIsTakenAsNoSize) {
    EXPECT_EQ(only(session_view_findings(known(0, 0), 0)).id, "heap.session_view.low");
    EXPECT_EQ(session_view_desktops_that_fit(known(100, 100), 0), 0u);
}

TEST(SessionView, DesktopsThatFitIsTheTotalOverTheSize) {
    EXPECT_EQ(session_view_desktops_that_fit(known(20480, 512), 768), 26u);
    EXPECT_EQ(session_view_desktops_that_fit(known(767, 767), 768), 0u);
}

TEST(SessionView, HugeFiguresDoNotOverflow) {
    auto f = known(0, 0);
    f.bytes_available = ~std::uint64_t{0};
    f.largest_contiguous = ~std::uint64_t{0};
    EXPECT_EQ(only(session_view_findings(f, 0xFFFFFFFFu)).id, "heap.session_view.headroom");
}

TEST(SessionView, DescribeKnown) {
    EXPECT_EQ(known(30720, 20480, 2).describe(), "session 1: 30720 KB free, largest free range 20480 KB, 2 view failures");
}

// JSON --------------------------------------------------------------------------------------------

TEST(SessionViewJson, KnownRoundTripsWithEveryField) {
    Snapshot s;
    s.session_view = known(30720, 20480, 2);
    s.session_view->bytes_available += 5;  // bytes, not KB: kept exactly
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    ASSERT_TRUE(back.session_view);
    EXPECT_TRUE(back.session_view->known);
    EXPECT_EQ(back.session_view->session_id, 1u);
    EXPECT_EQ(back.session_view->bytes_available, 30720 * kKb + 5);
    EXPECT_EQ(back.session_view->largest_contiguous, 20480 * kKb);
    EXPECT_EQ(back.session_view->view_failures, 2u);
    EXPECT_EQ(back.session_view->source, kSessionViewSource);
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
}

TEST(SessionViewJson, UnknownWritesTheReasonAndNoFigures) {
    SessionViewFacts f;
    f.session_id = 3;
    f.unknown_reason = "why";
    const auto j = nlohmann::json(f);
    EXPECT_EQ(j["known"], false);
    EXPECT_EQ(j["unknown_reason"], "why");
    EXPECT_FALSE(j.contains("bytes_available"));
    EXPECT_FALSE(j.contains("largest_contiguous"));
    const auto back = j.get<SessionViewFacts>();
    EXPECT_FALSE(back.known);
    EXPECT_EQ(back.unknown_reason, "why");
    EXPECT_EQ(back.session_id, 3u);
}

TEST(SessionViewJson, AbsentInOlderSnapshotsAndNullWhenNotGathered) {
    Snapshot s;
    EXPECT_TRUE(nlohmann::json(s)["session_view"].is_null());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(R"({"schema": 1})", back, error)) << error;
    EXPECT_FALSE(back.session_view);
}

TEST(SessionViewJson, KnownWithoutTheFiguresIsRefused) {
    Snapshot back;
    std::string error;
    EXPECT_FALSE(snapshot_from_json_text(R"({"schema": 1, "session_view": {"known": true, "session_id": 1}})", back,
                                         error));
    EXPECT_NE(error.find("session_view"), std::string::npos) << error;
}

TEST(SessionViewJson, ANegativeFigureIsRefused) {
    Snapshot back;
    std::string error;
    EXPECT_FALSE(snapshot_from_json_text(
        R"({"schema": 1, "session_view": {"known": true, "bytes_available": -1, "largest_contiguous": 0}})", back,
        error));
    EXPECT_NE(error.find("bytes_available"), std::string::npos) << error;
}

// Analysis ----------------------------------------------------------------------------------------

bool has_id(const Analysis& a, const std::string& id) {
    return std::any_of(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
}
const Finding& get_id(const Analysis& a, const std::string& id) {
    return *std::find_if(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
}

// A service launching with lpDesktop "": its Service-0x..$ station does not exist yet, so Windows
// creates it (and its Default desktop, at the SharedSection third value) at the child's first call.
Snapshot hidden_station_not_created_yet() {
    Snapshot s;
    s.token.user_sid = "S-1-5-21-1-2-3-1001";
    s.target.spec = "";
    s.target.station = "Service-0x0-1234$";
    s.target.desktop = "Default";
    s.target.how = "hidden per-logon-session station";
    s.target.station_facts.exists = false;
    s.target.desktop_facts.exists = false;
    s.system.subsystems_windows_value =
        "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On";
    return s;
}

TEST(SessionViewAnalysis, NoFactsNoFinding) {
    const auto a = analyze(hidden_station_not_created_yet());
    EXPECT_FALSE(std::any_of(a.preflight.begin(), a.preflight.end(),
                             [](const Finding& f) { return f.id.rfind("heap.session_view.", 0) == 0; }));
}

TEST(SessionViewAnalysis, ANewServiceDesktopThatDoesNotFitBlocks) {
    auto s = hidden_station_not_created_yet();
    s.session_view = known(4096, 700);  // a 768 KB desktop does not fit in 700 KB
    const auto a = analyze(s);
    ASSERT_TRUE(has_id(a, "heap.session_view.exhausted"));
    EXPECT_NE(get_id(a, "heap.session_view.exhausted").message.find("a 768 KB desktop"), std::string::npos);
    EXPECT_EQ(a.verdict, Verdict::blocked);
}

TEST(SessionViewAnalysis, ANewServiceDesktopThatFitsIsHeadroom) {
    auto s = hidden_station_not_created_yet();
    s.session_view = known(20 * 768, 768);
    const auto a = analyze(s);
    ASSERT_TRUE(has_id(a, "heap.session_view.headroom"));
    EXPECT_NE(get_id(a, "heap.session_view.headroom").message.find("20 desktops of 768 KB"), std::string::npos);
}

TEST(SessionViewAnalysis, AnExistingDesktopCreatesNothingSoASmallRangeDoesNotBlock) {
    auto s = hidden_station_not_created_yet();
    s.target.station_facts.exists = true;
    s.target.desktop_facts.exists = true;
    s.session_view = known(4096, 700);
    const auto a = analyze(s);
    EXPECT_FALSE(has_id(a, "heap.session_view.exhausted"));
    EXPECT_TRUE(has_id(a, "heap.session_view.headroom"));
}

TEST(SessionViewAnalysis, WithoutTheSharedSectionNoSizeIsGuessed) {
    auto s = hidden_station_not_created_yet();
    s.system.subsystems_windows_value.reset();
    s.session_view = known(4096, 700);
    const auto a = analyze(s);
    EXPECT_FALSE(has_id(a, "heap.session_view.exhausted"));
    EXPECT_TRUE(has_id(a, "heap.session_view.headroom"));
}

TEST(SessionViewAnalysis, UnknownIsReportedAsInfoAndDoesNotChangeTheVerdict) {
    auto s = hidden_station_not_created_yet();
    const auto before = analyze(s).verdict;
    SessionViewFacts f;
    f.unknown_reason = "absent";
    s.session_view = f;
    const auto a = analyze(s);
    ASSERT_TRUE(has_id(a, "heap.session_view.unknown"));
    EXPECT_EQ(get_id(a, "heap.session_view.unknown").evidence, "absent");
    EXPECT_EQ(a.verdict, before);
}

}  // namespace
}  // namespace safelaunch
