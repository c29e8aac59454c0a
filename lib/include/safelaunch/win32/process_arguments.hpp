// This process's arguments as UTF-8, split from GetCommandLineW() by safelaunch's own splitter
// (safelaunch/command_line_split.hpp: the argv[0] rule and the VC 2008+ rules, the same as
// parse_command_line), instead of CommandLineToArgvW. That one lives in SHELL32, which imports USER32 and GDI32: a
// program that calls it connects to a window station and desktop before main, and dies with
// 0xC0000142 when it cannot (issue 12). This needs KERNEL32 only.
//
// Operations come as pairs: `op(..., std::error_code& ec, ApiFailure* failure = nullptr)` clears
// `ec` and on failure sets it and fills `*failure`; `op(...)` throws safelaunch::Error.
#pragma once

#include "safelaunch/error.hpp"

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

// Splits a UTF-16 command line (basic_parse_command_line<wchar_t>) and converts each argument to
// UTF-8 (WideCharToMultiByte, CP_UTF8, WC_ERR_INVALID_CHARS). An unpaired surrogate has no UTF-8 form: that fails with the
// converter's code (ERROR_NO_UNICODE_TRANSLATION, 1113) and `failure->object` names the first
// argument holding one, as "argument N" (N counts from 0, the program name). An empty line gives
// no arguments. Nothing here loads USER32 or SHELL32.
[[nodiscard]] std::vector<std::string> split_command_line(std::wstring_view command_line, std::error_code& ec,
                                                          ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<std::string> split_command_line(std::wstring_view command_line);

// split_command_line(GetCommandLineW()). Never empty: an empty command line (CreateProcessW with
// lpCommandLine L"") gives one empty argv[0], where CommandLineToArgvW would give the executable's
// path.
[[nodiscard]] std::vector<std::string> process_arguments(std::error_code& ec, ApiFailure* failure = nullptr);
[[nodiscard]] std::vector<std::string> process_arguments();

}  // namespace safelaunch::win32
