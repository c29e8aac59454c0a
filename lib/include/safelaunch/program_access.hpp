// Look-alikes of KB 184802 (issue 9 part 4): the child's token cannot open its program, the
// program's folder or a non-system DLL of its import closure, and App Execution Aliases. Portable
// decisions on ProgramAccessFacts (safelaunch/facts.hpp); lib/src/win32/program_access.cpp gathers.
//
// Pre-flight finding ids (stable), appended by analyze() after program.imports.*:
//   program.access.denied          error    the program or a non-system DLL is not granted
//                                           FILE_GENERIC_READ | FILE_EXECUTE for the child's token:
//                                           the loader fails with 0xC0000022 (STATUS_ACCESS_DENIED),
//                                           or CreateProcess with ERROR_ACCESS_DENIED (5) for the
//                                           program itself, not 0xC0000142
//   program.access.folder_denied   warning  the program's folder is not granted FILE_TRAVERSE (most
//                                           tokens hold "Bypass traverse checking", which skips it)
//   program.access.unchecked       info     some files could not be checked (their security could
//                                           not be read); evidence lists them
//   program.app_execution_alias    warning  the program path is an App Execution Alias (reparse tag
//                                           IO_REPARSE_TAG_APPEXECLINK) and the launcher is a
//                                           service (session 0, LocalSystem) or runs it as another
//                                           user: aliases start only the interactive user's packaged
//                                           apps; info otherwise (unverified on Windows)
// Diagnosis: rule R13 in safelaunch/diagnosis.hpp (apply_program_access).
#pragma once

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// File access rights as winnt.h defines them, for portable code.
namespace file_rights {
inline constexpr std::uint32_t kReadData = 0x0001;       // FILE_READ_DATA / FILE_LIST_DIRECTORY
inline constexpr std::uint32_t kExecute = 0x0020;        // FILE_EXECUTE / FILE_TRAVERSE
inline constexpr std::uint32_t kGenericRead = 0x120089;  // FILE_GENERIC_READ
inline constexpr std::uint32_t kGenericExecute = 0x1200A0;
inline constexpr std::uint32_t kGenericWrite = 0x120116;
inline constexpr std::uint32_t kAllAccess = 0x1F01FF;
}  // namespace file_rights

// What the loader needs of an image file (mapping it as an image needs FILE_EXECUTE), and of a
// folder on the path to it.
inline constexpr std::uint32_t kImageRightsNeeded = file_rights::kGenericRead | file_rights::kExecute;
inline constexpr std::uint32_t kFolderRightsNeeded = file_rights::kExecute;  // FILE_TRAVERSE

// IO_REPARSE_TAG_APPEXECLINK (winnt.h): an App Execution Alias in %LOCALAPPDATA%\Microsoft\WindowsApps.
inline constexpr std::uint32_t kReparseTagAppExecLink = 0x8000001B;

// "FILE_READ_DATA | FILE_EXECUTE" for the rights in `mask` (folders: LIST_DIRECTORY, TRAVERSE).
[[nodiscard]] std::string describe_file_rights(std::uint32_t mask, bool folder);

// Files checked and not granted every right asked for (program and DLLs; folder when `folders`).
[[nodiscard]] std::vector<const FileAccessFacts*> denied_files(const ProgramAccessFacts& facts, bool folders);

[[nodiscard]] bool is_app_execution_alias(const ProgramAccessFacts& facts) noexcept;

// The program.* findings above; `launcher` decides the alias finding's severity.
[[nodiscard]] std::vector<Finding> program_access_findings(const ProgramAccessFacts& facts,
                                                           const std::optional<LauncherFacts>& launcher);

// R13 (diagnosis.hpp) on a diagnosis made without these facts.
[[nodiscard]] Diagnosis apply_program_access(Diagnosis diagnosis, const ProgramAccessFacts& facts);

}  // namespace safelaunch
