// Renderings of a deskheap-repro run: human summary, JSON, JUnit.
#include "report.hpp"

#include "safelaunch/error_mode.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/json.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>  // fmt::join (moved here in fmt 11)

#include <algorithm>
#include <ostream>

namespace safelaunch::repro {

std::optional<bool> PhaseRecord::preflight_matches() const {
    if (!preflight_verdict) return std::nullopt;
    // "ok" predicts a child that starts: a warning (a small heap, say) still predicts that.
    const bool blocked = *preflight_verdict == "blocked";
    return blocked == (preflight_expected == "blocked");
}

bool PhaseRecord::child_as_expected() const {
    if (!child_exit_code) return false;
    if (expected == Expect::success) return *child_exit_code == 0;
    return *child_exit_code == kStatusDllInitFailed || *child_exit_code == kErrorWaitNoChildren;
}

std::string_view to_string(Outcome o) noexcept {
    switch (o) {
        case Outcome::reproduced: return "reproduced";
        case Outcome::not_reproduced: return "not_reproduced";
        case Outcome::skipped: return "skipped";
        case Outcome::error: return "error";
    }
    return "error";
}

int exit_code_of(Outcome o) noexcept {
    switch (o) {
        case Outcome::reproduced: return kExitReproduced;
        case Outcome::not_reproduced: return kExitNotReproduced;
        case Outcome::skipped: return kExitSkipped;
        case Outcome::error: return kExitError;
    }
    return kExitError;
}

Outcome outcome_of_phases(const std::vector<PhaseRecord>& phases) {
    if (phases.empty()) return Outcome::error;
    return std::all_of(phases.begin(), phases.end(), [](const PhaseRecord& p) { return p.ok; })
               ? Outcome::reproduced
               : Outcome::not_reproduced;
}

namespace {

int rank(Outcome o) {
    switch (o) {
        case Outcome::error: return 3;
        case Outcome::not_reproduced: return 2;
        case Outcome::skipped: return 1;
        case Outcome::reproduced: return 0;
    }
    return 3;
}

std::string expected_text(Expect e) {
    return e == Expect::success ? "exit 0" : "0xC0000142 (128 before Vista)";
}

std::string exit_text(const std::optional<std::uint32_t>& code) {
    return code ? describe_exit_code(*code) : std::string("not started / ended by deskheap-repro");
}

std::string xml_escape(std::string_view s) {
    std::string out;
    for (const char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&apos;"; break;
            default:
                // XML 1.0 forbids most control characters even escaped.
                if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' && c != '\r') out += '?';
                else out += c;
        }
    }
    return out;
}

// One line on what went wrong in a phase, for reasons and JUnit failure messages.
std::string phase_problem(const PhaseRecord& p) {
    if (!p.child_as_expected())
        return fmt::format("{}/{}: expected {}, child gave {}", p.scenario, p.name, expected_text(p.expected),
                           exit_text(p.child_exit_code));
    if (p.preflight_matches() == false)
        return fmt::format("{}/{}: pre-flight said {} where {} was expected (the child did as expected)", p.scenario,
                           p.name, *p.preflight_verdict, p.preflight_expected);
    if (p.problem) return fmt::format("{}/{}: {}", p.scenario, p.name, *p.problem);
    return {};
}

}  // namespace

Outcome overall_outcome(const RunReport& report) {
    if (report.interrupted || report.scenarios.empty()) return Outcome::error;
    Outcome worst = Outcome::reproduced;
    for (const auto& s : report.scenarios)
        if (rank(s.outcome) > rank(worst)) worst = s.outcome;
    return worst;
}

std::string overall_reason(const RunReport& report) {
    if (report.interrupted) return "interrupted (Ctrl+C or console close); cleanup ran";
    const auto worst = overall_outcome(report);
    std::vector<std::string> parts;
    for (const auto& s : report.scenarios)
        if (s.outcome == worst || report.scenarios.size() == 1) parts.push_back(s.name + ": " + s.reason);
    return fmt::format("{}", fmt::join(parts, "; "));
}

nlohmann::json to_json(const RunReport& report) {
    using nlohmann::json;
    json phases = json::array();
    json scenarios = json::array();
    for (const auto& s : report.scenarios) {
        json sj = {{"name", s.name}, {"verdict", to_string(s.outcome)}, {"reason", s.reason},
                   {"left_behind", s.left_behind},
                   {"heap_kb_requested", s.heap_kb_requested ? json(*s.heap_kb_requested) : json(nullptr)},
                   {"station", s.station ? json(*s.station) : json(nullptr)},
                   {"desktops", s.desktops},
                   {"details", s.details}};
        scenarios.push_back(std::move(sj));
        for (const auto& p : s.phases) {
            const auto matches = p.preflight_matches();
            phases.push_back({
                {"scenario", p.scenario},
                {"name", p.name},
                {"child_exit_code", p.child_exit_code ? json(*p.child_exit_code) : json(nullptr)},
                {"child_exit", p.child_exit_code ? json(describe_exit_code(*p.child_exit_code)) : json(nullptr)},
                {"expected", p.expected == Expect::success ? "success" : "dll_init_failed"},
                {"expected_exit_codes", p.expected == Expect::success
                                            ? json::array({0})
                                            : json::array({kStatusDllInitFailed, kErrorWaitNoChildren})},
                {"ok", p.ok},
                {"preflight_verdict", p.preflight_verdict ? json(*p.preflight_verdict) : json(nullptr)},
                {"preflight_expected", p.preflight_expected},
                {"preflight_matches", matches ? json(*matches) : json(nullptr)},
                {"preflight_findings", p.preflight_findings},
                {"preflight_error", p.preflight_error ? json(*p.preflight_error) : json(nullptr)},
                {"objects_created", p.objects_created},
                {"filler_stop", p.filler_stop ? json(*p.filler_stop) : json(nullptr)},
                {"heap_kb", p.heap_kb ? json(*p.heap_kb) : json(nullptr)},
                {"duration_ms", p.duration_ms},
                {"events", p.events},
                {"child_report", p.child_report ? json(*p.child_report) : json(nullptr)},
                {"child_error_mode", p.child_error_mode ? json(*p.child_error_mode) : json(nullptr)},
                {"self_check", p.self_check_exit_code || p.self_check_reported
                                   ? json{{"exit_code", p.self_check_exit_code ? json(*p.self_check_exit_code)
                                                                               : json(nullptr)},
                                          {"reported_connect_failed", p.self_check_reported.value_or(false)}}
                                   : json(nullptr)},
                {"notes", p.notes},
                {"problem", p.problem ? json(*p.problem) : json(nullptr)},
                {"skipped", p.skipped ? json(*p.skipped) : json(nullptr)},
            });
        }
    }
    const auto outcome = overall_outcome(report);
    return {
        {"tool", "deskheap-repro"},
        {"schema", 1},
        {"scenario", report.scenario},
        {"platform",
         {{"os", report.platform.os},
          {"build", report.platform.build},
          {"wine", report.platform.wine ? json(*report.platform.wine) : json(nullptr)}}},
        {"children_error_ui", to_string(kChildErrorUi)},
        {"phases", std::move(phases)},
        {"scenarios", std::move(scenarios)},
        {"interrupted", report.interrupted},
        {"verdict", to_string(outcome)},
        {"exit_code", exit_code_of(outcome)},
        {"reason", overall_reason(report)},
    };
}

std::string to_junit(const RunReport& report) {
    std::string cases;
    int tests = 0, failures = 0, errors = 0, skipped = 0;
    double total = 0;
    for (const auto& s : report.scenarios) {
        const auto classname = xml_escape("deskheap-repro." + s.name);
        if (s.phases.empty()) {
            ++tests;
            cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"0\">\n", classname, xml_escape(s.name));
            if (s.outcome == Outcome::error) {
                ++errors;
                cases += fmt::format("      <error message=\"{}\"/>\n", xml_escape(s.reason));
            } else {
                ++skipped;
                cases += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(s.reason));
            }
            cases += "    </testcase>\n";
            continue;
        }
        for (const auto& p : s.phases) {
            ++tests;
            const double seconds = static_cast<double>(p.duration_ms) / 1000.0;
            total += seconds;
            cases += fmt::format("    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", classname,
                                 xml_escape(p.name), seconds);
            if (p.skipped) {
                ++skipped;
                cases += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(*p.skipped));
            } else if (!p.ok) {
                const auto problem = phase_problem(p);
                if (s.outcome == Outcome::skipped) {
                    // The platform cannot show this phase (Wine's acl failure): a skip, with what it did.
                    ++skipped;
                    cases += fmt::format("      <skipped message=\"{}\"/>\n", xml_escape(s.reason + " (" + problem + ")"));
                } else if (s.outcome == Outcome::error && !p.child_exit_code) {
                    ++errors;
                    cases += fmt::format("      <error message=\"{}\"/>\n", xml_escape(problem));
                } else {
                    ++failures;
                    cases += fmt::format("      <failure message=\"{}\"/>\n", xml_escape(problem));
                }
            }
            std::string out = fmt::format("expected {}; child {}; pre-flight {} (expected {}); objects {}; heap {} KB",
                                          expected_text(p.expected), exit_text(p.child_exit_code),
                                          p.preflight_verdict.value_or("not run"), p.preflight_expected,
                                          p.objects_created, p.heap_kb ? std::to_string(*p.heap_kb) : "unknown");
            for (const auto& n : p.notes) out += "\n" + n;
            cases += fmt::format("      <system-out>{}</system-out>\n", xml_escape(out));
            cases += "    </testcase>\n";
        }
    }
    return fmt::format(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<testsuites name=\"deskheap-repro\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" skipped=\"{3}\" time=\"{4:.3f}\">\n"
        "  <testsuite name=\"deskheap-repro.{5}\" tests=\"{0}\" failures=\"{1}\" errors=\"{2}\" skipped=\"{3}\" time=\"{4:.3f}\">\n"
        "{6}"
        "  </testsuite>\n"
        "</testsuites>\n",
        tests, failures, errors, skipped, total, xml_escape(report.scenario), cases);
}

void print_human(std::ostream& out, const RunReport& report) {
    out << fmt::format("deskheap-repro {} on {}{}\n", report.scenario, report.platform.os,
                       report.platform.wine ? " (Wine " + *report.platform.wine + ")" : std::string());
    out << fmt::format("children: hard-error popups {} (error-ui {}): a child that dies at start exits with its code\n",
                       kChildErrorUi == ErrorUi::suppress ? "suppressed" : "not suppressed", to_string(kChildErrorUi));
    for (const auto& s : report.scenarios) {
        out << fmt::format("\n{}: {} — {}\n", s.name, to_string(s.outcome), s.reason);
        if (s.heap_kb_requested) out << fmt::format("  heap requested: {} KB\n", *s.heap_kb_requested);
        for (const auto& p : s.phases) {
            if (p.skipped) {
                out << fmt::format("  {:<9} SKIP  {}\n", p.name, *p.skipped);
                continue;
            }
            out << fmt::format("  {:<9} {}  child {} (expected {}), pre-flight {} (expected {}), {} ms\n", p.name,
                               p.ok ? "ok  " : "FAIL", exit_text(p.child_exit_code), expected_text(p.expected),
                               p.preflight_verdict.value_or("not run"), p.preflight_expected, p.duration_ms);
            if (p.heap_kb) out << fmt::format("            heap read back (UOI_HEAPSIZE): {} KB\n", *p.heap_kb);
            if (p.child_error_mode) out << fmt::format("            error mode: {}\n", describe(*p.child_error_mode));
            if (p.self_check_exit_code || p.self_check_reported)
                out << fmt::format("            safelaunch check on this desktop: {}{}\n", exit_text(p.self_check_exit_code),
                                   p.self_check_reported.value_or(false) ? ", reported self.desktop.connect_failed" : "");
            if (p.objects_created || p.filler_stop)
                out << fmt::format("            objects created: {}{}\n", p.objects_created,
                                   p.filler_stop ? ", stopped by " + *p.filler_stop : std::string());
            if (!p.preflight_findings.empty())
                out << fmt::format("            pre-flight findings: {}\n", fmt::join(p.preflight_findings, ", "));
            if (p.preflight_error) out << fmt::format("            pre-flight not run: {}\n", *p.preflight_error);
            if (p.problem) out << fmt::format("            problem: {}\n", *p.problem);
            if (!p.events.empty()) out << fmt::format("            Win32k events: {}\n", fmt::join(p.events, ", "));
            for (const auto& n : p.notes) out << "            " << n << '\n';
        }
        if (!s.details.is_null()) out << "  details: " << s.details.dump() << '\n';
        for (const auto& l : s.left_behind) out << "  LEFT BEHIND: " << l << '\n';
    }
    const auto outcome = overall_outcome(report);
    out << fmt::format("\nverdict: {} (exit {}): {}\n", to_string(outcome), exit_code_of(outcome), overall_reason(report));
}

}  // namespace safelaunch::repro
