// A real-time ETW session on Microsoft-Windows-Win32k around one launch (issue 9 part 3), to catch
// event 58 "DesktopResolutionFailure" for the child's pid. Opt-in (SafeLaunchOptions::trace_win32k,
// `run --trace-win32k`): it needs administrator rights or membership in Performance Log Users, and
// the event is unverified (safelaunch/win32k_trace.hpp). Gathers facts only; the core decides.
//
// Sequence: start() before the child exists (the event fires while the child starts, and its pid
// is known only after CreateProcess): sessions of launchers that died ("safelaunch-win32k-<pid>-
// <n>" whose pid is gone, QueryAllTracesW) and a leftover of the same name are stopped, StartTraceW
// (EVENT_TRACE_REAL_TIME_MODE), EnableTraceEx2 for the provider at kWin32kTraceLevel with every
// keyword (event 58's keyword is not known), OpenTraceW + ProcessTrace on a thread of its own.
// The callback keeps up to kWin32kTraceMaxEvents events with id 58 (only the child's, once
// set_child_pid was called), decoded with TDH (tdh.dll resolved at run time). stop() stops the
// session (ControlTraceW STOP), which makes ProcessTrace deliver what is left and return, joins the
// thread, closes the trace (CloseTrace) and returns the facts. The destructor does the same: no
// session outlives this object.
#pragma once

#include "safelaunch/win32k_trace.hpp"

#include <cstdint>
#include <memory>

namespace safelaunch::win32 {

inline constexpr std::uint8_t kWin32kTraceLevel = 5;                     // TRACE_LEVEL_VERBOSE
inline constexpr std::uint64_t kWin32kTraceKeywords = 0xFFFFFFFFFFFFFFFFULL;  // any keyword

class Win32kTrace {
public:
    Win32kTrace() noexcept;  // not requested
    Win32kTrace(Win32kTrace&&) noexcept;
    Win32kTrace& operator=(Win32kTrace&&) noexcept;
    Win32kTrace(const Win32kTrace&) = delete;
    Win32kTrace& operator=(const Win32kTrace&) = delete;
    ~Win32kTrace();

    // Starts the session. Never throws for API failures: facts().started is false and failed_api,
    // error and reason say why (StartTraceW -> 5: needs administrator or Performance Log Users).
    [[nodiscard]] static Win32kTrace start();

    // From now on only events of this pid are kept (earlier ones are filtered by the core).
    void set_child_pid(std::uint32_t pid) noexcept;

    // Stops the session and the consumer; the facts are final after this. Idempotent.
    Win32kTraceFacts stop();

    [[nodiscard]] bool requested() const noexcept { return static_cast<bool>(state_); }

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace safelaunch::win32
