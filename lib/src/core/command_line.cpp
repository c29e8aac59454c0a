#include "safelaunch/command_line.hpp"

#include "safelaunch/error.hpp"

#include <fmt/format.h>

namespace safelaunch {
namespace {

constexpr std::uint32_t kErrorInvalidName = 123;  // ERROR_INVALID_NAME

constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

}  // namespace

std::string quote_argument(std::string_view arg) {
    // \n and \v do not split arguments, but quoting them costs nothing and keeps the line readable.
    if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string_view::npos) return std::string(arg);

    std::string out;
    out.reserve(arg.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < arg.size();) {
        std::size_t backslashes = 0;
        while (i < arg.size() && arg[i] == '\\') {
            ++backslashes;
            ++i;
        }
        if (i == arg.size()) {
            // Before the closing quote: doubled, so the quote stays a delimiter.
            out.append(backslashes * 2, '\\');
        } else if (arg[i] == '"') {
            // Doubled, plus one that escapes the quote itself.
            out.append(backslashes * 2 + 1, '\\');
            out += '"';
            ++i;
        } else {
            // Not before a quote: backslashes are literal.
            out.append(backslashes, '\\');
            out += arg[i];
            ++i;
        }
    }
    out += '"';
    return out;
}

std::optional<std::string> quote_program(std::string_view program) {
    if (program.find('"') != std::string_view::npos) return std::nullopt;
    if (!program.empty() && program.find_first_of(" \t") == std::string_view::npos) return std::string(program);
    return fmt::format("\"{}\"", program);
}

std::string build_command_line(std::string_view program, const std::vector<std::string>& args,
                               std::error_code& ec) {
    ec.clear();
    auto line = quote_program(program);
    if (!line) {
        ec = make_win32_error(kErrorInvalidName);
        return {};
    }
    for (const auto& arg : args) {
        *line += ' ';
        *line += quote_argument(arg);
    }
    return std::move(*line);
}

std::string build_command_line(std::string_view program, const std::vector<std::string>& args) {
    std::error_code ec;
    auto line = build_command_line(program, args, ec);
    if (ec) throw Error(ApiFailure{"build_command_line", fmt::format("program {}", program), ec});
    return line;
}

std::vector<std::string> parse_command_line(std::string_view line) {
    std::vector<std::string> argv;
    if (line.empty()) return argv;

    // argv[0]: up to the next quote when quoted, else up to the next blank; no escapes.
    std::size_t i = 0;
    std::string program;
    if (line[0] == '"') {
        const auto close = line.find('"', 1);
        program = std::string(line.substr(1, close == std::string_view::npos ? std::string_view::npos : close - 1));
        i = close == std::string_view::npos ? line.size() : close + 1;
    } else {
        while (i < line.size() && !is_blank(line[i])) ++i;
        program = std::string(line.substr(0, i));
    }
    argv.push_back(std::move(program));

    while (true) {
        while (i < line.size() && is_blank(line[i])) ++i;
        if (i == line.size()) break;

        std::string arg;
        bool quoted = false;
        while (i < line.size()) {
            const char c = line[i];
            if (is_blank(c) && !quoted) break;
            if (c == '\\') {
                std::size_t backslashes = 0;
                while (i < line.size() && line[i] == '\\') {
                    ++backslashes;
                    ++i;
                }
                if (i < line.size() && line[i] == '"') {
                    arg.append(backslashes / 2, '\\');
                    if (backslashes % 2 == 1) {
                        arg += '"';
                        ++i;
                    }
                    // Even count: the quote is a delimiter, handled on the next turn.
                } else {
                    arg.append(backslashes, '\\');
                }
                continue;
            }
            if (c == '"') {
                if (quoted && i + 1 < line.size() && line[i + 1] == '"') {
                    arg += '"';  // VC 2008+: "" inside quotes is a literal quote, still quoted
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
