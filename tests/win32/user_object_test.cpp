// Window stations and desktops: create, read back, enumerate, open relative to a station, clean up.
#include "safelaunch/win32/user_object.hpp"

#include "safelaunch/analysis.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"

#include "test_support.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <iostream>

namespace sl = safelaunch;
namespace w = safelaunch::win32;

namespace {

// Unique per process and per call, so parallel test runs never share an object.
std::string unique_name(const char* what) { return safelaunch::test::unique_name("sl-d-" + std::string(what)); }

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

bool under_wine() { return w::wine_version().has_value(); }

}  // namespace

TEST(UserObject, CreatedStationAndDesktopReadBackNameTypeFlags) {
    const auto station_name = unique_name("ws");
    const auto desktop_name = unique_name("desk");
    const auto station = w::create_window_station(station_name);
    const auto created = w::create_desktop(station.get(), desktop_name);

    std::error_code ec;
    EXPECT_EQ(w::object_name(station.get(), ec), station_name);
    EXPECT_EQ(w::object_type(station.get(), ec), "WindowStation");
    EXPECT_EQ(w::object_flags(station.get(), ec) & WSF_VISIBLE, 0u) << "a new station is not interactive";
    EXPECT_FALSE(ec);
    EXPECT_EQ(w::object_name(created.desktop.get(), ec), desktop_name);
    EXPECT_EQ(w::object_type(created.desktop.get(), ec), "Desktop");
    EXPECT_FALSE(ec);
    EXPECT_FALSE(created.heap_note) << "no heap was asked for";
}

TEST(UserObject, CreatedObjectsAreEnumeratedAndGoneAfterClose) {
    const auto station_name = unique_name("ws");
    const auto desktop_name = unique_name("desk");
    auto station = w::create_window_station(station_name);
    auto created = w::create_desktop(station.get(), desktop_name);

    EXPECT_TRUE(contains(w::enumerate_window_stations(), station_name));
    EXPECT_EQ(w::enumerate_desktops(station.get()), std::vector<std::string>{desktop_name});

    created.desktop.reset();
    EXPECT_FALSE(contains(w::enumerate_desktops(station.get()), desktop_name));
    station.reset();
    EXPECT_FALSE(contains(w::enumerate_window_stations(), station_name));
}

TEST(UserObject, CreateWindowStationRefusesAnExistingName) {
    const auto station_name = unique_name("ws");
    const auto station = w::create_window_station(station_name);
    std::error_code ec;
    sl::ApiFailure failure;
    const auto again = w::create_window_station(station_name, std::nullopt, ec, &failure);
    EXPECT_FALSE(again);
    ASSERT_TRUE(ec);
    EXPECT_EQ(failure.api, "CreateWindowStationW");
    EXPECT_EQ(failure.object, "window station " + station_name);
}

TEST(UserObject, OpenDesktopIsRelativeToTheGivenStationAndRestoresTheProcessStation) {
    const auto before = w::process_window_station_name();
    const auto station_name = unique_name("ws");
    const auto desktop_name = unique_name("desk");
    const auto station = w::create_window_station(station_name);
    const auto created = w::create_desktop(station.get(), desktop_name);
    EXPECT_EQ(w::process_window_station_name(), before) << "create_desktop must switch back";

    const auto opened = w::open_desktop(station.get(), desktop_name, DESKTOP_READOBJECTS);
    std::error_code ec;
    EXPECT_EQ(w::object_name(opened.get(), ec), desktop_name);
    EXPECT_EQ(w::process_window_station_name(), before) << "open_desktop must switch back";

    // By name from our own station the desktop is not there.
    const auto own = w::open_window_station(before, WINSTA_READATTRIBUTES);
    const auto wrong = w::open_desktop(own.get(), desktop_name, DESKTOP_READOBJECTS, ec);
    EXPECT_FALSE(wrong);
    EXPECT_TRUE(ec);
    EXPECT_FALSE(contains(w::enumerate_desktops(w::open_window_station(before, WINSTA_ENUMDESKTOPS).get()),
                          desktop_name));
}

TEST(UserObject, ProcessStationAndThreadDesktopAreEnumerable) {
    const auto station_name = w::process_window_station_name();
    const auto desktop_name = w::thread_desktop_name();
    ASSERT_FALSE(station_name.empty());
    ASSERT_FALSE(desktop_name.empty());
    EXPECT_TRUE(contains(w::enumerate_window_stations(), station_name));
    const auto station = w::open_window_station(station_name, WINSTA_ENUMDESKTOPS);
    EXPECT_TRUE(contains(w::enumerate_desktops(station.get()), desktop_name));
    if (under_wine()) {  // observed: Wine runs a console test in WinSta0\Default
        EXPECT_EQ(station_name, "WinSta0");
        EXPECT_EQ(desktop_name, "Default");
    }
}

TEST(UserObject, HeapSizeIsReadOrFailsWithInvalidParameterUnderWine) {
    const auto station = w::create_window_station(unique_name("ws"));
    const auto created = w::create_desktop(station.get(), unique_name("desk"));
    std::error_code ec;
    sl::ApiFailure failure;
    const auto kb = w::desktop_heap_kb(created.desktop.get(), ec, &failure);
    if (under_wine()) {
        ASSERT_EQ(ec, sl::make_win32_error(ERROR_INVALID_PARAMETER));
        EXPECT_EQ(failure.api, "GetUserObjectInformationW");
        EXPECT_EQ(failure.object, "UOI_HEAPSIZE");
        try {
            (void)w::desktop_heap_kb(created.desktop.get());
            ADD_FAILURE() << "the throwing overload must throw where the ec one fails";
        } catch (const sl::Error& e) {
            EXPECT_EQ(e.code(), sl::make_win32_error(ERROR_INVALID_PARAMETER));
            EXPECT_EQ(e.api(), "GetUserObjectInformationW");
        }
        GTEST_SKIP() << "Wine fails UOI_HEAPSIZE with ERROR_INVALID_PARAMETER (no desktop heap)";
    }
    ASSERT_FALSE(ec) << failure.describe();
    EXPECT_GT(kb, 0u);
}

TEST(UserObject, DesktopHeapIsBoundedWhereCreateDesktopExWExists) {
    const auto station = w::create_window_station(unique_name("ws"));
    const auto created = w::create_desktop(station.get(), unique_name("desk"), 512u);
    ASSERT_TRUE(created.desktop);
    const bool has_ex = ::GetProcAddress(::GetModuleHandleW(L"user32.dll"), "CreateDesktopExW") != nullptr;
    EXPECT_EQ(created.heap_bounded, has_ex);
    EXPECT_EQ(created.heap_note.has_value(), !has_ex);
    if (!has_ex) GTEST_SKIP() << "CreateDesktopExW is not exported here (Wine): " << *created.heap_note;
    std::error_code ec;
    EXPECT_EQ(w::desktop_heap_kb(created.desktop.get(), ec), 512u);
}

TEST(UserObject, GatherDesktopFactsOfCreatedDesktop) {
    const auto station_name = unique_name("ws");
    const auto desktop_name = unique_name("desk");
    const auto station = w::create_window_station(station_name);
    const auto created = w::create_desktop(station.get(), desktop_name);
    const auto token = w::duplicate_own_token(true);

    std::vector<sl::ApiFailure> notes;
    const auto facts = w::gather_desktop_facts(station_name, desktop_name,
                                               w::AccessQuery{token.get(), sl::rights::kUser32DesktopBaseline},
                                               &notes);
    for (const auto& n : notes) std::cout << "note: " << n.describe() << "\n";
    EXPECT_TRUE(facts.exists);
    EXPECT_EQ(facts.name, desktop_name);
    EXPECT_EQ(facts.type, "Desktop");
    EXPECT_TRUE(facts.flags.has_value());
    EXPECT_FALSE(facts.open_error);
    ASSERT_TRUE(facts.sddl.has_value());
    EXPECT_EQ(facts.access_requested, sl::rights::kUser32DesktopBaseline);
    EXPECT_EQ(facts.heap_kb.has_value(), !under_wine());
    if (under_wine()) {
        // Observed: a desktop created without an SD has none under Wine, and AccessCheck refuses it.
        EXPECT_FALSE(facts.sd_present) << *facts.sddl;
        EXPECT_FALSE(facts.access_granted);
        const bool noted = std::any_of(notes.begin(), notes.end(), [](const sl::ApiFailure& f) {
            return f.api == "AccessCheck" && f.code == sl::make_win32_error(ERROR_INVALID_SECURITY_DESCR);
        });
        EXPECT_TRUE(noted);
    } else {
        EXPECT_TRUE(facts.sd_present);
        EXPECT_EQ(facts.access_granted, sl::rights::kUser32DesktopBaseline) << "the creator has full access";
    }
}

TEST(UserObject, GatherDesktopFactsChecksAccessAgainstAnExplicitDescriptor) {
    const auto token = w::duplicate_own_token(true);
    const auto user = w::gather_token_facts(token.get()).user_sid;
    const auto station_name = unique_name("ws");
    const auto desktop_name = unique_name("desk");
    const auto station = w::create_window_station(station_name);
    // Readable by us (RC) but none of the desktop rights. Set after creation: Wine ignores lpsa.
    const auto created = w::create_desktop(station.get(), desktop_name);
    w::set_dacl_from_sddl(created.desktop.get(), "D:(A;;RC;;;" + user + ")");
    std::vector<sl::ApiFailure> notes;
    const auto facts = w::gather_desktop_facts(station_name, desktop_name,
                                               w::AccessQuery{token.get(), sl::rights::kUser32DesktopBaseline},
                                               &notes);
    for (const auto& n : notes) std::cerr << "note: " << n.describe() << "\n";
    EXPECT_TRUE(facts.exists);
    EXPECT_TRUE(facts.sd_present) << facts.sddl.value_or("(none)");
    ASSERT_TRUE(facts.access_granted) << facts.sddl.value_or("(none)") << " / "
                                      << w::get_sddl(created.desktop.get()).sddl;
    EXPECT_EQ(*facts.access_granted & 0xCFu, 0u) << std::hex << *facts.access_granted;
    EXPECT_EQ(*facts.access_granted & READ_CONTROL, static_cast<std::uint32_t>(READ_CONTROL));
}

TEST(UserObject, GatherFactsOfMissingDesktopRecordsOpenError) {
    const auto station_name = unique_name("ws");
    const auto station = w::create_window_station(station_name);
    const auto facts = w::gather_desktop_facts(station_name, "no-such-desktop");
    EXPECT_FALSE(facts.exists);
    EXPECT_EQ(facts.name, "no-such-desktop");
    ASSERT_TRUE(facts.open_error);
    EXPECT_NE(facts.open_error->find("OpenDesktopW(desktop no-such-desktop)"), std::string::npos) << *facts.open_error;
    const auto station_facts = w::gather_window_station_facts(unique_name("missing-ws"));
    EXPECT_FALSE(station_facts.exists);
    ASSERT_TRUE(station_facts.open_error);
    EXPECT_NE(station_facts.open_error->find("OpenWindowStationW"), std::string::npos);
}

TEST(UserObject, OpenDesktopIsCheckedAgainstItsDacl) {
    const auto token = w::duplicate_own_token(true);
    const auto user = w::gather_token_facts(token.get()).user_sid;
    const auto station = w::create_window_station(unique_name("ws"));
    const auto name = unique_name("desk");
    const auto created = w::create_desktop(station.get(), name);
    w::set_dacl_from_sddl(created.desktop.get(), "D:(A;;RC;;;" + user + ")");
    std::error_code ec;
    sl::ApiFailure failure;
    EXPECT_TRUE(w::open_desktop(station.get(), name, READ_CONTROL, ec, &failure)) << failure.describe();
    const auto denied = w::open_desktop(station.get(), name, READ_CONTROL | DESKTOP_READOBJECTS, ec, &failure);
    EXPECT_FALSE(denied);
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_ACCESS_DENIED)) << failure.describe();
    EXPECT_FALSE(w::open_desktop(station.get(), name, DESKTOP_READOBJECTS, ec));
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_ACCESS_DENIED));
    // gather_desktop_facts falls back to READ_CONTROL alone and still reads the SD.
    const auto facts = w::gather_desktop_facts(w::object_name(station.get(), ec), name);
    EXPECT_TRUE(facts.exists);
    EXPECT_FALSE(facts.open_error);
    EXPECT_TRUE(facts.sddl.has_value());
}

TEST(UserObject, DeniedDesktopStillCountsAsExisting) {
    const auto station_name = unique_name("ws");
    const auto station = w::create_window_station(station_name);
    const auto name = unique_name("desk");
    const auto created = w::create_desktop(station.get(), name);
    // An OWNER RIGHTS (S-1-3-4) ACE replaces the owner's implicit READ_CONTROL | WRITE_DAC.
    w::set_dacl_from_sddl(created.desktop.get(), "D:(A;;GA;;;SY)(A;;0x100;;;OW)");
    const auto facts = w::gather_desktop_facts(station_name, name);
    if (w::wine_version()) {
        // Observed: Wine 8 ignores OWNER RIGHTS; the owner keeps READ_CONTROL and the open succeeds.
        EXPECT_FALSE(facts.open_error);
        GTEST_SKIP() << "Wine does not honour OWNER RIGHTS (S-1-3-4): cannot deny the owner here";
    }
    EXPECT_TRUE(facts.exists) << "access denied proves the desktop is there";
    ASSERT_TRUE(facts.open_error);
    EXPECT_NE(facts.open_error->find("ERROR_ACCESS_DENIED"), std::string::npos) << *facts.open_error;
}

// m7: the station's failure says nothing about the desktop.
TEST(UserObject, DesktopOfAStationThatCannotBeOpenedIsNotKnownToExist) {
    const auto station_name = unique_name("ws");
    const auto station = w::create_window_station(station_name);
    const auto desktop_name = unique_name("desk");
    const auto created = w::create_desktop(station.get(), desktop_name);
    // Only SYSTEM: we keep the owner's implicit READ_CONTROL | WRITE_DAC, not WINSTA_READATTRIBUTES.
    w::set_dacl_from_sddl(station.get(), "D:P(A;;0xf037f;;;SY)");
    const auto facts = w::gather_desktop_facts(station_name, desktop_name);
    EXPECT_FALSE(facts.exists);
    EXPECT_FALSE(facts.exists_known);
    ASSERT_TRUE(facts.open_error);
    EXPECT_NE(facts.open_error->find("OpenWindowStationW"), std::string::npos) << *facts.open_error;
    // The station itself is known to exist: access denied proves it, or READ_CONTROL opened it.
    const auto station_facts = w::gather_window_station_facts(station_name);
    EXPECT_TRUE(station_facts.exists);
    EXPECT_TRUE(station_facts.exists_known);
}

namespace {

// A desktop whose DACL is `dacl` (set after creation: Wine ignores lpsa), with our token's facts.
struct DesktopWithDacl {
    std::string station_name = unique_name("ws");
    std::string desktop_name = unique_name("desk");
    w::unique_hwinsta station = w::create_window_station(station_name);
    w::CreatedDesktop created = w::create_desktop(station.get(), desktop_name);
    w::unique_handle token = w::duplicate_own_token(true);
    sl::TokenFacts token_facts = w::gather_token_facts(token.get());

    explicit DesktopWithDacl(const std::string& dacl) { w::set_dacl_from_sddl(created.desktop.get(), dacl); }

    // The facts analyze() gets, as safelaunch check gathers them (real AccessCheck included).
    sl::Snapshot snapshot() const {
        sl::Snapshot s;
        s.token = token_facts;
        s.target.spec = station_name + "\\" + desktop_name;
        s.target.station = station_name;
        s.target.desktop = desktop_name;
        s.target.station_facts =
            w::gather_window_station_facts(station_name, w::AccessQuery{token.get(), sl::kStationRightsNeeded});
        s.target.desktop_facts = w::gather_desktop_facts(station_name, desktop_name,
                                                         w::AccessQuery{token.get(), sl::kDesktopRightsNeeded});
        return s;
    }
};

bool has(const sl::Analysis& a, const std::string& id, sl::Severity severity) {
    return std::any_of(a.preflight.begin(), a.preflight.end(),
                       [&](const sl::Finding& f) { return f.id == id && f.severity == severity; });
}

}  // namespace

// M3, the side that warns: some rights granted, the open with MAXIMUM_ALLOWED succeeds.
TEST(UserObject, DesktopGrantingSomeRightsWarnsAndDoesNotBlock) {
    const DesktopWithDacl d("D:P(A;;RC;;;WD)");
    const auto s = d.snapshot();
    const auto& facts = s.target.desktop_facts;
    ASSERT_TRUE(facts.access_maximum) << facts.sddl.value_or("(no SDDL)");
    EXPECT_EQ(*facts.access_maximum & READ_CONTROL, static_cast<std::uint32_t>(READ_CONTROL)) << std::hex
                                                                                               << *facts.access_maximum;
    EXPECT_EQ(*facts.access_maximum & 0x1FFu, 0u) << std::hex << *facts.access_maximum;
    // user32's own open: MAXIMUM_ALLOWED succeeds, as the fact says it would.
    std::error_code ec;
    EXPECT_TRUE(w::open_desktop(d.station.get(), d.desktop_name, MAXIMUM_ALLOWED, ec)) << ec.message();
    const auto a = sl::analyze(s);
    EXPECT_TRUE(has(a, "acl.desktop.missing_rights", sl::Severity::warning));
    EXPECT_FALSE(has(a, "acl.desktop.no_access", sl::Severity::error));
    EXPECT_NE(a.verdict, sl::Verdict::blocked);
}

// M3, the side that blocks: nothing granted, so the open with MAXIMUM_ALLOWED fails. The owner
// always keeps READ_CONTROL | WRITE_DAC, so the desktop is given to SYSTEM first.
TEST(UserObject, DesktopGrantingNothingBlocks) {
    const DesktopWithDacl d("D:P(A;;0xf01ff;;;SY)");
    PSID system = nullptr;
    ASSERT_TRUE(::ConvertStringSidToSidW(L"S-1-5-18", &system));
    const w::unique_hlocal system_owner(system);
    const DWORD e = ::SetSecurityInfo(d.created.desktop.get(), SE_WINDOW_OBJECT, OWNER_SECURITY_INFORMATION, system,
                                      nullptr, nullptr, nullptr);
    if (e != ERROR_SUCCESS) {
        // Windows: only with SeRestorePrivilege enabled may the owner be set to another SID.
        EXPECT_EQ(e, static_cast<DWORD>(ERROR_INVALID_OWNER));
        GTEST_SKIP() << "cannot make SYSTEM the owner here (error " << e << "): the owner's implicit rights stay";
    }
    const auto s = d.snapshot();
    const auto& facts = s.target.desktop_facts;
    ASSERT_TRUE(facts.access_maximum) << facts.open_error.value_or("") << facts.sddl.value_or("(no SDDL)");
    EXPECT_EQ(*facts.access_maximum, 0u) << std::hex << *facts.access_maximum;
    std::error_code ec;
    EXPECT_FALSE(w::open_desktop(d.station.get(), d.desktop_name, MAXIMUM_ALLOWED, ec));
    EXPECT_EQ(ec, sl::make_win32_error(ERROR_ACCESS_DENIED));
    const auto a = sl::analyze(s);
    EXPECT_TRUE(has(a, "acl.desktop.no_access", sl::Severity::error));
    EXPECT_EQ(a.verdict, sl::Verdict::blocked);
}

namespace {

// After every test: no station this process made (sl-d-*-<pid>-<start>-*) is left. Each test's desktops
// keep their station alive, so a leaked desktop shows up here too. A listener, not a global
// environment, so that a leak fails the test that leaked (gtest's sample10 LeakChecker pattern):
// an environment's TearDown failure prints no failed test and is easy to lose. Appended after the
// default printer, it gets OnTestEnd first (end events go in reverse), so the test prints FAILED.
class NoLeakedObjects : public ::testing::EmptyTestEventListener {
public:
    void OnTestEnd(const ::testing::TestInfo& /*test*/) override {
        // Our tag, not our pid: a station of an ended process that had our pid may still be there
        // (the likely cause of a Security test failing in CI, whose log was not kept).
        const auto suffix = fmt::format("-{}-", safelaunch::test::process_tag());
        for (const auto& name : w::enumerate_window_stations())
            EXPECT_FALSE(name.rfind("sl-d-", 0) == 0 && name.find(suffix) != std::string::npos)
                << "leaked window station " << name;
    }
};

[[maybe_unused]] const bool kNoLeaks = [] {
    ::testing::UnitTest::GetInstance()->listeners().Append(new NoLeakedObjects);
    return true;
}();

}  // namespace
