// safelaunch explain CODE: what an exit code means for a child that died at start.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/json.hpp"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

namespace safelaunch::cli {
namespace {

// The note on codes cut to 8 bits; "" when no catalogued code ends in `code`'s byte.
std::string truncation_note(std::uint32_t code, const std::vector<std::uint32_t>& full) {
    if (full.empty()) return {};
    std::string names;
    for (const auto c : full) {
        if (!names.empty()) names += ", ";
        names += exit_code_hex(c);
        if (const auto info = explain_exit_code(c); !info.name.empty()) names += " " + info.name;
    }
    return fmt::format("A runner or shell that keeps only the low 8 bits of an exit code shows {} as {}; "
                       "this list holds known codes only, others can end in 0x{:02X} too.",
                       names, code, code);
}

void print_truncated_text(std::uint32_t code, const std::vector<std::uint32_t>& full) {
    std::cout << fmt::format("{} read as the low 8 bits of a longer exit code (runners and shells that keep only the "
                             "low byte, e.g. a POSIX exit status).\n",
                             code);
    if (full.empty()) {
        std::cout << fmt::format("No known code ends in 0x{:02X} (the catalogue lists known codes only); the program "
                                 "may also have exited with {} itself: safelaunch explain {}.\n",
                                 code, code, code);
        return;
    }
    std::cout << fmt::format("Known codes that end in 0x{:02X} (known codes only; others can end in it too):\n", code);
    for (const auto c : full) {
        const auto info = explain_exit_code(c);
        std::cout << "  - " << describe_exit_code(c) << ": " << info.summary << '\n';
    }
    std::cout << fmt::format("For causes and remedies: safelaunch explain {}.\n", exit_code_hex(full.front()));
}

}  // namespace

void add_explain(CLI::App& app, Command& cmd) {
    struct Options {
        std::string code;
        bool json = false;
        bool truncated = false;
    };
    auto opts = std::make_shared<Options>();
    auto* sub = app.add_subcommand("explain", "Explain an exit code (0xC0000142, 3221225794, -1073741502, 128, a name)");
    sub->add_option("CODE", opts->code, "exit code in any notation: hex, unsigned, signed, or a name")->required();
    sub->add_flag("--json", opts->json, "print JSON");
    sub->add_flag("--truncated", opts->truncated,
                  "CODE (0..255) is the low byte a runner or shell kept: list the known codes that end in it");
    sub->footer("Exit status: 0 explained, 2 bad CODE or usage.");
    sub->callback([&cmd, opts] {
        cmd.run = [opts]() -> int {
            std::string reason;
            const auto code = parse_exit_code(opts->code, reason);
            if (!code) throw UsageError{fmt::format("explain: {}", reason)};
            if (opts->truncated && *code > 0xFFU)
                throw UsageError{fmt::format("explain: --truncated takes the 8-bit code a runner showed (0..255), not {}",
                                             exit_code_hex(*code))};
            const auto info = explain_exit_code(*code);
            // Codes cut to 8 bits: the candidates whenever CODE fits a byte, with or without --truncated.
            const auto full = *code <= 0xFFU ? known_codes_with_low_byte(static_cast<std::uint8_t>(*code))
                                             : std::vector<std::uint32_t>{};
            const auto note = truncation_note(*code, full);
            if (opts->json) {
                nlohmann::json j = info;
                // Added keys (JSON keys are stable: never renamed).
                j["truncated"] = opts->truncated;
                auto list = nlohmann::json::array();
                for (const auto c : full) {
                    const auto fi = explain_exit_code(c);
                    list.push_back({{"code", fi.code}, {"hex", fi.hex}, {"name", fi.name}, {"summary", fi.summary},
                                    {"dll_init_failure", fi.dll_init_failure}});
                }
                j["truncated_from"] = std::move(list);
                j["truncated_note"] = note;
                print_json(j);
                return kOk;
            }
            if (opts->truncated) {
                print_truncated_text(*code, full);
                return kOk;
            }
            std::cout << describe_exit_code(info.code) << '\n' << info.summary << '\n';
            if (info.dll_init_failure)
                std::cout << "This is a DLL-initialisation failure (KB 184802): check the desktop access and "
                             "desktop heap of the child (safelaunch check).\n";
            if (!info.causes.empty()) {
                std::cout << "Causes:\n";
                for (const auto& c : info.causes) std::cout << "  - " << c << '\n';
            }
            if (!info.remedies.empty()) {
                std::cout << "Remedies:\n";
                for (const auto& r : info.remedies) std::cout << "  - " << r << '\n';
            }
            if (!note.empty())
                std::cout << "Note: " << note << " If this code came from such a runner: safelaunch explain "
                          << *code << " --truncated.\n";
            return kOk;
        };
    });
}

}  // namespace safelaunch::cli
