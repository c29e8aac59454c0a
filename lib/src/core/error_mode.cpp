#include "safelaunch/error_mode.hpp"

#include <fmt/format.h>

namespace safelaunch {

namespace bits = error_mode_bits;

ErrorModePlan plan_error_mode(ErrorUi policy, std::uint32_t current_mode, std::uint32_t creation_flags,
                              ErrorModeLaunchKind kind) noexcept {
    ErrorModePlan p;
    p.report.policy = policy;
    p.creation_flags = creation_flags;
    if (kind == ErrorModeLaunchKind::with_logon) {
        // Documented: CreateProcessWithLogonW behaves as if CREATE_DEFAULT_ERROR_MODE were set,
        // so holding a mode here would reach nobody but this process's other threads.
        if (policy == ErrorUi::system_default) p.creation_flags |= bits::kCreateDefaultErrorMode;
        p.report.how = policy == ErrorUi::suppress
                           ? "not suppressed: CreateProcessWithLogonW always gives the system default"
                           : "the system default: CreateProcessWithLogonW always gives it";
        return p;
    }
    switch (policy) {
        case ErrorUi::suppress:
            p.creation_flags &= ~bits::kCreateDefaultErrorMode;
            p.hold_mode = current_mode | bits::kSuppress;
            p.report.value = *p.hold_mode;
            p.report.how = "inherited from safelaunch, which held it around CreateProcess";
            break;
        case ErrorUi::inherit:
            if (creation_flags & bits::kCreateDefaultErrorMode) {
                p.report.how = "the system default: CREATE_DEFAULT_ERROR_MODE is in the request's creation flags";
            } else {
                p.report.value = current_mode;
                p.report.how = "inherited from safelaunch unchanged";
            }
            break;
        case ErrorUi::system_default:
            p.creation_flags |= bits::kCreateDefaultErrorMode;
            p.report.how = "the system default: CREATE_DEFAULT_ERROR_MODE (hard-error popups shown)";
            break;
    }
    return p;
}

std::string_view to_string(ErrorUi policy) noexcept {
    switch (policy) {
        case ErrorUi::suppress: return "suppress";
        case ErrorUi::inherit: return "inherit";
        case ErrorUi::system_default: return "system_default";
    }
    return "suppress";
}

std::optional<ErrorUi> error_ui_from_string(std::string_view s) noexcept {
    if (s == "suppress") return ErrorUi::suppress;
    if (s == "inherit") return ErrorUi::inherit;
    if (s == "system_default" || s == "system") return ErrorUi::system_default;
    return std::nullopt;
}

std::string describe(const ChildErrorMode& m) {
    const auto value = m.value ? fmt::format("{:#06x}", *m.value) : std::string("system default");
    const auto popups = m.value ? (hard_errors_suppressed(*m.value) ? ", popups off" : ", popups on") : "";
    return fmt::format("{} ({}{}: {})", value, to_string(m.policy), popups, m.how);
}

}  // namespace safelaunch
