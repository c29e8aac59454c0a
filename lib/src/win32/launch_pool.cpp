#include "safelaunch/win32/launch_pool.hpp"

#include "safelaunch/win32/pool_journal.hpp"
#include "safelaunch/win32/random_name.hpp"
#include "win32/api_failure.hpp"

#include <fmt/format.h>

#include <utility>

namespace safelaunch::win32 {
namespace {

constexpr std::size_t kNameBytes = 16;  // 128 bits, as a per-launch private station

PoolCreateResult create_failed(std::string error, std::optional<ApiFailure> failure,
                               std::vector<Finding> findings = {}) {
    PoolCreateResult r;
    r.failure.error = std::move(error);
    r.failure.failure = std::move(failure);
    r.failure.findings = std::move(findings);
    return r;
}

std::string station_of(const std::string& lp_desktop) { return lp_desktop.substr(0, lp_desktop.find('\\')); }

std::string journal_dir_for(const LaunchPoolOptions& o) {
    if (o.journal_dir) return *o.journal_dir;
    return detail::or_throw([](std::error_code& ec, ApiFailure* f) { return pool_journal_dir(ec, f); });
}

PoolCreateResult not_made(PrivateDesktop& desk, const ApiFailure& failure) {
    auto findings = desk.findings();
    desk.close();
    return create_failed(fmt::format("the pooled private desktop could not be made: {}", failure.describe()), failure,
                         std::move(findings));
}

}  // namespace

PrivateDesktopFactory::PrivateDesktopFactory(std::string pool_name, std::string journal_dir,
                                             PrivateDesktopOptions desktop)
    : pool_name_(std::move(pool_name)), journal_dir_(std::move(journal_dir)), desktop_options_(desktop) {}

PrivateDesktopFactory::~PrivateDesktopFactory() {
    std::vector<std::uint64_t> ids;
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [id, held] : held_) ids.push_back(id);
    }
    for (const auto id : ids) destroy(id);
}

void PrivateDesktopFactory::remove_entries(const std::vector<std::string>& paths) noexcept {
    for (const auto& path : paths) {
        std::error_code ec;
        remove_pool_journal_entry(path, ec);  // a leftover entry is repair's: it finds the object gone
    }
}

PoolCreateResult PrivateDesktopFactory::create(const PoolKey& key) {
    std::error_code ec;
    ApiFailure failure;
    const auto user_sid = own_user_sid(ec, &failure);
    if (ec) return create_failed("the launching user's SID could not be read", failure);
    // Naming a station is for administrators (CreateWindowStationW's documentation): the pool
    // chooses as create_private_desktop does.
    if (choose_station(desktop_options_).source == StationSource::logon_session)
        return create_on_session_station(key, user_sid);
    const auto hex = random_hex(kNameBytes, ec, &failure);
    if (ec) return create_failed("no random name for the pooled station", failure);
    const auto station = private_station_name(hex);
    const auto desktop_name = fmt::format("{}\\{}", station, kPrivateDesktopName);

    // The journal first: once the objects exist, a killed launcher must have left a record.
    std::vector<std::string> paths;
    if (!journal_dir_.empty()) {
        for (const auto& [kind, name] : {std::pair{ObjectKind::window_station, station},
                                         std::pair{ObjectKind::desktop, desktop_name}}) {
            const auto entry = new_pool_journal_entry(kind, name, pool_name_, key.sid, key.heap_kb);
            auto path = write_pool_journal_entry(journal_dir_, entry, ec, &failure);
            if (ec) {
                remove_entries(paths);
                return create_failed("the pool journal entry could not be written (nothing was created)", failure);
            }
            paths.push_back(std::move(path));
        }
    }
    PrivateDesktopSpec spec{key.heap_kb, pool_name_};  // the facts record the pool
    auto desk = create_private_desktop_named(spec, station, key.sid, user_sid, ec, &failure);
    if (ec) {
        remove_entries(paths);
        return not_made(desk, failure);
    }
    return keep(std::move(desk), std::move(paths));
}

// A desktop with a random name on the logon session's station. The station is the session's,
// shared and not ours to end, so only the desktop is journaled; its name is known once the
// station has been opened, so the entry is written right after creation (a launcher killed in
// between leaves a desktop that ends with its last handle, as every desktop does).
PoolCreateResult PrivateDesktopFactory::create_on_session_station(const PoolKey& key, const std::string& user_sid) {
    std::error_code ec;
    ApiFailure failure;
    PrivateDesktopOptions forced = desktop_options_;
    forced.force_logon_session_station = true;
    auto desk = create_private_desktop(PrivateDesktopSpec{key.heap_kb, pool_name_}, key.sid, user_sid, forced, ec,
                                       &failure);
    if (ec) return not_made(desk, failure);
    std::vector<std::string> paths;
    if (!journal_dir_.empty()) {
        const auto entry = new_pool_journal_entry(ObjectKind::desktop, desk.lp_desktop(), pool_name_, key.sid,
                                                  key.heap_kb);
        auto path = write_pool_journal_entry(journal_dir_, entry, ec, &failure);
        if (ec) {
            desk.close();
            return create_failed("the pool journal entry could not be written (the desktop was closed)", failure);
        }
        paths.push_back(std::move(path));
    }
    return keep(std::move(desk), std::move(paths));
}

PoolCreateResult PrivateDesktopFactory::keep(PrivateDesktop desk, std::vector<std::string> journal_paths) {
    PoolDesktopCreated created;
    created.lp_desktop = desk.lp_desktop();
    created.findings = desk.findings();
    const std::lock_guard lock(mutex_);
    created.id = next_id_++;
    held_.emplace(created.id, Held{std::move(desk), std::move(journal_paths), 0});
    return PoolCreateResult{std::move(created), {}};
}

void PrivateDesktopFactory::destroy(std::uint64_t id) noexcept {
    std::optional<Held> held;
    {
        const std::lock_guard lock(mutex_);
        const auto it = held_.find(id);
        if (it == held_.end()) return;
        held.emplace(std::move(it->second));
        held_.erase(it);
    }
    held->desktop.close();  // the desktop, then the station
    remove_entries(held->journal_paths);
}

std::optional<PrivateDesktopFacts> PrivateDesktopFactory::facts_of(std::uint64_t id) const {
    const std::lock_guard lock(mutex_);
    const auto it = held_.find(id);
    if (it == held_.end()) return std::nullopt;
    return it->second.desktop.facts();
}

std::uint32_t PrivateDesktopFactory::count_lease(std::uint64_t id) {
    const std::lock_guard lock(mutex_);
    const auto it = held_.find(id);
    return it == held_.end() ? 0 : ++it->second.leases;
}

std::vector<std::string> PrivateDesktopFactory::live_stations() const {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, held] : held_) out.push_back(held.desktop.facts().station);
    return out;
}

std::vector<std::string> PrivateDesktopFactory::journal_files() const {
    const std::lock_guard lock(mutex_);
    std::vector<std::string> out;
    for (const auto& [id, held] : held_) out.insert(out.end(), held.journal_paths.begin(), held.journal_paths.end());
    return out;
}

LaunchPool::Lease::Lease(LaunchPool* pool, DesktopPool::Lease lease, PoolPlacement placement,
                         std::optional<PrivateDesktopFacts> facts)
    : pool_(pool), lease_(std::move(lease)), placement_(std::move(placement)), facts_(std::move(facts)) {}

LaunchPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      lease_(std::move(other.lease_)),
      placement_(std::move(other.placement_)),
      facts_(std::move(other.facts_)) {}

LaunchPool::Lease& LaunchPool::Lease::operator=(Lease&& other) noexcept {
    if (this != &other) {
        release();
        pool_ = std::exchange(other.pool_, nullptr);
        lease_ = std::move(other.lease_);
        placement_ = std::move(other.placement_);
        facts_ = std::move(other.facts_);
    }
    return *this;
}

void LaunchPool::Lease::release() noexcept {
    lease_.release();
    if (auto* pool = std::exchange(pool_, nullptr)) pool->released();
}

LaunchPool::LaunchPool(LaunchPoolOptions options)
    : name_(std::move(options.name)),
      journal_dir_(journal_dir_for(options)),
      factory_(name_, journal_dir_, options.desktop),
      pool_(options.policy, factory_),
      reaper_([this] { reaper_loop(); }) {}

LaunchPool::~LaunchPool() {
    {
        const std::lock_guard lock(reaper_mutex_);
        stopping_ = true;
    }
    reaper_wake_.notify_all();
    if (reaper_.joinable()) reaper_.join();
    // pool_'s destructor destroys every desktop through factory_, which outlives it.
}

LaunchPool::Acquired LaunchPool::wrap(DesktopPool::Acquired got) {
    Acquired out;
    out.status = got.status;
    out.findings = std::move(got.findings);
    out.failure = std::move(got.failure);
    out.waits = got.waits;
    out.waited = got.waited;
    if (got.lease) {
        PoolPlacement p;
        p.pool = name_;
        p.station = station_of(got.lease->lp_desktop());
        p.reused = !got.lease->created();
        p.lease_number = factory_.count_lease(got.lease->desktop_id());
        const auto stats = pool_.stats();
        p.desktops = stats.desktops;
        p.leases = stats.leases;
        auto facts = factory_.facts_of(got.lease->desktop_id());
        out.lease.emplace(Lease(this, std::move(*got.lease), std::move(p), std::move(facts)));
    }
    return out;
}

LaunchPool::Acquired LaunchPool::acquire(const PoolKey& key) { return wrap(pool_.acquire(key)); }

LaunchPool::Acquired LaunchPool::acquire_for(const PoolKey& key, std::chrono::milliseconds timeout,
                                             const PoolAnnounce& announce) {
    return wrap(pool_.acquire_for(key, timeout, announce));
}

std::uint32_t LaunchPool::reaped() const {
    const std::lock_guard lock(reaper_mutex_);
    return reaped_;
}

void LaunchPool::released() noexcept {
    {
        const std::lock_guard lock(reaper_mutex_);
        ++reaper_generation_;
    }
    reaper_wake_.notify_all();
}

void LaunchPool::reaper_loop() {
    std::unique_lock lock(reaper_mutex_);
    while (!stopping_) {
        const auto generation = reaper_generation_;
        lock.unlock();
        // The pool's lock is never taken with reaper_mutex_ held (a release takes them in the
        // other order).
        const auto deadline = pool_.next_idle_deadline();
        lock.lock();
        const auto woken = [&] { return stopping_ || reaper_generation_ != generation; };
        if (!deadline) {
            reaper_wake_.wait(lock, woken);
            continue;
        }
        if (reaper_wake_.wait_until(lock, *deadline, woken)) continue;
        lock.unlock();
        const auto n = pool_.reap_idle();
        lock.lock();
        reaped_ += n;
    }
}

}  // namespace safelaunch::win32
