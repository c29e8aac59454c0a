// safelaunch heap: desktop heap sizes from SharedSection, the budget of the session's pool, and
// what to set for the services a machine must run. On Windows also this session's view space
// (issue 8 part 3): whether one more service desktop (the third value) fits.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/heap_budget.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/os_version.hpp"
#include "safelaunch/session_view.hpp"
#include "safelaunch/shared_section.hpp"
#ifdef _WIN32
#include "safelaunch/win32/session_view.hpp"
#include "safelaunch/win32/system_facts.hpp"
#endif

#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

namespace safelaunch::cli {
namespace {

struct HeapOptions {
    std::optional<std::string> windows_value;
    std::optional<std::string> shared_section;
    std::optional<std::string> stray_value;
    std::optional<std::string> os;
    std::optional<std::uint32_t> pool_kb;
    bool terminal_services = false;
    std::uint32_t services = 0;
    std::uint32_t existing_services = 1;
    std::optional<std::uint32_t> processes;
    bool json = false;
};

struct Source {
    SharedSectionAnalysis analysis;
    std::string from;  // where the values came from, for the report
};

Source read_shared_section(const HeapOptions& o, const std::optional<OsFacts>& os) {
    if (o.windows_value) return {analyze_windows_value(*o.windows_value, o.stray_value), "--windows-value"};
    if (o.shared_section) {
        auto a = analyze_shared_section(*o.shared_section);
        if (o.stray_value) {
            // The stray value is a registry fact; report it the same way the Windows value does.
            auto stray = analyze_windows_value("SharedSection=" + *o.shared_section, o.stray_value);
            for (auto& f : stray.findings)
                if (f.id == "shared_section.stray_registry_value") a.findings.push_back(f);
        }
        return {a, "--shared-section"};
    }
#ifdef _WIN32
    const auto values = win32::read_subsystems_values();
    if (values.windows)
        return {analyze_windows_value(*values.windows, values.stray_shared_section),
                "registry HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\SubSystems\\Windows"};
#endif
    if (os) {
        if (const auto def = default_shared_section(os->major, os->minor, os->build, os->x64)) {
            auto a = analyze_shared_section(def->values.to_string());
            return {a, fmt::format("the default of {}", def->applies_to)};
        }
        throw UsageError{fmt::format("heap: no SharedSection default is known for {}", describe_os(*os))};
    }
    throw UsageError{"heap: give --windows-value, --shared-section or --os (no registry to read on this platform)"};
}

std::optional<OsFacts> target_os(const HeapOptions& o) {
    if (o.os) {
        std::string reason;
        auto os = parse_os_version(*o.os, reason);
        if (!os) throw UsageError{fmt::format("heap: --os: {}", reason)};
        return os;
    }
#ifdef _WIN32
    return win32::gather_os_facts();
#else
    return std::nullopt;
#endif
}

int run_heap(const HeapOptions& o) {
    const auto os = target_os(o);
    auto [analysis, from] = read_shared_section(o, os);
    if (os && analysis.values)
        if (const auto def = default_shared_section(os->major, os->minor, os->build, os->x64))
            compare_with_default(analysis, *def);

    nlohmann::json out;
    out["source"] = from;
    out["os"] = os ? nlohmann::json(*os) : nlohmann::json(nullptr);
    std::vector<Finding> findings = analysis.findings;
    std::optional<HeapBudget> budget;
    nlohmann::json recommendation = nullptr;

    if (analysis.values) {
        const auto& ss = *analysis.values;
        out["shared_section"] = {{"shared_kb", ss.shared_kb},
                                 {"interactive_kb", ss.interactive_kb},
                                 {"noninteractive_kb", ss.noninteractive_kb},
                                 {"noninteractive_given", ss.noninteractive_given},
                                 {"text", ss.to_string()}};
        HeapBudgetInput in;
        in.shared_section = ss;
        if (os) in.os_major = os->major;  // picks the Winlogon / Disconnect sizes
        if (o.pool_kb) {
            in.pool_kb = *o.pool_kb;
            in.pool_source = "--pool-kb";
        } else if (os) {
            in.pool_kb = session_pool_kb(os->major, os->x64, o.terminal_services, false);
            if (in.pool_kb) in.pool_source = o.terminal_services ? "XP/2003 x86 under Terminal Services" : "XP/2003 x86 default";
        }
        in.desktops = interactive_session_desktops();
        if (o.existing_services > 0)
            in.desktops.push_back({"service desktops (Service-0x...$\\Default)", DesktopHeapKind::noninteractive,
                                   o.existing_services, std::nullopt});
        in.processes_per_noninteractive_desktop = o.processes;
        budget = compute_heap_budget(in);
        findings.insert(findings.end(), budget->findings.begin(), budget->findings.end());

        // What to set: enough for the expected processes, then bounded by the pool.
        std::uint32_t want = ss.noninteractive_kb;
        if (o.processes) {
            const auto need = static_cast<std::uint64_t>(*o.processes) * kServiceProcessKb;
            while (want < need) {
                const auto next = next_heap_step_kb(want);
                if (!next) break;
                want = *next;
            }
        }
        const auto max_for_more = in.pool_kb ? noninteractive_kb_for(in, o.services) : std::nullopt;
        std::string text;
        if (in.pool_kb && !max_for_more) {
            text = fmt::format("{} more service desktops do not fit a {} KB pool even at 128 KB each: run fewer "
                               "services under distinct accounts, or share one account",
                               o.services, *in.pool_kb);
        } else if (max_for_more && want > *max_for_more) {
            text = fmt::format("the pool limits the third value to {} KB for {} more service desktops; "
                               "{} KB was wanted for the expected processes",
                               *max_for_more, o.services, want);
        } else if (want != ss.noninteractive_kb) {
            text = fmt::format("set SharedSection={},{},{} (third value {} -> {} KB), then reboot", ss.shared_kb,
                               ss.interactive_kb, want, ss.noninteractive_kb, want);
        } else {
            text = fmt::format("no change needed: SharedSection={} holds ~{} processes per service desktop",
                               ss.to_string(), processes_that_fit(ss.noninteractive_kb));
        }
        // Built apart and through value_or: g++ 12 warns falsely (maybe-uninitialized) on reading the
        // optional's payload inline.
        nlohmann::json max_json = nullptr;
        if (max_for_more) max_json = max_for_more.value_or(0u);
        recommendation = {{"noninteractive_kb", want},
                          {"max_noninteractive_kb_for_more_services", max_json},
                          {"more_services", o.services},
                          {"pool_kb_needed", in.pool_kb ? nlohmann::json(pool_kb_needed(in, o.services)) : nullptr},
                          {"text", text}};
    } else {
        out["shared_section"] = nullptr;
    }

    // This machine's session view (Windows only): read, never assumed; "unknown" with the reason.
    std::optional<SessionViewFacts> view;
#ifdef _WIN32
    view = win32::gather_session_view_facts();
#endif
    if (view) {
        const auto desktop_kb = analysis.values ? std::optional<std::uint32_t>(analysis.values->noninteractive_kb)
                                                : std::nullopt;
        const auto v = session_view_findings(*view, desktop_kb);
        findings.insert(findings.end(), v.begin(), v.end());
    }
    out["session_view"] = view ? nlohmann::json(*view) : nlohmann::json(nullptr);

    const auto verdict = verdict_of(findings);
    if (o.json) {
        out["findings"] = findings;
        if (budget) {
            nlohmann::json lines = nlohmann::json::array();
            for (const auto& l : budget->lines)
                lines.push_back({{"name", l.name}, {"kind", to_string(l.kind)}, {"count", l.count},
                                 {"heap_kb_each", l.heap_kb_each}, {"total_kb", l.total_kb}});
            out["budget"] = {{"desktops", lines},
                             {"used_kb", budget->used_kb},
                             {"pool_kb", budget->pool_kb ? nlohmann::json(*budget->pool_kb) : nullptr},
                             {"free_kb", budget->free_kb ? nlohmann::json(*budget->free_kb) : nullptr},
                             {"noninteractive_fit", budget->noninteractive_fit ? nlohmann::json(*budget->noninteractive_fit) : nullptr},
                             {"processes_per_noninteractive", budget->processes_per_noninteractive},
                             {"assumptions", budget->assumptions}};
        } else {
            out["budget"] = nullptr;
        }
        out["recommendation"] = recommendation;
        out["verdict"] = to_string(verdict);
        print_json(out);
    } else {
        std::cout << "SharedSection from " << from << ": "
                  << (analysis.values ? analysis.values->to_string() : std::string("(unreadable)")) << '\n';
        if (os) std::cout << "Windows: " << describe_os(*os) << '\n';
        if (budget) std::cout << budget->to_text();
        if (view) std::cout << "Session view: " << view->describe() << '\n';
        if (!findings.empty()) {
            std::cout << "Findings:\n";
            print_findings(std::cout, findings);
        }
        if (!recommendation.is_null()) std::cout << "Recommendation: " << recommendation["text"].get<std::string>() << '\n';
    }
    return verdict == Verdict::blocked ? kFindings : kOk;
}

}  // namespace

void add_heap(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<HeapOptions>();
    auto* sub = app.add_subcommand("heap", "Desktop heap sizes, the session pool budget, and what to set");
    auto* wv = sub->add_option("--windows-value", o->windows_value,
                               "the SubSystems `Windows` registry value (the csrss command line)");
    auto* ss = sub->add_option("--shared-section", o->shared_section, "a bare SharedSection value: a,b[,c] (KB)");
    wv->excludes(ss);
    sub->add_option("--stray-value", o->stray_value,
                    "the data of a separate `SharedSection` registry value, if one exists (csrss ignores it)");
    sub->add_option("--os", o->os, "Windows version: xp, 2003, vista, 7, 8.1, 10, 11, 2022, MAJOR.MINOR[.BUILD]; -x86/-x64");
    sub->add_option("--pool-kb", o->pool_kb, "session pool for desktop heaps in KB (default: 48 MB on XP/2003 x86)")
        ->check(CLI::Range(1u, 4194304u));
    sub->add_flag("--terminal-services", o->terminal_services, "XP/2003 x86 under Terminal Services or /3GB: a 20 MB pool");
    sub->add_option("--services", o->services, "service desktops to add (services under distinct accounts)")
        ->check(CLI::Range(0u, 100000u));
    sub->add_option("--existing-services", o->existing_services, "noninteractive desktops that exist already (default 1)")
        ->check(CLI::Range(0u, 100000u));
    sub->add_option("--processes", o->processes, "processes expected on each service desktop")
        ->check(CLI::Range(1u, 1000000u));
    sub->add_flag("--json", o->json, "print JSON");
    sub->footer("With neither --windows-value nor --shared-section: the registry on Windows, else the default for --os.\n"
                "Exit status: 0 ok, 1 an error-severity finding, 2 usage.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_heap(*o); }; });
}

}  // namespace safelaunch::cli
