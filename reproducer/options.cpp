#include "options.hpp"

#include "report.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace safelaunch::repro {

ParseResult parse_options(int argc, char** argv) {
    Options o;
    CLI::App app{
        "deskheap-repro: reproduce both KB 184802 failures (0xC0000142 at a child's user32 start) on private "
        "desktops — desktop heap exhaustion and a desktop DACL — each as control, failure and recovery, with the "
        "safelaunch pre-flight verdict for every launch. Two more scenarios show the library's answers: private "
        "(N private desktops of safelaunch's own held at once, at 512 KB and at the smallest heap CreateDesktopExW "
        "accepts; the launcher's own desktop untouched) and admission (a held launch on a full desktop starts once "
        "room is freed).\n"
        "Objects: a window station created without a name (the system names it after the logon session, as "
        "Chromium's sandbox does; it may already exist and be shared) and desktops named deskheap-repro-<pid>-*. "
        "The heap is filled by deskheap-filler.exe, a helper process started on the desktop it fills.\n"
        "Elevation: not needed. Only where the system gives the unnamed station no name is a named one created, "
        "which needs an elevated token: without one the scenario stops with exit 77 and says so. The private "
        "scenario's desktops go on a station named safelaunch-<hex> for an administrator, else on the logon "
        "session's station (Windows lets only Administrators name a station). The pool scenario refuses session 0 "
        "(services) with exit 77.\n"
        "Exit codes: 0 reproduced and recovered as expected, 1 not reproduced, 2 usage, 3 error (setup or "
        "cleanup failed), 77 this platform cannot reproduce it, or a step is refused here (the reason says "
        "which: Wine has no desktop heap or no CreateDesktopExW; elevation needed; session 0).",
        "deskheap-repro"};
    app.set_version_flag("--version", "deskheap-repro 0.1.0");
    app.add_option("scenario", o.scenario, "heap | acl | pool (opt-in) | private | admission | all (= heap and acl)")
        ->required()
        ->check(CLI::IsMember({"heap", "acl", "pool", "private", "admission", "all"}));
    app.add_option("--heap-kb", o.heap_kb, "desktop heap of the heap and admission scenarios' desktop, KB (default 512)")
        ->check(CLI::Range(64u, 65536u));
    app.add_option("--pool-heap-kb", o.pool_heap_kb, "heap of each desktop the pool scenario creates, KB (default 20480)")
        ->check(CLI::Range(64u, 65536u));
    app.add_flag("--json", o.json, "print the report as JSON on stdout (progress stays on stderr)");
    app.add_option("--junit", o.junit, "also write one JUnit test case per phase to FILE")->type_name("FILE");
    app.add_flag("--yes-exhaust-session-pool", o.yes_exhaust_session_pool,
                 "allow the pool scenario: it makes desktop creation fail for the whole session until it ends");
    app.add_option("--probe", o.probe, "the child to start (default: safelaunch-probe.exe beside this program)")
        ->type_name("PATH");
    app.add_option("--child-timeout-ms", o.child_timeout_ms, "end a child that runs longer (default 30000)")
        ->check(CLI::Range(100u, 600000u));
    app.add_option("--max-objects", o.max_objects,
                   "stop after this many filler objects (heap, default 200000) or desktops (pool, default 2000); "
                   "under Wine a bound of at most 1000 runs the heap scenario's mechanics (no heap to exhaust)")
        ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{10000000}));

    app.add_option("--desktops", o.desktops, "private: desktops held at once at each size (default 8, 1..64)")
        ->check(CLI::Range(1u, 64u));
    app.add_option("--hold-ms", o.hold_ms,
                   "admission: how long the held launch may wait for room, ms (default 60000, 1000..600000)")
        ->check(CLI::Range(1000u, 600000u));

    ParseResult result;
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp&) {
        result.message = app.help();
        return result;
    } catch (const CLI::CallForVersion&) {
        result.message = "deskheap-repro 0.1.0";
        return result;
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        for (auto& c : what)
            if (c == '\n' || c == '\r') c = ' ';
        result.exit_code = kExitUsage;
        result.message = fmt::format("deskheap-repro: {} (try --help)", what);
        return result;
    }
    if (o.scenario == "pool" && !o.yes_exhaust_session_pool) {
        result.exit_code = kExitUsage;
        result.message =
            "deskheap-repro: refusing the pool scenario without --yes-exhaust-session-pool: it makes desktop "
            "creation fail for every process in this session while it runs";
        return result;
    }
    if (o.junit && o.junit->empty()) {
        result.exit_code = kExitUsage;
        result.message = "deskheap-repro: --junit needs a file name";
        return result;
    }
    result.options = std::move(o);
    return result;
}

}  // namespace safelaunch::repro
