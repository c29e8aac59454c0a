#include "safelaunch/error.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

TEST(Error, KeepsApiObjectAndWin32Code) {
    const Error e(ApiFailure{"OpenDesktopW", "desktop WinSta0\\Default", make_win32_error(5)});
    EXPECT_EQ(e.api(), "OpenDesktopW");
    EXPECT_EQ(e.code().value(), 5);
    EXPECT_EQ(&e.code().category(), &win32_category());
    EXPECT_STREQ(e.what(),
                 "OpenDesktopW(desktop WinSta0\\Default) failed: 5 ERROR_ACCESS_DENIED (Access is denied.)");
}

TEST(Error, NtStatusMessageNamesTheStatus) {
    EXPECT_EQ(make_ntstatus_error(0xC0000142).message().rfind("STATUS_DLL_INIT_FAILED", 0), 0u);
    EXPECT_EQ(make_ntstatus_error(0xC0DEDBAD).message(), "NTSTATUS 0xC0DEDBAD");
}

TEST(Error, UnknownWin32CodeHasNoNameButANumber) {
    EXPECT_EQ(win32_error_name(424242), "");
    EXPECT_EQ(make_win32_error(424242).message(), "Win32 error 424242");
    const ApiFailure f{"X", "", make_win32_error(424242)};
    EXPECT_EQ(f.describe(), "X failed: 424242 (Win32 error 424242)");
}

}  // namespace
}  // namespace safelaunch
