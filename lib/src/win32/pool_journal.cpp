#include "safelaunch/win32/pool_journal.hpp"

#include "safelaunch/grant_journal.hpp"
#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/user_object.hpp"
#include "win32/api_failure.hpp"
#include "win32/journal_files.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch::win32 {
namespace {

using detail::narrow;
using detail::widen;

bool object_missing(const std::error_code& ec) {
    return ec.category() == win32_category() &&
           (ec.value() == ERROR_FILE_NOT_FOUND || ec.value() == ERROR_PATH_NOT_FOUND);
}
bool access_denied(const std::error_code& ec) {
    return ec.category() == win32_category() && ec.value() == ERROR_ACCESS_DENIED;
}

}  // namespace

std::string pool_journal_dir(std::error_code& ec, ApiFailure* failure) {
    const auto grants = grant_journal_dir(ec, failure);
    if (ec) return {};
    const auto dir = widen(grants) + L"\\" + widen(kPoolJournalFolder);
    // Inherits the grant journal folder's protected DACL (OICI ACEs).
    if (!detail::create_directories(dir, ec, failure)) return {};
    return narrow(dir);
}

PoolJournalEntry new_pool_journal_entry(ObjectKind kind, std::string object_name, std::string pool,
                                        std::string key_sid, std::uint32_t heap_kb) {
    PoolJournalEntry e;
    e.owner_pid = ::GetCurrentProcessId();
    e.owner_start_time = detail::own_start_time();
    e.owner_session_id = current_session_id();
    e.id = detail::next_journal_id(e.owner_pid, e.owner_start_time);
    e.object_kind = kind;
    e.object_name = std::move(object_name);
    e.pool = std::move(pool);
    e.key_sid = std::move(key_sid);
    e.heap_kb = heap_kb;
    e.created_utc = detail::utc_now_seconds();
    return e;
}

std::string write_pool_journal_entry(const std::string& dir, const PoolJournalEntry& entry, std::error_code& ec,
                                     ApiFailure* failure) {
    return detail::write_journal_file(dir, entry.id, pool_journal_entry_text(entry) + "\n", ec, failure);
}

void remove_pool_journal_entry(const std::string& path, std::error_code& ec, ApiFailure* failure) {
    detail::remove_journal_file(path, ec, failure);
}

PoolJournalListing read_pool_journal(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    return detail::read_journal_listing<PoolJournalListing>(
        dir, [](const std::string& text, std::string& error) { return parse_pool_journal_entry(text, error); }, ec,
        failure);
}

PoolObjectFacts gather_pool_object_facts(const PoolJournalEntry& entry) {
    PoolObjectFacts facts;
    const auto name = split_grant_object_name(entry.object_name);
    std::error_code ec;
    ApiFailure failure;
    // The least access that opens it: only the name's existence is asked.
    auto station = open_window_station(name.station, WINSTA_READATTRIBUTES, ec, &failure);
    if (!ec && entry.object_kind == ObjectKind::desktop)
        (void)open_desktop(station.get(), name.desktop, DESKTOP_READOBJECTS, ec, &failure);
    if (!ec || access_denied(ec)) {
        facts.presence = PoolObjectFacts::Presence::exists;
        facts.detail = ec ? "the name exists (opening it was denied)" : "opened by name";
    } else if (object_missing(ec)) {
        facts.presence = PoolObjectFacts::Presence::gone;
        facts.detail = failure.describe();
    } else {
        facts.presence = PoolObjectFacts::Presence::unknown;
        facts.detail = failure.describe();
    }
    facts.users_complete = false;  // not gathered: no documented API lists a station's processes
    return facts;
}

bool PoolRepairReport::all_repaired() const noexcept {
    return corrupt.empty() && std::none_of(items.begin(), items.end(), [](const Item& i) {
               return i.step.needs_attention || i.remove_failure;
           });
}

PoolRepairReport repair_pool_journal(const std::string& dir, std::error_code& ec, ApiFailure* failure) {
    PoolRepairReport report;
    report.dir = dir;
    auto listing = read_pool_journal(dir, ec, failure);
    if (ec) return report;
    report.corrupt = std::move(listing.corrupt);
    const auto session = current_session_id();
    std::vector<PoolJournalItem> items;
    for (const auto& f : listing.entries) {
        PoolJournalItem item{f.entry, {}};
        item.facts.trust = f.trust;
        if (f.trust == EntryTrust::trusted) item.facts.owner = gather_grant_owner_facts(f.entry.owner_pid);
        if (pool_entry_needs_object_facts(f.entry, f.trust, item.facts.owner, session))
            item.facts.object = gather_pool_object_facts(f.entry);
        items.push_back(std::move(item));
    }
    const auto plan = plan_pool_repair(items, session);
    for (std::size_t i = 0; i < listing.entries.size(); ++i) {
        PoolRepairReport::Item item{std::move(listing.entries[i]), plan.steps[i], std::nullopt};
        if (item.step.drop_entry) {
            std::error_code rec;
            ApiFailure rf;
            remove_pool_journal_entry(item.file.path, rec, &rf);
            if (rec) item.remove_failure = std::move(rf);
        }
        report.items.push_back(std::move(item));
    }
    return report;
}

}  // namespace safelaunch::win32
