// The launch itself: a LaunchRequest through a Boost.Process v2 launcher (default_launcher,
// as_user_launcher or with_logon_launcher, by LaunchRequest::run_as), and the Child it gives.
//
// Only the launch: no pre-flight checks and no diagnosis (the orchestration calls this between
// "decide" and "diagnose"). Failures say which stage failed: the program was not found (tool exit
// 127) or was found but could not be started (126), with the API and its GetLastError() code.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/launch_environment.hpp"  // environment_block

#include <windows.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace safelaunch::win32 {

// Exit code Child::terminate() gives by default.
inline constexpr std::uint32_t kTerminatedExitCode = 1;

// A launched process. Owns it: destroying a Child whose process still runs terminates that
// process (as Boost's basic_process does), unless detach() was called. Move-only.
class Child {
public:
    struct Impl;

    Child() noexcept;
    explicit Child(std::unique_ptr<Impl> impl) noexcept;
    Child(Child&&) noexcept;
    Child& operator=(Child&&) noexcept;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child();

    // False for a default-constructed, moved-from or detached Child.
    [[nodiscard]] bool valid() const noexcept;
    [[nodiscard]] std::uint32_t pid() const noexcept;
    // The process HANDLE (PROCESS_ALL_ACCESS from CreateProcess*); owned by the Child.
    [[nodiscard]] HANDLE native_handle() const noexcept;
    // When the launch returned (steady clock), for run-time measurements.
    [[nodiscard]] std::chrono::steady_clock::time_point started() const noexcept;
    // The hard-error mode the child was given (LaunchRequest::error_ui); nullopt when not valid().
    [[nodiscard]] std::optional<ChildErrorMode> error_mode() const;

    // Waits for the process to end; its exit code as GetExitCodeProcess gives it.
    [[nodiscard]] std::uint32_t wait(std::error_code& ec) noexcept;
    std::uint32_t wait();
    // nullopt when the process still runs after `timeout` (ec stays clear).
    [[nodiscard]] std::optional<std::uint32_t> wait_for(std::chrono::milliseconds timeout,
                                                        std::error_code& ec) noexcept;
    [[nodiscard]] std::optional<std::uint32_t> wait_for(std::chrono::milliseconds timeout);
    // The exit code when the process has ended, nullopt while it runs (or when not valid()).
    [[nodiscard]] std::optional<std::uint32_t> exit_code() const noexcept;

    // TerminateProcess, then waits for the process to be gone. No-op when it already ended. Its
    // descendants are ended with the job when the Child is destroyed (or by end_tree()).
    void terminate(std::uint32_t exit_code, std::error_code& ec) noexcept;
    void terminate(std::uint32_t exit_code = kTerminatedExitCode);
    // Closes the handle without ending the process.
    void detach() noexcept;

    // The child's process tree is held by a Job object (LaunchRequest::contain_tree). false when
    // not asked, or when it could not be had: containment_note() then says why (on Windows 7 a
    // process already in a job without JOB_OBJECT_LIMIT_BREAKAWAY_OK cannot be put in another).
    [[nodiscard]] bool contained() const noexcept;
    [[nodiscard]] std::optional<std::string> containment_note() const;
    // Processes alive in the job now (the child and its descendants); nullopt when not contained.
    [[nodiscard]] std::optional<std::uint32_t> processes_in_tree() const noexcept;
    // TerminateJobObject: ends every process left in the tree (the child included, if it still
    // runs) and returns how many there were. Not contained: 0, nothing done.
    std::uint32_t end_tree(std::uint32_t exit_code, std::error_code& ec) noexcept;

    // Launched with LaunchOptions::suspended and not resumed yet: its primary thread has not run
    // any code of the program (nor connected to a window station).
    [[nodiscard]] bool suspended() const noexcept;
    // ResumeThread on the primary thread of a suspended child, then forgets the thread handle.
    // No-op for a child that is not suspended.
    void resume(std::error_code& ec) noexcept;
    void resume();

private:
    std::unique_ptr<Impl> impl_;
};

// A failed launch, with its kind (not found / not startable) and the API failure.
class LaunchError : public Error {
public:
    explicit LaunchError(LaunchFailure failure);
    [[nodiscard]] LaunchFailureKind kind() const noexcept { return kind_; }

private:
    LaunchFailureKind kind_;
};

// Finds the executable CreateProcess would run for `program`, as a full path (UTF-8):
//  - a bare name (no \ / or :) is searched with SearchPathW: the application's folder, the
//    current folder, the system folders, then PATH, adding ".exe" when it has no extension;
//  - a path is made absolute against the current folder and must name an existing file (with
//    ".exe" added when it has no extension and the name as given does not exist).
// Not found: ERROR_FILE_NOT_FOUND / ERROR_PATH_NOT_FOUND (the throwing overload: LaunchError,
// not_found). A folder counts as found: CreateProcess then refuses it (not startable).
[[nodiscard]] std::string resolve_program(std::string_view program, std::error_code& ec,
                                          ApiFailure* failure = nullptr);
[[nodiscard]] std::string resolve_program(std::string_view program);

// How launch_process creates the process, beyond what the request says.
struct LaunchOptions {
    // CREATE_SUSPENDED: the caller inspects the child (its real token) and then calls
    // Child::resume(), or terminates it before it has run any code.
    bool suspended = false;
    // false: bInheritHandles = FALSE, which CreateProcessAsUserW requires for a token of another
    // session. Std streams of kind `file` are then refused (ERROR_INVALID_PARAMETER); `null`
    // streams give the child no std handles at all (DETACHED_PROCESS: no console to write to).
    bool inherit_handles = true;
};

// Launches `request` (program, args, environment, working directory, stdio, creation flags,
// desktop, run_as, contain_tree). check / on_blocking / timeout are not looked at here. A contained
// child is created suspended, put in its job, then resumed (unless options.suspended), so not even
// its first instruction runs outside the job; a job that cannot be had leaves it uncontained, with
// the reason in containment_note(), rather than failing the launch. On failure returns an
// invalid Child, sets ec and, when given, *failure.
//
// Handles: when std streams are redirected the child inherits exactly those (at most three, by
// PROC_THREAD_ATTRIBUTE_HANDLE_LIST), never another inheritable handle of this process (an
// inherited station handle would decide the child's window station). RunAsLogon
// (CreateProcessWithLogonW) takes a plain STARTUPINFO: no attribute list, no extended flag.
[[nodiscard]] Child launch_process(const LaunchRequest& request, std::error_code& ec,
                                   LaunchFailure* failure = nullptr) noexcept;
[[nodiscard]] Child launch_process(const LaunchRequest& request, const LaunchOptions& options,
                                   std::error_code& ec, LaunchFailure* failure = nullptr) noexcept;
// Throwing overload: LaunchError.
[[nodiscard]] Child launch_process(const LaunchRequest& request);

}  // namespace safelaunch::win32
