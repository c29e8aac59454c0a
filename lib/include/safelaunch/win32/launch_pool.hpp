// The desktop pool on Windows (issue 8 part 2): the portable DesktopPool (safelaunch/desktop_pool.hpp)
// over private stations and desktops (win32/private_desktop.hpp), journaled
// (win32/pool_journal.hpp), with a reaper thread that tears idle desktops down.
//
// Journal: the factory draws the station's name first, writes one entry for the station and one
// for its desktop, then creates them, so a launcher killed at any point after the write leaves a
// record for `safelaunch repair`; a failed create removes both entries. destroy() closes the
// desktop, then the station, then removes the entries. Killed launcher: its handles close with
// it; the objects go with the last child on them (a run's children are in a kill-on-close job),
// and repair drops the entries then.
#pragma once

#include "safelaunch/desktop_pool.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/private_desktop.hpp"
#include "safelaunch/win32/private_desktop.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::win32 {

// Creates a private station and desktop for a pool key: the key's SID is the child's, the
// launching user is this process's user (own_user_sid). Keeps them open by id until destroy().
// Thread-safe (the pool calls it one at a time; tests read it from other threads).
class PrivateDesktopFactory final : public DesktopFactory {
public:
    // `journal_dir` empty: no journal (tests of the factory alone). `desktop`: as for
    // create_private_desktop (an administrator's pool names its stations, anyone else's desktops
    // go on the logon session's station).
    PrivateDesktopFactory(std::string pool_name, std::string journal_dir, PrivateDesktopOptions desktop = {});
    ~PrivateDesktopFactory() override;  // closes whatever is still open (the pool destroys first)

    [[nodiscard]] PoolCreateResult create(const PoolKey& key) override;
    void destroy(std::uint64_t id) noexcept override;

    // The facts of a live desktop (as created and verified); nullopt once destroyed.
    [[nodiscard]] std::optional<PrivateDesktopFacts> facts_of(std::uint64_t id) const;
    // Counts one more lease of `id`; returns the count (1 for the desktop's first child).
    std::uint32_t count_lease(std::uint64_t id);
    [[nodiscard]] std::vector<std::string> live_stations() const;
    // The journal files of the live desktops (two each, station and desktop; one, the desktop, on
    // the logon session's station).
    [[nodiscard]] std::vector<std::string> journal_files() const;

private:
    struct Held {
        PrivateDesktop desktop;
        std::vector<std::string> journal_paths;
        std::uint32_t leases = 0;
    };
    void remove_entries(const std::vector<std::string>& paths) noexcept;

    [[nodiscard]] PoolCreateResult create_on_session_station(const PoolKey& key, const std::string& user_sid);
    // Holds a created desktop (and its journal files) under a new id.
    [[nodiscard]] PoolCreateResult keep(PrivateDesktop desk, std::vector<std::string> journal_paths);

    const std::string pool_name_;
    const std::string journal_dir_;
    const PrivateDesktopOptions desktop_options_;
    mutable std::mutex mutex_;
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, Held> held_;
};

struct LaunchPoolOptions {
    std::string name;  // the pool's name (--pool NAME)
    PoolPolicy policy;
    // Where the journal goes: nullopt = pool_journal_dir(); "" = no journal.
    std::optional<std::string> journal_dir;
    // Which station the desktops go on (PrivateDesktopOptions: the logon session's even for an
    // administrator, for tests).
    PrivateDesktopOptions desktop{};
};

// A named pool with its reaper. Thread-safe. Must outlive its leases (a SafeChild holding one).
class LaunchPool {
public:
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease& operator=(Lease&&) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { release(); }
        void release() noexcept;

        [[nodiscard]] const std::string& lp_desktop() const noexcept { return lease_.lp_desktop(); }
        [[nodiscard]] const std::vector<Finding>& findings() const noexcept { return lease_.findings(); }
        [[nodiscard]] const PoolPlacement& placement() const noexcept { return placement_; }
        [[nodiscard]] const std::optional<PrivateDesktopFacts>& facts() const noexcept { return facts_; }
        [[nodiscard]] bool held() const noexcept { return lease_.held(); }

    private:
        friend class LaunchPool;
        Lease(LaunchPool* pool, DesktopPool::Lease lease, PoolPlacement placement,
              std::optional<PrivateDesktopFacts> facts);
        LaunchPool* pool_ = nullptr;
        DesktopPool::Lease lease_;
        PoolPlacement placement_;
        std::optional<PrivateDesktopFacts> facts_;
    };

    struct Acquired {
        std::optional<Lease> lease;
        PoolAcquireStatus status = PoolAcquireStatus::full;
        std::vector<Finding> findings;
        std::optional<PoolDesktopFailure> failure;
        std::uint32_t waits = 0;
        std::chrono::milliseconds waited{0};
    };

    // Throws safelaunch::Error when the journal folder cannot be had (pool_journal_dir).
    explicit LaunchPool(LaunchPoolOptions options);
    LaunchPool(const LaunchPool&) = delete;
    LaunchPool& operator=(const LaunchPool&) = delete;
    ~LaunchPool();  // stops the reaper, then destroys every desktop (and their journal entries)

    [[nodiscard]] Acquired acquire(const PoolKey& key);
    [[nodiscard]] Acquired acquire_for(const PoolKey& key, std::chrono::milliseconds timeout,
                                       const PoolAnnounce& announce = {});

    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const std::string& journal_dir() const noexcept { return journal_dir_; }
    [[nodiscard]] PoolStats stats() const { return pool_.stats(); }
    [[nodiscard]] const PoolPolicy& policy() const noexcept { return pool_.policy(); }
    [[nodiscard]] std::vector<std::string> live_stations() const { return factory_.live_stations(); }
    [[nodiscard]] std::vector<std::string> journal_files() const { return factory_.journal_files(); }
    // How many idle desktops the reaper has destroyed so far.
    [[nodiscard]] std::uint32_t reaped() const;

private:
    [[nodiscard]] Acquired wrap(DesktopPool::Acquired got);
    void released() noexcept;  // a lease went back: the reaper recomputes its deadline
    void reaper_loop();

    const std::string name_;
    const std::string journal_dir_;
    PrivateDesktopFactory factory_;  // declared before pool_: outlives it
    DesktopPool pool_;
    mutable std::mutex reaper_mutex_;
    std::condition_variable reaper_wake_;
    std::uint64_t reaper_generation_ = 0;
    bool stopping_ = false;
    std::uint32_t reaped_ = 0;
    std::thread reaper_;  // last: started once everything above exists
};

}  // namespace safelaunch::win32
