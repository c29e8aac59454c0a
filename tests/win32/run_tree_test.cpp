// `safelaunch run` and the child's process tree (issue 9 part 5): the report says how many
// processes safelaunch ended (--json "tree", the text line), --no-contain-tree lets descendants
// outlive safelaunch, and safelaunch's own death (TerminateProcess, as Ctrl+C's default
// ExitProcess also does) ends the tree through the kill-on-close job.
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launcher.hpp"

#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <nlohmann/json.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::win32 {
namespace {

// child_tree writes its grandchildren's pids (one a line) before safelaunch writes its JSON.
struct TreeRun {
    std::uint32_t code = 0;
    std::vector<DWORD> pids;
    nlohmann::json report;
};

// safelaunch.exe `args` with stdout captured, itself uncontained: only safelaunch's own job (or
// none, with --no-contain-tree) holds the child's tree, not a job of this test's.
TreeRun run_tree(std::vector<std::string> args) {
    TreeRun r;
    const auto out_path = test::exe_dir() + "\\" + test::unique_name("tree-run") + ".out";
    LaunchRequest req;
    req.program = test::tool_path("safelaunch");
    req.args = std::move(args);
    req.stdio.out.kind = StdStream::Kind::file;
    req.stdio.out.path = out_path;
    req.stdio.err.kind = StdStream::Kind::null;
    req.contain_tree = false;
    r.code = launch_process(req).wait();
    std::string text;
    {
        std::ifstream in(out_path, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        text = s.str();
    }
    ::DeleteFileA(out_path.c_str());
    const auto brace = text.find('{');
    std::istringstream head(text.substr(0, brace));
    for (std::string line; std::getline(head, line);)
        if (!line.empty() && line != "\r") r.pids.push_back(static_cast<DWORD>(std::stoul(line)));
    if (brace != std::string::npos) r.report = nlohmann::json::parse(text.substr(brace), nullptr, false);
    return r;
}

bool ends_within(DWORD pid, DWORD ms) {
    const unique_handle p(::OpenProcess(SYNCHRONIZE, FALSE, pid));
    if (!p) return true;
    return ::WaitForSingleObject(p.get(), ms) == WAIT_OBJECT_0;
}

void kill(DWORD pid) {
    const unique_handle p(::OpenProcess(PROCESS_TERMINATE, FALSE, pid));
    if (p) ::TerminateProcess(p.get(), 1);
}

TEST(RunTree, TimeoutEndsTheWholeTreeAndCountsIt) {
    const auto r = run_tree({"run", "--json", "--timeout", "3", "--", test::child_path("child_tree"), "2", "60000",
                             "60000"});
    EXPECT_EQ(r.code, 124u);
    ASSERT_FALSE(r.report.is_discarded());
    ASSERT_EQ(r.pids.size(), 2u);
    EXPECT_EQ(r.report["tree"]["contained"], true) << r.report.dump();
    EXPECT_EQ(r.report["tree"]["ended"], 3) << "the child and its two grandchildren";
    EXPECT_TRUE(r.report["tree"]["note"].is_null());
    for (const auto pid : r.pids) EXPECT_TRUE(ends_within(pid, 5000)) << pid;
}

TEST(RunTree, DescendantsLeftRunningAfterTheChildsExitAreEndedAndCounted) {
    const auto r =
        run_tree({"run", "--json", "--", test::child_path("child_tree"), "2", "60000", "0"});
    EXPECT_EQ(r.code, 0u);
    ASSERT_FALSE(r.report.is_discarded());
    ASSERT_EQ(r.pids.size(), 2u);
    EXPECT_EQ(r.report["tree"]["contained"], true);
    EXPECT_EQ(r.report["tree"]["ended"], 2) << r.report.dump();
    EXPECT_EQ(r.report["exit_code"], 0) << "the child's own code, not the job's";
    for (const auto pid : r.pids) EXPECT_TRUE(ends_within(pid, 5000)) << pid;
}

TEST(RunTree, NoContainTreeLetsDescendantsOutliveSafelaunch) {
    const auto r = run_tree(
        {"run", "--json", "--no-contain-tree", "--", test::child_path("child_tree"), "1", "60000", "0"});
    EXPECT_EQ(r.code, 0u);
    ASSERT_FALSE(r.report.is_discarded());
    ASSERT_EQ(r.pids.size(), 1u);
    EXPECT_EQ(r.report["tree"]["contained"], false);
    EXPECT_TRUE(r.report["tree"]["note"].is_null()) << "not asked for: no note";
    EXPECT_EQ(r.report["tree"]["ended"], 0);
    EXPECT_FALSE(ends_within(r.pids[0], 500)) << "an uncontained grandchild lives on";
    for (const auto pid : r.pids) kill(pid);
}

TEST(RunTree, NotStartedHasNoTree) {
    const auto r = run_tree({"run", "--json", "--", test::child_path("no_such_child_here")});
    EXPECT_EQ(r.code, 127u);
    ASSERT_FALSE(r.report.is_discarded());
    EXPECT_TRUE(r.report["tree"].is_null());
}

TEST(RunTree, TextReportSaysHowManyProcessesWereEnded) {
    const auto err_path = test::exe_dir() + "\\" + test::unique_name("tree-text") + ".err";
    LaunchRequest req;
    req.program = test::tool_path("safelaunch");
    req.args = {"run", "--", test::child_path("child_tree"), "2", "60000", "0"};
    req.stdio.out.kind = StdStream::Kind::null;
    req.stdio.err.kind = StdStream::Kind::file;
    req.stdio.err.path = err_path;
    req.contain_tree = false;
    EXPECT_EQ(launch_process(req).wait(), 0u);
    std::stringstream text;
    {
        std::ifstream in(err_path, std::ios::binary);
        text << in.rdbuf();
    }
    ::DeleteFileA(err_path.c_str());
    EXPECT_NE(text.str().find("ended 2 processes of the child's tree"), std::string::npos) << text.str();
}

// safelaunch killed while its child runs: the kernel closes safelaunch's handle to the job, and
// kill-on-close ends the child and its grandchildren. Ctrl+C ends safelaunch the same way (no
// console control handler: the default one calls ExitProcess); grants left behind are taken back
// by the next run's repair (the grant journal).
TEST(RunTree, SafelaunchsOwnDeathEndsTheTree) {
    const auto out_path = test::exe_dir() + "\\" + test::unique_name("tree-kill") + ".out";
    LaunchRequest req;
    req.program = test::tool_path("safelaunch");
    req.args = {"run", "--", test::child_path("child_tree"), "2", "60000", "60000"};
    req.stdio.out.kind = StdStream::Kind::file;
    req.stdio.out.path = out_path;
    req.stdio.err.kind = StdStream::Kind::null;
    req.contain_tree = false;  // only safelaunch's own job holds the tree
    auto tool = launch_process(req);
    std::vector<DWORD> pids;
    for (int i = 0; i < 200 && pids.size() < 2; ++i) {
        pids.clear();
        std::ifstream in(out_path);
        for (std::string line; std::getline(in, line);)
            if (!line.empty() && line != "\r") pids.push_back(static_cast<DWORD>(std::stoul(line)));
        if (pids.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_EQ(pids.size(), 2u);
    for (const auto pid : pids) EXPECT_FALSE(ends_within(pid, 0)) << "running while safelaunch runs: " << pid;
    tool.terminate(1);
    for (const auto pid : pids) EXPECT_TRUE(ends_within(pid, 5000)) << "ended with safelaunch's job: " << pid;
    for (const auto pid : pids) kill(pid);  // never leave a sleeper behind when the check failed
    ::DeleteFileA(out_path.c_str());
}

}  // namespace
}  // namespace safelaunch::win32
