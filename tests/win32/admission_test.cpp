// Admission control under Wine (issue 8 part 4): safe_launch() holds a launch until its headroom
// source says there is room, refuses after the hold, is woken early by a sibling's exit, and the
// real trial source (the canary with --alloc-kb) as Wine answers it; `run --hold-for-headroom`.
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/trial_headroom.hpp"

#include "safelaunch/json.hpp"
#include "test_support.hpp"
#include "tool_run.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <atomic>
#include <chrono>
#include <memory>
#include <iostream>
#include <thread>
#include <vector>

namespace safelaunch::win32 {
namespace {

using namespace std::chrono_literals;
using test::child_path;
using test::tool_path;

bool has_finding(const Outcome& out, const std::string& id) {
    const auto& f = out.preflight.analysis.preflight;
    return std::any_of(f.begin(), f.end(), [&](const Finding& x) { return x.id == id; });
}

// "No room" until open() is called (from any thread); counts its readings.
class GateSource final : public HeadroomSource {
public:
    HeadroomReading read(std::uint32_t) override {
        ++reads;
        return HeadroomReading{open_.load(), 3u};
    }
    void open() { open_ = true; }
    std::atomic<int> reads{0};

private:
    std::atomic<bool> open_{false};
};

// Room once the given process has ended (a sibling that frees the desktop by exiting).
class RoomAfterExit final : public HeadroomSource {
public:
    explicit RoomAfterExit(HANDLE process) : process_(process) {}
    HeadroomReading read(std::uint32_t) override {
        ++reads;
        return HeadroomReading{::WaitForSingleObject(process_, 0) == WAIT_OBJECT_0, std::nullopt};
    }
    int reads = 0;

private:
    HANDLE process_;
};

AdmissionPolicy policy(std::chrono::milliseconds hold, std::chrono::milliseconds first_wait = 20ms) {
    AdmissionPolicy p;
    p.kb_needed = 16;
    p.hold_timeout = hold;
    p.first_wait = first_wait;
    p.max_wait = 100ms;
    return p;
}

LaunchRequest exits_with(const char* code) {
    LaunchRequest r;
    r.program = child_path("child_exit");
    r.args = {code};
    return r;
}

std::uint64_t as_ticks(FILETIME ft) { return (std::uint64_t{ft.dwHighDateTime} << 32) | ft.dwLowDateTime; }

std::uint64_t now_ticks() {
    FILETIME ft{};
    ::GetSystemTimeAsFileTime(&ft);
    return as_ticks(ft);
}

std::uint64_t creation_ticks(HANDLE process) {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return 0;
    return as_ticks(created);
}

// Held while the source says "no room"; the child is created only after another thread makes
// room, every wait was announced, and the report counts them.
TEST(Admission, HoldsUntilTheSourceMakesRoomThenStarts) {
    for (const auto check : {CheckPolicy::fast, CheckPolicy::none}) {
        GateSource source;
        SafeLaunchOptions o;
        o.admission = policy(30s);
        o.headroom = &source;
        std::vector<AdmissionWait> announced;
        o.admission_announce = [&](const AdmissionWait& w) {
            announced.push_back(w);
            std::cout << "  announced: " << describe(w, "the test desktop") << std::endl;  // shown by the demo
        };
        std::atomic<std::uint64_t> opened_at{0};
        std::thread releaser([&] {
            while (source.reads < 3) std::this_thread::sleep_for(5ms);
            opened_at = now_ticks();
            source.open();
        });
        auto r = exits_with("7");
        r.check = check;
        auto sc = safe_launch(r, o);
        releaser.join();
        ASSERT_TRUE(sc.started()) << static_cast<int>(check);
        const auto created = creation_ticks(sc.child().native_handle());
        const auto out = sc.wait();
        EXPECT_EQ(out.exit_code, 7u);
        ASSERT_TRUE(out.admission);
        EXPECT_TRUE(out.admission->admitted);
        EXPECT_GE(out.admission->waits, 2u);
        EXPECT_EQ(announced.size(), out.admission->waits);
        ASSERT_FALSE(announced.empty());
        EXPECT_EQ(announced.front().wait_number, 1u);
        EXPECT_EQ(announced.front().kb_needed, 16u);
        EXPECT_EQ(announced.front().free_kb, 3u);
        EXPECT_EQ(out.admission->last_free_kb, 3u);
        // Created after the room was made, not before (FILETIME ticks of the same system clock).
        EXPECT_GE(created, opened_at.load());
        EXPECT_FALSE(out.not_started);
        std::cout << "  admitted after " << out.admission->waits << " waits; the child was created after the source "
                  << "made room and exited " << out.exit_code.value_or(0) << std::endl;
    }
}

// After the hold: refused with heap.desktop.no_headroom and the figures; CreateProcess was never
// called (a program that does not exist is reported as no_headroom, not as not found).
TEST(Admission, TimeoutRefusesWithNoHeadroomAndCreatesNoProcess) {
    for (const auto check : {CheckPolicy::fast, CheckPolicy::none}) {
        GateSource source;  // never opened
        SafeLaunchOptions o;
        o.admission = policy(300ms);
        o.headroom = &source;
        int announced = 0;
        o.admission_announce = [&](const AdmissionWait&) { ++announced; };
        LaunchRequest r;
        r.program = test::exe_dir() + "\\no-such-program-4711.exe";
        r.check = check;
        const auto t0 = std::chrono::steady_clock::now();
        auto sc = safe_launch(r, o);
        const auto took = std::chrono::steady_clock::now() - t0;
        EXPECT_FALSE(sc.started());
        EXPECT_FALSE(sc.child().valid());
        const auto out = sc.wait();
        ASSERT_TRUE(out.not_started);
        EXPECT_EQ(*out.not_started, NotStartedReason::no_headroom);
        EXPECT_FALSE(out.launch_failure);
        EXPECT_FALSE(out.exit_code);
        EXPECT_TRUE(has_finding(out, "heap.desktop.no_headroom"));
        EXPECT_EQ(out.preflight.analysis.verdict, Verdict::blocked);
        ASSERT_TRUE(out.admission);
        EXPECT_FALSE(out.admission->admitted);
        EXPECT_GE(out.admission->waits, 1u);
        EXPECT_EQ(static_cast<int>(out.admission->waits), announced);
        EXPECT_GE(out.admission->waited, 300ms);
        EXPECT_GE(took, 300ms);
        ASSERT_TRUE(out.admission->refusal);
        EXPECT_NE(out.admission->refusal->evidence.find("needed 16 KB, last known free 3 KB"), std::string::npos)
            << out.admission->refusal->evidence;
        // An empty policy desktop is named after the request's (here: inherited).
        EXPECT_NE(out.admission->refusal->message.find("on the inherited desktop"), std::string::npos)
            << out.admission->refusal->message;
    }
}

// A sibling launched with the same options exits: its SafeChild::wait() notifies the shared clock
// and the held launch reads again at once, long before its 5 s backoff would end.
TEST(Admission, ASiblingsExitWakesTheHoldEarly) {
    SafeLaunchOptions o;
    o.admission_clock = std::make_shared<SteadyAdmissionClock>();
    LaunchRequest first;
    first.program = child_path("child_sleep");
    first.args = {"1000"};
    auto sibling = safe_launch(first, o);  // no admission: just a child that shares the clock
    ASSERT_TRUE(sibling.started());
    RoomAfterExit source(sibling.child().native_handle());
    std::thread waiter([&] { (void)sibling.wait(); });

    auto held = o;
    held.admission = policy(20s, 5000ms);
    held.admission->max_wait = 5000ms;
    held.headroom = &source;
    const auto out = safe_launch_and_wait(exits_with("0"), held);
    waiter.join();
    EXPECT_EQ(out.exit_code, 0u);
    ASSERT_TRUE(out.admission);
    EXPECT_TRUE(out.admission->admitted);
    EXPECT_EQ(out.admission->waits, 1u);
    EXPECT_EQ(source.reads, 2);
    // ~1 s (the sibling's sleep), not the 5 s of the backoff.
    EXPECT_LT(out.admission->waited, 4000ms) << out.admission->waited.count() << " ms";
    EXPECT_GE(out.admission->waited, 500ms) << out.admission->waited.count() << " ms";
}

// Without the shared clock the same hold waits out its backoff: the control of the test above.
TEST(Admission, WithoutASharedClockTheHoldWaitsOutItsBackoff) {
    LaunchRequest first;
    first.program = child_path("child_sleep");
    first.args = {"200"};
    auto sibling = safe_launch(first, SafeLaunchOptions{});
    ASSERT_TRUE(sibling.started());
    RoomAfterExit source(sibling.child().native_handle());
    std::thread waiter([&] { (void)sibling.wait(); });
    SafeLaunchOptions held;
    held.admission = policy(20s, 1500ms);
    held.admission->max_wait = 1500ms;
    held.headroom = &source;
    const auto out = safe_launch_and_wait(exits_with("0"), held);
    waiter.join();
    ASSERT_TRUE(out.admission);
    EXPECT_TRUE(out.admission->admitted);
    EXPECT_EQ(out.admission->waits, 1u);
    EXPECT_GE(out.admission->waited, 1500ms) << out.admission->waited.count() << " ms";
}

// The real trial: safelaunch-probe --alloc-kb on this desktop. Wine has no desktop heap, so it
// always fits; the reading carries no free figure (the probe reports one only when it ran out).
TEST(TrialHeadroom, TheCanaryFitsUnderWine) {
    SafeLaunchOptions o;
    o.probe_path = tool_path("safelaunch-probe");
    TrialHeadroom trial(exits_with("0"), o);
    const auto reading = trial.read(64);
    ASSERT_TRUE(trial.last_canary());
    EXPECT_TRUE(trial.last_canary()->ran) << trial.last_canary()->detail;
    EXPECT_EQ(trial.last_canary()->exit_code, 0u) << trial.last_canary()->detail;
    EXPECT_EQ(trial.last_canary()->alloc_kb, 64u);
    EXPECT_TRUE(reading.fits);
    EXPECT_FALSE(reading.free_kb);
    EXPECT_FALSE(reading.unmeasurable);
}

TEST(TrialHeadroom, AMissingProbeIsUnmeasurable) {
    SafeLaunchOptions o;
    o.probe_path = test::exe_dir() + "\\no-such-probe-4711.exe";
    TrialHeadroom trial(exits_with("0"), o);
    const auto reading = trial.read(16);
    EXPECT_FALSE(reading.fits);
    ASSERT_TRUE(reading.unmeasurable);
    EXPECT_NE(reading.unmeasurable->find("canary not run"), std::string::npos) << *reading.unmeasurable;
}

// safe_launch() with the default (trial) source: admitted at once under Wine.
TEST(Admission, TheDefaultTrialSourceAdmitsUnderWine) {
    SafeLaunchOptions o;
    o.probe_path = tool_path("safelaunch-probe");
    o.admission = policy(5s);
    int announced = 0;
    o.admission_announce = [&](const AdmissionWait&) { ++announced; };
    const auto out = safe_launch_and_wait(exits_with("5"), o);
    EXPECT_EQ(out.exit_code, 5u);
    ASSERT_TRUE(out.admission);
    EXPECT_TRUE(out.admission->admitted);
    EXPECT_EQ(out.admission->waits, 0u);
    EXPECT_EQ(announced, 0);
}

// The probe missing: refused at once (no hold) as headroom_unknown, not no_headroom.
TEST(Admission, AMissingProbeRefusesAtOnceAsUnknown) {
    SafeLaunchOptions o;
    o.probe_path = test::exe_dir() + "\\no-such-probe-4711.exe";
    o.admission = policy(60s);
    const auto t0 = std::chrono::steady_clock::now();
    const auto out = safe_launch_and_wait(exits_with("0"), o);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 30s);
    ASSERT_TRUE(out.not_started);
    EXPECT_EQ(*out.not_started, NotStartedReason::headroom_unknown);
    EXPECT_TRUE(has_finding(out, "heap.desktop.headroom_unknown"));
    EXPECT_FALSE(has_finding(out, "heap.desktop.no_headroom"));
    ASSERT_TRUE(out.admission);
    EXPECT_EQ(out.admission->waits, 0u);
    EXPECT_FALSE(out.exit_code);
}

// `run --json --hold-for-headroom`: admitted at once under Wine, the child's exit code, and the
// "admission" object's shape.
TEST(RunAdmission, JsonCarriesTheAdmission) {
    const auto [code, text] = test::run_tool_capture(
        {"run", "--json", "--hold-for-headroom=5", "--need-kb", "16", "--", child_path("child_exit"), "3"});
    EXPECT_EQ(code, 3u) << text;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    ASSERT_TRUE(j.contains("admission")) << text;
    const auto& a = j["admission"];
    ASSERT_TRUE(a.is_object()) << text;
    EXPECT_EQ(a["admitted"], true);
    EXPECT_EQ(a["waits"], 0);
    EXPECT_TRUE(a["waited_ms"].is_number_integer());
    EXPECT_EQ(a["kb_needed"], 16);
    EXPECT_TRUE(a["last_free_kb"].is_null());
    EXPECT_EQ(a["hold_s"], 5.0);
    EXPECT_EQ(j["exit_code"], 3);
}

TEST(RunAdmission, DefaultsWithoutAValue) {
    const auto [code, text] =
        test::run_tool_capture({"run", "--json", "--hold-for-headroom", "--", child_path("child_exit"), "0"});
    EXPECT_EQ(code, 0u) << text;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    EXPECT_EQ(j["admission"]["hold_s"], 60.0);
    EXPECT_EQ(j["admission"]["kb_needed"], 7) << "the heap model's per-process cost";
    EXPECT_EQ(j["admission"]["admitted"], true);
}

TEST(RunAdmission, WithoutTheOptionAdmissionIsNull) {
    const auto [code, text] = test::run_tool_capture({"run", "--json", "--", child_path("child_exit"), "0"});
    EXPECT_EQ(code, 0u) << text;
    const auto j = nlohmann::json::parse(text, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << text;
    ASSERT_TRUE(j.contains("admission"));
    EXPECT_TRUE(j["admission"].is_null());
}

std::string read_and_delete(const std::string& path) {
    std::string text;
    {
        std::ifstream in(path, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        text = s.str();
    }
    ::DeleteFileA(path.c_str());
    return text;
}

struct ToolRun {
    std::uint32_t code = 0;
    std::string out, err;
};

// `program` (a copy of safelaunch.exe) with `args`, stdout and stderr captured.
ToolRun run_copy(const std::string& program, std::vector<std::string> args) {
    const auto base = test::exe_dir() + "\\" + test::unique_name("admission-run");
    LaunchRequest r;
    r.program = program;
    r.args = std::move(args);
    r.stdio.out.kind = StdStream::Kind::file;
    r.stdio.out.path = base + ".out";
    r.stdio.err.kind = StdStream::Kind::file;
    r.stdio.err.path = base + ".err";
    ToolRun t;
    t.code = launch_process(r).wait();
    t.out = read_and_delete(base + ".out");
    t.err = read_and_delete(base + ".err");
    return t;
}

// safelaunch.exe copied to a folder without safelaunch-probe.exe: the trial cannot run, so `run`
// refuses at once with heap.desktop.headroom_unknown and exits 125, instead of holding 30 s.
class RunWithoutProbe : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = test::exe_dir() + "\\" + test::unique_name("no-probe");
        ASSERT_TRUE(::CreateDirectoryA(dir_.c_str(), nullptr)) << ::GetLastError();
        tool_ = dir_ + "\\safelaunch.exe";
        ASSERT_TRUE(::CopyFileA(tool_path("safelaunch").c_str(), tool_.c_str(), TRUE)) << ::GetLastError();
    }
    void TearDown() override {
        ::DeleteFileA(tool_.c_str());
        ::RemoveDirectoryA(dir_.c_str());
    }
    std::string dir_, tool_;
};

TEST_F(RunWithoutProbe, JsonSaysHeadroomUnknownAndExits125) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto t = run_copy(tool_, {"run", "--json", "--hold-for-headroom=30", "--", child_path("child_exit"), "0"});
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 20s) << "refused at once, not after the hold";
    EXPECT_EQ(t.code, 125u) << t.out << t.err;
    const auto j = nlohmann::json::parse(t.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << t.out;
    EXPECT_EQ(j["not_started"], "headroom_unknown");
    EXPECT_EQ(j["verdict"], "blocked");
    EXPECT_TRUE(j["exit_code"].is_null());
    EXPECT_EQ(j["admission"]["admitted"], false);
    EXPECT_EQ(j["admission"]["waits"], 0);
    const auto& findings = j["findings"];
    EXPECT_TRUE(std::any_of(findings.begin(), findings.end(),
                            [](const nlohmann::json& f) { return f["id"] == "heap.desktop.headroom_unknown"; }))
        << t.out;
}

TEST_F(RunWithoutProbe, HumanReportNamesTheFindingOnStderr) {
    const auto t = run_copy(tool_, {"run", "--hold-for-headroom=30", "--", child_path("child_exit"), "0"});
    EXPECT_EQ(t.code, 125u) << t.err;
    EXPECT_TRUE(t.out.empty()) << t.out;
    EXPECT_NE(t.err.find("safelaunch: admission verdict: blocked"), std::string::npos) << t.err;
    EXPECT_NE(t.err.find("heap.desktop.headroom_unknown"), std::string::npos) << t.err;
    EXPECT_NE(t.err.find("safelaunch: not started: the desktop's headroom could not be measured"), std::string::npos)
        << t.err;
    EXPECT_NE(t.err.find("canary not run"), std::string::npos) << t.err;
    EXPECT_EQ(t.err.find("safelaunch: holding:"), std::string::npos) << "no wait for a probe that is missing";
}

}  // namespace
}  // namespace safelaunch::win32
