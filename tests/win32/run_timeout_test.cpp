// `safelaunch run --timeout` (issue 9 part 5): a child ended by the timeout gives exit status 124
// (coreutils `timeout`), in the text and the JSON report, never a code the child could have chosen
// for itself such as 1.
#include "test_support.hpp"
#include "tool_run.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace safelaunch::win32 {
namespace {

TEST(RunTimeout, AChildEndedByTheTimeoutGives124) {
    const auto [code, text] =
        test::run_tool_capture({"run", "--json", "--timeout", "0.5", "--", test::child_path("child_sleep"), "60000"});
    EXPECT_EQ(code, 124u);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["timed_out"], true);
    EXPECT_EQ(j["status"], 124);
    // Text mode: the same status.
    EXPECT_EQ(test::run_tool_capture({"run", "--timeout", "0.5", "--", test::child_path("child_sleep"), "60000"}).first,
              124u);
}

TEST(RunTimeout, AChildThatEndsInTimeKeepsItsCode) {
    const auto [code, text] =
        test::run_tool_capture({"run", "--json", "--timeout", "60", "--", test::child_path("child_exit"), "1"});
    EXPECT_EQ(code, 1u);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["timed_out"], false);
}

}  // namespace
}  // namespace safelaunch::win32
