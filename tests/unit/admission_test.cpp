#include "safelaunch/admission.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

namespace safelaunch {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

// Readings in order; the last one repeats.
class ScriptedSource final : public HeadroomSource {
public:
    explicit ScriptedSource(std::vector<HeadroomReading> readings) : readings_(std::move(readings)) {}
    HeadroomReading read(std::uint32_t kb_needed) override {
        asked.push_back(kb_needed);
        return readings_[std::min(asked.size(), readings_.size()) - 1];
    }
    std::vector<std::uint32_t> asked;

private:
    std::vector<HeadroomReading> readings_;
};

// Time moves only when admit() waits. wake_after(n) makes the n-th wait (1-based) end early, after
// `early`, as when a sibling exits.
class FakeClock final : public AdmissionClock {
public:
    std::chrono::steady_clock::time_point now() override { return now_; }
    bool wait_for(milliseconds d) override {
        asked.push_back(d);
        const bool woken = wake_on && wake_on(asked.size());
        now_ += woken ? std::min(d, early) : d;
        return woken;
    }
    std::vector<milliseconds> asked;
    std::function<bool(std::size_t)> wake_on;
    milliseconds early{10};

private:
    std::chrono::steady_clock::time_point now_{};
};

[[nodiscard]] AdmissionPolicy policy(milliseconds timeout) {
    AdmissionPolicy p;
    p.kb_needed = 16;
    p.hold_timeout = timeout;
    p.first_wait = 100ms;
    p.max_wait = 2000ms;
    p.desktop = "Service-0x0-3e7$\\Default";
    return p;
}

TEST(Admission, AdmitsAtOnceWhenItFits) {
    ScriptedSource source({{true, 400u}});
    FakeClock clock;
    int announced = 0;
    const auto r = admit(policy(10s), source, clock, [&](const AdmissionWait&) { ++announced; });
    EXPECT_TRUE(r.admitted);
    EXPECT_FALSE(r.refusal);
    EXPECT_EQ(r.waits, 0u);
    EXPECT_EQ(r.waited, 0ms);
    EXPECT_EQ(r.last_free_kb, 400u);
    EXPECT_EQ(source.asked, (std::vector<std::uint32_t>{16}));
    EXPECT_TRUE(clock.asked.empty());
    EXPECT_EQ(announced, 0);
}

TEST(Admission, HoldsThenAdmitsWhenTheSourceFreesRoom) {
    ScriptedSource source({{false, 5u}, {false, 9u}, {true, 20u}});
    FakeClock clock;
    std::vector<AdmissionWait> announced;
    const auto r = admit(policy(10s), source, clock, [&](const AdmissionWait& w) { announced.push_back(w); });
    EXPECT_TRUE(r.admitted);
    EXPECT_FALSE(r.refusal);
    EXPECT_EQ(r.waits, 2u);
    EXPECT_EQ(r.waited, 300ms);
    EXPECT_EQ(r.last_free_kb, 20u);
    EXPECT_EQ(source.asked.size(), 3u);
    EXPECT_EQ(clock.asked, (std::vector<milliseconds>{100ms, 200ms}));
    // Announced once per wait, before it, with the figures.
    ASSERT_EQ(announced.size(), 2u);
    EXPECT_EQ(announced[0].wait_number, 1u);
    EXPECT_EQ(announced[0].kb_needed, 16u);
    EXPECT_EQ(announced[0].free_kb, 5u);
    EXPECT_EQ(announced[0].waited, 0ms);
    EXPECT_EQ(announced[0].next_wait, 100ms);
    EXPECT_EQ(announced[0].remaining, 10000ms);
    EXPECT_EQ(announced[1].wait_number, 2u);
    EXPECT_EQ(announced[1].free_kb, 9u);
    EXPECT_EQ(announced[1].waited, 100ms);
    EXPECT_EQ(announced[1].next_wait, 200ms);
    EXPECT_EQ(announced[1].remaining, 9900ms);
}

TEST(Admission, RefusesAfterTheTimeoutWithTheFigures) {
    ScriptedSource source({{false, 3u}});
    FakeClock clock;
    std::vector<AdmissionWait> announced;
    const auto r = admit(policy(1000ms), source, clock, [&](const AdmissionWait& w) { announced.push_back(w); });
    EXPECT_FALSE(r.admitted);
    // 100 + 200 + 400, then the last wait is cut to the 300 ms left.
    EXPECT_EQ(clock.asked, (std::vector<milliseconds>{100ms, 200ms, 400ms, 300ms}));
    EXPECT_EQ(r.waits, 4u);
    EXPECT_EQ(r.waited, 1000ms);
    EXPECT_EQ(announced.size(), 4u);
    EXPECT_EQ(source.asked.size(), 5u);  // one reading before each wait and one after the last
    ASSERT_TRUE(r.refusal);
    const auto& f = *r.refusal;
    EXPECT_EQ(f.id, "heap.desktop.no_headroom");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(f.message,
              "16 KB of desktop heap could not be allocated on Service-0x0-3e7$\\Default within the 1.0 s hold; "
              "the launch was refused rather than left to die with 0xC0000142");
    EXPECT_EQ(f.evidence, "needed 16 KB, last known free 3 KB, waited 1.0 s over 4 waits");
    EXPECT_FALSE(f.remedy.empty());
}

TEST(Admission, ZeroTimeoutRefusesAtOnceWithoutWaiting) {
    ScriptedSource source({{false, std::nullopt}});
    FakeClock clock;
    int announced = 0;
    auto p = policy(0ms);
    p.desktop.clear();
    const auto r = admit(p, source, clock, [&](const AdmissionWait&) { ++announced; });
    EXPECT_FALSE(r.admitted);
    EXPECT_TRUE(clock.asked.empty());
    EXPECT_EQ(announced, 0);
    ASSERT_TRUE(r.refusal);
    EXPECT_NE(r.refusal->message.find("on the target desktop"), std::string::npos) << r.refusal->message;
    EXPECT_EQ(r.refusal->evidence, "needed 16 KB, last known free unknown, waited 0.0 s over 0 waits");
}

// The last free figure a source gave is kept when later readings cannot tell.
TEST(Admission, KeepsTheLastKnownFreeFigure) {
    ScriptedSource source({{false, 7u}, {false, std::nullopt}});
    FakeClock clock;
    std::vector<AdmissionWait> announced;
    const auto r = admit(policy(300ms), source, clock, [&](const AdmissionWait& w) { announced.push_back(w); });
    ASSERT_TRUE(r.refusal);
    EXPECT_EQ(r.last_free_kb, 7u);
    ASSERT_EQ(announced.size(), 2u);
    EXPECT_EQ(announced[1].free_kb, 7u);
    EXPECT_NE(r.refusal->evidence.find("last known free 7 KB"), std::string::npos) << r.refusal->evidence;
}

TEST(Admission, BackoffDoublesUpToItsBound) {
    const auto p = policy(60s);
    std::vector<milliseconds> seen;
    for (std::uint32_t n = 1; n <= 7; ++n) seen.push_back(admission_backoff(p, n));
    EXPECT_EQ(seen, (std::vector<milliseconds>{100ms, 200ms, 400ms, 800ms, 1600ms, 2000ms, 2000ms}));
    EXPECT_EQ(admission_backoff(p, 0xFFFF'FFFFu), 2000ms);  // no overflow however long the hold
    AdmissionPolicy zero;
    zero.first_wait = 0ms;
    zero.max_wait = 0ms;
    EXPECT_EQ(admission_backoff(zero, 1), 1ms);  // still makes progress
    AdmissionPolicy inverted = p;
    inverted.first_wait = 5000ms;  // a first wait above the bound is cut to it
    EXPECT_EQ(admission_backoff(inverted, 1), 2000ms);
}

TEST(Admission, EveryWaitOfALongHoldStaysWithinTheBound) {
    ScriptedSource source({{false, 0u}});
    FakeClock clock;
    const auto r = admit(policy(60s), source, clock);
    ASSERT_TRUE(r.refusal);
    milliseconds total{0};
    for (const auto d : clock.asked) {
        EXPECT_GE(d, 1ms);
        EXPECT_LE(d, 2000ms);
        total += d;
    }
    EXPECT_EQ(total, 60s);
    EXPECT_EQ(r.waits, clock.asked.size());
    EXPECT_EQ(r.waits, 5u + 28u + 1u);  // 100..1600 (3100 ms), 28 x 2000, then the 900 ms left
}

// A sibling's exit ends the wait early and the source is read again at once; the backoff keeps
// growing from where it was.
TEST(Admission, WakesEarlyWhenASiblingExits) {
    ScriptedSource source({{false, 2u}, {false, 2u}, {true, 30u}});
    FakeClock clock;
    clock.wake_on = [](std::size_t n) { return n == 1; };
    const auto r = admit(policy(10s), source, clock);
    EXPECT_TRUE(r.admitted);
    EXPECT_EQ(clock.asked, (std::vector<milliseconds>{100ms, 200ms}));
    EXPECT_EQ(r.waited, 10ms + 200ms);  // the first wait ended after 10 ms
    EXPECT_EQ(source.asked.size(), 3u);
}

// A source that cannot measure (the trial's canary could not run) is not "no room": admit() stops
// at that reading, without waiting out the hold, and refuses with its own finding and reason.
TEST(Admission, AnUnmeasurableReadingRefusesAtOnceWithTheReason) {
    HeadroomReading cannot;
    cannot.unmeasurable = "canary not run: CreateProcessW(x.exe) failed: 2";
    ScriptedSource source({{false, 5u}, cannot});
    FakeClock clock;
    int announced = 0;
    const auto r = admit(policy(60s), source, clock, [&](const AdmissionWait&) { ++announced; });
    EXPECT_FALSE(r.admitted);
    EXPECT_EQ(source.asked.size(), 2u);
    EXPECT_EQ(clock.asked, (std::vector<milliseconds>{100ms}));  // one wait (the first reading), no more
    EXPECT_EQ(announced, 1);
    EXPECT_EQ(r.last_free_kb, 5u);
    ASSERT_TRUE(r.refusal);
    EXPECT_EQ(r.refusal->id, "heap.desktop.headroom_unknown");
    EXPECT_EQ(r.refusal->severity, Severity::error);
    EXPECT_EQ(r.refusal->message,
              "whether 16 KB of desktop heap fits on Service-0x0-3e7$\\Default could not be measured, so the launch "
              "was not admitted (a hold cannot help: the measurement itself failed)");
    EXPECT_EQ(r.refusal->evidence, "canary not run: CreateProcessW(x.exe) failed: 2; after 0.1 s over 1 waits");
}

// Even a reading that says it fits is not trusted when the source also says it could not measure.
TEST(Admission, UnmeasurableWinsOverFits) {
    HeadroomReading odd;
    odd.fits = true;
    odd.unmeasurable = "why";
    ScriptedSource source({odd});
    FakeClock clock;
    const auto r = admit(policy(0ms), source, clock);
    EXPECT_FALSE(r.admitted);
    ASSERT_TRUE(r.refusal);
    EXPECT_EQ(r.refusal->id, "heap.desktop.headroom_unknown");
}

TEST(Admission, DescribeAWaitAsOneProgressLine) {
    AdmissionWait w{2, 16, 12u, 300ms, 200ms, 59700ms};
    EXPECT_EQ(describe(w, "Service-0x0-3e7$\\Default"),
              "holding: need 16 KB on Service-0x0-3e7$\\Default, free ~12 KB, wait 2, next try in 200 ms, 59.7 s left");
    w.free_kb.reset();
    EXPECT_EQ(describe(w, ""),
              "holding: need 16 KB on the target desktop, free unknown, wait 2, next try in 200 ms, 59.7 s left");
}

TEST(SteadyAdmissionClock, ANotifyBeforeTheWaitIsKept) {
    SteadyAdmissionClock clock;
    clock.notify();
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_TRUE(clock.wait_for(60s));  // returns at once: a lost notify would hang here for a minute
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
    EXPECT_FALSE(clock.wait_for(1ms));  // consumed
}

TEST(SteadyAdmissionClock, ANotifyFromAnotherThreadWakesTheWait) {
    SteadyAdmissionClock clock;
    std::thread sibling([&] { clock.notify(); });
    EXPECT_TRUE(clock.wait_for(60s));
    sibling.join();
}

}  // namespace
}  // namespace safelaunch
