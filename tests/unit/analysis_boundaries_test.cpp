// The thresholds and severity downgrades of analyze() and diagnosis_input(), each tested on both
// sides of its boundary (issue 13: the mutation sample's survivors were all untested boundaries).
// Inputs are the constructed snapshots of tests/data/snapshots (see its README), changed by hand.
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace safelaunch {
namespace {

Snapshot load(const std::string& name) { return test::load_snapshot(name); }

const Finding* find(const std::vector<Finding>& findings, const std::string& id) {
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
    return it == findings.end() ? nullptr : &*it;
}

std::string ids(const std::vector<Finding>& findings) {
    std::string out;
    for (const auto& f : findings) out += f.id + "(" + std::string(to_string(f.severity)) + ") ";
    return out;
}

// A service's hidden station (WSF_VISIBLE clear) with a 768 KB desktop, access granted, a
// healthy SharedSection and no exit: its pre-flight is ok with no findings.
Snapshot service_preflight() {
    auto s = load("service-heap-exhausted.json");
    s.exit.reset();
    return s;
}

TEST(AnalysisBoundaries, ServicePreflightStartsWithoutFindings) {
    const auto a = analyze(service_preflight());
    EXPECT_TRUE(a.preflight.empty()) << ids(a.preflight);
    EXPECT_EQ(a.verdict, Verdict::ok);
}

// ---- A broken SharedSection is at most a warning in a snapshot ---------------------------------

TEST(AnalysisBoundaries, MissingSharedSectionIsOnlyAWarning) {
    auto s = service_preflight();
    s.system.subsystems_windows_value = "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows Windows=On";
    const auto a = analyze(s);
    const auto* f = find(a.preflight, "shared_section.missing");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(a.verdict, Verdict::warn);
}

TEST(AnalysisBoundaries, MalformedSharedSectionIsOnlyAWarning) {
    auto s = service_preflight();
    s.system.subsystems_windows_value = "csrss.exe SharedSection=1024,20480,7x8 Windows=On";
    const auto a = analyze(s);
    const auto* f = find(a.preflight, "shared_section.malformed_number");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(a.verdict, Verdict::warn);
}

// The downgrade lowers errors only: information stays information.
TEST(AnalysisBoundaries, SharedSectionInformationStaysInformation) {
    auto s = service_preflight();
    s.system.subsystems_windows_value = "csrss.exe SharedSection=2048,20480,768 Windows=On";
    const auto a = analyze(s);
    const auto* f = find(a.preflight, "shared_section.shared_changed");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::info);
    EXPECT_EQ(a.verdict, Verdict::ok);
}

// ---- heap.desktop.small ------------------------------------------------------------------------

TEST(AnalysisBoundaries, NoninteractiveDesktopOf512KbIsNotSmall) {
    auto s = service_preflight();
    s.target.desktop_facts.heap_kb = 512;  // the 32-bit default third value
    const auto a = analyze(s);
    EXPECT_EQ(find(a.preflight, "heap.desktop.small"), nullptr) << ids(a.preflight);
    EXPECT_EQ(a.verdict, Verdict::ok);
}

TEST(AnalysisBoundaries, NoninteractiveDesktopOf511KbIsSmall) {
    auto s = service_preflight();
    s.target.desktop_facts.heap_kb = 511;
    const auto a = analyze(s);
    const auto* f = find(a.preflight, "heap.desktop.small");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(f->message, "desktop Service-0x0-29ff1$\\Default has a 511 KB heap: room for ~73 processes (below 512 KB)");
    EXPECT_NE(f->remedy.find("SharedSection third value to 768 KB"), std::string::npos) << f->remedy;
    EXPECT_EQ(a.verdict, Verdict::warn);
}

// Without an expected load, only noninteractive desktops are held to 512 KB.
TEST(AnalysisBoundaries, SmallInteractiveDesktopIsNotFlaggedWithoutAnExpectedLoad) {
    auto s = service_preflight();
    s.target.station_facts.flags = 1;  // WSF_VISIBLE
    s.target.desktop_facts.heap_kb = 256;
    EXPECT_EQ(find(analyze(s).preflight, "heap.desktop.small"), nullptr);
    // With a load given, the interactive desktop is held to it, and the second value is named.
    const auto a = analyze(s, AnalysisOptions{100});  // 256 KB holds ~36
    const auto* f = find(a.preflight, "heap.desktop.small");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_NE(f->remedy.find("SharedSection second value to 768 KB"), std::string::npos) << f->remedy;
}

// Without UOI_FLAGS the station's name decides: WinSta0 is the interactive one.
TEST(AnalysisBoundaries, WithoutFlagsWinSta0IsInteractive) {
    auto s = service_preflight();
    s.target.desktop_facts.heap_kb = 256;
    s.target.station_facts.flags.reset();
    EXPECT_NE(find(analyze(s).preflight, "heap.desktop.small"), nullptr);  // a Service-0x..$ station
    s.target.station = "WinSta0";
    EXPECT_EQ(find(analyze(s).preflight, "heap.desktop.small"), nullptr);
}

// 768 KB at ~7 KB per process holds 109: 109 expected fit, 110 do not.
TEST(AnalysisBoundaries, ExpectedLoadBoundaryIsTheProcessesThatFit) {
    const auto s = service_preflight();
    EXPECT_EQ(find(analyze(s, AnalysisOptions{109}).preflight, "heap.desktop.small"), nullptr);
    const auto a = analyze(s, AnalysisOptions{110});
    const auto* f = find(a.preflight, "heap.desktop.small");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->message, "desktop Service-0x0-29ff1$\\Default has a 768 KB heap: room for ~109 processes (110 expected)");
}

// An expected load replaces the 512 KB rule: a 256 KB desktop for 30 processes is enough.
TEST(AnalysisBoundaries, ExpectedLoadReplacesThe512KbRule) {
    auto s = service_preflight();
    s.target.desktop_facts.heap_kb = 256;
    EXPECT_EQ(find(analyze(s, AnalysisOptions{30}).preflight, "heap.desktop.small"), nullptr);
}

// Without UOI_HEAPSIZE the SharedSection value for the station's kind stands in: the third value
// for a service station, the second for WinSta0.
TEST(AnalysisBoundaries, UnknownHeapSizeFallsBackToTheSharedSectionValueOfTheStationsKind) {
    auto s = service_preflight();
    s.target.desktop_facts.heap_kb.reset();
    s.system.subsystems_windows_value = "csrss.exe SharedSection=1024,20480,256 Windows=On";
    auto a = analyze(s);
    ASSERT_NE(find(a.preflight, "heap.desktop.size_unknown"), nullptr) << ids(a.preflight);
    const auto* f = find(a.preflight, "heap.desktop.small");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->evidence, "256 KB from SharedSection third value; ~7 KB per process (field figure)");

    s.target.station_facts.flags = 1;  // the same values on the interactive station: 20480 KB
    a = analyze(s, AnalysisOptions{3000});  // 20480 KB holds ~2925
    f = find(a.preflight, "heap.desktop.small");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->evidence, "20480 KB from SharedSection second value; ~7 KB per process (field figure)");
    EXPECT_EQ(f->remedy, "start fewer processes on this desktop");  // 20480 KB is the ceiling
}

// A desktop that does not exist has no heap to judge.
TEST(AnalysisBoundaries, MissingDesktopGetsNoHeapFinding) {
    auto s = service_preflight();
    s.target.desktop_facts.exists = false;
    s.target.desktop_facts.heap_kb = 128;
    const auto a = analyze(s);
    EXPECT_NE(find(a.preflight, "desktop.desktop.missing"), nullptr) << ids(a.preflight);
    EXPECT_EQ(find(a.preflight, "heap.desktop.small"), nullptr) << ids(a.preflight);
    EXPECT_EQ(find(a.preflight, "heap.desktop.size_unknown"), nullptr) << ids(a.preflight);
}

// ---- Access ------------------------------------------------------------------------------------

// Only the rights user32 needs count: a grant that lacks DESKTOP_SWITCHDESKTOP (0x100, asked for
// but not needed) is no finding.
TEST(AnalysisBoundaries, RightsBeyondTheNeededOnesAreNotMissing) {
    auto s = service_preflight();
    s.target.desktop_facts.access_requested = 0x1FF;
    s.target.desktop_facts.access_granted = 0x0FF;
    auto a = analyze(s);
    EXPECT_TRUE(a.preflight.empty()) << ids(a.preflight);
    ASSERT_EQ(a.access.size(), 2u);
    EXPECT_TRUE(a.access[1].ok);
    // Without DESKTOP_HOOKCONTROL (0x8), one of the needed rights, it warns: some rights are
    // granted, so user32's MAXIMUM_ALLOWED open succeeds (issue 10, M3: only "granted nothing" blocks).
    s.target.desktop_facts.access_granted = 0x1F7;
    a = analyze(s);
    const auto* f = find(a.preflight, "acl.desktop.missing_rights");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->message.rfind("the token lacks DESKTOP_HOOKCONTROL on desktop Service-0x0-29ff1$\\Default;", 0), 0u)
        << f->message;
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(a.verdict, Verdict::warn);
    EXPECT_FALSE(a.access[1].ok);
}

// The offline model decides when no AccessCheck result is in the facts.
TEST(AnalysisBoundaries, OfflineModelDecidesWithoutAnAccessCheckResult) {
    auto s = service_preflight();
    s.target.desktop_facts.access_granted.reset();
    s.target.desktop_facts.access_requested.reset();
    EXPECT_TRUE(analyze(s).preflight.empty()) << ids(analyze(s).preflight);
    // The logon SID gets only DESKTOP_READOBJECTS|CREATEWINDOW (0x3): some rights, so a warning.
    s.target.desktop_facts.sddl = "O:SYG:SYD:P(A;;0x3;;;S-1-5-5-0-172017)(A;;0xf01ff;;;SY)";
    auto a = analyze(s);
    const auto* f = find(a.preflight, "acl.desktop.missing_rights");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(f->evidence.rfind("offline AccessCheck model on ", 0), 0u) << f->evidence;
    EXPECT_EQ(a.verdict, Verdict::warn);
    // The logon SID gets nothing: the model says the open is granted nothing, which blocks.
    s.target.desktop_facts.sddl = "O:SYG:SYD:P(A;;0xf01ff;;;SY)";
    a = analyze(s);
    f = find(a.preflight, "acl.desktop.no_access");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::error);
    EXPECT_EQ(a.verdict, Verdict::blocked);
}

// What could not be checked warns; it does not block, and it is not called ok.
TEST(AnalysisBoundaries, UncheckableAccessWarns) {
    auto s = service_preflight();
    s.target.desktop_facts.access_granted.reset();
    s.target.desktop_facts.access_requested.reset();
    s.target.desktop_facts.sddl.reset();
    s.target.desktop_facts.open_error = "OpenDesktopW: access denied (5)";
    auto a = analyze(s);
    auto* f = find(a.preflight, "acl.desktop.unchecked");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(f->evidence, "OpenDesktopW: access denied (5)");
    EXPECT_EQ(a.verdict, Verdict::warn);
    EXPECT_EQ(a.access.size(), 1u);  // the station only: the desktop's access is unknown

    s.target.desktop_facts.sddl = "O:SYD:(A;;ZZ;;;SY)";
    a = analyze(s);
    f = find(a.preflight, "acl.desktop.sddl_unreadable");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::warning);
    EXPECT_EQ(a.verdict, Verdict::warn);
    EXPECT_EQ(a.access.size(), 1u);
}

// The grant goes to the logon SID; a token whose logon SID is empty gets it on its user SID.
TEST(AnalysisBoundaries, TrusteeIsTheLogonSidElseTheUser) {
    auto s = service_preflight();
    ASSERT_EQ(analyze(s).access.size(), 2u);
    EXPECT_EQ(analyze(s).access[1].trustee_sid, "S-1-5-5-0-172017");
    s.token.logon_sid = "";
    EXPECT_EQ(analyze(s).access[1].trustee_sid, "S-1-5-21-3623811015-3361044348-30300820-1013");
    s.token.logon_sid.reset();
    EXPECT_EQ(analyze(s).access[1].trustee_sid, "S-1-5-21-3623811015-3361044348-30300820-1013");
}

TEST(AnalysisBoundaries, RestrictedTokenIsInformation) {
    auto s = service_preflight();
    s.token.restricted_sids = {{"S-1-5-12", "NT AUTHORITY\\RESTRICTED", 7}};
    const auto a = analyze(s);
    const auto* f = find(a.preflight, "token.restricted");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->severity, Severity::info);
    EXPECT_EQ(f->message, "the token is restricted (1 restricted SIDs): access needs both passes");
}

// ---- The canary --------------------------------------------------------------------------------

// A canary that started but could not allocate what it was asked to has failed.
TEST(AnalysisBoundaries, CanaryThatStartedButCouldNotAllocateFailed) {
    auto s = service_preflight();
    s.canary = CanaryFacts{0, 64, false, "created 10 of 20 windows"};
    auto a = analyze(s);
    const auto* f = find(a.preflight, "canary.failed");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->message.rfind("the canary could not allocate 64 KB on Service-0x0-29ff1$\\Default", 0), 0u) << f->message;
    EXPECT_EQ(a.verdict, Verdict::blocked);
    // Not asked to allocate: starting is enough.
    s.canary = CanaryFacts{0, 0, false, "started"};
    a = analyze(s);
    f = find(a.preflight, "canary.ok");
    ASSERT_NE(f, nullptr) << ids(a.preflight);
    EXPECT_EQ(f->message, "the canary started on Service-0x0-29ff1$\\Default");
    EXPECT_EQ(a.verdict, Verdict::ok);
}

// ---- diagnosis_input ---------------------------------------------------------------------------

TEST(AnalysisBoundaries, DiagnosisInputTakesTheExitFacts) {
    auto s = load("service-heap-exhausted.json");
    auto in = diagnosis_input(s, {});
    EXPECT_EQ(in.exit_code, 0xC0000142u);
    EXPECT_EQ(in.runtime_ms, 31u);
    EXPECT_EQ(in.restricted_token_without_console, false);  // not a restricted token
    EXPECT_EQ(in.event_243_seen, true);
    EXPECT_EQ(in.event_244_seen, false);
    EXPECT_EQ(in.station_exists, true);
    EXPECT_EQ(in.desktop_exists, true);
    ASSERT_TRUE(in.heap);
    EXPECT_EQ(in.heap->heap_kb, 768u);
    EXPECT_EQ(in.heap->interactive, false);
    EXPECT_FALSE(in.heap->canary_started);
    ASSERT_TRUE(in.os);
    EXPECT_EQ(in.os->build, 17763u);

    s.token.restricted_sids = {{"S-1-5-12", "", 7}};
    s.exit->had_console = true;
    EXPECT_EQ(diagnosis_input(s, {}).restricted_token_without_console, false);
    s.exit->had_console = false;
    EXPECT_EQ(diagnosis_input(s, {}).restricted_token_without_console, true);
}

// Without exit facts (or OS facts) nothing is made up.
TEST(AnalysisBoundaries, DiagnosisInputLeavesUnknownsUnknown) {
    auto s = load("service-heap-exhausted.json");
    s.exit.reset();
    s.system.events.reset();
    s.system.os = OsFacts{};  // major 0: not gathered
    s.target.desktop_facts.heap_kb.reset();
    const auto in = diagnosis_input(s, {});
    EXPECT_FALSE(in.runtime_ms);
    EXPECT_FALSE(in.restricted_token_without_console);
    EXPECT_FALSE(in.event_243_seen);
    EXPECT_FALSE(in.event_244_seen);
    EXPECT_FALSE(in.os);
    EXPECT_FALSE(in.heap);
}

// An event logged in the launch's own second counts (a loader-time death is that fast).
TEST(AnalysisBoundaries, EventAtTheLaunchInstantCounts) {
    auto s = load("service-heap-exhausted.json");
    s.exit->started_utc = "2026-11-20T08:13:58Z";  // event 243's own time
    EXPECT_EQ(diagnosis_input(s, {}).event_243_seen, true);
    s.exit->started_utc = "2026-11-20T08:13:59Z";
    EXPECT_EQ(diagnosis_input(s, {}).event_243_seen, false);
}

// A canary that died the way the child did (0xC0000142, or 128 before Vista) did not start; any
// other exit means user32 got far enough. Its allocation counts only when it was asked to allocate.
TEST(AnalysisBoundaries, DiagnosisInputReadsTheCanary) {
    auto s = load("service-heap-exhausted.json");
    s.canary = CanaryFacts{0xC0000142, 64, false, ""};
    auto in = diagnosis_input(s, {});
    ASSERT_TRUE(in.heap);
    EXPECT_EQ(in.heap->canary_started, false);
    EXPECT_EQ(in.heap->canary_allocated, false);
    s.canary = CanaryFacts{128, 0, false, ""};
    EXPECT_EQ(diagnosis_input(s, {}).heap->canary_started, false);
    s.canary = CanaryFacts{1, 0, false, ""};
    in = diagnosis_input(s, {});
    EXPECT_EQ(in.heap->canary_started, true);
    EXPECT_FALSE(in.heap->canary_allocated);  // not asked
    s.canary = CanaryFacts{0, 64, true, ""};
    EXPECT_EQ(diagnosis_input(s, {}).heap->canary_allocated, true);
    // A canary alone, with no heap size, still makes heap facts.
    s.target.desktop_facts.heap_kb.reset();
    in = diagnosis_input(s, {});
    ASSERT_TRUE(in.heap);
    EXPECT_FALSE(in.heap->heap_kb);
}

// A hidden station that does not exist yet is created for the child: existence is not a fact then.
TEST(AnalysisBoundaries, DiagnosisInputDoesNotCallAnAbsentHiddenStationMissing) {
    auto s = load("service-heap-exhausted.json");
    s.target.spec = "";
    s.target.station_facts.exists = false;
    s.target.desktop_facts.exists = false;
    auto in = diagnosis_input(s, {});
    EXPECT_FALSE(in.station_exists);
    EXPECT_FALSE(in.desktop_exists);
    s.target.spec = "Service-0x0-29ff1$\\Default";  // named: missing is a fact
    in = diagnosis_input(s, {});
    EXPECT_EQ(in.station_exists, false);
    EXPECT_EQ(in.desktop_exists, false);
}

}  // namespace
}  // namespace safelaunch
