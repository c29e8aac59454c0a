// The desktop-heap filler: a thread attached to one private desktop (SetThreadDesktop before it
// creates any window) that creates windows, then menus, then menu strings — from large objects to
// small ones, so little room is left — until user32 refuses, and frees them all on release().
// Windows only, and never under Wine (filling Wine's user-handle table crashes wineserver).
#pragma once

#include <windows.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace safelaunch::repro {

struct FillResult {
    std::uint64_t windows = 0, menus = 0, strings = 0;
    [[nodiscard]] std::uint64_t total() const noexcept { return windows + menus + strings; }
    bool attached = false;            // SetThreadDesktop succeeded
    bool attach_switched_station = false;  // ... only with the process station switched around it
    std::string stop_api;             // the call that failed last ("CreateWindowExW")
    std::uint32_t stop_error = 0;     // its GetLastError()
    bool hit_handle_quota = false;    // ERROR_NO_MORE_USER_HANDLES: the per-process quota, not the heap
    bool hit_limit = false;           // stopped at max_objects without a failure
    bool cancelled = false;           // interrupted
    [[nodiscard]] std::string describe_stop() const;  // "CreateWindowExW: 8 ERROR_NOT_ENOUGH_MEMORY"
};

struct FillOptions {
    std::uint64_t max_objects = 200000;            // a bound, in case a heap is far larger than asked
    std::uint64_t progress_every = 500;            // objects between progress callbacks
    std::function<void(const FillResult&)> progress;  // called on the filler thread
};

class DesktopFiller {
public:
    DesktopFiller(HWINSTA station, HDESK desktop, FillOptions options);
    ~DesktopFiller();  // release()
    DesktopFiller(const DesktopFiller&) = delete;
    DesktopFiller& operator=(const DesktopFiller&) = delete;

    // Starts the thread and waits until it stopped creating objects.
    [[nodiscard]] FillResult fill();
    // Has the thread destroy everything it created and exit; waits for it. Idempotent.
    void release();

private:
    void run();

    HWINSTA station_;
    HDESK desktop_;
    FillOptions options_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool filled_ = false;
    bool release_ = false;
    FillResult result_;
};

}  // namespace safelaunch::repro
