// The analysis on snapshots built from documented Windows situations (tests/data/snapshots/README.md).
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace safelaunch {
namespace {

bool has(const std::vector<Finding>& findings, const std::string& id, Severity severity) {
    return std::any_of(findings.begin(), findings.end(),
                       [&](const Finding& f) { return f.id == id && f.severity == severity; });
}

const RankedCause& top(const Analysis& a) {
    EXPECT_TRUE(a.diagnosis && !a.diagnosis->causes.empty());
    return a.diagnosis->causes.front();
}

TEST(Analysis, ServiceHeapExhaustionIsDecidedByEvent243) {
    const auto a = analyze(test::load_snapshot("service-heap-exhausted.json"));
    EXPECT_NE(a.verdict, Verdict::blocked);
    EXPECT_FALSE(has(a.preflight, "acl.desktop.missing_rights", Severity::error));
    EXPECT_EQ(top(a).id, CauseId::desktop_heap);
    EXPECT_EQ(top(a).likelihood, Likelihood::decided);
    EXPECT_NE(top(a).remedy.find("768 to 1024"), std::string::npos) << top(a).remedy;
}

TEST(Analysis, EventsBeforeTheLaunchDoNotDecideTheHeap) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.exit->started_utc = "2026-11-20T08:14:00Z";  // event 243 was logged at 08:13:58
    const auto a = analyze(s);
    EXPECT_NE(top(a).likelihood, Likelihood::decided);
    s.exit->started_utc = "2026-11-20T08:13:50Z";
    EXPECT_EQ(top(analyze(s)).likelihood, Likelihood::decided);
}

// D12 / M8: EvtRender's SystemTime has 7 fractional digits; a launch's start may have none. An
// event in the same second as the start, after it, is this launch's.
TEST(Analysis, EventInTheSameSecondAsTheLaunchDecidesTheHeap) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.system.events->front().time_utc = "2026-11-20T08:13:58.5000000Z";
    s.exit->started_utc = "2026-11-20T08:13:58Z";
    EXPECT_EQ(top(analyze(s)).likelihood, Likelihood::decided);
    s.exit->started_utc = "2026-11-20T08:13:58.4000000Z";
    EXPECT_EQ(top(analyze(s)).likelihood, Likelihood::decided);
    s.exit->started_utc = "2026-11-20T08:13:58.6000000Z";  // the event came 0.1 s before the launch
    EXPECT_NE(top(analyze(s)).likelihood, Likelihood::decided);
    s.exit->started_utc = "2026-11-20T08:13:58.5000000Z";
    EXPECT_EQ(top(analyze(s)).likelihood, Likelihood::decided) << "the same tick counts";
    s.system.events->front().time_utc = "yesterday";  // a time that does not parse is not counted
    EXPECT_NE(top(analyze(s)).likelihood, Likelihood::decided);
}

TEST(Analysis, RunAsIntoWinSta0WithoutTheLogonSidIsBlockedAndDecidedAsAccess) {
    const auto a = analyze(test::load_snapshot("runas-winsta0-denied.json"));
    EXPECT_EQ(a.verdict, Verdict::blocked);
    // No ACE matches the token: even user32's MAXIMUM_ALLOWED open would be granted nothing.
    EXPECT_TRUE(has(a.preflight, "acl.station.no_access", Severity::error));
    EXPECT_TRUE(has(a.preflight, "acl.desktop.no_access", Severity::error));
    EXPECT_FALSE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning)) << "one finding per object";
    ASSERT_EQ(a.access.size(), 2u);
    EXPECT_FALSE(a.access[1].ok);
    EXPECT_EQ(a.access[1].trustee_sid, "S-1-5-5-0-9001");  // the token's logon SID, not a broad group
    EXPECT_EQ(top(a).id, CauseId::access);
    EXPECT_EQ(top(a).likelihood, Likelihood::decided);
}

// Found by fuzz_analyze (tests/fuzz/regressions/analyze/station_name_with_line_break): Windows
// object names may hold control characters, and a snapshot may say anything.
TEST(Analysis, ObjectNamesWithControlCharactersKeepEveryLineOneLine) {
    auto s = test::load_snapshot("runas-winsta0-denied.json");
    s.target.station = "Win\nSta0";
    s.target.desktop = "Def\rault\x7f";
    const auto a = analyze(s);
    ASSERT_TRUE(has(a.preflight, "acl.station.no_access", Severity::error));
    ASSERT_TRUE(a.diagnosis.has_value());
    const auto one_line = [](const std::string& text) { return text.find_first_of("\r\n\x7f") == std::string::npos; };
    for (const auto& f : a.all_findings()) {
        EXPECT_TRUE(one_line(f.message)) << f.id << ": " << f.message;
        EXPECT_TRUE(one_line(f.evidence)) << f.id << ": " << f.evidence;
        EXPECT_TRUE(one_line(f.remedy)) << f.id << ": " << f.remedy;
    }
    for (const auto& c : a.diagnosis->causes) {
        for (const auto& e : c.evidence) EXPECT_TRUE(one_line(e)) << e;
        EXPECT_TRUE(one_line(c.remedy)) << c.remedy;
    }
    // The name stays recognisable: the control characters are shown, not dropped.
    const auto station = std::find_if(a.preflight.begin(), a.preflight.end(),
                                      [](const Finding& f) { return f.id == "acl.station.no_access"; });
    EXPECT_NE(station->message.find("window station Win\\x0aSta0"), std::string::npos) << station->message;
    EXPECT_NE(top(a).remedy.find("Win\\x0aSta0\\Def\\x0dault\\x7f"), std::string::npos) << top(a).remedy;
    // The facts themselves are kept as given.
    EXPECT_NE(a.access.front().object.find("Win\nSta0"), std::string::npos) << a.access.front().object;
    EXPECT_EQ(a.access.front().object.find("Win\\x0a"), std::string::npos);
}

TEST(Analysis, MissingNamedDesktopBlocksBeforeLaunch) {
    const auto a = analyze(test::load_snapshot("missing-desktop.json"));
    EXPECT_EQ(a.verdict, Verdict::blocked);
    EXPECT_TRUE(has(a.preflight, "desktop.desktop.missing", Severity::error));
    EXPECT_FALSE(a.diagnosis.has_value());
    ASSERT_EQ(a.access.size(), 1u);  // the station only: the desktop does not exist
}

TEST(Analysis, HealthyInteractiveLaunchIsOk) {
    const auto a = analyze(test::load_snapshot("healthy-interactive.json"));
    EXPECT_EQ(a.verdict, Verdict::ok);
    ASSERT_TRUE(a.diagnosis.has_value());
    EXPECT_TRUE(a.diagnosis->causes.empty());
}

TEST(Analysis, LookAlikeExitIsNotADesktopProblem) {
    const auto a = analyze(test::load_snapshot("lookalike-dll-not-found.json"));
    EXPECT_EQ(top(a).id, CauseId::not_dll_init);
    EXPECT_EQ(a.diagnosis->find(CauseId::desktop_heap), nullptr);
}

TEST(Analysis, WineObjectsWithoutSecurityAreNotRestricted) {
    const auto a = analyze(test::load_snapshot("wine-no-sd.json"));
    EXPECT_EQ(a.verdict, Verdict::ok);
    EXPECT_TRUE(has(a.preflight, "acl.station.no_security", Severity::info));
    EXPECT_TRUE(has(a.preflight, "heap.desktop.size_unknown", Severity::info));
}

TEST(Analysis, RealAccessCheckResultOverridesTheOfflineModel) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    // The SDDL grants the logon SID everything, but the real AccessCheck said no.
    s.target.desktop_facts.access_granted = 0x1;
    s.target.desktop_facts.access_maximum = 0x1;
    const auto a = analyze(s);
    ASSERT_TRUE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning));
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(),
                                 [](const Finding& f) { return f.id == "acl.desktop.missing_rights"; });
    EXPECT_NE(it->evidence.find("AccessCheck"), std::string::npos);
    // READOBJECTS (0x1) was granted; the other needed rights (0xCF) were not.
    EXPECT_EQ(it->message.find("DESKTOP_READOBJECTS"), std::string::npos) << it->message;
    EXPECT_NE(it->message.find("DESKTOP_CREATEWINDOW|DESKTOP_CREATEMENU|DESKTOP_HOOKCONTROL|DESKTOP_ENUMERATE|"
                               "DESKTOP_WRITEOBJECTS"),
              std::string::npos)
        << it->message;
}

// M3: user32 opens the desktop with MAXIMUM_ALLOWED; only an open granted nothing blocks.
TEST(Analysis, OnlyAnOpenGrantedNothingBlocks) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.exit.reset();
    auto& d = s.target.desktop_facts;
    d.access_granted = 0x0;
    d.access_maximum = 0x0;  // AccessCheck(MAXIMUM_ALLOWED) failed: the open fails too
    auto a = analyze(s);
    EXPECT_EQ(a.verdict, Verdict::blocked);
    EXPECT_TRUE(has(a.preflight, "acl.desktop.no_access", Severity::error));
    EXPECT_FALSE(a.access[1].ok);
    EXPECT_TRUE(a.access[1].no_access);

    // READ_CONTROL only: the open succeeds, the child may connect; the canary decides.
    d.access_maximum = rights::kReadControl;
    a = analyze(s);
    EXPECT_EQ(a.verdict, Verdict::warn);
    EXPECT_TRUE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning));
    EXPECT_FALSE(has(a.preflight, "acl.desktop.no_access", Severity::error));
    EXPECT_FALSE(a.access[1].ok) << "--grant and the diagnosis still see the missing rights";
    EXPECT_FALSE(a.access[1].no_access);

    // A Chromium-style alternate desktop: DESKTOP_CREATEWINDOW|CREATEMENU|HOOKCONTROL denied.
    d.access_granted = rights::kDesktopReadObjects | rights::kDesktopEnumerate | rights::kDesktopWriteObjects;
    d.access_maximum = *d.access_granted | rights::kReadControl;
    a = analyze(s);
    EXPECT_EQ(a.verdict, Verdict::warn);
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(),
                                 [](const Finding& f) { return f.id == "acl.desktop.missing_rights"; });
    ASSERT_NE(it, a.preflight.end());
    EXPECT_NE(it->message.find("DESKTOP_CREATEWINDOW|DESKTOP_CREATEMENU|DESKTOP_HOOKCONTROL"), std::string::npos)
        << it->message;
    EXPECT_NE(it->evidence.find("MAXIMUM_ALLOWED gives"), std::string::npos) << it->evidence;
    EXPECT_NE(it->remedy.find("--canary"), std::string::npos) << it->remedy;

    // An older snapshot without access_maximum cannot show "nothing granted": a warning.
    d.access_granted = 0x0;
    d.access_maximum.reset();
    EXPECT_TRUE(has(analyze(s).preflight, "acl.desktop.missing_rights", Severity::warning));
}

// The offline model asks for MAXIMUM_ALLOWED as well: a DACL that grants some rights warns.
TEST(Analysis, OfflineModelBlocksOnlyWhenTheSddlGrantsNothing) {
    auto s = test::load_snapshot("runas-winsta0-denied.json");
    s.exit.reset();
    s.target.desktop_facts.sddl = "O:SYG:SYD:P(A;;0x20041;;;S-1-5-5-0-9001)(A;;0xf01ff;;;SY)";  // read only
    const auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning));
    EXPECT_TRUE(has(a.preflight, "acl.station.no_access", Severity::error)) << "the station still grants nothing";
}

// M2: with the S: part in the SDDL the offline model sees the object's own integrity label.
TEST(Analysis, IntegrityLabelInTheSddlDecidesForALowIntegrityToken) {
    auto s = test::load_snapshot("healthy-interactive.json");
    s.exit.reset();
    s.token.integrity_sid = "S-1-16-4096";  // Low
    auto& d = s.target.desktop_facts;
    d.access_granted.reset();
    d.access_requested.reset();
    d.access_maximum.reset();
    const std::string dacl = "O:SYG:SYD:P(A;;0xf01ff;;;WD)";
    d.sddl = dacl;  // no label: Medium, no-write-up, withholds the write rights
    auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning));
    d.sddl = dacl + "S:(ML;;NW;;;LW)";  // labelled Low, as sandboxes label their desktops
    a = analyze(s);
    EXPECT_FALSE(has(a.preflight, "acl.desktop.missing_rights", Severity::warning));
    EXPECT_FALSE(has(a.preflight, "acl.desktop.no_access", Severity::error));
}

// m12: the launcher needs WRITE_DAC to grant; WinSta0 gives it to SYSTEM and the owner only.
TEST(Analysis, StationRemedyDoesNotPromiseTheGrant) {
    const auto a = analyze(test::load_snapshot("runas-winsta0-denied.json"));
    for (const auto& f : a.preflight) {
        if (f.id == "acl.station.no_access") {
            EXPECT_NE(f.remedy.find("if the launcher may change the station's DACL (WRITE_DAC"), std::string::npos)
                << f.remedy;
        }
        if (f.id == "acl.desktop.no_access") {
            EXPECT_NE(f.remedy.find("WRITE_DAC"), std::string::npos) << f.remedy;
        }
    }
}

// m7: a desktop whose station could not be opened is not known to exist, nor to be missing.
TEST(Analysis, DesktopOfAnUnopenableStationIsUncheckedNotMissing) {
    auto s = test::load_snapshot("runas-winsta0-denied.json");
    s.target.desktop_facts = UserObjectFacts{};
    s.target.desktop_facts.name = "Default";
    s.target.desktop_facts.exists_known = false;
    s.target.desktop_facts.open_error = "OpenWindowStationW(window station WinSta0) failed: access denied";
    const auto a = analyze(s);
    EXPECT_FALSE(has(a.preflight, "desktop.desktop.missing", Severity::error));
    EXPECT_TRUE(has(a.preflight, "acl.desktop.unchecked", Severity::warning));
    ASSERT_EQ(a.access.size(), 1u) << "the station only";
    ASSERT_TRUE(a.diagnosis.has_value());
    EXPECT_NE(diagnosis_input(s, a.access).station_exists, std::nullopt);
    EXPECT_EQ(diagnosis_input(s, a.access).desktop_exists, std::nullopt);
}

TEST(Analysis, InvalidSpecIsBlockingWithTheReason) {
    auto s = test::load_snapshot("healthy-interactive.json");
    s.target.spec = "WinSta0/Default";
    const auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "desktop.spec.invalid", Severity::error));
}

TEST(Analysis, HiddenStationThatDoesNotExistYetIsOnlyInformation) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.target.spec = "";
    s.target.station_facts.exists = false;
    s.target.desktop_facts.exists = false;
    s.exit.reset();
    const auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "desktop.hidden_station.absent", Severity::info));
    EXPECT_FALSE(has(a.preflight, "desktop.station.missing", Severity::error));
}

TEST(Analysis, SmallNoninteractiveHeapWarnsAgainstExpectedLoad) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.exit.reset();
    EXPECT_FALSE(has(analyze(s).preflight, "heap.desktop.small", Severity::warning));
    const auto a = analyze(s, AnalysisOptions{200});  // 768 KB holds ~109 processes
    EXPECT_TRUE(has(a.preflight, "heap.desktop.small", Severity::warning));
    EXPECT_EQ(a.verdict, Verdict::warn);
}

TEST(Analysis, InteractiveSessionNeedsEnabledInteractiveOutsideSessionZero) {
    TokenFacts t;
    t.session_id = 1;
    EXPECT_FALSE(in_interactive_session(t));
    t.groups.push_back({"S-1-5-4", "NT AUTHORITY\\INTERACTIVE", group_attr::kEnabled | group_attr::kMandatory});
    EXPECT_TRUE(in_interactive_session(t));
    t.session_id = 0;  // a service's session
    EXPECT_FALSE(in_interactive_session(t));
    t.session_id = 1;
    t.groups.back().attributes = group_attr::kUseForDenyOnly;
    EXPECT_FALSE(in_interactive_session(t));
}

TEST(Analysis, PostMortemForDllInitAndNtStatusErrorsOnly) {
    EXPECT_TRUE(worth_a_post_mortem(0xC0000142));
    EXPECT_TRUE(worth_a_post_mortem(128));
    EXPECT_TRUE(worth_a_post_mortem(0xC0000135));
    EXPECT_FALSE(worth_a_post_mortem(0));
    EXPECT_FALSE(worth_a_post_mortem(1));
    EXPECT_FALSE(worth_a_post_mortem(42));
}

TEST(Analysis, FailedCanaryBlocks) {
    auto s = test::load_snapshot("healthy-interactive.json");
    s.exit.reset();
    s.canary = CanaryFacts{0xC0000142, 0, false, "probe exited 0xC0000142"};
    EXPECT_TRUE(has(analyze(s).preflight, "canary.failed", Severity::error));
    s.canary = CanaryFacts{0, 64, true, "allocated"};
    EXPECT_TRUE(has(analyze(s).preflight, "canary.ok", Severity::info));
    s.canary = CanaryFacts{5, 64, false, "probe exited 5"};
    EXPECT_TRUE(has(analyze(s).preflight, "canary.failed", Severity::error));
}

// M9: a canary that could not run learnt nothing about the desktop.
TEST(Analysis, CanaryThatCouldNotRunIsAWarningNotAFailure) {
    auto s = test::load_snapshot("healthy-interactive.json");
    s.exit.reset();
    CanaryFacts c{0xFFFFFFFFu, 0, false, "canary not run: CreateProcessW(safelaunch-probe.exe) failed: not found"};
    c.ran = false;
    s.canary = c;
    auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "canary.not_run", Severity::warning));
    EXPECT_FALSE(has(a.preflight, "canary.failed", Severity::error));
    EXPECT_EQ(a.verdict, Verdict::warn);
    s.canary = CanaryFacts{2, 8, false, "probe exited 2"};  // the probe refused its arguments
    EXPECT_TRUE(has(analyze(s).preflight, "canary.not_run", Severity::warning));

    // After a death, a canary that did not run gives the heap ranking nothing.
    s = test::load_snapshot("service-heap-exhausted.json");
    s.system.events = std::vector<EventFacts>{};
    s.canary = c;
    EXPECT_FALSE(diagnosis_input(s, {}).heap->canary_started.has_value());
}

// M9: the per-process USER handle quota (probe exit 6) is not the desktop heap.
TEST(Analysis, CanaryAtTheHandleQuotaIsInconclusive) {
    auto s = test::load_snapshot("healthy-interactive.json");
    s.exit.reset();
    CanaryFacts c{6, 8000, false, "safelaunch-probe --alloc-kb 8000 exited 6"};
    c.report = R"({"probe":"safelaunch-probe","version":1,"result":"handle_quota","exit_code":6,)"
               R"("station":"WinSta0","desktop":"Default","alloc_kb":8000,"bytes_per_object":400,)"
               R"("objects_target":20480,"objects_created":9990,"estimated_kb":3902,"api":"CreateWindowExW","error":1158})";
    s.canary = c;
    const auto a = analyze(s);
    EXPECT_TRUE(has(a.preflight, "canary.quota", Severity::warning));
    EXPECT_FALSE(has(a.preflight, "canary.failed", Severity::error));
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(),
                                 [](const Finding& f) { return f.id == "canary.quota"; });
    EXPECT_NE(it->message.find("after 9990 objects, ~3902 KB"), std::string::npos) << it->message;
    EXPECT_NE(it->remedy.find("at most 3906"), std::string::npos) << it->remedy;
    EXPECT_NE(it->evidence.find("handle_quota"), std::string::npos) << "the probe's report is kept";

    s = test::load_snapshot("service-heap-exhausted.json");
    s.canary = c;
    const auto in = diagnosis_input(s, {});
    ASSERT_TRUE(in.heap);
    EXPECT_EQ(in.heap->canary_started, true);
    EXPECT_FALSE(in.heap->canary_allocated.has_value()) << "the quota says nothing about the heap";
}

}  // namespace
}  // namespace safelaunch
