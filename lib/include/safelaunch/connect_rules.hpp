// What "will it connect?" (safelaunch/pe_imports.hpp) changes in the pre-flight findings and the
// diagnosis. Kept apart from analysis.cpp/diagnosis.cpp so those can call it once the snapshot
// carries the fact (ConnectFacts below).
#pragma once

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/pe_imports.hpp"

#include <string>
#include <vector>

namespace safelaunch {

// The fact: the child's import-closure verdict and its evidence.
struct ConnectFacts {
    ConnectVerdict verdict = ConnectVerdict::connects_at_init;
    std::string chain;  // chain_text(): empty for `never`
};

inline constexpr std::string_view kNoConnectReason = "this program does not load user32 at start";

// Pre-flight: when the child never connects at start, acl.* and heap.* findings of warning or
// error severity drop to info, their message saying why. Other findings are left alone.
[[nodiscard]] std::vector<Finding> apply_connect_facts(std::vector<Finding> preflight, const ConnectFacts& facts);

// Diagnosis: a DLL-initialisation failure (0xC0000142 / 128) of a child that never connects at
// start makes the window-station causes (access, desktop_heap, session_pool) unlikely; causes are
// sorted again and, when the first cause changed, the deciding evidence says why.
[[nodiscard]] Diagnosis apply_connect_facts(Diagnosis diagnosis, const ConnectFacts& facts);

}  // namespace safelaunch
