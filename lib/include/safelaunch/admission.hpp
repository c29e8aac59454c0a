// Admission control: hold a launch until its desktop has room for it, instead of letting the
// child die with 0xC0000142 (issue 8 part 4). The portable decision: ask a headroom source, admit
// when it fits, otherwise wait (bounded exponential backoff, woken early when a sibling exits,
// every wait announced) and refuse once the hold timeout has passed.
//
// The headroom source (a trial allocation on the target desktop, under the child's token) and
// the clock are interfaces, so tests drive hold / release deterministically without sleeping.
//
// Finding id (stable; never reused):
//   heap.desktop.no_headroom   error   kb_needed could not be allocated on the desktop within the
//                                      hold timeout; evidence: needed KB, last known free KB,
//                                      how long it waited and how many waits
//   heap.desktop.headroom_unknown error   the headroom source could not measure at all (the trial's
//                                      canary could not run: probe missing, CreateProcess* failed,
//                                      timed out, or it stopped for a reason that is not the heap);
//                                      the launch is refused at once, never held: waiting would
//                                      not make a missing probe appear
#pragma once

#include "safelaunch/finding.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

namespace safelaunch {

struct AdmissionPolicy {
    std::uint32_t kb_needed = 0;                   // desktop heap the child needs to start
    std::chrono::milliseconds hold_timeout{0};     // 0: refuse at once when there is no room
    std::chrono::milliseconds first_wait{100};     // backoff: first wait, doubled per wait ...
    std::chrono::milliseconds max_wait{2000};      // ... up to this
    std::string desktop;                           // for messages: "Service-0x0-3e7$\\Default"
};

// One reading of the target desktop.
struct HeadroomReading {
    bool fits = false;                     // kb_needed can be allocated now
    std::optional<std::uint32_t> free_kb;  // what is free, when the source can tell
    // Set when the source could not measure (why, one line): not "no room". admit() stops at once
    // and refuses with heap.desktop.headroom_unknown.
    std::optional<std::string> unmeasurable{};
};

class HeadroomSource {
public:
    virtual ~HeadroomSource() = default;
    [[nodiscard]] virtual HeadroomReading read(std::uint32_t kb_needed) = 0;
};

// Time and waiting, injected so tests never sleep.
class AdmissionClock {
public:
    virtual ~AdmissionClock() = default;
    [[nodiscard]] virtual std::chrono::steady_clock::time_point now() = 0;
    // Waits up to `d`; true when woken early (a sibling exited), false when `d` passed.
    virtual bool wait_for(std::chrono::milliseconds d) = 0;
};

// The real clock: steady_clock, and a condition variable that notify() (from any thread, e.g. the
// thread that saw a sibling exit) signals. A notify() while nobody waits is kept for the next
// wait, so an exit between a reading and the wait is not lost; several coalesce into one wake-up
// (the next reading sees all the room they freed). One admitting thread per SteadyAdmissionClock.
class SteadyAdmissionClock final : public AdmissionClock {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() override;
    bool wait_for(std::chrono::milliseconds d) override;
    void notify();

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool notified_ = false;
};

// What the announce callback gets before every wait.
struct AdmissionWait {
    std::uint32_t wait_number = 0;          // 1 for the first wait
    std::uint32_t kb_needed = 0;
    std::optional<std::uint32_t> free_kb;   // last known free KB (nullopt: the source never said)
    std::chrono::milliseconds waited{0};    // since admission started
    std::chrono::milliseconds next_wait{0}; // the wait about to start
    std::chrono::milliseconds remaining{0}; // until the hold timeout
};
using AdmissionAnnounce = std::function<void(const AdmissionWait&)>;

// The progress line of one wait, without a newline: "holding: need 16 KB on <desktop>, free ~12 KB
// (or: free unknown), wait 2, next try in 200 ms, 59.7 s left".
[[nodiscard]] std::string describe(const AdmissionWait& wait, const std::string& desktop);

struct AdmissionResult {
    bool admitted = false;
    std::uint32_t waits = 0;
    std::chrono::milliseconds waited{0};
    std::optional<std::uint32_t> last_free_kb;
    std::optional<Finding> refusal;  // heap.desktop.no_headroom (or .headroom_unknown) when not admitted
};

// The n-th wait (1-based) of the backoff: first_wait * 2^(n-1), at most max_wait (and at least 1 ms,
// so a zero policy still makes progress).
[[nodiscard]] std::chrono::milliseconds admission_backoff(const AdmissionPolicy& policy,
                                                          std::uint32_t wait_number) noexcept;

// The refusal, with the figures.
[[nodiscard]] Finding no_headroom_finding(const AdmissionPolicy& policy, std::optional<std::uint32_t> last_free_kb,
                                          std::chrono::milliseconds waited, std::uint32_t waits);

// The refusal when the source could not measure (`why`: HeadroomReading::unmeasurable).
[[nodiscard]] Finding headroom_unknown_finding(const AdmissionPolicy& policy, const std::string& why,
                                               std::chrono::milliseconds waited, std::uint32_t waits);

// Reads the source until it fits (admitted) or hold_timeout has passed since the start (refused),
// or the source says it cannot measure (refused at once, heap.desktop.headroom_unknown).
// Between readings: announce (if set), then clock.wait_for(backoff, cut to the time left). An
// early wake-up reads again at once; the backoff still grows, so a busy desktop whose siblings
// keep exiting without making room is not polled faster and faster.
[[nodiscard]] AdmissionResult admit(const AdmissionPolicy& policy, HeadroomSource& source, AdmissionClock& clock,
                                    const AdmissionAnnounce& announce = {});

}  // namespace safelaunch
