#include "safelaunch/admission.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

using std::chrono::milliseconds;

[[nodiscard]] milliseconds since(std::chrono::steady_clock::time_point start,
                                 std::chrono::steady_clock::time_point now) noexcept {
    return now <= start ? milliseconds{0} : std::chrono::duration_cast<milliseconds>(now - start);
}

[[nodiscard]] std::string seconds(milliseconds d) {
    return fmt::format("{:.1f} s", static_cast<double>(d.count()) / 1000.0);
}

}  // namespace

std::chrono::steady_clock::time_point SteadyAdmissionClock::now() { return std::chrono::steady_clock::now(); }

bool SteadyAdmissionClock::wait_for(milliseconds d) {
    std::unique_lock lock(mutex_);
    const bool woken = cv_.wait_for(lock, d, [&] { return notified_; });
    notified_ = false;
    return woken;
}

void SteadyAdmissionClock::notify() {
    {
        std::lock_guard lock(mutex_);
        notified_ = true;
    }
    cv_.notify_all();
}

milliseconds admission_backoff(const AdmissionPolicy& policy, std::uint32_t wait_number) noexcept {
    const milliseconds cap = std::max(policy.max_wait, milliseconds{1});
    milliseconds wait = std::clamp(policy.first_wait, milliseconds{1}, cap);
    for (std::uint32_t n = 1; n < wait_number && wait < cap; ++n) wait = std::min(wait * 2, cap);
    return wait;
}

Finding no_headroom_finding(const AdmissionPolicy& policy, std::optional<std::uint32_t> last_free_kb,
                            milliseconds waited, std::uint32_t waits) {
    const std::string where = policy.desktop.empty() ? "the target desktop" : policy.desktop;
    const std::string free = last_free_kb ? fmt::format("{} KB", *last_free_kb) : std::string("unknown");
    return Finding{
        "heap.desktop.no_headroom", Severity::error,
        fmt::format("{} KB of desktop heap could not be allocated on {} within the {} hold; the launch "
                    "was refused rather than left to die with 0xC0000142",
                    policy.kb_needed, where, seconds(policy.hold_timeout)),
        fmt::format("needed {} KB, last known free {}, waited {} over {} waits", policy.kb_needed, free,
                    seconds(waited), waits),
        "wait for processes on that desktop to exit, hold longer, or launch on a desktop with a larger heap"};
}

std::string describe(const AdmissionWait& w, const std::string& desktop) {
    return fmt::format("holding: need {} KB on {}, free {}, wait {}, next try in {} ms, {:.1f} s left", w.kb_needed,
                       desktop.empty() ? std::string("the target desktop") : desktop,
                       w.free_kb ? fmt::format("~{} KB", *w.free_kb) : std::string("unknown"), w.wait_number,
                       w.next_wait.count(), static_cast<double>(w.remaining.count()) / 1000.0);
}

Finding headroom_unknown_finding(const AdmissionPolicy& policy, const std::string& why, milliseconds waited,
                                 std::uint32_t waits) {
    const std::string where = policy.desktop.empty() ? "the target desktop" : policy.desktop;
    return Finding{
        "heap.desktop.headroom_unknown", Severity::error,
        fmt::format("whether {} KB of desktop heap fits on {} could not be measured, so the launch was not admitted "
                    "(a hold cannot help: the measurement itself failed)",
                    policy.kb_needed, where),
        fmt::format("{}; after {} over {} waits", why, seconds(waited), waits),
        "make the trial possible (safelaunch-probe.exe beside safelaunch, runnable as the child's user), or launch "
        "without admission control"};
}

AdmissionResult admit(const AdmissionPolicy& policy, HeadroomSource& source, AdmissionClock& clock,
                      const AdmissionAnnounce& announce) {
    AdmissionResult out;
    const auto start = clock.now();
    for (;;) {
        const auto reading = source.read(policy.kb_needed);
        if (reading.free_kb) out.last_free_kb = reading.free_kb;
        out.waited = since(start, clock.now());
        if (reading.unmeasurable) {
            out.refusal = headroom_unknown_finding(policy, *reading.unmeasurable, out.waited, out.waits);
            return out;
        }
        if (reading.fits) {
            out.admitted = true;
            return out;
        }
        if (out.waited >= policy.hold_timeout) {
            out.refusal = no_headroom_finding(policy, out.last_free_kb, out.waited, out.waits);
            return out;
        }
        const auto remaining = policy.hold_timeout - out.waited;
        const auto next = std::min(admission_backoff(policy, out.waits + 1), remaining);
        ++out.waits;
        if (announce) announce(AdmissionWait{out.waits, policy.kb_needed, out.last_free_kb, out.waited, next, remaining});
        clock.wait_for(next);
    }
}

}  // namespace safelaunch
