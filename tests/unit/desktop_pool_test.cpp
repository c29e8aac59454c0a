// DesktopPool with a fake factory (records every call, fails on request, can block inside create)
// and a fake clock. Waits on real threads are bounded: a release ends them, and the timeouts that
// must not pass are a minute long, so a missed wake-up fails the test slowly instead of passing.
#include "safelaunch/desktop_pool.hpp"

#include "safelaunch/launch_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

class FakeClock final : public PoolClock {
public:
    steady_clock::time_point now() override {
        std::lock_guard lock(mutex_);
        return now_;
    }
    void advance(std::chrono::nanoseconds d) {
        std::lock_guard lock(mutex_);
        now_ += d;
    }

private:
    std::mutex mutex_;
    steady_clock::time_point now_{std::chrono::hours(1000)};
};

class FakeFactory final : public DesktopFactory {
public:
    PoolCreateResult create(const PoolKey& key) override {
        if (block_next_create) {
            block_next_create = false;
            in_create.set_value();
            proceed.get_future().wait();
        }
        std::lock_guard lock(mutex_);
        log.push_back("create " + key.sid + " " + std::to_string(key.heap_kb));
        PoolCreateResult r;
        if (fail_next) {
            fail_next = false;
            r.failure.error = "CreateDesktopExW failed";
            r.failure.failure = ApiFailure{"CreateDesktopExW", "desktop sl-x\\sl-y", std::error_code(8, std::system_category())};
            return r;
        }
        if (throw_next) {
            throw_next = false;
            throw std::runtime_error("out of names");
        }
        const auto id = next_id++;
        r.created = PoolDesktopCreated{id, "sl-station-" + std::to_string(id) + "\\sl-desk", warnings};
        live.push_back(id);
        return r;
    }
    void destroy(std::uint64_t id) noexcept override {
        std::lock_guard lock(mutex_);
        log.push_back("destroy " + std::to_string(id));
        destroyed.push_back(id);
        std::erase(live, id);
    }
    std::size_t creates() {
        std::lock_guard lock(mutex_);
        return static_cast<std::size_t>(std::count_if(log.begin(), log.end(),
                                                      [](const std::string& s) { return s.starts_with("create"); }));
    }

    std::mutex mutex_;
    std::vector<std::string> log;
    std::vector<std::uint64_t> destroyed;
    std::vector<std::uint64_t> live;
    std::uint64_t next_id = 1;
    bool fail_next = false;
    bool throw_next = false;
    std::vector<Finding> warnings;
    bool block_next_create = false;  // create() signals in_create, then waits for proceed
    std::promise<void> in_create;
    std::promise<void> proceed;
};

const PoolKey kA{"S-1-5-5-0-1001", 512};
const PoolKey kB{"S-1-5-5-0-2002", 512};

PoolPolicy policy(std::uint32_t max_desktops, std::uint32_t per_desktop, std::chrono::milliseconds idle = 10s) {
    PoolPolicy p;
    p.max_desktops = max_desktops;
    p.children_per_desktop = per_desktop;
    p.idle_timeout = idle;
    return p;
}

// Polls (bounded) until `done`: for states another thread reaches, never as an assertion by itself.
template <class F>
bool eventually(F done) {
    const auto until = steady_clock::now() + 60s;
    while (!done()) {
        if (steady_clock::now() > until) return false;
        std::this_thread::yield();
    }
    return true;
}

TEST(DesktopPool, ChildrenPerDesktopComesFromTheHeapModelUnlessGiven) {
    EXPECT_EQ(children_per_desktop(policy(4, 0), {"S-1-5-18", 512}), launch_cap(512));
    EXPECT_EQ(children_per_desktop(policy(4, 0), {"S-1-5-18", 512}), 73u);
    EXPECT_EQ(children_per_desktop(policy(4, 0), {"S-1-5-18", 768}), 109u);
    EXPECT_EQ(children_per_desktop(policy(4, 3), {"S-1-5-18", 768}), 3u);
}

TEST(DesktopPool, ReusesTheDesktopOfTheSameKey) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kA);
    ASSERT_TRUE(a.lease);
    ASSERT_TRUE(b.lease);
    EXPECT_EQ(a.status, PoolAcquireStatus::acquired);
    EXPECT_TRUE(a.lease->created());
    EXPECT_FALSE(b.lease->created());
    EXPECT_EQ(a.lease->lp_desktop(), "sl-station-1\\sl-desk");
    EXPECT_EQ(b.lease->lp_desktop(), a.lease->lp_desktop());
    EXPECT_EQ(b.lease->desktop_id(), 1u);
    EXPECT_EQ(f.creates(), 1u);
    const auto s = pool.stats();
    EXPECT_EQ(s.desktops, 1u);
    EXPECT_EQ(s.leased, 1u);
    EXPECT_EQ(s.leases, 2u);
    EXPECT_EQ(s.idle, 0u);
}

TEST(DesktopPool, DifferentKeysNeverShare) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kB);
    auto a_other_heap = pool.acquire({kA.sid, 1024});
    ASSERT_TRUE(a.lease && b.lease && a_other_heap.lease);
    EXPECT_NE(a.lease->desktop_id(), b.lease->desktop_id());
    EXPECT_NE(a.lease->desktop_id(), a_other_heap.lease->desktop_id());
    EXPECT_EQ(f.creates(), 3u);
    EXPECT_EQ((std::vector<std::string>{"create S-1-5-5-0-1001 512", "create S-1-5-5-0-2002 512",
                                        "create S-1-5-5-0-1001 1024"}),
              f.log);

    // An idle desktop is reused only for its own key: B's idle desktop is not lent to A.
    b.lease.reset();
    EXPECT_EQ(pool.stats().idle, 1u);
    auto a2 = pool.acquire(kA);
    ASSERT_TRUE(a2.lease);
    EXPECT_EQ(a2.lease->desktop_id(), a.lease->desktop_id());
    auto c2 = pool.acquire({"S-1-5-5-0-3003", 512});
    ASSERT_TRUE(c2.lease);
    EXPECT_EQ(c2.lease->desktop_id(), 4u) << "under the cap a new key gets a new desktop, not B's idle one";
    EXPECT_TRUE(f.destroyed.empty());
}

TEST(DesktopPool, LeasesAreCountedPerDesktopUpToItsChildren) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 2), f, c);
    auto l1 = pool.acquire(kA);
    auto l2 = pool.acquire(kA);
    auto l3 = pool.acquire(kA);  // the first desktop holds two: a second one
    ASSERT_TRUE(l1.lease && l2.lease && l3.lease);
    EXPECT_EQ(l1.lease->desktop_id(), 1u);
    EXPECT_EQ(l2.lease->desktop_id(), 1u);
    EXPECT_EQ(l3.lease->desktop_id(), 2u);
    EXPECT_EQ(pool.stats().leases, 3u);

    l1.lease.reset();  // desktop 1 has room again, and desktop 2 too: the fuller one is chosen
    auto l4 = pool.acquire(kA);
    ASSERT_TRUE(l4.lease);
    EXPECT_EQ(l4.lease->desktop_id(), 1u);
    auto l5 = pool.acquire(kA);
    ASSERT_TRUE(l5.lease);
    EXPECT_EQ(l5.lease->desktop_id(), 2u);
    EXPECT_EQ(f.creates(), 2u);

    // The last lease of a desktop makes it idle; not before.
    l2.lease.reset();
    EXPECT_EQ(pool.stats().idle, 0u);
    l4.lease.reset();
    const auto s = pool.stats();
    EXPECT_EQ(s.idle, 1u);
    EXPECT_EQ(s.leased, 1u);
    EXPECT_EQ(s.leases, 2u);
}

TEST(DesktopPool, LeaseMovesAndReleasesOnce) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kA);
    ASSERT_TRUE(a.lease && b.lease);
    DesktopPool::Lease moved = std::move(*a.lease);
    EXPECT_FALSE(a.lease->held());
    EXPECT_TRUE(moved.held());
    EXPECT_EQ(moved.lp_desktop(), "sl-station-1\\sl-desk");
    a.lease->release();  // a moved-from lease gives nothing back
    EXPECT_EQ(pool.stats().leases, 2u);
    moved.release();
    moved.release();
    EXPECT_EQ(pool.stats().leases, 1u) << "a second release must not take the other child's place";
    moved = std::move(*b.lease);  // assigning into a released lease
    EXPECT_EQ(pool.stats().leases, 1u);
    moved = DesktopPool::Lease(std::move(moved));
    EXPECT_EQ(pool.stats().leases, 1u);
}

TEST(DesktopPool, CapReachedIsFullWithTheFiguresAndNoCreateCall) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(2, 1), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kB);
    ASSERT_TRUE(a.lease && b.lease);
    ASSERT_EQ(f.creates(), 2u);

    auto refused = pool.acquire(kA);
    EXPECT_FALSE(refused.lease);
    EXPECT_EQ(refused.status, PoolAcquireStatus::full);
    EXPECT_EQ(f.creates(), 2u) << "never a create past the cap";
    ASSERT_EQ(refused.findings.size(), 1u);
    const auto& finding = refused.findings[0];
    EXPECT_EQ(finding.id, "desktop.pool.full");
    EXPECT_EQ(finding.severity, Severity::error);
    EXPECT_NE(finding.message.find("2 of 2 desktops"), std::string::npos) << finding.message;
    EXPECT_NE(finding.message.find(kA.sid), std::string::npos) << finding.message;
    EXPECT_NE(finding.evidence.find("max_desktops=2, desktops=2 (leased 2, idle 0"), std::string::npos)
        << finding.evidence;
    EXPECT_NE(finding.evidence.find("leases=2, children_per_desktop=1, key=S-1-5-5-0-1001 512 KB"),
              std::string::npos)
        << finding.evidence;
    EXPECT_FALSE(finding.remedy.empty());

    auto other = pool.acquire({"S-1-5-5-0-3003", 256});
    EXPECT_EQ(other.status, PoolAcquireStatus::full);
    EXPECT_EQ(f.creates(), 2u);
    EXPECT_EQ(pool.stats().desktops, 2u);
}

TEST(DesktopPool, ZeroDesktopsAllowedIsAlwaysFull) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(0, 1), f, c);
    auto r = pool.acquire(kA);
    EXPECT_EQ(r.status, PoolAcquireStatus::full);
    EXPECT_EQ(f.creates(), 0u);
}

TEST(DesktopPool, AtTheCapTheLongestIdleDesktopOfAnotherKeyIsDestroyedFirst) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(2, 1), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kB);
    ASSERT_TRUE(a.lease && b.lease);
    b.lease.reset();  // B idle first ...
    c.advance(1s);
    a.lease.reset();  // ... then A
    auto d = pool.acquire({"S-1-5-5-0-4004", 512});
    ASSERT_TRUE(d.lease);
    EXPECT_EQ((std::vector<std::string>{"create S-1-5-5-0-1001 512", "create S-1-5-5-0-2002 512", "destroy 2",
                                        "create S-1-5-5-0-4004 512"}),
              f.log)
        << "the older idle desktop (B's) goes, and before the new one is made";
    const auto s = pool.stats();
    EXPECT_EQ(s.desktops, 2u);
    EXPECT_EQ(s.idle, 1u);
    EXPECT_EQ(f.live, (std::vector<std::uint64_t>{1, 3}));
}

TEST(DesktopPool, IdleDesktopIsDestroyedExactlyAfterTheIdleTimeout) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0, 30s), f, c);
    EXPECT_FALSE(pool.next_idle_deadline());
    auto a = pool.acquire(kA);
    ASSERT_TRUE(a.lease);
    c.advance(1h);
    EXPECT_EQ(pool.reap_idle(), 0u) << "a leased desktop is never idle";
    EXPECT_FALSE(pool.next_idle_deadline());

    const auto released_at = c.now();
    a.lease.reset();
    ASSERT_TRUE(pool.next_idle_deadline());
    EXPECT_EQ(*pool.next_idle_deadline(), released_at + 30s);
    c.advance(30s - 1ns);
    EXPECT_EQ(pool.reap_idle(), 0u);
    EXPECT_TRUE(f.destroyed.empty());
    c.advance(1ns);
    EXPECT_EQ(pool.reap_idle(), 1u);
    EXPECT_EQ(f.destroyed, (std::vector<std::uint64_t>{1}));
    EXPECT_EQ(pool.stats().desktops, 0u);
    EXPECT_FALSE(pool.next_idle_deadline());
    EXPECT_EQ(pool.reap_idle(), 0u);

    // A reuse before the timeout keeps it, and the idle time starts again at the next release.
    auto b = pool.acquire(kA);
    ASSERT_TRUE(b.lease);
    EXPECT_TRUE(b.lease->created());
    b.lease.reset();
    c.advance(29s);
    auto b2 = pool.acquire(kA);
    ASSERT_TRUE(b2.lease);
    EXPECT_FALSE(b2.lease->created());
    b2.lease.reset();
    c.advance(29s);
    EXPECT_EQ(pool.reap_idle(), 0u);
    c.advance(1s);
    EXPECT_EQ(pool.reap_idle(), 1u);
    EXPECT_EQ(f.destroyed, (std::vector<std::uint64_t>{1, 2}));
}

TEST(DesktopPool, FailedCreateLeavesNoEntry) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(1, 1), f, c);
    f.fail_next = true;
    auto r = pool.acquire(kA);
    EXPECT_FALSE(r.lease);
    EXPECT_EQ(r.status, PoolAcquireStatus::create_failed);
    ASSERT_TRUE(r.failure);
    EXPECT_EQ(r.failure->error, "CreateDesktopExW failed");
    ASSERT_TRUE(r.failure->failure);
    EXPECT_EQ(r.failure->failure->api, "CreateDesktopExW");
    EXPECT_EQ(pool.stats().desktops, 0u);
    EXPECT_FALSE(pool.next_idle_deadline());

    f.throw_next = true;
    auto thrown = pool.acquire(kA);
    EXPECT_EQ(thrown.status, PoolAcquireStatus::create_failed);
    ASSERT_TRUE(thrown.failure);
    EXPECT_EQ(thrown.failure->error, "the desktop factory threw: out of names");
    EXPECT_EQ(pool.stats().desktops, 0u);

    auto ok = pool.acquire(kA);  // the cap of 1 is free again
    ASSERT_TRUE(ok.lease);
    EXPECT_EQ(ok.lease->desktop_id(), 1u);
    EXPECT_TRUE(f.destroyed.empty()) << "nothing to destroy for a desktop that was never made";
}

TEST(DesktopPool, FactoryFindingsComeWithEveryLease) {
    FakeFactory f;
    FakeClock c;
    Finding w;
    w.id = "desktop.private.heap_unbounded";
    w.severity = Severity::warning;
    f.warnings = {w};
    DesktopPool pool(policy(1, 0), f, c);
    auto a = pool.acquire(kA);
    auto b = pool.acquire(kA);
    ASSERT_TRUE(a.lease && b.lease);
    ASSERT_EQ(a.findings.size(), 1u);
    EXPECT_EQ(a.findings[0].id, "desktop.private.heap_unbounded");
    ASSERT_EQ(b.lease->findings().size(), 1u);
    EXPECT_EQ(b.findings[0].id, "desktop.private.heap_unbounded");
}

TEST(DesktopPool, HeapTooSmallForOneChildIsRefusedWithoutACreate) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0), f, c);
    auto r = pool.acquire({kA.sid, 4});
    EXPECT_EQ(r.status, PoolAcquireStatus::heap_too_small);
    ASSERT_EQ(r.findings.size(), 1u);
    EXPECT_EQ(r.findings[0].id, "desktop.pool.heap_too_small");
    EXPECT_NE(r.findings[0].evidence.find("heap_kb=4"), std::string::npos);
    EXPECT_EQ(f.creates(), 0u);
    DesktopPool given(policy(4, 1), f, c);  // a cap given by the caller is taken as it is
    EXPECT_TRUE(given.acquire({kA.sid, 4}).lease);
}

TEST(DesktopPool, WaitingAcquireIsWokenByARelease) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(1, 1), f, c);
    auto held = pool.acquire(kA);
    ASSERT_TRUE(held.lease);

    std::promise<PoolWait> first_wait;
    std::atomic<int> announced{0};
    auto waiter = std::async(std::launch::async, [&] {
        return pool.acquire_for(kA, 60s, [&](const PoolWait& w) {
            if (announced++ == 0) first_wait.set_value(w);
        });
    });
    const auto w = first_wait.get_future().get();  // the waiter found the pool full
    EXPECT_EQ(w.wait_number, 1u);
    EXPECT_EQ(w.stats.desktops, 1u);
    EXPECT_EQ(w.stats.leases, 1u);
    EXPECT_GT(w.remaining, 50s);

    held.lease->release();
    auto got = waiter.get();
    ASSERT_TRUE(got.lease);
    EXPECT_EQ(got.status, PoolAcquireStatus::acquired);
    EXPECT_FALSE(got.lease->created()) << "it took the released place on the same desktop";
    EXPECT_EQ(got.waits, 1u);
    EXPECT_EQ(announced.load(), 1);
    EXPECT_LT(got.waited, 30s);
    EXPECT_EQ(f.creates(), 1u);
    EXPECT_EQ(pool.stats().waiting, 0u);
}

TEST(DesktopPool, WaitingAcquireForAnotherKeyTakesTheReleasedDesktopsPlace) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(1, 1), f, c);
    auto held = pool.acquire(kA);
    ASSERT_TRUE(held.lease);
    std::promise<void> waiting;
    auto waiter = std::async(std::launch::async, [&] {
        bool once = false;
        return pool.acquire_for(kB, 60s, [&](const PoolWait&) {
            if (!once) waiting.set_value();
            once = true;
        });
    });
    waiting.get_future().wait();
    held.lease.reset();  // A's desktop falls idle: it makes way for B
    auto got = waiter.get();
    ASSERT_TRUE(got.lease);
    EXPECT_TRUE(got.lease->created());
    EXPECT_LT(got.waited, 30s) << "woken by the release, not by its timeout";
    EXPECT_EQ((std::vector<std::string>{"create S-1-5-5-0-1001 512", "destroy 1", "create S-1-5-5-0-2002 512"}),
              f.log);
}

TEST(DesktopPool, WaitingAcquireTimesOutWithTheFinding) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(1, 1), f, c);
    auto held = pool.acquire(kA);
    ASSERT_TRUE(held.lease);
    int announced = 0;
    auto r = pool.acquire_for(kA, 30ms, [&](const PoolWait&) { ++announced; });
    EXPECT_FALSE(r.lease);
    EXPECT_EQ(r.status, PoolAcquireStatus::full);
    EXPECT_GE(r.waits, 1u);
    EXPECT_EQ(announced, static_cast<int>(r.waits));
    EXPECT_GE(r.waited, 30ms);
    ASSERT_EQ(r.findings.size(), 1u);
    EXPECT_EQ(r.findings[0].id, "desktop.pool.full");
    EXPECT_NE(r.findings[0].evidence.find("waited "), std::string::npos);
    EXPECT_EQ(f.creates(), 1u);
    EXPECT_EQ(pool.stats().waiting, 0u);
}

TEST(DesktopPool, AHeldAcquireIsAnnouncedAgainEveryAnnounceInterval) {
    FakeFactory f;
    FakeClock c;
    auto p = policy(1, 1);
    p.announce_every = 10ms;
    DesktopPool pool(p, f, c);
    auto held = pool.acquire(kA);
    ASSERT_TRUE(held.lease);
    std::vector<PoolWait> seen;
    auto r = pool.acquire_for(kA, 500ms, [&](const PoolWait& w) { seen.push_back(w); });
    EXPECT_EQ(r.status, PoolAcquireStatus::full);
    EXPECT_GE(r.waits, 2u) << "not silent for the whole hold";
    ASSERT_EQ(seen.size(), r.waits);
    for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i].wait_number, i + 1);
    EXPECT_GT(seen.front().remaining, seen.back().remaining);

    p.announce_every = 0ms;  // only at the start (no change happens meanwhile)
    DesktopPool quiet(p, f, c);
    auto held2 = quiet.acquire(kA);
    ASSERT_TRUE(held2.lease);
    int announced = 0;
    auto r2 = quiet.acquire_for(kA, 200ms, [&](const PoolWait&) { ++announced; });
    EXPECT_EQ(r2.status, PoolAcquireStatus::full);
    EXPECT_EQ(announced, static_cast<int>(r2.waits));
    // One wait, give or take a timed wait that ends a little early (a 10 ms rhythm would make ~20).
    EXPECT_GE(r2.waits, 1u);
    EXPECT_LT(r2.waits, 5u);
}

TEST(DesktopPool, SameKeyAcquireDuringACreateWaitsForItInsteadOfCreatingAnother) {
    FakeFactory f;
    FakeClock c;
    DesktopPool pool(policy(4, 0), f, c);
    f.block_next_create = true;
    auto in_create = f.in_create.get_future();
    auto first = std::async(std::launch::async, [&] { return pool.acquire(kA); });
    in_create.wait();  // the first acquire is inside create()
    EXPECT_EQ(pool.stats().creating, 1u);
    auto second = std::async(std::launch::async, [&] { return pool.acquire(kA); });
    // Either it waits for the desktop being made, or (wrongly) it reserves a second one.
    const bool settled = eventually([&] {
        const auto s = pool.stats();
        return s.waiting == 1 || s.desktops > 1;
    });
    const auto s = pool.stats();
    f.proceed.set_value();  // before any assertion can end the test: the threads must finish
    EXPECT_TRUE(settled);
    EXPECT_EQ(s.waiting, 1u);
    EXPECT_EQ(s.desktops, 1u) << "the second acquire reserved no desktop of its own";
    auto a = first.get();
    auto b = second.get();
    ASSERT_TRUE(a.lease && b.lease);
    EXPECT_TRUE(a.lease->created());
    EXPECT_FALSE(b.lease->created());
    EXPECT_EQ(a.lease->desktop_id(), b.lease->desktop_id());
    EXPECT_EQ(f.creates(), 1u);
}

TEST(DesktopPool, DestructorDestroysEveryDesktop) {
    FakeFactory f;
    FakeClock c;
    {
        DesktopPool pool(policy(4, 0), f, c);
        auto a = pool.acquire(kA);
        auto b = pool.acquire(kB);
        ASSERT_TRUE(a.lease && b.lease);
        b.lease.reset();  // idle before the end; A idle only just before it (leases must not outlive the pool)
        a.lease.reset();
        EXPECT_TRUE(f.destroyed.empty());
    }
    EXPECT_EQ(f.destroyed.size(), 2u);
    EXPECT_TRUE(f.live.empty());
}

TEST(DesktopPool, ReapedDesktopsAreNotDestroyedAgainByTheDestructor) {
    FakeFactory f;
    FakeClock c;
    {
        DesktopPool pool(policy(4, 0, 1s), f, c);
        (void)pool.acquire(kA);  // the lease goes at once
        c.advance(1s);
        EXPECT_EQ(pool.reap_idle(), 1u);
    }
    EXPECT_EQ(f.destroyed, (std::vector<std::uint64_t>{1}));
}

TEST(DesktopPool, StatusNames) {
    EXPECT_EQ(to_string(PoolAcquireStatus::acquired), "acquired");
    EXPECT_EQ(to_string(PoolAcquireStatus::full), "full");
    EXPECT_EQ(to_string(PoolAcquireStatus::heap_too_small), "heap_too_small");
    EXPECT_EQ(to_string(PoolAcquireStatus::create_failed), "create_failed");
}

}  // namespace
}  // namespace safelaunch
