// Our argv (win32/process_arguments.hpp): what CommandLineToArgvW gives, as UTF-8, without
// SHELL32; an unpaired surrogate is an error naming its argument. End to end: the tools that take
// their arguments this way (safelaunch, deskheap-repro, safelaunch-probe) started with a raw
// UTF-16 command line.
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/process_arguments.hpp"

#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <gtest/gtest.h>

#include <windows.h>
#include <shellapi.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace sl = safelaunch;
namespace w = safelaunch::win32;
namespace t = safelaunch::test;

namespace {

std::vector<std::string> shell_split(const std::wstring& line) {
    int argc = 0;
    wchar_t** argv = ::CommandLineToArgvW(line.c_str(), &argc);
    std::vector<std::string> got;
    if (!argv) return got;
    for (int i = 0; i < argc; ++i) got.push_back(boost::nowide::narrow(argv[i]));
    ::LocalFree(argv);
    return got;
}

struct RawRun {
    DWORD exit_code = 0xFFFFFFFF;
    std::string out, err;
};

std::wstring temp_file_w(const std::string& stem) {
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return dir + boost::nowide::widen(t::unique_name("safelaunch-args-" + stem));
}

std::string slurp(const std::wstring& path) {
    std::ifstream in(path.c_str(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// CreateProcessW with exactly this command line (no quoting of ours in between), stdout and
// stderr to files, stdin from NUL.
RawRun run_raw(const std::string& exe, std::wstring command_line) {
    SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
    const auto out_path = temp_file_w("out"), err_path = temp_file_w("err");
    RawRun r;
    {
        const DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
        w::unique_handle in(::CreateFileW(L"NUL", GENERIC_READ, share, &sa, OPEN_EXISTING, 0, nullptr));
        w::unique_handle out(::CreateFileW(out_path.c_str(), GENERIC_WRITE, share, &sa, CREATE_ALWAYS, 0, nullptr));
        w::unique_handle err(::CreateFileW(err_path.c_str(), GENERIC_WRITE, share, &sa, CREATE_ALWAYS, 0, nullptr));
        EXPECT_NE(in.get(), INVALID_HANDLE_VALUE);
        EXPECT_NE(out.get(), INVALID_HANDLE_VALUE);
        EXPECT_NE(err.get(), INVALID_HANDLE_VALUE);
        STARTUPINFOW si{};
        si.cb = sizeof si;
        si.dwFlags = STARTF_USESTDHANDLES;
        si.hStdInput = in.get();
        si.hStdOutput = out.get();
        si.hStdError = err.get();
        PROCESS_INFORMATION pi{};
        const auto wexe = boost::nowide::widen(exe);
        if (!::CreateProcessW(wexe.c_str(), command_line.data(), nullptr, nullptr, TRUE, 0, nullptr, nullptr, &si,
                              &pi)) {
            ADD_FAILURE() << "CreateProcessW(" << exe << ") failed: " << ::GetLastError();
        } else {
            const w::unique_handle process(pi.hProcess), thread(pi.hThread);
            if (::WaitForSingleObject(process.get(), 60000) != WAIT_OBJECT_0) {
                ::TerminateProcess(process.get(), 1);
                ADD_FAILURE() << exe << " did not end within 60 s";
            }
            ::GetExitCodeProcess(process.get(), &r.exit_code);
        }
    }
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    ::DeleteFileW(out_path.c_str());
    ::DeleteFileW(err_path.c_str());
    return r;
}

}  // namespace

TEST(ProcessArguments, SplitsAsCommandLineToArgvWDoes) {
    // No `""` inside quotes: there the VC 2008+ rule we follow and CommandLineToArgvW's own may
    // differ (launch_test's CommandLineToArgvWAgreesWithOurQuoting covers what we generate).
    const std::vector<std::wstring> lines = {
        L"C:\\p.exe a b",
        L"\"C:\\dir with space\\p.exe\" \"x y\" z\\\\\"q r\" tail\\",
        L"p.exe a\\\\b \\\"c\\\" \"d\\\\\" e\\\\\\\"f",
        L"p.exe   a\t\tb   ",
        L"p.exe \"\" x \"\"",
        L"C:\\D\u00e9j\u00e0\\p.exe Gr\u00fc\u00dfe \u65e5\u672c \U0001F600",
    };
    for (const auto& line : lines) {
        const auto expected = shell_split(line);
        ASSERT_FALSE(expected.empty()) << boost::nowide::narrow(line);
        EXPECT_EQ(w::split_command_line(line), expected) << boost::nowide::narrow(line);
    }
}

TEST(ProcessArguments, ConvertsToUtf8) {
    const auto args = w::split_command_line(L"p.exe \u00e9 \U0001F600 \u65e5");
    EXPECT_EQ(args, (std::vector<std::string>{"p.exe", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE6\x97\xA5"}));
    EXPECT_TRUE(w::split_command_line(L"").empty());
}

TEST(ProcessArguments, AnUnpairedSurrogateNamesItsArgument) {
    struct Row {
        std::wstring line;
        const char* object;
    };
    const std::vector<Row> rows = {
        {std::wstring(L"p.exe ok x") + wchar_t(0xD800) + L"y third", "argument 2"},  // high, then no low
        {std::wstring(L"p.exe ok \"a b ") + wchar_t(0xDC00) + L"\" z", "argument 2"},   // lone low, quoted
        {std::wstring(L"p.exe a b c ") + wchar_t(0xD83D), "argument 4"},                // high at the very end
        {std::wstring(L"\"C:\\p") + wchar_t(0xDE00) + L".exe\" a", "argument 0"},       // in the program name
        {std::wstring(L"p.exe ") + wchar_t(0xDE00) + wchar_t(0xD83D) + L" x", "argument 1"},  // low then high: no pair
    };
    for (const auto& row : rows) {
        std::error_code ec;
        sl::ApiFailure failure;
        const auto args = w::split_command_line(row.line, ec, &failure);
        EXPECT_TRUE(args.empty());
        EXPECT_EQ(ec, sl::make_win32_error(ERROR_NO_UNICODE_TRANSLATION)) << row.object << ": " << ec.value();
        EXPECT_EQ(failure.api, "WideCharToMultiByte");
        EXPECT_EQ(failure.object, row.object);
    }
    // A pair is fine wherever it is.
    EXPECT_EQ(w::split_command_line(std::wstring(L"p.exe ") + wchar_t(0xD83D) + wchar_t(0xDE00)),
              (std::vector<std::string>{"p.exe", "\xF0\x9F\x98\x80"}));
    try {
        (void)w::split_command_line(std::wstring(L"p.exe a ") + wchar_t(0xD800));
        ADD_FAILURE() << "no exception";
    } catch (const sl::Error& e) {
        EXPECT_EQ(e.failure().object, "argument 2");
        EXPECT_EQ(e.code(), sl::make_win32_error(ERROR_NO_UNICODE_TRANSLATION));
    }
}

TEST(ProcessArguments, OfThisProcessAreItsCommandLine) {
    std::error_code ec;
    const auto args = w::process_arguments(ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_EQ(args, w::split_command_line(::GetCommandLineW()));
    ASSERT_FALSE(args.empty());
    EXPECT_NE(args[0].find("safelaunch_win32_tests"), std::string::npos) << args[0];
}

// The tools read their argv this way: a surrogate half refused in one line with the usage code,
// non-ASCII arriving intact, a quoted option name read as the option. (stderr is in text mode:
// the line ends \r\n.)
TEST(ProcessArguments, ToolsRefuseAnUnpairedSurrogateInOneLine) {
    const auto tool = t::tool_path("safelaunch");
    const auto quoted = L"\"" + boost::nowide::widen(tool) + L"\"";
    auto r = run_raw(tool, quoted + L" explain 0x" + wchar_t(0xD800));
    EXPECT_EQ(r.exit_code, 2u) << r.err;
    EXPECT_EQ(r.err, "safelaunch: argument 2 is not valid UTF-16 (an unpaired surrogate; WideCharToMultiByte error 1113)\r\n");
    r = run_raw(tool, quoted + L" run -- x" + wchar_t(0xDC00) + L".exe");
    EXPECT_EQ(r.exit_code, 125u) << r.err;
    EXPECT_EQ(r.err, "safelaunch: argument 3 is not valid UTF-16 (an unpaired surrogate; WideCharToMultiByte error 1113)\r\n");

    const auto repro = t::tool_path("deskheap-repro");
    r = run_raw(repro, L"deskheap-repro.exe acl --junit x" + std::wstring(1, wchar_t(0xD800)) + L".xml");
    EXPECT_EQ(r.exit_code, 2u) << r.err;
    EXPECT_EQ(r.err, "deskheap-repro: argument 3 is not valid UTF-16 (an unpaired surrogate; WideCharToMultiByte error 1113)\r\n");

    const auto probe = t::tool_path("safelaunch-probe");
    r = run_raw(probe, L"safelaunch-probe.exe --alloc-kb 1" + std::wstring(1, wchar_t(0xD800)));
    EXPECT_EQ(r.exit_code, 2u) << r.out;
    EXPECT_NE(r.out.find("\"result\":\"usage\""), std::string::npos) << r.out;
}

TEST(ProcessArguments, ToolsReadNonAsciiAndQuotedArguments) {
    const auto tool = t::tool_path("safelaunch");
    // An unknown exit-code name is quoted back in the error: it must arrive as the same UTF-8.
    const auto r = run_raw(tool, L"safelaunch.exe explain \"STATUS_D\u00c9J\u00c0 \U0001F600\"");
    EXPECT_EQ(r.exit_code, 2u) << r.err;
    EXPECT_NE(r.err.find("STATUS_D\xC3\x89J\xC3\x80 \xF0\x9F\x98\x80"), std::string::npos) << r.err;

    const auto probe = t::tool_path("safelaunch-probe");
    const auto p = run_raw(probe, L"\"safelaunch-probe.exe\" \"--alloc-kb\" \"0\"");
    EXPECT_EQ(p.exit_code, 0u) << p.out;
    EXPECT_NE(p.out.find("\"result\":\"ok\""), std::string::npos) << p.out;
    EXPECT_NE(p.out.find("\"alloc_kb\":0"), std::string::npos) << p.out;
}
