#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

Snapshot filled_snapshot() {
    Snapshot s;
    s.taken_utc = "2026-11-25T03:00:00Z";
    s.host = "BUILD01";
    s.token.user_sid = "S-1-5-21-1-2-3-1001";
    s.token.user_name = "CORP\\svc-build";
    s.token.logon_sid = "S-1-5-5-0-123456";
    s.token.groups = {{"S-1-5-32-545", "BUILTIN\\Users", 0x7}, {"S-1-5-32-544", "", 0x10}};
    s.token.logon_luid = 0x0000000100000abcULL;
    s.token.primary = false;
    s.target.spec = "";
    s.target.station = "Service-0x1-abc$";
    s.target.desktop = "Default";
    s.target.desktop_facts.exists = true;
    s.target.desktop_facts.heap_kb = 768;
    s.target.desktop_facts.sddl = "O:SYG:SYD:(A;;0xf01ff;;;SY)";
    s.system.os = {10, 0, 19045, true, "Windows 10 Pro", std::nullopt};
    s.system.subsystems_windows_value = "csrss.exe SharedSection=1024,20480,768";
    s.system.events = std::vector<EventFacts>{{243, "Win32k", "2026-11-25T02:59:00Z", "A desktop heap allocation failed."}};
    s.exit = ExitFacts{0xC0000142, 31, true, "2026-11-25T02:59:30Z"};
    return s;
}

TEST(Json, SnapshotRoundTripsThroughText) {
    const auto s = filled_snapshot();
    const auto text = nlohmann::json(s).dump(2);
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(text, back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(s));
    EXPECT_EQ(back.token.logon_luid, 0x0000000100000abcULL);
    ASSERT_TRUE(back.target.spec.has_value());
    EXPECT_EQ(*back.target.spec, "");  // "" (hidden station) must not turn into NULL (inherit)
    EXPECT_EQ(back.exit->exit_code, 0xC0000142u);
}

TEST(Json, NullSpecMeansInheritAndSurvivesRoundTrip) {
    Snapshot s;
    const auto j = nlohmann::json(s);
    EXPECT_TRUE(j["target"]["spec"].is_null());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    EXPECT_FALSE(back.target.spec.has_value());
}

TEST(Json, MissingKeysKeepDefaults) {
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(R"({"schema":1,"token":{"user_sid":"S-1-5-18"}})", back, error)) << error;
    EXPECT_EQ(back.token.user_sid, "S-1-5-18");
    EXPECT_TRUE(back.token.primary);
    EXPECT_FALSE(back.exit.has_value());
}

TEST(Json, BadDocumentsGiveOneLineErrors) {
    struct Case {
        const char* text;
        const char* expected_start;
    };
    const Case cases[] = {
        {"{", "not valid JSON at byte"},
        {"", "not valid JSON at byte"},
        {"[1,2]", "not a safelaunch snapshot: snapshot must be a JSON object"},
        {R"({"schema":2})", "not a safelaunch snapshot: unsupported snapshot schema 2"},
        {R"({"schema":1,"token":{"session_id":"one"}})", "not a safelaunch snapshot: 'session_id' must be an integer, but is string"},
        {R"({"schema":1,"exit":{"exit_code":-1}})", "not a safelaunch snapshot: 'exit_code' is out of range: -1"},
        {R"({"schema":1,"exit":{"exit_code":4294967296}})", "not a safelaunch snapshot: 'exit_code' is out of range"},
        {R"({"schema":1,"exit":{"exit_code":1.5}})", "not a safelaunch snapshot: 'exit_code' must be an integer"},
    };
    for (const auto& c : cases) {
        Snapshot s;
        std::string error;
        EXPECT_FALSE(snapshot_from_json_text(c.text, s, error)) << c.text;
        EXPECT_EQ(error.rfind(c.expected_start, 0), 0u) << c.text << " -> " << error;
        EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    }
}

TEST(Json, FindingSeverityIsValidated) {
    Finding f;
    EXPECT_THROW(nlohmann::json::parse(R"({"id":"x","severity":"fatal"})").get_to(f), std::invalid_argument);
    nlohmann::json::parse(R"({"id":"x","severity":"warning","message":"m"})").get_to(f);
    EXPECT_EQ(f.severity, Severity::warning);
    EXPECT_EQ(f.message, "m");
}

}  // namespace
}  // namespace safelaunch
