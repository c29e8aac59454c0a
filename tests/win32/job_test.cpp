// Issue 9 part 5: the child's process tree in a Job object with kill-on-close (LaunchRequest::
// contain_tree): a terminate, the Child's end or the launcher's death ends the grandchildren too.
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launcher.hpp"

#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace sl = safelaunch;
namespace w = safelaunch::win32;
using safelaunch::test::child_path;

namespace {

std::string temp_file(const char* stem) {
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return boost::nowide::narrow(dir) + safelaunch::test::unique_name(std::string("sl-job-") + stem);
}

// child_tree: `count` grandchildren sleeping `grandchild_ms`, the child itself `child_ms`.
sl::LaunchRequest tree_request(const std::string& out, int count, int grandchild_ms, int child_ms) {
    sl::LaunchRequest r;
    r.program = child_path("child_tree");
    r.args = {std::to_string(count), std::to_string(grandchild_ms), std::to_string(child_ms)};
    r.stdio.out.kind = sl::StdStream::Kind::file;
    r.stdio.out.path = out;
    return r;
}

// The grandchildren's pids, once child_tree has printed `count` of them (or after 20 s).
std::vector<DWORD> grandchildren(const std::string& out, std::size_t count) {
    std::vector<DWORD> pids;
    for (int i = 0; i < 200 && pids.size() < count; ++i) {
        pids.clear();
        std::ifstream in(boost::nowide::widen(out).c_str());
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) pids.push_back(static_cast<DWORD>(std::stoul(line)));
        if (pids.size() < count) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pids;
}

// Whether process `pid` has ended within `ms` (a pid that cannot be opened any more has).
bool ends_within(DWORD pid, DWORD ms) {
    const w::unique_handle p(::OpenProcess(SYNCHRONIZE, FALSE, pid));
    if (!p) return true;
    return ::WaitForSingleObject(p.get(), ms) == WAIT_OBJECT_0;
}

void kill(DWORD pid) {
    const w::unique_handle p(::OpenProcess(PROCESS_TERMINATE, FALSE, pid));
    if (p) ::TerminateProcess(p.get(), 1);
}

}  // namespace

TEST(Job, EndTreeEndsTheChildAndItsGrandchildren) {
    const auto out = temp_file("end");
    auto child = w::launch_process(tree_request(out, 2, 60000, 60000));
    ASSERT_TRUE(child.contained()) << child.containment_note().value_or("");
    const auto pids = grandchildren(out, 2);
    ASSERT_EQ(pids.size(), 2u);
    EXPECT_EQ(child.processes_in_tree(), 3u);
    std::error_code ec;
    EXPECT_EQ(child.end_tree(7, ec), 3u);
    EXPECT_FALSE(ec) << ec.message();
    for (const auto pid : pids) EXPECT_TRUE(ends_within(pid, 5000)) << pid;
    EXPECT_EQ(child.wait_for(std::chrono::seconds(5)), 7u);
    EXPECT_EQ(child.end_tree(7, ec), 0u) << "nothing left";
    ::DeleteFileW(boost::nowide::widen(out).c_str());
}

TEST(Job, GrandchildrenLeftBehindEndWithTheChildObject) {
    const auto out = temp_file("left");
    std::vector<DWORD> pids;
    {
        auto child = w::launch_process(tree_request(out, 2, 60000, 0));
        ASSERT_TRUE(child.contained()) << child.containment_note().value_or("");
        EXPECT_EQ(child.wait_for(std::chrono::seconds(20)), 0u);
        pids = grandchildren(out, 2);
        ASSERT_EQ(pids.size(), 2u);
        for (const auto pid : pids) EXPECT_FALSE(ends_within(pid, 0)) << "still running while the Child lives: " << pid;
        EXPECT_EQ(child.processes_in_tree(), 2u);
    }  // the job's last handle closes here
    for (const auto pid : pids) EXPECT_TRUE(ends_within(pid, 5000)) << pid;
    ::DeleteFileW(boost::nowide::widen(out).c_str());
}

TEST(Job, UncontainedGrandchildrenOutliveTheChild) {
    const auto out = temp_file("free");
    auto request = tree_request(out, 1, 60000, 0);
    request.contain_tree = false;
    std::vector<DWORD> pids;
    {
        auto child = w::launch_process(request);
        EXPECT_FALSE(child.contained());
        EXPECT_FALSE(child.containment_note());
        EXPECT_FALSE(child.processes_in_tree());
        EXPECT_EQ(child.wait_for(std::chrono::seconds(20)), 0u);
        pids = grandchildren(out, 1);
        ASSERT_EQ(pids.size(), 1u);
    }
    EXPECT_FALSE(ends_within(pids[0], 500)) << "a grandchild of an uncontained child lives on";
    for (const auto pid : pids) kill(pid);
    ::DeleteFileW(boost::nowide::widen(out).c_str());
}

// A contained launch that was asked to stay suspended is in its job before it runs anything.
TEST(Job, SuspendedContainedChildIsInItsJobBeforeItRuns) {
    sl::LaunchRequest r;
    r.program = child_path("child_exit");
    r.args = {"5"};
    w::LaunchOptions options;
    options.suspended = true;
    std::error_code ec;
    auto child = w::launch_process(r, options, ec);
    ASSERT_TRUE(child.valid()) << ec.message();
    ASSERT_TRUE(child.suspended());
    EXPECT_EQ(child.processes_in_tree(), 1u);
    child.resume();
    EXPECT_EQ(child.wait_for(std::chrono::seconds(20)), 5u);
}
