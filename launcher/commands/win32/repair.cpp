// safelaunch repair: remove the grants of launchers that died before taking them back, and the
// pool journal's entries for pooled stations and desktops their killed launchers left (issue 8
// part 2): an entry whose object has gone is dropped; a live one is reported (no API destroys it).
// Exit status: 0 nothing left to repair (or all repaired), 1 some grant could not be repaired
// (listed; also a corrupt entry, one whose owner cannot be told, or one whose file another user
// wrote; a pooled object that outlived its launcher), 2 bad usage or the journal folder could not
// be read.
#include "cli.hpp"
#include "exit_codes.hpp"

#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/pool_journal.hpp"

#include <fmt/format.h>

#include <iostream>
#include <memory>

namespace safelaunch::cli {
namespace {

struct RepairOptions {
    std::optional<std::string> dir;
    bool json = false;
};

nlohmann::json entry_json(const win32::GrantJournalFile& f) {
    const auto& e = f.entry;
    return {{"path", f.path},        {"owner_pid", e.owner_pid}, {"object_kind", grant_object_kind_name(e.object_kind)},
            {"object", e.object_name}, {"sid", e.sid},             {"mask", fmt::format("0x{:x}", e.mask)},
            {"created_utc", e.created_utc}};
}

std::string entry_text(const win32::GrantJournalFile& f) {
    const auto& e = f.entry;
    return fmt::format("{} on {} {}: mask 0x{:x} (launcher pid {}, {})", e.sid, grant_object_kind_name(e.object_kind),
                       e.object_name, e.mask, e.owner_pid, e.created_utc);
}

nlohmann::json pool_json(const win32::PoolRepairReport& report) {
    auto entries = nlohmann::json::array(), corrupt = nlohmann::json::array();
    for (const auto& i : report.items) {
        const auto& e = i.file.entry;
        entries.push_back({{"path", i.file.path},
                           {"owner_pid", e.owner_pid},
                           {"owner_session_id", e.owner_session_id},
                           {"object_kind", grant_object_kind_name(e.object_kind)},
                           {"object", e.object_name},
                           {"pool", e.pool},
                           {"key_sid", e.key_sid},
                           {"heap_kb", e.heap_kb},
                           {"created_utc", e.created_utc},
                           {"decision", to_string(i.step.decision)},
                           {"dropped", i.step.drop_entry && !i.remove_failure},
                           {"needs_attention", i.step.needs_attention},
                           {"report", i.step.report},
                           {"error", i.remove_failure ? nlohmann::json(i.remove_failure->describe()) : nullptr}});
    }
    for (const auto& c : report.corrupt) corrupt.push_back({{"path", c.path}, {"error", c.error}});
    return {{"journal", report.dir}, {"entries", entries}, {"corrupt", corrupt}};
}

void print_pool_text(const win32::PoolRepairReport& report) {
    for (const auto& i : report.items) {
        if (i.remove_failure)
            std::cout << fmt::format("pool: NOT removed ({}): {}\n", i.remove_failure->describe(), i.step.report);
        else
            std::cout << "pool: " << i.step.report << '\n';
    }
    for (const auto& c : report.corrupt)
        std::cout << fmt::format("pool: corrupt journal entry (left in place): {}: {}\n", c.path, c.error);
}

int run_repair(const RepairOptions& o) {
    std::error_code ec;
    ApiFailure failure;
    const auto dir = o.dir ? *o.dir : win32::grant_journal_dir(ec, &failure);
    if (ec) throw UsageError{fmt::format("repair: no journal folder: {}", failure.describe())};
    const auto report = win32::repair_stale_grants(dir, ec, &failure);
    if (ec) throw UsageError{fmt::format("repair: cannot read the journal: {}", failure.describe())};
    // The pool journal: the "pool" folder inside the grant journal's (not created here when absent).
    const auto pool_dir = fmt::format("{}\\{}", dir, kPoolJournalFolder);
    const auto pool_report = win32::repair_pool_journal(pool_dir, ec, &failure);
    if (ec) throw UsageError{fmt::format("repair: cannot read the pool journal: {}", failure.describe())};
    const int status = report.all_repaired() && pool_report.all_repaired() ? kOk : kFindings;

    if (o.json) {
        auto repaired = nlohmann::json::array(), left = nlohmann::json::array(), failed = nlohmann::json::array(),
             corrupt = nlohmann::json::array();
        for (const auto& r : report.repaired) {
            auto j = entry_json(r.file);
            j["how"] = win32::to_string(r.how);
            repaired.push_back(std::move(j));
        }
        for (const auto& l : report.left) {
            auto j = entry_json(l.file);
            j["decision"] = to_string(l.decision);
            j["detail"] = l.detail;
            left.push_back(std::move(j));
        }
        for (const auto& f : report.failed) {
            auto j = entry_json(f.file);
            j["error"] = f.failure.describe();
            failed.push_back(std::move(j));
        }
        for (const auto& c : report.corrupt) corrupt.push_back({{"path", c.path}, {"error", c.error}});
        auto untrusted = nlohmann::json::array();
        for (const auto& u : report.untrusted) {
            auto j = entry_json(u.file);
            j["file_owner"] = u.file.owner_sid ? nlohmann::json(*u.file.owner_sid) : nlohmann::json(nullptr);
            j["trust"] = to_string(u.file.trust);
            untrusted.push_back(std::move(j));
        }
        print_json({{"journal", report.dir},
                    {"repaired", repaired},
                    {"left", left},
                    {"failed", failed},
                    {"corrupt", corrupt},
                    {"untrusted", untrusted},
                    {"pool", pool_json(pool_report)},
                    {"status", status}});
        return status;
    }
    for (const auto& r : report.repaired)
        std::cout << fmt::format("repaired ({}): {}\n", win32::to_string(r.how), entry_text(r.file));
    for (const auto& l : report.left) {
        if (l.decision == GrantEntryDecision::owned)
            std::cout << fmt::format("in use (launcher still runs): {}\n", entry_text(l.file));
        else
            std::cout << fmt::format("NOT repaired ({}{}{}): {}\n", to_string(l.decision), l.detail.empty() ? "" : ": ",
                                     l.detail, entry_text(l.file));
    }
    for (const auto& f : report.failed)
        std::cout << fmt::format("NOT repaired: {}: {}\n", entry_text(f.file), f.failure.describe());
    for (const auto& c : report.corrupt)
        std::cout << fmt::format("corrupt journal entry (left in place): {}: {}\n", c.path, c.error);
    for (const auto& u : report.untrusted)
        std::cout << fmt::format("NOT acted on ({}: the file is owned by {}, not by you, SYSTEM or Administrators): {}\n",
                                 to_string(u.file.trust), u.file.owner_sid.value_or("an unreadable owner"),
                                 entry_text(u.file));
    print_pool_text(pool_report);
    if (report.repaired.empty() && report.left.empty() && report.failed.empty() && report.corrupt.empty() &&
        report.untrusted.empty() && pool_report.items.empty() && pool_report.corrupt.empty())
        std::cout << fmt::format("nothing to repair ({})\n", report.dir);
    return status;
}

}  // namespace

void add_repair(CLI::App& app, Command& cmd) {
    auto o = std::make_shared<RepairOptions>();
    auto* sub = app.add_subcommand("repair", "Remove grants left behind by launchers that ended before taking them back, and the pool journal's "
                                     "entries of pooled desktops that are gone");
    sub->add_option("--journal", o->dir, "the journal folder (default: SAFELAUNCH_JOURNAL_DIR, else "
                                         "%ProgramData%\\safelaunch\\grants for SYSTEM and elevated administrators, "
                                         "else the per-user %LOCALAPPDATA%\\safelaunch\\grants)");
    sub->add_flag("--json", o->json, "the report as JSON on stdout");
    sub->footer("Exit status: 0 nothing left to repair or all repaired, 1 some grant could not be repaired (listed; "
                "also a pooled station or desktop that outlived its launcher: a process still holds it, which "
                "repair cannot name; it goes when that process ends), "
                "2 bad usage or the journal could not be read.");
    sub->callback([&cmd, o] { cmd.run = [o] { return run_repair(*o); }; });
}

}  // namespace safelaunch::cli
