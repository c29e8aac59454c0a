// The program_imports fact (issue 9) gathered from real MinGW-built images: the probe links
// user32, child_no_user32 links neither user32 nor gdi32 (nor shell32). Under Wine the system
// folder holds Wine's own PE DLLs, whose import tables are real.
#include "safelaunch/win32/program_imports.hpp"

#include "safelaunch/connect_rules.hpp"
#include "safelaunch/win32/safe_launch.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

namespace safelaunch::win32 {
namespace {

using test::child_path;
using test::tool_path;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(ProgramImports, SystemDirectoryIsSystem32AndWow64sFolderForX86) {
    std::error_code ec;
    const auto sys = loader_system_directory(kMachineX64, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(ends_with(lower(sys), "\\system32")) << sys;
    // This test is a 64-bit process, so Windows is 64-bit and has a WOW64 folder (so has Wine 8's
    // 64-bit prefix).
    const auto wow = loader_system_directory(kMachineX86, ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(ends_with(lower(wow), "\\syswow64")) << wow;
}

TEST(ProgramImports, TheProbeConnectsAtInitWithItsChain) {
    const auto p = gather_program_imports(tool_path("safelaunch-probe"));
    ASSERT_FALSE(p.error) << *p.error;
    ASSERT_TRUE(p.verdict);
    EXPECT_EQ(*p.verdict, ConnectVerdict::connects_at_init);
    EXPECT_EQ(lower(p.chain).rfind("safelaunch-probe.exe -> ", 0), 0u) << p.chain;
    EXPECT_TRUE(ends_with(lower(p.chain), "user32.dll") || ends_with(lower(p.chain), "gdi32.dll")) << p.chain;
    EXPECT_EQ(p.machine, "x64");
    std::error_code ec;
    EXPECT_EQ(p.system_dir, loader_system_directory(kMachineX64, ec));
    // The bare path without ".exe" was resolved as CreateProcess would.
    EXPECT_TRUE(ends_with(lower(p.program), "safelaunch-probe.exe")) << p.program;
    const auto f = program_imports_finding(p);
    EXPECT_EQ(f.id, "program.imports.connects_at_init");
}

// The closure is kept per program file (a launcher starting one program thousands of times reads it
// once) and read again when the file changes: the same path first holds a kernel32-only child,
// then the probe.
TEST(ProgramImports, AChangedProgramFileIsReadAgain) {
    const auto path = test::exe_dir() + "\\" + test::unique_name("imports-cache") + ".exe";
    ASSERT_TRUE(::CopyFileA(child_path("child_no_user32").c_str(), path.c_str(), FALSE)) << ::GetLastError();
    const auto first = gather_program_imports(path);
    ASSERT_TRUE(first.verdict) << first.error.value_or("");
    EXPECT_EQ(*first.verdict, ConnectVerdict::never);
    const auto again = gather_program_imports(path);
    ASSERT_TRUE(again.verdict);
    EXPECT_EQ(*again.verdict, ConnectVerdict::never);
    ASSERT_TRUE(::CopyFileA(tool_path("safelaunch-probe").c_str(), path.c_str(), FALSE)) << ::GetLastError();
    const auto changed = gather_program_imports(path);
    ::DeleteFileA(path.c_str());
    ASSERT_TRUE(changed.verdict) << changed.error.value_or("");
    EXPECT_EQ(*changed.verdict, ConnectVerdict::connects_at_init) << "the replaced file was read again";
}

TEST(ProgramImports, AChildWithoutUser32NeverConnects) {
    const auto p = gather_program_imports(child_path("child_no_user32"));
    ASSERT_FALSE(p.error) << *p.error;
    ASSERT_TRUE(p.verdict);
    EXPECT_EQ(*p.verdict, ConnectVerdict::never) << p.chain;
    EXPECT_EQ(p.chain, "");
    // Observed: every DLL of its closure is in the system folder, so the verdict decides (C1).
    EXPECT_TRUE(p.unresolved.empty()) << p.unresolved.front();
    for (const auto& f : p.problems) ADD_FAILURE() << f.id << ": " << f.message;
    ASSERT_TRUE(connect_facts_of(p));
    EXPECT_EQ(program_imports_finding(p).id, "program.imports.never");
}

TEST(ProgramImports, AMissingProgramIsUnknownAndSaysWhichCallFailed) {
    const auto p = gather_program_imports("safelaunch-no-such-program-9");
    EXPECT_FALSE(p.verdict);
    ASSERT_TRUE(p.error);
    EXPECT_NE(p.error->find("SearchPathW"), std::string::npos) << *p.error;
    EXPECT_EQ(program_imports_finding(p).id, "program.imports.unknown");
}

TEST(ProgramImports, AFileThatIsNotAnImageIsUnknown) {
    const auto path = test::exe_dir() + "\\" + test::unique_name("not-an-image") + ".exe";
    {
        std::ofstream out(path, std::ios::binary);
        // Longer than a DOS header (64 bytes), so the reader gets as far as the missing 'MZ'.
        out << "@echo off\r\nrem a batch file named .exe: not a PE image, whatever its name says\r\n";
    }
    const auto p = gather_program_imports(path);
    ::DeleteFileW(boost::nowide::widen(path).c_str());
    EXPECT_FALSE(p.verdict);
    ASSERT_TRUE(p.error);
    EXPECT_NE(p.error->find("MZ"), std::string::npos) << *p.error;
}

TEST(ProgramImports, LaunchFactsCarryTheFactOnlyForAProgram) {
    auto token = duplicate_own_token(true);
    EXPECT_FALSE(gather_launch_facts(LaunchRequest{}, token.get()).program_imports);
    LaunchRequest r;
    r.program = child_path("child_no_user32");
    const auto facts = gather_launch_facts(r, token.get());
    ASSERT_TRUE(facts.program_imports);
    ASSERT_TRUE(facts.program_imports->verdict);
    EXPECT_EQ(*facts.program_imports->verdict, ConnectVerdict::never);
}

// End to end: a never-connecting child that exits 0xC0000142 (on purpose) is diagnosed with the
// window-station causes ruled out by its imports.
TEST(ProgramImports, ADllInitExitOfANeverConnectingChildRulesOutTheKbCauses) {
    LaunchRequest r;
    r.program = child_path("child_no_user32");
    r.args = {"0xC0000142"};
    SafeLaunchOptions o;
    o.probe_path = tool_path("safelaunch-probe");
    const auto out = safe_launch_and_wait(r, o);
    ASSERT_TRUE(out.exit_code.has_value());
    EXPECT_EQ(*out.exit_code, 0xC0000142u);
    const auto& pre = out.preflight.analysis.preflight;
    EXPECT_TRUE(std::any_of(pre.begin(), pre.end(), [](const Finding& f) { return f.id == "program.imports.never"; }));
    ASSERT_TRUE(out.diagnosis.has_value());
    for (auto id : {CauseId::access, CauseId::desktop_heap}) {
        const auto* c = out.diagnosis->find(id);
        ASSERT_NE(c, nullptr) << to_string(id);
        EXPECT_EQ(c->likelihood, Likelihood::unlikely) << to_string(id);
        ASSERT_FALSE(c->evidence.empty());
        EXPECT_NE(c->evidence.front().find(kNoConnectReason), std::string::npos) << c->evidence.front();
    }
    EXPECT_EQ(out.diagnosis->causes.front().id, CauseId::other_dll_init);
}

}  // namespace
}  // namespace safelaunch::win32
