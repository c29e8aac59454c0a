// The launcher under Wine (and on Windows): what a child receives and how its end is read.
// Children are the tests/win32/children executables, found next to this test executable.
#include "safelaunch/command_line.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "child_report.hpp"
#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <nlohmann/json.hpp>
#include <shellapi.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace safelaunch::win32 {
namespace {

using namespace std::chrono_literals;

using test::child_path;
using test::exe_dir;
using test::read_report;

std::string temp_path(const std::string& stem) {
    static std::atomic<int> counter{0};
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return boost::nowide::narrow(dir) + "safelaunch-" + stem + "-" + std::to_string(::GetCurrentProcessId()) + "-" +
           std::to_string(counter++);
}


std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim_slash(std::string s) {
    while (s.size() > 3 && (s.back() == '\\' || s.back() == '/')) s.pop_back();
    return s;
}

// Runs child_report with `extra` args; returns its merged report.
nlohmann::json run_report(LaunchRequest request, const std::string& var = "-") {
    const auto out = temp_path("report");
    request.program = child_path("child_report");
    request.args.insert(request.args.begin(), {out, var});
    auto child = launch_process(request);
    EXPECT_EQ(child.wait(), 0u);
    auto report = read_report(out);
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    return report;
}

TEST(Launch, ArgumentsArriveIntact) {
    const std::vector<std::string> args = {
        "two words", "quote\"inside", "trailing\\", "back\\\\\"slash", "", "Grüße 日本語",
        "tab\there", "C:\\Program Files\\", "\\\\server\\share", "\"", "x=\"a b\"",
    };
    LaunchRequest request;
    request.args = args;
    const auto report = run_report(request);
    ASSERT_TRUE(report.contains("argv")) << report.dump();
    const auto argv = report["argv"].get<std::vector<std::string>>();
    ASSERT_EQ(argv.size(), args.size() + 3);
    EXPECT_EQ(lower(argv[0]), lower(child_path("child_report")));
    for (std::size_t i = 0; i < args.size(); ++i) EXPECT_EQ(argv[i + 3], args[i]) << "arg " << i;
}

TEST(Launch, CommandLineToArgvWAgreesWithOurQuoting) {
    const std::vector<std::string> args = {"", "a b", "\\", "trailing\\", "\\\"", "\"\"", "a\\\\\"b",
                                           "C:\\Program Files\\", "Grüße", "tab\t\"\\"};
    const auto line = boost::nowide::widen(build_command_line("C:\\dir with space\\p.exe", args));
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(line.c_str(), &argc);
    ASSERT_NE(argv, nullptr);
    std::vector<std::string> got;
    for (int i = 0; i < argc; ++i) got.push_back(boost::nowide::narrow(argv[i]));
    ::LocalFree(argv);
    EXPECT_EQ(got, parse_command_line(boost::nowide::narrow(line)));
    ASSERT_EQ(got.size(), args.size() + 1);
    for (std::size_t i = 0; i < args.size(); ++i) EXPECT_EQ(got[i + 1], args[i]) << "arg " << i;
}

TEST(Launch, EnvironmentVariableIsSet) {
    LaunchRequest request;
    request.environment.set = {{"SAFELAUNCH_TEST_VAR", "value with spaces, Grüße"}};
    const auto report = run_report(request, "SAFELAUNCH_TEST_VAR");
    EXPECT_EQ(report["env"]["SAFELAUNCH_TEST_VAR"], "value with spaces, Grüße") << report.dump();
}

TEST(Launch, EnvironmentVariableIsRemovedCaseInsensitively) {
    ASSERT_TRUE(::SetEnvironmentVariableW(L"SAFELAUNCH_PARENT_VAR", L"from parent"));
    LaunchRequest inherited;
    EXPECT_EQ(run_report(inherited, "SAFELAUNCH_PARENT_VAR")["env"]["SAFELAUNCH_PARENT_VAR"], "from parent");

    LaunchRequest request;
    request.environment.unset = {"safelaunch_parent_var"};
    const auto report = run_report(request, "SAFELAUNCH_PARENT_VAR");
    // child_report writes the name with null when the variable is absent: a missing line is not absence.
    ASSERT_TRUE(report.contains("env") && report["env"].contains("SAFELAUNCH_PARENT_VAR")) << report.dump();
    EXPECT_TRUE(report["env"]["SAFELAUNCH_PARENT_VAR"].is_null()) << report.dump();
    ::SetEnvironmentVariableW(L"SAFELAUNCH_PARENT_VAR", nullptr);
}

TEST(Launch, EnvironmentWithoutInheritHoldsOnlyWhatIsSet) {
    ASSERT_TRUE(::SetEnvironmentVariableW(L"SAFELAUNCH_PARENT_VAR", L"from parent"));
    LaunchRequest request;
    request.environment.inherit = false;
    request.environment.set = {{"SAFELAUNCH_ONLY", "1"}};
    // SystemRoot lets the child's DLLs initialise (Windows' own advice for custom blocks).
    std::wstring root(MAX_PATH, L'\0');
    root.resize(::GetEnvironmentVariableW(L"SystemRoot", root.data(), MAX_PATH));
    request.environment.set.emplace_back("SystemRoot", boost::nowide::narrow(root));
    EXPECT_EQ(run_report(request, "SAFELAUNCH_ONLY")["env"]["SAFELAUNCH_ONLY"], "1");
    const auto report = run_report(request, "SAFELAUNCH_PARENT_VAR");
    ASSERT_TRUE(report.contains("env") && report["env"].contains("SAFELAUNCH_PARENT_VAR")) << report.dump();
    EXPECT_TRUE(report["env"]["SAFELAUNCH_PARENT_VAR"].is_null()) << report.dump();
    ::SetEnvironmentVariableW(L"SAFELAUNCH_PARENT_VAR", nullptr);
}

TEST(Launch, EnvironmentBlockIsSortedAndDoublyTerminated) {
    EnvironmentSpec spec;
    spec.inherit = false;
    spec.set = {{"b", "2"}, {"A", "1"}, {"c", "x=y"}};
    EXPECT_EQ(environment_block(spec), std::wstring(L"A=1\0b=2\0c=x=y\0\0", 15));
    spec.set.clear();
    EXPECT_EQ(environment_block(spec), std::wstring(2, L'\0'));  // empty, not "inherit"
    EXPECT_EQ(environment_block(EnvironmentSpec{}), L"");        // no change: NULL, inherit
}

TEST(Launch, WorkingDirectoryIsApplied) {
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    LaunchRequest request;
    request.working_directory = boost::nowide::narrow(dir);
    const auto report = run_report(request);
    EXPECT_EQ(lower(trim_slash(report["cwd"].get<std::string>())), lower(trim_slash(*request.working_directory)));
}

TEST(Launch, MissingWorkingDirectoryIsNotStartable) {
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.args = {"0"};
    request.working_directory = temp_path("no-such-dir");
    std::error_code ec;
    LaunchFailure failure;
    const auto child = launch_process(request, ec, &failure);
    EXPECT_FALSE(child.valid());
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(failure.failure.api, "CreateProcessW");
    // ERROR_DIRECTORY (267) on Windows; Wine reports the missing path.
    EXPECT_TRUE(ec.value() == 267 || ec.value() == ERROR_PATH_NOT_FOUND || ec.value() == ERROR_FILE_NOT_FOUND)
        << failure.failure.describe();
}

TEST(Launch, ExitCodesAreReadExactly) {
    // 128 and 0xC0000142: the two faces of "DLL initialization failed" (Microsoft KB 184802).
    const std::vector<std::pair<std::string, std::uint32_t>> table = {
        {"0", 0}, {"1", 1}, {"128", kErrorWaitNoChildren}, {"0xC0000142", kStatusDllInitFailed},
        {"3221225794", 3221225794u}, {"0xFFFFFFFF", 0xFFFFFFFFu}};
    for (const auto& [arg, code] : table) {
        LaunchRequest request;
        request.program = child_path("child_exit");
        request.args = {arg};
        auto child = launch_process(request);
        EXPECT_EQ(child.wait(), code) << arg;
        EXPECT_EQ(child.exit_code(), code) << arg;
    }
}

TEST(Launch, BareNameIsFoundInTheApplicationFolder) {
    EXPECT_EQ(lower(resolve_program("child_exit")), lower(child_path("child_exit")));
    EXPECT_EQ(lower(resolve_program("child_exit.exe")), lower(child_path("child_exit")));
    // A path without extension gets ".exe" when the name as given does not exist.
    EXPECT_EQ(lower(resolve_program(exe_dir() + "\\child_exit")), lower(child_path("child_exit")));
}

TEST(Launch, ProgramNotFoundIsToldApartWithItsApiAndCode) {
    LaunchRequest request;
    request.program = "safelaunch_no_such_program_7f3a";
    std::error_code ec;
    LaunchFailure failure;
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    EXPECT_EQ(ec, make_win32_error(ERROR_FILE_NOT_FOUND));
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_found);
    EXPECT_EQ(failure.failure.api, "SearchPathW");
    EXPECT_EQ(tool_exit_code(failure.kind), 127);

    request.program = exe_dir() + "\\no_such_dir\\missing.exe";
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_found);
    EXPECT_EQ(failure.failure.api, "GetFileAttributesW");
    EXPECT_EQ(ec, make_win32_error(ERROR_PATH_NOT_FOUND));

    try {
        (void)launch_process(request);
        ADD_FAILURE() << "no exception";
    } catch (const LaunchError& e) {
        EXPECT_EQ(e.kind(), LaunchFailureKind::not_found);
        EXPECT_EQ(e.api(), "GetFileAttributesW");
    }
}

TEST(Launch, NonPeFileIsNotStartable) {
    const auto path = temp_path("not-pe") + ".exe";
    {
        std::ofstream(boost::nowide::widen(path).c_str()) << "this is text, not a PE image\r\n";
    }
    LaunchRequest request;
    request.program = path;
    std::error_code ec;
    LaunchFailure failure;
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    ::DeleteFileW(boost::nowide::widen(path).c_str());
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(tool_exit_code(failure.kind), 126);
    EXPECT_EQ(failure.failure.api, "CreateProcessW");
    EXPECT_EQ(ec, make_win32_error(ERROR_BAD_EXE_FORMAT)) << failure.failure.describe();
}

TEST(Launch, NamedPrivateDesktopIsTheChildsDesktop) {
    const auto name = "safelaunch-test-" + std::to_string(::GetCurrentProcessId()) + "-" +
                      std::to_string(::GetTickCount64());
    unique_hdesk desk(::CreateDesktopW(boost::nowide::widen(name).c_str(), nullptr, nullptr, 0, GENERIC_ALL, nullptr));
    ASSERT_TRUE(desk) << "CreateDesktopW failed: " << ::GetLastError();

    LaunchRequest request;
    request.desktop = name;  // relative to the station that applies: ours
    auto report = run_report(request);
    EXPECT_EQ(report["desktop"], name) << report.dump();

    // "Station\Desktop" names both.
    std::wstring station(256, L'\0');
    DWORD needed = 0;
    ASSERT_TRUE(::GetUserObjectInformationW(::GetProcessWindowStation(), UOI_NAME, station.data(),
                                            static_cast<DWORD>(station.size() * sizeof(wchar_t)), &needed));
    station.resize(std::wstring(station.c_str()).size());
    request.desktop = boost::nowide::narrow(station) + "\\" + name;
    report = run_report(request);
    EXPECT_EQ(report["desktop"], name) << report.dump();
    EXPECT_EQ(report["station"], boost::nowide::narrow(station));
}

TEST(Launch, DefaultDesktopIsInherited) {
    std::wstring own(256, L'\0');
    DWORD needed = 0;
    ASSERT_TRUE(::GetUserObjectInformationW(::GetThreadDesktop(::GetCurrentThreadId()), UOI_NAME, own.data(),
                                            static_cast<DWORD>(own.size() * sizeof(wchar_t)), &needed));
    own.resize(std::wstring(own.c_str()).size());
    EXPECT_EQ(run_report(LaunchRequest{})["desktop"], boost::nowide::narrow(own));
}

TEST(Launch, AsUserWithDuplicatedPrimaryTokenOfTheCaller) {
    unique_handle own, primary;
    ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY, own.put()));
    ASSERT_TRUE(::DuplicateTokenEx(own.get(), MAXIMUM_ALLOWED, nullptr, SecurityImpersonation, TokenPrimary,
                                   primary.put()));
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.args = {"7"};
    request.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(primary.get())};
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, ec, &failure);
    if (ec == make_win32_error(ERROR_PRIVILEGE_NOT_HELD))
        GTEST_SKIP() << "Windows: CreateProcessAsUserW needs SeAssignPrimaryTokenPrivilege for this account";
    ASSERT_FALSE(ec) << failure.failure.describe();
    EXPECT_EQ(child.wait(), 7u);
}

TEST(Launch, AsUserFailureKeepsTheApiName) {
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.args = {"0"};
    // A handle that is not a token.
    unique_handle event(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
    request.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(event.get())};
    // No user environment to build (CreateEnvironmentBlock would fail first): the launch call does.
    request.environment.inherit = false;
    std::error_code ec;
    LaunchFailure failure;
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    EXPECT_TRUE(ec);
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(failure.failure.api, "CreateProcessAsUserW");
}

// M11: RunAsLogon goes through CreateProcessWithLogonW with a plain STARTUPINFO (no
// EXTENDED_STARTUPINFO_PRESENT, cb = sizeof(STARTUPINFOW)). An unknown user must fail as a logon
// failure, not as ERROR_INVALID_PARAMETER from an undocumented STARTUPINFOEX.
TEST(Launch, RunAsLogonWithAnUnknownUserFailsAsALogonFailure) {
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.args = {"0"};
    request.run_as = RunAsLogon{"safelaunch-no-such-user", ".", "not-a-password", 0};
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, ec, &failure);
    EXPECT_FALSE(child.valid());
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(failure.failure.api, "CreateProcessWithLogonW");
    EXPECT_TRUE(ec) << "a failed launch must say so";
    if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) {
        // Wine 8: a stub that fails without setting an error code.
        EXPECT_EQ(ec, make_win32_error(ERROR_CALL_NOT_IMPLEMENTED)) << failure.failure.describe();
        GTEST_SKIP() << "Wine 8's CreateProcessWithLogonW is a stub: the STARTUPINFO it is given waits for Windows";
    }
    EXPECT_EQ(ec, make_win32_error(ERROR_LOGON_FAILURE)) << failure.failure.describe();
}

TEST(Launch, TimeoutThenTerminate) {
    LaunchRequest request;
    request.program = child_path("child_sleep");
    request.args = {"30000"};
    auto child = launch_process(request);
    ASSERT_TRUE(child.valid());
    EXPECT_NE(child.pid(), 0u);
    EXPECT_EQ(child.wait_for(100ms), std::nullopt);
    EXPECT_EQ(child.exit_code(), std::nullopt);
    DWORD running = 0;
    ASSERT_TRUE(::GetExitCodeProcess(child.native_handle(), &running));
    EXPECT_EQ(running, STILL_ACTIVE);  // 259 while it runs
    child.terminate(77);
    EXPECT_EQ(child.exit_code(), 77u);
    EXPECT_EQ(child.wait(), 77u);
}

TEST(Launch, ShortChildEndsWithinTimeout) {
    LaunchRequest request;
    request.program = child_path("child_sleep");
    request.args = {"10"};
    auto child = launch_process(request);
    EXPECT_EQ(child.wait_for(20s), 0u);
}

TEST(Launch, DestroyingAChildTerminatesItButDetachDoesNot) {
    LaunchRequest request;
    request.program = child_path("child_sleep");
    request.args = {"30000"};
    unique_handle watch;
    {
        auto child = launch_process(request);
        ASSERT_TRUE(::DuplicateHandle(::GetCurrentProcess(), child.native_handle(), ::GetCurrentProcess(),
                                      watch.put(), SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, 0));
    }
    EXPECT_EQ(::WaitForSingleObject(watch.get(), 5000), WAIT_OBJECT_0);

    request.args = {"300"};
    {
        auto child = launch_process(request);
        ASSERT_TRUE(::DuplicateHandle(::GetCurrentProcess(), child.native_handle(), ::GetCurrentProcess(),
                                      watch.put(), SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION, FALSE, 0));
        child.detach();
        EXPECT_FALSE(child.valid());
    }
    ASSERT_EQ(::WaitForSingleObject(watch.get(), 10000), WAIT_OBJECT_0);
    DWORD code = 1234;
    ASSERT_TRUE(::GetExitCodeProcess(watch.get(), &code));
    EXPECT_EQ(code, 0u);  // ran to its end
}

TEST(Launch, StdoutGoesToAFileStdinIsNulAndStderrToItsOwnFile) {
    const auto out = temp_path("stdout");
    const auto err = temp_path("stderr");
    ASSERT_TRUE(::SetEnvironmentVariableW(L"SAFELAUNCH_READ_STDIN", L"1"));
    LaunchRequest request;
    request.program = child_path("child_report");
    request.args = {"-", "-", "to stdout"};
    request.stdio.in.kind = StdStream::Kind::null;
    request.stdio.out = {StdStream::Kind::file, out, false};
    request.stdio.err = {StdStream::Kind::file, err, false};
    auto child = launch_process(request);
    ::SetEnvironmentVariableW(L"SAFELAUNCH_READ_STDIN", nullptr);
    EXPECT_EQ(child.wait(), 0u);
    const auto report = read_report(out);
    std::ifstream err_in(boost::nowide::widen(err).c_str(), std::ios::binary);
    const std::string err_text((std::istreambuf_iterator<char>(err_in)), std::istreambuf_iterator<char>());
    const bool err_created = static_cast<bool>(err_in);
    err_in.close();
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    ::DeleteFileW(boost::nowide::widen(err).c_str());
    ASSERT_TRUE(report.contains("argv")) << report.dump();
    EXPECT_EQ(report["argv"].back(), "to stdout");
    // stdin is the NUL device: a character device that reads 0 bytes, successfully.
    ASSERT_TRUE(report.contains("stdin")) << report.dump();
    EXPECT_EQ(report["stdin"]["type"], FILE_TYPE_CHAR) << report.dump();
    EXPECT_EQ(report["stdin"]["read_ok"], true) << report.dump();
    EXPECT_EQ(report["stdin"]["bytes"], 0) << report.dump();
    // stderr went to its own file (created by the launch), and nothing was written to it.
    EXPECT_TRUE(err_created);
    EXPECT_EQ(err_text, "");
}

// m2: with redirected std streams the child inherits those three handles and no other inheritable
// handle of ours. The control launch (bInheritHandles without a handle list) shows the child can
// reach the event when it is inherited, so the check can fail.
TEST(Launch, RedirectedChildInheritsOnlyItsStdHandles) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    unique_handle event(::CreateEventW(&sa, TRUE, FALSE, nullptr));
    ASSERT_TRUE(event);
    const auto value = std::to_wstring(reinterpret_cast<std::uintptr_t>(event.get()));
    ASSERT_TRUE(::SetEnvironmentVariableW(L"SAFELAUNCH_SET_EVENT", value.c_str()));

    // Control: plain CreateProcessW, bInheritHandles = TRUE, no list.
    auto line = boost::nowide::widen(build_command_line(child_path("child_report"), {"-", "-"}));
    STARTUPINFOW si{};
    si.cb = sizeof si;
    PROCESS_INFORMATION pi{};
    ASSERT_TRUE(::CreateProcessW(nullptr, line.data(), nullptr, nullptr, TRUE, CREATE_NO_WINDOW, nullptr, nullptr, &si,
                                 &pi));
    unique_handle process(pi.hProcess), thread(pi.hThread);
    ASSERT_EQ(::WaitForSingleObject(process.get(), 20000), WAIT_OBJECT_0);
    EXPECT_EQ(::WaitForSingleObject(event.get(), 0), WAIT_OBJECT_0) << "control: an inherited event is set by the child";
    ASSERT_TRUE(::ResetEvent(event.get()));

    const auto out = temp_path("handles");
    LaunchRequest request;
    request.program = child_path("child_report");
    request.args = {"-", "-"};
    request.stdio.in.kind = StdStream::Kind::null;
    request.stdio.out = {StdStream::Kind::file, out, false};
    request.stdio.err.kind = StdStream::Kind::null;
    auto child = launch_process(request);
    ::SetEnvironmentVariableW(L"SAFELAUNCH_SET_EVENT", nullptr);
    EXPECT_EQ(child.wait(), 0u);
    const auto report = read_report(out);
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    EXPECT_TRUE(report.contains("set_event")) << report.dump();
    EXPECT_EQ(::WaitForSingleObject(event.get(), 0), WAIT_TIMEOUT)
        << "the child reached an inheritable handle outside its std handle list: " << report.dump();
}

// C2's building block: a suspended child runs no code until resume().
TEST(Launch, SuspendedChildRunsOnlyAfterResume) {
    const auto out = temp_path("suspended");
    LaunchRequest request;
    request.program = child_path("child_report");
    request.args = {out, "-"};
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, LaunchOptions{.suspended = true}, ec, &failure);
    ASSERT_FALSE(ec) << failure.failure.describe();
    EXPECT_TRUE(child.suspended());
    EXPECT_EQ(child.wait_for(300ms), std::nullopt);
    EXPECT_EQ(::GetFileAttributesW(boost::nowide::widen(out).c_str()), INVALID_FILE_ATTRIBUTES) << "it ran";
    child.resume();
    EXPECT_FALSE(child.suspended());
    EXPECT_EQ(child.wait_for(20s), 0u);
    EXPECT_TRUE(read_report(out).contains("argv"));
    ::DeleteFileW(boost::nowide::widen(out).c_str());
}

TEST(Launch, SuspendedChildThatIsTerminatedNeverRuns) {
    const auto out = temp_path("suspended-killed");
    LaunchRequest request;
    request.program = child_path("child_report");
    request.args = {out, "-"};
    std::error_code ec;
    auto child = launch_process(request, LaunchOptions{.suspended = true}, ec);
    ASSERT_FALSE(ec);
    child.terminate(5);
    EXPECT_EQ(child.exit_code(), 5u);
    EXPECT_EQ(::GetFileAttributesW(boost::nowide::widen(out).c_str()), INVALID_FILE_ATTRIBUTES);
}

TEST(Launch, WithoutHandleInheritanceNullStreamsWorkAndFilesAreRefused) {
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.args = {"9"};
    request.stdio.out.kind = StdStream::Kind::null;
    request.stdio.err.kind = StdStream::Kind::null;
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, LaunchOptions{.inherit_handles = false}, ec, &failure);
    ASSERT_FALSE(ec) << failure.failure.describe();
    EXPECT_EQ(child.wait(), 9u);

    request.stdio.out = {StdStream::Kind::file, temp_path("no-inherit"), false};
    EXPECT_FALSE(launch_process(request, LaunchOptions{.inherit_handles = false}, ec, &failure).valid());
    EXPECT_EQ(ec, make_win32_error(ERROR_INVALID_PARAMETER));
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
}

TEST(Launch, UnopenableStdinFileIsNotStartable) {
    LaunchRequest request;
    request.program = child_path("child_exit");
    request.stdio.in = {StdStream::Kind::file, temp_path("missing-stdin"), false};
    std::error_code ec;
    LaunchFailure failure;
    EXPECT_FALSE(launch_process(request, ec, &failure).valid());
    EXPECT_EQ(failure.kind, LaunchFailureKind::not_startable);
    EXPECT_EQ(failure.failure.api, "CreateFileW");
    EXPECT_EQ(ec, make_win32_error(ERROR_FILE_NOT_FOUND));
}

// The canary: launcher/safelaunch-probe.exe, always built with the test binary (a dependency in
// tests/win32/CMakeLists.txt). Missing means a broken tree, not a skip.
std::string probe_path() {
    const auto path = exe_dir() + "\\..\\..\\launcher\\safelaunch-probe.exe";
    EXPECT_NE(::GetFileAttributesW(boost::nowide::widen(path).c_str()), INVALID_FILE_ATTRIBUTES)
        << "safelaunch-probe.exe not found at " << path;
    return path;
}

// Runs the probe with `args`, stdout to a file; returns (exit code, its JSON line).
std::pair<std::uint32_t, nlohmann::json> run_probe(const std::string& probe, std::vector<std::string> args) {
    const auto out = temp_path("probe");
    LaunchRequest request;
    request.program = probe;
    request.args = std::move(args);
    request.stdio.out = {StdStream::Kind::file, out, false};
    auto child = launch_process(request);
    const auto code = child.wait();
    auto report = read_report(out);
    ::DeleteFileW(boost::nowide::widen(out).c_str());
    return {code, report};
}

TEST(Probe, ConnectsAndAllocatesATinyBudget) {
    const auto probe = probe_path();
    ASSERT_FALSE(::testing::Test::HasFailure());
    // Tiny: never an exhaustion loop under Wine.
    const auto [code, report] = run_probe(probe, {"--alloc-kb", "8"});
    EXPECT_EQ(code, 0u);
    EXPECT_EQ(report["result"], "ok") << report.dump();
    EXPECT_EQ(report["objects_target"], 21);  // ceil(8 KB / 400 B)
    EXPECT_EQ(report["objects_created"], 21);
    // NULL lpDesktop: the probe is on our own station and desktop.
    EXPECT_EQ(report["desktop"], thread_desktop_name()) << report.dump();
    EXPECT_EQ(report["station"], process_window_station_name()) << report.dump();
}

TEST(Probe, ReportsItsDesktopWithoutAllocating) {
    const auto probe = probe_path();
    ASSERT_FALSE(::testing::Test::HasFailure());
    const auto [code, report] = run_probe(probe, {});
    EXPECT_EQ(code, 0u);
    EXPECT_EQ(report["objects_created"], 0);
    EXPECT_EQ(report["station"], process_window_station_name()) << report.dump();
    EXPECT_EQ(report["desktop"], thread_desktop_name()) << report.dump();
}

TEST(Probe, BadArgumentsExitWithUsageCode) {
    const auto probe = probe_path();
    ASSERT_FALSE(::testing::Test::HasFailure());
    for (const auto& args : std::vector<std::vector<std::string>>{{"--bogus"}, {"--alloc-kb", "12x"}, {"--alloc-kb"}}) {
        const auto [code, report] = run_probe(probe, args);
        EXPECT_EQ(code, 2u);
        EXPECT_EQ(report["result"], "usage");
    }
}

}  // namespace
}  // namespace safelaunch::win32
