// The program_access fact (issue 9 part 4): AccessCheck with a token on the program, its folder
// and the DLLs found beside it, and the program path's reparse tag.
#include "safelaunch/win32/program_access.hpp"

#include "safelaunch/program_access.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/program_imports.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <aclapi.h>
#include <sddl.h>

#include <boost/nowide/convert.hpp>

#include <algorithm>

namespace safelaunch::win32 {
namespace {

using test::child_path;

unique_handle own_token() { return duplicate_own_token(true); }

std::string temp_dir() {
    std::wstring buffer(MAX_PATH + 1, L'\0');
    buffer.resize(::GetTempPathW(static_cast<DWORD>(buffer.size()), buffer.data()));
    auto dir = boost::nowide::narrow(buffer) + test::unique_name("program-access");
    EXPECT_TRUE(::CreateDirectoryW(boost::nowide::widen(dir).c_str(), nullptr)) << ::GetLastError();
    return dir;
}

bool copy(const std::string& from, const std::string& to) {
    return ::CopyFileW(boost::nowide::widen(from).c_str(), boost::nowide::widen(to).c_str(), FALSE) != FALSE;
}

// Replaces the file's DACL (protected) with the one in `sddl`; the Win32 error, 0 on success.
DWORD set_dacl(const std::string& path, const wchar_t* sddl) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr))
        return ::GetLastError();
    unique_hlocal owner(sd);
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    if (!::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted)) return ::GetLastError();
    auto wide = boost::nowide::widen(path);
    return ::SetNamedSecurityInfoW(wide.data(), SE_FILE_OBJECT,
                                   DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                   dacl, nullptr);
}

const FileAccessFacts* role(const ProgramAccessFacts& p, const std::string& r) {
    const auto it = std::find_if(p.files.begin(), p.files.end(), [&](const auto& f) { return f.role == r; });
    return it == p.files.end() ? nullptr : &*it;
}

TEST(ProgramAccess, OwnTokenMayReadAndExecuteAChildAndItsFolder) {
    const auto imports = gather_program_imports(child_path("child_exit"));
    const auto token = own_token();
    const auto p = gather_program_access(token.get(), imports, "me");
    EXPECT_EQ(p.account, "me");
    EXPECT_FALSE(p.reparse_tag) << "a plain file is no reparse point";
    EXPECT_FALSE(p.reparse_error);
    ASSERT_EQ(p.files.size(), 2u) << "a static MinGW child imports only system DLLs";
    const auto* program = role(p, "program");
    ASSERT_NE(program, nullptr);
    EXPECT_EQ(program->path, imports.program);
    EXPECT_FALSE(program->error) << *program->error;
    EXPECT_EQ(program->desired, kImageRightsNeeded);
    EXPECT_EQ(program->granted, kImageRightsNeeded);
    const auto* folder = role(p, "folder");
    ASSERT_NE(folder, nullptr);
    EXPECT_EQ(folder->path, test::exe_dir());
    EXPECT_EQ(folder->granted, kFolderRightsNeeded);
    EXPECT_TRUE(program_access_findings(p, std::nullopt).empty());
}

TEST(ProgramAccess, AMissingProgramGivesNoFiles) {
    ProgramImportsFacts imports;
    imports.program = test::exe_dir() + "\\no-such-program.exe";
    const auto token = own_token();
    const auto p = gather_program_access(token.get(), imports, "me");
    EXPECT_TRUE(p.files.empty());
    ASSERT_TRUE(p.reparse_error);
    EXPECT_NE(p.reparse_error->find("GetFileAttributesW"), std::string::npos) << *p.reparse_error;
}

TEST(ProgramAccess, ADllBesideTheProgramIsCheckedAndADeniedOneFound) {
    // A real program with a non-system DLL beside it: Wine's (or Windows') notepad.exe and a copy
    // of a DLL it imports, which the loader then takes from the program's folder.
    std::error_code ec;
    const auto sys = loader_system_directory(kMachineX64, ec);
    ASSERT_FALSE(ec);
    const auto dir = temp_dir();
    ASSERT_TRUE(copy(sys + "\\notepad.exe", dir + "\\notepad.exe")) << ::GetLastError();
    const auto first = gather_program_imports(dir + "\\notepad.exe");
    ASSERT_FALSE(first.error) << *first.error;
    EXPECT_TRUE(first.local_dlls.empty()) << "nothing beside it yet";
    ASSERT_TRUE(copy(sys + "\\comdlg32.dll", dir + "\\comdlg32.dll")) << ::GetLastError();
    // A new stamp for the program, so the closure cache reads it again.
    ASSERT_TRUE(copy(sys + "\\notepad.exe", dir + "\\notepad2.exe"));
    const auto imports = gather_program_imports(dir + "\\notepad2.exe");
    ASSERT_FALSE(imports.error) << *imports.error;
    ASSERT_EQ(imports.local_dlls.size(), 1u) << imports.chain;
    EXPECT_EQ(imports.local_dlls.front(), dir + "\\comdlg32.dll");

    const auto token = own_token();
    auto p = gather_program_access(token.get(), imports, "me");
    ASSERT_EQ(p.files.size(), 3u);
    const auto* dll = role(p, "dll");
    ASSERT_NE(dll, nullptr);
    EXPECT_EQ(dll->granted, kImageRightsNeeded);

    // Only SYSTEM may open it now.
    ASSERT_EQ(set_dacl(dll->path, L"D:P(A;;FA;;;SY)"), 0u);
    p = gather_program_access(token.get(), imports, "me");
    dll = role(p, "dll");
    ASSERT_NE(dll, nullptr);
    ASSERT_FALSE(dll->error) << *dll->error;
    ASSERT_TRUE(dll->granted);
    if (wine_version()) {
        // Observed under Wine 8: SetNamedSecurityInfoW returns 0, yet AccessCheck on the file's
        // security still grants the owner everything asked for.
        EXPECT_EQ(*dll->granted, kImageRightsNeeded);
        set_dacl(dll->path, L"D:(A;;FA;;;WD)");
        GTEST_SKIP() << "Wine does not enforce the file DACL set here: the denial needs Windows";
    }
    // The owner keeps READ_CONTROL (and WRITE_DAC), nothing to read or execute.
    EXPECT_EQ(*dll->granted & (FILE_READ_DATA | FILE_EXECUTE), 0u) << std::hex << *dll->granted;
    const auto findings = program_access_findings(p, std::nullopt);
    ASSERT_FALSE(findings.empty());
    EXPECT_EQ(findings.front().id, "program.access.denied");
    EXPECT_NE(findings.front().message.find("comdlg32.dll"), std::string::npos) << findings.front().message;
    EXPECT_EQ(set_dacl(dll->path, L"D:(A;;FA;;;WD)"), 0u);  // so the folder can be cleaned up
}

TEST(ProgramAccess, ReparseTagOfAPlainFileAndOfAMissingOne) {
    std::optional<std::string> error;
    EXPECT_FALSE(reparse_tag_of(child_path("child_exit"), error));
    EXPECT_FALSE(error);
    EXPECT_FALSE(reparse_tag_of(test::exe_dir() + "\\missing.exe", error));
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("GetFileAttributesW"), std::string::npos) << *error;
}

}  // namespace
}  // namespace safelaunch::win32
