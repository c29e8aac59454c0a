// analyze() with the program_imports fact (issue 9, rules C1-C4 in connect_rules.hpp): the
// pre-flight's info finding, the acl/heap findings it drops, and the diagnosis it changes.
#include "safelaunch/analysis.hpp"
#include "safelaunch/connect_rules.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

// A service's console worker died 0xC0000142 on a desktop whose DACL gives its logon SID only
// READOBJECTS | ENUMERATE, with event 243 logged (tests/data/snapshots/README.md).
Snapshot never_connects() { return test::load_snapshot("service-worker-never-connects.json"); }

const Finding* find(const std::vector<Finding>& findings, std::string_view id) {
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
    return it == findings.end() ? nullptr : &*it;
}

Likelihood likelihood(const Analysis& a, CauseId id) {
    EXPECT_TRUE(a.diagnosis);
    const auto* c = a.diagnosis ? a.diagnosis->find(id) : nullptr;
    EXPECT_NE(c, nullptr) << to_string(id);
    return c ? c->likelihood : Likelihood::unlikely;
}

TEST(ConnectAnalysis, WithoutTheFactTheKbCausesLead) {
    auto s = never_connects();
    s.program_imports.reset();
    const auto a = analyze(s);
    ASSERT_NE(find(a.preflight, "acl.desktop.missing_rights"), nullptr);
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::warning);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::decided);
    EXPECT_EQ(likelihood(a, CauseId::access), Likelihood::likely);
    EXPECT_FALSE(std::any_of(a.preflight.begin(), a.preflight.end(),
                             [](const Finding& f) { return f.id.rfind("program.", 0) == 0; }));
}

TEST(ConnectAnalysis, ANeverConnectingChildMakesBothKbCausesUnlikely) {
    const auto a = analyze(never_connects());
    const auto* acl = find(a.preflight, "acl.desktop.missing_rights");
    ASSERT_NE(acl, nullptr);
    EXPECT_EQ(acl->severity, Severity::info);
    EXPECT_NE(acl->message.find(kNoConnectReason), std::string::npos) << acl->message;
    const auto* fact = find(a.preflight, "program.imports.never");
    ASSERT_NE(fact, nullptr);
    EXPECT_EQ(fact->severity, Severity::info);
    EXPECT_NE(fact->message.find("ingest-worker.exe does not load user32"), std::string::npos) << fact->message;
    EXPECT_EQ(a.verdict, Verdict::ok);

    EXPECT_EQ(likelihood(a, CauseId::access), Likelihood::unlikely);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::unlikely);
    EXPECT_EQ(a.diagnosis->causes.front().id, CauseId::other_dll_init);
    EXPECT_EQ(a.diagnosis->causes.front().likelihood, Likelihood::likely);
    EXPECT_NE(a.diagnosis->deciding_evidence.find("neither KB 184802 cause"), std::string::npos)
        << a.diagnosis->deciding_evidence;
}

TEST(ConnectAnalysis, BeforeTheLaunchOnlyThePreflightChanges) {
    auto s = never_connects();
    s.exit.reset();
    const auto a = analyze(s);
    EXPECT_FALSE(a.diagnosis);
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::info);
}

TEST(ConnectAnalysis, AChildThatConnectsAtInitChangesNothingButSaysHow) {
    auto s = never_connects();
    s.program_imports->verdict = ConnectVerdict::connects_at_init;
    s.program_imports->chain = "ingest-worker.exe -> vendor.dll -> USER32.dll";
    const auto a = analyze(s);
    const auto* fact = find(a.preflight, "program.imports.connects_at_init");
    ASSERT_NE(fact, nullptr);
    EXPECT_EQ(fact->evidence, "static import chain: ingest-worker.exe -> vendor.dll -> USER32.dll");
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::warning);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::decided);
}

TEST(ConnectAnalysis, ADelayLoadedUser32KeepsThePreflightAndWeakensTheDiagnosis) {
    auto s = never_connects();
    s.program_imports->verdict = ConnectVerdict::delay_loaded;
    s.program_imports->chain = "ingest-worker.exe -> (delay) USER32.dll";
    const auto a = analyze(s);
    ASSERT_NE(find(a.preflight, "program.imports.delay_loaded"), nullptr);
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::warning);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::likely);
    EXPECT_EQ(likelihood(a, CauseId::access), Likelihood::possible);
    EXPECT_EQ(a.diagnosis->causes.front().id, CauseId::desktop_heap);
}

TEST(ConnectAnalysis, AnIncompleteClosureChangesNothing) {
    auto s = never_connects();
    s.program_imports->unresolved = {"vendor.dll"};
    const auto a = analyze(s);
    const auto* fact = find(a.preflight, "program.imports.incomplete");
    ASSERT_NE(fact, nullptr);
    EXPECT_NE(fact->evidence.find("not found: vendor.dll"), std::string::npos) << fact->evidence;
    EXPECT_EQ(find(a.preflight, "program.imports.never"), nullptr);
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::warning);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::decided);
}

TEST(ConnectAnalysis, AnUnreadableProgramSaysUnknownAndChangesNothing) {
    auto s = never_connects();
    s.program_imports->verdict.reset();
    s.program_imports->error = "pe.header.not_pe: the file does not start with 'MZ'";
    const auto a = analyze(s);
    const auto* fact = find(a.preflight, "program.imports.unknown");
    ASSERT_NE(fact, nullptr);
    EXPECT_NE(fact->evidence.find("does not start with 'MZ'"), std::string::npos) << fact->evidence;
    EXPECT_EQ(find(a.preflight, "acl.desktop.missing_rights")->severity, Severity::warning);
    EXPECT_EQ(likelihood(a, CauseId::desktop_heap), Likelihood::decided);
}

TEST(ConnectAnalysis, ProgramNamesWithControlCharactersStayOnOneLine) {
    auto s = never_connects();
    s.program_imports->program = "C:\\svc\\evil\x1b[2J.exe";
    const auto a = analyze(s);
    const auto* fact = find(a.preflight, "program.imports.never");
    ASSERT_NE(fact, nullptr);
    EXPECT_EQ(fact->message.find('\x1b'), std::string::npos) << fact->message;
    EXPECT_NE(fact->message.find("evil\\x1b[2J.exe"), std::string::npos) << fact->message;
}

}  // namespace
}  // namespace safelaunch
