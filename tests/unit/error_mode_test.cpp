// Issue 12 part 3: which error mode a child gets (the pure choice), its report, and the JSON of
// the facts that carry it (the child's mode, the machine's ErrorMode value), analysis and diagnosis.
#include "safelaunch/analysis.hpp"
#include "safelaunch/diagnosis.hpp"
#include "safelaunch/error_mode.hpp"
#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

namespace bits = error_mode_bits;
constexpr std::uint32_t kSuspended = 0x4;  // CREATE_SUSPENDED, a flag the plan must keep

TEST(ErrorModePlan, FlagValuesAreWindows) {
    EXPECT_EQ(bits::kSuppress, 0x8003u);
    EXPECT_EQ(bits::kCreateDefaultErrorMode, 0x04000000u);
}

TEST(ErrorModePlan, SuppressOrsTheFlagsIntoTheCurrentModeAndNeverPassesCreateDefault) {
    const auto p = plan_error_mode(ErrorUi::suppress, 0, kSuspended);
    ASSERT_TRUE(p.hold_mode);
    EXPECT_EQ(*p.hold_mode, 0x8003u);
    EXPECT_EQ(p.creation_flags, kSuspended);
    EXPECT_EQ(p.report.policy, ErrorUi::suppress);
    EXPECT_EQ(p.report.value, 0x8003u);
    EXPECT_NE(p.report.how.find("inherited from safelaunch"), std::string::npos) << p.report.how;

    // Bits already set stay set (SEM_NOALIGNMENTFAULTEXCEPT cannot be cleared anyway).
    const auto kept = plan_error_mode(ErrorUi::suppress, bits::kNoAlignmentFaultExcept, 0);
    EXPECT_EQ(kept.hold_mode, 0x8007u);

    // A CREATE_DEFAULT_ERROR_MODE in the request's own flags would undo the suppression: removed.
    const auto stripped = plan_error_mode(ErrorUi::suppress, 0, bits::kCreateDefaultErrorMode | kSuspended);
    EXPECT_EQ(stripped.creation_flags, kSuspended);
}

TEST(ErrorModePlan, InheritChangesNothing) {
    const auto p = plan_error_mode(ErrorUi::inherit, 0x1, kSuspended);
    EXPECT_FALSE(p.hold_mode);
    EXPECT_EQ(p.creation_flags, kSuspended);
    EXPECT_EQ(p.report.value, 0x1u);
    EXPECT_EQ(p.report.how, "inherited from safelaunch unchanged");

    // The request's own CREATE_DEFAULT_ERROR_MODE stays, and the report says the child did not inherit.
    const auto own = plan_error_mode(ErrorUi::inherit, 0x8003, bits::kCreateDefaultErrorMode);
    EXPECT_EQ(own.creation_flags, bits::kCreateDefaultErrorMode);
    EXPECT_FALSE(own.report.value);
    EXPECT_NE(own.report.how.find("request's creation flags"), std::string::npos) << own.report.how;
}

TEST(ErrorModePlan, SystemDefaultPassesCreateDefaultErrorMode) {
    const auto p = plan_error_mode(ErrorUi::system_default, 0x8003, kSuspended);
    EXPECT_FALSE(p.hold_mode);
    EXPECT_EQ(p.creation_flags, kSuspended | bits::kCreateDefaultErrorMode);
    EXPECT_FALSE(p.report.value);
    EXPECT_NE(p.report.how.find("CREATE_DEFAULT_ERROR_MODE"), std::string::npos) << p.report.how;
}

TEST(ErrorModePlan, WithLogonNeverInheritsSoNothingIsHeldAndTheReportSaysSo) {
    // CreateProcessWithLogonW: "CREATE_DEFAULT_ERROR_MODE ... This flag is enabled by default."
    const auto p = plan_error_mode(ErrorUi::suppress, 0, 0, ErrorModeLaunchKind::with_logon);
    EXPECT_FALSE(p.hold_mode);
    EXPECT_FALSE(p.report.value);
    EXPECT_NE(p.report.how.find("not suppressed"), std::string::npos) << p.report.how;
    EXPECT_EQ(plan_error_mode(ErrorUi::system_default, 0, 0, ErrorModeLaunchKind::with_logon).creation_flags,
              bits::kCreateDefaultErrorMode);
    EXPECT_FALSE(plan_error_mode(ErrorUi::inherit, 0x8003, 0, ErrorModeLaunchKind::with_logon).report.value);
}

TEST(ErrorModePlan, PolicyNamesRoundTripAndTheCliSpellingIsAccepted) {
    for (const auto ui : {ErrorUi::suppress, ErrorUi::inherit, ErrorUi::system_default})
        EXPECT_EQ(error_ui_from_string(to_string(ui)), ui);
    EXPECT_EQ(error_ui_from_string("system"), ErrorUi::system_default);
    EXPECT_FALSE(error_ui_from_string("off"));
    EXPECT_FALSE(error_ui_from_string(""));
}

TEST(ErrorModePlan, DescribeNamesValuePolicyAndHow) {
    EXPECT_EQ(describe(plan_error_mode(ErrorUi::suppress, 0, 0).report),
              "0x8003 (suppress, popups off: inherited from safelaunch, which held it around CreateProcess)");
    EXPECT_EQ(describe(plan_error_mode(ErrorUi::inherit, 0, 0).report),
              "0x0000 (inherit, popups on: inherited from safelaunch unchanged)");
    EXPECT_EQ(describe(plan_error_mode(ErrorUi::system_default, 0, 0).report),
              "system default (system_default: the system default: CREATE_DEFAULT_ERROR_MODE (hard-error popups shown))");
    EXPECT_TRUE(hard_errors_suppressed(0x1));
    EXPECT_FALSE(hard_errors_suppressed(0x8002)) << "SEM_NOGPFAULTERRORBOX alone does not stop loader popups";
}

TEST(ErrorModeJson, ChildErrorModeRoundTrips) {
    const auto report = plan_error_mode(ErrorUi::suppress, 0, 0).report;
    const nlohmann::json j = report;
    EXPECT_EQ(j["policy"], "suppress");
    EXPECT_EQ(j["value"], 0x8003);
    EXPECT_EQ(j["how"], report.how);
    const auto back = j.get<ChildErrorMode>();
    EXPECT_EQ(back.policy, ErrorUi::suppress);
    EXPECT_EQ(back.value, 0x8003u);
    EXPECT_EQ(back.how, report.how);

    const nlohmann::json sys = plan_error_mode(ErrorUi::system_default, 0, 0).report;
    EXPECT_TRUE(sys["value"].is_null());
    EXPECT_EQ(sys["policy"], "system_default");
    EXPECT_FALSE(sys.get<ChildErrorMode>().value);
    EXPECT_THROW((void)nlohmann::json({{"policy", "off"}}).get<ChildErrorMode>(), std::invalid_argument);
}

Snapshot round_trip(const Snapshot& s) {
    Snapshot back;
    std::string error;
    EXPECT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
    return back;
}

TEST(ErrorModeJson, MachineErrorModeRoundTripsNotSetIsNullNotGatheredIsAbsent) {
    Snapshot s;
    EXPECT_TRUE(nlohmann::json(s)["system"]["hard_error_mode"].is_null());
    EXPECT_FALSE(round_trip(s).system.hard_error_mode) << "older snapshots: not gathered";

    s.system.hard_error_mode = HardErrorModeFacts{};  // gathered, value not set (means 0)
    auto j = nlohmann::json(s);
    EXPECT_TRUE(j["system"]["hard_error_mode"].is_object());
    EXPECT_TRUE(j["system"]["hard_error_mode"]["value"].is_null());
    auto back = round_trip(s);
    ASSERT_TRUE(back.system.hard_error_mode);
    EXPECT_FALSE(back.system.hard_error_mode->value);
    EXPECT_FALSE(back.system.hard_error_mode->error);

    s.system.hard_error_mode->value = 2;
    EXPECT_EQ(round_trip(s).system.hard_error_mode->value, 2u);
    s.system.hard_error_mode = HardErrorModeFacts{std::nullopt, "RegGetValueW failed"};
    EXPECT_EQ(round_trip(s).system.hard_error_mode->error, "RegGetValueW failed");

    std::string error;
    Snapshot bad;
    EXPECT_FALSE(snapshot_from_json_text(R"({"system":{"hard_error_mode":{"value":-1}}})", bad, error));
    EXPECT_NE(error.find("value"), std::string::npos) << error;
}

TEST(ErrorModeJson, ExitErrorModeRoundTrips) {
    Snapshot s;
    s.exit = ExitFacts{0xC0000142u, 40, true, "2026-12-06T05:00:00Z"};
    EXPECT_TRUE(nlohmann::json(s)["exit"]["error_mode"].is_null());
    EXPECT_FALSE(round_trip(s).exit->error_mode);
    s.exit->error_mode = 0x8003;
    EXPECT_EQ(round_trip(s).exit->error_mode, 0x8003u);
}

const Finding* find_id(const std::vector<Finding>& fs, std::string_view id) {
    const auto it = std::find_if(fs.begin(), fs.end(), [&](const Finding& f) { return f.id == id; });
    return it == fs.end() ? nullptr : &*it;
}

TEST(ErrorModeAnalysis, OneInfoLineOnTheMachineMode) {
    Snapshot s;
    EXPECT_FALSE(find_id(analyze(s).preflight, "system.hard_error_mode")) << "not gathered: no line";

    s.system.hard_error_mode = HardErrorModeFacts{};
    auto a = analyze(s);
    const auto* f = find_id(a.preflight, "system.hard_error_mode");
    ASSERT_TRUE(f);
    EXPECT_EQ(f->severity, Severity::info);
    EXPECT_NE(f->message.find("not set (0)"), std::string::npos) << f->message;
    EXPECT_NE(f->message.find("waits"), std::string::npos) << f->message;
    EXPECT_EQ(std::count_if(a.preflight.begin(), a.preflight.end(),
                            [](const Finding& x) { return x.id == "system.hard_error_mode"; }),
              1);
    EXPECT_EQ(a.verdict, analyze(Snapshot{}).verdict) << "an info line changes no verdict";

    s.system.hard_error_mode->value = 2;
    a = analyze(s);  // kept: `f` points into it
    f = find_id(a.preflight, "system.hard_error_mode");
    ASSERT_TRUE(f);
    EXPECT_NE(f->message.find("event 26"), std::string::npos) << f->message;
    EXPECT_NE(f->message.find("answered automatically"), std::string::npos) << f->message;

    s.system.hard_error_mode->value = 1;
    a = analyze(s);  // kept: `f` points into it
    f = find_id(a.preflight, "system.hard_error_mode");
    ASSERT_TRUE(f);
    EXPECT_NE(f->message.find("still waits"), std::string::npos) << f->message;

    s.system.hard_error_mode = HardErrorModeFacts{std::nullopt, "RegOpenKeyExW on X failed: 5"};
    a = analyze(s);  // kept: `f` points into it
    f = find_id(a.preflight, "system.hard_error_mode");
    ASSERT_TRUE(f);
    EXPECT_NE(f->message.find("could not be read"), std::string::npos) << f->message;
    EXPECT_EQ(f->evidence, "RegOpenKeyExW on X failed: 5");
}

bool has_event_26_note(const Diagnosis& d) {
    const auto* heap = d.find(CauseId::desktop_heap);
    return heap && std::any_of(heap->evidence.begin(), heap->evidence.end(), [](const std::string& e) {
               return e.find("event 26 is expected") != std::string::npos;
           });
}

TEST(ErrorModeDiagnosis, SuppressedPopupMeansNoEvent26IsExpected) {
    DiagnosisInput in;
    in.exit_code = 0xC0000142u;
    EXPECT_FALSE(has_event_26_note(diagnose(in))) << "mode unknown: nothing said";
    in.child_error_mode = 0x8003;
    const auto d = diagnose(in);
    EXPECT_TRUE(has_event_26_note(d));
    DiagnosisInput plain;
    plain.exit_code = 0xC0000142u;
    EXPECT_EQ(d.find(CauseId::desktop_heap)->likelihood, diagnose(plain).find(CauseId::desktop_heap)->likelihood)
        << "the note changes no likelihood";
    in.child_error_mode = 0x0;
    EXPECT_FALSE(has_event_26_note(diagnose(in))) << "popups on: event 26 would be logged";

    // From a snapshot: the exit facts carry the mode into the diagnosis.
    Snapshot s;
    s.exit = ExitFacts{0xC0000142u, 40, true, ""};
    s.exit->error_mode = 0x8003;
    const auto a = analyze(s);
    ASSERT_TRUE(a.diagnosis);
    EXPECT_TRUE(has_event_26_note(*a.diagnosis));
}

}  // namespace
}  // namespace safelaunch
