// safelaunch check: the pre-flight verdict for a launch, without launching.
#include "cli.hpp"
#include "exit_codes.hpp"
#include "target_options.hpp"

#include "safelaunch/json.hpp"
#include "safelaunch/win32/launcher.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

int run_check(const TargetOptions& o) {
    win32::unique_handle token;
    auto request = make_request(o, token);
    auto options = make_safe_options(o);
    std::error_code ec;
    ApiFailure failure;
    auto p = win32::preflight(request, options, ec, &failure);
    if (ec) throw UsageError{fmt::format("check: {}", failure.describe())};
    auto findings = p.analysis.preflight;
    if (!request.program.empty()) {
        // A program that cannot be found would make `run` exit 127: say so before it is tried.
        (void)win32::resolve_program(request.program, ec, &failure);
        if (ec) {
            std::cerr << fmt::format("safelaunch: check: program '{}' was not found\n", request.program);
            findings.push_back({"program.not_found", Severity::error,
                                fmt::format("program '{}' was not found", request.program), failure.describe(),
                                "give a full path, or put its folder on PATH"});
        }
    }
    const auto verdict = verdict_of(findings);
    if (o.json) {
        print_json({{"verdict", to_string(verdict)}, {"findings", findings}, {"facts", p.facts}});
    } else {
        const auto& t = p.facts.target;
        const auto line = [](std::string_view l) { print_fact_line(std::cout, l); };
        line(fmt::format("Target: lpDesktop {} -> {}\\{} ({})",
                         t.spec ? fmt::format("\"{}\"", *t.spec) : std::string("NULL"), t.station, t.desktop, t.how));
        line(fmt::format("Token: {} {}{}", p.facts.token.user_name, p.facts.token.user_sid,
                         p.facts.token.logon_sid ? " logon " + *p.facts.token.logon_sid : ""));
        std::cout << "Verdict: " << to_string(verdict) << '\n';
        print_findings(std::cout, findings);
    }
    return verdict == Verdict::blocked ? kFindings : kOk;
}

}  // namespace

void add_check(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<TargetOptions>();
    auto* sub = app.add_subcommand("check", "Pre-flight: would a child start on that desktop with that token?");
    add_target_options(sub, *o, false);
    sub->footer("Exit status: 0 no blocking finding, 1 blocked, 2 usage.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_check(*o); }; });
}

}  // namespace safelaunch::cli
