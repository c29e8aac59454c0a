// Internal: the ASCII character tests the parsers share (locale-free, unlike <cctype>; input is
// bytes of registry values, SDDL, SIDs and exit codes, never text to be localised).
#pragma once

namespace safelaunch::ascii {

constexpr bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
constexpr char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
// 0-15 for a hex digit of either case, else -1.
constexpr int hex_value(char c) noexcept {
    if (is_digit(c)) return c - '0';
    const char l = lower(c);
    return (l >= 'a' && l <= 'f') ? l - 'a' + 10 : -1;
}

}  // namespace safelaunch::ascii
