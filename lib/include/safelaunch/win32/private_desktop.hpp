// A private window station and desktop for one launch (issue 8, section 1): created with a
// CSPRNG name and CWF_CREATE_ONLY, the heap bounded with CreateDesktopExW, the DACLs of
// safelaunch/private_desktop.hpp set at creation, then verified (UOI_HEAPSIZE and both DACLs read
// back). A collision or a read-back mismatch fails; there is never a fallback to a shared desktop.
//
// Windows keeps a station and desktop while any handle is open: the child's own connection keeps
// them alive while it runs; closing ours (the desktop first, then the station) lets the system
// destroy both once the child has gone.
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/finding.hpp"
#include "safelaunch/private_desktop.hpp"
#include "safelaunch/win32/handles.hpp"

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch::win32 {

// How create_private_desktop chooses the station (StationSource in safelaunch/private_desktop.hpp).
struct PrivateDesktopOptions {
    // The logon session's station even for an administrator: the path a standard user takes,
    // for tests (Wine lets anyone name a station and runs as an administrator).
    bool force_logon_session_station = false;
};

class PrivateDesktop {
public:
    PrivateDesktop() = default;
    PrivateDesktop(PrivateDesktop&&) noexcept = default;
    PrivateDesktop& operator=(PrivateDesktop&&) noexcept = default;

    // Both objects are open (created and verified).
    [[nodiscard]] bool valid() const noexcept { return station_ && desktop_; }
    [[nodiscard]] HWINSTA station() const noexcept { return station_.get(); }
    [[nodiscard]] HDESK desktop() const noexcept { return desktop_.get(); }
    // "safelaunch-<32 hex>\Desktop": the child's lpDesktop.
    [[nodiscard]] std::string lp_desktop() const { return facts_.lp_desktop(); }
    // Also kept when creation or verification failed (what was asked, set and read back).
    [[nodiscard]] const PrivateDesktopFacts& facts() const noexcept { return facts_; }
    [[nodiscard]] std::vector<Finding> findings() const { return private_desktop_findings(facts_); }

    // Closes the desktop, then the station.
    void close() noexcept;

private:
    friend PrivateDesktop create_private_desktop(const PrivateDesktopSpec&, std::string_view, std::string_view,
                                                 const PrivateDesktopOptions&, std::error_code&, ApiFailure*);
    friend PrivateDesktop create_private_desktop_named(const PrivateDesktopSpec&, std::string_view,
                                                       std::string_view, std::string_view, std::error_code&,
                                                       ApiFailure*);
    // Declared before desktop_: destroyed after it (a station outlives its desktops' handles).
    unique_hwinsta station_;
    unique_hdesk desktop_;
    PrivateDesktopFacts facts_;
};

// Creates and verifies a private station and desktop for a child whose SID (its logon SID, else
// its user SID) is `child_sid`, launched by `launching_user_sid` (both "S-1-..."). On failure
// the result is not valid(), its facts say how far it got, `ec` is set and `*failure` names the
// call or check: CreateWindowStationW (its object says what a refusal means, named_station_refusal:
// a name collision for an administrator, never for anyone else), CreateDesktopExW /
// CreateDesktopW, GetSecurityInfo, or "verify desktop.private.heap_mismatch" /
// "verify desktop.private.dacl_mismatch" / "verify desktop.private.station_denies_child". A missing
// CreateDesktopExW (Wine) is not a failure: facts().heap_bounded is false
// (desktop.private.heap_unbounded), as is an unreadable UOI_HEAPSIZE (heap_read_error).
[[nodiscard]] PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                                    std::string_view launching_user_sid, std::error_code& ec,
                                                    ApiFailure* failure = nullptr);
[[nodiscard]] PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                                    std::string_view launching_user_sid);

// The same with the choice of station given. An administrator (launcher_is_administrator) gets
// a station named safelaunch-<32 hex> with "Desktop" on it; anyone else (or when forced) the
// logon session's station (CreateWindowStationW(NULL): the system names it and returns it when it
// exists) with a desktop named safelaunch-<32 hex> on it; its station is not ours, so its DACL is
// not compared but evaluated for the child ("verify desktop.private.station_denies_child",
// ERROR_ACCESS_DENIED). facts().station_source says which. The overloads above use the defaults.
[[nodiscard]] PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                                    std::string_view launching_user_sid,
                                                    const PrivateDesktopOptions& options, std::error_code& ec,
                                                    ApiFailure* failure = nullptr);

// The station create_private_desktop uses: launcher_is_administrator, then choose_station_source
// (or the logon session's when forced), with the membership as read and why it could not be.
struct StationChoice {
    StationSource source = StationSource::logon_session;
    std::optional<bool> launcher_is_admin;
    std::optional<std::string> admin_check_error;
};
[[nodiscard]] StationChoice choose_station(const PrivateDesktopOptions& options);

// Whether BUILTIN\Administrators is enabled in this thread's effective token
// (CheckTokenMembership(NULL, ...): the impersonation token, else a duplicate of the primary
// token). A filtered (UAC, not elevated) administrator's token holds it deny-only: false.
[[nodiscard]] bool launcher_is_administrator(std::error_code& ec, ApiFailure* failure = nullptr);

// The same with the station's name given instead of drawn from the CSPRNG: for tests (a name
// that exists already) and for callers that name their own (a pool). Unpredictable names are
// what keeps others from creating the station first; CWF_CREATE_ONLY is what detects it.
[[nodiscard]] PrivateDesktop create_private_desktop_named(const PrivateDesktopSpec& spec, std::string_view station,
                                                          std::string_view child_sid,
                                                          std::string_view launching_user_sid, std::error_code& ec,
                                                          ApiFailure* failure = nullptr);

// The SID a private desktop's DACL names for a token: its logon SID, else its user SID. `token`
// needs TOKEN_QUERY.
[[nodiscard]] std::string private_desktop_sid_of(HANDLE token, std::error_code& ec, ApiFailure* failure = nullptr);
// This process's user SID (TokenUser of its own token): the launching user.
[[nodiscard]] std::string own_user_sid(std::error_code& ec, ApiFailure* failure = nullptr);
// Whether user32 here has CreateDesktopExW (a private desktop's heap can be bounded). Loads user32.
[[nodiscard]] bool can_bound_desktop_heap();

}  // namespace safelaunch::win32
