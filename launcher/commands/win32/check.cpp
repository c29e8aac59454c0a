// safelaunch check: the pre-flight verdict for a launch, without launching.
#include "cli.hpp"
#include "exit_codes.hpp"
#include "target_options.hpp"

#include "safelaunch/json.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/private_desktop.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

// --private-desktop: what would be created, for the target token, with nothing created. The
// desktop does not exist yet, so no station or desktop is read (the pre-flight runs with
// connect = false for the token and system facts); the plan's findings are the ones decidable now.
PrivateDesktopFacts plan_for(const PrivateDesktopSpec& spec, const TokenFacts& token) {
    std::error_code ec;
    ApiFailure failure;
    const auto user_sid = win32::own_user_sid(ec, &failure);
    if (ec) throw UsageError{fmt::format("check: {}", failure.describe())};
    // Whether we are an administrator decides the station (safelaunch-<hex>, or the logon
    // session's), as for the launch.
    const auto choice = win32::choose_station({});
    auto plan = plan_private_desktop(spec, user_sid, token.logon_sid.value_or(token.user_sid),
                                     win32::can_bound_desktop_heap(), choice.launcher_is_admin);
    plan.admin_check_error = choice.admin_check_error;
    return plan;
}

int run_check(const TargetOptions& o) {
    win32::unique_handle token;
    auto request = make_request(o, token);
    auto options = make_safe_options(o);
    const auto private_spec = request.private_desktop;
    if (private_spec) {
        request.private_desktop.reset();
        options.connect = false;
    }
    std::error_code ec;
    ApiFailure failure;
    auto p = win32::preflight(request, options, ec, &failure);
    if (ec) throw UsageError{fmt::format("check: {}", failure.describe())};
    auto findings = p.analysis.preflight;
    std::optional<PrivateDesktopFacts> plan;
    if (private_spec) {
        // The pre-flight looked at no target (connect = false): what it says about the target's
        // existence, access and heap is about nothing. The plan's DACL and heap replace it.
        const auto about_target = [](const Finding& f) {
            return f.id.rfind("desktop.", 0) == 0 || f.id.rfind("acl.", 0) == 0 || f.id.rfind("heap.desktop.", 0) == 0;
        };
        findings.erase(std::remove_if(findings.begin(), findings.end(), about_target), findings.end());
        plan = plan_for(*private_spec, p.facts.token);
        const auto more = private_desktop_findings(*plan);
        findings.insert(findings.end(), more.begin(), more.end());
    }
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
        print_json({{"verdict", to_string(verdict)},
                    {"findings", findings},
                    {"facts", p.facts},
                    {"private_desktop", plan ? nlohmann::json(*plan) : nlohmann::json(nullptr)}});
    } else {
        const auto& t = p.facts.target;
        const auto line = [](std::string_view l) { print_fact_line(std::cout, l); };
        if (plan) {
            line(fmt::format("Target: a private desktop, created at launch: {} ({} KB heap{})", plan->lp_desktop(),
                             plan->heap_kb_asked, plan->heap_bounded ? "" : ", cannot be bounded here"));
            line(fmt::format("Station DACL: {}", plan->station_dacl_set));
            line(fmt::format("Desktop DACL: {}", plan->desktop_dacl_set));
        } else {
            line(fmt::format("Target: lpDesktop {} -> {}\\{} ({})",
                             t.spec ? fmt::format("\"{}\"", *t.spec) : std::string("NULL"), t.station, t.desktop,
                             t.how));
        }
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
