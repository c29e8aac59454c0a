// A process meets its window station and desktop only when user32/gdi32 initialise; a child that
// never loads them at start cannot die of KB 184802's causes during DLL initialisation. The rules
// C1-C4 are listed in connect_rules.hpp.
#include "safelaunch/connect_rules.hpp"

#include "safelaunch/printable.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace safelaunch {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_station_cause(CauseId c) {
    // Like R11 (Wine): every cause that acts when the process connects.
    return c == CauseId::access || c == CauseId::desktop_heap || c == CauseId::session_pool || c == CauseId::missing_desktop;
}

// A problem that may hide a static path to user32: the static closure was not read in full.
bool hides_imports(const Finding& p) { return starts_with(p.id, "pe.imports.") || starts_with(p.id, "pe.closure."); }

Likelihood step_down(Likelihood l) {
    switch (l) {
    case Likelihood::decided: return Likelihood::likely;
    case Likelihood::likely: return Likelihood::possible;
    case Likelihood::possible:
    case Likelihood::unlikely: return Likelihood::unlikely;
    }
    return Likelihood::unlikely;
}

std::string program_label(const ProgramImportsFacts& p) {
    return p.program.empty() ? std::string("the program") : file_name_of(p.program);
}

std::string searched(const ProgramImportsFacts& p) {
    return p.system_dir.empty() ? std::string("beside the program")
                                : fmt::format("beside the program, then in {}", p.system_dir);
}

}  // namespace

std::optional<ConnectFacts> connect_facts_of(const ProgramImportsFacts& p) {
    if (!p.verdict) return std::nullopt;
    if (*p.verdict != ConnectVerdict::connects_at_init &&
        (!p.unresolved.empty() || std::any_of(p.problems.begin(), p.problems.end(), hides_imports)))
        return std::nullopt;
    return ConnectFacts{*p.verdict, p.chain};
}

Finding program_imports_finding(const ProgramImportsFacts& p) {
    const auto name = program_label(p);
    if (!p.verdict)
        return {"program.imports.unknown", Severity::info,
                fmt::format("whether {} connects to a window station at start is not known", name),
                fmt::format("{}: {}", p.program.empty() ? "program" : p.program,
                            p.error.value_or("its import tables were not read")),
                ""};
    if (!connect_facts_of(p)) {
        std::vector<std::string> why;
        if (!p.unresolved.empty()) why.push_back(fmt::format("not found: {}", fmt::join(p.unresolved, ", ")));
        for (const auto& f : p.problems)
            if (hides_imports(f)) why.push_back(fmt::format("{}: {}", f.id, f.message));
        return {"program.imports.incomplete", Severity::info,
                fmt::format("{} reaches user32.dll/gdi32.dll through no static import read here, but its import "
                            "closure is incomplete: the access and heap findings stand",
                            name),
                fmt::format("verdict '{}' on an incomplete closure (searched {}); {}", to_string(*p.verdict),
                            searched(p), fmt::join(why, "; ")),
                "run the check where the program's DLLs can all be found"};
    }
    switch (*p.verdict) {
    case ConnectVerdict::connects_at_init:
        return {"program.imports.connects_at_init", Severity::info,
                fmt::format("{} loads user32 at start: it connects to its window station and desktop as it starts", name),
                fmt::format("static import chain: {}", p.chain), ""};
    case ConnectVerdict::delay_loaded:
        return {"program.imports.delay_loaded", Severity::info,
                fmt::format("{} loads user32 only through a delay import: it connects at its first call into user32, "
                            "after start, and the access and heap findings apply then",
                            name),
                fmt::format("import chain: {}; a failed delay load raises 0xC06D007E rather than 0xC0000142", p.chain),
                ""};
    case ConnectVerdict::never:
        break;
    }
    return {"program.imports.never", Severity::info,
            fmt::format("{} does not load user32 or gdi32 at start: the access and heap findings cannot stop its start", name),
            fmt::format("neither is in its static import closure (searched {}); a LoadLibrary at run time is not "
                        "seen here",
                        searched(p)),
            ""};
}

std::vector<Finding> apply_connect_facts(std::vector<Finding> preflight, const ConnectFacts& facts) {
    if (facts.verdict != ConnectVerdict::never) return preflight;
    for (auto& f : preflight) {
        if (!(starts_with(f.id, "acl.") || starts_with(f.id, "heap.")) || f.severity == Severity::info) continue;
        f.severity = Severity::info;
        f.message += fmt::format(" (info only: {})", kNoConnectReason);
    }
    return preflight;
}

Diagnosis apply_connect_facts(Diagnosis d, const ConnectFacts& facts) {
    if (facts.verdict == ConnectVerdict::connects_at_init || !d.code.dll_init_failure) return d;
    const bool never = facts.verdict == ConnectVerdict::never;
    const auto first = d.causes.empty() ? std::optional<CauseId>() : std::optional<CauseId>(d.causes.front().id);
    const auto why =
        never ? fmt::format("{}: user32.dll and gdi32.dll are not in its static import closure", kNoConnectReason)
              : fmt::format("{} ({}): it connects after start, and a failed delay load raises 0xC06D007E, not "
                            "0xC0000142 at start, unless a DLL makes that call while the process starts",
                            kDelayConnectReason, escape_control_chars(facts.chain));  // names from a file
    for (auto& c : d.causes) {
        if (!is_station_cause(c.id)) continue;
        c.likelihood = never ? Likelihood::unlikely : step_down(c.likelihood);
        c.evidence.insert(c.evidence.begin(), why);
    }
    if (never) {
        const bool any_positive = std::any_of(d.causes.begin(), d.causes.end(), [](const RankedCause& c) {
            return c.likelihood == Likelihood::decided || c.likelihood == Likelihood::likely;
        });
        for (auto& c : d.causes) {
            if (c.id != CauseId::other_dll_init || c.likelihood != Likelihood::unlikely || any_positive) continue;
            c.likelihood = Likelihood::likely;
            c.evidence.insert(c.evidence.begin(), fmt::format("{}, so a DLL failed for its own reasons", kNoConnectReason));
        }
    }
    std::stable_sort(d.causes.begin(), d.causes.end(), [](const RankedCause& a, const RankedCause& b) {
        if (a.likelihood != b.likelihood) return a.likelihood < b.likelihood;
        return a.id < b.id;
    });
    if (never && first && is_station_cause(*first))
        d.deciding_evidence = fmt::format("{}, so neither KB 184802 cause (desktop access, desktop heap) applies",
                                          kNoConnectReason);
    else if (!never && first && is_station_cause(*first))
        d.deciding_evidence = fmt::format("{} (weakened: {})", d.deciding_evidence, kDelayConnectReason);
    return d;
}

}  // namespace safelaunch
