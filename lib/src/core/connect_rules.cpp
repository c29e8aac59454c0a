// A process meets its window station and desktop only when user32/gdi32 initialise; a child that
// never loads them at start cannot die of KB 184802's causes during DLL initialisation.
#include "safelaunch/connect_rules.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool is_station_cause(CauseId c) {
    // Like R11 (Wine): every cause that acts when the process connects.
    return c == CauseId::access || c == CauseId::desktop_heap || c == CauseId::session_pool || c == CauseId::missing_desktop;
}

}  // namespace

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
    if (facts.verdict != ConnectVerdict::never || !d.code.dll_init_failure) return d;
    const auto first = d.causes.empty() ? std::optional<CauseId>() : std::optional<CauseId>(d.causes.front().id);
    for (auto& c : d.causes) {
        if (!is_station_cause(c.id)) continue;
        c.likelihood = Likelihood::unlikely;
        c.evidence.insert(c.evidence.begin(),
                          fmt::format("{}: user32.dll and gdi32.dll are not in its static import closure", kNoConnectReason));
    }
    const bool any_positive = std::any_of(d.causes.begin(), d.causes.end(), [](const RankedCause& c) {
        return c.likelihood == Likelihood::decided || c.likelihood == Likelihood::likely;
    });
    for (auto& c : d.causes) {
        if (c.id != CauseId::other_dll_init || c.likelihood != Likelihood::unlikely || any_positive) continue;
        c.likelihood = Likelihood::likely;
        c.evidence.insert(c.evidence.begin(), fmt::format("{}, so a DLL failed for its own reasons", kNoConnectReason));
    }
    std::stable_sort(d.causes.begin(), d.causes.end(), [](const RankedCause& a, const RankedCause& b) {
        if (a.likelihood != b.likelihood) return a.likelihood < b.likelihood;
        return a.id < b.id;
    });
    if (first && is_station_cause(*first))
        d.deciding_evidence = fmt::format("{}, so neither KB 184802 cause (desktop access, desktop heap) applies",
                                          kNoConnectReason);
    return d;
}

}  // namespace safelaunch
