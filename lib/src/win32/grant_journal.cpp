#include "safelaunch/win32/grant_journal.hpp"

#include "safelaunch/win32/grant_lock.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "win32/api_failure.hpp"
#include "win32/journal_files.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>
#include <optional>
#include <vector>

namespace safelaunch::win32 {
namespace {

using detail::fail;
using detail::narrow;
using detail::widen;
using detail::create_directories;
using detail::filetime_value;
using detail::own_start_time;

std::wstring env_var(const wchar_t* name) {
    std::wstring value(256, L'\0');
    for (;;) {
        const DWORD n = ::GetEnvironmentVariableW(name, value.data(), static_cast<DWORD>(value.size()));
        if (n == 0) return {};
        if (n < value.size()) {
            value.resize(n);
            return value;
        }
        value.resize(n);
    }
}

// Station and desktop names compare case-insensitively (they are kernel object names).
bool same_name(std::string_view a, std::string_view b) {
    const auto wa = widen(a), wb = widen(b);
    return ::CompareStringOrdinal(wa.c_str(), static_cast<int>(wa.size()), wb.c_str(), static_cast<int>(wb.size()),
                                  TRUE) == CSTR_EQUAL;
}

// The share group: same kind, SID and mask, and a name that names the same object (as the lock
// name does, case-insensitively).
bool in_group(const GrantJournalEntry& a, const GrantJournalEntry& b) {
    return a.object_kind == b.object_kind && a.sid == b.sid && a.mask == b.mask && same_name(a.object_name, b.object_name);
}

struct AceMatch {
    DWORD index = 0;
    std::size_t count = 0;
};

// Explicit ACCESS_ALLOWED ACEs for `sid` with exactly `mask`.
AceMatch find_matching_aces(const ACL* dacl, PSID sid, DWORD mask) {
    AceMatch m;
    ACL_SIZE_INFORMATION info{};
    if (!dacl || !::GetAclInformation(const_cast<ACL*>(dacl), &info, sizeof info, AclSizeInformation)) return m;
    for (DWORD i = 0; i < info.AceCount; ++i) {
        LPVOID raw = nullptr;
        if (!::GetAce(const_cast<ACL*>(dacl), i, &raw)) continue;
        const auto* header = static_cast<const ACE_HEADER*>(raw);
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE || (header->AceFlags & INHERITED_ACE)) continue;
        const auto* ace = static_cast<const ACCESS_ALLOWED_ACE*>(raw);
        if (ace->Mask != mask || !::EqualSid(const_cast<DWORD*>(&ace->SidStart), sid)) continue;
        if (m.count++ == 0) m.index = i;
    }
    return m;
}

bool object_missing(DWORD e) { return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND; }

// M13: SYSTEM and Administrators only; a per-user journal adds the user. Protected: nothing
// inherited from %ProgramData% (where BUILTIN\Users may create files and folders).
constexpr const wchar_t* kAdminJournalSddl = L"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)";

bool protect_journal_dir(const std::wstring& dir, const std::wstring& sddl, std::error_code& ec, ApiFailure* failure) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (!::ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &sd, nullptr)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "ConvertStringSecurityDescriptorToSecurityDescriptorW", narrow(sddl), e);
        return false;
    }
    const unique_hlocal sd_owner(sd);
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    ::GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    std::wstring path = dir;  // SetNamedSecurityInfoW takes a non-const name
    if (const DWORD e = ::SetNamedSecurityInfoW(path.data(), SE_FILE_OBJECT,
                                                DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                                                nullptr, nullptr, dacl, nullptr);
        e != ERROR_SUCCESS) {
        fail(ec, failure, "SetNamedSecurityInfoW", narrow(dir) + ": the journal's DACL", e);
        return false;
    }
    return true;
}

}  // namespace

std::string current_user_sid() {
    HANDLE raw = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &raw)) return {};
    const unique_handle token(raw);
    DWORD size = 0;
    ::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    if (size == 0) return {};
    std::vector<std::byte> buffer(size);
    if (!::GetTokenInformation(token.get(), TokenUser, buffer.data(), size, &size)) return {};
    return sid_to_string(reinterpret_cast<const TOKEN_USER*>(buffer.data())->User.Sid);
}

bool caller_is_administrator() {
    if (current_user_sid() == "S-1-5-18") return true;
    SID_IDENTIFIER_AUTHORITY nt = SECURITY_NT_AUTHORITY;
    PSID admins = nullptr;
    if (!::AllocateAndInitializeSid(&nt, 2, SECURITY_BUILTIN_DOMAIN_RID, DOMAIN_ALIAS_RID_ADMINS, 0, 0, 0, 0, 0, 0,
                                    &admins))
        return false;
    BOOL member = FALSE;
    // Token NULL: the calling thread's effective token; true only when the group is enabled
    // (an unelevated UAC token has it deny-only).
    const BOOL ok = ::CheckTokenMembership(nullptr, admins, &member);
    ::FreeSid(admins);
    return ok && member;
}

// The DACL of a window station or desktop, with the security descriptor that holds it (the DACL
// points into it, so it lives as long as `sd`). On success a null `dacl` is a NULL DACL (all access
// to everyone); on failure ec says why.
struct WindowObjectDacl {
    unique_hlocal sd;
    PACL dacl = nullptr;
};

WindowObjectDacl read_window_object_dacl(HANDLE object, std::error_code& ec, ApiFailure* failure) {
    WindowObjectDacl d;
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (const DWORD e = ::GetSecurityInfo(object, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr,
                                          &d.dacl, nullptr, &sd);
        e != ERROR_SUCCESS) {
        fail(ec, failure, "GetSecurityInfo", "window object", e);
        d.dacl = nullptr;
        return d;
    }
    d.sd.reset(sd);
    return d;
}

std::size_t count_matching_aces(HANDLE object, PSID sid, std::uint32_t mask, std::error_code& ec,
                                ApiFailure* failure) {
    ec.clear();
    const auto d = read_window_object_dacl(object, ec, failure);
    if (ec) return 0;
    return find_matching_aces(d.dacl, sid, mask).count;
}

bool remove_one_matching_ace(HANDLE object, PSID sid, std::uint32_t mask, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto d = read_window_object_dacl(object, ec, failure);
    if (ec) return false;
    const auto match = find_matching_aces(d.dacl, sid, mask);
    if (match.count == 0) return false;
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    ::GetSecurityDescriptorControl(d.sd.get(), &control, &revision);
    ACL_SIZE_INFORMATION info{};
    if (!::GetAclInformation(d.dacl, &info, sizeof info, AclSizeInformation)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "GetAclInformation", "window object", e);
        return false;
    }
    // Copy the DACL, then delete the one ACE: order and every other ACE stay as they are.
    std::vector<DWORD> buffer(info.AclBytesInUse / sizeof(DWORD) + 1);
    auto* copy = reinterpret_cast<PACL>(buffer.data());
    std::memcpy(copy, d.dacl, info.AclBytesInUse);
    copy->AclSize = static_cast<WORD>(buffer.size() * sizeof(DWORD));
    if (!::DeleteAce(copy, match.index)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "DeleteAce", "window object", e);
        return false;
    }
    set_dacl(object, copy, (control & SE_DACL_PROTECTED) != 0, ec, failure);
    return !ec;
}

std::string grant_journal_dir(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (auto dir = env_var(widen(kGrantJournalDirVariable).c_str()); !dir.empty()) {
        if (!create_directories(dir, ec, failure)) return {};
        return narrow(dir);
    }
    if (caller_is_administrator()) {
        const auto program_data = env_var(L"ProgramData");
        if (program_data.empty()) {
            fail(ec, failure, "GetEnvironmentVariableW", "%ProgramData% is not set", ERROR_ENVVAR_NOT_FOUND);
            return {};
        }
        const auto dir = program_data + L"\\safelaunch\\grants";
        // Applied on every use, not only at creation: a folder made by an older version (or
        // pre-created by someone else) may let users in.
        if (!create_directories(dir, ec, failure) || !protect_journal_dir(dir, kAdminJournalSddl, ec, failure))
            return {};
        return narrow(dir);
    }
    const auto local = env_var(L"LOCALAPPDATA");
    if (local.empty()) {
        fail(ec, failure, "GetEnvironmentVariableW", "%LOCALAPPDATA% is not set", ERROR_ENVVAR_NOT_FOUND);
        return {};
    }
    const auto dir = local + L"\\safelaunch\\grants";
    const auto user = current_user_sid();
    if (user.empty()) {
        fail(ec, failure, "GetTokenInformation", "TokenUser of this process", ERROR_INVALID_SID);
        return {};
    }
    if (!create_directories(dir, ec, failure) ||
        !protect_journal_dir(dir, std::wstring(kAdminJournalSddl) + L"(A;OICI;FA;;;" + widen(user) + L")", ec, failure))
        return {};
    return narrow(dir);
}

std::string grant_journal_dir() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return grant_journal_dir(ec, f); });
}

std::uint32_t current_session_id() {
    DWORD session = 0;
    ::ProcessIdToSessionId(::GetCurrentProcessId(), &session);
    return session;
}

GrantJournalEntry new_grant_journal_entry(ObjectKind kind, std::string object_name, std::string sid,
                                          std::uint32_t mask, std::optional<std::string> prior_sddl) {
    GrantJournalEntry e;
    e.owner_pid = ::GetCurrentProcessId();
    e.owner_start_time = own_start_time();
    e.owner_session_id = current_session_id();
    e.id = detail::next_journal_id(e.owner_pid, e.owner_start_time);
    e.object_kind = kind;
    e.object_name = std::move(object_name);
    e.sid = std::move(sid);
    e.mask = mask;
    e.prior_sddl = std::move(prior_sddl);
    e.created_utc = detail::utc_now_seconds();
    return e;
}

std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry, std::error_code& ec,
                                      ApiFailure* failure) {
    return detail::write_journal_file(dir, entry.id, grant_journal_entry_text(entry) + "\n", ec, failure);
}

void remove_grant_journal_entry(const std::string& path, std::error_code& ec, ApiFailure* failure) {
    detail::remove_journal_file(path, ec, failure);
}

std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return write_grant_journal_entry(dir, entry, ec, f); });
}

void remove_grant_journal_entry(const std::string& path) {
    detail::or_throw([&](std::error_code& ec, ApiFailure* f) { remove_grant_journal_entry(path, ec, f); });
}

GrantJournalListing read_grant_journal(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    return detail::read_journal_listing<GrantJournalListing>(
        dir, [](const std::string& text, std::string& error) { return parse_grant_journal_entry(text, error); }, ec,
        failure);
}

GrantOwnerFacts gather_grant_owner_facts(std::uint32_t pid) {
    GrantOwnerFacts facts;
    const auto start_of = [](HANDLE process) -> std::optional<std::uint64_t> {
        FILETIME created{}, exited{}, kernel{}, user{};
        if (!::GetProcessTimes(process, &created, &exited, &kernel, &user)) return std::nullopt;
        return filetime_value(created);
    };
    const unique_handle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid));
    if (!process) {
        const DWORD e = ::GetLastError();
        // ERROR_INVALID_PARAMETER is what OpenProcess says for a pid no process has.
        if (e == ERROR_INVALID_PARAMETER) {
            facts.state = GrantOwnerFacts::State::not_found;
            return facts;
        }
        // m8: without SYNCHRONIZE nothing tells a running process from one that exited with 259
        // (STILL_ACTIVE). The start time alone can still prove the pid names another process.
        facts.state = GrantOwnerFacts::State::unknown;
        facts.detail = fmt::format("OpenProcess({}, SYNCHRONIZE) failed: {} {}", pid, e, win32_error_name(e));
        if (const unique_handle limited(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid)); limited)
            facts.start_time = start_of(limited.get());
        return facts;
    }
    facts.start_time = start_of(process.get());
    // A process object outlives its process while handles to it are open: ask whether it ended.
    switch (::WaitForSingleObject(process.get(), 0)) {
        case WAIT_OBJECT_0: facts.state = GrantOwnerFacts::State::exited; break;
        case WAIT_TIMEOUT: facts.state = GrantOwnerFacts::State::running; break;
        default: {
            const DWORD e = ::GetLastError();
            facts.state = GrantOwnerFacts::State::unknown;
            facts.detail = fmt::format("WaitForSingleObject on pid {} failed: {} {}", pid, e, win32_error_name(e));
        }
    }
    return facts;
}

GrantShareFacts count_grant_shares(const std::string& dir, const GrantJournalEntry& group,
                                   const std::vector<std::string>& exclude, std::size_t matching_aces) {
    GrantShareFacts facts;
    facts.matching_aces = matching_aces;
    std::error_code ec;
    const auto listing = read_grant_journal(dir, ec, nullptr);
    const auto session = current_session_id();
    for (const auto& f : listing.entries) {
        // Another session's "WinSta0\\Default" is another object: its shares are not counted here.
        if (f.trust != EntryTrust::trusted || !in_group(f.entry, group) || f.entry.owner_session_id != session ||
            std::find(exclude.begin(), exclude.end(), f.path) != exclude.end())
            continue;
        const auto decision = decide_grant_entry(f.entry, gather_grant_owner_facts(f.entry.owner_pid), session);
        if (holds_share(decision)) ++facts.live_shares;
        else ++facts.stale_shares;
    }
    return facts;
}

std::string_view to_string(AceRemoval removal) noexcept {
    switch (removal) {
        case AceRemoval::removed: return "ACE removed";
        case AceRemoval::absent: return "ACE already gone";
        case AceRemoval::kept: return "ACE kept for live shares";
        case AceRemoval::object_gone: return "object gone";
    }
    return "unknown";
}

namespace {

// Opens the journaled object by name with READ_CONTROL | WRITE_DAC. nullopt with ec clear: the
// object no longer exists.
struct OpenedObject {
    unique_hwinsta station;
    unique_hdesk desk;
    [[nodiscard]] HANDLE get() const { return desk ? static_cast<HANDLE>(desk.get()) : static_cast<HANDLE>(station.get()); }
};
std::optional<OpenedObject> open_journaled_object(ObjectKind kind, const std::string& object_name, std::error_code& ec,
                                                  ApiFailure* failure) {
    const auto name = split_grant_object_name(object_name);
    const bool is_desktop = kind == ObjectKind::desktop;
    OpenedObject o;
    ApiFailure open_failure;
    o.station = open_window_station(name.station, is_desktop ? WINSTA_ENUMDESKTOPS | WINSTA_READATTRIBUTES
                                                             : READ_CONTROL | WRITE_DAC,
                                    ec, &open_failure);
    if (!ec && is_desktop) o.desk = open_desktop(o.station.get(), name.desktop, READ_CONTROL | WRITE_DAC, ec, &open_failure);
    if (ec) {
        if (ec.category() == win32_category() && object_missing(static_cast<DWORD>(ec.value()))) {
            ec.clear();
            return std::nullopt;
        }
        if (failure) *failure = std::move(open_failure);
        return std::nullopt;
    }
    return o;
}

// One group of stale entries (same object, SID and mask), under the object's lock: the ACE goes
// when no live share of it is left, then every entry of the group goes.
void repair_group(const std::string& dir, std::vector<GrantJournalFile>& group, GrantRepairReport& report) {
    const auto& e = group.front().entry;
    const auto where = fmt::format("{} {}", e.object_kind == ObjectKind::desktop ? "desktop" : "window station",
                                   e.object_name);
    const auto fail_all = [&](const ApiFailure& f) {
        for (auto& file : group) report.failed.push_back({std::move(file), f});
    };
    std::error_code ec;
    ApiFailure f;
    const auto lock = lock_grant_object(e.object_kind, e.object_name, kGrantLockTimeout, ec, &f);
    if (ec) return fail_all(f);
    AceRemoval how = AceRemoval::object_gone;
    if (const auto object = open_journaled_object(e.object_kind, e.object_name, ec, &f); object) {
        PSID raw_sid = nullptr;
        if (!::ConvertStringSidToSidW(widen(e.sid).c_str(), &raw_sid)) {
            fail(ec, &f, "ConvertStringSidToSidW", e.sid, ::GetLastError());
            return fail_all(f);
        }
        const unique_hlocal sid_owner(raw_sid);
        const auto matching = count_matching_aces(object->get(), raw_sid, e.mask, ec, &f);
        if (ec) {
            f.object = where;
            return fail_all(f);
        }
        std::vector<std::string> paths;
        for (const auto& file : group) paths.push_back(file.path);
        const auto others = count_grant_shares(dir, e, paths, matching);
        if (decide_share_release(others) == ShareRelease::remove_ace) {
            how = remove_one_matching_ace(object->get(), raw_sid, e.mask, ec, &f) ? AceRemoval::removed : AceRemoval::absent;
            if (ec) {
                f.object = where;
                return fail_all(f);
            }
        } else {
            how = matching > 0 ? AceRemoval::kept : AceRemoval::absent;
        }
    } else if (ec) {
        return fail_all(f);
    }
    for (std::size_t i = 0; i < group.size(); ++i) {
        ApiFailure rf;
        remove_grant_journal_entry(group[i].path, ec, &rf);
        // One ACE per group: the first entry reports what happened to it, the others had none of their own.
        const auto entry_how = i == 0 || how == AceRemoval::object_gone ? how
                               : how == AceRemoval::kept              ? AceRemoval::kept
                                                                      : AceRemoval::absent;
        if (ec) report.failed.push_back({std::move(group[i]), std::move(rf)});
        else report.repaired.push_back({std::move(group[i]), entry_how});
    }
}

}  // namespace

bool GrantRepairReport::all_repaired() const noexcept {
    return failed.empty() && corrupt.empty() && untrusted.empty() &&
           std::all_of(left.begin(), left.end(), [](const Left& l) { return l.decision == GrantEntryDecision::owned; });
}

GrantRepairReport repair_stale_grants(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    GrantRepairReport report;
    report.dir = dir;
    auto listing = read_grant_journal(dir, ec, failure);
    if (ec) return report;
    report.corrupt = std::move(listing.corrupt);
    const auto session = current_session_id();

    std::vector<std::vector<GrantJournalFile>> groups;
    for (auto& file : listing.entries) {
        if (file.trust != EntryTrust::trusted) {
            report.untrusted.push_back({std::move(file)});
            continue;
        }
        const auto& e = file.entry;
        const auto owner = gather_grant_owner_facts(e.owner_pid);
        const auto decision = decide_grant_entry(e, owner, session);
        if (decision != GrantEntryDecision::repair) {
            std::string detail = owner.detail;
            if (decision == GrantEntryDecision::other_session)
                detail = fmt::format("made in session {}, this is session {}: run repair there", e.owner_session_id,
                                     session);
            report.left.push_back({std::move(file), decision, std::move(detail)});
            continue;
        }
        const auto it = std::find_if(groups.begin(), groups.end(),
                                     [&](const auto& g) { return in_group(g.front().entry, e); });
        if (it == groups.end()) groups.push_back({std::move(file)});
        else it->push_back(std::move(file));
    }
    for (auto& group : groups) repair_group(dir, group, report);
    ec.clear();
    return report;
}

GrantRepairReport repair_stale_grants(std::error_code& ec, ApiFailure* failure) {
    const auto dir = grant_journal_dir(ec, failure);
    if (ec) return {};
    return repair_stale_grants(dir, ec, failure);
}

GrantRepairReport repair_stale_grants() {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return repair_stale_grants(ec, f); });
}

}  // namespace safelaunch::win32
