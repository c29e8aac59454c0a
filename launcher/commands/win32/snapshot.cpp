// safelaunch snapshot: the facts as JSON, for `safelaunch analyze` on any machine.
#include "cli.hpp"
#include "exit_codes.hpp"
#include "target_options.hpp"

#include "safelaunch/json.hpp"
#include "safelaunch/win32/system_facts.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

struct SnapshotOptions {
    TargetOptions target;
    std::optional<std::string> output;
};

// Writes beside the destination and renames over it: a failed write leaves no half file.
void write_atomically(const std::string& path, const std::string& text) {
    const auto tmp = path + ".tmp";
    {
        std::ofstream out(std::filesystem::path(boost::nowide::widen(tmp)), std::ios::binary | std::ios::trunc);
        if (!out) throw UsageError{fmt::format("snapshot: cannot write '{}'", path)};
        out << text;
        if (!out.flush()) {
            out.close();
            _wremove(boost::nowide::widen(tmp).c_str());
            throw UsageError{fmt::format("snapshot: cannot write '{}'", path)};
        }
    }
    if (!MoveFileExW(boost::nowide::widen(tmp).c_str(), boost::nowide::widen(path).c_str(),
                     MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        _wremove(boost::nowide::widen(tmp).c_str());
        throw UsageError{fmt::format("snapshot: cannot write '{}': {}", path,
                                     ApiFailure{"MoveFileExW", path, make_win32_error(GetLastError())}.describe())};
    }
}

int run_snapshot(const SnapshotOptions& o) {
    win32::unique_handle token_holder;
    auto request = make_request(o.target, token_holder);
    // A private desktop exists only inside a launch: the facts saved would be those of the
    // inherited desktop, under a name that says otherwise.
    if (request.private_desktop)
        throw UsageError{"snapshot: --private-desktop: a private desktop exists only during a launch, so it has no "
                         "facts to save; 'check --private-desktop' shows what a launch would create"};
    std::error_code ec;
    ApiFailure failure;
    const auto token = win32::target_token(request, ec, &failure);
    if (ec) throw UsageError{fmt::format("snapshot: {}", failure.describe())};
    auto options = make_safe_options(o.target);
    auto facts = win32::gather_launch_facts(request, token.get(), options);
    const auto system = win32::gather_system_facts();
    facts.system.stations = system.stations;
    facts.system.events = system.events;
    facts.system.events_error = system.events_error;
    facts.system.hard_error_mode = system.hard_error_mode;  // the machine's ErrorMode (KB 128642)
    if (o.target.canary) {
        std::error_code cec;
        facts.canary = win32::run_canary(request, options, cec);
    }
    // Names from the system may hold text that is not UTF-8: replace it rather than fail the dump.
    const auto text = nlohmann::json(facts).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (o.output && *o.output != "-") {  // "-" is standard output, as for tar, curl and jq
        write_atomically(*o.output, text);
        std::cerr << fmt::format("safelaunch: snapshot written to {} (analyse it anywhere: safelaunch analyze {})\n",
                                 *o.output, *o.output);
    } else {
        std::cout << text;
    }
    return kOk;
}

}  // namespace

void add_snapshot(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<SnapshotOptions>();
    auto* sub = app.add_subcommand("snapshot", "Save the facts (token, desktop, ACLs, heap, registry, events) as JSON");
    add_target_options(sub, o->target, false);
    sub->add_option("-o,--output", o->output, "write to FILE instead of stdout (\"-\": stdout)");
    sub->footer("Exit status: 0 written, 2 usage or FILE not writable.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_snapshot(*o); }; });
}

}  // namespace safelaunch::cli
