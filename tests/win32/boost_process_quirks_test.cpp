// Pins Boost 1.81 Process v2 behaviours the launcher works around (platform-facts.md, "Process v2
// behaviour seen at run time"). When a Boost upgrade fixes one, its test fails: then the
// workaround in lib/src/win32/launcher.cpp can go, and so can the test.
#include <boost/optional.hpp>  // BOOST_PROCESS_USE_STD_FS in 1.81 needs these two first
#include <type_traits>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/windows/as_user_launcher.hpp>
#include <boost/process/v2/windows/default_launcher.hpp>
#include <boost/system/system_error.hpp>
#include <boost/version.hpp>

#include "safelaunch/win32/handles.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace safelaunch::win32 {
namespace {

namespace bp = boost::process::v2;
namespace asio = boost::asio;

std::wstring child_path(const wchar_t* name) {
    std::wstring path(MAX_PATH * 4, L'\0');
    path.resize(::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
    return path.substr(0, path.find_last_of(L'\\') + 1) + name + L".exe";
}

// Keeps a duplicate of the new process's handle, and records which hooks ran.
struct Spy {
    HANDLE* watch = nullptr;
    bool* error_called = nullptr;
    bool* success_called = nullptr;

    template <typename Launcher>
    bp::error_code on_setup(Launcher&, const bp::filesystem::path&, std::wstring&) { return {}; }
    template <typename Launcher>
    bp::error_code on_error(Launcher&, const bp::filesystem::path&, std::wstring&, const bp::error_code&) {
        if (error_called) *error_called = true;
        return {};
    }
    // void, not error_code: 1.81's invoke_on_success is declared to return what on_success returns
    // but has no return statement, so an error_code-returning on_success is undefined behaviour
    // (observed: a crash right after the hook under MinGW -O3).
    template <typename Launcher>
    void on_success(Launcher& launcher, const bp::filesystem::path&, std::wstring&) {
        if (success_called) *success_called = true;
        if (watch)
            ::DuplicateHandle(::GetCurrentProcess(), launcher.process_information.hProcess, ::GetCurrentProcess(),
                              watch, 0, FALSE, DUPLICATE_SAME_ACCESS);
    }
};

TEST(BoostProcessQuirks, VersionIs1_81) {
    // The pins below were observed with 1.81; on another version re-check each one.
    EXPECT_EQ(BOOST_VERSION / 100, 1081);
}

TEST(BoostProcessQuirks, ConvertingLauncherResultLosesHandleAndTerminatesChild) {
    asio::io_context context;
    unique_handle watch;
    bp::error_code ec;
    bp::windows::default_launcher launcher;
    // basic_process<io_context::executor_type> → basic_process<any_io_executor> (bp::process).
    bp::process converted = launcher(context.get_executor(), ec, child_path(L"child_sleep"),
                                     std::vector<std::wstring>{L"30000"}, Spy{watch.put()});
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(watch);

    converted.wait(ec);
    EXPECT_EQ(ec.value(), ERROR_INVALID_HANDLE_STATE);  // 1609: the converted object has no handle
    // The temporary kept the handle and its destructor ended the child with Boost's code 260.
    ASSERT_EQ(::WaitForSingleObject(watch.get(), 5000), WAIT_OBJECT_0);
    DWORD code = 0;
    ASSERT_TRUE(::GetExitCodeProcess(watch.get(), &code));
    EXPECT_EQ(code, 260u);
}

TEST(BoostProcessQuirks, KeepingTheLauncherReturnTypeWorks) {
    asio::io_context context;
    bp::error_code ec;
    bp::windows::default_launcher launcher;
    auto proc = launcher(context.get_executor(), ec, child_path(L"child_exit"), std::vector<std::wstring>{L"42"});
    ASSERT_FALSE(ec) << ec.message();
    proc.wait(ec);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_EQ(proc.exit_code(), 42);
}

TEST(BoostProcessQuirks, AsUserLauncherContextOverloadThrowsDespiteErrorCode) {
    unique_handle own, primary;
    ASSERT_TRUE(::OpenProcessToken(::GetCurrentProcess(), TOKEN_DUPLICATE | TOKEN_QUERY, own.put()));
    ASSERT_TRUE(::DuplicateTokenEx(own.get(), MAXIMUM_ALLOWED, nullptr, SecurityImpersonation, TokenPrimary,
                                   primary.put()));
    asio::io_context context;
    const auto missing = child_path(L"no_such_child");
    bp::windows::as_user_launcher launcher(primary.get());
    bp::error_code ec;
    EXPECT_THROW((void)launcher(context, ec, missing, std::vector<std::wstring>{}), boost::system::system_error);

    // The (executor, ec, ...) overload reports through ec instead.
    bp::windows::as_user_launcher launcher2(primary.get());
    EXPECT_NO_THROW((void)launcher2(context.get_executor(), ec, missing, std::vector<std::wstring>{}));
    EXPECT_EQ(ec.value(), ERROR_FILE_NOT_FOUND);
}

TEST(BoostProcessQuirks, OnErrorIsNotCalledWhenTheExecutableIsMissing) {
    asio::io_context context;
    bool error_called = false, success_called = false;
    bp::error_code ec;
    bp::windows::default_launcher launcher;
    (void)launcher(context.get_executor(), ec, child_path(L"no_such_child"), std::vector<std::wstring>{},
                   Spy{nullptr, &error_called, &success_called});
    EXPECT_EQ(ec.value(), ERROR_FILE_NOT_FOUND);
    EXPECT_FALSE(error_called);
    EXPECT_FALSE(success_called);

    // The same spy's on_success does run on a successful launch: the hooks are wired, on_error isn't.
    bp::windows::default_launcher launcher2;
    auto proc = launcher2(context.get_executor(), ec, child_path(L"child_exit"), std::vector<std::wstring>{L"0"},
                          Spy{nullptr, &error_called, &success_called});
    ASSERT_FALSE(ec);
    proc.wait(ec);
    EXPECT_TRUE(success_called);
}

}  // namespace
}  // namespace safelaunch::win32
