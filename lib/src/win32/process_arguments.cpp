#include "safelaunch/win32/process_arguments.hpp"

#include "safelaunch/command_line_split.hpp"
#include "win32/api_failure.hpp"

#include <climits>

namespace safelaunch::win32 {
namespace {

// UTF-8 of `w` into `out`; ERROR_SUCCESS, or the converter's error (GetLastError).
DWORD to_utf8(std::wstring_view w, std::string& out) {
    out.clear();
    if (w.empty()) return ERROR_SUCCESS;
    if (w.size() > static_cast<std::size_t>(INT_MAX)) return ERROR_INVALID_PARAMETER;
    const int wide_size = static_cast<int>(w.size());
    // WC_ERR_INVALID_CHARS: an unpaired surrogate fails (ERROR_NO_UNICODE_TRANSLATION) instead of
    // silently becoming U+FFFD.
    const int n = ::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w.data(), wide_size, nullptr, 0, nullptr, nullptr);
    if (n <= 0) return ::GetLastError();
    out.resize(static_cast<std::size_t>(n));
    if (::WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w.data(), wide_size, out.data(), n, nullptr, nullptr) != n)
        return ::GetLastError();
    return ERROR_SUCCESS;
}

}  // namespace

std::vector<std::string> split_command_line(std::wstring_view command_line, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    // Split first, in UTF-16 (the rules look at ASCII only, so this is where the UTF-8 line would
    // split too), then convert argument by argument: a failure names its argument.
    const auto wide = basic_parse_command_line<wchar_t>(command_line);
    std::vector<std::string> args(wide.size());
    for (std::size_t i = 0; i < wide.size(); ++i) {
        if (const DWORD code = to_utf8(wide[i], args[i]); code != ERROR_SUCCESS) {
            detail::fail(ec, failure, "WideCharToMultiByte", "argument " + std::to_string(i), code);
            return {};
        }
    }
    return args;
}

std::vector<std::string> split_command_line(std::wstring_view command_line) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return split_command_line(command_line, ec, f); });
}

std::vector<std::string> process_arguments(std::error_code& ec, ApiFailure* failure) {
    // GetCommandLineW cannot fail: it returns the process's own copy of its command line.
    const wchar_t* line = ::GetCommandLineW();
    auto args = split_command_line(line ? std::wstring_view(line) : std::wstring_view(), ec, failure);
    if (!ec && args.empty()) args.emplace_back();
    return args;
}

std::vector<std::string> process_arguments() {
    return detail::or_throw([](std::error_code& ec, ApiFailure* f) { return process_arguments(ec, f); });
}

}  // namespace safelaunch::win32
