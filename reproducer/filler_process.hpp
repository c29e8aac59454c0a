// The heap scenario's filler, run as a helper process (deskheap-filler.exe, beside deskheap-repro)
// on the target desktop: started with lpDesktop "Station\Desk", it fills that desktop's heap,
// signals through a named event, holds until released, and cleans up (filler_main.cpp). Windows
// only; under Wine only with a small --max-objects bound (filling Wine's user-handle table crashes
// wineserver).
#pragma once

#include "interrupt.hpp"

#include "safelaunch/error.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/launcher.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace safelaunch::repro {

// What the filler reported when it stopped creating objects (its first JSON line).
struct FillReport {
    std::string station, desktop;  // where it really ran (UOI_NAME)
    std::uint64_t windows = 0, menus = 0, strings = 0, short_strings = 0, tiny_menus = 0;
    std::string stop_api;          // the call that failed last ("CreateWindowExW"); "" = none
    std::uint32_t stop_error = 0;  // its GetLastError()
    bool hit_limit = false;        // stopped at --max-objects without a failure
    bool hit_handle_quota = false; // ERROR_NO_MORE_USER_HANDLES: the per-process quota, not the heap

    [[nodiscard]] std::uint64_t total() const noexcept { return windows + menus + strings + short_strings + tiny_menus; }
    // "CreateMenu: 8 ERROR_NOT_ENOUGH_MEMORY", "the --max-objects bound (no failure)".
    [[nodiscard]] std::string describe_stop() const;
};

class FillerProcess {
public:
    FillerProcess() = default;
    ~FillerProcess();  // ends a filler still running (its objects go with it)
    FillerProcess(const FillerProcess&) = delete;
    FillerProcess& operator=(const FillerProcess&) = delete;

    // Starts `exe` on `spec` (lpDesktop) and waits until it has filled (or ended, or Ctrl+C).
    // Returns the report; nullopt with `why` set when there is none (the filler could not start,
    // died — e.g. 0xC0000142 when it cannot connect — or was interrupted).
    [[nodiscard]] std::optional<FillReport> fill(const std::string& exe, const std::string& spec,
                                                 std::uint64_t max_objects,
                                                 const std::function<void(std::uint64_t seconds)>& waiting,
                                                 std::string& why);
    // Lets the filler free its objects and waits for it to exit; its exit code (0 = released), or
    // nullopt with `why` set. Idempotent.
    [[nodiscard]] std::optional<std::uint32_t> release(std::string& why);

private:
    win32::unique_handle ready_, release_;
    win32::Child child_;
    std::unique_ptr<TrackedChild> tracked_;
    std::string out_;  // the filler's stdout file
};

}  // namespace safelaunch::repro
