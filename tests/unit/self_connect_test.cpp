// Our own failed connection is evidence (issue 12): when safelaunch's own user32.dll load failed,
// a child on the same desktop gets self.desktop.connect_failed (error: run refuses), a child on
// another desktop self.desktop.preflight_skipped (warning: the launch goes ahead), and nothing is
// judged from the station/desktop facts that could not be gathered. Constructed facts: the load
// failure itself is injected in the Win32 test (tests/win32/self_connect_test.cpp).
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

bool has(const Analysis& a, const std::string& id) {
    return std::any_of(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
}

const Finding& get(const Analysis& a, const std::string& id) {
    const auto it = std::find_if(a.preflight.begin(), a.preflight.end(), [&](const Finding& f) { return f.id == id; });
    EXPECT_NE(it, a.preflight.end()) << id;
    static const Finding none;
    return it == a.preflight.end() ? none : *it;
}

SelfConnectFacts failed_load(std::string startup_desktop = "") {
    SelfConnectFacts f;
    f.attempted = true;
    f.connected = false;
    f.error = 1114;
    f.api = "LoadLibraryExW(user32.dll)";
    f.failure = "LoadLibraryExW(user32.dll) failed: 1114 ERROR_DLL_INIT_FAILED (A dynamic link library (DLL) "
                "initialization routine failed.)";
    f.startup_desktop = std::move(startup_desktop);
    return f;
}

// What gather_launch_facts leaves when user32 could not be loaded: names resolved, nothing opened.
Snapshot service_whose_load_failed(std::optional<std::string> child_spec, std::string startup_desktop = "") {
    Snapshot s;
    s.token.user_sid = "S-1-5-18";
    s.token.session_id = 0;
    s.target.spec = std::move(child_spec);
    s.target.station = "Service-0x0-3e7$";
    s.target.desktop = "Default";
    s.target.how = "inherited";
    for (auto* o : {&s.target.station_facts, &s.target.desktop_facts}) {
        o->exists = false;
        o->exists_known = false;
        o->open_error = failed_load().failure;
    }
    LauncherFacts l;
    l.session_id = 0;
    l.local_system = true;
    l.interactive_user_sid_error = failed_load().failure;
    s.launcher = l;
    s.self_connect = failed_load(std::move(startup_desktop));
    return s;
}

TEST(SelfConnect, InheritedDesktopIsAnErrorNamingOurDesktopTheErrorAndBothCauses) {
    const auto a = analyze(service_whose_load_failed(std::nullopt));
    ASSERT_TRUE(has(a, "self.desktop.connect_failed"));
    const auto& f = get(a, "self.desktop.connect_failed");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_EQ(a.verdict, Verdict::blocked) << "run refuses (126) unless --force";
    EXPECT_NE(f.message.find("own desktop (inherited)"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("LoadLibraryExW(user32.dll) failed with 1114 ERROR_DLL_INIT_FAILED"), std::string::npos)
        << f.message;
    EXPECT_NE(f.remedy.find("KB 184802"), std::string::npos);
    EXPECT_NE(f.remedy.find("may not use the window station or desktop"), std::string::npos) << f.remedy;
    EXPECT_NE(f.remedy.find("desktop heap is full"), std::string::npos) << f.remedy;
    EXPECT_NE(f.remedy.find("--force"), std::string::npos);
    EXPECT_FALSE(has(a, "self.desktop.preflight_skipped"));
}

TEST(SelfConnect, NothingIsJudgedFromFactsThatCouldNotBeGathered) {
    const auto a = analyze(service_whose_load_failed(std::nullopt));
    for (const auto& f : a.preflight)
        EXPECT_TRUE(f.id.rfind("self.desktop.", 0) == 0 || f.id == "desktop.interactive.unknown") << f.id;
    EXPECT_TRUE(a.access.empty()) << "no access fact: nothing for --grant to grant";
}

TEST(SelfConnect, TheDesktopWeStartedOnNamedByTheChildIsAnError) {
    auto a = analyze(service_whose_load_failed("winsta0\\DEFAULT", "WinSta0\\Default"));
    ASSERT_TRUE(has(a, "self.desktop.connect_failed"));
    EXPECT_NE(get(a, "self.desktop.connect_failed").message.find("own desktop (\"WinSta0\\Default\")"),
              std::string::npos);
    // A bare desktop name is relative to the station that applies: ours.
    a = analyze(service_whose_load_failed("Default", "WinSta0\\Default"));
    EXPECT_TRUE(has(a, "self.desktop.connect_failed"));
}

TEST(SelfConnect, AnotherDesktopIsAWarningAndTheLaunchGoesAhead) {
    const auto a = analyze(service_whose_load_failed("WinSta0\\Other", "WinSta0\\Default"));
    ASSERT_TRUE(has(a, "self.desktop.preflight_skipped"));
    const auto& f = get(a, "self.desktop.preflight_skipped");
    EXPECT_EQ(f.severity, Severity::warning);
    EXPECT_NE(f.message.find("1114 ERROR_DLL_INIT_FAILED"), std::string::npos) << f.message;
    EXPECT_NE(f.evidence.find("\"WinSta0\\Other\""), std::string::npos) << f.evidence;
    EXPECT_FALSE(has(a, "self.desktop.connect_failed"));
    EXPECT_EQ(a.verdict, Verdict::warn);
}

TEST(SelfConnect, WhenOurDesktopIsUnknownANamedDesktopCountsAsAnother) {
    // Started with an empty lpDesktop we cannot name our desktop without user32.
    const auto a = analyze(service_whose_load_failed("Service-0x0-3e7$\\Default", ""));
    EXPECT_TRUE(has(a, "self.desktop.preflight_skipped"));
}

TEST(SelfConnect, EmptySpecSharesOurDesktopOnlyForRunAsLogon) {
    auto s = service_whose_load_failed("");
    EXPECT_TRUE(has(analyze(s), "self.desktop.preflight_skipped"));  // hidden station of the child's token
    s.launcher->run_as = "logon";
    s.launcher->local_system = false;
    EXPECT_TRUE(has(analyze(s), "self.desktop.connect_failed"));  // CreateProcessWithLogonW: "" inherits
}

TEST(SelfConnect, AFailedGetProcAddressIsNamed) {
    auto s = service_whose_load_failed(std::nullopt);
    s.self_connect->error = 127;
    s.self_connect->api = "GetProcAddress(user32.dll!CreateDesktopW)";
    s.self_connect->failure.clear();
    const auto a = analyze(s);
    EXPECT_NE(get(a, "self.desktop.connect_failed").message.find(
                  "GetProcAddress(user32.dll!CreateDesktopW) failed with 127 ERROR_PROC_NOT_FOUND"),
              std::string::npos)
        << get(a, "self.desktop.connect_failed").message;
}

TEST(SelfConnect, ConnectedOrNotAttemptedSaysNothing) {
    auto s = service_whose_load_failed(std::nullopt);
    s.self_connect = SelfConnectFacts{true, true, 0, "", "", ""};
    EXPECT_FALSE(has(analyze(s), "self.desktop.connect_failed"));
    s.self_connect = SelfConnectFacts{};  // explain/analyze never load user32
    EXPECT_FALSE(has(analyze(s), "self.desktop.connect_failed"));
    s.self_connect.reset();  // a snapshot from before the field
    EXPECT_FALSE(has(analyze(s), "self.desktop.connect_failed"));
    EXPECT_FALSE(has(analyze(s), "self.desktop.preflight_skipped"));
}

TEST(SelfConnect, JsonRoundTripAndOldSnapshots) {
    const auto s = service_whose_load_failed(std::nullopt, "WinSta0\\Default");
    const nlohmann::json j = s;
    ASSERT_TRUE(j.contains("self_connect"));
    EXPECT_EQ(j["self_connect"]["error"], 1114);
    EXPECT_EQ(j["self_connect"]["api"], "LoadLibraryExW(user32.dll)");
    EXPECT_EQ(j["self_connect"]["startup_desktop"], "WinSta0\\Default");
    const auto back = j.get<Snapshot>();
    ASSERT_TRUE(back.self_connect);
    EXPECT_EQ(back.self_connect->attempted, true);
    EXPECT_EQ(back.self_connect->connected, false);
    EXPECT_EQ(back.self_connect->error, 1114u);
    EXPECT_EQ(back.self_connect->api, s.self_connect->api);
    EXPECT_EQ(back.self_connect->failure, s.self_connect->failure);
    EXPECT_EQ(back.self_connect->startup_desktop, "WinSta0\\Default");
    // The decision survives the trip: analyze on another machine reaches the same verdict.
    EXPECT_TRUE(has(analyze(back), "self.desktop.connect_failed"));

    auto old = j;
    old.erase("self_connect");
    EXPECT_FALSE(old.get<Snapshot>().self_connect);
    old["self_connect"] = nullptr;
    EXPECT_FALSE(old.get<Snapshot>().self_connect);
    old["self_connect"] = {{"error", "1114"}};
    EXPECT_THROW((void)old.get<Snapshot>(), std::exception) << "a code of the wrong type is refused";
}

}  // namespace
}  // namespace safelaunch
