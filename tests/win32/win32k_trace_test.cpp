// Issue 9 part 3: the Win32k ETW session around a launch (win32/win32k_trace.hpp), its Wine path,
// and `run --trace-win32k`. Never asserts an event 58: Wine has no Win32k provider, and on Windows
// the event is unverified. What Wine 8 does was observed and is asserted first; the Windows-only
// behaviour is then skipped with the reason.
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/win32k_trace.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/win32k_trace.hpp"
#include "test_support.hpp"
#include "tool_run.hpp"

#include <windows.h>
#include <evntrace.h>

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace safelaunch::win32 {
namespace {

// safelaunch.exe `args` in text mode: its exit code and what it wrote to stderr (the report).
std::pair<std::uint32_t, std::string> run_tool_stderr(std::vector<std::string> args) {
    const auto err_path = test::exe_dir() + "\\" + test::unique_name("tool-err") + ".err";
    LaunchRequest r;
    r.program = test::tool_path("safelaunch");
    r.args = std::move(args);
    r.stdio.out.kind = StdStream::Kind::null;
    r.stdio.err.kind = StdStream::Kind::file;
    r.stdio.err.path = err_path;
    const auto code = launch_process(r).wait();
    std::stringstream s;
    {
        std::ifstream in(err_path, std::ios::binary);
        s << in.rdbuf();
    }
    ::DeleteFileA(err_path.c_str());
    return {code, s.str()};
}

// ControlTraceW(QUERY) of a session by name: ERROR_SUCCESS while it runs, 4201
// (ERROR_WMI_INSTANCE_NOT_FOUND) once it is gone.
ULONG query_session(const std::string& name) {
    const std::wstring wname(name.begin(), name.end());
    std::vector<std::uint64_t> buffer((sizeof(EVENT_TRACE_PROPERTIES) + 2 * 1025 * sizeof(wchar_t) + 7) / 8, 0);
    auto* p = reinterpret_cast<EVENT_TRACE_PROPERTIES*>(buffer.data());
    p->Wnode.BufferSize = static_cast<ULONG>(buffer.size() * 8);
    p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
    return ::ControlTraceW(0, wname.c_str(), p, EVENT_TRACE_CONTROL_QUERY);
}

TEST(Win32kTrace, StartReportsWhatHappened) {
    auto trace = Win32kTrace::start();
    ASSERT_TRUE(trace.requested());
    const auto facts = trace.stop();
    EXPECT_TRUE(facts.requested);
    EXPECT_EQ(facts.session_name.rfind("safelaunch-win32k-", 0), 0U) << facts.session_name;
    EXPECT_EQ(facts.level, kWin32kTraceLevel);
    EXPECT_EQ(facts.keywords, kWin32kTraceKeywords);
    EXPECT_EQ(trace.stop().session_name, facts.session_name) << "stop() again returns the same facts";
    const auto query = query_session(facts.session_name);
    const auto findings = win32k_trace_findings(facts);
    ASSERT_EQ(findings.size(), 1U);
    if (wine_version()) {
        // Observed under Wine 8.0: StartTraceW and EnableTraceEx2 are stubs that succeed, OpenTraceW
        // fails with ERROR_ACCESS_DENIED, and ControlTraceW reports success for any session name.
        EXPECT_FALSE(facts.started);
        EXPECT_EQ(facts.failed_api, "OpenTraceW");
        EXPECT_EQ(facts.error, 5U);
        EXPECT_NE(facts.reason.find("its ETW functions are stubs"), std::string::npos) << facts.reason;
        EXPECT_EQ(facts.events_total, 0U);
        EXPECT_EQ(query, 0U) << "Wine's ControlTraceW(QUERY) stub";
        EXPECT_EQ(findings[0].id, "win32k.trace.unavailable");
        EXPECT_EQ(findings[0].severity, Severity::warning);
        EXPECT_NE(findings[0].message.find("OpenTraceW failed (error 5)"), std::string::npos) << findings[0].message;
        EXPECT_NE(findings[0].remedy.find("Performance Log Users"), std::string::npos);
        GTEST_SKIP() << "Wine has no ETW sessions: a started session, its events and that none is left behind after "
                        "stop() (ControlTraceW QUERY -> 4201) need Windows";
    }
    if (facts.started) {
        EXPECT_EQ(query, 4201U) << "ERROR_WMI_INSTANCE_NOT_FOUND: no session left behind";
        EXPECT_EQ(findings[0].id, "win32k.trace.no_event");
    } else {
        EXPECT_EQ(facts.failed_api, "StartTraceW") << facts.reason;
        EXPECT_EQ(findings[0].id, "win32k.trace.unavailable");
    }
}

TEST(Win32kTrace, SafeLaunchCarriesTheFactsAndTheChildStillRuns) {
    LaunchRequest r;
    r.program = test::child_path("child_exit");
    r.args = {"3"};
    SafeLaunchOptions options;
    options.trace_win32k = true;
    const auto out = safe_launch_and_wait(r, options);
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 3U) << "the trace does not change the child's exit code";
    ASSERT_TRUE(out.win32k_trace.has_value());
    EXPECT_TRUE(out.win32k_trace->requested);
    ASSERT_TRUE(out.win32k_trace->child_pid.has_value());
    EXPECT_NE(*out.win32k_trace->child_pid, 0U);
    EXPECT_TRUE(out.win32k_trace->events.empty()) << "no Win32k event 58 for a child that started";
    if (wine_version()) {
        EXPECT_FALSE(out.win32k_trace->started);  // OpenTraceW: ERROR_ACCESS_DENIED (stub)
        EXPECT_EQ(out.win32k_trace->failed_api, "OpenTraceW");
    }

    const auto plain = safe_launch_and_wait(r);
    EXPECT_FALSE(plain.win32k_trace.has_value()) << "not asked for: no facts";
}

TEST(RunTraceWin32k, JsonCarriesTheTraceAndTheExitCodeIsTheChilds) {
    const auto [code, text] = test::run_tool_capture({"run", "--json", "--trace-win32k", "--", test::child_path("child_exit"), "3"});
    EXPECT_EQ(code, 3U);
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    ASSERT_TRUE(j["win32k_trace"].is_object()) << text;
    EXPECT_EQ(j["win32k_trace"]["requested"], true);
    EXPECT_TRUE(j["win32k_trace"]["child_pid"].is_number()) << text;
    ASSERT_TRUE(j["win32k_trace"]["findings"].is_array()) << text;
    ASSERT_EQ(j["win32k_trace"]["findings"].size(), 1U) << text;
    const auto id = j["win32k_trace"]["findings"][0]["id"].get<std::string>();
    if (wine_version()) {
        EXPECT_EQ(id, "win32k.trace.unavailable");
        EXPECT_EQ(j["win32k_trace"]["failed_api"], "OpenTraceW");
        EXPECT_EQ(j["win32k_trace"]["error"], 5);
    } else {
        EXPECT_TRUE(id == "win32k.trace.unavailable" || id == "win32k.trace.no_event") << id;
    }
    // The facts read back (snapshot form; "findings" is output only and ignored).
    EXPECT_EQ(j["win32k_trace"].get<Win32kTraceFacts>().session_name, j["win32k_trace"]["session_name"].get<std::string>());

    const auto [plain_code, plain_text] = test::run_tool_capture({"run", "--json", "--", test::child_path("child_exit"), "3"});
    EXPECT_EQ(plain_code, 3U);
    const auto p = nlohmann::json::parse(plain_text, nullptr, false);
    ASSERT_FALSE(p.is_discarded()) << plain_text;
    EXPECT_TRUE(p["win32k_trace"].is_null());
}

TEST(RunTraceWin32k, TextReportShowsTheTraceLine) {
    const auto [code, err] = run_tool_stderr({"run", "--trace-win32k", "--", test::child_path("child_exit"), "0"});
    EXPECT_EQ(code, 0U);
    EXPECT_NE(err.find("safelaunch: win32k trace: "), std::string::npos) << err;
    if (wine_version()) {
        EXPECT_NE(err.find("win32k trace: could not start: OpenTraceW error 5"), std::string::npos) << err;
        EXPECT_NE(err.find("warning win32k.trace.unavailable"), std::string::npos) << err;
    }
}

}  // namespace
}  // namespace safelaunch::win32
