#include "interrupt.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <vector>

namespace safelaunch::repro {
namespace {

std::atomic<bool> g_interrupted{false};
// The handler runs on a thread of its own: the list and the duplicates in it are guarded together.
std::mutex g_children_mutex;
std::vector<HANDLE> g_children;
HANDLE g_job = nullptr;
HANDLE g_done = nullptr;  // manual-reset event: cleanup finished

// Windows kills the process ~5 s after a CTRL_CLOSE_EVENT handler returns (or after 5 s anyway):
// wait a little less for the cleanup.
constexpr DWORD kCloseWaitMs = 4500;

void terminate_children() noexcept {
    std::lock_guard lock(g_children_mutex);
    for (const HANDLE child : g_children) ::TerminateProcess(child, ERROR_CANCELLED);
}

BOOL WINAPI on_console_event(DWORD event) {
    g_interrupted = true;
    terminate_children();
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

TrackedChild::TrackedChild(HANDLE process) noexcept {
    if (!process) return;
    // A child that already exited cannot join the job; nested jobs fail before Windows 8. Either
    // way its owner still ends it on scope exit, and the handler ends it on Ctrl+C.
    if (g_job) ::AssignProcessToJobObject(g_job, process);
    if (!::DuplicateHandle(::GetCurrentProcess(), process, ::GetCurrentProcess(), &duplicate_, PROCESS_TERMINATE,
                           FALSE, 0))
        duplicate_ = nullptr;
    if (duplicate_) {
        std::lock_guard lock(g_children_mutex);
        g_children.push_back(duplicate_);
    }
    // Ctrl+C before we were listed: the handler could not see this child.
    if (g_interrupted) ::TerminateProcess(process, ERROR_CANCELLED);
}

TrackedChild::~TrackedChild() {
    if (!duplicate_) return;
    std::lock_guard lock(g_children_mutex);
    g_children.erase(std::remove(g_children.begin(), g_children.end(), duplicate_), g_children.end());
    ::CloseHandle(duplicate_);
}

}  // namespace safelaunch::repro
