// The splitting rules of command_line.hpp (the argv[0] rule, then the MSVCRT / CommandLineToArgvW
// rules with the VC 2008+ `""` rule) for any character type: the one copy of those rules.
// parse_command_line is basic_parse_command_line<char> on UTF-8; the Win32 layer splits the
// UTF-16 command line with basic_parse_command_line<wchar_t> (win32/process_arguments.hpp), and so
// do the plain Win32 helper programs (safelaunch-probe, deskheap-filler), header-only, so that they
// need neither SHELL32's CommandLineToArgvW nor anything linked from the library.
// Every character the rules look at is ASCII (space, tab, `"`, `\`): UTF-8 multi-byte sequences
// and UTF-16 surrogates pass through unchanged, so both encodings split at the same places.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

// Element 0 is the program name. An empty command line gives an empty vector.
template <typename Char>
[[nodiscard]] std::vector<std::basic_string<Char>> basic_parse_command_line(std::basic_string_view<Char> line) {
    using String = std::basic_string<Char>;
    constexpr auto ch = [](char c) { return static_cast<Char>(c); };
    const auto is_blank = [&](Char c) { return c == ch(' ') || c == ch('\t'); };

    std::vector<String> argv;
    if (line.empty()) return argv;

    // argv[0]: up to the next quote when quoted, else up to the next blank; no escapes.
    std::size_t i = 0;
    String program;
    if (line[0] == ch('"')) {
        const auto close = line.find(ch('"'), 1);
        program = String(line.substr(1, close == std::basic_string_view<Char>::npos
                                            ? std::basic_string_view<Char>::npos
                                            : close - 1));
        i = close == std::basic_string_view<Char>::npos ? line.size() : close + 1;
    } else {
        while (i < line.size() && !is_blank(line[i])) ++i;
        program = String(line.substr(0, i));
    }
    argv.push_back(std::move(program));

    while (true) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i == line.size()) break;

        String arg;
        bool quoted = false;
        while (i < line.size()) {
            const Char c = line[i];
            if (is_blank(c) && !quoted) break;
            if (c == ch('\\')) {
                std::size_t backslashes = 0;
                while (i < line.size() && line[i] == ch('\\')) {
                    ++backslashes;
                    ++i;
                }
                if (i < line.size() && line[i] == ch('"')) {
                    arg.append(backslashes / 2, ch('\\'));
                    if (backslashes % 2 == 1) {
                        arg += ch('"');
                        ++i;
                    }
                    // Even count: the quote is a delimiter, handled on the next turn.
                } else {
                    arg.append(backslashes, ch('\\'));
                }
                continue;
            }
            if (c == ch('"')) {
                if (quoted && i + 1 < line.size() && line[i + 1] == ch('"')) {
                    arg += ch('"');  // VC 2008+: "" inside quotes is a literal quote, still quoted
                    i += 2;
                } else {
                    quoted = !quoted;
                    ++i;
                }
                continue;
            }
            arg += c;
            ++i;
        }
        argv.push_back(std::move(arg));
    }
    return argv;
}

}  // namespace safelaunch
