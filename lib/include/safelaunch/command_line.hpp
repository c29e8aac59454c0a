// Windows command lines: quoting arguments so the child's parser gives them back unchanged, and
// the inverse parser.
//
// Windows passes a child one string, not an argv; the child splits it. Two rules apply:
//  - the program name (argv[0]) ends at the next space/tab, or, when it starts with `"`, at the
//    next `"` — there is no escaping in it, so a program name cannot contain `"` (neither can a
//    Windows file name);
//  - every other argument follows the MSVCRT / CommandLineToArgvW rules: space and tab separate
//    outside quotes; 2n backslashes + `"` give n backslashes and toggle quoting; 2n+1 backslashes
//    + `"` give n backslashes and a literal `"`; other backslashes are literal; and (the VC 2008+
//    rule) `""` inside a quoted part is a literal `"` that stays inside the quotes.
// Strings are UTF-8 in and out: every character the rules look at is ASCII, so UTF-8 passes
// through unchanged; the Win32 layer widens the result.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch {

// Quotes one argument (not argv[0]) for the MSVCRT / CommandLineToArgvW parser. Arguments with no
// space, tab, newline, vertical tab or `"` and not empty are returned as they are.
[[nodiscard]] std::string quote_argument(std::string_view arg);

// Quotes the program name for the argv[0] rule (quoted when empty or holding a space or tab).
// nullopt when it holds `"`, which that rule cannot represent.
[[nodiscard]] std::optional<std::string> quote_program(std::string_view program);

// program + args as one command line: quote_program(program) then " " + quote_argument(arg) for
// each arg. Fails with ERROR_INVALID_NAME (win32_category) when the program name holds `"`.
[[nodiscard]] std::string build_command_line(std::string_view program, const std::vector<std::string>& args,
                                             std::error_code& ec);
// Throwing overload: safelaunch::Error naming "build_command_line" and the program.
[[nodiscard]] std::string build_command_line(std::string_view program, const std::vector<std::string>& args);

// Splits a command line as CommandLineToArgvW does (with the VC 2008+ `""` rule above): element 0
// is the program name. An empty command line gives an empty vector (CommandLineToArgvW would
// substitute the current executable's path, which portable code cannot know). The rules live in
// command_line_split.hpp, for UTF-16 too.
[[nodiscard]] std::vector<std::string> parse_command_line(std::string_view command_line);

}  // namespace safelaunch
