// Internal: the file handling the grant journal and the pool journal share (one folder of
// "<id>.json" files, each written under "<id>.tmp", flushed and renamed into place; read back
// with the file's owner taken from the handle the text was read through).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/grant_journal.hpp"
#include "safelaunch/grant_share.hpp"
#include "safelaunch/win32/grant_journal.hpp"
#include "win32/api_failure.hpp"

#include <fmt/format.h>
#include <windows.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace safelaunch::win32::detail {

// "2026-11-25T03:00:00Z", now.
[[nodiscard]] std::string utc_now_seconds();
[[nodiscard]] std::uint64_t filetime_value(const FILETIME& ft) noexcept;
// This process's creation time, FILETIME as an integer; 0 when unreadable.
[[nodiscard]] std::uint64_t own_start_time();
// A fresh entry id for this process: "<pid>-<start time, 16 hex>-<sequence>"
// (make_grant_journal_id), the sequence shared by every journal of the process.
[[nodiscard]] std::string next_journal_id(std::uint32_t pid, std::uint64_t start_time);

// CreateDirectoryW for each missing level of `path`.
bool create_directories(const std::wstring& path, std::error_code& ec, ApiFailure* failure);

// Writes `text` to "<dir>\<id>.json" via "<id>.tmp" (CREATE_NEW, flushed, MoveFileExW
// write-through); returns the final path (UTF-8).
[[nodiscard]] std::string write_journal_file(const std::string& dir, const std::string& id, const std::string& text,
                                             std::error_code& ec, ApiFailure* failure);
// Deletes one file; one that is already gone is not an error.
void remove_journal_file(const std::string& path, std::error_code& ec, ApiFailure* failure);

// The names (not paths) of the "*.json" files in `dir`, sorted. A missing folder is empty.
[[nodiscard]] std::vector<std::wstring> list_journal_files(const std::wstring& dir, std::error_code& ec,
                                                           ApiFailure* failure);

// The whole file (at most 1 MB); `error` is the Win32 error (ERROR_SUCCESS when read). With
// `owner`: the file's owner SID, read from the same handle.
[[nodiscard]] std::string read_journal_file(const std::wstring& path, DWORD& error,
                                            std::optional<std::string>* owner = nullptr);

// Every "*.json" of `dir` as a listing (GrantJournalListing, PoolJournalListing): `parse(text,
// error)` gives the entry or nullopt with `error`; an unreadable or invalid file, or one whose id
// is not its file name, goes to `corrupt`; a file removed while listed is skipped. Each entry's
// trust is decided on its file's owner (read through the same handle) against the caller.
template <class Listing, class Parse>
Listing read_journal_listing(const std::string& dir, Parse parse, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    Listing listing;
    const auto wdir = widen(dir);
    const auto names = list_journal_files(wdir, ec, failure);
    if (ec) return listing;
    const auto caller = current_user_sid();
    for (const auto& name : names) {
        const auto path = wdir + L"\\" + name;
        DWORD e = ERROR_SUCCESS;
        std::optional<std::string> owner;
        const auto text = read_journal_file(path, e, &owner);
        if (e == ERROR_FILE_NOT_FOUND) continue;  // taken back while we listed
        if (e != ERROR_SUCCESS) {
            listing.corrupt.push_back({narrow(path), fmt::format("cannot be read: {} {}", e, win32_error_name(e))});
            continue;
        }
        std::string error;
        auto entry = parse(text, error);
        const auto stem = narrow(name.substr(0, name.size() - kGrantJournalSuffix.size()));
        if (entry && entry->id != stem) {
            entry.reset();
            error = fmt::format("field 'id': '{}' is not the file's name", stem);
        }
        if (!entry) listing.corrupt.push_back({narrow(path), error});
        else listing.entries.push_back({narrow(path), std::move(*entry), owner, decide_entry_trust(owner, caller)});
    }
    return listing;
}

}  // namespace safelaunch::win32::detail
