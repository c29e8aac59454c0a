// Issue 9 part 3: Win32k event 58 facts, their JSON, the status -> cause mapping, the findings and
// the diagnosis rule R14 (apply_win32k_trace). Portable: no ETW here, only the decisions.
#include "safelaunch/analysis.hpp"
#include "safelaunch/diagnosis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/win32k_trace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>
#include <string>

namespace safelaunch {
namespace {

constexpr std::uint32_t kChildPid = 4242;

Win32kTraceFacts ran_with(std::optional<std::uint32_t> status, std::uint32_t pid = kChildPid) {
    Win32kTraceFacts t;
    t.requested = true;
    t.started = true;
    t.session_name = "safelaunch-win32k-1-1";
    t.child_pid = kChildPid;
    t.events_total = 7;
    Win32kTraceEvent e;
    e.id = kWin32kEventDesktopResolutionFailure;
    e.pid = pid;
    e.status = status;
    e.status_field = "Status";
    e.fields = {{"ProcessId", std::to_string(pid)}, {"Status", status ? std::to_string(*status) : std::string("?")}};
    e.time_utc = "2026-12-06T11:00:00.1234567Z";
    t.events.push_back(e);
    return t;
}

Win32kTraceFacts ran_without_event() {
    auto t = ran_with(kStatusAccessDenied);
    t.events.clear();
    return t;
}

const RankedCause& cause(const Diagnosis& d, CauseId id) {
    const auto* c = d.find(id);
    if (!c) throw std::runtime_error("cause not listed: " + std::string(to_string(id)));
    return *c;
}

bool mentions(const RankedCause& c, std::string_view text) {
    for (const auto& e : c.evidence)
        if (e.find(text) != std::string::npos) return true;
    return false;
}

// A DLL-init death where inference (the heap model and a failed canary) points at the heap and the
// ACL check passed.
DiagnosisInput heap_looks_full() {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.runtime_ms = 40;
    in.access = {{"desktop WinSta0\\Default", "S-1-5-5-0-1", true, "", false}};
    HeapFacts heap;
    heap.heap_kb = 768;
    heap.interactive = false;
    heap.canary_started = false;
    heap.estimated_fill_percent = 99.0;
    in.heap = heap;
    return in;
}

TEST(Win32kTrace, StatusMapsToKbCause) {
    EXPECT_EQ(resolution_cause(0xC0000022), ResolutionCause::access);
    EXPECT_EQ(resolution_cause(0xC0000034), ResolutionCause::missing_desktop);
    EXPECT_EQ(resolution_cause(0xC000003A), ResolutionCause::missing_desktop);
    EXPECT_EQ(resolution_cause(0xC0000033), ResolutionCause::missing_desktop);
    EXPECT_EQ(resolution_cause(0xC0000017), ResolutionCause::desktop_heap);
    EXPECT_EQ(resolution_cause(0xC000009A), ResolutionCause::desktop_heap);
    EXPECT_EQ(resolution_cause(0xC0000142), ResolutionCause::unknown);
    EXPECT_EQ(resolution_cause(0), ResolutionCause::unknown);
    EXPECT_EQ(describe_status(0xC0000022), "0xC0000022 (STATUS_ACCESS_DENIED)");
    EXPECT_EQ(describe_status(0xC0001234), "0xC0001234");
}

TEST(Win32kTrace, OnlyTheChildsPidCounts) {
    EXPECT_NE(child_resolution_failure(ran_with(kStatusAccessDenied)), nullptr);
    EXPECT_EQ(child_resolution_failure(ran_with(kStatusAccessDenied, kChildPid + 1)), nullptr);
    auto no_pid = ran_with(kStatusAccessDenied);
    no_pid.child_pid.reset();
    EXPECT_EQ(child_resolution_failure(no_pid), nullptr);
    auto other_id = ran_with(kStatusAccessDenied);
    other_id.events[0].id = 57;
    EXPECT_EQ(child_resolution_failure(other_id), nullptr);
}

TEST(Win32kTrace, NotRequestedGivesNoFinding) {
    EXPECT_TRUE(win32k_trace_findings({}).empty());
    EXPECT_EQ(win32k_trace_line({}), "win32k trace: not requested");
}

TEST(Win32kTrace, AccessDeniedToStartSaysWhoMayRunIt) {
    Win32kTraceFacts t;
    t.requested = true;
    t.failed_api = "StartTraceW";
    t.error = 5;
    t.reason = "Access is denied.";
    const auto f = win32k_trace_findings(t);
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].id, "win32k.trace.unavailable");
    EXPECT_EQ(f[0].severity, Severity::warning);
    EXPECT_NE(f[0].message.find("StartTraceW failed (error 5)"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].remedy.find("Performance Log Users"), std::string::npos);
    EXPECT_NE(f[0].evidence.find("unverified"), std::string::npos);
    EXPECT_EQ(win32k_trace_line(t), "win32k trace: could not start: StartTraceW error 5: Access is denied.");
}

TEST(Win32kTrace, EventFindingNamesStatusAndCause) {
    const auto f = win32k_trace_findings(ran_with(kStatusInsufficientResources));
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].id, "win32k.desktop_resolution_failure");
    EXPECT_EQ(f[0].severity, Severity::error);
    EXPECT_NE(f[0].message.find("STATUS_INSUFFICIENT_RESOURCES"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].message.find("desktop_heap"), std::string::npos) << f[0].message;
    EXPECT_NE(f[0].evidence.find("ProcessId=4242"), std::string::npos) << f[0].evidence;
    EXPECT_EQ(win32k_trace_line(ran_with(kStatusAccessDenied)),
              "win32k trace: event 58 for pid 4242: 0xC0000022 (STATUS_ACCESS_DENIED) -> access (unverified event)");
}

TEST(Win32kTrace, NoEventIsInfoAndWeak) {
    const auto f = win32k_trace_findings(ran_without_event());
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].id, "win32k.trace.no_event");
    EXPECT_EQ(f[0].severity, Severity::info);
    EXPECT_NE(f[0].evidence.find("weak evidence"), std::string::npos);
}

TEST(Win32kTrace, NoEventWithLostEventsSaysItDecidesNothing) {
    auto t = ran_without_event();
    t.events_lost = 2;
    t.buffers_lost = 1;
    const auto f = win32k_trace_findings(t);
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].id, "win32k.trace.no_event");
    EXPECT_NE(f[0].evidence.find("not even weak evidence: the session lost 2 events and 1 real-time buffers"),
              std::string::npos)
        << f[0].evidence;
}

TEST(Win32kTrace, FieldTextIsEscaped) {
    auto t = ran_with(kStatusAccessDenied);
    t.events[0].fields.emplace_back("Desktop", "WinSta0\\Default\nforged line");
    const auto f = win32k_trace_findings(t);
    ASSERT_EQ(f.size(), 1U);
    EXPECT_EQ(f[0].evidence.find('\n'), std::string::npos) << f[0].evidence;
}

TEST(Win32kTraceJson, RoundTripsInsideASnapshot) {
    Snapshot s;
    s.win32k_trace = ran_with(kStatusNoMemory);
    s.win32k_trace->level = 4;
    s.win32k_trace->keywords = 0xFFFFFFFFFFFFFFFFULL;
    s.win32k_trace->events_dropped = 3;
    s.win32k_trace->events_lost = 5;
    s.win32k_trace->buffers_lost = 1;
    const nlohmann::json j = s;
    const auto back = j.get<Snapshot>();
    ASSERT_TRUE(back.win32k_trace);
    const auto& t = *back.win32k_trace;
    EXPECT_TRUE(t.requested);
    EXPECT_TRUE(t.started);
    EXPECT_EQ(t.child_pid, kChildPid);
    EXPECT_EQ(t.level, 4);
    EXPECT_EQ(t.keywords, 0xFFFFFFFFFFFFFFFFULL);
    EXPECT_EQ(t.events_total, 7U);
    EXPECT_EQ(t.events_dropped, 3U);
    EXPECT_EQ(t.events_lost, 5U);
    EXPECT_EQ(t.buffers_lost, 1U);
    ASSERT_EQ(t.events.size(), 1U);
    EXPECT_EQ(t.events[0].status, kStatusNoMemory);
    EXPECT_EQ(t.events[0].fields, s.win32k_trace->events[0].fields);  // order kept
    EXPECT_EQ(t.events[0].time_utc, "2026-12-06T11:00:00.1234567Z");
    EXPECT_EQ(nlohmann::json(back), j);
}

TEST(Win32kTraceJson, UnavailableRoundTripsWithItsError) {
    Snapshot s;
    s.win32k_trace = Win32kTraceFacts{};
    s.win32k_trace->requested = true;
    s.win32k_trace->failed_api = "StartTraceW";
    s.win32k_trace->error = 5;
    const auto back = nlohmann::json(s).get<Snapshot>();
    ASSERT_TRUE(back.win32k_trace);
    EXPECT_FALSE(back.win32k_trace->started);
    EXPECT_EQ(back.win32k_trace->error, 5U);
    EXPECT_FALSE(back.win32k_trace->child_pid);
    EXPECT_FALSE(nlohmann::json(Snapshot{}).get<Snapshot>().win32k_trace) << "absent stays absent";
}

TEST(Win32kTraceJson, BadInputIsRejectedWithTheKey) {
    const auto parse = [](const std::string& trace) {
        Snapshot s;
        std::string error;
        const bool ok = snapshot_from_json_text(R"({"schema": 1, "win32k_trace": )" + trace + "}", s, error);
        return ok ? std::string("ok") : error;
    };
    EXPECT_EQ(parse(R"({"requested": true})"), "ok");
    EXPECT_NE(parse(R"([1, 2])").find("win32k_trace must be a JSON object"), std::string::npos);
    EXPECT_NE(parse(R"({"child_pid": -1})").find("'child_pid' is out of range"), std::string::npos);
    EXPECT_NE(parse(R"({"level": 256})").find("'level' is out of range"), std::string::npos);
    EXPECT_NE(parse(R"({"events": [{"id": 70000}]})").find("'id' is out of range"), std::string::npos);
    EXPECT_NE(parse(R"({"events": [{"fields": {"a": "b"}}]})").find("'fields' must be an array"), std::string::npos);
    EXPECT_NE(parse(R"({"events": [{"fields": [{"name": 1}]}]})").find("type must be string"), std::string::npos)
        << parse(R"({"events": [{"fields": [{"name": 1}]}]})");
    EXPECT_NE(parse(R"({"started": "yes"})").find("type must be boolean"), std::string::npos);
}

// R14: the event decides access even where inference pointed at the heap, and says it overrode it.
TEST(Win32kTraceDiagnosis, AccessDeniedEventOverridesHeapInference) {
    const auto before = diagnose(heap_looks_full());
    ASSERT_EQ(before.causes.front().id, CauseId::desktop_heap);
    ASSERT_EQ(before.causes.front().likelihood, Likelihood::likely);

    const auto d = apply_win32k_trace(before, ran_with(kStatusAccessDenied));
    EXPECT_EQ(d.causes.front().id, CauseId::access);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes.front(), "STATUS_ACCESS_DENIED"));
    EXPECT_EQ(cause(d, CauseId::desktop_heap).likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "overridden by Win32k event 58"));
    EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "was likely"));
    EXPECT_NE(d.deciding_evidence.find("overrides the inference: desktop_heap (likely)"), std::string::npos) << d.deciding_evidence;
    const auto findings = to_findings(d);
    EXPECT_EQ(findings[1].id, "diagnosis.access");
    EXPECT_EQ(findings[1].severity, Severity::error);
}

TEST(Win32kTraceDiagnosis, NoMemoryEventDecidesHeapOverAFailedAclCheck) {
    auto in = heap_looks_full();
    in.access = {{"desktop WinSta0\\Default", "S-1-5-5-0-1", false, "DESKTOP_CREATEWINDOW", false}};
    in.heap.reset();
    const auto before = diagnose(in);
    ASSERT_EQ(cause(before, CauseId::access).likelihood, Likelihood::likely);
    const auto d = apply_win32k_trace(before, ran_with(kStatusNoMemory));
    EXPECT_EQ(d.causes.front().id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::decided);
    EXPECT_EQ(cause(d, CauseId::access).likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(cause(d, CauseId::access), "was likely"));
}

TEST(Win32kTraceDiagnosis, NotFoundEventDecidesMissingDesktop) {
    const auto d = apply_win32k_trace(diagnose(heap_looks_full()), ran_with(kStatusObjectNameNotFound));
    EXPECT_EQ(d.causes.front().id, CauseId::missing_desktop);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::decided);
}

TEST(Win32kTraceDiagnosis, UnmappedStatusIsNamedAndChangesNoLikelihood) {
    const auto before = diagnose(heap_looks_full());
    const auto d = apply_win32k_trace(before, ran_with(0xC0000001));
    ASSERT_EQ(d.causes.size(), before.causes.size());
    for (std::size_t i = 0; i < d.causes.size(); ++i) {
        EXPECT_EQ(d.causes[i].id, before.causes[i].id);
        EXPECT_EQ(d.causes[i].likelihood, before.causes[i].likelihood);
    }
    EXPECT_EQ(d.deciding_evidence.rfind("Win32k event 58", 0), 0U) << d.deciding_evidence;
    EXPECT_NE(d.deciding_evidence.find("does not map"), std::string::npos);
}

TEST(Win32kTraceDiagnosis, AbsentEventChangesNoLikelihood) {
    const auto before = diagnose(heap_looks_full());
    for (const auto& trace : {ran_without_event(), ran_with(kStatusAccessDenied, kChildPid + 1)}) {
        const auto d = apply_win32k_trace(before, trace);
        ASSERT_EQ(d.causes.size(), before.causes.size());
        for (std::size_t i = 0; i < d.causes.size(); ++i) {
            EXPECT_EQ(d.causes[i].id, before.causes[i].id);
            EXPECT_EQ(d.causes[i].likelihood, before.causes[i].likelihood);
        }
        EXPECT_EQ(d.deciding_evidence, before.deciding_evidence);
        EXPECT_TRUE(mentions(cause(d, CauseId::desktop_heap), "no event 58 for the child's pid 4242 (weak evidence"));
    }
}

TEST(Win32kTraceDiagnosis, TraceThatDidNotStartChangesNothing) {
    const auto before = diagnose(heap_looks_full());
    auto t = ran_with(kStatusAccessDenied);
    t.started = false;
    const auto d = apply_win32k_trace(before, t);
    EXPECT_EQ(nlohmann::json(d), nlohmann::json(before));
}

TEST(Win32kTraceDiagnosis, NormalExitAndLookAlikesAreNotDecidedByIt) {
    EXPECT_TRUE(apply_win32k_trace(diagnose({}), ran_with(kStatusAccessDenied)).causes.empty());
    DiagnosisInput in;
    in.exit_code = 0xC0000005;
    const auto d = apply_win32k_trace(diagnose(in), ran_with(kStatusAccessDenied));
    ASSERT_EQ(d.causes.size(), 1U);
    EXPECT_EQ(d.causes[0].id, CauseId::not_dll_init);
    EXPECT_EQ(d.causes[0].likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes[0], "not a DLL-initialisation failure"));
}

// Through analyze(): the snapshot's trace reaches the findings and decides the diagnosis last.
TEST(Win32kTraceDiagnosis, AnalyzeAppliesItToAPostMortemSnapshot) {
    Snapshot s;
    s.exit = ExitFacts{};
    s.exit->exit_code = kStatusDllInitFailed;
    s.exit->runtime_ms = 30;
    s.win32k_trace = ran_with(kStatusAccessDenied);
    const auto a = analyze(s, {});
    ASSERT_TRUE(a.diagnosis);
    EXPECT_EQ(a.diagnosis->causes.front().id, CauseId::access);
    EXPECT_EQ(a.diagnosis->causes.front().likelihood, Likelihood::decided);
    const auto has = [&](std::string_view id) {
        return std::any_of(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
    };
    EXPECT_TRUE(has("win32k.desktop_resolution_failure"));
}

}  // namespace
}  // namespace safelaunch
