// Ctrl+C / console close for deskheap-repro: the console handler raises a flag every loop checks,
// ends the running child at once, and (for a console close, where Windows kills the process about
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

// The child now running (nullptr: none): put into the job, and ended by the handler.
void track_child(HANDLE process) noexcept;

}  // namespace safelaunch::repro
