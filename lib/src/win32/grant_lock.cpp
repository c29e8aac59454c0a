#include "safelaunch/win32/grant_lock.hpp"

#include "safelaunch/grant_share.hpp"
#include "win32/api_failure.hpp"

#include <sddl.h>

#include <fmt/format.h>

namespace safelaunch::win32 {

using detail::fail;
using detail::narrow;
using detail::widen;

std::wstring grant_lock_object_name(ObjectKind kind, const std::string& object_name) {
    // Kernel object names are case-sensitive, station and desktop names are not: one spelling.
    auto wide = widen(object_name);
    if (!wide.empty()) {
        std::wstring upper(wide.size(), L'\0');
        const int n = ::LCMapStringEx(LOCALE_NAME_INVARIANT, LCMAP_UPPERCASE, wide.c_str(),
                                      static_cast<int>(wide.size()), upper.data(), static_cast<int>(upper.size()),
                                      nullptr, nullptr, 0);
        if (n > 0) wide = upper.substr(0, static_cast<std::size_t>(n));
    }
    return L"Local\\" + widen(grant_lock_name(kind, narrow(wide)));
}

GrantLock& GrantLock::operator=(GrantLock&& other) noexcept {
    if (this != &other) {
        release();
        mutex_ = std::move(other.mutex_);
        abandoned_ = other.abandoned_;
    }
    return *this;
}

GrantLock::~GrantLock() { release(); }

void GrantLock::release() noexcept {
    if (mutex_) ::ReleaseMutex(mutex_.get());
    mutex_.reset();
}

GrantLock lock_grant_object(ObjectKind kind, const std::string& object_name, std::chrono::milliseconds timeout,
                            std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto name = grant_lock_object_name(kind, object_name);
    const auto where = fmt::format("grant lock {} for {}", narrow(name), object_name);
    // SYNCHRONIZE to wait, MUTEX_MODIFY_STATE to release: that is all any launcher asks for, and
    // all the DACL gives Authenticated Users; SYSTEM and Administrators get all access.
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(L"D:(A;;0x00100001;;;AU)(A;;GA;;;SY)(A;;GA;;;BA)",
                                                                SDDL_REVISION_1, &sd, nullptr)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "ConvertStringSecurityDescriptorToSecurityDescriptorW", where, e);
        return {};
    }
    const unique_hlocal sd_owner(sd);
    SECURITY_ATTRIBUTES sa{sizeof sa, sd, FALSE};
    GrantLock lock;
    lock.mutex_.reset(::CreateMutexExW(&sa, name.c_str(), 0, SYNCHRONIZE | MUTEX_MODIFY_STATE));
    if (!lock.mutex_) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "CreateMutexExW", where, e);
        return {};
    }
    const auto ms = static_cast<DWORD>(std::min<std::chrono::milliseconds::rep>(timeout.count(), INFINITE - 1));
    switch (::WaitForSingleObject(lock.mutex_.get(), ms)) {
        case WAIT_OBJECT_0: return lock;
        case WAIT_ABANDONED:
            lock.abandoned_ = true;  // ours now; see the header
            return lock;
        case WAIT_TIMEOUT:
            lock.mutex_.reset();  // not ours: must not be released
            fail(ec, failure, "WaitForSingleObject", fmt::format("{}: still held after {} ms", where, ms), WAIT_TIMEOUT);
            return {};
        default: {
            const DWORD e = ::GetLastError();
            lock.mutex_.reset();
            fail(ec, failure, "WaitForSingleObject", where, e);
            return {};
        }
    }
}

}  // namespace safelaunch::win32
