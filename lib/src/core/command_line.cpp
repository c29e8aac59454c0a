#include "safelaunch/command_line.hpp"

#include "safelaunch/command_line_split.hpp"
#include "safelaunch/error.hpp"

#include <fmt/format.h>

namespace safelaunch {
namespace {

constexpr std::uint32_t kErrorInvalidName = 123;  // ERROR_INVALID_NAME

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
    return basic_parse_command_line<char>(line);
}

}  // namespace safelaunch
