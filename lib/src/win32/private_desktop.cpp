#include "safelaunch/win32/private_desktop.hpp"

#include "safelaunch/win32/random_name.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "win32/api_failure.hpp"

#include <fmt/format.h>

namespace safelaunch::win32 {
namespace {

constexpr std::size_t kNameBytes = 16;  // 128 bits

// The first error-severity finding, turned into the failure that names the check.
bool verified(const PrivateDesktopFacts& facts, std::error_code& ec, ApiFailure* failure) {
    for (const auto& f : private_desktop_findings(facts)) {
        if (f.severity != Severity::error) continue;
        ec = make_win32_error(f.id == "desktop.private.heap_mismatch" ? ERROR_ALREADY_EXISTS
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

// The DACLs as they are now: facts.*_dacl_read, or the reason in dacl_read_error.
void read_back_dacls(HWINSTA station, HDESK desktop, PrivateDesktopFacts& facts) {
    std::error_code ec;
    ApiFailure failure;
    facts.station_dacl_read = read_back_dacl(station, facts.station_dacl_set, "station", facts, ec, failure);
    if (!ec) facts.desktop_dacl_read = read_back_dacl(desktop, facts.desktop_dacl_set, "desktop", facts, ec, failure);
    if (ec) facts.dacl_read_error = failure.describe();
}

}  // namespace

void PrivateDesktop::close() noexcept {
    desktop_.reset();
    station_.reset();
}

PrivateDesktop create_private_desktop(const PrivateDesktopSpec& spec, std::string_view child_sid,
                                      std::string_view launching_user_sid, std::error_code& ec, ApiFailure* failure) {
    const auto hex = random_hex(kNameBytes, ec, failure);
    if (ec) return {};
    return create_private_desktop_named(spec, private_station_name(hex), child_sid, launching_user_sid, ec, failure);
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
    try {
        facts.station_dacl_set = private_station_sddl(launching_user_sid, child_sid);
        facts.desktop_dacl_set = private_desktop_sddl(launching_user_sid, child_sid);
    } catch (const Error& e) {
        ec = e.code();
        if (failure) *failure = e.failure();
        return out;
    }
    facts.station = std::string(station);
    // CWF_CREATE_ONLY: a station of this name that exists already is a failure, never reused.
    out.station_ = create_window_station(facts.station, facts.station_dacl_set, ec, failure);
    if (ec) return out;
    auto created = create_desktop(out.station_.get(), facts.desktop, spec.heap_kb, facts.desktop_dacl_set, ec, failure);
    if (ec) {
        out.close();
        return out;
    }
    out.desktop_ = std::move(created.desktop);
    facts.created = true;
    facts.heap_bounded = created.heap_bounded;
    facts.heap_note = created.heap_note;
    std::error_code hec;
    ApiFailure heap_failure;
    const auto kb = desktop_heap_kb(out.desktop_.get(), hec, &heap_failure);
    if (hec)
        facts.heap_read_error = heap_failure.describe();  // Wine: ERROR_INVALID_PARAMETER; not a failure
    else
        facts.heap_kb_read = kb;
    read_back_dacls(out.station_.get(), out.desktop_.get(), facts);
    if (!verified(facts, ec, failure)) out.close();
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
