// The process error mode around CreateProcess*: every launch of the library (launch_process, so
// safe_launch, the canary and the reproducer) reads GetErrorMode(), sets the mode its ErrorUi asks
// for, creates the process, and restores the old mode, all under one process-wide lock
// (safelaunch/error_mode.hpp has the policy and why).
//
// The error mode belongs to the whole process. The lock only orders this library's own launches:
// another thread of the host process that calls CreateProcess* without it, inside the window,
// hands the held mode to its child too, and one that calls SetErrorMode inside the window has its
// change undone by the restore. A host that creates processes itself and cares should hold
// lock_error_mode() around those calls. (A host that links the library into several DLLs has one
// lock per copy.)
#pragma once

#include "safelaunch/error_mode.hpp"

#include <cstdint>
#include <mutex>

namespace safelaunch::win32 {

// The lock every launch of this library holds from GetErrorMode() to the restore.
[[nodiscard]] std::unique_lock<std::mutex> lock_error_mode();

// Holds the lock, and the mode of `plan` once hold() is called, until it is destroyed; then sets
// the mode read at construction back. For one CreateProcess* call:
//   ErrorModeScope scope;  auto plan = plan_error_mode(ui, scope.current(), flags, kind);
//   scope.hold(plan);  CreateProcess*(... plan.creation_flags ...);  // scope ends: restored
class ErrorModeScope {
public:
    ErrorModeScope();  // locks, then GetErrorMode()
    ~ErrorModeScope();
    ErrorModeScope(const ErrorModeScope&) = delete;
    ErrorModeScope& operator=(const ErrorModeScope&) = delete;

    [[nodiscard]] std::uint32_t current() const noexcept { return current_; }
    void hold(const ErrorModePlan& plan) noexcept;  // SetErrorMode(*plan.hold_mode) when set

private:
    std::unique_lock<std::mutex> lock_;
    std::uint32_t current_ = 0;
    bool changed_ = false;
};

}  // namespace safelaunch::win32
