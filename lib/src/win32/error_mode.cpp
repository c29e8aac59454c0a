#include "safelaunch/win32/error_mode.hpp"

#include <windows.h>

namespace safelaunch::win32 {

std::unique_lock<std::mutex> lock_error_mode() {
    static std::mutex mutex;
    return std::unique_lock<std::mutex>(mutex);
}

// GetErrorMode (Vista+) reads without writing: no gap in which the mode is briefly wrong, as the
// older `old = SetErrorMode(x); SetErrorMode(old | x)` idiom has.
ErrorModeScope::ErrorModeScope() : lock_(lock_error_mode()), current_(::GetErrorMode()) {}

ErrorModeScope::~ErrorModeScope() {
    // The child copied the mode at creation; later changes here do not reach it.
    if (changed_) ::SetErrorMode(current_);
}

void ErrorModeScope::hold(const ErrorModePlan& plan) noexcept {
    if (!plan.hold_mode || *plan.hold_mode == current_) return;
    ::SetErrorMode(*plan.hold_mode);
    changed_ = true;
}

}  // namespace safelaunch::win32
