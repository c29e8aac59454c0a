// The scenarios of deskheap-repro (heap, acl, pool; all = heap + acl), each control -> failure ->
// recovery with the same child (safelaunch-probe), on a desktop of its own named
// "deskheap-repro-<pid>-<scenario>" in a window station created without a name (private_station.hpp:
// the system names it, and it may be shared). Nothing else is ever modified: not WinSta0\Default,
// not any object this process did not create.
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

// The prefix of every desktop (and named-fallback window station, event and temporary file) this
// process creates: "deskheap-repro-<pid>-".
[[nodiscard]] std::string object_prefix();

}  // namespace safelaunch::repro
