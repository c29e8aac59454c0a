// Will the child connect to a window station at start? The fact for the snapshot: the static
// import closure (safelaunch/pe_imports.hpp) of the program a launch runs, read from its file
// with the folder the loader searches as System32. The decisions are in connect_rules.hpp.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/facts.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace safelaunch::win32 {

// The folder the loader searches as System32 for an image of `machine`: GetSystemWow64DirectoryW
// for an x86 image on 64-bit Windows (WOW64 redirects System32 there), GetSystemDirectoryW
// otherwise (and on 32-bit Windows, where the WOW64 call fails with ERROR_CALL_NOT_IMPLEMENTED).
[[nodiscard]] std::string loader_system_directory(std::uint16_t machine, std::error_code& ec,
                                                  ApiFailure* failure = nullptr);

// `program` as LaunchRequest::program, resolved as the launch resolves it (resolve_program).
// Never fails as a whole: a program that cannot be found or read as an image gives a fact with no
// verdict and `error` saying why, which changes no finding.
[[nodiscard]] ProgramImportsFacts gather_program_imports(std::string_view program);

}  // namespace safelaunch::win32
