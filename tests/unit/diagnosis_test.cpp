#include "safelaunch/diagnosis.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <stdexcept>
#include <string>

namespace safelaunch {
namespace {

bool mentions(const RankedCause& c, std::string_view text) {
    for (const auto& e : c.evidence)
        if (e.find(text) != std::string::npos) return true;
    return false;
}

const RankedCause& cause(const Diagnosis& d, CauseId id) {
    const auto* c = d.find(id);
    if (!c) throw std::runtime_error("cause not listed: " + std::string(to_string(id)));
    return *c;
}

OsFacts windows(std::uint32_t major, std::uint32_t minor, std::uint32_t build, bool x64) {
    OsFacts os;
    os.major = major;
    os.minor = minor;
    os.build = build;
    os.x64 = x64;
    return os;
}

// A LocalSystem service's child on its hidden station (platform facts: Service-0x0-3e7$).
// Granted nothing at all (no_access): user32's MAXIMUM_ALLOWED open fails.
AccessCheckFacts denied_desktop() {
    return {"desktop Service-0x0-3e7$\\Default", "S-1-5-21-1004336348-1177238915-682003330-1001", false,
            "DESKTOP_CREATEWINDOW | DESKTOP_READOBJECTS", true};
}

AccessCheckFacts granted_desktop() { return {"desktop WinSta0\\Default", "S-1-5-5-0-123456", true, ""}; }

TEST(Diagnosis, NormalExitListsNoCause) {
    const auto d = diagnose({});
    EXPECT_TRUE(d.causes.empty());
    EXPECT_EQ(d.deciding_evidence, "exit code 0: the child exited normally");
    const auto findings = to_findings(d);
    ASSERT_EQ(findings.size(), 1U);
    EXPECT_EQ(findings[0].id, "diagnosis.exit_code");
    EXPECT_EQ(verdict_of(findings), Verdict::ok);
}

// R2: the look-alikes are decided as not_dll_init whatever else is known about the desktop.
TEST(Diagnosis, LookAlikeCodesAreDecidedNotDllInit) {
    for (const std::uint32_t code : {0xC0000135U, 0xC000007BU, 0xC0000005U, 0xC0000409U, 0xC000001DU, 0xC0000022U, 1U, 0xC0000999U}) {
        DiagnosisInput in;
        in.exit_code = code;
        in.event_243_seen = true;  // heap trouble elsewhere does not explain this code
        const auto d = diagnose(in);
        ASSERT_EQ(d.causes.size(), 1U) << code;
        EXPECT_EQ(d.causes[0].id, CauseId::not_dll_init);
        EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
        EXPECT_FALSE(d.causes[0].remedy.empty());
        EXPECT_EQ(d.find(CauseId::desktop_heap), nullptr);
        EXPECT_NE(d.deciding_evidence.find("not a DLL-initialisation failure"), std::string::npos) << d.deciding_evidence;
    }
}

// Nothing known: access and heap both possible, with the checks to run; access first.
TEST(Diagnosis, NothingKnownRanksAccessThenHeapAsPossible) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    const auto d = diagnose(in);
    ASSERT_GE(d.causes.size(), 2U);
    EXPECT_EQ(d.causes[0].id, CauseId::access);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::possible);
    EXPECT_TRUE(mentions(d.causes[0], "AccessCheck"));
    EXPECT_EQ(d.causes[1].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[1].likelihood, Likelihood::possible);
    EXPECT_TRUE(mentions(d.causes[1], "event 243"));
    EXPECT_TRUE(mentions(d.causes[1], "canary"));
    for (std::size_t i = 2; i < d.causes.size(); ++i) EXPECT_EQ(d.causes[i].likelihood, Likelihood::unlikely) << to_string(d.causes[i].id);
    EXPECT_EQ(d.deciding_evidence, "nothing decisive: possible access, desktop_heap; run the checks listed with them");
}

// Event 243 text and the 768 KB non-interactive default of 64-bit Windows: platform facts
// (SharedSection 1024,20480,768).
TEST(Diagnosis, Event243DecidesDesktopHeapWithTheNextSharedSectionStep) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    in.heap = HeapFacts{768, false, {}, {}, {}, {}};
    in.access = {granted_desktop()};
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_NE(d.causes[0].remedy.find("third SharedSection value (desktops of non-interactive stations) from 768 to 1024 KB"),
              std::string::npos)
        << d.causes[0].remedy;
    EXPECT_NE(d.causes[0].remedy.find("reboot"), std::string::npos);
    EXPECT_EQ(cause(d, CauseId::access).likelihood, Likelihood::unlikely);
    EXPECT_EQ(d.deciding_evidence.rfind("decided by desktop_heap: Win32k event 243", 0), 0U) << d.deciding_evidence;
}

TEST(Diagnosis, FailedAccessCheckDecidesAccessWithTheGrant) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {{"window station Service-0x0-3e7$", "S-1-5-21-1004336348-1177238915-682003330-1001", true, ""}, denied_desktop()};
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::access);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_EQ(d.causes[0].evidence[0],
              "access check failed: S-1-5-21-1004336348-1177238915-682003330-1001 lacks DESKTOP_CREATEWINDOW | DESKTOP_READOBJECTS "
              "on desktop Service-0x0-3e7$\\Default and is granted nothing there");
    EXPECT_EQ(d.causes[0].remedy.rfind("Grant S-1-5-21-1004336348-1177238915-682003330-1001 DESKTOP_CREATEWINDOW | "
                                       "DESKTOP_READOBJECTS on desktop Service-0x0-3e7$\\Default",
                                       0),
              0U)
        << d.causes[0].remedy;
    EXPECT_TRUE(mentions(d.causes[0], "access check passed on window station"));
}

// Some rights granted, some of the baseline missing: user32 may still connect (M3), so the
// access cause is likely, not decided, and a canary failure still points at the heap.
TEST(Diagnosis, MissingRightsWithSomeGrantedMakeAccessLikelyNotDecided) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    auto partial = denied_desktop();
    partial.no_access = false;
    in.access = {partial};
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::access).likelihood, Likelihood::likely);
    EXPECT_TRUE(mentions(cause(d, CauseId::access), "MAXIMUM_ALLOWED open may still succeed"));
    EXPECT_EQ(cause(d, CauseId::access).remedy.rfind("Grant S-1-5-21-1004336348-1177238915-682003330-1001", 0), 0U);
    in.access = {denied_desktop()};
    const auto nothing = diagnose(in);
    EXPECT_EQ(cause(nothing, CauseId::access).likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(cause(nothing, CauseId::access), "granted nothing there"));
}

TEST(Diagnosis, AccessAndHeapBothDecidedReportsBothAccessFirst) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {denied_desktop()};
    in.event_243_seen = true;
    const auto d = diagnose(in);
    ASSERT_GE(d.causes.size(), 2U);
    EXPECT_EQ(d.causes[0].id, CauseId::access);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_EQ(d.causes[1].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[1].likelihood, Likelihood::decided);
    EXPECT_NE(d.deciding_evidence.find("both reported, access first"), std::string::npos) << d.deciding_evidence;

    const auto findings = to_findings(d);
    ASSERT_GE(findings.size(), 3U);
    EXPECT_EQ(findings[0].id, "diagnosis.exit_code");
    EXPECT_EQ(findings[1].id, "diagnosis.access");
    EXPECT_EQ(findings[1].severity, Severity::error);
    EXPECT_EQ(findings[2].id, "diagnosis.desktop_heap");
    EXPECT_EQ(findings[2].severity, Severity::error);
    EXPECT_FALSE(findings[1].remedy.empty());
    EXPECT_EQ(verdict_of(findings), Verdict::blocked);
    for (const auto& f : findings) EXPECT_NE(f.id, "diagnosis.other_dll_init") << "unlikely causes are not findings";
}

TEST(Diagnosis, FailedCanaryWithAccessOkMakesHeapLikely) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = false;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::access).likelihood, Likelihood::unlikely);
    EXPECT_EQ(d.deciding_evidence.rfind("nothing decided; likely desktop_heap", 0), 0U) << d.deciding_evidence;
}

TEST(Diagnosis, FailedCanaryBesideAnAccessFailureStaysPossible) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {denied_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = true;
    in.heap->canary_allocated = false;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::access);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::possible);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "may share the access failure"));
}

// A canary that only started proves user32 could connect, not that the heap has room.
TEST(Diagnosis, CanaryThatOnlyStartedLeavesHeapPossible) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.heap = HeapFacts{};
    in.heap->canary_started = true;
    const auto d = diagnose(in);
    const auto& heap = cause(d, CauseId::desktop_heap);
    EXPECT_EQ(heap.likelihood, Likelihood::possible);
    EXPECT_TRUE(mentions(heap, "not asked to allocate"));
    EXPECT_TRUE(mentions(heap, "run the heap canary with an allocation"));
}

struct FillCase {
    double fill;
    Likelihood expected;
};

TEST(Diagnosis, EstimatedHeapFillThresholds) {
    const FillCase table[] = {{99.0, Likelihood::likely}, {90.0, Likelihood::likely}, {89.9, Likelihood::possible},
                              {75.0, Likelihood::possible}, {74.9, Likelihood::unlikely}, {10.0, Likelihood::unlikely}};
    for (const auto& [fill, expected] : table) {
        DiagnosisInput in;
        in.exit_code = kStatusDllInitFailed;
        in.heap = HeapFacts{};
        in.heap->estimated_fill_percent = fill;
        in.heap->heap_kb = 768;
        const auto d = diagnose(in);
        EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, expected) << fill;
        EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "% full of 768 KB")) << fill;
    }
}

// A canary that started and allocated rules the heap out, unless the estimate says it is nearly
// full: then the canary fitting in the last 10 % says little.
TEST(Diagnosis, RoomyCanaryWithANearlyFullHeapLeavesHeapPossible) {
    const FillCase table[] = {{95.0, Likelihood::possible}, {90.0, Likelihood::possible}, {89.9, Likelihood::unlikely}};
    for (const auto& [fill, expected] : table) {
        DiagnosisInput in;
        in.exit_code = kStatusDllInitFailed;
        in.access = {granted_desktop()};
        in.heap = HeapFacts{};
        in.heap->canary_started = true;
        in.heap->canary_allocated = true;
        in.heap->estimated_fill_percent = fill;
        const auto d = diagnose(in);
        EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, expected) << fill;
        EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "created its windows")) << fill;
    }
}

// A failed canary decides "likely" whatever the estimate says.
TEST(Diagnosis, FailedCanaryOutweighsALowFillEstimate) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = true;
    in.heap->canary_allocated = false;
    in.heap->estimated_fill_percent = 10.0;
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::likely);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "could not create its windows"));
}

// R8: another DLL is likely only when access and heap are ruled out and nothing else is positive.
TEST(Diagnosis, AnotherDllStaysUnlikelyWhileARestrictedTokenIsLikely) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = true;
    in.heap->canary_allocated = true;
    in.restricted_token_without_console = true;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::restricted_token_no_console);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(cause(d, CauseId::other_dll_init), "only once access and desktop heap are ruled out"));
}

// R8 needs both ruled out: with the heap only possible, another DLL stays unlikely.
TEST(Diagnosis, AnotherDllStaysUnlikelyWhileTheHeapIsUnmeasured) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::possible);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::unlikely);
}

// Likely causes become warnings, possible ones info, unlikely ones no finding.
TEST(Diagnosis, LikelyCausesBecomeWarningFindings) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = false;
    const auto findings = to_findings(diagnose(in));
    ASSERT_EQ(findings.size(), 2U);
    EXPECT_EQ(findings[1].id, "diagnosis.desktop_heap");
    EXPECT_EQ(findings[1].severity, Severity::warning);
    EXPECT_EQ(findings[1].message.rfind("likely: ", 0), 0U) << findings[1].message;
    EXPECT_EQ(verdict_of(findings), Verdict::blocked);  // the exit code itself is an error
}

TEST(Diagnosis, Event243AbsenceDoesNotRuleHeapOut) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = false;
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::possible);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "log-once flag per session"));
}

TEST(Diagnosis, AccessOkAndHeapRoomyPointsToAnotherDll) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.access = {granted_desktop()};
    in.heap = HeapFacts{};
    in.heap->canary_started = true;
    in.heap->canary_allocated = true;
    in.event_243_seen = false;
    in.event_244_seen = false;
    in.station_exists = true;
    in.desktop_exists = true;
    in.restricted_token_without_console = false;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::other_dll_init);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    EXPECT_NE(d.causes[0].remedy.find("loader snaps"), std::string::npos);
    // access, desktop_heap, session_pool, missing_desktop, restricted_token_no_console, other_dll_init.
    ASSERT_EQ(d.causes.size(), 6U);
    for (std::size_t i = 1; i < d.causes.size(); ++i) EXPECT_EQ(d.causes[i].likelihood, Likelihood::unlikely);
    // Ruled out by facts: nothing to do about them.
    EXPECT_EQ(cause(d, CauseId::missing_desktop).remedy, "");
    EXPECT_TRUE(mentions(cause(d, CauseId::missing_desktop), "the window station and desktop exist"));
    EXPECT_EQ(cause(d, CauseId::restricted_token_no_console).remedy, "");
}

TEST(Diagnosis, Event244DecidesSessionPool) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_244_seen = true;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::session_pool);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes[0], "event 244"));
    EXPECT_NE(d.causes[0].remedy.find("Service-0x"), std::string::npos);
}

// Platform facts: on Windows a child whose lpDesktop names a missing desktop dies with 0xC0000142.
TEST(Diagnosis, MissingDesktopIsDecided) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.station_exists = true;
    in.desktop_exists = false;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::missing_desktop);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_NE(d.causes[0].remedy.find("backslash"), std::string::npos);
}

TEST(Diagnosis, MissingStationIsDecidedToo) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.station_exists = false;  // the desktop was not looked for
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::missing_desktop);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes[0], "the window station named for the child does not exist"));
}

// Only the station known to exist: the desktop is still to be checked.
TEST(Diagnosis, StationAloneDoesNotRuleOutAMissingDesktop) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.station_exists = true;
    const auto d = diagnose(in);
    const auto& c = cause(d, CauseId::missing_desktop);
    EXPECT_EQ(c.likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(c, "not checked: open the window station and desktop named in lpDesktop"));
    EXPECT_FALSE(c.remedy.empty());
}

TEST(Diagnosis, RestrictedTokenWithoutConsoleIsLikely) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.restricted_token_without_console = true;
    in.access = {granted_desktop()};
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::restricted_token_no_console);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    EXPECT_NE(d.causes[0].remedy.find("DETACHED_PROCESS"), std::string::npos);
}

TEST(Diagnosis, ShortRuntimeKeepsTheDecision) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    in.runtime_ms = 120;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes[0], "after 120 ms"));
    // Unlikely causes are not given the runtime as if it supported them.
    EXPECT_EQ(cause(d, CauseId::session_pool).likelihood, Likelihood::unlikely);
    EXPECT_FALSE(mentions(cause(d, CauseId::session_pool), "after 120 ms"));
}

// kDllInitWindowMs (2000 ms) is the last runtime a loader-time failure is taken for.
TEST(Diagnosis, RuntimeAtTheLoaderWindowKeepsTheDecisionOneMoreMillisecondStepsDown) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    in.runtime_ms = kDllInitWindowMs;
    auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::decided);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "after 2000 ms"));
    in.runtime_ms = kDllInitWindowMs + 1;
    d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::likely);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "the child ran 2001 ms"));
}

TEST(Diagnosis, LongRuntimeStepsDesktopCausesDown) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    in.runtime_ms = 30000;
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::access).likelihood, Likelihood::unlikely);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::likely);
    EXPECT_TRUE(mentions(cause(d, CauseId::other_dll_init), "30000 ms"));
    EXPECT_TRUE(mentions(cause(d, CauseId::other_dll_init), "grandchild"));
    // Unlikely is the weakest: it stays unlikely.
    EXPECT_EQ(cause(d, CauseId::session_pool).likelihood, Likelihood::unlikely);
    EXPECT_EQ(cause(d, CauseId::restricted_token_no_console).likelihood, Likelihood::unlikely);
}

// KB 184802 (NT4/2000/XP/2003): the failed process returns 128.
TEST(Diagnosis, Code128OnXpIsTheDllInitFailure) {
    DiagnosisInput in;
    in.exit_code = kErrorWaitNoChildren;
    in.os = windows(5, 1, 2600, false);
    in.event_243_seen = true;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_EQ(d.find(CauseId::not_dll_init), nullptr);
    EXPECT_TRUE(mentions(d.causes[0], "pre-Vista form"));
}

TEST(Diagnosis, Code128OnWindows10MayBeTheProgramsOwnCode) {
    DiagnosisInput in;
    in.exit_code = kErrorWaitNoChildren;
    in.os = windows(10, 0, 19045, true);
    in.event_243_seen = true;
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::not_dll_init).likelihood, Likelihood::possible);
}

// Windows 6.x is Vista (6.0) and 7 (6.1): from Vista on a DLL-init failure exits 0xC0000142.
TEST(Diagnosis, Code128OnVistaAndWindows7MayBeTheProgramsOwnCode) {
    for (const auto& os : {windows(6, 0, 6002, false), windows(6, 1, 7601, true)}) {
        SCOPED_TRACE(os.minor);
        DiagnosisInput in;
        in.exit_code = kErrorWaitNoChildren;
        in.os = os;
        in.event_243_seen = true;
        const auto d = diagnose(in);
        EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::likely);
        const auto& own = cause(d, CauseId::not_dll_init);
        EXPECT_EQ(own.likelihood, Likelihood::possible);
        ASSERT_EQ(own.evidence.size(), 1U);
        EXPECT_EQ(own.evidence[0], "exit code 128 on Windows 6." + std::to_string(os.minor) +
                                       ": from Vista on a DLL-init failure exits 0xC0000142, so 128 is more often "
                                       "the program's own code");
        EXPECT_FALSE(mentions(cause(d, CauseId::desktop_heap), "pre-Vista form"));
    }
}

// Windows Server 2003 x64 and XP x64 are 5.2: still the pre-Vista form.
TEST(Diagnosis, Code128OnServer2003IsTheDllInitFailure) {
    DiagnosisInput in;
    in.exit_code = kErrorWaitNoChildren;
    in.os = windows(5, 2, 3790, true);
    in.event_243_seen = true;
    const auto d = diagnose(in);
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::decided);
    EXPECT_EQ(d.find(CauseId::not_dll_init), nullptr);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "exit code 128 on Windows 5.2: the pre-Vista form of 0xC0000142"));
}

TEST(Diagnosis, Code128WithUnknownWindowsSaysItDepends) {
    DiagnosisInput in;
    in.exit_code = kErrorWaitNoChildren;
    const auto d = diagnose(in);
    EXPECT_EQ(d.find(CauseId::not_dll_init), nullptr);
    EXPECT_TRUE(mentions(cause(d, CauseId::access), "Windows version unknown"));
}

// Platform facts: Wine has no desktop heap, creates missing desktops and falls back to
// WinSta0\Default when a DACL denies; its 0xC0000142 comes from a DLL's own initialiser.
TEST(Diagnosis, UnderWineTheDesktopCausesAreUnlikely) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.os = windows(10, 0, 19045, true);
    in.os->wine_version = "8.0";
    in.desktop_exists = false;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::other_dll_init);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    for (auto id : {CauseId::access, CauseId::desktop_heap, CauseId::session_pool, CauseId::missing_desktop}) {
        EXPECT_EQ(cause(d, id).likelihood, Likelihood::unlikely) << to_string(id);
        EXPECT_TRUE(mentions(cause(d, id), "Wine 8.0"));
    }
}

// Under Wine another DLL is the likely cause only when nothing else is: a restricted token
// without a console stays the likely one.
TEST(Diagnosis, UnderWineARestrictedTokenStaysTheLikelyCause) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.os = windows(10, 0, 19045, true);
    in.os->wine_version = "8.0";
    in.restricted_token_without_console = true;
    const auto d = diagnose(in);
    EXPECT_EQ(d.causes[0].id, CauseId::restricted_token_no_console);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::likely);
    EXPECT_EQ(cause(d, CauseId::other_dll_init).likelihood, Likelihood::unlikely);
}

struct Step {
    std::uint32_t current;
    std::optional<std::uint32_t> next;
};

TEST(Diagnosis, HeapLadderSteps768To1024To2048ThenDoublesToTheCeiling) {
    const Step table[] = {{128, 768},   {512, 768},     {768, 1024},    {1000, 1024},         {1024, 2048},
                          {2048, 4096}, {3072, 4096},   {4096, 8192},   {16384, 20480},       {12288, 16384},
                          {20479, 20480}, {20480, std::nullopt}, {30000, std::nullopt}};
    for (const auto& [current, next] : table) EXPECT_EQ(next_heap_step_kb(current), next) << current;
}

TEST(Diagnosis, HeapRemedyNamesTheValueAndSize) {
    const auto remedy_for = [](std::optional<HeapFacts> heap) {
        DiagnosisInput in;
        in.exit_code = kStatusDllInitFailed;
        in.event_243_seen = true;
        in.heap = std::move(heap);
        return cause(diagnose(in), CauseId::desktop_heap).remedy;
    };
    EXPECT_NE(remedy_for(std::nullopt).find("one step (768 -> 1024 -> 2048 KB)"), std::string::npos);
    EXPECT_NE(remedy_for(std::nullopt).find("the second if the desktop is on WinSta0"), std::string::npos);
    // Vista SP1..7 x86 interactive default 12288 (platform facts).
    EXPECT_NE(remedy_for(HeapFacts{12288, true, {}, {}, {}, {}}).find("second SharedSection value (desktops of the interactive station WinSta0) from 12288 to 16384 KB"),
              std::string::npos);
    EXPECT_NE(remedy_for(HeapFacts{768, false, {}, {}, {}, 4096}).find("to 4096 KB"), std::string::npos);
    const auto at_ceiling = remedy_for(HeapFacts{20480, true, {}, {}, {}, {}});
    EXPECT_NE(at_ceiling.find("fewer windows or processes"), std::string::npos) << at_ceiling;
    EXPECT_NE(remedy_for(HeapFacts{768, false, {}, {}, {}, {}}).find("Session Manager\\SubSystems"), std::string::npos);
}

TEST(Diagnosis, PossibleCausesBecomeInfoFindings) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    const auto findings = to_findings(diagnose(in));
    ASSERT_EQ(findings.size(), 3U);
    EXPECT_EQ(findings[0].severity, Severity::error);
    EXPECT_NE(findings[0].message.find("0xC0000142"), std::string::npos);
    EXPECT_EQ(findings[1].id, "diagnosis.access");
    EXPECT_EQ(findings[1].severity, Severity::info);
    EXPECT_EQ(findings[1].message.rfind("possible: ", 0), 0U);
    EXPECT_EQ(findings[2].id, "diagnosis.desktop_heap");
}

TEST(Diagnosis, NamesRoundTrip) {
    for (auto c : {CauseId::access, CauseId::desktop_heap, CauseId::session_pool, CauseId::missing_desktop,
                   CauseId::restricted_token_no_console, CauseId::other_dll_init, CauseId::not_dll_init})
        EXPECT_EQ(cause_from_string(to_string(c)), c);
    for (auto l : {Likelihood::decided, Likelihood::likely, Likelihood::possible, Likelihood::unlikely})
        EXPECT_EQ(likelihood_from_string(to_string(l)), l);
    EXPECT_EQ(cause_from_string("Access"), std::nullopt);
}

// The names are stable JSON strings (README "JSON shapes", diagnosis.hpp): spelled out here, not
// taken from the code under test.
TEST(Diagnosis, NamesAreTheDocumentedStrings) {
    EXPECT_EQ(to_string(CauseId::access), "access");
    EXPECT_EQ(to_string(CauseId::desktop_heap), "desktop_heap");
    EXPECT_EQ(to_string(CauseId::session_pool), "session_pool");
    EXPECT_EQ(to_string(CauseId::missing_desktop), "missing_desktop");
    EXPECT_EQ(to_string(CauseId::restricted_token_no_console), "restricted_token_no_console");
    EXPECT_EQ(to_string(CauseId::other_dll_init), "other_dll_init");
    EXPECT_EQ(to_string(CauseId::not_dll_init), "not_dll_init");
    EXPECT_EQ(to_string(Likelihood::decided), "decided");
    EXPECT_EQ(to_string(Likelihood::likely), "likely");
    EXPECT_EQ(to_string(Likelihood::possible), "possible");
    EXPECT_EQ(to_string(Likelihood::unlikely), "unlikely");
    EXPECT_EQ(cause_from_string("desktop_heap"), CauseId::desktop_heap);
    EXPECT_EQ(likelihood_from_string("possible"), Likelihood::possible);
}

}  // namespace
}  // namespace safelaunch
