// Which executable a launch runs: the search CreateProcess does for a bare name, done up front so
// "not found" can be told apart from "found but could not be started".
#include "safelaunch/win32/launcher.hpp"

#include <boost/nowide/convert.hpp>

#include <string>
#include <vector>

namespace safelaunch::win32 {
namespace {

void fail(std::error_code& ec, ApiFailure* failure, const char* api, std::string_view program, DWORD code) {
    ec = make_win32_error(code);
    if (failure) *failure = ApiFailure{api, "program " + std::string(program), ec};
}

bool has_extension(std::wstring_view path) noexcept {
    const auto name = path.substr(path.find_last_of(L"\\/:") + 1);  // npos + 1 == 0
    return name.find(L'.') != std::wstring_view::npos;
}

}  // namespace

std::string resolve_program(std::string_view program, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto wide = boost::nowide::widen(program.data(), program.size());
    if (wide.empty()) {
        fail(ec, failure, "SearchPathW", program, ERROR_FILE_NOT_FOUND);
        return {};
    }
    std::wstring found(MAX_PATH, L'\0');

    if (wide.find_first_of(L"\\/:") == std::wstring::npos) {
        // Bare name: the order CreateProcess uses for a lpCommandLine-only call (application
        // folder, current folder, system folders, PATH), ".exe" added when there is no extension.
        for (;;) {
            const DWORD n = ::SearchPathW(nullptr, wide.c_str(), L".exe", static_cast<DWORD>(found.size()),
                                          found.data(), nullptr);
            if (n == 0) {
                fail(ec, failure, "SearchPathW", program, ::GetLastError());
                return {};
            }
            if (n < found.size()) {
                found.resize(n);
                break;
            }
            found.resize(n);
        }
        return boost::nowide::narrow(found);
    }

    // A path: absolute against the current folder, as CreateProcess takes lpApplicationName.
    for (;;) {
        const DWORD n = ::GetFullPathNameW(wide.c_str(), static_cast<DWORD>(found.size()), found.data(), nullptr);
        if (n == 0) {
            fail(ec, failure, "GetFullPathNameW", program, ::GetLastError());
            return {};
        }
        if (n < found.size()) {
            found.resize(n);
            break;
        }
        found.resize(n);
    }
    if (::GetFileAttributesW(found.c_str()) == INVALID_FILE_ATTRIBUTES) {
        const DWORD err = ::GetLastError();
        if (!has_extension(found) && ::GetFileAttributesW((found + L".exe").c_str()) != INVALID_FILE_ATTRIBUTES)
            return boost::nowide::narrow(found + L".exe");
        fail(ec, failure, "GetFileAttributesW", program, err);
        return {};
    }
    return boost::nowide::narrow(found);
}

std::string resolve_program(std::string_view program) {
    std::error_code ec;
    ApiFailure failure;
    auto path = resolve_program(program, ec, &failure);
    if (ec) throw LaunchError(LaunchFailure{LaunchFailureKind::not_found, std::move(failure)});
    return path;
}

}  // namespace safelaunch::win32
