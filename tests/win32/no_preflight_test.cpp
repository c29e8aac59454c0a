// `safelaunch run --no-preflight` (issue 12): launch, wait and post-mortem without loading user32 in
// safelaunch itself. Seen through run's JSON: `self_connect` is this process's own user32 state at
// the end of the run, and the plain run beside it shows the same field does change when the
// pre-flight loads user32.
#include "safelaunch/win32/launcher.hpp"
#include "test_support.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace safelaunch::win32 {
namespace {

using test::child_path;
using test::tool_path;

// Runs safelaunch.exe with `args`; its exit code and its standard output.
std::pair<std::uint32_t, std::string> run_tool(std::vector<std::string> args) {
    const auto out_path = test::exe_dir() + "\\" + test::unique_name("no-preflight") + ".json";
    LaunchRequest r;
    r.program = tool_path("safelaunch");
    r.args = std::move(args);
    r.stdio.out.kind = StdStream::Kind::file;
    r.stdio.out.path = out_path;
    r.stdio.err.kind = StdStream::Kind::null;
    const auto code = launch_process(r).wait();
    std::ifstream in(out_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    ::DeleteFileA(out_path.c_str());
    return {code, text.str()};
}

TEST(NoPreflight, DiagnosesWithoutLoadingUser32) {
    const auto [code, text] =
        run_tool({"run", "--no-preflight", "--json", "--", child_path("child_exit"), "0xC0000142"});
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
    const auto [code, text] = run_tool({"run", "--json", "--", child_path("child_exit"), "7"});
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
        EXPECT_EQ(run_tool({"run", "--no-preflight", opt, "--", child_path("child_exit"), "0"}).first, 125u)
            << "bad usage of run is 125";
    }
}

}  // namespace
}  // namespace safelaunch::win32
