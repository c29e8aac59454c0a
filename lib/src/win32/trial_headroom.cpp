#include "safelaunch/win32/trial_headroom.hpp"

#include "safelaunch/canary_headroom.hpp"

#include <utility>

namespace safelaunch::win32 {

TrialHeadroom::TrialHeadroom(LaunchRequest request, SafeLaunchOptions options)
    : request_(std::move(request)), options_(std::move(options)) {
    // The trial is a canary of its own: never an admission inside it.
    options_.admission.reset();
}

HeadroomReading TrialHeadroom::read(std::uint32_t kb_needed) {
    options_.canary_alloc_kb = kb_needed;
    std::error_code ec;
    ApiFailure failure;
    last_ = run_canary(request_, options_, ec, &failure);  // ran = false (with the reason) on failure
    return headroom_from_canary(*last_, kb_needed);
}

}  // namespace safelaunch::win32
