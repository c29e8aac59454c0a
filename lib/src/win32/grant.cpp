#include "safelaunch/win32/grant.hpp"

#include "safelaunch/grant_share.hpp"
#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/grant_lock.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "win32/api_failure.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace safelaunch::win32 {

using detail::fail;
using detail::widen;

namespace {

// SIDs that stand for many users or processes: a desktop/station ACE for one of them opens the
// object to everyone in that group for as long as it exists.
constexpr std::array<std::pair<std::string_view, std::string_view>, 21> kBroadSids{{
    {"S-1-1-0", "Everyone"},
    {"S-1-2-0", "LOCAL"},
    {"S-1-2-1", "CONSOLE LOGON"},
    {"S-1-3-0", "CREATOR OWNER"},
    {"S-1-5-1", "DIALUP"},
    {"S-1-5-2", "NETWORK"},
    {"S-1-5-3", "BATCH"},
    {"S-1-5-4", "INTERACTIVE"},
    {"S-1-5-6", "SERVICE"},
    {"S-1-5-7", "ANONYMOUS LOGON"},
    {"S-1-5-11", "Authenticated Users"},
    {"S-1-5-13", "TERMINAL SERVER USER"},
    {"S-1-5-14", "REMOTE INTERACTIVE LOGON"},
    {"S-1-5-15", "This Organization"},
    {"S-1-5-113", "Local account"},
    {"S-1-5-114", "Local account and member of Administrators group"},
    {"S-1-5-32-544", "BUILTIN\\Administrators"},
    {"S-1-5-32-545", "BUILTIN\\Users"},
    {"S-1-5-32-546", "BUILTIN\\Guests"},
    {"S-1-5-32-555", "BUILTIN\\Remote Desktop Users"},
    {"S-1-15-2-1", "ALL APPLICATION PACKAGES"},
}};

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// S-1-5-5-X-Y, X and Y decimal.
bool is_logon_sid(std::string_view sid) {
    constexpr std::string_view kPrefix = "S-1-5-5-";
    if (sid.substr(0, kPrefix.size()) != kPrefix) return false;
    const auto rest = sid.substr(kPrefix.size());
    const auto dash = rest.find('-');
    return dash != std::string_view::npos && all_digits(rest.substr(0, dash)) && all_digits(rest.substr(dash + 1));
}

// Does `name` name `object` in full, as a repair must open it later? The station part of a
// desktop name cannot be checked from the desktop handle (no API gives a desktop's station).
bool names_object_in_full(std::string_view name, HANDLE object, ObjectKind kind) {
    const auto parts = split_grant_object_name(name);
    const bool is_desktop = kind == ObjectKind::desktop;
    if (parts.station.empty() || (is_desktop && (parts.desktop.empty() || parts.desktop.find('\\') != std::string::npos)) ||
        (!is_desktop && !parts.desktop.empty()))
        return false;
    std::error_code ec;
    const auto actual = detail::widen(object_name(object, ec));
    const auto given = detail::widen(is_desktop ? parts.desktop : parts.station);
    return !ec && ::CompareStringOrdinal(actual.c_str(), static_cast<int>(actual.size()), given.c_str(),
                                         static_cast<int>(given.size()), TRUE) == CSTR_EQUAL;
}

struct AllowedAce {  // ACCESS_ALLOWED_ACE without the SidStart placeholder
    ACE_HEADER header;
    ACCESS_MASK mask;
};

// A copy of `dacl` with an ACCESS_ALLOWED ACE (sid, mask) in canonical order: explicit deny ACEs,
// then explicit allow (ours goes first there), then inherited.
std::vector<DWORD> dacl_with_allow_ace(ACL* dacl, PSID sid, DWORD mask, const std::string& where, std::error_code& ec,
                                       ApiFailure* failure) {
    ACL_SIZE_INFORMATION size_info{};
    if (!::GetAclInformation(dacl, &size_info, sizeof(size_info), AclSizeInformation)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "GetAclInformation", where, e);
        return {};
    }
    const DWORD acl_revision = dacl->AclRevision;
    const DWORD new_size = size_info.AclBytesInUse + static_cast<DWORD>(sizeof(AllowedAce)) + ::GetLengthSid(sid);
    std::vector<DWORD> acl_buffer(new_size / sizeof(DWORD) + 1);  // ACLs are DWORD-aligned
    auto* acl = reinterpret_cast<PACL>(acl_buffer.data());
    if (!::InitializeAcl(acl, static_cast<DWORD>(acl_buffer.size() * sizeof(DWORD)), acl_revision)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "InitializeAcl", where, e);
        return {};
    }
    bool added = false;
    const auto add_ours = [&]() -> bool {
        added = true;
        if (::AddAccessAllowedAce(acl, acl_revision, mask, sid)) return true;
        const DWORD e = ::GetLastError();
        fail(ec, failure, "AddAccessAllowedAce", where, e);
        return false;
    };
    for (DWORD i = 0; i < size_info.AceCount; ++i) {
        LPVOID ace = nullptr;
        if (!::GetAce(dacl, i, &ace)) {
            const DWORD e = ::GetLastError();
            fail(ec, failure, "GetAce", where, e);
            return {};
        }
        const auto* header = static_cast<const ACE_HEADER*>(ace);
        const bool explicit_deny = header->AceType == ACCESS_DENIED_ACE_TYPE && !(header->AceFlags & INHERITED_ACE);
        if (!added && !explicit_deny && !add_ours()) return {};
        if (!::AddAce(acl, acl_revision, MAXDWORD, ace, header->AceSize)) {
            const DWORD e = ::GetLastError();
            fail(ec, failure, "AddAce", where, e);
            return {};
        }
    }
    if (!added && !add_ours()) return {};
    return acl_buffer;
}

// Do `sid`'s own ACEs in `dacl` already grant every right of `mask`? Walked in order as the
// AccessCheck DACL walk does, for that one SID: a right denied before it is allowed stays denied.
// Inherit-only ACEs do not apply to the object. An ACE for the SID that already grants the rights
// (the user's own, an administrator's) makes a safelaunch ACE a duplicate: none is added.
bool sid_aces_grant(ACL* dacl, PSID sid, DWORD mask, ObjectKind kind) {
    ACL_SIZE_INFORMATION info{};
    if (!::GetAclInformation(dacl, &info, sizeof(info), AclSizeInformation)) return false;
    GENERIC_MAPPING mapping = generic_mapping(kind);
    DWORD granted = 0, denied = 0;
    for (DWORD i = 0; i < info.AceCount; ++i) {
        LPVOID raw = nullptr;
        if (!::GetAce(dacl, i, &raw)) return false;
        const auto* header = static_cast<const ACE_HEADER*>(raw);
        if (header->AceFlags & INHERIT_ONLY_ACE) continue;
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE && header->AceType != ACCESS_DENIED_ACE_TYPE) continue;
        const auto* ace = static_cast<const ACCESS_ALLOWED_ACE*>(raw);  // same layout as ACCESS_DENIED_ACE
        if (!::EqualSid(const_cast<DWORD*>(&ace->SidStart), sid)) continue;
        DWORD rights = ace->Mask;
        ::MapGenericMask(&rights, &mapping);
        if (header->AceType == ACCESS_DENIED_ACE_TYPE)
            denied |= rights & ~granted;
        else
            granted |= rights & ~denied;
    }
    return (granted & mask) == mask;
}

}  // namespace

std::optional<std::string> grant_sid_refusal(std::string_view sid, bool allow_non_logon_sid) {
    for (const auto& [broad, name] : kBroadSids)
        if (sid == broad) return std::string(sid) + " (" + std::string(name) + ") is a broad group: never granted";
    if (!is_logon_sid(sid) && !allow_non_logon_sid)
        return std::string(sid) + " is not a logon SID (S-1-5-5-X-Y): pass allow_non_logon_sid to grant it";
    return std::nullopt;
}

ScopedGrant::ScopedGrant(ScopedGrant&& other) noexcept
    : desktop_(std::move(other.desktop_)),
      station_(std::move(other.station_)),
      active_(std::exchange(other.active_, false)),
      added_ace_(other.added_ace_),
      kind_(other.kind_),
      object_name_(std::move(other.object_name_)),
      sid_(std::move(other.sid_)),
      mask_(other.mask_),
      prior_sddl_(std::move(other.prior_sddl_)),
      journal_path_(std::move(other.journal_path_)),
      journal_dir_(std::move(other.journal_dir_)) {}

ScopedGrant& ScopedGrant::operator=(ScopedGrant&& other) noexcept {
    if (this != &other) {
        std::error_code ignored;
        revert(ignored);
        desktop_ = std::move(other.desktop_);
        station_ = std::move(other.station_);
        active_ = std::exchange(other.active_, false);
        added_ace_ = other.added_ace_;
        kind_ = other.kind_;
        object_name_ = std::move(other.object_name_);
        sid_ = std::move(other.sid_);
        mask_ = other.mask_;
        prior_sddl_ = std::move(other.prior_sddl_);
        journal_path_ = std::move(other.journal_path_);
        journal_dir_ = std::move(other.journal_dir_);
    }
    return *this;
}

ScopedGrant::~ScopedGrant() {
    std::error_code ignored;
    revert(ignored);
}

HANDLE ScopedGrant::handle() const noexcept {
    return desktop_ ? static_cast<HANDLE>(desktop_.get()) : static_cast<HANDLE>(station_.get());
}

void ScopedGrant::revert(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (!active_) return;
    const auto where = "revert grant of " + sid_ + " on " + object_name_;
    PSID raw_sid = nullptr;
    if (!::ConvertStringSidToSidW(widen(sid_).c_str(), &raw_sid)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "ConvertStringSidToSidW", where, e);
        return;
    }
    const unique_hlocal sid_owner(raw_sid);
    GrantLock lock;
    bool remove = true;  // an unjournaled grant owns its own ACE
    if (journaled()) {
        lock = lock_grant_object(kind_, object_name_, kGrantLockTimeout, ec, failure);
        if (ec) return;  // still active: a later revert may succeed
        const auto matching = count_matching_aces(handle(), raw_sid, mask_, ec, failure);
        if (ec) {
            if (failure) failure->object = where;
            return;
        }
        GrantJournalEntry group;
        group.object_kind = kind_;
        group.object_name = object_name_;
        group.sid = sid_;
        group.mask = mask_;
        const auto others = count_grant_shares(journal_dir_, group, {journal_path_}, matching);
        remove = decide_share_release(others) == ShareRelease::remove_ace;
    }
    if (remove) {
        (void)remove_one_matching_ace(handle(), raw_sid, mask_, ec, failure);
        if (ec) {
            if (failure) failure->object = where;
            return;  // still active: a later revert may succeed
        }
    }
    active_ = false;
    desktop_.reset();
    station_.reset();
    if (!journal_path_.empty()) {
        remove_grant_journal_entry(journal_path_, ec, failure);
        journal_path_.clear();
    }
}

void ScopedGrant::revert() {
    detail::or_throw([&](std::error_code& ec, ApiFailure* f) { revert(ec, f); });
}

namespace detail {

ScopedGrant grant_access_impl(HANDLE object, ObjectKind kind, const GrantRequest& request, std::error_code& ec,
                              ApiFailure* failure) {
    ec.clear();
    const std::string where = request.object_name.empty() ? "window object" : request.object_name;
    if (request.mask == 0) {
        fail(ec, failure, "grant_access", where + ": empty access mask", ERROR_INVALID_PARAMETER);
        return {};
    }

    // Canonical SID first, so an SDDL alias ("WD", "BU") cannot slip past the refusal rules.
    PSID raw_sid = nullptr;
    const auto wide_sid = widen(request.sid);
    if (!::ConvertStringSidToSidW(wide_sid.c_str(), &raw_sid)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "ConvertStringSidToSidW", request.sid, e);
        return {};
    }
    const unique_hlocal sid_owner(raw_sid);
    const std::string sid = sid_to_string(raw_sid);
    if (const auto refusal = grant_sid_refusal(sid, request.allow_non_logon_sid)) {
        fail(ec, failure, "grant_access", where + ": " + *refusal, ERROR_INVALID_SID);
        return {};
    }

    ScopedGrant grant;
    grant.kind_ = kind;
    grant.object_name_ = request.object_name;
    grant.sid_ = sid;
    // Our own duplicate: the revert must not depend on the caller's handle still being open.
    HANDLE dup = nullptr;
    if (!::DuplicateHandle(::GetCurrentProcess(), object, ::GetCurrentProcess(), &dup, 0, FALSE,
                           DUPLICATE_SAME_ACCESS)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "DuplicateHandle", where, e);
        return {};
    }
    if (kind == ObjectKind::desktop) grant.desktop_.reset(static_cast<HDESK>(dup));
    else grant.station_.reset(static_cast<HWINSTA>(dup));

    // Generic rights would be stored unmapped in the ACE; map them as the object would.
    const GENERIC_MAPPING mapping = generic_mapping(kind);
    DWORD mask = request.mask;
    ::MapGenericMask(&mask, const_cast<GENERIC_MAPPING*>(&mapping));
    grant.mask_ = mask;

    // Journaled grants are counted shares, decided and made under the object's lock.
    const bool journaled = request.journal && names_object_in_full(request.object_name, dup, kind);
    GrantLock lock;
    if (journaled) {
        grant.journal_dir_ = grant_journal_dir(ec, failure);
        if (ec) {
            if (failure) failure->object = where + ": cannot journal the grant (" + failure->object + ")";
            return {};
        }
        lock = lock_grant_object(kind, request.object_name, kGrantLockTimeout, ec, failure);
        if (ec) return {};
    }

    // The DACL as it is now, under the lock: the one our ACE goes into.
    PSECURITY_DESCRIPTOR prior_sd = nullptr;
    PACL prior_dacl = nullptr;
    if (const DWORD e = ::GetSecurityInfo(dup, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                          &prior_dacl, nullptr, &prior_sd);
        e != ERROR_SUCCESS) {
        fail(ec, failure, "GetSecurityInfo", where, e);
        return {};
    }
    const unique_hlocal prior_sd_owner(prior_sd);
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    BOOL present = FALSE, defaulted = FALSE;
    ::GetSecurityDescriptorControl(prior_sd, &control, &revision);
    ::GetSecurityDescriptorDacl(prior_sd, &present, &prior_dacl, &defaulted);
    if (!present || !prior_dacl) {
        fail(ec, failure, "grant_access",
             where + ": no DACL or a NULL DACL (open to all): adding an ACE would restrict it", ERROR_INVALID_ACL);
        return {};
    }
    const bool prior_protected = (control & SE_DACL_PROTECTED) != 0;
    if (auto text = get_sddl(dup, ec, nullptr); !ec) grant.prior_sddl_ = std::move(text.sddl);
    ec.clear();  // the prior SDDL is for the journal only

    // Never a second ACE where one for this SID already grants the rights (with or without a
    // token to check: without one, access used to be taken as missing and a duplicate was added).
    bool access_missing = !sid_aces_grant(prior_dacl, raw_sid, mask, kind);
    if (access_missing && request.access_token) {
        const auto check = access_check(request.access_token, dup, mask, kind, ec, failure);
        if (ec) return {};
        access_missing = !check.all_granted;
    }
    ShareTake take = access_missing ? ShareTake::add_ace : ShareTake::none;
    if (journaled) {
        GrantJournalEntry group;
        group.object_kind = kind;
        group.object_name = request.object_name;
        group.sid = sid;
        group.mask = mask;
        const auto matching = count_matching_aces(dup, raw_sid, mask, ec, failure);
        if (ec) return {};
        take = decide_share_take(count_grant_shares(grant.journal_dir_, group, {}, matching), access_missing);
    }
    if (take == ShareTake::none) return {};  // not ours to hold: no share, no ACE, no error

    std::vector<DWORD> acl;
    if (take == ShareTake::add_ace) {
        acl = dacl_with_allow_ace(prior_dacl, raw_sid, mask, where, ec, failure);
        if (ec) return {};
    }
    // The journal entry goes to disk before the ACE goes into the DACL: a crash between the two
    // leaves an entry without an ACE, which a repair simply deletes.
    if (journaled) {
        const auto entry = new_grant_journal_entry(kind, request.object_name, sid, mask,
                                                   grant.prior_sddl_.empty() ? std::nullopt
                                                                             : std::optional(grant.prior_sddl_));
        grant.journal_path_ = write_grant_journal_entry(grant.journal_dir_, entry, ec, failure);
        if (ec) {
            if (failure) failure->object = where + ": cannot journal the grant (" + failure->object + ")";
            return {};
        }
    }
    if (take == ShareTake::add_ace) {
        set_dacl(dup, reinterpret_cast<const ACL*>(acl.data()), prior_protected, ec, failure);
        if (ec) {
            if (failure) failure->object = where;
            if (grant.journaled()) {
                std::error_code ignored;
                remove_grant_journal_entry(grant.journal_path_, ignored);
                grant.journal_path_.clear();
            }
            return {};
        }
        grant.added_ace_ = true;
    }
    grant.active_ = true;
    return grant;
}

}  // namespace detail

ScopedGrant grant_access(HDESK desktop, const GrantRequest& request, std::error_code& ec, ApiFailure* failure) {
    return detail::grant_access_impl(desktop, ObjectKind::desktop, request, ec, failure);
}
ScopedGrant grant_access(HDESK desktop, const GrantRequest& request) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return grant_access(desktop, request, ec, f); });
}
ScopedGrant grant_access(HWINSTA station, const GrantRequest& request, std::error_code& ec, ApiFailure* failure) {
    return detail::grant_access_impl(station, ObjectKind::window_station, request, ec, failure);
}
ScopedGrant grant_access(HWINSTA station, const GrantRequest& request) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return grant_access(station, request, ec, f); });
}

}  // namespace safelaunch::win32
