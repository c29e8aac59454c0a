// LaunchGate waits on a real condition variable; the waits here are either ended by a release
// (with a backoff and timeout of a minute, so a missed wake-up fails the test slowly instead of
// passing) or a 30 ms timeout.
#include "safelaunch/launch_gate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace safelaunch {
namespace {

using namespace std::chrono_literals;

[[nodiscard]] LaunchGateConfig places(std::uint32_t n) {
    LaunchGateConfig c;
    c.desktop_heap_kb = std::uint64_t{n} * kServiceProcessKb;
    c.desktop = "safelaunch-test\\Default";
    return c;
}

TEST(LaunchGate, CapComesFromTheHeapModel) {
    EXPECT_EQ(launch_cap(768), 768u / 7);  // the 64-bit noninteractive default: 109 children
    EXPECT_EQ(launch_cap(768), processes_that_fit(768));
    EXPECT_EQ(launch_cap(512, 8), 64u);
    EXPECT_EQ(launch_cap(6), 0u);
    EXPECT_EQ(launch_cap(512, 0), 0u);
    EXPECT_EQ(launch_cap(std::uint64_t{1} << 40, 1), 0xFFFF'FFFFu);  // saturates
    LaunchGateConfig c;
    c.desktop_heap_kb = 768;
    LaunchGate gate(c);
    EXPECT_EQ(gate.cap(), 109u);
    EXPECT_EQ(gate.in_use(), 0u);
}

TEST(LaunchGate, CapReachedThenAReleaseAdmitsTheWaiter) {
    auto c = places(2);
    c.first_wait = 60s;  // only the release can end the wait in time
    c.max_wait = 60s;
    LaunchGate gate(c);
    auto a = gate.acquire(0ms);
    auto b = gate.acquire(0ms);
    ASSERT_TRUE(a.lease);
    ASSERT_TRUE(b.lease);
    EXPECT_EQ(gate.in_use(), 2u);

    std::promise<AdmissionWait> first_wait;
    std::atomic<int> announced{0};
    auto waiter = std::async(std::launch::async, [&] {
        return gate.acquire(60s, [&](const AdmissionWait& w) {
            if (announced++ == 0) first_wait.set_value(w);
        });
    });
    const auto w = first_wait.get_future().get();  // the waiter is held
    EXPECT_EQ(w.kb_needed, kServiceProcessKb);
    EXPECT_EQ(w.free_kb, 0u);
    EXPECT_EQ(w.next_wait, 60s);
    EXPECT_EQ(gate.in_use(), 2u);

    a.lease->release();
    auto got = waiter.get();
    ASSERT_TRUE(got.lease);
    EXPECT_TRUE(got.result.admitted);
    EXPECT_EQ(got.result.waits, 1u);
    EXPECT_EQ(announced.load(), 1);
    EXPECT_LT(got.result.waited, 30s);
    EXPECT_EQ(gate.in_use(), 2u);
    got.lease.reset();
    b.lease.reset();
    EXPECT_EQ(gate.in_use(), 0u);
}

TEST(LaunchGate, TimeoutRefusesWithTheFinding) {
    LaunchGate gate(places(1));
    auto held = gate.acquire(0ms);
    ASSERT_TRUE(held.lease);
    int announced = 0;
    const auto refused = gate.acquire(30ms, [&](const AdmissionWait&) { ++announced; });
    EXPECT_FALSE(refused.lease);
    EXPECT_FALSE(refused.result.admitted);
    EXPECT_GE(refused.result.waited, 30ms);
    EXPECT_GE(refused.result.waits, 1u);
    EXPECT_EQ(static_cast<std::uint32_t>(announced), refused.result.waits);
    ASSERT_TRUE(refused.result.refusal);
    EXPECT_EQ(refused.result.refusal->id, "heap.desktop.no_headroom");
    EXPECT_EQ(refused.result.refusal->severity, Severity::error);
    EXPECT_NE(refused.result.refusal->message.find("safelaunch-test\\Default"), std::string::npos);
    EXPECT_EQ(refused.result.refusal->evidence.rfind("needed 7 KB, last known free 0 KB, waited ", 0), 0u)
        << refused.result.refusal->evidence;
    EXPECT_EQ(gate.in_use(), 1u);  // a refusal takes no place
}

TEST(LaunchGate, AHeapTooSmallForOneChildRefusesAtOnce) {
    LaunchGateConfig c;
    c.desktop_heap_kb = kServiceProcessKb - 1;
    LaunchGate gate(c);
    EXPECT_EQ(gate.cap(), 0u);
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = gate.acquire(60s);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
    EXPECT_FALSE(r.lease);
    EXPECT_EQ(r.result.waits, 0u);
    ASSERT_TRUE(r.result.refusal);
    EXPECT_EQ(r.result.refusal->id, "heap.desktop.no_headroom");
}

TEST(LaunchGate, ALeaseGivesItsPlaceBackOnce) {
    LaunchGate gate(places(1));
    auto a = gate.acquire(0ms);
    ASSERT_TRUE(a.lease);
    LaunchGate::Lease moved = std::move(*a.lease);
    a.lease.reset();  // the moved-from lease gives nothing back
    EXPECT_EQ(gate.in_use(), 1u);
    moved.release();
    moved.release();
    EXPECT_EQ(gate.in_use(), 0u);
    auto b = gate.acquire(0ms);
    EXPECT_TRUE(b.lease);
    EXPECT_FALSE(gate.acquire(0ms).lease);  // still one place only
}

TEST(LaunchGate, ConcurrentAcquireAndReleaseNeverExceedTheCap) {
    constexpr std::uint32_t kCap = 3;
    constexpr int kThreads = 8;
    constexpr int kRounds = 300;
    LaunchGate gate(places(kCap));
    std::atomic<std::uint32_t> inside{0};
    std::atomic<std::uint32_t> most{0};
    std::atomic<int> refused{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < kRounds; ++i) {
                auto got = gate.acquire(60s);
                if (!got.lease) {
                    ++refused;
                    continue;
                }
                const auto now = ++inside;
                auto seen = most.load();
                while (now > seen && !most.compare_exchange_weak(seen, now)) {}
                std::this_thread::yield();
                --inside;
            }  // the lease is given back here
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(refused.load(), 0);
    EXPECT_LE(most.load(), kCap);
    EXPECT_GE(most.load(), 1u);
    EXPECT_EQ(gate.in_use(), 0u);
}

}  // namespace
}  // namespace safelaunch
