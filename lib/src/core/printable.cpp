#include "safelaunch/printable.hpp"

#include <algorithm>

namespace safelaunch {
namespace {

constexpr bool is_control(char c) noexcept {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7F;
}

}  // namespace

std::string escape_control_chars(std::string_view text) {
    constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (!is_control(c)) {
            out += c;
            continue;
        }
        const auto u = static_cast<unsigned char>(c);
        out += "\\x";
        out += kHex[u >> 4];
        out += kHex[u & 0xF];
    }
    return out;
}

void escape_control_chars_in_place(std::string& text) {
    if (std::any_of(text.begin(), text.end(), is_control)) text = escape_control_chars(text);
}

}  // namespace safelaunch
