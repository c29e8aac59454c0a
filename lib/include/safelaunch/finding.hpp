// A finding: one thing the decision core concluded from the facts, with a stable id.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

enum class Severity { info, warning, error };

// ok: nothing of warning severity or worse; warn: warnings only; blocked: an error-severity
// finding (a launch would die or be refused).
enum class Verdict { ok, warn, blocked };

struct Finding {
    std::string id;        // stable, documented in the README, never reused: "acl.desktop.missing_rights"
    Severity severity = Severity::info;
    std::string message;   // one line
    std::string evidence;  // the facts that decided it
    std::string remedy;    // what to do about it; empty when nothing is needed
};

[[nodiscard]] std::string_view to_string(Severity s) noexcept;
[[nodiscard]] std::string_view to_string(Verdict v) noexcept;
[[nodiscard]] std::optional<Severity> severity_from_string(std::string_view s) noexcept;
[[nodiscard]] std::optional<Verdict> verdict_from_string(std::string_view s) noexcept;

[[nodiscard]] Verdict verdict_of(const std::vector<Finding>& findings) noexcept;

}  // namespace safelaunch
