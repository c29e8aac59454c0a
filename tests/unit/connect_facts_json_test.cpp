// The snapshot's program_imports fact (issue 9): its JSON form, and snapshots without it.
#include "safelaunch/json.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

ProgramImportsFacts sample() {
    ProgramImportsFacts p;
    p.program = "C:\\app\\worker.exe";
    p.system_dir = "C:\\Windows\\system32";
    p.machine = "x64";
    p.verdict = ConnectVerdict::connects_at_init;
    p.chain = "worker.exe -> foo.dll -> USER32.dll";
    p.unresolved = {"bar.dll"};
    p.problems = {Finding{"pe.closure.ui_api_set", Severity::warning, "m", "e", ""}};
    return p;
}

TEST(ConnectFactsJson, RoundTripsWithTheVerdictAsItsName) {
    Snapshot s;
    s.program_imports = sample();
    const auto j = nlohmann::json(s);
    EXPECT_EQ(j["program_imports"]["verdict"], "connects_at_init");
    EXPECT_EQ(j["program_imports"]["chain"], "worker.exe -> foo.dll -> USER32.dll");
    EXPECT_TRUE(j["program_imports"]["error"].is_null());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    EXPECT_EQ(nlohmann::json(back), j);
    ASSERT_TRUE(back.program_imports);
    EXPECT_EQ(back.program_imports->verdict, ConnectVerdict::connects_at_init);
    ASSERT_EQ(back.program_imports->problems.size(), 1u);
    EXPECT_EQ(back.program_imports->problems[0].id, "pe.closure.ui_api_set");
    EXPECT_EQ(back.program_imports->unresolved, std::vector<std::string>{"bar.dll"});
}

TEST(ConnectFactsJson, UnknownVerdictIsNullWithTheReason) {
    Snapshot s;
    ProgramImportsFacts p;
    p.program = "C:\\app\\gone.exe";
    p.error = "not a regular file";
    s.program_imports = p;
    const auto j = nlohmann::json(s);
    EXPECT_TRUE(j["program_imports"]["verdict"].is_null());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(j.dump(), back, error)) << error;
    ASSERT_TRUE(back.program_imports);
    EXPECT_FALSE(back.program_imports->verdict);
    EXPECT_EQ(back.program_imports->error, "not a regular file");
}

TEST(ConnectFactsJson, NotGatheredIsNullAndAbsentReadsAsNotGathered) {
    Snapshot s;
    EXPECT_TRUE(nlohmann::json(s)["program_imports"].is_null());
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(R"({"schema":1,"host":"old"})", back, error)) << error;
    EXPECT_FALSE(back.program_imports);
    back.program_imports = sample();
    ASSERT_TRUE(snapshot_from_json_text(R"({"schema":1,"program_imports":null})", back, error)) << error;
    EXPECT_FALSE(back.program_imports);
}

TEST(ConnectFactsJson, AVerdictThatIsNoneOfTheThreeIsRefused) {
    Snapshot back;
    std::string error;
    EXPECT_FALSE(snapshot_from_json_text(R"({"program_imports":{"verdict":"maybe"}})", back, error));
    EXPECT_NE(error.find("unknown import verdict 'maybe'"), std::string::npos) << error;
    EXPECT_FALSE(snapshot_from_json_text(R"({"program_imports":{"verdict":3}})", back, error));
    EXPECT_FALSE(snapshot_from_json_text(R"({"program_imports":"never"})", back, error));
    EXPECT_NE(error.find("program_imports must be a JSON object"), std::string::npos) << error;
}

// The snapshots stored before the fact existed still load, without it.
TEST(ConnectFactsJson, OlderStoredSnapshotsStillLoad) {
    for (const char* name : {"control-chars-in-names.json", "healthy-interactive.json", "lookalike-dll-not-found.json",
                             "missing-desktop.json", "runas-winsta0-denied.json", "service-heap-exhausted.json",
                             "wine-no-sd.json"})
        EXPECT_FALSE(test::load_snapshot(name).program_imports) << name;
    const auto s = test::load_snapshot("service-worker-never-connects.json");
    ASSERT_TRUE(s.program_imports);
    EXPECT_EQ(s.program_imports->verdict, ConnectVerdict::never);
}

}  // namespace
}  // namespace safelaunch
