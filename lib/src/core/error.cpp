#include "safelaunch/error.hpp"

#include <fmt/format.h>

#include <array>
#include <utility>

namespace safelaunch {
namespace {

struct CodeText {
    std::uint32_t code;
    std::string_view name;
    std::string_view text;
};

// The Win32 codes our Win32 layer can meet; texts are the system's own (FormatMessage, en-US).
constexpr std::array kWin32 = {
    CodeText{0, "ERROR_SUCCESS", "The operation completed successfully."},
    CodeText{1, "ERROR_INVALID_FUNCTION", "Incorrect function."},
    CodeText{2, "ERROR_FILE_NOT_FOUND", "The system cannot find the file specified."},
    CodeText{3, "ERROR_PATH_NOT_FOUND", "The system cannot find the path specified."},
    CodeText{5, "ERROR_ACCESS_DENIED", "Access is denied."},
    CodeText{6, "ERROR_INVALID_HANDLE", "The handle is invalid."},
    CodeText{8, "ERROR_NOT_ENOUGH_MEMORY", "Not enough memory resources are available to process this command."},
    CodeText{87, "ERROR_INVALID_PARAMETER", "The parameter is incorrect."},
    CodeText{120, "ERROR_CALL_NOT_IMPLEMENTED", "This function is not supported on this system."},
    CodeText{122, "ERROR_INSUFFICIENT_BUFFER", "The data area passed to a system call is too small."},
    CodeText{123, "ERROR_INVALID_NAME", "The filename, directory name, or volume label syntax is incorrect."},
    CodeText{126, "ERROR_MOD_NOT_FOUND", "The specified module could not be found."},
    CodeText{127, "ERROR_PROC_NOT_FOUND", "The specified procedure could not be found."},
    CodeText{128, "ERROR_WAIT_NO_CHILDREN", "There are no child processes to wait for."},
    CodeText{170, "ERROR_BUSY", "The requested resource is in use."},
    CodeText{183, "ERROR_ALREADY_EXISTS", "Cannot create a file when that file already exists."},
    CodeText{193, "ERROR_BAD_EXE_FORMAT", "%1 is not a valid Win32 application."},
    CodeText{203, "ERROR_ENVVAR_NOT_FOUND", "The system could not find the environment option that was entered."},
    CodeText{206, "ERROR_FILENAME_EXCED_RANGE", "The filename or extension is too long."},
    CodeText{234, "ERROR_MORE_DATA", "More data is available."},
    CodeText{258, "WAIT_TIMEOUT", "The wait operation timed out."},
    CodeText{259, "ERROR_NO_MORE_ITEMS", "No more data is available."},
    CodeText{1008, "ERROR_NO_TOKEN", "An attempt was made to reference a token that does not exist."},
    CodeText{1114, "ERROR_DLL_INIT_FAILED", "A dynamic link library (DLL) initialization routine failed."},
    CodeText{1158, "ERROR_NO_MORE_USER_HANDLES", "The current process has used all of its system allowance of handles for Window Manager objects."},
    CodeText{1314, "ERROR_PRIVILEGE_NOT_HELD", "A required privilege is not held by the client."},
    CodeText{1326, "ERROR_LOGON_FAILURE", "The user name or password is incorrect."},
    CodeText{1332, "ERROR_NONE_MAPPED", "No mapping between account names and security IDs was done."},
    CodeText{1336, "ERROR_INVALID_ACL", "The access control list (ACL) structure is invalid."},
    CodeText{1337, "ERROR_INVALID_SID", "The security ID structure is invalid."},
    CodeText{1338, "ERROR_INVALID_SECURITY_DESCR", "The security descriptor structure is invalid."},
    CodeText{1349, "ERROR_BAD_TOKEN_TYPE", "The type of the token is inappropriate for its attempted use."},
    CodeText{1444, "ERROR_INVALID_THREAD_ID", "The thread identifier is invalid."},
    CodeText{1450, "ERROR_NO_SYSTEM_RESOURCES", "Insufficient system resources exist to complete the requested service."},
    CodeText{1609, "ERROR_INVALID_HANDLE_STATE", "Handle is in an invalid state."},
};

constexpr std::array kNtStatus = {
    CodeText{0x00000000, "STATUS_SUCCESS", "The operation completed successfully."},
    CodeText{0xC0000005, "STATUS_ACCESS_VIOLATION", "The instruction referenced memory it could not access."},
    CodeText{0xC0000017, "STATUS_NO_MEMORY", "Not enough virtual memory or paging file quota."},
    CodeText{0xC0000022, "STATUS_ACCESS_DENIED", "A process has requested access to an object but has not been granted those access rights."},
    CodeText{0xC0000135, "STATUS_DLL_NOT_FOUND", "The code execution cannot proceed because a DLL was not found."},
    CodeText{0xC0000139, "STATUS_ENTRYPOINT_NOT_FOUND", "The procedure entry point could not be located."},
    CodeText{0xC0000142, "STATUS_DLL_INIT_FAILED", "Initialization of the dynamic library failed. The process is terminating abnormally."},
    CodeText{0xC000007B, "STATUS_INVALID_IMAGE_FORMAT", "The application was unable to start correctly (bad image format)."},
};

template <std::size_t N>
const CodeText* find(const std::array<CodeText, N>& table, std::uint32_t code) noexcept {
    for (const auto& e : table)
        if (e.code == code) return &e;
    return nullptr;
}

class Win32Category final : public std::error_category {
public:
    const char* name() const noexcept override { return "win32"; }
    std::string message(int ev) const override {
        const auto code = static_cast<std::uint32_t>(ev);
        if (const auto* e = find(kWin32, code)) return std::string(e->text);
        return fmt::format("Win32 error {}", code);
    }
};

class NtStatusCategory final : public std::error_category {
public:
    const char* name() const noexcept override { return "ntstatus"; }
    std::string message(int ev) const override {
        const auto code = static_cast<std::uint32_t>(ev);
        if (const auto* e = find(kNtStatus, code)) return fmt::format("{} ({})", e->name, e->text);
        return fmt::format("NTSTATUS 0x{:08X}", code);
    }
};

}  // namespace

const std::error_category& win32_category() noexcept {
    static const Win32Category category;
    return category;
}

const std::error_category& ntstatus_category() noexcept {
    static const NtStatusCategory category;
    return category;
}

std::string_view win32_error_name(std::uint32_t code) noexcept {
    const auto* e = find(kWin32, code);
    return e ? e->name : std::string_view{};
}

std::string ApiFailure::describe() const {
    const auto where = object.empty() ? std::string{} : fmt::format("({})", object);
    if (code.category() == win32_category()) {
        const auto v = static_cast<std::uint32_t>(code.value());
        const auto name = win32_error_name(v);
        return fmt::format("{}{} failed: {}{}{} ({})", api, where, v, name.empty() ? "" : " ", name, code.message());
    }
    return fmt::format("{}{} failed: {}", api, where, code.message());
}

Error::Error(ApiFailure failure)
    : std::system_error(failure.code), failure_(std::move(failure)), text_(failure_.describe()) {}

}  // namespace safelaunch
