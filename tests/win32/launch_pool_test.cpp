// The desktop pool on Windows (issue 8 part 2) under Wine: leases reuse one desktop, different
// keys never share, a full pool refuses without making a station, idle desktops are torn down by
// the reaper, the journal is there while a desktop lives and gone after, and a killed launcher's
// entries are dropped by repair once its objects have gone. Every test ends with no station of
// its pool left (enumerated).
#include "safelaunch/desktop_pool.hpp"
#include "safelaunch/pool_journal.hpp"
#include "safelaunch/win32/launch_pool.hpp"
#include "safelaunch/win32/pool_journal.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "grant_journal_support.hpp"
#include "station_watch.hpp"
#include "test_support.hpp"
#include "tool_run.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::win32 {
namespace {

using namespace std::chrono_literals;
namespace tj = safelaunch::test::journal;

std::string child_sid() {
    const auto token = duplicate_own_token(true);
    std::error_code ec;
    auto sid = private_desktop_sid_of(token.get(), ec);
    EXPECT_FALSE(ec) << ec.message();
    return sid;
}

using test::contains;
using test::gone_within;

std::string station_of(const std::string& lp_desktop) { return lp_desktop.substr(0, lp_desktop.find('\\')); }

// A pool journal folder of the test's own ("<temp>\<unique>\pool"), removed with what is in it.
struct PoolDir {
    tj::JournalDir grants;  // sets SAFELAUNCH_JOURNAL_DIR, so safelaunch.exe children use it too
    std::string path = grants.path + "\\pool";
    PoolDir() { ::CreateDirectoryW(tj::wide(path).c_str(), nullptr); }
    ~PoolDir() {
        for (const auto& f : files()) ::DeleteFileW(tj::wide(path + "\\" + f).c_str());
        ::RemoveDirectoryW(tj::wide(path).c_str());
    }
    [[nodiscard]] std::vector<std::string> files() const {
        std::vector<std::string> names;
        WIN32_FIND_DATAW found{};
        const HANDLE find = ::FindFirstFileW(tj::wide(path + "\\*").c_str(), &found);
        if (find == INVALID_HANDLE_VALUE) return names;
        do {
            if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY))
                names.push_back(boost::nowide::narrow(found.cFileName));
        } while (::FindNextFileW(find, &found));
        ::FindClose(find);
        return names;
    }
};

LaunchPoolOptions options_for(const PoolDir& dir, std::string name, PoolPolicy policy = {}) {
    return LaunchPoolOptions{std::move(name), policy, dir.path};
}

LaunchRequest pooled_request(const std::string& pool, std::uint32_t heap_kb = 512) {
    LaunchRequest r;
    r.program = test::child_path("child_exit");
    r.args = {"0"};
    r.private_desktop = PrivateDesktopSpec{heap_kb, pool};
    return r;
}

TEST(LaunchPool, SequentialLaunchesGetTheSameDesktop) {
    PoolDir dir;
    std::string station;
    {
        LaunchPool pool(options_for(dir, "seq"));
        SafeLaunchOptions o;
        o.pool = &pool;
        const auto first = safe_launch_and_wait(pooled_request("seq"), o);
        const auto second = safe_launch_and_wait(pooled_request("seq"), o);
        ASSERT_EQ(first.exit_code, 0u) << (first.failure ? first.failure->describe() : "");
        ASSERT_EQ(second.exit_code, 0u);
        ASSERT_TRUE(first.placement.pool && second.placement.pool);
        ASSERT_TRUE(first.placement.lp_desktop && second.placement.lp_desktop);
        EXPECT_EQ(*first.placement.lp_desktop, *second.placement.lp_desktop);
        EXPECT_FALSE(first.placement.pool->reused);
        EXPECT_TRUE(second.placement.pool->reused);
        EXPECT_EQ(first.placement.pool->lease_number, 1u);
        EXPECT_EQ(second.placement.pool->lease_number, 2u);
        EXPECT_EQ(second.placement.pool->pool, "seq");
        EXPECT_EQ(second.placement.pool->desktops, 1u);
        EXPECT_EQ(second.placement.kind, Placement::private_desktop);
        ASSERT_TRUE(second.placement.private_desktop);
        EXPECT_EQ(second.placement.private_desktop->pool, "seq");
        station = first.placement.pool->station;
        EXPECT_TRUE(contains(enumerate_window_stations(), station));  // kept between launches
        const auto j = nlohmann::json(second.placement);
        EXPECT_EQ(j.at("pool").at("reused"), true);
        EXPECT_EQ(j.at("pool").at("station"), station);
    }
    EXPECT_TRUE(gone_within(station, 5s)) << station;
}

TEST(LaunchPool, DifferentHeapSizesNeverShare) {
    PoolDir dir;
    std::vector<std::string> stations;
    {
        LaunchPool pool(options_for(dir, "keys"));
        const auto sid = child_sid();
        auto small = pool.acquire({sid, 512});
        auto large = pool.acquire({sid, 1024});
        ASSERT_TRUE(small.lease && large.lease);
        EXPECT_NE(small.lease->lp_desktop(), large.lease->lp_desktop());
        const auto small_desktop = small.lease->lp_desktop();
        stations = {small.lease->placement().station, large.lease->placement().station};
        small.lease->release();
        large.lease->release();
        auto again = pool.acquire({sid, 512});  // the idle 512 KB desktop, not the 1024 KB one
        ASSERT_TRUE(again.lease);
        EXPECT_EQ(again.lease->lp_desktop(), small_desktop);
        EXPECT_TRUE(again.lease->placement().reused);
        EXPECT_EQ(pool.stats().desktops, 2u);
    }
    for (const auto& s : stations) EXPECT_TRUE(gone_within(s, 5s)) << s;
}

TEST(LaunchPool, FullPoolRefusesWithoutANewStation) {
    PoolDir dir;
    PoolPolicy policy;
    policy.max_desktops = 1;
    policy.children_per_desktop = 1;
    std::string station;
    {
        LaunchPool pool(options_for(dir, "cap", policy));
        auto held = pool.acquire({child_sid(), 512});
        ASSERT_TRUE(held.lease);
        station = held.lease->placement().station;
        const auto before = enumerate_window_stations();
        // Through safe_launch: refused, placement_failed, desktop.pool.full among the placement's findings.
        SafeLaunchOptions o;
        o.pool = &pool;
        const auto out = safe_launch_and_wait(pooled_request("cap"), o);
        EXPECT_EQ(out.not_started, NotStartedReason::placement_failed);
        EXPECT_FALSE(out.exit_code);
        EXPECT_TRUE(std::any_of(out.placement.findings.begin(), out.placement.findings.end(),
                                [](const Finding& f) { return f.id == "desktop.pool.full"; }));
        ASSERT_TRUE(out.failure);
        EXPECT_NE(out.failure->object.find("desktop.pool.full"), std::string::npos) << out.failure->describe();
        // A wait with a timeout: still full after it, and still no new station.
        auto waited = pool.acquire_for({child_sid(), 512}, 200ms);
        EXPECT_EQ(waited.status, PoolAcquireStatus::full);
        EXPECT_GE(waited.waited, 150ms);
        // Other test processes' stations come and go meanwhile (ctest -j), so the listing alone
        // cannot judge: every station that appeared is not this pool's, the pool holds only the
        // first, and its journal (written before any create) has that one station's two entries.
        const auto after = enumerate_window_stations();
        for (const auto& name : after) {
            if (contains(before, name)) continue;
            EXPECT_FALSE(contains(pool.live_stations(), name)) << name;
        }
        EXPECT_TRUE(contains(after, station));
        EXPECT_EQ(pool.live_stations(), std::vector<std::string>{station});
        EXPECT_EQ(dir.files().size(), 2u);
        EXPECT_EQ(pool.stats().desktops, 1u);
    }
    EXPECT_TRUE(gone_within(station, 5s)) << station;
}

TEST(LaunchPool, IdleDesktopIsTornDownByTheReaper) {
    PoolDir dir;
    PoolPolicy policy;
    policy.idle_timeout = 200ms;
    LaunchPool pool(options_for(dir, "idle", policy));
    std::string station;
    {
        auto got = pool.acquire({child_sid(), 512});
        ASSERT_TRUE(got.lease);
        station = got.lease->placement().station;
        std::this_thread::sleep_for(400ms);  // leased: never reaped, however long
        EXPECT_TRUE(contains(enumerate_window_stations(), station));
    }  // released: idle from now
    EXPECT_TRUE(gone_within(station, 5s)) << station;
    // The reaper counts after its reap_idle() returns (the journal entries are removed in it).
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (pool.reaped() == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(20ms);
    EXPECT_EQ(pool.reaped(), 1u);
    EXPECT_EQ(pool.stats().desktops, 0u);
    EXPECT_TRUE(dir.files().empty());  // the journal entries went with it
}

TEST(LaunchPool, JournalWrittenWhileHeldAndGoneAfter) {
    PoolDir dir;
    std::string station;
    {
        LaunchPool pool(options_for(dir, "journal"));
        const auto sid = child_sid();
        auto got = pool.acquire({sid, 768});
        ASSERT_TRUE(got.lease);
        station = got.lease->placement().station;
        std::error_code ec;
        const auto listing = read_pool_journal(dir.path, ec);
        ASSERT_FALSE(ec);
        EXPECT_TRUE(listing.corrupt.empty());
        ASSERT_EQ(listing.entries.size(), 2u);
        std::vector<std::string> names;
        for (const auto& f : listing.entries) {
            EXPECT_EQ(f.entry.owner_pid, ::GetCurrentProcessId());
            EXPECT_EQ(f.entry.pool, "journal");
            EXPECT_EQ(f.entry.key_sid, sid);
            EXPECT_EQ(f.entry.heap_kb, 768u);
            EXPECT_EQ(f.trust, EntryTrust::trusted);
            names.push_back(f.entry.object_name);
        }
        std::sort(names.begin(), names.end());
        EXPECT_EQ(names, (std::vector<std::string>{station, station + "\\Desktop"}));
        EXPECT_EQ(pool.journal_files().size(), 2u);
        // Repair leaves a live launcher's entries alone.
        const auto report = repair_pool_journal(dir.path, ec);
        ASSERT_EQ(report.items.size(), 2u);
        for (const auto& i : report.items) EXPECT_EQ(i.step.decision, PoolEntryDecision::owned) << i.step.report;
        EXPECT_EQ(dir.files().size(), 2u);
    }
    EXPECT_TRUE(dir.files().empty());
    EXPECT_TRUE(gone_within(station, 5s)) << station;
}

// A standard user's pool (forced here: Wine runs as an administrator): the desktops go on the
// logon session's station, which is shared, so only the desktop is journaled and only the desktop
// ends with the pool.
TEST(LaunchPool, OnTheLogonSessionStationOnlyTheDesktopIsJournaled) {
    PoolDir dir;
    auto options = options_for(dir, "session");
    options.desktop.force_logon_session_station = true;
    std::string station, desktop;
    {
        LaunchPool pool(options);
        const auto sid = child_sid();
        auto got = pool.acquire({sid, 512});
        ASSERT_TRUE(got.lease) << (got.failure ? got.failure->error : "");
        station = got.lease->placement().station;
        desktop = got.lease->lp_desktop().substr(station.size() + 1);
        EXPECT_NE(station.rfind(std::string(kPrivateStationPrefix), 0), 0u) << station << ": a station of our own";
        EXPECT_EQ(desktop.rfind(std::string(kPrivateStationPrefix), 0), 0u) << desktop << ": not a random name";
        std::error_code ec;
        const auto listing = read_pool_journal(dir.path, ec);
        ASSERT_FALSE(ec);
        ASSERT_EQ(listing.entries.size(), 1u);
        EXPECT_EQ(listing.entries[0].entry.object_name, got.lease->lp_desktop());
        EXPECT_EQ(listing.entries[0].entry.object_kind, ObjectKind::desktop);
        const auto winsta = open_window_station(station, WINSTA_ENUMDESKTOPS);
        EXPECT_TRUE(contains(enumerate_desktops(winsta.get()), desktop)) << desktop;
    }
    EXPECT_TRUE(dir.files().empty());
    // The pool's desktop is gone. The station went too when our handle was its last (under Wine
    // the pool's CreateWindowStationW(NULL) made it); where it stays, the desktop is not on it.
    std::error_code ec;
    const auto winsta = open_window_station(station, WINSTA_ENUMDESKTOPS, ec);
    if (!ec) EXPECT_FALSE(contains(enumerate_desktops(winsta.get()), desktop)) << desktop;
    else EXPECT_EQ(ec.value(), ERROR_FILE_NOT_FOUND) << ec.message();
}

TEST(LaunchPool, RefusedWithoutAPoolOrForAnotherPool) {
    PoolDir dir;
    const auto none = safe_launch_and_wait(pooled_request("nopool"), SafeLaunchOptions{});
    EXPECT_EQ(none.not_started, NotStartedReason::placement_failed);
    ASSERT_TRUE(none.failure);
    EXPECT_NE(none.failure->object.find("desktop.private.pool_unavailable"), std::string::npos)
        << none.failure->describe();
    ASSERT_EQ(none.placement.findings.size(), 1u);
    EXPECT_EQ(none.placement.findings[0].id, "desktop.private.pool_unavailable");
    LaunchPool pool(options_for(dir, "mine"));
    SafeLaunchOptions o;
    o.pool = &pool;
    const auto other = safe_launch_and_wait(pooled_request("theirs"), o);
    EXPECT_EQ(other.not_started, NotStartedReason::placement_failed);
    ASSERT_TRUE(other.failure);
    EXPECT_NE(other.failure->object.find("'mine'"), std::string::npos) << other.failure->describe();
    EXPECT_EQ(pool.stats().desktops, 0u);  // nothing was made for it
}

// `safelaunch run OPTIONS -- child_sleep MS` started, and waited for (30 s at most) until its
// pool has journaled a station and a desktop: two entries read back, not two files (an entry is
// written as "<id>.tmp" and then renamed).
Child start_pooled_launcher(const PoolDir& dir, std::vector<std::string> options, const std::string& sleep_ms) {
    LaunchRequest r;
    r.program = test::tool_path("safelaunch");
    r.args = {"run"};
    r.args.insert(r.args.end(), options.begin(), options.end());
    r.args.insert(r.args.end(), {"--", test::child_path("child_sleep"), sleep_ms});
    r.stdio.out.kind = StdStream::Kind::null;
    r.stdio.err.kind = StdStream::Kind::null;
    auto launcher = launch_process(r);
    const auto end = std::chrono::steady_clock::now() + 30s;
    const auto entries = [&dir] {
        std::error_code ec;
        return read_pool_journal(dir.path, ec).entries.size();
    };
    while (entries() < 2 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(50ms);
    return launcher;
}

TEST(LaunchPoolRepair, KilledLauncherEntriesAreDroppedOnceItsObjectsAreGone) {
    PoolDir dir;
    auto launcher = start_pooled_launcher(dir, {"--pool", "killed", "--private-desktop"}, "60000");
    ASSERT_EQ(dir.files().size(), 2u);
    std::error_code ec;
    auto listing = read_pool_journal(dir.path, ec);
    ASSERT_EQ(listing.entries.size(), 2u);
    const auto station = station_of(listing.entries.front().entry.object_name);
    EXPECT_EQ(listing.entries.front().entry.owner_pid, launcher.pid());
    std::this_thread::sleep_for(500ms);  // the child is on the desktop by now
    launcher.terminate(1, ec);
    ASSERT_FALSE(ec) << ec.message();
    (void)launcher.wait(ec);
    // Its handles closed; its child was in its kill-on-close job: the station goes.
    EXPECT_TRUE(gone_within(station, 10s)) << station;
    EXPECT_EQ(dir.files().size(), 2u);  // the record the killed launcher left

    const auto [code, text] = test::run_tool_capture({"repair", "--json"});
    EXPECT_EQ(code, 0u) << text;
    const auto j = nlohmann::json::parse(text);
    ASSERT_EQ(j.at("pool").at("entries").size(), 2u) << text;
    for (const auto& e : j.at("pool").at("entries")) {
        EXPECT_EQ(e.at("decision"), "vanished") << e.dump();
        EXPECT_EQ(e.at("dropped"), true);
        EXPECT_EQ(e.at("pool"), "killed");
    }
    EXPECT_TRUE(dir.files().empty());
}

// A launcher killed while its child (not in a job: --no-contain-tree) still runs on the pooled
// desktop: the station outlives it, repair reports it held and keeps the entries (exit 1), and
// drops them once the child has ended and taken the station with it.
TEST(LaunchPoolRepair, AStationAChildKeepsAliveIsReportedThenDroppedOnceItEnds) {
    PoolDir dir;
    auto launcher = start_pooled_launcher(dir, {"--pool", "held", "--private-desktop", "--no-contain-tree"}, "8000");
    ASSERT_EQ(dir.files().size(), 2u);
    std::error_code ec;
    const auto listing = read_pool_journal(dir.path, ec);
    ASSERT_EQ(listing.entries.size(), 2u);
    const auto station = station_of(listing.entries.front().entry.object_name);
    std::this_thread::sleep_for(1500ms);  // the child has started and connected (it imports user32)
    launcher.terminate(1, ec);
    ASSERT_FALSE(ec) << ec.message();
    (void)launcher.wait(ec);
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(contains(enumerate_window_stations(), station)) << "the child should keep " << station;

    const auto first = repair_pool_journal(dir.path, ec);
    ASSERT_FALSE(ec);
    ASSERT_EQ(first.items.size(), 2u);
    const auto item_of = [](const PoolRepairReport& report, ObjectKind kind) -> const PoolRepairReport::Item* {
        for (const auto& i : report.items)
            if (i.file.entry.object_kind == kind) return &i;
        return nullptr;
    };
    const auto* station_item = item_of(first, ObjectKind::window_station);
    const auto* desktop_item = item_of(first, ObjectKind::desktop);
    ASSERT_TRUE(station_item && desktop_item);
    // The station: the child's process holds it.
    EXPECT_EQ(station_item->step.decision, PoolEntryDecision::held) << station_item->step.report;
    EXPECT_TRUE(station_item->step.needs_attention);
    EXPECT_FALSE(station_item->step.drop_entry);
    EXPECT_NE(station_item->step.report.find("kept alive by"), std::string::npos) << station_item->step.report;
    EXPECT_FALSE(first.all_repaired());
    const bool wine = ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
    const auto desktop_decision = desktop_item->step.decision;

    EXPECT_TRUE(gone_within(station, 20s)) << station;  // the child's 8 s are up
    const auto second = repair_pool_journal(dir.path, ec);
    for (const auto& i : second.items) EXPECT_EQ(i.step.decision, PoolEntryDecision::vanished) << i.step.report;
    EXPECT_TRUE(second.all_repaired());
    EXPECT_TRUE(dir.files().empty());

    // The desktop: on Windows the child's thread is on it (held). Wine's user32 does not connect a
    // child to a desktop with a deny ACE for it (platform-facts.md: it creates `Default` in the
    // station instead), so the pool's desktop went with the launcher's handle.
    if (wine) {
        EXPECT_EQ(desktop_decision, PoolEntryDecision::vanished) << desktop_item->step.report;
        GTEST_SKIP() << "Wine: the child is on the station's `Default`, not on the pooled desktop; that the desktop "
                        "entry is held while the child runs waits for Windows";
    }
    EXPECT_EQ(desktop_decision, PoolEntryDecision::held) << desktop_item->step.report;
}

}  // namespace
}  // namespace safelaunch::win32
