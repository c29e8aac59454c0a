// Windows versions as users name them on a command line ("xp", "7-x86", "10", "6.1.7601-x64"),
// for the decisions that depend on the version (SharedSection defaults, the session pool).
#pragma once

#include "safelaunch/facts.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

// Accepted (case-insensitive), each optionally followed by "-x86" or "-x64":
//   names   xp, 2003, vista, vista-rtm, 2008, 7, 2008r2, 8, 2012, 8.1, 2012r2, 10, 2016, 2019,
//           2022, 11, 2025
//   numbers MAJOR.MINOR[.BUILD]  (5.1, 6.1.7601, 10.0.22631)
// Without a suffix: x86 for XP and Server 2003 (their common form), x64 for everything else.
// "vista" is Vista SP1 (build 6001); "vista-rtm" is build 6000.
// Returns nullopt and a one-line reason naming the value otherwise.
[[nodiscard]] std::optional<OsFacts> parse_os_version(std::string_view text, std::string& reason);

// "Windows 7 / Server 2008 R2 (6.1.7601, x64)".
[[nodiscard]] std::string describe_os(const OsFacts& os);

}  // namespace safelaunch
