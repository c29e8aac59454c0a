// LaunchGate: caps the children running at once on one desktop from the heap model (desktop heap
// KB / per-process cost, the field figure kServiceProcessKb), for callers that prefer a cap to a
// trial allocation (issue 8 part 4). Acquire goes through admit(): the same backoff, announce
// callback and heap.desktop.no_headroom refusal, with the gate's free places as the headroom
// source. A lease gives its place back when destroyed, and that wakes the waiters at once.
// Thread-safe; the gate must outlive its leases.
#pragma once

#include "safelaunch/admission.hpp"
#include "safelaunch/heap_budget.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace safelaunch {

// How many children a desktop heap of `desktop_heap_kb` holds at `per_process_kb` each.
[[nodiscard]] std::uint32_t launch_cap(std::uint64_t desktop_heap_kb,
                                       std::uint32_t per_process_kb = kServiceProcessKb) noexcept;

struct LaunchGateConfig {
    std::uint64_t desktop_heap_kb = 0;
    std::uint32_t per_process_kb = kServiceProcessKb;
    std::string desktop;                        // for messages
    std::chrono::milliseconds first_wait{100};  // backoff while held: the announce rhythm; a
    std::chrono::milliseconds max_wait{2000};   // release wakes the waiters sooner
};

class LaunchGate {
public:
    class Lease {
    public:
        Lease(Lease&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { release(); }
        void release() noexcept;  // gives the place back (once)

    private:
        friend class LaunchGate;
        explicit Lease(LaunchGate* gate) noexcept : gate_(gate) {}
        LaunchGate* gate_ = nullptr;
    };

    struct Acquired {
        std::optional<Lease> lease;  // set when admitted
        AdmissionResult result;      // waits, waited, and the refusal when not admitted
    };

    explicit LaunchGate(LaunchGateConfig config);
    LaunchGate(const LaunchGate&) = delete;
    LaunchGate& operator=(const LaunchGate&) = delete;

    // Blocks until a place is free or hold_timeout has passed. A gate whose cap is 0 (the heap
    // holds not one child) refuses at once.
    [[nodiscard]] Acquired acquire(std::chrono::milliseconds hold_timeout, const AdmissionAnnounce& announce = {});

    [[nodiscard]] std::uint32_t cap() const noexcept { return cap_; }
    [[nodiscard]] std::uint32_t in_use() const;

private:
    class Places;  // the HeadroomSource and AdmissionClock of one acquire
    void give_back() noexcept;

    const LaunchGateConfig config_;
    const std::uint32_t cap_;
    mutable std::mutex mutex_;
    std::condition_variable released_;
    std::uint32_t in_use_ = 0;
    std::uint64_t releases_ = 0;  // counts give_back(): a waiter wakes when it moved
};

}  // namespace safelaunch
