#include "safelaunch/win32/grant_journal.hpp"

#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "win32/api_failure.hpp"

#include <aclapi.h>
#include <sddl.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <vector>

namespace safelaunch::win32 {
namespace {

using detail::fail;
using detail::narrow;
using detail::widen;

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

// CreateDirectoryW for each missing level of `path`.
bool create_directories(const std::wstring& path, std::error_code& ec, ApiFailure* failure) {
    for (std::size_t pos = 0;;) {
        pos = path.find_first_of(L"\\/", pos + 1);
        const auto part = path.substr(0, pos);
        // "C:" and "\\server\share" prefixes cannot be created; CreateDirectoryW reports them as
        // existing or denied, so only the last level's failure counts.
        if (!part.empty() && part.back() != L':' && !::CreateDirectoryW(part.c_str(), nullptr)) {
            const DWORD e = ::GetLastError();
            if (e != ERROR_ALREADY_EXISTS && pos == std::wstring::npos) {
                fail(ec, failure, "CreateDirectoryW", narrow(part), e);
                return false;
            }
        }
        if (pos == std::wstring::npos) break;
    }
    const DWORD attrs = ::GetFileAttributesW(path.c_str());
    if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        fail(ec, failure, "CreateDirectoryW", narrow(path) + " (not a folder)", ::GetLastError());
        return false;
    }
    return true;
}

// Can this process create files in `dir`? A probe that deletes itself on close.
bool writable(const std::wstring& dir) {
    const auto probe = dir + L"\\.probe-" + std::to_wstring(::GetCurrentProcessId());
    const HANDLE h = ::CreateFileW(probe.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                                   FILE_ATTRIBUTE_TEMPORARY | FILE_FLAG_DELETE_ON_CLOSE, nullptr);
    if (h == INVALID_HANDLE_VALUE) return false;
    ::CloseHandle(h);
    return true;
}

std::string utc_now() {
    SYSTEMTIME t{};
    ::GetSystemTime(&t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute,
                       t.wSecond);
}

std::uint64_t filetime_value(const FILETIME& ft) {
    return (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
}

std::uint64_t own_start_time() {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
    return filetime_value(created);
}

bool ends_with(std::wstring_view s, std::wstring_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Station and desktop names compare case-insensitively (they are kernel object names).
bool same_name(std::string_view a, std::string_view b) {
    const auto wa = widen(a), wb = widen(b);
    return ::CompareStringOrdinal(wa.c_str(), static_cast<int>(wa.size()), wb.c_str(), static_cast<int>(wb.size()),
                                  TRUE) == CSTR_EQUAL;
}

// CreateFileW with its INVALID_HANDLE_VALUE turned into the null "none" of unique_handle.
unique_handle create_file(const std::wstring& path, DWORD access, DWORD share, DWORD disposition) {
    const HANDLE h = ::CreateFileW(path.c_str(), access, share, nullptr, disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
    return unique_handle(h == INVALID_HANDLE_VALUE ? nullptr : h);
}

std::string read_whole_file(const std::wstring& path, DWORD& error) {
    error = ERROR_SUCCESS;
    const auto h = create_file(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, OPEN_EXISTING);
    if (!h) {
        error = ::GetLastError();
        return {};
    }
    std::string text;
    char buffer[4096];
    for (;;) {
        DWORD got = 0;
        if (!::ReadFile(h.get(), buffer, sizeof buffer, &got, nullptr)) {
            error = ::GetLastError();
            return {};
        }
        if (got == 0) break;
        text.append(buffer, got);
        if (text.size() > 1024 * 1024) {  // no entry is this large: do not read a whole disk
            error = ERROR_FILE_TOO_LARGE;
            return {};
        }
    }
    return text;
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

}  // namespace

std::string grant_journal_dir(std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (auto dir = env_var(widen(kGrantJournalDirVariable).c_str()); !dir.empty()) {
        if (!create_directories(dir, ec, failure)) return {};
        return narrow(dir);
    }
    if (auto program_data = env_var(L"ProgramData"); !program_data.empty()) {
        const auto dir = program_data + L"\\safelaunch\\grants";
        std::error_code ignored;
        if (create_directories(dir, ignored, nullptr) && writable(dir)) return narrow(dir);
    }
    const auto local = env_var(L"LOCALAPPDATA");
    if (local.empty()) {
        fail(ec, failure, "GetEnvironmentVariableW", "neither %ProgramData% (writable) nor %LOCALAPPDATA% is set",
             ERROR_ENVVAR_NOT_FOUND);
        return {};
    }
    const auto dir = local + L"\\safelaunch\\grants";
    if (!create_directories(dir, ec, failure)) return {};
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
    static std::atomic<std::uint64_t> sequence{0};
    GrantJournalEntry e;
    e.owner_pid = ::GetCurrentProcessId();
    e.owner_start_time = own_start_time();
    e.owner_session_id = current_session_id();
    e.id = make_grant_journal_id(e.owner_pid, e.owner_start_time, sequence++);
    e.object_kind = kind;
    e.object_name = std::move(object_name);
    e.sid = std::move(sid);
    e.mask = mask;
    e.prior_sddl = std::move(prior_sddl);
    e.created_utc = utc_now();
    return e;
}

std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry, std::error_code& ec,
                                      ApiFailure* failure) {
    ec.clear();
    const auto base = widen(dir) + L"\\" + widen(entry.id);
    const auto temp = base + widen(kGrantJournalTempSuffix);
    const auto final_path = base + widen(kGrantJournalSuffix);
    const auto text = grant_journal_entry_text(entry) + "\n";
    {
        const auto h = create_file(temp, GENERIC_WRITE, 0, CREATE_NEW);
        if (!h) {
            const DWORD e = ::GetLastError();
            fail(ec, failure, "CreateFileW", narrow(temp), e);
            return {};
        }
        DWORD written = 0;
        // FlushFileBuffers: the entry must be on disk before the ACE is, or a power loss leaks it.
        if (!::WriteFile(h.get(), text.data(), static_cast<DWORD>(text.size()), &written, nullptr) ||
            written != text.size() || !::FlushFileBuffers(h.get())) {
            const DWORD e = ::GetLastError();
            fail(ec, failure, "WriteFile", narrow(temp), e);
        }
    }
    if (!ec && !::MoveFileExW(temp.c_str(), final_path.c_str(), MOVEFILE_WRITE_THROUGH)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "MoveFileExW", narrow(temp) + " -> " + narrow(final_path), e);
    }
    if (ec) {
        ::DeleteFileW(temp.c_str());
        return {};
    }
    return narrow(final_path);
}

void remove_grant_journal_entry(const std::string& path, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (::DeleteFileW(widen(path).c_str())) return;
    const DWORD e = ::GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return;
    fail(ec, failure, "DeleteFileW", path, e);
}

std::string write_grant_journal_entry(const std::string& dir, const GrantJournalEntry& entry) {
    return detail::or_throw([&](std::error_code& ec, ApiFailure* f) { return write_grant_journal_entry(dir, entry, ec, f); });
}

void remove_grant_journal_entry(const std::string& path) {
    detail::or_throw([&](std::error_code& ec, ApiFailure* f) { remove_grant_journal_entry(path, ec, f); });
}

GrantJournalListing read_grant_journal(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    GrantJournalListing listing;
    const auto wdir = widen(dir);
    const auto pattern = wdir + L"\\*" + widen(kGrantJournalSuffix);
    WIN32_FIND_DATAW found{};
    const HANDLE find = ::FindFirstFileW(pattern.c_str(), &found);
    if (find == INVALID_HANDLE_VALUE) {
        const DWORD e = ::GetLastError();
        if (e != ERROR_FILE_NOT_FOUND && e != ERROR_PATH_NOT_FOUND && e != ERROR_NO_MORE_FILES)
            fail(ec, failure, "FindFirstFileW", narrow(pattern), e);
        return listing;
    }
    std::vector<std::wstring> names;
    do {
        const std::wstring name = found.cFileName;
        // The pattern also matches through 8.3 short names: check the real suffix.
        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && ends_with(name, widen(kGrantJournalSuffix)))
            names.push_back(name);
    } while (::FindNextFileW(find, &found));
    ::FindClose(find);
    std::sort(names.begin(), names.end());  // oldest launcher first is not promised; stable output is

    for (const auto& name : names) {
        const auto path = wdir + L"\\" + name;
        DWORD e = ERROR_SUCCESS;
        const auto text = read_whole_file(path, e);
        if (e == ERROR_FILE_NOT_FOUND) continue;  // its grant was taken back while we listed
        if (e != ERROR_SUCCESS) {
            listing.corrupt.push_back({narrow(path), fmt::format("cannot be read: {} {}", e, win32_error_name(e))});
            continue;
        }
        std::string error;
        auto entry = parse_grant_journal_entry(text, error);
        const auto stem = narrow(name.substr(0, name.size() - kGrantJournalSuffix.size()));
        if (entry && entry->id != stem) {
            entry.reset();
            error = fmt::format("field 'id': '{}' is not the file's name", stem);
        }
        if (!entry) listing.corrupt.push_back({narrow(path), error});
        else listing.entries.push_back({narrow(path), std::move(*entry)});
    }
    return listing;
}

GrantOwnerFacts gather_grant_owner_facts(std::uint32_t pid) {
    GrantOwnerFacts facts;
    unique_handle process(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION | SYNCHRONIZE, FALSE, pid));
    if (!process) process.reset(::OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid));
    if (!process) {
        const DWORD e = ::GetLastError();
        // ERROR_INVALID_PARAMETER is what OpenProcess says for a pid no process has.
        if (e == ERROR_INVALID_PARAMETER) {
            facts.state = GrantOwnerFacts::State::not_found;
        } else {
            facts.state = GrantOwnerFacts::State::unknown;
            facts.detail = fmt::format("OpenProcess({}) failed: {} {}", pid, e, win32_error_name(e));
        }
        return facts;
    }
    FILETIME created{}, exited{}, kernel{}, user{};
    if (::GetProcessTimes(process.get(), &created, &exited, &kernel, &user))
        facts.start_time = filetime_value(created);
    // A process object outlives its process while handles to it are open: ask whether it ended.
    DWORD code = 0;
    const DWORD wait = ::WaitForSingleObject(process.get(), 0);
    if (wait == WAIT_OBJECT_0) facts.state = GrantOwnerFacts::State::exited;
    else if (wait == WAIT_TIMEOUT) facts.state = GrantOwnerFacts::State::running;
    else if (::GetExitCodeProcess(process.get(), &code))  // opened without SYNCHRONIZE
        facts.state = code == STILL_ACTIVE ? GrantOwnerFacts::State::running : GrantOwnerFacts::State::exited;
    else facts.detail = fmt::format("cannot tell whether pid {} runs", pid);
    return facts;
}

std::string_view to_string(AceRemoval removal) noexcept {
    switch (removal) {
        case AceRemoval::removed: return "ACE removed";
        case AceRemoval::absent: return "ACE already gone";
        case AceRemoval::object_gone: return "object gone";
    }
    return "unknown";
}

AceRemoval remove_granted_ace(ObjectKind kind, const std::string& object_name, const std::string& sid,
                              std::uint32_t mask, const std::function<std::size_t()>& live_holders,
                              std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto where = fmt::format("{} {}", kind == ObjectKind::desktop ? "desktop" : "window station", object_name);
    const auto name = split_grant_object_name(object_name);
    const bool is_desktop = kind == ObjectKind::desktop;
    ApiFailure open_failure;
    auto station = open_window_station(name.station, is_desktop ? WINSTA_ENUMDESKTOPS | WINSTA_READATTRIBUTES
                                                                : READ_CONTROL | WRITE_DAC,
                                       ec, &open_failure);
    unique_hdesk desk;
    if (!ec && is_desktop) desk = open_desktop(station.get(), name.desktop, READ_CONTROL | WRITE_DAC, ec, &open_failure);
    if (ec) {
        if (ec.category() == win32_category() && object_missing(static_cast<DWORD>(ec.value()))) {
            ec.clear();
            return AceRemoval::object_gone;
        }
        if (failure) *failure = std::move(open_failure);
        return AceRemoval::absent;
    }
    const HANDLE object = is_desktop ? static_cast<HANDLE>(desk.get()) : static_cast<HANDLE>(station.get());

    PSID raw_sid = nullptr;
    if (!::ConvertStringSidToSidW(widen(sid).c_str(), &raw_sid)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "ConvertStringSidToSidW", sid, e);
        return AceRemoval::absent;
    }
    const unique_hlocal sid_owner(raw_sid);

    PSECURITY_DESCRIPTOR sd = nullptr;
    PACL dacl = nullptr;
    if (const DWORD e = ::GetSecurityInfo(object, SE_WINDOW_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                                          nullptr, &sd);
        e != ERROR_SUCCESS) {
        fail(ec, failure, "GetSecurityInfo", where, e);
        return AceRemoval::absent;
    }
    const unique_hlocal sd_owner(sd);
    const auto match = find_matching_aces(dacl, raw_sid, mask);
    if (match.count == 0 || match.count <= live_holders()) return AceRemoval::absent;

    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    ::GetSecurityDescriptorControl(sd, &control, &revision);
    ACL_SIZE_INFORMATION info{};
    if (!::GetAclInformation(dacl, &info, sizeof info, AclSizeInformation)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "GetAclInformation", where, e);
        return AceRemoval::absent;
    }
    // Copy the DACL, then delete the one ACE: order and every other ACE stay as they are.
    std::vector<DWORD> buffer(info.AclBytesInUse / sizeof(DWORD) + 1);
    auto* copy = reinterpret_cast<PACL>(buffer.data());
    std::memcpy(copy, dacl, info.AclBytesInUse);
    copy->AclSize = static_cast<WORD>(buffer.size() * sizeof(DWORD));
    if (!::DeleteAce(copy, match.index)) {
        const DWORD e = ::GetLastError();
        fail(ec, failure, "DeleteAce", where, e);
        return AceRemoval::absent;
    }
    set_dacl(object, copy, (control & SE_DACL_PROTECTED) != 0, ec, failure);
    if (ec) {
        if (failure) failure->object = where;
        return AceRemoval::absent;
    }
    return AceRemoval::removed;
}

bool GrantRepairReport::all_repaired() const noexcept {
    return failed.empty() && corrupt.empty() &&
           std::all_of(left.begin(), left.end(), [](const Left& l) { return l.decision == GrantEntryDecision::owned; });
}

GrantRepairReport repair_stale_grants(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    GrantRepairReport report;
    report.dir = dir;
    auto listing = read_grant_journal(dir, ec, failure);
    if (ec) return report;
    report.corrupt = std::move(listing.corrupt);
    const auto session = current_session_id();

    // Entries that still hold their ACE: owned, or undecided (treated as owned: never take a grant
    // from a launcher that may still run).
    const auto holds = [&](const GrantJournalEntry& e) {
        const auto d = decide_grant_entry(e, gather_grant_owner_facts(e.owner_pid), session);
        return d == GrantEntryDecision::owned || d == GrantEntryDecision::undecided;
    };
    for (auto& file : listing.entries) {
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
        // Live holders of the same ACE, counted from a fresh listing after the DACL was read.
        const auto live_holders = [&]() -> std::size_t {
            std::error_code lec;
            const auto now = read_grant_journal(dir, lec, nullptr);
            return static_cast<std::size_t>(std::count_if(now.entries.begin(), now.entries.end(), [&](const GrantJournalFile& f) {
                const auto& o = f.entry;
                return f.path != file.path && o.object_kind == e.object_kind && same_name(o.object_name, e.object_name) &&
                       o.sid == e.sid && o.mask == e.mask && holds(o);
            }));
        };
        ApiFailure f;
        const auto how = remove_granted_ace(e.object_kind, e.object_name, e.sid, e.mask, live_holders, ec, &f);
        if (!ec) remove_grant_journal_entry(file.path, ec, &f);
        if (ec) report.failed.push_back({std::move(file), std::move(f)});
        else report.repaired.push_back({std::move(file), how});
        ec.clear();
    }
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
