// safelaunch-bench (issue 5, "Benchmarks"): launch + wait of a trivial child through
//   bare CreateProcessW, Boost.Process v2's default_launcher, the library's launch_process, and
//   safe_launch_and_wait with check none / fast / canary;
// the pre-flight alone (fast, canary); a private desktop per launch and a warm desktop pool (issue 8
// part 2) against the plain fast launch, and one private desktop's create+verify+close; and the
// deskheap-repro scenarios' durations where they run.
// Reported figures, not a test: median and p90 per variant and the ratios, as a Markdown table
// (or --json). The variants are interleaved (one launch of each per round, the order rotating), so
// load from other processes falls on all of them alike and the ratios of one run stay comparable.
#include <boost/optional.hpp>  // BOOST_PROCESS_USE_STD_FS in 1.81 needs these two first
#include <type_traits>

#include <boost/asio/io_context.hpp>
#include <boost/nowide/args.hpp>
#include <boost/nowide/convert.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/windows/default_launcher.hpp>

#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launch_pool.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"

#include <windows.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

// Paths relative to this executable's folder, from CMake (tests/bench/CMakeLists.txt).
#ifndef SAFELAUNCH_BENCH_CHILD
#define SAFELAUNCH_BENCH_CHILD "..\\win32\\child_exit.exe"
#endif
#ifndef SAFELAUNCH_BENCH_PROBE
#define SAFELAUNCH_BENCH_PROBE "..\\..\\launcher\\safelaunch-probe.exe"
#endif
#ifndef SAFELAUNCH_BENCH_REPRO
#define SAFELAUNCH_BENCH_REPRO "..\\..\\launcher\\deskheap-repro.exe"
#endif

namespace {

namespace bp = boost::process::v2;
namespace asio = boost::asio;
namespace sw = safelaunch::win32;
using nlohmann::json;

std::string exe_dir() {
    std::wstring path(MAX_PATH * 4, L'\0');
    path.resize(::GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size())));
    return boost::nowide::narrow(path.substr(0, path.find_last_of(L'\\')));
}

// One thing to time. `run` does one launch + wait (or one pre-flight) and returns what went wrong,
// empty on success.
struct Variant {
    std::string id;
    std::string label;
    bool launches = true;  // false: pre-flight alone (no child), not compared for throughput
    std::function<std::string()> run;
    std::vector<double> ms;
    std::uint64_t failures = 0;
    std::string first_failure;
};

struct Stats {
    double median = 0, p90 = 0, mean = 0, min = 0, max = 0;
};

Stats stats_of(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    const auto n = v.size();
    s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    // Nearest rank: the smallest sample with at least 90 % of the samples at or below it.
    const auto rank = static_cast<std::size_t>(std::ceil(0.9 * static_cast<double>(n)));
    s.p90 = v[std::max<std::size_t>(rank, 1) - 1];
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(n);
    s.min = v.front();
    s.max = v.back();
    return s;
}

std::string quote_arg(const std::string& s) { return "\"" + s + "\""; }  // our paths have no quotes

// Bare CreateProcessW + WaitForSingleObject + GetExitCodeProcess: the floor.
std::string run_bare(const std::wstring& exe, const std::wstring& command_line) {
    std::wstring cmd = command_line;  // CreateProcessW may write to it
    STARTUPINFOW si{};
    si.cb = sizeof(si);
    PROCESS_INFORMATION pi{};
    if (!::CreateProcessW(exe.c_str(), cmd.data(), nullptr, nullptr, FALSE, 0, nullptr, nullptr, &si, &pi))
        return fmt::format("CreateProcessW failed: {}", ::GetLastError());
    sw::unique_handle process(pi.hProcess), thread(pi.hThread);
    if (::WaitForSingleObject(process.get(), INFINITE) != WAIT_OBJECT_0) return "WaitForSingleObject failed";
    DWORD code = 0;
    if (!::GetExitCodeProcess(process.get(), &code)) return "GetExitCodeProcess failed";
    return code == 0 ? std::string() : fmt::format("exit code {:#x}", code);
}

// Boost.Process v2 as a program using it directly would: one io_context, the launcher's own return
// type (platform-facts.md: converting it to bp::process loses the handle in 1.81).
std::string run_boost(asio::io_context& context, const std::wstring& exe) {
    bp::error_code ec;
    bp::windows::default_launcher launcher;
    auto proc = launcher(context.get_executor(), ec, exe, std::vector<std::wstring>{L"0"});
    if (ec) return "launch: " + ec.message();
    proc.wait(ec);
    if (ec) return "wait: " + ec.message();
    return proc.exit_code() == 0 ? std::string() : fmt::format("exit code {}", proc.exit_code());
}

std::string run_launch_process(const safelaunch::LaunchRequest& request) {
    std::error_code ec;
    safelaunch::LaunchFailure failure;
    auto child = sw::launch_process(request, ec, &failure);
    if (ec) return "launch_process: " + failure.failure.describe();
    const auto code = child.wait(ec);
    if (ec) return "wait: " + ec.message();
    return code == 0 ? std::string() : fmt::format("exit code {:#x}", code);
}

std::string run_safe(const safelaunch::LaunchRequest& request, const sw::SafeLaunchOptions& options) {
    const auto out = sw::safe_launch_and_wait(request, options);
    if (out.not_started) {
        if (out.launch_failure) return "not started: " + out.launch_failure->failure.describe();
        if (out.failure) return "not started: " + out.failure->describe();
        return "refused by the pre-flight";
    }
    if (!out.exit_code) return "no exit code";
    return *out.exit_code == 0 ? std::string() : fmt::format("exit code {:#x}", *out.exit_code);
}

// One private station and desktop: created, verified (DACLs and heap read back), closed.
std::string run_private_create(const std::string& child_sid, const std::string& user_sid) {
    std::error_code ec;
    safelaunch::ApiFailure failure;
    auto desk = sw::create_private_desktop(safelaunch::PrivateDesktopSpec{}, child_sid, user_sid, ec, &failure);
    if (ec) return "create_private_desktop: " + failure.describe();
    desk.close();
    return {};
}

std::string run_preflight(const safelaunch::LaunchRequest& request, const sw::SafeLaunchOptions& options) {
    std::error_code ec;
    safelaunch::ApiFailure failure;
    const auto p = sw::preflight(request, options, ec, &failure);
    if (ec) return "preflight: " + failure.describe();
    if (request.check == safelaunch::CheckPolicy::canary && !p.facts.canary) return "no canary facts";
    return {};
}

// deskheap-repro <scenario> --json, run once as a child: its wall time and its own report.
struct ReproResult {
    std::string scenario;
    double wall_ms = 0;
    std::optional<std::uint32_t> exit_code;
    std::string verdict;
    std::string reason;
    std::vector<std::pair<std::string, std::uint64_t>> phases;  // "heap/control", ms
    std::string error;
};

std::string temp_file(const std::string& stem) {
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return boost::nowide::narrow(dir) + fmt::format("{}-{}.json", stem, ::GetCurrentProcessId());
}

ReproResult run_repro(const std::string& repro, const std::string& probe, const std::string& scenario) {
    ReproResult r;
    r.scenario = scenario;
    safelaunch::LaunchRequest request;
    request.program = repro;
    request.args = {scenario, "--json"};
    if (!probe.empty()) request.args.insert(request.args.end(), {"--probe", probe});
    const auto out_path = temp_file("safelaunch-bench-repro");
    request.stdio.out.kind = safelaunch::StdStream::Kind::file;
    request.stdio.out.path = out_path;
    request.stdio.err.kind = safelaunch::StdStream::Kind::null;  // progress lines
    request.timeout = std::chrono::minutes(10);
    const auto t0 = std::chrono::steady_clock::now();
    std::error_code ec;
    safelaunch::LaunchFailure failure;
    auto child = sw::launch_process(request, ec, &failure);
    if (ec) {
        r.error = failure.failure.describe();
        return r;
    }
    auto code = child.wait_for(*request.timeout, ec);
    r.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!code) {
        child.terminate();
        r.error = "did not finish within 10 minutes";
    }
    r.exit_code = code;
    std::ifstream in(std::filesystem::path(boost::nowide::widen(out_path)));
    std::stringstream text;
    text << in.rdbuf();
    in.close();
    ::DeleteFileW(boost::nowide::widen(out_path).c_str());
    const auto j = json::parse(text.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        if (r.error.empty()) r.error = "no JSON report on stdout";
        return r;
    }
    r.verdict = j.value("verdict", "");
    r.reason = j.value("reason", "");
    if (j.contains("phases") && j["phases"].is_array())
        for (const auto& p : j["phases"])
            r.phases.emplace_back(p.value("scenario", "") + "/" + p.value("name", ""), p.value("duration_ms", 0ull));
    return r;
}

std::string cpu_name() {
    wchar_t buf[256] = {};
    DWORD size = sizeof(buf);
    if (::RegGetValueW(HKEY_LOCAL_MACHINE, L"HARDWARE\\DESCRIPTION\\System\\CentralProcessor\\0",
                       L"ProcessorNameString", RRF_RT_REG_SZ, nullptr, buf, &size) != ERROR_SUCCESS)
        return "unknown CPU";
    std::string name = boost::nowide::narrow(buf);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    return name;
}

std::string platform_line() {
    const auto os = sw::gather_os_facts();
    SYSTEM_INFO si{};
    ::GetNativeSystemInfo(&si);
    std::string host = os.wine_version ? "Wine " + *os.wine_version
                                       : fmt::format("{} {}.{}.{}", os.product, os.major, os.minor, os.build);
    if (os.wine_version) host += fmt::format(" (reporting Windows {}.{}.{})", os.major, os.minor, os.build);
    return fmt::format("{}; {}, {} logical processors", host, cpu_name(), si.dwNumberOfProcessors);
}

std::string ms(double v) { return fmt::format("{:.2f}", v); }

}  // namespace

int main(int argc, char** argv) {
    boost::nowide::args utf8_args(argc, argv);
    CLI::App app{"safelaunch-bench: launch+wait of a trivial child by bare CreateProcessW, Boost.Process v2 and "
                 "safelaunch (checks none/fast/canary), the pre-flight alone and the deskheap-repro scenarios; "
                 "median and p90 per variant, ratios from this one run"};
    app.allow_windows_style_options(false);
    int iterations = 200;
    int warmup = 10;
    std::string child = exe_dir() + "\\" SAFELAUNCH_BENCH_CHILD;
    std::string probe = exe_dir() + "\\" SAFELAUNCH_BENCH_PROBE;
    std::string repro = exe_dir() + "\\" SAFELAUNCH_BENCH_REPRO;
    std::vector<std::string> only;
    std::vector<std::string> repro_scenarios{"heap", "acl"};
    bool no_repro = false;
    bool as_json = false;
    app.add_option("--iterations,-n", iterations, "timed launches per variant (default 200)")->check(CLI::PositiveNumber);
    app.add_option("--warmup", warmup, "untimed rounds first (default 10)")->check(CLI::NonNegativeNumber);
    app.add_option("--child", child, "the trivial child: exits with argv[1] (default: tests/win32/child_exit.exe)");
    app.add_option("--probe", probe, "safelaunch-probe.exe, the canary (default: <build>/launcher/)");
    app.add_option("--repro", repro, "deskheap-repro.exe (default: <build>/launcher/)");
    app.add_option("--variants", only,
                   "only these: bare, boost, launch_process, none, fast, canary, private, pooled, private_create, "
                   "preflight_fast, preflight_canary")
        ->delimiter(',');
    app.add_option("--repro-scenarios", repro_scenarios, "deskheap-repro scenarios to time once each (default heap,acl)")
        ->delimiter(',');
    app.add_flag("--no-repro", no_repro, "skip the deskheap-repro scenarios");
    app.add_flag("--json", as_json, "print JSON instead of the Markdown table");
    CLI11_PARSE(app, argc, argv);

    if (::GetFileAttributesW(boost::nowide::widen(child).c_str()) == INVALID_FILE_ATTRIBUTES) {
        std::cerr << "safelaunch-bench: child not found: " << child << " (build target child_exit, or --child)\n";
        return 2;
    }
    child = sw::resolve_program(child);  // absolute, so every variant runs the same file
    const std::wstring child_w = boost::nowide::widen(child);
    const std::wstring command_line = boost::nowide::widen(quote_arg(child) + " 0");

    safelaunch::LaunchRequest base;
    base.program = child;
    base.args = {"0"};
    sw::SafeLaunchOptions options;
    options.probe_path = probe;
    auto with_check = [&](safelaunch::CheckPolicy c) {
        auto r = base;
        r.check = c;
        return r;
    };
    const auto req_none = with_check(safelaunch::CheckPolicy::none);
    const auto req_fast = with_check(safelaunch::CheckPolicy::fast);
    const auto req_canary = with_check(safelaunch::CheckPolicy::canary);
    asio::io_context context;
    // A private desktop per launch, and leases from a warm pool (created at the first lease and
    // kept: every round uses it well within its idle timeout).
    auto req_private = req_fast;
    req_private.private_desktop = safelaunch::PrivateDesktopSpec{};
    auto req_pooled = req_fast;
    req_pooled.private_desktop = safelaunch::PrivateDesktopSpec{safelaunch::kPrivateDesktopDefaultKb, "bench"};
    std::optional<sw::LaunchPool> pool;
    try {
        pool.emplace(sw::LaunchPoolOptions{"bench", safelaunch::PoolPolicy{}, std::nullopt});
    } catch (const std::exception& e) {
        std::cerr << "safelaunch-bench: no pool (the pooled variant will fail): " << e.what() << '\n';
    }
    auto pooled_options = options;
    pooled_options.pool = pool ? &*pool : nullptr;
    std::string child_sid, user_sid;
    {
        std::error_code ec;
        const auto token = sw::duplicate_own_token(true, ec);
        if (!ec) child_sid = sw::private_desktop_sid_of(token.get(), ec);
        if (!ec) user_sid = sw::own_user_sid(ec);
    }

    std::vector<Variant> variants;
    variants.push_back({"bare", "bare CreateProcessW + wait", true, [&] { return run_bare(child_w, command_line); }, {}, 0, {}});
    variants.push_back({"boost", "Boost.Process v2 default_launcher + wait", true, [&] { return run_boost(context, child_w); }, {}, 0, {}});
    variants.push_back({"launch_process", "safelaunch launch_process + Child::wait", true, [&] { return run_launch_process(req_none); }, {}, 0, {}});
    variants.push_back({"none", "safelaunch safe_launch_and_wait, check none", true, [&] { return run_safe(req_none, options); }, {}, 0, {}});
    variants.push_back({"fast", "safelaunch safe_launch_and_wait, check fast", true, [&] { return run_safe(req_fast, options); }, {}, 0, {}});
    variants.push_back({"canary", "safelaunch safe_launch_and_wait, check canary", true, [&] { return run_safe(req_canary, options); }, {}, 0, {}});
    variants.push_back({"private", "safelaunch, check fast, a private desktop per launch", true, [&] { return run_safe(req_private, options); }, {}, 0, {}});
    variants.push_back({"pooled", "safelaunch, check fast, a desktop from a warm pool", true, [&] { return run_safe(req_pooled, pooled_options); }, {}, 0, {}});
    variants.push_back({"private_create", "one private desktop: create + verify + close (no child)", false, [&] { return run_private_create(child_sid, user_sid); }, {}, 0, {}});
    variants.push_back({"preflight_fast", "pre-flight alone, fast (no child)", false, [&] { return run_preflight(req_fast, options); }, {}, 0, {}});
    variants.push_back({"preflight_canary", "pre-flight alone, canary (runs the probe)", false, [&] { return run_preflight(req_canary, options); }, {}, 0, {}});
    if (!only.empty()) {
        for (const auto& id : only)
            if (std::none_of(variants.begin(), variants.end(), [&](const Variant& v) { return v.id == id; })) {
                std::cerr << "safelaunch-bench: unknown variant '" << id << "'\n";
                return 2;
            }
        std::erase_if(variants, [&](const Variant& v) { return std::find(only.begin(), only.end(), v.id) == only.end(); });
    }

    const auto started = std::chrono::steady_clock::now();
    const auto n = variants.size();
    for (int round = -warmup; round < iterations; ++round) {
        for (std::size_t k = 0; k < n; ++k) {
            // Rotate the order each round so no variant always runs right after another one.
            auto& v = variants[(k + static_cast<std::size_t>(round + warmup)) % n];
            const auto t0 = std::chrono::steady_clock::now();
            auto problem = v.run();
            const auto t1 = std::chrono::steady_clock::now();
            if (round < 0) continue;
            if (!problem.empty()) {
                if (v.failures++ == 0) v.first_failure = std::move(problem);
                continue;
            }
            v.ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        }
        if (!as_json && round >= 0 && (round + 1) % 50 == 0)
            std::cerr << fmt::format("  {} of {} rounds\n", round + 1, iterations) << std::flush;
    }
    const double total_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    std::vector<ReproResult> repros;
    if (!no_repro) {
        const bool have_repro = ::GetFileAttributesW(boost::nowide::widen(repro).c_str()) != INVALID_FILE_ATTRIBUTES;
        for (const auto& s : repro_scenarios) {
            if (!have_repro) {
                repros.push_back({s, 0, std::nullopt, "", "", {}, "deskheap-repro.exe not found: " + repro});
                continue;
            }
            repros.push_back(run_repro(repro, probe, s));
        }
    }

    auto find = [&](const std::string& id) -> const Variant* {
        for (const auto& v : variants)
            if (v.id == id && !v.ms.empty()) return &v;
        return nullptr;
    };
    const Variant* bare = find("bare");
    const Variant* boost_v = find("boost");
    const double bare_median = bare ? stats_of(bare->ms).median : 0;
    const double boost_median = boost_v ? stats_of(boost_v->ms).median : 0;

    // The goals, evaluated on the medians of this run (reported, never asserted).
    struct Goal {
        std::string text;
        std::optional<double> value;
        bool met = false;
    };
    std::vector<Goal> goals;
    if (const Variant* fast = find("fast"); fast && bare)
        goals.push_back({"check fast <= 1.05x bare CreateProcessW (time)", stats_of(fast->ms).median / bare_median,
                         stats_of(fast->ms).median / bare_median <= 1.05});
    for (const char* id : {"fast", "none"})
        if (const Variant* lib = find(id); lib && boost_v) {
            const double ratio = boost_median / stats_of(lib->ms).median;
            goals.push_back({fmt::format("library (check {}) >= 0.95x Boost.Process v2 throughput", id), ratio, ratio >= 0.95});
        }

    std::vector<std::pair<std::string, double>> placement_ratios;  // median vs the plain fast launch
    // Issue 8 part 2: a warm pool costs next to nothing over a plain launch on a shared desktop.
    if (const Variant* fast = find("fast"); fast) {
        const double plain = stats_of(fast->ms).median;
        if (const Variant* pooled = find("pooled"))
            goals.push_back({"warm pool (pooled) <= 1.10x plain launch (check fast)", stats_of(pooled->ms).median / plain,
                             stats_of(pooled->ms).median / plain <= 1.10});
        for (const char* id : {"private", "pooled"})
            if (const Variant* v = find(id)) placement_ratios.emplace_back(id, stats_of(v->ms).median / plain);
    }

    const auto platform = platform_line();
    bool any_failure = false;
    for (const auto& v : variants) any_failure = any_failure || v.failures > 0;

    if (as_json) {
        json j;
        j["tool"] = "safelaunch-bench";
        j["schema"] = 1;
        j["platform"] = platform;
        j["iterations"] = iterations;
        j["warmup"] = warmup;
        j["child"] = child;
        j["seconds"] = total_s;
        j["variants"] = json::array();
        for (const auto& v : variants) {
            const auto s = stats_of(v.ms);
            json jv = {{"id", v.id}, {"label", v.label}, {"samples", v.ms.size()}, {"failures", v.failures},
                       {"median_ms", s.median}, {"p90_ms", s.p90}, {"mean_ms", s.mean}, {"min_ms", s.min},
                       {"max_ms", s.max}};
            jv["time_vs_bare"] = bare && !v.ms.empty() ? json(s.median / bare_median) : json(nullptr);
            jv["throughput_vs_boost"] =
                boost_v && v.launches && !v.ms.empty() ? json(boost_median / s.median) : json(nullptr);
            if (v.failures) jv["first_failure"] = v.first_failure;
            j["variants"].push_back(jv);
        }
        j["goals"] = json::array();
        for (const auto& g : goals) j["goals"].push_back({{"goal", g.text}, {"value", *g.value}, {"met", g.met}});
        j["placement_vs_plain"] = json::object();
        for (const auto& [id, r] : placement_ratios) j["placement_vs_plain"][id] = r;
        j["repro"] = json::array();
        for (const auto& r : repros) {
            json jr = {{"scenario", r.scenario}, {"wall_ms", r.wall_ms}, {"verdict", r.verdict}, {"reason", r.reason}};
            jr["exit_code"] = r.exit_code ? json(*r.exit_code) : json(nullptr);
            jr["phases"] = json::object();
            for (const auto& [name, d] : r.phases) jr["phases"][name] = d;
            if (!r.error.empty()) jr["error"] = r.error;
            j["repro"].push_back(jr);
        }
        std::cout << j.dump(2) << '\n';
        return any_failure ? 1 : 0;
    }

    std::cout << fmt::format("Platform: {}\n", platform);
    std::cout << fmt::format("{} timed launches per variant after {} warm-up rounds, variants interleaved "
                             "(order rotating each round); {:.0f} s in all. Child: child_exit.exe 0.\n\n",
                             iterations, warmup, total_s);
    std::cout << "| Variant | Median ms | p90 ms | Time vs bare | Throughput vs Boost | Failures |\n"
                 "|---|---:|---:|---:|---:|---:|\n";
    for (const auto& v : variants) {
        const auto s = stats_of(v.ms);
        const bool have = !v.ms.empty();
        std::cout << fmt::format("| {} | {} | {} | {} | {} | {} |\n", v.label, have ? ms(s.median) : "-",
                                 have ? ms(s.p90) : "-",
                                 bare && have ? fmt::format("{:.2f}x", s.median / bare_median) : "-",
                                 boost_v && have && v.launches ? fmt::format("{:.2f}x", boost_median / s.median) : "-",
                                 v.failures);
    }
    for (const auto& v : variants)
        if (v.failures) std::cout << fmt::format("\n{}: first failure: {}", v.id, v.first_failure);
    if (!goals.empty()) {
        std::cout << "\nGoals (issue 5), on this run's medians:\n";
        for (const auto& g : goals)
            std::cout << fmt::format("- {}: {:.3f}x, {}\n", g.text, *g.value, g.met ? "met" : "NOT met");
    }
    if (!placement_ratios.empty()) {
        std::cout << "\nPlacement (issue 8) vs the plain launch (check fast), on this run's medians:";
        for (const auto& [id, r] : placement_ratios) std::cout << fmt::format(" {} {:.3f}x;", id, r);
        std::cout << '\n';
    }
    if (!repros.empty()) {
        std::cout << "\n| deskheap-repro scenario | Wall ms | Verdict (exit) | Phases ms | Reason |\n"
                     "|---|---:|---|---|---|\n";
        for (const auto& r : repros) {
            std::string phases;
            for (const auto& [name, d] : r.phases) phases += fmt::format("{}{} {}", phases.empty() ? "" : ", ", name, d);
            std::cout << fmt::format("| {} | {:.0f} | {} | {} | {} |\n", r.scenario, r.wall_ms,
                                     r.error.empty() ? fmt::format("{} ({})", r.verdict, r.exit_code ? *r.exit_code : 0u)
                                                     : "error",
                                     phases.empty() ? "-" : phases, r.error.empty() ? r.reason : r.error);
        }
    }
    return any_failure ? 1 : 0;
}
