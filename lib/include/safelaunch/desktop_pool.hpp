// The desktop pool's decisions (issue 8 part 2): private desktops keyed by (the child's logon or
// user SID, heap KB), leased by reference count, reused only for the same key, capped, and torn
// down after an idle time. Creating and destroying a desktop is a factory's job (on Windows, over
// win32::create_private_desktop); the pool only decides when, so it is portable and unit-tested
// with a fake factory and a fake clock.
//
// Rules:
//   - acquire(key) reuses a live desktop of the same key with room (fewer leases than
//     children_per_desktop; the fullest such desktop first, so the others fall idle and go), else
//     waits for a desktop of the same key that is being created and will have room (so a burst of
//     launches makes one desktop, not one each), else creates one when fewer than max_desktops
//     exist, else replaces the desktop that has been idle longest (another key's: an idle one of
//     the same key has room) by destroying it first, else refuses with desktop.pool.full. A desktop being created or destroyed counts towards the cap,
//     and a replaced desktop is destroyed before its successor is created, so the pool never holds
//     more than max_desktops desktops, not even for a moment.
//   - Releasing a desktop's last lease makes it idle. reap_idle() destroys desktops that have been
//     idle for idle_timeout or longer (the caller runs it, e.g. from a timer at
//     next_idle_deadline()). The destructor destroys every desktop.
//   - A failed create leaves no entry: its place is free again at once.
//   - Factory calls are made without the pool's lock held (a create takes milliseconds; releases
//     and reuses do not wait for it) and one at a time, so a factory need not be thread-safe.
//
// Finding ids (stable; never reused):
//   desktop.pool.full            error  max_desktops desktops exist, each leased to the cap or
//                                       for another key, and none is idle; evidence: cap, desktops
//                                       in use, leases, the key, how long it waited
//   desktop.pool.heap_too_small  error  the key's heap holds not one child at the per-process cost
//                                       (children_per_desktop would be 0)
//
// Thread-safe. The pool must outlive its leases, and its factory and clock must outlive the pool.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/finding.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace safelaunch {

// What a pooled desktop is for: only a child with the same SID and heap size may reuse it.
struct PoolKey {
    std::string sid;           // the child's logon SID (S-1-5-5-X-Y), else its user SID
    std::uint32_t heap_kb = 0;  // the desktop heap asked for

    friend bool operator==(const PoolKey&, const PoolKey&) = default;
};

struct PoolPolicy {
    std::uint32_t max_desktops = 4;
    // Concurrent leases (children) per desktop. 0: launch_cap(key.heap_kb), the heap model's count
    // of children that fit (safelaunch/launch_gate.hpp), per key.
    std::uint32_t children_per_desktop = 0;
    std::chrono::milliseconds idle_timeout{30'000};
    // A waiting acquire announces again after this long without a change (a held launch is never
    // silent for longer); 0: only when it starts waiting and after each change.
    std::chrono::milliseconds announce_every{2'000};
};

// The children one desktop of `key` takes under `policy`.
[[nodiscard]] std::uint32_t children_per_desktop(const PoolPolicy& policy, const PoolKey& key) noexcept;

// What a factory made.
struct PoolDesktopCreated {
    std::uint64_t id = 0;           // the factory's handle on it, passed back to destroy()
    std::string lp_desktop;         // STARTUPINFO.lpDesktop for children: "Station\\Desk"
    std::vector<Finding> findings;  // e.g. desktop.private.heap_unbounded: given with every lease
};
struct PoolDesktopFailure {
    std::string error;                   // one line
    std::optional<ApiFailure> failure;   // the API that failed, when one did
    std::vector<Finding> findings;
};
struct PoolCreateResult {
    std::optional<PoolDesktopCreated> created;  // set on success
    PoolDesktopFailure failure;                 // meaningful when not created
};

class DesktopFactory {
public:
    virtual ~DesktopFactory() = default;
    // Creates a desktop (and whatever station it needs) for `key`. Ids must differ among the
    // desktops that exist at once. Should not throw; an exception is turned into a failure.
    [[nodiscard]] virtual PoolCreateResult create(const PoolKey& key) = 0;
    // Closes the pool's hold on it. Called once per created desktop. Must not throw.
    virtual void destroy(std::uint64_t id) noexcept = 0;
};

class PoolClock {
public:
    virtual ~PoolClock() = default;
    [[nodiscard]] virtual std::chrono::steady_clock::time_point now() = 0;
};

class SteadyPoolClock final : public PoolClock {
public:
    [[nodiscard]] std::chrono::steady_clock::time_point now() override { return std::chrono::steady_clock::now(); }
};

enum class PoolAcquireStatus {
    acquired,
    full,            // desktop.pool.full
    heap_too_small,  // desktop.pool.heap_too_small
    create_failed,   // the factory failed: `failure`
};
[[nodiscard]] std::string_view to_string(PoolAcquireStatus status) noexcept;

// A snapshot of the pool.
struct PoolStats {
    std::uint32_t desktops = 0;  // every desktop counted towards the cap (creating and destroying too)
    std::uint32_t leased = 0;    // desktops with at least one lease
    std::uint32_t idle = 0;      // live desktops without a lease
    std::uint32_t leases = 0;    // leases out
    std::uint32_t creating = 0;
    std::uint32_t destroying = 0;
    std::uint32_t waiting = 0;   // acquires waiting for room or for a same-key desktop being created
};

// What a waiting acquire announces before every wait.
struct PoolWait {
    std::uint32_t wait_number = 0;  // 1 for the first wait
    PoolStats stats;
    std::chrono::milliseconds waited{0};     // since the acquire started
    std::chrono::milliseconds remaining{0};  // until its timeout
};
using PoolAnnounce = std::function<void(const PoolWait&)>;

class DesktopPool {
public:
    // One child's place on a pooled desktop. Movable; gives the place back when destroyed.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { release(); }
        void release() noexcept;  // once; the last lease of a desktop makes it idle

        [[nodiscard]] const std::string& lp_desktop() const noexcept { return lp_desktop_; }
        [[nodiscard]] std::uint64_t desktop_id() const noexcept { return desktop_id_; }
        [[nodiscard]] const std::vector<Finding>& findings() const noexcept { return findings_; }
        [[nodiscard]] bool created() const noexcept { return created_; }  // this acquire made the desktop
        [[nodiscard]] bool held() const noexcept { return pool_ != nullptr; }

    private:
        friend class DesktopPool;
        Lease(DesktopPool* pool, std::uint64_t slot, std::uint64_t desktop_id, std::string lp_desktop,
              std::vector<Finding> findings, bool created);
        DesktopPool* pool_ = nullptr;
        std::uint64_t slot_ = 0;
        std::uint64_t desktop_id_ = 0;
        std::string lp_desktop_;
        std::vector<Finding> findings_;
        bool created_ = false;
    };

    struct Acquired {
        std::optional<Lease> lease;  // set when acquired
        PoolAcquireStatus status = PoolAcquireStatus::full;
        std::vector<Finding> findings;                 // the refusal's finding, or the factory's on failure
        std::optional<PoolDesktopFailure> failure;     // create_failed
        std::uint32_t waits = 0;
        std::chrono::milliseconds waited{0};
    };

    DesktopPool(PoolPolicy policy, DesktopFactory& factory, PoolClock& clock);
    DesktopPool(PoolPolicy policy, DesktopFactory& factory);  // the steady clock
    DesktopPool(const DesktopPool&) = delete;
    DesktopPool& operator=(const DesktopPool&) = delete;
    ~DesktopPool();  // destroys every desktop

    // Does not wait for room: full is answered at once. (It does wait for a same-key desktop that
    // another thread is creating, which takes as long as that create.)
    [[nodiscard]] Acquired acquire(const PoolKey& key);
    // Waits up to `timeout` (real time) for a place when the pool is full; woken at once by a
    // release, a failed create or a finished destroy. `announce` is called before every wait: when
    // the pool is found full, and again each announce_every while it stays so.
    [[nodiscard]] Acquired acquire_for(const PoolKey& key, std::chrono::milliseconds timeout,
                                       const PoolAnnounce& announce = {});

    // Destroys the desktops idle for idle_timeout or longer (by the pool's clock); returns how many.
    std::uint32_t reap_idle();
    // When the next idle desktop reaches its idle timeout; nullopt when none is idle.
    [[nodiscard]] std::optional<std::chrono::steady_clock::time_point> next_idle_deadline() const;

    [[nodiscard]] PoolStats stats() const;
    [[nodiscard]] const PoolPolicy& policy() const noexcept { return policy_; }

private:
    enum class State { creating, live, destroying };
    struct Entry {
        PoolKey key;
        State state = State::creating;
        std::uint64_t desktop_id = 0;
        std::string lp_desktop;
        std::vector<Finding> findings;
        std::uint32_t leases = 0;
        std::chrono::steady_clock::time_point idle_since{};
    };
    // One attempt's outcome, decided under the lock.
    struct Plan {
        enum class Step { reuse, pending, create, full } step = Step::full;
        std::optional<Lease> reused;
        std::uint64_t slot = 0;                    // the entry to create into
        std::optional<std::uint64_t> replaced_id;  // an idle desktop to destroy first
    };

    [[nodiscard]] Acquired acquire_until(const PoolKey& key,
                                         std::optional<std::chrono::steady_clock::time_point> deadline,
                                         const PoolAnnounce& announce);
    [[nodiscard]] Plan plan_locked(const PoolKey& key, std::uint32_t per_desktop);
    [[nodiscard]] Acquired create_into(const PoolKey& key, const Plan& plan);
    [[nodiscard]] PoolStats stats_locked() const;
    [[nodiscard]] Finding full_finding(const PoolKey& key, const PoolStats& stats, std::uint32_t per_desktop,
                                       std::chrono::milliseconds waited) const;
    void give_back(std::uint64_t slot) noexcept;
    void changed_locked() noexcept;  // something a waiter may use: wake them

    const PoolPolicy policy_;
    DesktopFactory& factory_;
    PoolClock& clock_;
    mutable std::mutex mutex_;            // guards everything below
    std::mutex factory_mutex_;            // one factory call at a time; never taken with mutex_ held
    std::condition_variable changed_;
    std::uint64_t generation_ = 0;        // moves with every change a waiter may use
    std::uint64_t next_slot_ = 1;
    std::uint32_t waiting_ = 0;
    std::map<std::uint64_t, Entry> entries_;  // by slot
};

}  // namespace safelaunch
