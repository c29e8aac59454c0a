// libFuzzer target: build_command_line / parse_command_line on arbitrary argument vectors.
// The input is split at NUL bytes (which no Windows command line can hold): the first piece is
// the program, the rest its arguments.
// Invariants: a program holding `"` is refused with ERROR_INVALID_NAME (and the throwing overload
// throws); otherwise parsing the built line gives back exactly {program, args...}, and every
// argument quoted alone parses back to itself; parse_command_line never crashes on the raw bytes.
#include "safelaunch/command_line.hpp"
#include "safelaunch/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace safelaunch;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    (void)parse_command_line(in);  // any line a parent could pass

    std::vector<std::string> pieces;
    std::size_t start = 0;
    for (;;) {
        const auto cut = in.find('\0', start);
        pieces.emplace_back(in.substr(start, cut == std::string_view::npos ? std::string_view::npos : cut - start));
        if (cut == std::string_view::npos) break;
        start = cut + 1;
    }
    const std::string program = pieces.front();
    const std::vector<std::string> args(pieces.begin() + 1, pieces.end());

    std::error_code ec;
    const auto line = build_command_line(program, args, ec);
    if (program.find('"') != std::string::npos) {
        if (!ec || ec.value() != 123 /* ERROR_INVALID_NAME */ || !line.empty() || quote_program(program)) std::abort();
        try {
            (void)build_command_line(program, args);
            std::abort();
        } catch (const std::exception&) {
        }
        return 0;
    }
    if (ec) std::abort();
    const auto parsed = parse_command_line(line);
    if (parsed.size() != pieces.size()) std::abort();
    for (std::size_t i = 0; i < pieces.size(); ++i)
        if (parsed[i] != pieces[i]) std::abort();
    for (const auto& a : args) {
        const auto alone = parse_command_line("p " + quote_argument(a));
        if (alone.size() != 2 || alone[1] != a) std::abort();
    }
    return 0;
}
