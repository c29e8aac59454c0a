// Ctrl+C / console close for deskheap-repro: the console handler raises a flag every loop checks,
// ends the running children at once, and (for a console close, where Windows kills the process about
// five seconds after the handler returns) waits for the main thread to finish its cleanup.
// Children also go into a kill-on-close job, so they end with us whatever happens.
#pragma once

#include <windows.h>

namespace safelaunch::repro {

class InterruptGuard {
public:
    InterruptGuard();   // installs the handler and creates the job
    ~InterruptGuard();  // removes the handler
    InterruptGuard(const InterruptGuard&) = delete;
    InterruptGuard& operator=(const InterruptGuard&) = delete;

    // Cleanup is complete: a console-close handler waiting for it may return.
    static void cleanup_done() noexcept;
};

// True once Ctrl+C, Ctrl+Break or a console close/logoff/shutdown arrived.
[[nodiscard]] bool interrupted() noexcept;

// A running child the handler must end (the probe, the filler; several at once). The handler works
// on its own duplicate of the process handle, taken here and closed in the destructor under the
// same lock the handler holds, so it never acts on a handle the caller has closed (or a reused
// value). The caller's handle must stay open until this object is gone.
class TrackedChild {
public:
    explicit TrackedChild(HANDLE process) noexcept;  // also puts the process into the job
    ~TrackedChild();
    TrackedChild(const TrackedChild&) = delete;
    TrackedChild& operator=(const TrackedChild&) = delete;

private:
    HANDLE duplicate_ = nullptr;  // PROCESS_TERMINATE, ours; nullptr when DuplicateHandle failed
};

}  // namespace safelaunch::repro
