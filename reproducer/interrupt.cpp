#include "interrupt.hpp"

#include <atomic>

namespace safelaunch::repro {
namespace {

std::atomic<bool> g_interrupted{false};
std::atomic<HANDLE> g_child{nullptr};
HANDLE g_job = nullptr;
HANDLE g_done = nullptr;  // manual-reset event: cleanup finished

// Windows kills the process ~5 s after a CTRL_CLOSE_EVENT handler returns (or after 5 s anyway):
// wait a little less for the cleanup.
constexpr DWORD kCloseWaitMs = 4500;

BOOL WINAPI on_console_event(DWORD event) {
    g_interrupted = true;
    if (const HANDLE child = g_child.load()) ::TerminateProcess(child, ERROR_CANCELLED);
    if (g_job) ::TerminateJobObject(g_job, ERROR_CANCELLED);
    if (event == CTRL_CLOSE_EVENT || event == CTRL_LOGOFF_EVENT || event == CTRL_SHUTDOWN_EVENT) {
        if (g_done) ::WaitForSingleObject(g_done, kCloseWaitMs);
    }
    return TRUE;  // handled: the main thread cleans up and exits with its own code
}

}  // namespace

InterruptGuard::InterruptGuard() {
    g_done = ::CreateEventW(nullptr, TRUE, FALSE, nullptr);
    g_job = ::CreateJobObjectW(nullptr, nullptr);
    if (g_job) {
        JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
        limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        ::SetInformationJobObject(g_job, JobObjectExtendedLimitInformation, &limits, sizeof limits);
    }
    ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

InterruptGuard::~InterruptGuard() {
    ::SetConsoleCtrlHandler(on_console_event, FALSE);
    cleanup_done();
    // The job stays open until exit on purpose: closing it kills what is still in it, which is
    // exactly what exit does too.
}

void InterruptGuard::cleanup_done() noexcept {
    if (g_done) ::SetEvent(g_done);
}

bool interrupted() noexcept { return g_interrupted.load(); }

void track_child(HANDLE process) noexcept {
    // A child that already exited cannot join the job; nested jobs fail before Windows 8. Either
    // way the Child owner still ends it on scope exit, and the handler below ends it on Ctrl+C.
    if (process && g_job) ::AssignProcessToJobObject(g_job, process);
    g_child = process;
    if (process && g_interrupted) ::TerminateProcess(process, ERROR_CANCELLED);
}

}  // namespace safelaunch::repro
