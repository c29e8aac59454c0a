// One printable line from any text. Facts carry names as Windows or a snapshot gave them (object
// and account names, lpDesktop strings may hold any character but the backslash); messages,
// evidence and remedies promise one line, so control characters (C0 and DEL) become \xNN. The
// tools print facts from snapshots through it too (no terminal escape sequences from a file).
#pragma once

#include <string>
#include <string_view>

namespace safelaunch {

[[nodiscard]] std::string escape_control_chars(std::string_view text);
void escape_control_chars_in_place(std::string& text);

}  // namespace safelaunch
