// Private desktops under Wine (and on Windows): unpredictable names, CWF_CREATE_ONLY against an
// existing station, the DACLs read back and enforced, the heap bound (Wine cannot: asserted, then
// skipped), a child really running there, and nothing left behind.
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/private_desktop.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/random_name.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "child_report.hpp"
#include "station_watch.hpp"
#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::win32 {
namespace {

using namespace std::chrono_literals;

struct Sids {
    std::string user;   // this process's user
    std::string child;  // this process's logon SID: the SID a RunAsCaller child carries
};

Sids own_sids() {
    const auto token = duplicate_own_token(true);
    std::error_code ec;
    Sids s;
    s.child = private_desktop_sid_of(token.get(), ec);
    EXPECT_FALSE(ec) << ec.message();
    s.user = own_user_sid(ec);
    EXPECT_FALSE(ec) << ec.message();
    return s;
}

using test::contains;
using test::gone_within;

TEST(RandomName, HexOfTheAskedLengthAndNeverTheSame) {
    const auto a = random_hex(16);
    const auto b = random_hex(16);
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
    EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos) << a;
}

TEST(PrivateDesktop, NamesAreUnpredictable) {
    const auto sids = own_sids();
    const auto one = create_private_desktop({}, sids.child, sids.user);
    const auto two = create_private_desktop({}, sids.child, sids.user);
    ASSERT_TRUE(one.valid());
    ASSERT_TRUE(two.valid());
    EXPECT_TRUE(is_private_station_name(one.facts().station)) << one.facts().station;  // prefix + 128 bits of hex
    EXPECT_TRUE(is_private_station_name(two.facts().station)) << two.facts().station;
    EXPECT_NE(one.facts().station, two.facts().station);
    EXPECT_EQ(one.lp_desktop(), one.facts().station + "\\Desktop");
    EXPECT_TRUE(contains(enumerate_window_stations(), one.facts().station));
    EXPECT_EQ(enumerate_desktops(one.station()), std::vector<std::string>{"Desktop"});
}

TEST(PrivateDesktop, AnExistingStationOfThatNameFailsLoudly) {
    const auto sids = own_sids();
    const auto name = test::unique_name("safelaunch-taken");
    const auto squatter = create_window_station(name);  // someone made it first
    std::error_code ec;
    ApiFailure failure;
    const auto desk = create_private_desktop_named({}, name, sids.child, sids.user, ec, &failure);
    EXPECT_FALSE(desk.valid());
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "CreateWindowStationW") << failure.describe();
    // Documented for CWF_CREATE_ONLY: the call fails; Wine and Windows say ERROR_ALREADY_EXISTS or
    // ERROR_ACCESS_DENIED.
    EXPECT_TRUE(ec.value() == ERROR_ALREADY_EXISTS || ec.value() == ERROR_ACCESS_DENIED) << failure.describe();
    // An administrator's refusal is a collision (Wine runs as one); anyone else's never is.
    std::error_code aec;
    const bool admin = launcher_is_administrator(aec);
    ASSERT_FALSE(aec);
    EXPECT_EQ(desk.facts().launcher_is_admin, admin);
    EXPECT_EQ(failure.object, named_station_refusal(name, admin, static_cast<std::uint32_t>(ec.value())));
    if (admin) {
        EXPECT_NE(failure.object.find("name collision"), std::string::npos) << failure.describe();
    }
    EXPECT_FALSE(desk.facts().created);
    EXPECT_EQ(desk.facts().station, name);
    EXPECT_EQ(enumerate_desktops(squatter.get()), std::vector<std::string>{}) << "no desktop was made in it";
}

TEST(PrivateDesktop, DaclsReadBackAsSetAndEnforced) {
    const auto sids = own_sids();
    std::error_code ec;
    ApiFailure failure;
    const auto desk = create_private_desktop({}, sids.child, sids.user, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    const auto& f = desk.facts();
    EXPECT_EQ(f.desktop_dacl_set, private_desktop_sddl(sids.user, sids.child));
    EXPECT_EQ(f.station_dacl_set, private_station_sddl(sids.user, sids.child));
    ASSERT_TRUE(f.desktop_dacl_read) << f.dacl_read_error.value_or("");
    ASSERT_TRUE(f.station_dacl_read);
    std::string why;
    EXPECT_TRUE(dacl_matches(f.desktop_dacl_set, *f.desktop_dacl_read, &why)) << why;
    EXPECT_TRUE(dacl_matches(f.station_dacl_set, *f.station_dacl_read, &why)) << why;
    // Wine ignores the descriptor given at creation (no SD at all): set afterwards, and said so.
    // Windows applies it at creation: nothing is set afterwards.
    if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version"))
        EXPECT_EQ(f.dacl_set_after_creation, (std::vector<std::string>{"station", "desktop"}));
    else
        EXPECT_TRUE(f.dacl_set_after_creation.empty());
    // Read again, independently of the facts.
    EXPECT_TRUE(dacl_matches(f.desktop_dacl_set, get_sddl(desk.desktop()).sddl, &why)) << why;
    // Enforced: this process holds the child's logon SID, so the deny binds it too (decided in
    // private_desktop.hpp); user32's rights are granted.
    const auto token = duplicate_own_token(true);
    const auto denied = access_check(token.get(), desk.desktop(), kPrivateDesktopChildDenied, ObjectKind::desktop);
    EXPECT_FALSE(denied.all_granted);
    EXPECT_EQ(denied.maximum_allowed & kPrivateDesktopChildDenied, 0u) << std::hex << denied.maximum_allowed;
    const auto needed = access_check(token.get(), desk.desktop(), kDesktopRightsNeeded & ~kPrivateDesktopChildDenied,
                                     ObjectKind::desktop);
    EXPECT_TRUE(needed.all_granted) << std::hex << needed.maximum_allowed;
    EXPECT_NE(needed.maximum_allowed & rights::kWriteDac, 0u) << "the launcher keeps full access otherwise";
}

TEST(PrivateDesktop, HeapIsBoundedOrSaysWhyNot) {
    const auto sids = own_sids();
    std::error_code ec;
    ApiFailure failure;
    const auto desk = create_private_desktop(PrivateDesktopSpec{1024, std::nullopt}, sids.child, sids.user, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    const auto& f = desk.facts();
    EXPECT_EQ(f.heap_kb_asked, 1024u);
    if (!can_bound_desktop_heap()) {
        // Wine: no CreateDesktopExW, and UOI_HEAPSIZE fails; recorded, not a failure.
        EXPECT_FALSE(f.heap_bounded);
        EXPECT_TRUE(f.heap_note);
        EXPECT_FALSE(f.heap_kb_read);
        ASSERT_TRUE(f.heap_read_error);
        EXPECT_NE(f.heap_read_error->find("87"), std::string::npos) << *f.heap_read_error;
        const auto findings = desk.findings();
        ASSERT_EQ(findings.size(), 1u);
        EXPECT_EQ(findings[0].id, "desktop.private.heap_unbounded");
        GTEST_SKIP() << "CreateDesktopExW is missing here (Wine): the heap bound and its read-back wait for Windows";
    }
    EXPECT_TRUE(f.heap_bounded);
    ASSERT_TRUE(f.heap_kb_read) << f.heap_read_error.value_or("");
    EXPECT_EQ(*f.heap_kb_read, 1024u);
    EXPECT_TRUE(desk.findings().empty());
}

TEST(PrivateDesktop, ClosedObjectsAreGone) {
    const auto sids = own_sids();
    auto desk = create_private_desktop({}, sids.child, sids.user);
    const auto station = desk.facts().station;
    EXPECT_TRUE(contains(enumerate_window_stations(), station));
    desk.close();
    EXPECT_FALSE(desk.valid());
    EXPECT_TRUE(gone_within(station, 3s)) << station;
}

// Issue 8 part 1 correction: a launcher that is not an administrator may not name a station, so
// it gets the logon session's (CreateWindowStationW(NULL)) with a randomly named desktop on it.
// Wine lets anyone name a station and runs as an administrator: the path is forced here.
PrivateDesktop session_desktop(const Sids& sids) {
    std::error_code ec;
    ApiFailure failure;
    PrivateDesktopOptions options;
    options.force_logon_session_station = true;
    auto desk = create_private_desktop({}, sids.child, sids.user, options, ec, &failure);
    EXPECT_FALSE(ec) << failure.describe();
    return desk;
}

bool desktop_gone_within(HWINSTA station, const std::string& desktop, std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (contains(enumerate_desktops(station), desktop)) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

TEST(PrivateDesktopStationSource, DefaultFollowsAdministratorsMembership) {
    std::error_code ec;
    ApiFailure failure;
    const bool admin = launcher_is_administrator(ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    std::cout << "launcher_is_administrator: " << admin << "\n";
    const auto sids = own_sids();
    const auto desk = create_private_desktop({}, sids.child, sids.user, ec, &failure);
    ASSERT_FALSE(ec) << failure.describe();
    EXPECT_EQ(desk.facts().launcher_is_admin, admin);
    EXPECT_EQ(desk.facts().station_source, choose_station_source(admin));
}

TEST(PrivateDesktopStationSource, LogonSessionStationWithARandomDesktop) {
    const auto sids = own_sids();
    const auto desk = session_desktop(sids);
    ASSERT_TRUE(desk.valid());
    const auto& f = desk.facts();
    EXPECT_EQ(f.station_source, StationSource::logon_session);
    // The system names it after the logon session (AuthenticationId): Service-0x<high>-<low>$.
    const auto token = duplicate_own_token(true);
    const auto luid = gather_token_facts(token.get()).logon_luid;
    EXPECT_EQ(f.station, fmt::format("Service-0x{:x}-{:x}$", luid >> 32, luid & 0xffffffffu));
    ASSERT_TRUE(f.station_dacl_read);
    if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) {
        // Wine ignores the descriptor given at creation: the station has none (read back as "").
        EXPECT_EQ(*f.station_dacl_read, "");
        EXPECT_EQ(f.dacl_set_after_creation, std::vector<std::string>{"desktop"}) << "the shared station is never set";
    }
    EXPECT_TRUE(is_private_station_name(f.desktop)) << f.desktop;
    EXPECT_EQ(desk.lp_desktop(), f.station + "\\" + f.desktop);
    EXPECT_TRUE(f.created);
    ASSERT_TRUE(f.desktop_dacl_read) << f.dacl_read_error.value_or("");
    std::string why;
    EXPECT_TRUE(dacl_matches(f.desktop_dacl_set, *f.desktop_dacl_read, &why)) << why;
    EXPECT_TRUE(dacl_matches(f.desktop_dacl_set, get_sddl(desk.desktop()).sddl, &why)) << why;
    std::vector<std::string> ids;
    for (const auto& x : desk.findings()) ids.push_back(x.id);
    EXPECT_TRUE(contains(ids, "desktop.private.session_station"));
    EXPECT_FALSE(contains(ids, "desktop.private.station_denies_child"));
    EXPECT_TRUE(contains(enumerate_desktops(desk.station()), f.desktop));
}

TEST(PrivateDesktopStationSource, TwoAtOnceShareTheStationNotTheDesktop) {
    const auto sids = own_sids();
    const auto one = session_desktop(sids);
    const auto two = session_desktop(sids);
    ASSERT_TRUE(one.valid());
    ASSERT_TRUE(two.valid());
    EXPECT_EQ(one.facts().station, two.facts().station);
    EXPECT_NE(one.facts().desktop, two.facts().desktop);
    const auto desktops = enumerate_desktops(one.station());
    EXPECT_TRUE(contains(desktops, one.facts().desktop));
    EXPECT_TRUE(contains(desktops, two.facts().desktop));
}

TEST(PrivateDesktopStationSource, ClosedDesktopIsGoneFromTheSharedStation) {
    const auto sids = own_sids();
    auto stays = session_desktop(sids);
    auto goes = session_desktop(sids);
    ASSERT_TRUE(stays.valid());
    ASSERT_TRUE(goes.valid());
    const auto name = goes.facts().desktop;
    goes.close();
    EXPECT_TRUE(desktop_gone_within(stays.station(), name, 3s)) << name;
    EXPECT_TRUE(contains(enumerate_desktops(stays.station()), stays.facts().desktop));
    // The last one closed: a later desktop on the station finds neither (the station itself may
    // stay: other processes of this logon session may hold it).
    const auto last = stays.facts().desktop;
    stays.close();
    const auto later = session_desktop(sids);
    ASSERT_TRUE(later.valid());
    EXPECT_TRUE(desktop_gone_within(later.station(), last, 3s)) << last;
    EXPECT_FALSE(contains(enumerate_desktops(later.station()), name)) << name;
}

using test::read_report;

std::string temp_file(const std::string& stem) {
    std::wstring dir(MAX_PATH + 1, L'\0');
    dir.resize(::GetTempPathW(static_cast<DWORD>(dir.size()), dir.data()));
    return boost::nowide::narrow(dir) + test::unique_name(stem) + ".txt";
}

// Stations are compared by the name this launch made, never by a listing of all private stations:
// other test processes create and destroy theirs at the same time (seen at -j2: a station of
// another test was in `before` and gone by the end).
TEST(PrivateDesktopLaunch, ChildRunsThereAndNothingIsLeftBehind) {
    const auto out_path = temp_file("private-report");
    LaunchRequest request;
    request.program = test::child_path("child_report");
    request.args = {out_path, "-"};
    request.private_desktop = PrivateDesktopSpec{};
    const auto out = safe_launch_and_wait(request);
    ASSERT_FALSE(out.not_started) << (out.failure ? out.failure->describe() : std::string());
    ASSERT_EQ(out.exit_code, 0u);
    EXPECT_EQ(out.placement.kind, Placement::private_desktop);
    ASSERT_TRUE(out.placement.private_desktop);
    const auto& f = *out.placement.private_desktop;
    EXPECT_TRUE(f.created);
    EXPECT_EQ(out.placement.lp_desktop, f.lp_desktop());
    // The pre-flight looked at the private desktop, as the child's own token.
    EXPECT_EQ(out.preflight.facts.target.station, f.station);
    EXPECT_EQ(out.preflight.facts.target.desktop, "Desktop");
    EXPECT_EQ(out.preflight.analysis.verdict, Verdict::ok) << nlohmann::json(out.preflight.analysis.preflight).dump();
    const auto report = read_report(out_path);
    ::DeleteFileW(boost::nowide::widen(out_path).c_str());
    EXPECT_TRUE(gone_within(f.station, 3s)) << f.station;
    EXPECT_EQ(report.value("station", ""), f.station) << report.dump();
    if (::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version")) {
        // Wine's user32 opens the desktop asking for every right, so any deny ACE for the child
        // (even JOURNALRECORD alone, measured) fails its open, and Wine then creates "Default" in
        // the station (which grants WINSTA_CREATEDESKTOP). Windows connects with MAXIMUM_ALLOWED.
        EXPECT_EQ(report.value("desktop", ""), "Default") << report.dump();
        GTEST_SKIP() << "Wine sends a child that is denied any desktop right to a desktop it creates; the child "
                        "on the private desktop itself waits for Windows";
    }
    EXPECT_EQ(report.value("desktop", ""), "Desktop") << report.dump();
}

// The launch plumbing without the deny ACE (which Wine cannot take, see above): a child given the
// private desktop's lpDesktop is on that desktop.
TEST(PrivateDesktopLaunch, ChildIsGivenThePrivateLpDesktop) {
    const auto sids = own_sids();
    const auto desk = create_private_desktop({}, sids.child, sids.user);
    const auto allow_only = std::string("D:P(A;;0xf01ff;;;SY)(A;;0xf01ff;;;") + sids.user + ")(A;;" +
                            std::to_string(kDesktopRightsNeeded) + ";;;" + sids.child + ")";
    set_dacl_from_sddl(desk.desktop(), allow_only);
    const auto out_path = temp_file("private-lp");
    LaunchRequest r;
    r.program = test::child_path("child_report");
    r.args = {out_path, "-"};
    r.desktop = desk.lp_desktop();
    auto child = launch_process(r);
    EXPECT_EQ(child.wait(), 0u);
    const auto report = read_report(out_path);
    ::DeleteFileW(boost::nowide::widen(out_path).c_str());
    EXPECT_EQ(report.value("station", ""), desk.facts().station) << report.dump();
    EXPECT_EQ(report.value("desktop", ""), "Desktop") << report.dump();
}

TEST(PrivateDesktopLaunch, DesktopAndPrivateDesktopTogetherAreRefused) {
    LaunchRequest request;
    request.program = test::child_path("child_exit");
    request.desktop = "WinSta0\\Default";
    request.private_desktop = PrivateDesktopSpec{};
    const auto out = safe_launch_and_wait(request);
    ASSERT_TRUE(out.not_started);
    EXPECT_EQ(*out.not_started, NotStartedReason::placement_failed);
    ASSERT_TRUE(out.failure);
    EXPECT_EQ(out.failure->code.value(), ERROR_INVALID_PARAMETER);
    EXPECT_FALSE(out.exit_code);
    EXPECT_FALSE(out.placement.private_desktop) << "nothing was created: no creation facts";
}

TEST(PrivateDesktopLaunch, APoolIsRefusedNotPlacedElsewhere) {
    LaunchRequest request;
    request.program = test::child_path("child_exit");
    request.private_desktop = PrivateDesktopSpec{512, "ci"};
    const auto out = safe_launch_and_wait(request);
    ASSERT_TRUE(out.not_started);
    EXPECT_EQ(*out.not_started, NotStartedReason::placement_failed);
    ASSERT_TRUE(out.failure);
    EXPECT_EQ(out.failure->code.value(), ERROR_NOT_SUPPORTED);
    EXPECT_NE(out.failure->describe().find("'ci'"), std::string::npos) << out.failure->describe();
    EXPECT_FALSE(out.placement.private_desktop) << "nothing was created: no creation facts";
}

}  // namespace
}  // namespace safelaunch::win32
