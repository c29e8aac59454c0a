// Session 0, noninteractive stations and an unopenable WinSta0 (issue 9 part 4,
// session_notes.hpp), and the grant remedy for an object the launcher cannot open (analysis.cpp).
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/session_notes.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

const Finding* find_id(const std::vector<Finding>& findings, std::string_view id) {
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
    return it == findings.end() ? nullptr : &*it;
}

// A service (LocalSystem, session 0) starting a child with lpDesktop NULL: it inherits
// Service-0x0-3e7$\Default.
Snapshot service_inheriting() {
    Snapshot s;
    s.token.user_sid = "S-1-5-18";
    s.token.session_id = 0;
    s.target.station = "Service-0x0-3e7$";
    s.target.desktop = "Default";
    s.target.how = "inherited";
    s.target.station_facts.name = s.target.station;
    s.target.station_facts.exists = true;
    s.target.station_facts.flags = 0;
    LauncherFacts l;
    l.session_id = 0;
    l.local_system = true;
    s.launcher = l;
    return s;
}

TEST(SessionNotes, NothingWithoutLauncherFactsOrForAnInteractiveUser) {
    auto s = service_inheriting();
    s.launcher.reset();
    EXPECT_TRUE(session_notes(s).empty());

    s = service_inheriting();
    s.launcher->session_id = 1;
    s.launcher->local_system = false;
    s.target.station = "WinSta0";
    s.target.station_facts.flags = 1;  // WSF_VISIBLE
    EXPECT_TRUE(session_notes(s).empty());
    s.target.station_facts.flags.reset();  // Wine-like: flags unknown, WinSta0 by name
    EXPECT_TRUE(session_notes(s).empty());
}

TEST(SessionNotes, SessionZeroNamesTheInheritedStation) {
    const auto notes = session_notes(service_inheriting());
    ASSERT_EQ(notes.size(), 1u);
    const auto& f = notes.front();
    EXPECT_EQ(f.id, "launcher.session_zero");
    EXPECT_EQ(f.severity, Severity::info);
    EXPECT_NE(f.message.find("inherits the launcher's window station and desktop, Service-0x0-3e7$\\Default (not "
                             "interactive)"),
              std::string::npos)
        << f.message;
    EXPECT_NE(f.evidence.find("LocalSystem"), std::string::npos) << f.evidence;
    EXPECT_NE(f.evidence.find("NULL (inherit)"), std::string::npos) << f.evidence;
    EXPECT_NE(f.remedy.find("WTSQueryUserToken"), std::string::npos);
}

TEST(SessionNotes, SessionZeroWithANamedDesktopSaysWhereItGoes) {
    auto s = service_inheriting();
    s.target.spec = "WinSta0\\Default";
    s.target.station = "WinSta0";
    s.target.how = "named";
    s.target.station_facts.flags = 1;
    const auto notes = session_notes(s);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].message.find("the child goes to WinSta0\\Default (interactive)"), std::string::npos)
        << notes[0].message;
    EXPECT_NE(notes[0].evidence.find("\"WinSta0\\Default\" (named)"), std::string::npos) << notes[0].evidence;
}

TEST(SessionNotes, ANoninteractiveStationOutsideSessionZero) {
    auto s = service_inheriting();
    s.launcher->session_id = 2;
    s.target.station = "CiStation";
    auto notes = session_notes(s);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_EQ(notes[0].id, "launcher.station.noninteractive");
    EXPECT_NE(notes[0].message.find("the child inherits CiStation\\Default"), std::string::npos) << notes[0].message;
    EXPECT_NE(notes[0].evidence.find("UOI_FLAGS of CiStation: 0x0"), std::string::npos) << notes[0].evidence;

    s.target.station_facts.flags.reset();
    notes = session_notes(s);
    ASSERT_EQ(notes.size(), 1u);
    EXPECT_NE(notes[0].evidence.find("not WinSta0"), std::string::npos) << notes[0].evidence;

    s.target.spec = "CiStation\\Default";  // named, not inherited: nothing to say
    EXPECT_TRUE(session_notes(s).empty());
}

TEST(SessionNotes, AnUnopenableWinSta0IsSaidAndNoGrantIsSuggestedOnIt) {
    // A session-1 launcher whose token may not open WinSta0 at all, child headed for it; the
    // child's own open (as its token) was refused too: acl.station.no_access.
    Snapshot s;
    s.token.user_sid = "S-1-5-21-1-2-3-1001";
    s.token.logon_sid = "S-1-5-5-0-777";
    s.token.session_id = 1;
    s.target.spec = "WinSta0\\Default";
    s.target.station = "WinSta0";
    s.target.desktop = "Default";
    s.target.how = "named";
    auto& st = s.target.station_facts;
    st.name = "WinSta0";
    st.exists = true;
    st.open_error = "OpenWindowStationW(WinSta0) failed: 5 ERROR_ACCESS_DENIED";
    st.access_requested = 0x37F;
    st.access_granted = 0;
    st.access_maximum = 0;
    s.target.desktop_facts.exists = false;
    s.target.desktop_facts.exists_known = false;
    LauncherFacts l;
    l.session_id = 1;
    l.winsta0_open_error = *st.open_error;
    s.launcher = l;

    const auto a = analyze(s);
    const auto* note = find_id(a.preflight, "launcher.winsta0.unopenable");
    ASSERT_NE(note, nullptr);
    EXPECT_EQ(note->severity, Severity::info);
    EXPECT_NE(note->message.find("headed for it"), std::string::npos) << note->message;
    EXPECT_EQ(note->evidence, *st.open_error);
    const auto* acl = find_id(a.preflight, "acl.station.no_access");
    ASSERT_NE(acl, nullptr);
    EXPECT_EQ(acl->remedy.find("run --grant"), std::string::npos) << acl->remedy;
    EXPECT_NE(acl->remedy.find("safelaunch cannot open window station WinSta0 itself"), std::string::npos) << acl->remedy;

    // A station the launcher could open keeps the grant remedy.
    st.open_error.reset();
    st.sddl = "O:SYG:SYD:(A;;0x37f;;;SY)";
    const auto b = analyze(s);
    const auto* granted = find_id(b.preflight, "acl.station.no_access");
    ASSERT_NE(granted, nullptr);
    EXPECT_NE(granted->remedy.find("run --grant"), std::string::npos) << granted->remedy;
}

TEST(SessionNotes, WinSta0OpenErrorSurvivesJson) {
    auto s = service_inheriting();
    s.launcher->winsta0_open_error = "x";
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    ASSERT_TRUE(back.launcher);
    EXPECT_EQ(back.launcher->winsta0_open_error, "x");
}

}  // namespace
}  // namespace safelaunch
