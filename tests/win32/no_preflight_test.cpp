// `safelaunch run --no-preflight` (issue 12): launch, wait and post-mortem without loading user32 in
// safelaunch itself. Seen through run's JSON: `self_connect` is this process's own user32 state at
// the end of the run, and the plain run beside it shows the same field does change when the
// pre-flight loads user32.
#include "test_support.hpp"
#include "tool_run.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <string>

namespace safelaunch::win32 {
namespace {

using test::child_path;

using test::run_tool_capture;

TEST(NoPreflight, DiagnosesWithoutLoadingUser32) {
    const auto [code, text] =
        run_tool_capture({"run", "--no-preflight", "--json", "--", child_path("child_exit"), "0xC0000142"});
    EXPECT_EQ(code, 0xC0000142u) << "run exits with the child's code";
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["preflight"], false);
    EXPECT_TRUE(j["findings"].empty()) << text;
    ASSERT_TRUE(j["self_connect"].is_object()) << text;
    EXPECT_EQ(j["self_connect"]["attempted"], false) << "safelaunch loaded user32: " << text;
    ASSERT_TRUE(j["diagnosis"].is_object()) << "a DLL-init exit is still diagnosed: " << text;
    EXPECT_EQ(j["diagnosis"]["exit"]["hex"], "0xC0000142");
}

TEST(NoPreflight, ThePreflightDoesLoadUser32) {
    // The contrast that makes the test above mean something: the same field, with a pre-flight.
    const auto [code, text] = run_tool_capture({"run", "--json", "--", child_path("child_exit"), "7"});
    EXPECT_EQ(code, 7u);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["preflight"], true);
    EXPECT_EQ(j["self_connect"]["attempted"], true) << text;
    EXPECT_EQ(j["self_connect"]["connected"], true) << text;
}

TEST(NoPreflight, RefusesOptionsThatNeedThePreflight) {
    for (const char* opt : {"--grant", "--force", "--canary"}) {
        SCOPED_TRACE(opt);
        EXPECT_EQ(run_tool_capture({"run", "--no-preflight", opt, "--", child_path("child_exit"), "0"}).first, 125u)
            << "bad usage of run is 125";
    }
}

}  // namespace
}  // namespace safelaunch::win32
