#include "safelaunch/launch_gate.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace safelaunch {

std::uint32_t launch_cap(std::uint64_t desktop_heap_kb, std::uint32_t per_process_kb) noexcept {
    const auto n = processes_that_fit(desktop_heap_kb, per_process_kb);
    return n > std::numeric_limits<std::uint32_t>::max() ? std::numeric_limits<std::uint32_t>::max()
                                                          : static_cast<std::uint32_t>(n);
}

// One acquire's view of the gate. read() takes a place when one is free (under the gate's lock,
// so two acquires never take the last place both); otherwise it remembers the release count,
// and wait_for() wakes as soon as it moves, so a release between the reading and the wait is
// not missed.
class LaunchGate::Places final : public HeadroomSource, public AdmissionClock {
public:
    explicit Places(LaunchGate& gate) : gate_(gate) {}

    HeadroomReading read(std::uint32_t) override {
        std::lock_guard lock(gate_.mutex_);
        const auto per = gate_.config_.per_process_kb;
        HeadroomReading r;
        r.free_kb = static_cast<std::uint32_t>(
            std::min<std::uint64_t>(std::uint64_t{gate_.cap_ - gate_.in_use_} * per,
                                    std::numeric_limits<std::uint32_t>::max()));
        r.fits = gate_.in_use_ < gate_.cap_;
        if (r.fits) ++gate_.in_use_;
        seen_ = gate_.releases_;
        return r;
    }

    std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }

    bool wait_for(std::chrono::milliseconds d) override {
        std::unique_lock lock(gate_.mutex_);
        return gate_.released_.wait_for(lock, d, [&] { return gate_.releases_ != seen_; });
    }

private:
    LaunchGate& gate_;
    std::uint64_t seen_ = 0;
};

LaunchGate::LaunchGate(LaunchGateConfig config)
    : config_(std::move(config)), cap_(launch_cap(config_.desktop_heap_kb, config_.per_process_kb)) {}

std::uint32_t LaunchGate::in_use() const {
    std::lock_guard lock(mutex_);
    return in_use_;
}

LaunchGate::Acquired LaunchGate::acquire(std::chrono::milliseconds hold_timeout, const AdmissionAnnounce& announce) {
    AdmissionPolicy policy;
    policy.kb_needed = config_.per_process_kb;
    policy.hold_timeout = cap_ == 0 ? std::chrono::milliseconds{0} : hold_timeout;
    policy.first_wait = config_.first_wait;
    policy.max_wait = config_.max_wait;
    policy.desktop = config_.desktop;
    Places places(*this);
    Acquired out;
    out.result = admit(policy, places, places, announce);
    if (out.result.admitted) out.lease.emplace(Lease(this));
    return out;
}

void LaunchGate::give_back() noexcept {
    {
        std::lock_guard lock(mutex_);
        if (in_use_ > 0) --in_use_;
        ++releases_;
    }
    released_.notify_all();
}

LaunchGate::Lease& LaunchGate::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        release();
        gate_ = std::exchange(other.gate_, nullptr);
    }
    return *this;
}

void LaunchGate::Lease::release() noexcept {
    if (auto* gate = std::exchange(gate_, nullptr)) gate->give_back();
}

}  // namespace safelaunch
