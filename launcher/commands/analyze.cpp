// safelaunch analyze FILE: the pre-flight verdict and diagnosis from a snapshot, on any OS.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/os_version.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

struct AnalyzeOptions {
    std::string file;
    std::optional<std::uint32_t> processes;
    bool json = false;
};

int run_analyze(const AnalyzeOptions& o) {
    const auto text = read_file_or_throw(o.file);
    Snapshot snap;
    std::string error;
    if (!snapshot_from_json_text(text, snap, error)) throw UsageError{fmt::format("analyze: '{}': {}", o.file, error)};
    const auto a = analyze(snap, AnalysisOptions{o.processes});
    const auto all = a.all_findings();
    const auto verdict = verdict_of(all);
    if (o.json) {
        print_json({{"file", o.file},
                    {"verdict", to_string(a.verdict)},
                    {"findings", a.preflight},
                    {"diagnosis", a.diagnosis ? nlohmann::json(*a.diagnosis) : nlohmann::json(nullptr)},
                    {"facts", snap}});
    } else {
        // The snapshot may come from anywhere: its text reaches the terminal escaped.
        const auto line = [](std::string_view l) { print_fact_line(std::cout, l); };
        line(fmt::format("Snapshot {} of {} taken {}", o.file, snap.host.empty() ? "?" : snap.host,
                         snap.taken_utc.empty() ? "?" : snap.taken_utc));
        if (snap.system.os.major) line("Windows: " + describe_os(snap.system.os));
        line(fmt::format("Token: {} {}", snap.token.user_name, snap.token.user_sid));
        line(fmt::format("Target: lpDesktop {} -> {}\\{} ({})",
                         snap.target.spec ? fmt::format("\"{}\"", *snap.target.spec) : std::string("NULL"),
                         snap.target.station, snap.target.desktop, snap.target.how));
        std::cout << "Pre-flight verdict: " << to_string(a.verdict) << '\n';
        print_findings(std::cout, a.preflight);
        if (a.diagnosis) print_diagnosis(std::cout, *a.diagnosis);
    }
    return verdict == Verdict::blocked ? kFindings : kOk;
}

}  // namespace

void add_analyze(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<AnalyzeOptions>();
    auto* sub = app.add_subcommand("analyze", "Verdict and diagnosis from a snapshot (safelaunch snapshot -o FILE), on any OS");
    sub->add_option("FILE", o->file, "snapshot JSON file (\"-\": standard input)")->required();
    sub->add_option("--processes", o->processes, "processes expected on the target desktop at once")
        ->check(CLI::Range(1u, 1000000u));
    sub->add_flag("--json", o->json, "print JSON");
    sub->footer("Exit status: 0 no error-severity finding, 1 blocked or a decided failure cause, 2 usage or unreadable FILE.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_analyze(*o); }; });
}

}  // namespace safelaunch::cli
