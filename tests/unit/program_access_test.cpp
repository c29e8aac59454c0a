// Look-alikes (issue 9 part 4): the child token's access to its program, folder and DLLs, App
// Execution Aliases, and rule R13 of the diagnosis (program_access.hpp).
#include "safelaunch/analysis.hpp"
#include "safelaunch/json.hpp"
#include "safelaunch/program_access.hpp"
#include "snapshot_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace safelaunch {
namespace {

const Finding* find(const std::vector<Finding>& findings, std::string_view id) {
    const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
    return it == findings.end() ? nullptr : &*it;
}

FileAccessFacts file(std::string path, std::string role, std::optional<std::uint32_t> granted) {
    FileAccessFacts f;
    f.path = std::move(path);
    f.role = std::move(role);
    f.desired = f.role == "folder" ? kFolderRightsNeeded : kImageRightsNeeded;
    f.granted = granted;
    return f;
}

// The worker runs as svc-ingest; its plug-in DLL beside it grants that account nothing.
ProgramAccessFacts plugin_denied() {
    ProgramAccessFacts p;
    p.account = "CONTOSO\\svc-ingest";
    p.files = {file("C:\\apps\\worker.exe", "program", kImageRightsNeeded),
               file("C:\\apps", "folder", kFolderRightsNeeded), file("C:\\apps\\plugin.dll", "dll", 0u)};
    return p;
}

ProgramAccessFacts all_granted() {
    auto p = plugin_denied();
    p.files.back().granted = kImageRightsNeeded;
    return p;
}

Diagnosis diagnosis_of(std::uint32_t code) {
    DiagnosisInput in;
    in.exit_code = code;
    in.runtime_ms = 20;
    return diagnose(in);
}

TEST(ProgramAccess, RightsAreNamedForFilesAndFolders) {
    EXPECT_EQ(kImageRightsNeeded, 0x1200A9u);
    EXPECT_EQ(describe_file_rights(kImageRightsNeeded, false),
              "FILE_READ_DATA | FILE_READ_EA | FILE_EXECUTE | FILE_READ_ATTRIBUTES | READ_CONTROL | SYNCHRONIZE");
    EXPECT_EQ(describe_file_rights(0x21, true), "FILE_LIST_DIRECTORY | FILE_TRAVERSE");
    EXPECT_EQ(describe_file_rights(0, false), "no rights");
    EXPECT_EQ(describe_file_rights(0x40000000, false), "0x40000000");
}

TEST(ProgramAccess, ADeniedDllIsAnErrorThatNamesTheLoadersCode) {
    const auto findings = program_access_findings(plugin_denied(), std::nullopt);
    ASSERT_EQ(findings.size(), 1u);
    const auto& f = findings.front();
    EXPECT_EQ(f.id, "program.access.denied");
    EXPECT_EQ(f.severity, Severity::error);
    EXPECT_NE(f.message.find("C:\\apps\\plugin.dll"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("0xC0000022"), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("not 0xC0000142"), std::string::npos) << f.message;
    EXPECT_EQ(f.message.find("ERROR_ACCESS_DENIED"), std::string::npos) << "only the program's own denial fails CreateProcess";
    EXPECT_NE(f.evidence.find("lacks FILE_READ_DATA"), std::string::npos) << f.evidence;
    EXPECT_NE(f.evidence.find("granted nothing"), std::string::npos) << f.evidence;
    EXPECT_NE(f.remedy.find("CONTOSO\\svc-ingest:RX"), std::string::npos) << f.remedy;
}

TEST(ProgramAccess, ADeniedProgramAlsoNamesCreateProcessFailure) {
    auto p = all_granted();
    p.files.front().granted = file_rights::kGenericRead;  // read, no FILE_EXECUTE
    const auto findings = program_access_findings(p, std::nullopt);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_NE(findings.front().message.find("ERROR_ACCESS_DENIED (5)"), std::string::npos) << findings.front().message;
    EXPECT_NE(findings.front().evidence.find("lacks FILE_EXECUTE for CONTOSO"), std::string::npos) << findings.front().evidence;
}

TEST(ProgramAccess, EverythingGrantedGivesNoFinding) {
    EXPECT_TRUE(program_access_findings(all_granted(), std::nullopt).empty());
}

TEST(ProgramAccess, AFolderWithoutTraverseIsAWarningAndUncheckedFilesAreInfo) {
    auto p = all_granted();
    p.files[1].granted = 0u;
    p.files.push_back(file("\\\\server\\share\\x.dll", "dll", std::nullopt));
    p.files.back().error = "GetNamedSecurityInfoW(\\\\server\\share\\x.dll) failed: 5 ERROR_ACCESS_DENIED";
    const auto findings = program_access_findings(p, std::nullopt);
    ASSERT_EQ(findings.size(), 2u);
    EXPECT_EQ(findings[0].id, "program.access.folder_denied");
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_NE(findings[0].message.find("Bypass traverse checking"), std::string::npos);
    EXPECT_EQ(findings[1].id, "program.access.unchecked");
    EXPECT_EQ(findings[1].severity, Severity::info);
    EXPECT_NE(findings[1].evidence.find("x.dll: GetNamedSecurityInfoW"), std::string::npos) << findings[1].evidence;
}

TEST(ProgramAccess, AnAliasIsAWarningOnlyForAServiceOrAnotherUser) {
    auto p = all_granted();
    p.reparse_tag = kReparseTagAppExecLink;
    LauncherFacts desktop_user;
    desktop_user.session_id = 1;
    auto findings = program_access_findings(p, desktop_user);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].id, "program.app_execution_alias");
    EXPECT_EQ(findings[0].severity, Severity::info);
    EXPECT_NE(findings[0].evidence.find("0x8000001b"), std::string::npos) << findings[0].evidence;
    EXPECT_NE(findings[0].evidence.find("unverified on Windows"), std::string::npos);

    LauncherFacts service;
    service.session_id = 0;
    findings = program_access_findings(p, service);
    ASSERT_EQ(findings.size(), 1u);
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_NE(findings[0].message.find("is a service"), std::string::npos) << findings[0].message;

    desktop_user.run_as = "token";
    findings = program_access_findings(p, desktop_user);
    EXPECT_EQ(findings[0].severity, Severity::warning);
    EXPECT_NE(findings[0].message.find("as another user"), std::string::npos) << findings[0].message;

    p.reparse_tag = 0xA000000C;  // a symbolic link is no alias
    EXPECT_TRUE(program_access_findings(p, service).empty());
}

TEST(ProgramAccess, R13AccessDeniedExitWithADeniedDllIsDecided) {
    const auto d = apply_program_access(diagnosis_of(0xC0000022), plugin_denied());
    ASSERT_FALSE(d.causes.empty());
    EXPECT_EQ(d.causes.front().id, CauseId::program_access);
    EXPECT_EQ(d.causes.front().likelihood, Likelihood::decided);
    EXPECT_NE(d.find(CauseId::not_dll_init), nullptr) << "0xC0000022 is still no DLL-init failure";
    EXPECT_EQ(d.deciding_evidence.rfind("decided by program_access: AccessCheck: the DLL C:\\apps\\plugin.dll", 0), 0u)
        << d.deciding_evidence;
    EXPECT_NE(d.causes.front().remedy.find("icacls"), std::string::npos);
    const auto findings = to_findings(d);
    EXPECT_TRUE(std::any_of(findings.begin(), findings.end(), [](const Finding& f) {
        return f.id == "diagnosis.program_access" && f.severity == Severity::error;
    }));
}

TEST(ProgramAccess, R13OnlyTheFolderDeniedIsLikely) {
    auto p = all_granted();
    p.files[1].granted = 0u;
    const auto d = apply_program_access(diagnosis_of(0xC0000022), p);
    const auto* c = d.find(CauseId::program_access);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->likelihood, Likelihood::likely);
    EXPECT_EQ(d.causes.front().id, CauseId::not_dll_init) << "decided stays first";
}

TEST(ProgramAccess, R13DllInitCodeListsItAsPossible) {
    const auto before = diagnosis_of(0xC0000142);
    const auto d = apply_program_access(before, plugin_denied());
    const auto* c = d.find(CauseId::program_access);
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->likelihood, Likelihood::possible);
    EXPECT_NE(c->evidence.back().find("only when an initialiser loads such a DLL"), std::string::npos);
    EXPECT_EQ(d.deciding_evidence, before.deciding_evidence);
    EXPECT_EQ(d.causes.size(), before.causes.size() + 1);
    // Sorted: nothing weaker comes before it.
    const auto at = std::find_if(d.causes.begin(), d.causes.end(), [](const auto& r) { return r.id == CauseId::program_access; });
    for (auto it = d.causes.begin(); it != at; ++it) EXPECT_LE(it->likelihood, Likelihood::possible);
}

TEST(ProgramAccess, R13OtherCodesAndNoDenialChangeNothingButTheEvidence) {
    const auto crash = diagnosis_of(0xC0000005);
    EXPECT_EQ(apply_program_access(crash, plugin_denied()).causes.size(), crash.causes.size());

    const auto d = apply_program_access(diagnosis_of(0xC0000022), all_granted());
    EXPECT_EQ(d.find(CauseId::program_access), nullptr);
    const auto* c = d.find(CauseId::not_dll_init);
    ASSERT_NE(c, nullptr);
    EXPECT_NE(c->evidence.back().find("1 non-system DLL(s): the object it was denied is another"), std::string::npos)
        << c->evidence.back();
}

TEST(ProgramAccess, AnalyzeReportsAndDiagnosesFromTheSnapshot) {
    auto s = test::load_snapshot("lookalike-dll-not-found.json");
    ASSERT_TRUE(s.exit);
    s.exit->exit_code = 0xC0000022;
    s.program_access = plugin_denied();
    const auto a = analyze(s);
    ASSERT_NE(find(a.preflight, "program.access.denied"), nullptr);
    EXPECT_EQ(a.verdict, Verdict::blocked);
    ASSERT_TRUE(a.diagnosis);
    EXPECT_EQ(a.diagnosis->causes.front().id, CauseId::program_access);

    // And the facts survive a JSON round trip.
    s.program_access->reparse_tag = kReparseTagAppExecLink;
    s.program_access->files[2].error = "x";
    s.program_imports.emplace().local_dlls = {"C:\\apps\\plugin.dll"};
    Snapshot back;
    std::string error;
    ASSERT_TRUE(snapshot_from_json_text(nlohmann::json(s).dump(), back, error)) << error;
    ASSERT_TRUE(back.program_access);
    EXPECT_EQ(back.program_access->account, "CONTOSO\\svc-ingest");
    ASSERT_EQ(back.program_access->files.size(), 3u);
    EXPECT_EQ(back.program_access->files[2].granted, 0u);
    EXPECT_EQ(back.program_access->files[2].error, "x");
    EXPECT_EQ(back.program_access->files[1].desired, kFolderRightsNeeded);
    EXPECT_EQ(back.program_access->reparse_tag, kReparseTagAppExecLink);
    ASSERT_TRUE(back.program_imports);
    EXPECT_EQ(back.program_imports->local_dlls, std::vector<std::string>{"C:\\apps\\plugin.dll"});
}

}  // namespace
}  // namespace safelaunch
