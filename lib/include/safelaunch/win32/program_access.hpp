// The program_access fact (issue 9 part 4): AccessCheck with the child's token on its program,
// the program's folder and the non-system DLLs of its import closure, and the program path's
// reparse tag (App Execution Aliases). Decisions: safelaunch/program_access.hpp.
#pragma once

#include "safelaunch/facts.hpp"

#include <windows.h>

#include <string>

namespace safelaunch::win32 {

// `token`: the child's (primary or impersonation; needs TOKEN_DUPLICATE for the impersonation
// duplicate AccessCheck requires, TOKEN_QUERY on it). `imports`: the program's closure, as
// gather_program_imports() gave it (its `program` is the resolved path). `account` names the token
// in the findings. Never fails as a whole: a file whose security cannot be read gets `error`; a
// token that cannot be duplicated gives every file that error. A program that does not exist
// gives no files (the launch itself reports it).
[[nodiscard]] ProgramAccessFacts gather_program_access(HANDLE token, const ProgramImportsFacts& imports,
                                                       std::string account);

// The reparse tag of `path` when it is a reparse point (FindFirstFileW's dwReserved0); nullopt
// when it is not one. Sets `error` when its attributes cannot be read.
[[nodiscard]] std::optional<std::uint32_t> reparse_tag_of(const std::string& path, std::optional<std::string>& error);

}  // namespace safelaunch::win32
