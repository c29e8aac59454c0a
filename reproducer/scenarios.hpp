// The scenarios of deskheap-repro (heap, acl, pool; all = heap + acl), each control -> failure ->
// recovery with the same child (safelaunch-probe), on a private window station and desktop named
// "deskheap-repro-<pid>-<scenario>\\repro". Nothing else is ever modified: not WinSta0\Default, not
// any object this process did not create.
#pragma once

#include "options.hpp"
#include "report.hpp"

#include <functional>
#include <string_view>

namespace safelaunch::repro {

// One progress line (no newline), e.g. while the filler runs. Called from any thread.
using Progress = std::function<void(std::string_view line)>;

// Runs what `options.scenario` names. Every object created is released before this returns (also
// after Ctrl+C, which only makes it stop early); what could not be released is in left_behind.
// The platform checks come first: under Wine heap and pool stop before creating anything.
[[nodiscard]] RunReport run_scenarios(const Options& options, const Progress& progress);

// The prefix of every window station this process creates: "deskheap-repro-<pid>-".
[[nodiscard]] std::string object_prefix();

}  // namespace safelaunch::repro
