// The rules that "will it connect?" adds (C1-C4 in connect_rules.hpp): pre-flight findings drop to
// info and the diagnosis of 0xC0000142 rules out the window-station causes when the child never
// loads user32 at start; a delay-loaded user32 only weakens them.
#include "safelaunch/connect_rules.hpp"

#include <gtest/gtest.h>

namespace safelaunch {
namespace {

std::vector<Finding> sample_findings() {
    return {{"acl.desktop.missing_rights", Severity::error, "denied", {}, {}},
            {"heap.desktop.small", Severity::warning, "small", {}, {}},
            {"desktop.desktop.missing", Severity::error, "missing", {}, {}}};
}

TEST(ConnectRules, NeverDropsAclAndHeapFindingsToInfo) {
    const auto out = apply_connect_facts(sample_findings(), {ConnectVerdict::never, ""});
    EXPECT_EQ(out[0].severity, Severity::info);
    EXPECT_NE(out[0].message.find("does not load user32 at start"), std::string::npos);
    EXPECT_EQ(out[1].severity, Severity::info);
    EXPECT_EQ(out[2].severity, Severity::error);  // not an acl./heap. finding
    EXPECT_EQ(verdict_of(out), Verdict::blocked);
}

TEST(ConnectRules, ConnectingChildKeepsFindings) {
    for (auto v : {ConnectVerdict::connects_at_init, ConnectVerdict::delay_loaded}) {
        const auto out = apply_connect_facts(sample_findings(), {v, "a.exe -> user32.dll"});
        EXPECT_EQ(out[0].severity, Severity::error);
        EXPECT_EQ(out[1].severity, Severity::warning);
    }
}

DiagnosisInput heap_exhausted() {
    DiagnosisInput in;
    in.exit_code = 0xC0000142;
    in.event_244_seen = true;
    in.heap = HeapFacts{};
    in.heap->heap_kb = 768;
    in.heap->canary_started = false;
    return in;
}

TEST(ConnectRules, DllInitFailureOfANeverConnectingChildRulesOutKbCauses) {
    const auto before = diagnose(heap_exhausted());
    ASSERT_FALSE(before.causes.empty());
    // Observed: a window-station cause (session_pool for this input) leads before the rule.
    const auto station = [](CauseId id) {
        return id == CauseId::access || id == CauseId::desktop_heap || id == CauseId::session_pool || id == CauseId::missing_desktop;
    };
    ASSERT_TRUE(station(before.causes.front().id));
    const auto d = apply_connect_facts(before, {ConnectVerdict::never, ""});
    for (auto id : {CauseId::access, CauseId::desktop_heap}) {
        const auto* c = d.find(id);
        ASSERT_NE(c, nullptr);
        EXPECT_EQ(c->likelihood, Likelihood::unlikely);
        EXPECT_NE(c->evidence.front().find("does not load user32 at start"), std::string::npos);
    }
    EXPECT_FALSE(station(d.causes.front().id));
    for (const auto& c : d.causes) {
        if (station(c.id)) {
            EXPECT_EQ(c.likelihood, Likelihood::unlikely) << to_string(c.id);
        }
    }
    EXPECT_NE(d.deciding_evidence.find("neither KB 184802 cause"), std::string::npos) << d.deciding_evidence;
}

TEST(ConnectRules, OtherCodesAndConnectingChildrenAreLeftAlone) {
    const auto before = diagnose(heap_exhausted());
    const auto d = apply_connect_facts(before, {ConnectVerdict::connects_at_init, "a.exe -> user32.dll"});
    EXPECT_EQ(d.causes.front().id, before.causes.front().id);
    auto in = heap_exhausted();
    in.exit_code = 5;
    const auto other = diagnose(in);
    const auto same = apply_connect_facts(other, {ConnectVerdict::never, ""});
    EXPECT_EQ(same.deciding_evidence, other.deciding_evidence);
}

ProgramImportsFacts imports(ConnectVerdict v, std::string chain = "") {
    ProgramImportsFacts p;
    p.program = "C:\\app\\worker.exe";
    p.system_dir = "C:\\Windows\\system32";
    p.machine = "x64";
    p.verdict = v;
    p.chain = std::move(chain);
    return p;
}

TEST(ConnectRules, OnlyACompleteClosureDecides) {
    ASSERT_TRUE(connect_facts_of(imports(ConnectVerdict::never)));
    EXPECT_EQ(connect_facts_of(imports(ConnectVerdict::never))->verdict, ConnectVerdict::never);

    auto unresolved = imports(ConnectVerdict::never);
    unresolved.unresolved = {"vendor.dll"};
    EXPECT_FALSE(connect_facts_of(unresolved));
    for (const char* id : {"pe.closure.ui_api_set", "pe.closure.unreadable", "pe.closure.too_many", "pe.imports.truncated"}) {
        auto damaged = imports(ConnectVerdict::delay_loaded, "worker.exe -> (delay) USER32.dll");
        damaged.problems = {Finding{id, Severity::warning, "m", "e", ""}};
        EXPECT_FALSE(connect_facts_of(damaged)) << id;
    }
    // A damaged delay-import table or an unknown machine hides no static import.
    auto delay_damage = imports(ConnectVerdict::never);
    delay_damage.problems = {Finding{"pe.delay_imports.truncated", Severity::warning, "m", "e", ""},
                             Finding{"pe.header.unknown_machine", Severity::warning, "m", "e", ""}};
    EXPECT_TRUE(connect_facts_of(delay_damage));
    // A chain that was found stands, whatever was not read.
    auto found = imports(ConnectVerdict::connects_at_init, "worker.exe -> USER32.dll");
    found.unresolved = {"vendor.dll"};
    ASSERT_TRUE(connect_facts_of(found));
    EXPECT_EQ(connect_facts_of(found)->chain, "worker.exe -> USER32.dll");

    ProgramImportsFacts unknown;
    unknown.error = "not a PE image";
    EXPECT_FALSE(connect_facts_of(unknown));
}

TEST(ConnectRules, TheInfoFindingNamesTheVerdictAndItsEvidence) {
    const auto at_init = program_imports_finding(imports(ConnectVerdict::connects_at_init, "worker.exe -> foo.dll -> USER32.dll"));
    EXPECT_EQ(at_init.id, "program.imports.connects_at_init");
    EXPECT_EQ(at_init.severity, Severity::info);
    EXPECT_NE(at_init.message.find("worker.exe loads user32 at start"), std::string::npos) << at_init.message;
    EXPECT_EQ(at_init.evidence, "static import chain: worker.exe -> foo.dll -> USER32.dll");

    const auto delay = program_imports_finding(imports(ConnectVerdict::delay_loaded, "worker.exe -> (delay) USER32.dll"));
    EXPECT_EQ(delay.id, "program.imports.delay_loaded");
    EXPECT_NE(delay.evidence.find("worker.exe -> (delay) USER32.dll"), std::string::npos) << delay.evidence;
    EXPECT_NE(delay.evidence.find("0xC06D007E"), std::string::npos) << delay.evidence;

    const auto never = program_imports_finding(imports(ConnectVerdict::never));
    EXPECT_EQ(never.id, "program.imports.never");
    EXPECT_NE(never.evidence.find("C:\\Windows\\system32"), std::string::npos) << never.evidence;

    auto part = imports(ConnectVerdict::never);
    part.unresolved = {"vendor.dll"};
    part.problems = {Finding{"pe.closure.incomplete", Severity::warning, "1 DLL(s) were not found", "", ""}};
    const auto incomplete = program_imports_finding(part);
    EXPECT_EQ(incomplete.id, "program.imports.incomplete");
    EXPECT_EQ(incomplete.severity, Severity::info);
    EXPECT_NE(incomplete.evidence.find("not found: vendor.dll"), std::string::npos) << incomplete.evidence;

    ProgramImportsFacts unreadable;
    unreadable.program = "C:\\app\\gone.exe";
    unreadable.error = "not a regular file";
    const auto unknown = program_imports_finding(unreadable);
    EXPECT_EQ(unknown.id, "program.imports.unknown");
    EXPECT_EQ(unknown.evidence, "C:\\app\\gone.exe: not a regular file");
}

TEST(ConnectRules, DelayLoadedStepsTheStationCausesDownOneLevel) {
    const auto before = diagnose(heap_exhausted());
    const auto d = apply_connect_facts(before, {ConnectVerdict::delay_loaded, "worker.exe -> (delay) USER32.dll"});
    for (const auto& c : before.causes) {
        const auto* after = d.find(c.id);
        ASSERT_NE(after, nullptr);
        const bool station = c.id == CauseId::access || c.id == CauseId::desktop_heap || c.id == CauseId::session_pool ||
                             c.id == CauseId::missing_desktop;
        if (!station) {
            EXPECT_EQ(after->likelihood, c.likelihood) << to_string(c.id);
            continue;
        }
        const auto expected = c.likelihood == Likelihood::decided  ? Likelihood::likely
                              : c.likelihood == Likelihood::likely ? Likelihood::possible
                                                                   : Likelihood::unlikely;
        EXPECT_EQ(after->likelihood, expected) << to_string(c.id);
        EXPECT_NE(after->evidence.front().find("only through a delay import"), std::string::npos);
    }
    // Observed input: session_pool decided by event 244 -> likely, and still first.
    ASSERT_EQ(before.find(CauseId::session_pool)->likelihood, Likelihood::decided);
    EXPECT_EQ(d.causes.front().id, CauseId::session_pool);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::likely);
    EXPECT_NE(d.deciding_evidence.find("weakened"), std::string::npos) << d.deciding_evidence;
    EXPECT_EQ(d.find(CauseId::other_dll_init)->likelihood, before.find(CauseId::other_dll_init)->likelihood);
}

TEST(ConnectRules, ControlCharactersOfAChainDoNotReachTheDiagnosisRaw) {
    const auto d = apply_connect_facts(diagnose(heap_exhausted()), {ConnectVerdict::delay_loaded, "w.exe -> (delay) US\x1b" "ER32.dll"});
    for (const auto& c : d.causes)
        for (const auto& e : c.evidence) EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
}

}  // namespace
}  // namespace safelaunch
