// The desktop's headroom by trial allocation (issue 8 part 4): each read() starts the canary
// (safelaunch-probe --alloc-kb N, run_canary) on the request's target desktop as the request's
// token, so it connects and allocates exactly where and as whom the child would, and gives its
// outcome to the portable headroom_from_canary(). The default HeadroomSource of safe_launch()'s
// admission control.
//
// A canary that could not run (probe missing, CreateProcess* failed, timed out) reads as
// unmeasurable, not as "no room": admit() then refuses at once (heap.desktop.headroom_unknown)
// instead of holding for a probe that will not appear.
#pragma once

#include "safelaunch/admission.hpp"
#include "safelaunch/facts.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/safe_launch.hpp"

#include <cstdint>
#include <optional>

namespace safelaunch::win32 {

class TrialHeadroom final : public HeadroomSource {
public:
    // `options`: probe_path (where safelaunch-probe is); canary_alloc_kb is set per read.
    TrialHeadroom(LaunchRequest request, SafeLaunchOptions options);

    [[nodiscard]] HeadroomReading read(std::uint32_t kb_needed) override;

    // The canary of the last read(), for reports (nullopt before the first).
    [[nodiscard]] const std::optional<CanaryFacts>& last_canary() const noexcept { return last_; }

private:
    LaunchRequest request_;
    SafeLaunchOptions options_;
    std::optional<CanaryFacts> last_;
};

}  // namespace safelaunch::win32
