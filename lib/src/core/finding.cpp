#include "safelaunch/finding.hpp"

#include <algorithm>

namespace safelaunch {

std::string_view to_string(Severity s) noexcept {
    switch (s) {
        case Severity::info: return "info";
        case Severity::warning: return "warning";
        case Severity::error: return "error";
    }
    return "error";
}

std::string_view to_string(Verdict v) noexcept {
    switch (v) {
        case Verdict::ok: return "ok";
        case Verdict::warn: return "warn";
        case Verdict::blocked: return "blocked";
    }
    return "blocked";
}

std::optional<Severity> severity_from_string(std::string_view s) noexcept {
    for (auto v : {Severity::info, Severity::warning, Severity::error})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

std::optional<Verdict> verdict_from_string(std::string_view s) noexcept {
    for (auto v : {Verdict::ok, Verdict::warn, Verdict::blocked})
        if (to_string(v) == s) return v;
    return std::nullopt;
}

Verdict verdict_of(const std::vector<Finding>& findings) noexcept {
    auto worst = Severity::info;
    for (const auto& f : findings) worst = std::max(worst, f.severity);
    switch (worst) {
        case Severity::error: return Verdict::blocked;
        case Severity::warning: return Verdict::warn;
        case Severity::info: return Verdict::ok;
    }
    return Verdict::blocked;
}

}  // namespace safelaunch
