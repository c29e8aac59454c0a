// What "will it connect?" (safelaunch/pe_imports.hpp) changes in the pre-flight findings and the
// diagnosis. analyze() (analysis.cpp) calls these with the snapshot's ProgramImportsFacts.
//
// Rules (issue 9):
//  C1  Only a complete closure counts (connect_facts_of): a verdict other than connects_at_init
//      stands only when every DLL was found and no pe.imports.* / pe.closure.* problem was met
//      (an unresolved DLL, a damaged table or a UI API set may hide user32). Otherwise, and when
//      the program could not be read, nothing is changed.
//  C2  never: the program does not load user32/gdi32 at start. Pre-flight acl.* and heap.*
//      findings of warning or error severity drop to info, saying why. A 0xC0000142 / 128 makes
//      every window-station cause (access, desktop_heap, session_pool, missing_desktop) unlikely;
//      other_dll_init becomes likely when nothing else is.
//  C3  delay_loaded: the program connects after start, at its first call into user32/gdi32. The
//      pre-flight findings stand (that call meets the same desktop). A 0xC0000142 / 128 steps every
//      window-station cause down one level (decided -> likely ...): a failed delay load raises
//      0xC06D007E (VcppException(ERROR_SEVERITY_ERROR, ERROR_MOD_NOT_FOUND)), not 0xC0000142 at
//      start, unless a DLL's initialiser makes that call while the process starts.
//  C4  connects_at_init: nothing changes.
// The info finding of the pre-flight (program_imports_finding), stable ids:
//   program.imports.connects_at_init  user32/gdi32 in the static closure; evidence: the chain
//   program.imports.delay_loaded      only through a delay import; evidence: the chain
//   program.imports.never             neither in the complete static closure
//   program.imports.incomplete        not reached, but the closure is incomplete (C1): no change
//   program.imports.unknown           the program could not be read as an image: no change
#pragma once

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/pe_imports.hpp"

#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// The fact the rules act on: the child's import-closure verdict and its evidence.
struct ConnectFacts {
    ConnectVerdict verdict = ConnectVerdict::connects_at_init;
    std::string chain;  // chain_text(): empty for `never`
};

inline constexpr std::string_view kNoConnectReason = "this program does not load user32 at start";
inline constexpr std::string_view kDelayConnectReason = "this program loads user32 only through a delay import";

// C1: the facts the rules may act on; nullopt when the verdict is unknown or not reliable.
[[nodiscard]] std::optional<ConnectFacts> connect_facts_of(const ProgramImportsFacts& facts);

// The program.imports.* info finding.
[[nodiscard]] Finding program_imports_finding(const ProgramImportsFacts& facts);

// C2 for the pre-flight: other verdicts leave the findings alone.
[[nodiscard]] std::vector<Finding> apply_connect_facts(std::vector<Finding> preflight, const ConnectFacts& facts);

// C2 and C3 for the diagnosis of a DLL-initialisation failure (0xC0000142 / 128); causes are
// sorted again and the deciding evidence says what changed.
[[nodiscard]] Diagnosis apply_connect_facts(Diagnosis diagnosis, const ConnectFacts& facts);

}  // namespace safelaunch
