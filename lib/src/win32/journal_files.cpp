#include "win32/journal_files.hpp"

#include "safelaunch/grant_journal.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/security.hpp"
#include "win32/api_failure.hpp"

#include <aclapi.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

namespace safelaunch::win32::detail {
namespace {

bool ends_with(std::wstring_view s, std::wstring_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// CreateFileW with its INVALID_HANDLE_VALUE turned into the null "none" of unique_handle.
unique_handle create_file(const std::wstring& path, DWORD access, DWORD share, DWORD disposition) {
    const HANDLE h = ::CreateFileW(path.c_str(), access, share, nullptr, disposition, FILE_ATTRIBUTE_NORMAL, nullptr);
    return unique_handle(h == INVALID_HANDLE_VALUE ? nullptr : h);
}

// The file's owner SID, read from an open handle (READ_CONTROL): the file that was read, not one
// swapped in under its name since.
std::optional<std::string> file_owner(HANDLE file) {
    PSID owner = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    if (::GetSecurityInfo(file, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr, nullptr, nullptr, &sd) !=
        ERROR_SUCCESS)
        return std::nullopt;
    const unique_hlocal sd_owner(sd);
    if (!owner) return std::nullopt;
    auto text = sid_to_string(owner);
    if (text.empty()) return std::nullopt;
    return text;
}

}  // namespace

std::string utc_now_seconds() {
    SYSTEMTIME t{};
    ::GetSystemTime(&t);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.wYear, t.wMonth, t.wDay, t.wHour, t.wMinute,
                       t.wSecond);
}

std::uint64_t filetime_value(const FILETIME& ft) noexcept {
    return (static_cast<std::uint64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
}

std::uint64_t own_start_time() {
    FILETIME created{}, exited{}, kernel{}, user{};
    if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user)) return 0;
    return filetime_value(created);
}

std::string next_journal_id(std::uint32_t pid, std::uint64_t start_time) {
    static std::atomic<std::uint64_t> sequence{0};
    return make_grant_journal_id(pid, start_time, sequence++);
}

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

std::string write_journal_file(const std::string& dir, const std::string& id, const std::string& text,
                               std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    const auto base = widen(dir) + L"\\" + widen(id);
    const auto temp = base + widen(kGrantJournalTempSuffix);
    const auto final_path = base + widen(kGrantJournalSuffix);
    {
        const auto h = create_file(temp, GENERIC_WRITE, 0, CREATE_NEW);
        if (!h) {
            const DWORD e = ::GetLastError();
            fail(ec, failure, "CreateFileW", narrow(temp), e);
            return {};
        }
        DWORD written = 0;
        // FlushFileBuffers: the entry must be on disk before what it records exists, or a power
        // loss leaks it.
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

void remove_journal_file(const std::string& path, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (::DeleteFileW(widen(path).c_str())) return;
    const DWORD e = ::GetLastError();
    if (e == ERROR_FILE_NOT_FOUND) return;
    fail(ec, failure, "DeleteFileW", path, e);
}

std::vector<std::wstring> list_journal_files(const std::wstring& dir, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    std::vector<std::wstring> names;
    const auto suffix = widen(kGrantJournalSuffix);
    const auto pattern = dir + L"\\*" + suffix;
    WIN32_FIND_DATAW found{};
    const HANDLE find = ::FindFirstFileW(pattern.c_str(), &found);
    if (find == INVALID_HANDLE_VALUE) {
        const DWORD e = ::GetLastError();
        if (e != ERROR_FILE_NOT_FOUND && e != ERROR_PATH_NOT_FOUND && e != ERROR_NO_MORE_FILES)
            fail(ec, failure, "FindFirstFileW", narrow(pattern), e);
        return names;
    }
    do {
        const std::wstring name = found.cFileName;
        // The pattern also matches through 8.3 short names: check the real suffix.
        if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) && ends_with(name, suffix)) names.push_back(name);
    } while (::FindNextFileW(find, &found));
    ::FindClose(find);
    std::sort(names.begin(), names.end());  // stable output
    return names;
}

std::string read_journal_file(const std::wstring& path, DWORD& error, std::optional<std::string>* owner) {
    error = ERROR_SUCCESS;
    // GENERIC_READ includes READ_CONTROL, which GetSecurityInfo(OWNER) needs.
    const auto h = create_file(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, OPEN_EXISTING);
    if (!h) {
        error = ::GetLastError();
        return {};
    }
    if (owner) *owner = file_owner(h.get());
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

}  // namespace safelaunch::win32::detail
