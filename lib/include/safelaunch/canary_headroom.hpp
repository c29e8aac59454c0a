// What one trial allocation says about a desktop's headroom (issue 8 part 4): the canary
// (safelaunch-probe --alloc-kb N, started on the target desktop as the child's token) read as a
// HeadroomReading for admit(). Portable: the Win32 side (win32/trial_headroom.hpp) only runs the
// canary and hands its facts here.
#pragma once

#include "safelaunch/admission.hpp"
#include "safelaunch/facts.hpp"

#include <cstdint>

namespace safelaunch {

// The canary's outcome for a request of `kb_needed` KB:
//   exit 0 with the objects created (or kb_needed 0)  fits
//   5 heap_exhausted                                  no room; free_kb = what it allocated before
//                                                     CreateWindowExW failed (its estimated_kb)
//   4 register_class_failed                           no room (the class is a desktop-heap object)
//   0xC0000142 / 128 (it could not connect at all)    no room, free unknown (a full heap looks like
//                                                     this; so does a desktop the token may not
//                                                     open, which the evidence then shows)
//   not run (probe missing, launch failed, timeout)   unmeasurable, with the reason
//   6 handle_quota                                    unmeasurable: its USER handle quota, not the
//                                                     heap, stopped it (kb_needed is too large to try)
//   anything else (usage, no_desktop_name, a crash)   unmeasurable, with the exit code
[[nodiscard]] HeadroomReading headroom_from_canary(const CanaryFacts& canary, std::uint32_t kb_needed);

}  // namespace safelaunch
