// safelaunch run: [hold for headroom,] pre-flight, launch, wait, and explain a DLL-initialisation
// death. Exits with the child's code, or 125 (safelaunch failed / bad usage), 126 (not started:
// refused by pre-flight or admission, or CreateProcess failed), 127 (program not found).
#include "cli.hpp"
#include "exit_codes.hpp"
#include "target_options.hpp"

#include "safelaunch/admission.hpp"
#include "safelaunch/analysis.hpp"
#include "safelaunch/dacl_census.hpp"
#include "safelaunch/error_mode.hpp"
#include "safelaunch/heap_budget.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/win32/launch_pool.hpp"
#include "safelaunch/win32k_trace.hpp"
#include "safelaunch/win32/user32_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <iterator>
#include <iostream>
#include <set>
#include <memory>

namespace safelaunch::cli {
namespace {

// --hold-for-headroom without a value: long enough for a few siblings to finish, short enough
// that a stuck desktop is reported within a minute.
constexpr double kDefaultHoldSeconds = 60.0;
// --need-kb by default: the heap model's cost of one process on its desktop (kServiceProcessKb,
// the field figure of ~7 KB per service process).
constexpr std::uint32_t kDefaultNeedKb = kServiceProcessKb;

struct RunOptions {
    TargetOptions target;
    bool grant = false;
    bool force = false;
    bool no_preflight = false;  // launch, wait, post-mortem; this process never loads user32
    std::optional<double> timeout_s;
    std::string error_ui = "suppress";  // --error-ui
    std::optional<double> hold_s;       // --hold-for-headroom[=SECONDS]
    std::uint32_t need_kb = kDefaultNeedKb;  // --need-kb
    bool no_contain_tree = false;            // --no-contain-tree
    std::optional<std::uint32_t> repeat;     // --repeat N: the same launch N times in sequence
    bool trace_win32k = false;               // --trace-win32k (issue 9 part 3)
};

// --json's "win32k_trace": the facts (safelaunch/win32k_trace.hpp) and their findings; null when
// not asked for.
nlohmann::json win32k_trace_json(const win32::Outcome& out) {
    if (!out.win32k_trace) return nullptr;
    nlohmann::json j = *out.win32k_trace;
    j["findings"] = win32k_trace_findings(*out.win32k_trace);
    return j;
}

// --repeat's bounds: enough to catch an intermittent start failure, few enough to finish.
constexpr std::uint32_t kMaxRepeat = 1000;

std::string_view to_string(win32::NotStartedReason r) {
    switch (r) {
        case win32::NotStartedReason::refused: return "refused";
        case win32::NotStartedReason::grant_failed: return "grant_failed";
        case win32::NotStartedReason::launch_failed: return "launch_failed";
        case win32::NotStartedReason::token_failed: return "token_failed";
        case win32::NotStartedReason::no_headroom: return "no_headroom";
        case win32::NotStartedReason::headroom_unknown: return "headroom_unknown";
        case win32::NotStartedReason::placement_failed: return "placement_failed";
    }
    return "unknown";
}

int exit_status(const win32::Outcome& out) {
    // Ended by --timeout: the code TerminateProcess gave it is ours, not the child's. 124, as
    // coreutils `timeout` does (a child may exit 124 itself; --json's timed_out tells them apart).
    if (out.timed_out) return kTimedOut;
    if (out.exit_code) return static_cast<int>(*out.exit_code);
    if (!out.not_started) return kToolFailed;
    switch (*out.not_started) {
        case win32::NotStartedReason::refused:
        case win32::NotStartedReason::no_headroom:
        case win32::NotStartedReason::placement_failed: return kNotStarted;
        case win32::NotStartedReason::launch_failed: return tool_exit_code(out.launch_failure->kind);
        case win32::NotStartedReason::grant_failed:
        case win32::NotStartedReason::token_failed:
        case win32::NotStartedReason::headroom_unknown: return kToolFailed;
    }
    return kToolFailed;
}

std::string not_started_text(const win32::Outcome& out) {
    switch (*out.not_started) {
        case win32::NotStartedReason::refused:
            return "not started: the pre-flight check found a blocking problem (use --grant to fix access for this "
                   "launch, or --force to launch anyway)";
        case win32::NotStartedReason::launch_failed:
            return fmt::format("{}: {}",
                               out.launch_failure->kind == LaunchFailureKind::not_found ? "program not found"
                                                                                        : "could not start",
                               out.launch_failure->failure.describe());
        case win32::NotStartedReason::grant_failed:
            return "the grant failed: " + (out.failure ? out.failure->describe() : std::string("unknown error"));
        case win32::NotStartedReason::token_failed:
            return "the target token could not be had: " + (out.failure ? out.failure->describe() : std::string());
        case win32::NotStartedReason::no_headroom:
            return "not started: no room on the desktop within the hold (heap.desktop.no_headroom)";
        case win32::NotStartedReason::headroom_unknown:
            return "not started: the desktop's headroom could not be measured (heap.desktop.headroom_unknown)";
        case win32::NotStartedReason::placement_failed:
            return "not started: no private desktop for it (never a shared one instead): " +
                   (out.failure ? out.failure->describe() : std::string());
    }
    return {};
}

// --json's "tree": null when no child started.
nlohmann::json tree_json(const win32::Outcome& out) {
    if (!out.tree) return nullptr;
    return {{"contained", out.tree->contained},
            {"note", out.tree->note ? nlohmann::json(*out.tree->note) : nlohmann::json(nullptr)},
            {"ended", out.tree->ended}};
}

// --json's "dacl": the ACE count and distinct logon SIDs of the station's and desktop's DACL as
// the pre-flight read them (null each when not read: --no-preflight, no SD, not readable).
nlohmann::json dacl_json(const win32::Outcome& out) {
    const auto one = [](const UserObjectFacts& f) -> nlohmann::json {
        const auto census = f.sddl ? dacl_census(*f.sddl) : std::nullopt;
        if (!census) return nullptr;
        return {{"aces", census->aces}, {"logon_sids", census->logon_sids.size()}};
    };
    const auto& t = out.preflight.facts.target;
    return {{"station", one(t.station_facts)}, {"desktop", one(t.desktop_facts)}};
}

// --json's "admission": null without --hold-for-headroom.
nlohmann::json admission_json(const win32::Outcome& out, const RunOptions& o) {
    if (!o.hold_s) return nullptr;
    nlohmann::json j{{"kb_needed", o.need_kb}, {"hold_s", *o.hold_s}};
    if (!out.admission) {  // not reached: refused (or failed) before the hold
        j["admitted"] = nullptr;
        j["waits"] = 0;
        j["waited_ms"] = 0;
        j["last_free_kb"] = nullptr;
        return j;
    }
    const auto& a = *out.admission;
    j["admitted"] = a.admitted;
    j["waits"] = a.waits;
    j["waited_ms"] = a.waited.count();
    j["last_free_kb"] = a.last_free_kb ? nlohmann::json(*a.last_free_kb) : nlohmann::json(nullptr);
    return j;
}

nlohmann::json run_json(const win32::Outcome& out, const RunOptions& o, int status) {
    return {{"verdict", to_string(out.preflight.analysis.verdict)},
            {"findings", out.preflight.analysis.preflight},
            {"grants", out.grants},
            {"exit_code", out.exit_code ? nlohmann::json(*out.exit_code) : nlohmann::json(nullptr)},
            {"timed_out", out.timed_out},
            {"runtime_ms", out.runtime_ms},
            {"diagnosis", out.diagnosis ? nlohmann::json(*out.diagnosis) : nlohmann::json(nullptr)},
            {"not_started", out.not_started ? nlohmann::json(to_string(*out.not_started)) : nullptr},
            {"error", out.not_started ? nlohmann::json(not_started_text(out)) : nullptr},
            {"status", status},
            {"error_mode", out.error_mode ? nlohmann::json(*out.error_mode) : nlohmann::json(nullptr)},
            {"placement", out.placement},
            {"preflight", !o.no_preflight},
            {"admission", admission_json(out, o)},
            {"tree", tree_json(out)},
            {"dacl", dacl_json(out)},
            {"win32k_trace", win32k_trace_json(out)},
            {"self_connect", win32::self_connect_facts()}};
}

// The human report of one launch, on stderr (stdout belongs to the child). `shown`: placement
// findings already printed by an earlier run of --repeat (a pooled desktop's warning once, not
// once per run).
void print_run_text(const win32::Outcome& out, const RunOptions& o, std::set<std::string>* shown = nullptr) {
    const auto& findings = out.preflight.analysis.preflight;
    if (out.preflight.analysis.verdict != Verdict::ok) {
        std::vector<Finding> notable;  // info findings stay in --json and `check`
        std::copy_if(findings.begin(), findings.end(), std::back_inserter(notable),
                     [](const Finding& f) { return f.severity != Severity::info; });
        const bool by_admission = out.not_started && (*out.not_started == win32::NotStartedReason::no_headroom ||
                                                      *out.not_started == win32::NotStartedReason::headroom_unknown);
        std::cerr << "safelaunch: " << (by_admission ? "admission" : "pre-flight")
                  << " verdict: " << to_string(out.preflight.analysis.verdict) << '\n';
        print_findings(std::cerr, notable);
    }
    if (out.admission && out.admission->admitted && out.admission->waits > 0)
        std::cerr << fmt::format("safelaunch: admitted after {} waits ({:.1f} s held)\n", out.admission->waits,
                                 static_cast<double>(out.admission->waited.count()) / 1000.0);
    std::vector<Finding> placement;  // desktop.private.*, desktop.pool.*: warnings and errors only
    for (const auto& f : out.placement.findings)
        if (!shown || shown->insert(f.id + '\n' + f.message).second) placement.push_back(f);
    print_findings(std::cerr, placement);
    for (const auto& g : out.grants) std::cerr << "safelaunch: granted for this launch (now reverted): " << g << '\n';
    if (out.not_started) std::cerr << "safelaunch: " << not_started_text(out) << '\n';
    if (out.timed_out)
        std::cerr << fmt::format("safelaunch: ended the child after {:.3g} s (--timeout); exit status {}\n",
                                 *o.timeout_s, kTimedOut);
    if (out.tree && out.tree->note)
        std::cerr << "safelaunch: the child's process tree is not contained (its descendants may outlive safelaunch): "
                  << *out.tree->note << '\n';
    if (out.tree && out.tree->ended > 0)
        std::cerr << fmt::format("safelaunch: ended {} process{} of the child's tree\n", out.tree->ended,
                                 out.tree->ended == 1 ? "" : "es");
    if (out.win32k_trace) {
        std::cerr << "safelaunch: " << win32k_trace_line(*out.win32k_trace) << '\n';
        print_findings(std::cerr, win32k_trace_findings(*out.win32k_trace));
    }
    // The child's hard-error mode when it matters: it died at start, or popups were asked for.
    if (out.error_mode && (out.diagnosis || out.error_mode->policy != ErrorUi::suppress))
        std::cerr << "safelaunch: error mode: " << describe(*out.error_mode) << '\n';
    if (out.diagnosis) {
        std::cerr << "safelaunch: the child died at start; diagnosis:\n";
        if (o.no_preflight)
            std::cerr << "safelaunch: (--no-preflight: safelaunch read no station or desktop itself; the evidence is "
                         "the exit code, the events and the canary)\n";
        print_diagnosis(std::cerr, *out.diagnosis);
    }
}

// --repeat's line per run: "run 2/5: exit 0 (41 ms) on safelaunch-...\Desktop, pool 'ci' reused (lease 2)".
std::string run_line(const win32::Outcome& out, std::uint32_t n, std::uint32_t total, int status) {
    std::string what = out.not_started  ? fmt::format("not started ({}), status {}", to_string(*out.not_started), status)
                       : out.timed_out ? fmt::format("timed out, status {}", status)
                       : out.exit_code ? (*out.exit_code < 0x10000 ? fmt::format("exit {}", *out.exit_code)
                                                                    : "exit " + describe_exit_code(*out.exit_code))
                                       : fmt::format("status {}", status);
    std::string where;
    if (out.placement.pool)
        where = fmt::format(" on {}, pool '{}' {} (lease {})", out.placement.lp_desktop.value_or("?"),
                            out.placement.pool->pool, out.placement.pool->reused ? "reused" : "new desktop",
                            out.placement.pool->lease_number);
    else if (out.placement.lp_desktop)
        where = fmt::format(" on {}", *out.placement.lp_desktop);
    return fmt::format("run {}/{}: {} ({} ms){}", n, total, what, out.runtime_ms, where);
}

int run_run(const RunOptions& o) {
    win32::unique_handle token;
    auto request = make_request(o.target, token);
    if (o.force) request.on_blocking = OnBlocking::warn;
    request.error_ui = error_ui_from_string(o.error_ui).value_or(ErrorUi::suppress);  // CLI::IsMember checked it
    if (o.timeout_s)
        request.timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*o.timeout_s * 1000.0));
    auto options = make_safe_options(o.target);
    options.grant = o.grant;
    options.repair_stale_grants = true;  // every run cleans up after launchers that were killed
    request.contain_tree = !o.no_contain_tree;
    options.trace_win32k = o.trace_win32k;
    if (o.no_preflight) {
        // Nothing that needs user32 here: no pre-flight, no stale-grant repair (it opens the
        // objects), and a post-mortem from the exit code, the events and the canary only.
        request.check = CheckPolicy::none;
        options.repair_stale_grants = false;
        options.connect = false;
    }
    if (o.hold_s) {
        AdmissionPolicy policy;
        policy.kb_needed = o.need_kb;
        policy.hold_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*o.hold_s * 1000.0));
        policy.desktop = request.desktop && !request.desktop->empty() ? *request.desktop : "the inherited desktop";
        options.admission = policy;
        options.admission_announce = [desktop = policy.desktop](const AdmissionWait& w) {
            std::cerr << "safelaunch: " << describe(w, desktop) << std::endl;  // one line per wait
        };
    }
    // --pool: one pool for this process's launches (with --repeat, the desktop is reused). Ctrl+C
    // ends the process without unwinding: the pool's handles close with it, the children (in
    // their kill-on-close jobs) end, so its stations go; the journal entries stay until the next
    // `safelaunch repair` finds them vanished and drops them.
    std::optional<win32::LaunchPool> pool;
    if (o.target.pool) {
        try {
            pool.emplace(win32::LaunchPoolOptions{*o.target.pool, PoolPolicy{}, std::nullopt});
        } catch (const Error& e) {
            std::cerr << "safelaunch: pool '" << *o.target.pool << "': " << e.what() << '\n';
            return kToolFailed;
        }
        options.pool = &*pool;
        options.pool_announce = [name = *o.target.pool](const PoolWait& w) {
            std::cerr << fmt::format("safelaunch: pool '{}' is full ({} desktops, {} leases); waiting, {} ms left\n",
                                     name, w.stats.desktops, w.stats.leases, w.remaining.count());
        };
    }
    const std::uint32_t runs = o.repeat.value_or(1);
    if (o.repeat) {
        // The same launch N times in sequence; the status is the first failing run's.
        std::optional<int> first_failure;
        std::uint32_t failed = 0;
        auto all = nlohmann::json::array();
        std::set<std::string> shown;
        for (std::uint32_t n = 1; n <= runs; ++n) {
            const auto out = win32::safe_launch_and_wait(request, options);
            const auto status = exit_status(out);
            if (status != kOk) {
                ++failed;
                if (!first_failure) first_failure = status;
            }
            if (o.target.json) {
                all.push_back(run_json(out, o, status));
            } else {
                print_run_text(out, o, &shown);
                std::cerr << "safelaunch: " << run_line(out, n, runs, status) << '\n';
            }
        }
        const int status = first_failure.value_or(kOk);
        if (o.target.json)
            print_json({{"runs", all}, {"repeat", runs}, {"failed", failed}, {"status", status}});
        else
            std::cerr << fmt::format("safelaunch: {} run{}, {} failed{}\n", runs, runs == 1 ? "" : "s", failed,
                                     first_failure ? fmt::format("; status {} (the first failing run's)", status)
                                                   : std::string());
        return status;
    }
    const auto out = win32::safe_launch_and_wait(request, options);
    const auto status = exit_status(out);

    if (o.target.json) {
        print_json(run_json(out, o, status));
        return status;
    }
    print_run_text(out, o);
    return status;
}

}  // namespace

void add_run(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<RunOptions>();
    auto* sub = app.add_subcommand("run", "Check, launch, wait, and explain a DLL-initialisation failure");
    add_target_options(sub, o->target, true);
    sub->add_flag("--grant", o->grant,
                  "grant the token's logon SID the rights it lacks on the station/desktop for the child's lifetime");
    sub->add_flag("--force", o->force, "launch even when the pre-flight verdict is blocked");
    auto* no_preflight = sub->add_flag(
        "--no-preflight", o->no_preflight,
        "launch, wait and explain only: no pre-flight, and safelaunch itself never loads user32 (a broken "
        "desktop cannot take it down); the post-mortem rests on the exit code, the events and the canary");
    // --private-desktop too: the desktop is made by safelaunch, which needs user32 for it.
    for (const char* name : {"--grant", "--force", "--canary", "--alloc-kb", "--private-desktop"})
        no_preflight->excludes(name);
    sub->add_option("--repeat", o->repeat,
                    fmt::format("launch the same command N times in sequence (1..{}) through the same placement (with "
                                "--pool the desktop is reused); one line per run and a summary on stderr, or --json "
                                "{{\"runs\": [...]}}; the exit status is the first failing run's",
                                kMaxRepeat))
        ->check(CLI::Range(1u, kMaxRepeat))
        ->type_name("N");
    sub->add_option("--timeout", o->timeout_s, "end the child after S seconds")->check(CLI::Range(0.001, 31536000.0));
    sub->add_flag("--no-contain-tree", o->no_contain_tree,
                  "do not hold the child and its descendants in a kill-on-close Job object (the default: a "
                  "--timeout, Ctrl+C or safelaunch's own death ends the whole tree, and descendants still running "
                  "when the child exits are ended and counted); for children whose descendants must outlive "
                  "safelaunch, such as a launcher that starts a long-running server");
    sub->add_flag("--trace-win32k", o->trace_win32k,
                  "Windows only: run a real-time ETW session on Microsoft-Windows-Win32k around the launch and "
                  "take its event 58 (DesktopResolutionFailure) for the child's pid as deciding evidence of why the "
                  "child could not reach its desktop (access, missing desktop, desktop heap). Needs administrator "
                  "rights or membership in Performance Log Users (else finding win32k.trace.unavailable, and the "
                  "launch goes on). The event id and its fields are unverified (read from the binaries, not "
                  "documented)");
    sub->add_option("--error-ui", o->error_ui,
                    "hard-error popups of the child: suppress (default: it inherits SEM_FAILCRITICALERRORS | "
                    "SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX, so a child that dies at start exits at once "
                    "instead of waiting on a dialog nobody may see), inherit (safelaunch's own mode), system "
                    "(CREATE_DEFAULT_ERROR_MODE: the system default, dialogs shown)")
        ->check(CLI::IsMember({"suppress", "inherit", "system"}));
    auto* hold = sub->add_option(
                        "--hold-for-headroom", o->hold_s,
                        fmt::format("before the launch, hold until --need-kb KB of desktop heap can be allocated on the "
                                    "target desktop (a trial: safelaunch-probe --alloc-kb as the child's user), retrying "
                                    "with backoff and one line on stderr per wait; refuse after SECONDS (default {:g}; "
                                    "0: try once) with heap.desktop.no_headroom, exit 126. Give the value as "
                                    "--hold-for-headroom=SECONDS",
                                    kDefaultHoldSeconds))
                      ->expected(0, 1)
                      ->default_str(fmt::format("{:g}", kDefaultHoldSeconds))
                      ->type_name("SECONDS")
                      ->check(CLI::Range(0.0, 31536000.0));
    sub->add_option("--need-kb", o->need_kb,
                    fmt::format("with --hold-for-headroom: the desktop heap the child needs to start, in KB (default "
                                "{}: the heap model's cost of one process; at most {}, what one trial can allocate)",
                                kDefaultNeedKb, kCanaryMaxAllocKb))
        ->check(CLI::Range(1u, kCanaryMaxAllocKb))
        ->needs(hold);
    sub->footer("Exit status: the child's exit code; 124 --timeout ended the child, 125 safelaunch failed or bad usage "
                "(also: --hold-for-headroom could not measure the headroom, heap.desktop.headroom_unknown), 126 not "
                "started (refused by the pre-flight check, no room on the desktop within --hold-for-headroom, or "
                "CreateProcess failed, or the --pool is full: desktop.pool.full), 127 program not found. With --repeat N: the "
                "first failing run's status, 0 when all N succeeded.\nsafelaunch loads user32 only for the pre-flight; with "
                "--no-preflight it never does.");
    cmd.usage_exit = kToolFailed;
    sub->callback([&cmd, o] { cmd.run = [o] { return run_run(*o); }; });
}

}  // namespace safelaunch::cli
