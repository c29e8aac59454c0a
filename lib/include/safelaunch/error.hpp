// Errors that keep their Win32 / NTSTATUS code and the API that failed.
//
// Every operation that can fail has two overloads, as in Boost.Process v2: one taking
// `std::error_code&` (noexcept, sets the code) and one that throws `safelaunch::Error`.
// Codes use win32_category() (GetLastError values) or ntstatus_category(); both are portable so
// a snapshot taken on Windows renders the same messages on Linux.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace safelaunch {

[[nodiscard]] const std::error_category& win32_category() noexcept;
[[nodiscard]] const std::error_category& ntstatus_category() noexcept;

[[nodiscard]] inline std::error_code make_win32_error(std::uint32_t code) noexcept {
    return {static_cast<int>(code), win32_category()};
}
[[nodiscard]] inline std::error_code make_ntstatus_error(std::uint32_t status) noexcept {
    return {static_cast<int>(status), ntstatus_category()};
}

// Symbolic name of a Win32 error code ("ERROR_ACCESS_DENIED"), or "" when not in our table.
[[nodiscard]] std::string_view win32_error_name(std::uint32_t code) noexcept;

// What failed, where, and with which code: the payload of every error we report.
struct ApiFailure {
    std::string api;        // "OpenDesktopW"
    std::string object;     // what it was attempted on: "desktop WinSta0\\Default"; may be empty
    std::error_code code;   // win32_category or ntstatus_category

    // "OpenDesktopW(desktop WinSta0\\Default) failed: 5 ERROR_ACCESS_DENIED (Access is denied.)"
    [[nodiscard]] std::string describe() const;
};

class Error : public std::system_error {
public:
    explicit Error(ApiFailure failure);
    [[nodiscard]] const ApiFailure& failure() const noexcept { return failure_; }
    [[nodiscard]] const std::string& api() const noexcept { return failure_.api; }
    // ApiFailure::describe(): std::system_error's own text would repeat the code's message.
    [[nodiscard]] const char* what() const noexcept override { return text_.c_str(); }

private:
    ApiFailure failure_;
    std::string text_;
};

}  // namespace safelaunch
