// The per-object lock that serialises grant, revert and repair on one window station or desktop
// across processes (C4): a named mutex "Local\\safelaunch-grant-<station>[-<desktop>]"
// (safelaunch/grant_share.hpp names it). "Local\\" because station and desktop names are
// per session, as that namespace is.
//
// The mutex gets an explicit DACL (any authenticated user may wait on and release it), so that an
// elevated and an unelevated launcher in one session can share it. A lock that another process
// holds for longer than the timeout fails with WAIT_TIMEOUT rather than hang a launch. A lock
// whose holder died (WAIT_ABANDONED) is taken over: every decision under it re-reads the DACL and
// the journal, so nothing depends on what the dead holder had in mind.
#pragma once

#include "safelaunch/access_rights.hpp"
#include "safelaunch/error.hpp"
#include "safelaunch/win32/handles.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <system_error>

namespace safelaunch::win32 {

inline constexpr std::chrono::milliseconds kGrantLockTimeout{30'000};

// "Local\\safelaunch-grant-..." for the object named "Station" or "Station\\Desk" (any case).
[[nodiscard]] std::wstring grant_lock_object_name(ObjectKind kind, const std::string& object_name);

class GrantLock {
public:
    GrantLock() noexcept = default;
    GrantLock(GrantLock&& other) noexcept = default;
    GrantLock& operator=(GrantLock&& other) noexcept;
    GrantLock(const GrantLock&) = delete;
    GrantLock& operator=(const GrantLock&) = delete;
    ~GrantLock();  // ReleaseMutex

    [[nodiscard]] bool held() const noexcept { return static_cast<bool>(mutex_); }
    // The previous holder ended without releasing it (it may have died between two edits).
    [[nodiscard]] bool was_abandoned() const noexcept { return abandoned_; }

    friend GrantLock lock_grant_object(ObjectKind, const std::string&, std::chrono::milliseconds, std::error_code&,
                                       ApiFailure*);

private:
    void release() noexcept;
    unique_handle mutex_;
    bool abandoned_ = false;
};

// Waits for the object's lock. Failures: CreateMutexExW's (e.g. ERROR_ACCESS_DENIED when another
// user created the mutex with a DACL that shuts us out), WAIT_TIMEOUT, WaitForSingleObject's.
[[nodiscard]] GrantLock lock_grant_object(ObjectKind kind, const std::string& object_name,
                                          std::chrono::milliseconds timeout, std::error_code& ec,
                                          ApiFailure* failure = nullptr);

}  // namespace safelaunch::win32
