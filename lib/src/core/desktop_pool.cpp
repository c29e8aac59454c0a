#include "safelaunch/desktop_pool.hpp"

#include "safelaunch/heap_budget.hpp"
#include "safelaunch/launch_gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <exception>

namespace safelaunch {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

Finding heap_too_small_finding(const PoolKey& key) {
    Finding f;
    f.id = "desktop.pool.heap_too_small";
    f.severity = Severity::error;
    f.message = fmt::format("a {} KB desktop heap holds no child (about {} KB each): the pool creates no such desktop",
                            key.heap_kb, kServiceProcessKb);
    f.evidence = fmt::format("heap_kb={}, per_process_kb={}, children_per_desktop=0, sid={}", key.heap_kb,
                             kServiceProcessKb, key.sid);
    f.remedy = "Ask for a larger private desktop heap (--private-desktop=KB; the default is 512).";
    return f;
}

}  // namespace

std::uint32_t children_per_desktop(const PoolPolicy& policy, const PoolKey& key) noexcept {
    return policy.children_per_desktop != 0 ? policy.children_per_desktop : launch_cap(key.heap_kb);
}

std::string_view to_string(PoolAcquireStatus status) noexcept {
    switch (status) {
        case PoolAcquireStatus::acquired: return "acquired";
        case PoolAcquireStatus::full: return "full";
        case PoolAcquireStatus::heap_too_small: return "heap_too_small";
        case PoolAcquireStatus::create_failed: return "create_failed";
    }
    return "unknown";
}

// ---- Lease

DesktopPool::Lease::Lease(DesktopPool* pool, std::uint64_t slot, std::uint64_t desktop_id, std::string lp_desktop,
                          std::vector<Finding> findings, bool created)
    : pool_(pool), slot_(slot), desktop_id_(desktop_id), lp_desktop_(std::move(lp_desktop)),
      findings_(std::move(findings)), created_(created) {}

DesktopPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_), desktop_id_(other.desktop_id_),
      lp_desktop_(std::move(other.lp_desktop_)), findings_(std::move(other.findings_)), created_(other.created_) {}

DesktopPool::Lease& DesktopPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::exchange(other.pool_, nullptr);
        slot_ = other.slot_;
        desktop_id_ = other.desktop_id_;
        lp_desktop_ = std::move(other.lp_desktop_);
        findings_ = std::move(other.findings_);
        created_ = other.created_;
    }
    return *this;
}

void DesktopPool::Lease::release() noexcept {
    if (auto* pool = std::exchange(pool_, nullptr)) pool->give_back(slot_);
}

// ---- DesktopPool

DesktopPool::DesktopPool(PoolPolicy policy, DesktopFactory& factory, PoolClock& clock)
    : policy_(policy), factory_(factory), clock_(clock) {}

namespace {
SteadyPoolClock& steady_pool_clock() {
    static SteadyPoolClock clock;
    return clock;
}
}  // namespace

DesktopPool::DesktopPool(PoolPolicy policy, DesktopFactory& factory)
    : DesktopPool(policy, factory, steady_pool_clock()) {}

DesktopPool::~DesktopPool() {
    // No other thread may use the pool now (its leases must be gone), so no lock is needed; but a
    // lease that outlived the pool would still name its desktop: destroy them all regardless.
    for (auto& [slot, e] : entries_)
        if (e.state == State::live) factory_.destroy(e.desktop_id);
}

void DesktopPool::changed_locked() noexcept {
    ++generation_;
    changed_.notify_all();
}

PoolStats DesktopPool::stats_locked() const {
    PoolStats s;
    s.desktops = static_cast<std::uint32_t>(entries_.size());
    s.waiting = waiting_;
    for (const auto& [slot, e] : entries_) {
        switch (e.state) {
            case State::creating: ++s.creating; break;
            case State::destroying: ++s.destroying; break;
            case State::live:
                if (e.leases > 0)
                    ++s.leased;
                else
                    ++s.idle;
                s.leases += e.leases;
                break;
        }
    }
    return s;
}

PoolStats DesktopPool::stats() const {
    std::lock_guard lock(mutex_);
    return stats_locked();
}

Finding DesktopPool::full_finding(const PoolKey& key, const PoolStats& s, std::uint32_t per_desktop,
                                  milliseconds waited) const {
    Finding f;
    f.id = "desktop.pool.full";
    f.severity = Severity::error;
    f.message = fmt::format("the desktop pool is full: {} of {} desktops in use, none with room for {} at {} KB",
                            s.desktops, policy_.max_desktops, key.sid, key.heap_kb);
    f.evidence = fmt::format(
        "max_desktops={}, desktops={} (leased {}, idle {}, creating {}, destroying {}), leases={}, "
        "children_per_desktop={}, key={} {} KB, waited {} ms",
        policy_.max_desktops, s.desktops, s.leased, s.idle, s.creating, s.destroying, s.leases, per_desktop, key.sid,
        key.heap_kb, waited.count());
    f.remedy = "Raise the pool's maximum of desktops, hold the launch longer (--hold-for-headroom), or start fewer "
               "children at once.";
    return f;
}

DesktopPool::Plan DesktopPool::plan_locked(const PoolKey& key, std::uint32_t per_desktop) {
    Plan plan;
    // 1. Reuse: the fullest live desktop of this key that has room.
    Entry* best = nullptr;
    std::uint64_t best_slot = 0;
    bool same_key_creating = false;
    for (auto& [slot, e] : entries_) {
        if (!(e.key == key)) continue;
        if (e.state == State::creating && per_desktop > 1) same_key_creating = true;
        if (e.state != State::live || e.leases >= per_desktop) continue;
        if (!best || e.leases > best->leases) {
            best = &e;
            best_slot = slot;
        }
    }
    if (best) {
        ++best->leases;
        plan.step = Plan::Step::reuse;
        plan.reused.emplace(Lease(this, best_slot, best->desktop_id, best->lp_desktop, best->findings, false));
        return plan;
    }
    // 2. A desktop of this key is being made and will have room after its creator's lease.
    if (same_key_creating) {
        plan.step = Plan::Step::pending;
        return plan;
    }
    // 3. A new desktop under the cap: its creator's lease is taken now.
    if (entries_.size() < policy_.max_desktops) {
        plan.step = Plan::Step::create;
        plan.slot = next_slot_++;
        auto& e = entries_[plan.slot];
        e.key = key;
        e.state = State::creating;
        e.leases = 1;
        return plan;
    }
    // 4. At the cap: the longest idle desktop (another key's) makes way; it is destroyed before its
    // successor is created, in the same slot, so the count never exceeds the cap.
    Entry* oldest = nullptr;
    for (auto& [slot, e] : entries_) {
        if (e.state != State::live || e.leases != 0) continue;
        if (!oldest || e.idle_since < oldest->idle_since) {
            oldest = &e;
            plan.slot = slot;
        }
    }
    if (oldest) {
        plan.step = Plan::Step::create;
        plan.replaced_id = oldest->desktop_id;
        *oldest = Entry{};
        oldest->key = key;
        oldest->state = State::creating;
        oldest->leases = 1;
        return plan;
    }
    plan.step = Plan::Step::full;
    return plan;
}

DesktopPool::Acquired DesktopPool::create_into(const PoolKey& key, const Plan& plan) {
    PoolCreateResult result;
    {
        std::lock_guard factory_lock(factory_mutex_);
        if (plan.replaced_id) factory_.destroy(*plan.replaced_id);
        try {
            result = factory_.create(key);
        } catch (const std::exception& ex) {
            result = {};
            result.failure.error = fmt::format("the desktop factory threw: {}", ex.what());
        } catch (...) {
            result = {};
            result.failure.error = "the desktop factory threw a non-standard exception";
        }
    }
    Acquired out;
    std::lock_guard lock(mutex_);
    auto it = entries_.find(plan.slot);
    if (result.created) {
        auto& e = it->second;
        e.state = State::live;
        e.desktop_id = result.created->id;
        e.lp_desktop = result.created->lp_desktop;
        e.findings = result.created->findings;
        out.status = PoolAcquireStatus::acquired;
        out.findings = e.findings;
        out.lease.emplace(Lease(this, plan.slot, e.desktop_id, e.lp_desktop, e.findings, true));
    } else {
        entries_.erase(it);  // no entry for a desktop that does not exist: its place is free again
        out.status = PoolAcquireStatus::create_failed;
        out.findings = result.failure.findings;
        out.failure = std::move(result.failure);
    }
    changed_locked();  // pending same-key acquires re-plan; waiters may take a freed place
    return out;
}

DesktopPool::Acquired DesktopPool::acquire(const PoolKey& key) { return acquire_until(key, std::nullopt, {}); }

DesktopPool::Acquired DesktopPool::acquire_for(const PoolKey& key, milliseconds timeout, const PoolAnnounce& announce) {
    return acquire_until(key, steady_clock::now() + std::max(timeout, milliseconds{0}), announce);
}

DesktopPool::Acquired DesktopPool::acquire_until(const PoolKey& key, std::optional<steady_clock::time_point> deadline,
                                                 const PoolAnnounce& announce) {
    const auto started = steady_clock::now();
    const auto per_desktop = children_per_desktop(policy_, key);
    Acquired out;
    if (per_desktop == 0) {
        out.status = PoolAcquireStatus::heap_too_small;
        out.findings.push_back(heap_too_small_finding(key));
        return out;
    }
    std::unique_lock lock(mutex_);
    for (;;) {
        auto plan = plan_locked(key, per_desktop);
        const auto seen = generation_;
        switch (plan.step) {
            case Plan::Step::reuse:
                out.status = PoolAcquireStatus::acquired;
                out.lease = std::move(plan.reused);
                out.findings = out.lease->findings();
                out.waited = duration_cast<milliseconds>(steady_clock::now() - started);
                return out;
            case Plan::Step::create: {
                lock.unlock();
                auto created = create_into(key, plan);
                created.waits = out.waits;
                created.waited = duration_cast<milliseconds>(steady_clock::now() - started);
                return created;
            }
            case Plan::Step::pending:
                // Bounded by the create in progress: it always ends with changed_locked().
                ++waiting_;
                changed_.wait(lock, [&] { return generation_ != seen; });
                --waiting_;
                continue;
            case Plan::Step::full: break;
        }
        const auto now = steady_clock::now();
        if (!deadline || now >= *deadline) {
            out.status = PoolAcquireStatus::full;
            out.waited = duration_cast<milliseconds>(now - started);
            out.findings.push_back(full_finding(key, stats_locked(), per_desktop, out.waited));
            return out;
        }
        ++out.waits;
        if (announce) {
            PoolWait w;
            w.wait_number = out.waits;
            w.stats = stats_locked();
            w.waited = duration_cast<milliseconds>(now - started);
            w.remaining = duration_cast<milliseconds>(*deadline - now);
            // Announced without the lock, so the callback may look at the pool; a change meanwhile
            // is still seen: the wait below compares against `seen`.
            lock.unlock();
            announce(w);
            lock.lock();
        }
        auto wake_at = *deadline;
        if (policy_.announce_every > milliseconds{0} && now + policy_.announce_every < wake_at)
            wake_at = now + policy_.announce_every;
        ++waiting_;
        changed_.wait_until(lock, wake_at, [&] { return generation_ != seen; });
        --waiting_;
    }
}

void DesktopPool::give_back(std::uint64_t slot) noexcept {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(slot);
    if (it == entries_.end() || it->second.leases == 0) return;  // not ours: nothing to give back
    if (--it->second.leases == 0) it->second.idle_since = clock_.now();
    changed_locked();
}

std::optional<steady_clock::time_point> DesktopPool::next_idle_deadline() const {
    std::lock_guard lock(mutex_);
    std::optional<steady_clock::time_point> next;
    for (const auto& [slot, e] : entries_) {
        if (e.state != State::live || e.leases != 0) continue;
        const auto at = e.idle_since + policy_.idle_timeout;
        if (!next || at < *next) next = at;
    }
    return next;
}

std::uint32_t DesktopPool::reap_idle() {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> doomed;  // slot, desktop id
    {
        std::lock_guard lock(mutex_);
        const auto now = clock_.now();
        for (auto& [slot, e] : entries_) {
            if (e.state != State::live || e.leases != 0 || now - e.idle_since < policy_.idle_timeout) continue;
            e.state = State::destroying;  // still counted towards the cap until it is gone
            doomed.emplace_back(slot, e.desktop_id);
        }
    }
    if (doomed.empty()) return 0;
    {
        std::lock_guard factory_lock(factory_mutex_);
        for (const auto& [slot, id] : doomed) factory_.destroy(id);
    }
    std::lock_guard lock(mutex_);
    for (const auto& [slot, id] : doomed) entries_.erase(slot);
    changed_locked();
    return static_cast<std::uint32_t>(doomed.size());
}

}  // namespace safelaunch
