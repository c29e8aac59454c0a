#include "safelaunch/finding.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(Finding, VerdictIsTheWorstSeverity) {
    EXPECT_EQ(verdict_of({}), Verdict::ok);
    EXPECT_EQ(verdict_of({{"a", Severity::info, "", "", ""}}), Verdict::ok);
    EXPECT_EQ(verdict_of({{"a", Severity::info, "", "", ""}, {"b", Severity::warning, "", "", ""}}), Verdict::warn);
    EXPECT_EQ(verdict_of({{"b", Severity::error, "", "", ""}, {"a", Severity::warning, "", "", ""}}),
              Verdict::blocked);
}

TEST(Finding, NamesRoundTrip) {
    for (auto s : {Severity::info, Severity::warning, Severity::error})
        EXPECT_EQ(severity_from_string(to_string(s)), s);
    for (auto v : {Verdict::ok, Verdict::warn, Verdict::blocked}) EXPECT_EQ(verdict_from_string(to_string(v)), v);
    EXPECT_EQ(verdict_from_string("OK"), std::nullopt);
}

// Stable strings of the JSON output: verdicts as README's "check --json" spells them, severities
// as the finding-id table of analysis.hpp does. Spelled out, not taken from the code under test.
TEST(Finding, NamesAreTheDocumentedStrings) {
    EXPECT_EQ(to_string(Verdict::ok), "ok");
    EXPECT_EQ(to_string(Verdict::warn), "warn");
    EXPECT_EQ(to_string(Verdict::blocked), "blocked");
    EXPECT_EQ(to_string(Severity::info), "info");
    EXPECT_EQ(to_string(Severity::warning), "warning");
    EXPECT_EQ(to_string(Severity::error), "error");
    EXPECT_EQ(verdict_from_string("blocked"), Verdict::blocked);
    EXPECT_EQ(severity_from_string("warning"), Severity::warning);
    EXPECT_EQ(severity_from_string("warn"), std::nullopt);
}

}  // namespace
}  // namespace safelaunch
