#include "safelaunch/json.hpp"

#include <gtest/gtest.h>

#include <string>

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

// ---- Golden texts: the keys README's "JSON shapes" documents as stable ----------------------------
//
// Written by hand from the README (and, for os and events, whose keys it does not list, from the
// reviewed documents in tests/data/snapshots), not from the code's output. Keys may be added, never
// renamed: every key here must be present with this value; further keys are allowed.

// Where `actual` lacks or differs from something in `golden`: "" when it holds all of it.
std::string first_difference(const nlohmann::json& golden, const nlohmann::json& actual, const std::string& path = "$") {
    if (golden.is_object()) {
        if (!actual.is_object()) return path + ": expected an object, got " + actual.dump();
        for (const auto& [key, value] : golden.items()) {
            if (!actual.contains(key)) return path + "." + key + ": missing";
            auto d = first_difference(value, actual.at(key), path + "." + key);
            if (!d.empty()) return d;
        }
        return {};
    }
    if (golden.is_array()) {
        if (!actual.is_array() || actual.size() != golden.size())
            return path + ": expected " + golden.dump() + ", got " + actual.dump();
        for (std::size_t i = 0; i < golden.size(); ++i) {
            auto d = first_difference(golden[i], actual[i], path + "[" + std::to_string(i) + "]");
            if (!d.empty()) return d;
        }
        return {};
    }
    return golden == actual ? std::string{} : path + ": expected " + golden.dump() + ", got " + actual.dump();
}

Snapshot golden_snapshot() {
    auto s = filled_snapshot();
    s.canary = CanaryFacts{0xC0000142, 64, false, "probe exited 0xC0000142"};
    return s;
}

constexpr const char* kGoldenSnapshot = R"json({
  "schema": 1,
  "taken_utc": "2026-11-25T03:00:00Z",
  "host": "BUILD01",
  "token": {
    "user_sid": "S-1-5-21-1-2-3-1001",
    "user_name": "CORP\\svc-build",
    "logon_sid": "S-1-5-5-0-123456",
    "groups": [{"sid": "S-1-5-32-545", "name": "BUILTIN\\Users", "attributes": 7},
               {"sid": "S-1-5-32-544", "name": "", "attributes": 16}],
    "restricted_sids": [],
    "integrity_sid": "",
    "session_id": 0,
    "logon_luid": 4294970044,
    "primary": false,
    "source": ""
  },
  "target": {
    "spec": "",
    "station": "Service-0x1-abc$",
    "desktop": "Default",
    "how": "",
    "station_facts": {"name": "", "exists": false, "type": null, "flags": null, "sddl": null, "sd_present": true,
                      "heap_kb": null, "open_error": null, "access_granted": null, "access_requested": null},
    "desktop_facts": {"name": "", "exists": true, "type": null, "flags": null, "sddl": "O:SYG:SYD:(A;;0xf01ff;;;SY)",
                      "sd_present": true, "heap_kb": 768, "open_error": null, "access_granted": null,
                      "access_requested": null}
  },
  "system": {
    "os": {"major": 10, "minor": 0, "build": 19045, "x64": true, "product": "Windows 10 Pro", "wine_version": null},
    "subsystems_windows_value": "csrss.exe SharedSection=1024,20480,768",
    "stray_shared_section_value": null,
    "stations": [],
    "events": [{"id": 243, "source": "Win32k", "time_utc": "2026-11-25T02:59:00Z",
                "message": "A desktop heap allocation failed."}],
    "events_error": null
  },
  "exit": {"exit_code": 3221225794, "runtime_ms": 31, "had_console": true, "started_utc": "2026-11-25T02:59:30Z"},
  "canary": {"exit_code": 3221225794, "alloc_kb": 64, "allocated": false, "detail": "probe exited 0xC0000142"}
})json";

TEST(JsonGolden, SnapshotWritesEveryDocumentedKey) {
    const auto golden = nlohmann::json::parse(kGoldenSnapshot);
    const auto written = nlohmann::json(golden_snapshot());
    EXPECT_EQ(first_difference(golden, written), "") << written.dump(2);
}

// Reading the reviewed text gives the snapshot built by hand: no documented key is dropped by
// both to_json and from_json.
TEST(JsonGolden, SnapshotReadsEveryDocumentedKey) {
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(kGoldenSnapshot, back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), nlohmann::json(golden_snapshot()));
    ASSERT_TRUE(back.canary);
    EXPECT_EQ(back.canary->alloc_kb, 64u);
    ASSERT_TRUE(back.system.events);
    ASSERT_EQ(back.system.events->size(), 1u);
    EXPECT_EQ(back.system.events->front().time_utc, "2026-11-25T02:59:00Z");
    EXPECT_EQ(back.target.desktop_facts.heap_kb, 768u);
    EXPECT_EQ(back.token.groups.at(1).attributes, 16u);
}

TEST(JsonGolden, FindingKeys) {
    const Finding f{"heap.pool.low", Severity::warning, "only 9 more", "pool 49152 KB", "stop services"};
    const auto golden = nlohmann::json::parse(
        R"({"id": "heap.pool.low", "severity": "warning", "message": "only 9 more", "evidence": "pool 49152 KB",
            "remedy": "stop services"})");
    EXPECT_EQ(first_difference(golden, nlohmann::json(f)), "");
}

// explain --json: {code, hex, signed, name, known, family, dll_init_failure, desktop_related,
// summary, causes[], remedies[]}.
TEST(JsonGolden, ExplainKeys) {
    const auto j = nlohmann::json(explain_exit_code(0xC0000142));
    const auto golden = nlohmann::json::parse(
        R"({"code": 3221225794, "hex": "0xC0000142", "signed": -1073741502, "name": "STATUS_DLL_INIT_FAILED",
            "known": true, "family": "ntstatus_error", "dll_init_failure": true, "desktop_related": true})");
    EXPECT_EQ(first_difference(golden, j), "") << j.dump(2);
    ASSERT_TRUE(j.contains("summary"));
    EXPECT_TRUE(j["summary"].is_string());
    ASSERT_TRUE(j.contains("causes"));
    EXPECT_TRUE(j["causes"].is_array());
    EXPECT_FALSE(j["causes"].empty());
    ASSERT_TRUE(j.contains("remedies"));
    EXPECT_TRUE(j["remedies"].is_array());
    EXPECT_FALSE(j["remedies"].empty());
}

// run --json's diagnosis: {exit: <explain>, causes: [{cause, likelihood, evidence[], remedy}],
// deciding_evidence}.
TEST(JsonGolden, DiagnosisKeys) {
    DiagnosisInput in;
    in.exit_code = kStatusDllInitFailed;
    in.event_243_seen = true;
    const auto j = nlohmann::json(diagnose(in));
    const auto golden = nlohmann::json::parse(
        R"({"exit": {"code": 3221225794, "name": "STATUS_DLL_INIT_FAILED"},
            "causes": [{"cause": "desktop_heap", "likelihood": "decided"}, {"cause": "access", "likelihood": "possible"},
                       {"cause": "session_pool", "likelihood": "unlikely"},
                       {"cause": "missing_desktop", "likelihood": "unlikely"},
                       {"cause": "restricted_token_no_console", "likelihood": "unlikely"},
                       {"cause": "other_dll_init", "likelihood": "unlikely"}]})");
    EXPECT_EQ(first_difference(golden, j), "") << j.dump(2);
    ASSERT_TRUE(j.contains("deciding_evidence"));
    EXPECT_EQ(j["deciding_evidence"].get<std::string>().rfind("decided by desktop_heap", 0), 0u) << j.dump(2);
    for (const auto& c : j["causes"]) {
        ASSERT_TRUE(c.contains("evidence")) << c.dump();
        EXPECT_TRUE(c["evidence"].is_array()) << c.dump();
        ASSERT_TRUE(c.contains("remedy")) << c.dump();
        EXPECT_TRUE(c["remedy"].is_string()) << c.dump();
    }
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
