#include "safelaunch/session_view.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace safelaunch {
namespace {

constexpr std::uint64_t kKb = 1024;

constexpr auto kRemedy =
    "close desktops this session no longer needs (a desktop's heap keeps its view until the last handle to "
    "the desktop closes), create smaller desktop heaps (the SharedSection third value, or a smaller private "
    "desktop), or launch in another session";

std::string figures(const SessionViewFacts& f) {
    return fmt::format("{}: {} KB free, largest free range {} KB, {} view failures", f.source,
                       f.bytes_available / kKb, f.largest_contiguous / kKb, f.view_failures);
}

std::string failures_reason(const SessionViewFacts& f) {
    return fmt::format("{} view mapping{} failed in session {} (a count kept for the session's life, not known to "
                       "fall when space is freed)",
                       f.view_failures, f.view_failures == 1 ? " has" : "s have", f.session_id);
}

}  // namespace

std::string SessionViewFacts::describe() const {
    if (!known) return fmt::format("session {}: unknown: {}", session_id, unknown_reason);
    return fmt::format("session {}: {} KB free, largest free range {} KB, {} view failures", session_id,
                       bytes_available / kKb, largest_contiguous / kKb, view_failures);
}

std::uint64_t session_view_desktops_that_fit(const SessionViewFacts& f, std::uint32_t desktop_kb) noexcept {
    if (desktop_kb == 0) return 0;
    return f.bytes_available / (std::uint64_t{desktop_kb} * kKb);
}

std::vector<Finding> session_view_findings(const SessionViewFacts& f, std::optional<std::uint32_t> need_kb) {
    if (!f.known)
        return {{"heap.session_view.unknown", Severity::info,
                 fmt::format("the view space of session {} could not be read: whether a new desktop fits is not known",
                             f.session_id),
                 f.unknown_reason.empty() ? std::string("no reason was recorded") : f.unknown_reason, ""}};

    const auto evidence = figures(f);
    if (need_kb && *need_kb > 0) {
        const auto need = std::uint64_t{*need_kb} * kKb;
        if (f.largest_contiguous < need)
            return {{"heap.session_view.exhausted", Severity::error,
                     fmt::format("a {} KB desktop does not fit in session {}'s view space: its largest free range is "
                                 "{} KB; creating it would fail (Win32k event 244)",
                                 *need_kb, f.session_id, f.largest_contiguous / kKb),
                     evidence, kRemedy}};
        const auto fit = session_view_desktops_that_fit(f, *need_kb);
        std::vector<std::string> reasons;
        if (fit < kLowSessionViewDesktops)
            reasons.push_back(fmt::format("at most {} desktops of {} KB fit (fewer than {})", fit, *need_kb,
                                          kLowSessionViewDesktops));
        if (f.view_failures > 0) reasons.push_back(failures_reason(f));
        if (!reasons.empty())
            return {{"heap.session_view.low", Severity::warning,
                     fmt::format("a {} KB desktop fits in session {}'s view space, but {}", *need_kb, f.session_id,
                                 fmt::join(reasons, "; ")),
                     evidence, kRemedy}};
        return {{"heap.session_view.headroom", Severity::info,
                 fmt::format("session {}'s view space has room for up to {} desktops of {} KB", f.session_id, fit,
                             *need_kb),
                 evidence, ""}};
    }

    std::vector<std::string> reasons;
    if (f.bytes_available == 0)
        reasons.push_back("no view space is free: the next desktop this session creates would fail");
    if (f.view_failures > 0) reasons.push_back(failures_reason(f));
    if (!reasons.empty())
        return {{"heap.session_view.low", Severity::warning,
                 fmt::format("session {}'s view space: {}", f.session_id, fmt::join(reasons, "; ")), evidence,
                 kRemedy}};
    return {{"heap.session_view.headroom", Severity::info,
             fmt::format("session {}'s view space: {} KB free, largest free range {} KB", f.session_id,
                         f.bytes_available / kKb, f.largest_contiguous / kKb),
             evidence, ""}};
}

}  // namespace safelaunch
