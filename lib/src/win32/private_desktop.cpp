#include "safelaunch/win32/private_desktop.hpp"

#include "safelaunch/win32/random_name.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "win32/api_failure.hpp"

#include <fmt/format.h>

#include <sddl.h>

namespace safelaunch::win32 {
namespace {

constexpr std::size_t kNameBytes = 16;  // 128 bits

// The first error-severity finding, turned into the failure that names the check.
bool verified(const PrivateDesktopFacts& facts, std::error_code& ec, ApiFailure* failure) {
    for (const auto& f : private_desktop_findings(facts)) {
        if (f.severity != Severity::error) continue;
        ec = make_win32_error(f.id == "desktop.private.heap_mismatch"          ? ERROR_ALREADY_EXISTS
                              : f.id == "desktop.private.station_denies_child" ? ERROR_ACCESS_DENIED
                                                                               : ERROR_INVALID_SECURITY_DESCR);
        if (failure) *failure = ApiFailure{"verify " + f.id, fmt::format("{}: {}", f.message, f.evidence), ec};
        return false;
    }
    return true;
}

// The DACL of one object as it is now. An object with no security descriptor at all did not get
// the one given at creation (Wine ignores lpsa; Windows applies it): that object is ours (just
// created), so the DACL is set with SetSecurityInfo and read again, and the facts say so. A
// descriptor that is there but differs is left as it is, for the comparison to catch.
std::optional<std::string> read_back_dacl(HANDLE object, const std::string& set, const char* what,
                                          PrivateDesktopFacts& facts, std::error_code& ec, ApiFailure& failure) {
    auto text = get_sddl(object, ec, &failure);
    if (ec) return std::nullopt;
    if (!text.sd_present) {
        set_dacl_from_sddl(object, set, ec, &failure);
        if (ec) return std::nullopt;
        facts.dacl_set_after_creation.push_back(what);
        text = get_sddl(object, ec, &failure);
        if (ec) return std::nullopt;
    }
    return text.sddl;
}

// The DACLs as they are now: facts.*_dacl_read, or the reason in dacl_read_error. The logon
// session's station is not ours: read as it is (empty: no security descriptor at all, Wine),
// never set.
void read_back_dacls(HWINSTA station, HDESK desktop, PrivateDesktopFacts& facts) {
    std::error_code ec;
    ApiFailure failure;
    if (facts.station_source == StationSource::random_name) {
        facts.station_dacl_read = read_back_dacl(station, facts.station_dacl_set, "station", facts, ec, failure);
    } else {
        const auto text = get_sddl(station, ec, &failure);
        if (!ec) facts.station_dacl_read = text.sd_present ? text.sddl : std::string();
    }
    if (!ec) facts.desktop_dacl_read = read_back_dacl(desktop, facts.desktop_dacl_set, "desktop", facts, ec, failure);
    if (ec) facts.dacl_read_error = failure.describe();
}

// Both DACLs for the facts; false (ec, failure) for a SID that does not parse.
bool plan_dacls(PrivateDesktopFacts& facts, std::error_code& ec, ApiFailure* failure) {
    try {
        facts.station_dacl_set = private_station_sddl(facts.launching_user_sid, facts.child_sid);
        facts.desktop_dacl_set = private_desktop_sddl(facts.launching_user_sid, facts.child_sid);
        return true;
    } catch (const Error& e) {
        ec = e.code();
        if (failure) *failure = e.failure();
        return false;
    }
}

// The desktop on `station`, its heap read back, both DACLs read back and verified. On failure the
// handles are closed (the desktop first).
void finish_private_desktop(const PrivateDesktopSpec& spec, unique_hwinsta& station, unique_hdesk& desktop,
                            PrivateDesktopFacts& facts, std::error_code& ec, ApiFailure* failure) {
    auto created = create_desktop(station.get(), facts.desktop, spec.heap_kb, facts.desktop_dacl_set, ec, failure);
    if (ec) {
        station.reset();
        return;
    }
    desktop = std::move(created.desktop);
    facts.created = true;
    facts.heap_bounded = created.heap_bounded;
    facts.heap_note = created.heap_note;
    std::error_code hec;
    ApiFailure heap_failure;
    const auto kb = desktop_heap_kb(desktop.get(), hec, &heap_failure);
    if (hec)
        facts.heap_read_error = heap_failure.describe();  // Wine: ERROR_INVALID_PARAMETER; not a failure
    else
        facts.heap_kb_read = kb;
    read_back_dacls(station.get(), desktop.get(), facts);
    if (!verified(facts, ec, failure)) {
        desktop.reset();
        station.reset();
    }
}

// CreateWindowStationW(NULL): the logon session's station, made or (when it exists) opened.
// No CWF_CREATE_ONLY: the station is meant to be shared. `sddl` applies only when it is made now.
unique_hwinsta logon_session_station(const std::string& sddl, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto* u = user32(ec, failure);
    if (!u) return {};
    PSECURITY_DESCRIPTOR psd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(detail::widen(sddl).c_str(), SDDL_REVISION_1, &psd,
                                                                nullptr)) {
        detail::fail(ec, failure, "ConvertStringSecurityDescriptorToSecurityDescriptorW", "SDDL " + sddl,
                     ::GetLastError());
        return {};
    }
    const unique_hlocal sd(psd);
    SECURITY_ATTRIBUTES sa{sizeof(SECURITY_ATTRIBUTES), psd, FALSE};
    // Only what is used: a desktop made on it, its name and DACL read. The station may exist with
    // a DACL that is not ours (the system's, another process's), which need not grant more, and
    // an existing station is opened with the access asked for: DELETE, WRITE_DAC and WRITE_OWNER
    // (in STANDARD_RIGHTS_REQUIRED) would turn a usable station into ERROR_ACCESS_DENIED.
    constexpr ACCESS_MASK kAccess = WINSTA_CREATEDESKTOP | WINSTA_READATTRIBUTES | WINSTA_ENUMDESKTOPS | READ_CONTROL;
    unique_hwinsta station(u->CreateWindowStationW(nullptr, 0, kAccess, &sa));
    if (!station) detail::fail(ec, failure, "CreateWindowStationW", "window station (NULL: the logon session's)",
                               ::GetLastError());
    return station;
}

}  // namespace

void PrivateDesktop::close() noexcept {
    desktop_.reset();
    station_.reset();
}

bool launcher_is_administrator(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    BYTE sid[SECURITY_MAX_SID_SIZE];
    DWORD size = sizeof(sid);
    if (!::CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, sid, &size)) {
        detail::fail(ec, failure, "CreateWellKnownSid", "BUILTIN\\Administrators", ::GetLastError());
        return false;
    }
    BOOL member = FALSE;
    if (!::CheckTokenMembership(nullptr, sid, &member)) {
        detail::fail(ec, failure, "CheckTokenMembership", "BUILTIN\\Administrators", ::GetLastError());
        return false;
    }
    return member != FALSE;
}

PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                      std::string_view launching_user_sid, std::error_code& ec, ApiFailure* failure) {
    return create_private_desktop(spec, child_sid, launching_user_sid, PrivateDesktopOptions{}, ec, failure);
}

StationChoice choose_station(const PrivateDesktopOptions& options) {
    StationChoice choice;
    std::error_code ec;
    ApiFailure failure;
    const bool admin = launcher_is_administrator(ec, &failure);
    if (ec) choice.admin_check_error = failure.describe();
    else choice.launcher_is_admin = admin;
    choice.source = options.force_logon_session_station ? StationSource::logon_session
                                                        : choose_station_source(choice.launcher_is_admin);
    return choice;
}

PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                      std::string_view launching_user_sid, const PrivateDesktopOptions& options,
                                      std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto choice = choose_station(options);
    const auto hex = random_hex(kNameBytes, ec, failure);
    if (ec) return {};
    if (choice.source == StationSource::random_name) {
        auto out = create_private_desktop_named(spec, private_station_name(hex), child_sid, launching_user_sid, ec,
                                                failure);
        out.facts_.launcher_is_admin = choice.launcher_is_admin;
        return out;
    }
    PrivateDesktop out;
    auto& facts = out.facts_;
    facts.station_source = StationSource::logon_session;
    facts.launcher_is_admin = choice.launcher_is_admin;
    facts.admin_check_error = choice.admin_check_error;
    facts.desktop = private_station_name(hex);  // the desktop carries the randomness here
    facts.pool = spec.pool;
    facts.heap_kb_asked = spec.heap_kb;
    facts.launching_user_sid = std::string(launching_user_sid);
    facts.child_sid = std::string(child_sid);
    if (!plan_dacls(facts, ec, failure)) return out;
    out.station_ = logon_session_station(facts.station_dacl_set, ec, failure);
    if (ec) return out;
    facts.station = object_name(out.station_.get(), ec, failure);  // the name the system gave it
    if (ec) {
        out.close();
        return out;
    }
    finish_private_desktop(spec, out.station_, out.desktop_, facts, ec, failure);
    return out;
}

PrivateDesktop create_private_desktop_named(const PrivateDesktopSpec& spec, std::string_view station,
                                            std::string_view child_sid, std::string_view launching_user_sid,
                                            std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    PrivateDesktop out;
    auto& facts = out.facts_;
    facts.desktop = std::string(kPrivateDesktopName);
    facts.pool = spec.pool;
    facts.heap_kb_asked = spec.heap_kb;
    facts.launching_user_sid = std::string(launching_user_sid);
    facts.child_sid = std::string(child_sid);
    if (!plan_dacls(facts, ec, failure)) return out;
    facts.station = std::string(station);
    // CWF_CREATE_ONLY: a station of this name that exists already is a failure, never reused.
    ApiFailure station_failure;
    out.station_ = create_window_station(facts.station, facts.station_dacl_set, ec, &station_failure);
    if (ec) {
        // Only administrators may name a station: ERROR_ACCESS_DENIED is a collision only for one.
        std::error_code admin_ec;
        const bool admin = launcher_is_administrator(admin_ec);
        facts.launcher_is_admin = admin_ec ? std::nullopt : std::optional<bool>(admin);
        station_failure.object = named_station_refusal(facts.station, facts.launcher_is_admin,
                                                       static_cast<std::uint32_t>(ec.value()));
        if (failure) *failure = station_failure;
        return out;
    }
    finish_private_desktop(spec, out.station_, out.desktop_, facts, ec, failure);
    return out;
}

PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                      std::string_view launching_user_sid) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) {
        return create_private_desktop(spec, child_sid, launching_user_sid, ec, f);
    });
}

std::string private_desktop_sid_of(HANDLE token, std::error_code& ec, ApiFailure* failure) {
    const auto facts = gather_token_facts(token, ec, failure);
    if (ec) return {};
    return facts.logon_sid ? *facts.logon_sid : facts.user_sid;
}

std::string own_user_sid(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    unique_handle token;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, token.put())) {
        detail::fail(ec, failure, "OpenProcessToken", "own process", ::GetLastError());
        return {};
    }
    const auto facts = gather_token_facts(token.get(), ec, failure);
    return ec ? std::string() : facts.user_sid;
}

bool can_bound_desktop_heap() {
    std::error_code ec;
    const auto* u = user32(ec);
    return u && u->CreateDesktopExW != nullptr;
}

}  // namespace safelaunch::win32
