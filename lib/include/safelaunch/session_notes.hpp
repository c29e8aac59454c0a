// Session 0 and noninteractive window stations (issue 9 part 4): where a child started from a
// service or a noninteractive station ends up, and when WinSta0 cannot be opened at all. Portable
// notes on LauncherFacts and the resolved target; analyze() adds them after the launch context.
//
// Pre-flight finding ids (stable), all info (they explain, they do not block):
//   launcher.session_zero            the launcher runs in session 0 (services): no user sees its
//                                    desktops; names the station and desktop a child with
//                                    lpDesktop NULL inherits (or where the given lpDesktop leads)
//   launcher.station.noninteractive  outside session 0, the launcher's own station (which a child
//                                    with lpDesktop NULL inherits) is not interactive (no
//                                    WSF_VISIBLE, or not WinSta0 when its flags are unknown)
//   launcher.winsta0.unopenable      OpenWindowStationW("WinSta0") failed in the launcher: it can
//                                    neither check nor grant access there (no grant is suggested on
//                                    an object the launcher cannot open, see analysis.cpp)
#pragma once

#include "safelaunch/facts.hpp"
#include "safelaunch/finding.hpp"

#include <vector>

namespace safelaunch {

[[nodiscard]] std::vector<Finding> session_notes(const Snapshot& facts);

}  // namespace safelaunch
