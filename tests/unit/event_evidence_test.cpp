// Issue 9 part 2: the "Application Popup" event 26 as evidence, and the 243/244 log-once caveat.
#include "safelaunch/analysis.hpp"
#include "safelaunch/diagnosis.hpp"
#include "safelaunch/event_evidence.hpp"
#include "safelaunch/json.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

#include <string>

namespace safelaunch {
namespace {

// The text Windows 10 shows for the popup (caption " : " text, as the event's data strings join).
constexpr const char* kWin10Popup =
    "worker.exe - Application Error : The application was unable to start correctly (0xc0000142). Click OK to close the "
    "application.";

bool mentions(const RankedCause& c, std::string_view text) {
    for (const auto& e : c.evidence)
        if (e.find(text) != std::string::npos) return true;
    return false;
}

TEST(PopupEvent, NamesTheImageAndTheStatus) {
    EXPECT_TRUE(popup_reports_dll_init_failure(kWin10Popup, "C:\\svc\\worker.exe"));
    EXPECT_TRUE(popup_reports_dll_init_failure(kWin10Popup, "worker"));  // ".exe" assumed, as CreateProcess does
    EXPECT_TRUE(popup_reports_dll_init_failure(kWin10Popup, "D:/x/WORKER.EXE"));
    EXPECT_TRUE(popup_reports_dll_init_failure("Application popup: worker.exe - Application Error : (0xC000026B)", "worker.exe"));
    // The pre-Vista popup has no status code, only its text.
    EXPECT_TRUE(popup_reports_dll_init_failure(
        "worker.exe - DLL Initialization Failed : Initialization of the dynamic library C:\\WINDOWS\\system32\\USER32.dll "
        "failed. The process is terminating abnormally.",
        "worker.exe"));
}

TEST(PopupEvent, AnotherImageOrAnotherStatusIsNotThisChilds) {
    EXPECT_FALSE(popup_reports_dll_init_failure(kWin10Popup, "other.exe"));
    EXPECT_FALSE(popup_reports_dll_init_failure(kWin10Popup, "ker.exe"));  // inside "worker.exe"
    EXPECT_FALSE(popup_reports_dll_init_failure("notworker.exe - Application Error : (0xc0000142)", "worker.exe"));
    EXPECT_FALSE(popup_reports_dll_init_failure("worker.exe - System Error : The program can't start because x.dll is "
                                                "missing (0xc0000135)",
                                                "worker.exe"));
    EXPECT_FALSE(popup_reports_dll_init_failure("", "worker.exe"));
    EXPECT_FALSE(popup_reports_dll_init_failure(kWin10Popup, ""));
    EXPECT_FALSE(popup_reports_dll_init_failure(kWin10Popup, "C:\\svc\\"));
}

OsFacts windows10() {
    OsFacts os;
    os.major = 10;
    os.build = 19045;
    os.x64 = true;
    return os;
}

// R12 against R10: 128 on Windows 10 is more often the program's own code, unless the popup says
// this image failed to initialise a DLL.
TEST(Diagnosis, PopupEventKeeps128ADllInitFailureOnWindows10) {
    DiagnosisInput in;
    in.exit_code = kErrorWaitNoChildren;
    in.os = windows10();
    in.event_243_seen = true;
    in.event_26_seen = true;
    in.event_26_text = kWin10Popup;
    auto d = diagnose(in);
    EXPECT_EQ(d.find(CauseId::not_dll_init), nullptr);
    ASSERT_EQ(d.causes.front().id, CauseId::desktop_heap);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::decided);
    EXPECT_TRUE(mentions(d.causes.front(), "event 26")) << d.causes.front().evidence.back();
    EXPECT_TRUE(mentions(d.causes.front(), "0xc0000142"));

    in.event_26_seen = false;  // known absent: R10 applies as before
    d = diagnose(in);
    ASSERT_NE(d.find(CauseId::not_dll_init), nullptr);
    EXPECT_EQ(d.find(CauseId::desktop_heap)->likelihood, Likelihood::likely);
}

// R12 against R9: the popup waited for an answer, so a long runtime says nothing of a grandchild.
TEST(Diagnosis, PopupEventKeepsTheDecisionOfALongRunningChild) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    in.runtime_ms = 30000;
    in.event_26_seen = true;
    in.event_26_text = kWin10Popup;
    const auto d = diagnose(in);
    ASSERT_NE(d.find(CauseId::desktop_heap), nullptr);
    EXPECT_EQ(d.find(CauseId::desktop_heap)->likelihood, Likelihood::decided);
    EXPECT_EQ(d.find(CauseId::other_dll_init)->likelihood, Likelihood::unlikely);
    EXPECT_TRUE(mentions(*d.find(CauseId::desktop_heap), "30000 ms, but the popup event"));
    EXPECT_FALSE(mentions(*d.find(CauseId::other_dll_init), "grandchild"));
}

// The popup proves a DLL-init failure, not which cause: nothing is decided by it alone.
TEST(Diagnosis, PopupEventAloneDecidesNoCause) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_26_seen = true;
    in.event_26_text = kWin10Popup;
    const auto d = diagnose(in);
    for (const auto& c : d.causes) EXPECT_NE(c.likelihood, Likelihood::decided) << to_string(c.id);
    EXPECT_TRUE(mentions(*d.find(CauseId::access), "event 26"));
    EXPECT_FALSE(mentions(*d.find(CauseId::session_pool), "event 26")) << "unlikely causes get no popup line";
}

TEST(Diagnosis, AbsentHeapEventsAreCalledWeakBecauseOfTheSharedLogOnceFlag) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = false;
    in.event_244_seen = false;
    const auto d = diagnose(in);
    EXPECT_TRUE(mentions(*d.find(CauseId::desktop_heap), "share one log-once flag per session"));
    EXPECT_TRUE(mentions(*d.find(CauseId::session_pool), "share one log-once flag per session"));
    EXPECT_EQ(d.find(CauseId::desktop_heap)->likelihood, Likelihood::possible);
}

// From a snapshot: event 26 counts only for the child's image and only since the launch.
TEST(Analysis, PopupEventForTheChildsImageSinceTheLaunchCounts) {
    auto s = test::load_snapshot("service-heap-exhausted.json");
    s.exit->exit_code = kErrorWaitNoChildren;  // Windows Server 2019: 128 alone may be the program's code
    s.exit->image = "C:\\svc\\worker.exe";
    s.exit->started_utc = "2026-11-20T08:13:57Z";
    EventFacts popup;
    popup.id = kEventApplicationPopup;
    popup.source = "Application Popup";
    popup.time_utc = "2026-11-20T08:13:58.2000000Z";
    popup.message = kWin10Popup;
    s.system.events->push_back(popup);
    auto a = analyze(s);
    ASSERT_TRUE(a.diagnosis);
    EXPECT_EQ(a.diagnosis->find(CauseId::not_dll_init), nullptr);

    s.exit->image = "C:\\svc\\other.exe";  // another program's popup
    a = analyze(s);
    ASSERT_NE(a.diagnosis->find(CauseId::not_dll_init), nullptr);

    s.exit->image = "C:\\svc\\worker.exe";
    s.exit->started_utc = "2026-11-20T08:13:59Z";  // the popup came before this launch
    a = analyze(s);
    ASSERT_NE(a.diagnosis->find(CauseId::not_dll_init), nullptr);
}

TEST(FactsJson, ExitImageRoundTripsAndIsOptional) {
    ExitFacts e;
    e.exit_code = kStatusDllInitFailed;
    e.image = "C:\\svc\\worker.exe";
    nlohmann::json j = e;
    EXPECT_EQ(j.at("image"), "C:\\svc\\worker.exe");
    EXPECT_EQ(j.get<ExitFacts>().image, e.image);
    j.erase("image");
    EXPECT_EQ(j.get<ExitFacts>().image, "");
    e.image.clear();
    EXPECT_FALSE(nlohmann::json(e).contains("image"));
}

}  // namespace
}  // namespace safelaunch
