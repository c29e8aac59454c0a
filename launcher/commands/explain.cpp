// safelaunch explain CODE: what an exit code means for a child that died at start.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/json.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace safelaunch::cli {

void add_explain(CLI::App& app, Command& cmd) {
    struct Options {
        std::string code;
        bool json = false;
    };
    auto opts = std::make_shared<Options>();
    auto* sub = app.add_subcommand("explain", "Explain an exit code (0xC0000142, 3221225794, -1073741502, 128, a name)");
    sub->add_option("CODE", opts->code, "exit code in any notation: hex, unsigned, signed, or a name")->required();
    sub->add_flag("--json", opts->json, "print JSON");
    sub->footer("Exit status: 0 explained, 2 bad CODE or usage.");
    sub->callback([&cmd, opts] {
        cmd.run = [opts]() -> int {
            std::string reason;
            const auto code = parse_exit_code(opts->code, reason);
            if (!code) throw UsageError{fmt::format("explain: {}", reason)};
            const auto info = explain_exit_code(*code);
            if (opts->json) {
                print_json(info);
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
            return kOk;
        };
    });
}

}  // namespace safelaunch::cli
