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

}  // namespace
}  // namespace safelaunch
