// The grant journal on a real file system and real DACLs: the entry exists exactly while the
// grant does, stale entries are repaired by removing exactly their ACE, live ones are left alone,
// corrupt ones are reported, and a launcher killed mid-run leaks a grant that repair takes back.
#include "safelaunch/win32/grant_journal.hpp"

#include "safelaunch/win32/grant.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "grant_journal_support.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <tlhelp32.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace sl = safelaunch;
namespace w = safelaunch::win32;
namespace t = safelaunch::test;

using namespace safelaunch::test::journal;  // NOLINT(google-build-using-namespace): test helpers

TEST(GrantJournal, EntryExistsExactlyWhileTheGrantDoes) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    {
        auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask});
        ASSERT_TRUE(grant.journaled());
        const auto listing = j.read();
        ASSERT_EQ(listing.entries.size(), 1u);
        const auto& e = listing.entries[0].entry;
        EXPECT_EQ(listing.entries[0].path, grant.journal_path());
        EXPECT_EQ(e.owner_pid, ::GetCurrentProcessId());
        EXPECT_EQ(e.owner_start_time, start_time(::GetCurrentProcess()));
        EXPECT_EQ(e.object_kind, sl::ObjectKind::desktop);
        EXPECT_EQ(e.object_name, d.full_name());
        EXPECT_EQ(e.sid, kLogonSid);
        EXPECT_EQ(e.mask, kMask);
        EXPECT_EQ(e.prior_sddl, std::optional<std::string>(before));
        EXPECT_TRUE(listing.corrupt.empty());
        EXPECT_EQ(j.files().size(), 1u) << "no .tmp left beside the entry";
        grant.revert();
        EXPECT_EQ(d.sddl(), before);
        EXPECT_TRUE(j.files().empty()) << "the entry goes once the revert succeeded";
    }
}

TEST(GrantJournal, GrantIsRefusedWhenTheJournalCannotBeWritten) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    // A folder below a file cannot be created: the journal is unwritable.
    const auto file = j.path + "\\plain-file";
    j.write_raw("plain-file", "x");
    ::SetEnvironmentVariableW(wide(w::kGrantJournalDirVariable).c_str(), wide(file + "\\grants").c_str());
    std::error_code ec;
    sl::ApiFailure failure;
    const auto grant = w::grant_access(d.desk.get(), {d.full_name(), kLogonSid, kMask}, ec, &failure);
    EXPECT_TRUE(ec);
    EXPECT_FALSE(grant.active());
    EXPECT_NE(failure.object.find("cannot journal the grant"), std::string::npos) << failure.describe();
    EXPECT_EQ(d.sddl(), before) << "no ACE without its journal entry";
    ::DeleteFileW(wide(file).c_str());
}

TEST(GrantJournal, PartialObjectNameGivesAnUnjournaledGrant) {
    const JournalDir j;
    const LockedDesktop d;
    for (const auto& name : {d.name, std::string("WinSta0\\other-desktop"), std::string()}) {
        const auto grant = w::grant_access(d.desk.get(), {name, kLogonSid, kMask});
        EXPECT_TRUE(grant.active()) << name;
        EXPECT_FALSE(grant.journaled()) << name << ": a repair could not find the object by this name";
    }
    EXPECT_TRUE(j.files().empty());
}

TEST(GrantJournal, StaleEntryOfADeadOwnerIsRepaired) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    const DeadOwner dead;
    journal_leak(j, d, dead.pid, dead.start);
    add_ace(d, kLogonSid, kMask);
    ASSERT_NE(d.sddl(), before);

    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    EXPECT_FALSE(ec);
    ASSERT_EQ(report.repaired.size(), 1u);
    EXPECT_EQ(report.repaired[0].how, w::AceRemoval::removed);
    EXPECT_TRUE(report.left.empty());
    EXPECT_TRUE(report.failed.empty());
    EXPECT_TRUE(report.all_repaired());
    EXPECT_EQ(d.sddl(), before);
    EXPECT_TRUE(j.files().empty());
}

TEST(GrantJournal, RepairRemovesOnlyTheJournaledAceNotLaterChanges) {
    const JournalDir j;
    const LockedDesktop d;
    const DeadOwner dead;
    journal_leak(j, d, dead.pid, dead.start);
    add_ace(d, kLogonSid, kMask);
    // After the grant, an administrator gave someone else access; a wholesale restore of the
    // journaled prior SDDL would take that away.
    add_ace(d, "S-1-5-21-1-2-3-1001", 0x1);
    const auto expected_after = [&] {
        const LockedDesktop scratch;  // the same DACL built without our ACE, rendered by the system
        add_ace(scratch, "S-1-5-21-1-2-3-1001", 0x1);
        return scratch.sddl();
    }();
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    EXPECT_FALSE(ec);
    ASSERT_EQ(report.repaired.size(), 1u);
    EXPECT_EQ(d.sddl(), expected_after);
}

TEST(GrantJournal, EntryOfARunningOwnerIsLeftAlone) {
    const JournalDir j;
    const LockedDesktop d;
    journal_leak(j, d, ::GetCurrentProcessId(), start_time(::GetCurrentProcess()));
    add_ace(d, kLogonSid, kMask);
    const auto during = d.sddl();
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    EXPECT_TRUE(report.repaired.empty());
    ASSERT_EQ(report.left.size(), 1u);
    EXPECT_EQ(report.left[0].decision, sl::GrantEntryDecision::owned);
    EXPECT_TRUE(report.all_repaired()) << "a grant in use is nothing to repair";
    EXPECT_EQ(d.sddl(), during);
    EXPECT_EQ(j.files().size(), 1u);
}

TEST(GrantJournal, ReusedPidIsNotTheOwner) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    // Our own pid with another start time: the pid now names a different process.
    journal_leak(j, d, ::GetCurrentProcessId(), start_time(::GetCurrentProcess()) - 10'000'000);
    add_ace(d, kLogonSid, kMask);
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    ASSERT_EQ(report.repaired.size(), 1u);
    EXPECT_EQ(d.sddl(), before);
}

TEST(GrantJournal, AceSharedWithALiveGrantSurvivesTheRepairOfTheDeadShare) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    const DeadOwner dead;
    journal_leak(j, d, dead.pid, dead.start);
    add_ace(d, kLogonSid, kMask);  // one safelaunch ACE, two shares: a dead one and ours
    const auto with_one = d.sddl();
    journal_leak(j, d, ::GetCurrentProcessId(), start_time(::GetCurrentProcess()));
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    ASSERT_EQ(report.repaired.size(), 1u);
    EXPECT_EQ(report.repaired[0].how, w::AceRemoval::kept);
    EXPECT_EQ(d.sddl(), with_one) << "a live launcher still holds a share of the ACE";
    ASSERT_EQ(report.left.size(), 1u);
    EXPECT_EQ(report.left[0].decision, sl::GrantEntryDecision::owned);
    EXPECT_EQ(j.read().entries.size(), 1u) << "only the dead share's entry went";
    // Once the live share is gone too, the ACE goes with it (here: its owner is now "dead").
    ::DeleteFileW(wide(report.left[0].file.path).c_str());
    journal_leak(j, d, dead.pid, dead.start);
    journal_leak(j, d, dead.pid, dead.start);
    const auto again = w::repair_stale_grants(j.path, ec);
    ASSERT_EQ(again.repaired.size(), 2u);
    EXPECT_EQ(again.repaired[0].how, w::AceRemoval::removed);
    EXPECT_EQ(again.repaired[1].how, w::AceRemoval::absent) << "one ACE per group, not one per entry";
    EXPECT_EQ(d.sddl(), before);
    EXPECT_TRUE(j.files().empty());
}

TEST(GrantJournal, RepairNeverRemovesAnAdministratorsIdenticalAce) {
    const JournalDir j;
    const LockedDesktop d;
    add_ace(d, kLogonSid, kMask);  // an administrator's ACE, identical to what a grant adds
    const auto admins = d.sddl();
    const DeadOwner dead;
    journal_leak(j, d, dead.pid, dead.start);
    add_ace(d, kLogonSid, kMask);  // the dead launcher's
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    ASSERT_EQ(report.repaired.size(), 1u);
    EXPECT_EQ(report.repaired[0].how, w::AceRemoval::removed);
    EXPECT_EQ(d.sddl(), admins) << "exactly one of the two identical ACEs went";
}

TEST(GrantJournal, EntryForAVanishedDesktopIsDeleted) {
    const JournalDir j;
    const DeadOwner dead;
    {
        const LockedDesktop d;
        journal_leak(j, d, dead.pid, dead.start);
    }  // the last handle closes: the desktop and its ACEs are gone
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    ASSERT_EQ(report.repaired.size(), 1u) << (report.failed.empty() ? "" : report.failed[0].failure.describe());
    EXPECT_EQ(report.repaired[0].how, w::AceRemoval::object_gone);
    EXPECT_TRUE(j.files().empty());
}

TEST(GrantJournal, CorruptEntryIsReportedAndKept) {
    const JournalDir j;
    j.write_raw("truncated.json", R"({"version":1,"id":"trunc)");
    j.write_raw("1-0000000000000001-0.tmp", "{}");  // an unfinished write: not an entry
    std::error_code ec;
    const auto report = w::repair_stale_grants(j.path, ec);
    EXPECT_FALSE(ec);
    ASSERT_EQ(report.corrupt.size(), 1u);
    EXPECT_NE(report.corrupt[0].path.find("truncated.json"), std::string::npos);
    EXPECT_NE(report.corrupt[0].error.find("not JSON"), std::string::npos) << report.corrupt[0].error;
    EXPECT_FALSE(report.all_repaired());
    EXPECT_EQ(j.files().size(), 2u) << "nothing deleted silently";
}

TEST(GrantJournal, MissingJournalFolderIsAnEmptyJournal) {
    std::error_code ec;
    const auto report = w::repair_stale_grants("C:\\no-such-folder-" + unique("x"), ec);
    EXPECT_FALSE(ec);
    EXPECT_TRUE(report.all_repaired());
    EXPECT_TRUE(report.repaired.empty());
}

TEST(GrantJournal, OwnerFactsTellRunningFromGone) {
    const auto self = w::gather_grant_owner_facts(::GetCurrentProcessId());
    EXPECT_EQ(self.state, sl::GrantOwnerFacts::State::running);
    EXPECT_EQ(self.start_time, std::optional<std::uint64_t>(start_time(::GetCurrentProcess())));
    sl::LaunchRequest r;
    r.program = t::child_path("child_exit");
    r.args = {"0"};
    auto child = w::launch_process(r);
    (void)child.wait();
    // We still hold its handle: the process object exists, the process does not.
    EXPECT_EQ(w::gather_grant_owner_facts(child.pid()).state, sl::GrantOwnerFacts::State::exited);
    const auto pid = child.pid();
    child = w::Child();
    // Observed under Wine: the process object can outlive our last handle for a while (it is
    // "exited", not yet "not_found"); both are stale owners.
    const auto state = w::gather_grant_owner_facts(pid).state;
    EXPECT_TRUE(state == sl::GrantOwnerFacts::State::exited || state == sl::GrantOwnerFacts::State::not_found)
        << static_cast<int>(state);
    // Pids are multiples of 4 far below this one: no process has it.
    EXPECT_EQ(w::gather_grant_owner_facts(0xFFFFFFF0u).state, sl::GrantOwnerFacts::State::not_found);
}

// --- End to end: safelaunch.exe killed while its child runs ----------------------------------

namespace {

std::uint32_t run_tool(std::vector<std::string> args) {
    sl::LaunchRequest r;
    r.program = t::tool_path("safelaunch");
    r.args = std::move(args);
    r.stdio.out.kind = sl::StdStream::Kind::null;
    r.stdio.err.kind = sl::StdStream::Kind::null;
    return w::launch_process(r).wait();
}

std::vector<DWORD> children_of(DWORD parent) {
    std::vector<DWORD> pids;
    const w::unique_handle snap(::CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0));
    PROCESSENTRY32W pe{};
    pe.dwSize = sizeof pe;
    for (BOOL ok = ::Process32FirstW(snap.get(), &pe); ok; ok = ::Process32NextW(snap.get(), &pe))
        if (pe.th32ParentProcessID == parent) pids.push_back(pe.th32ProcessID);
    return pids;
}

// Starts `safelaunch run --grant` on a locked desktop, waits for its grant, and kills it.
// Leaves the leaked ACE and its journal entry; returns the child's pids (that survived).
std::vector<DWORD> kill_launcher_mid_run(const LockedDesktop& d, const std::string& before) {
    sl::LaunchRequest r;
    r.program = t::tool_path("safelaunch");
    r.args = {"run", "--grant", "--desktop", d.full_name(), "--", t::child_path("child_sleep"), "30000"};
    r.stdio.out.kind = sl::StdStream::Kind::null;
    r.stdio.err.kind = sl::StdStream::Kind::null;
    auto launcher = w::launch_process(r);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (d.sddl() == before && std::chrono::steady_clock::now() < deadline && !launcher.exit_code())
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    EXPECT_NE(d.sddl(), before) << "the launcher never granted (exit " << launcher.exit_code().value_or(259) << ")";
    // Give it the time to start the child: the scenario is a launcher killed while its child runs.
    for (int i = 0; i < 100 && children_of(launcher.pid()).empty(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    auto kids = children_of(launcher.pid());
    launcher.terminate(1);
    return kids;
}

void end_processes(const std::vector<DWORD>& pids) {
    for (const auto pid : pids)
        if (const w::unique_handle h(::OpenProcess(PROCESS_TERMINATE | SYNCHRONIZE, FALSE, pid)); h) {
            ::TerminateProcess(h.get(), 1);
            ::WaitForSingleObject(h.get(), 5000);
        }
}

}  // namespace

TEST(GrantJournalEndToEnd, KilledLauncherLeaksTheGrantAndTheNextRunRepairsIt) {
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    const auto kids = kill_launcher_mid_run(d, before);
    // Observed under Wine: the child outlives its killed launcher (no job object ties them).
    EXPECT_EQ(kids.size(), 1u) << "the launcher had started its child when it was killed";
    const auto leaked = d.sddl();
    EXPECT_NE(leaked, before) << "TerminateProcess runs no destructor: the grant leaks";
    const auto listing = j.read();
    ASSERT_EQ(listing.entries.size(), 1u) << "safe_launch_and_wait's grant was journaled";
    EXPECT_EQ(listing.entries[0].entry.object_name, d.full_name());
    EXPECT_NE(listing.entries[0].entry.sid.rfind("S-1-5-5-", 0), std::string::npos);

    // What the next run does first (repair_stale_grants on the default journal folder).
    const auto report = w::repair_stale_grants();
    ASSERT_EQ(report.repaired.size(), 1u) << (report.failed.empty() ? "" : report.failed[0].failure.describe());
    EXPECT_EQ(report.repaired[0].how, w::AceRemoval::removed);
    EXPECT_EQ(d.sddl(), before);
    EXPECT_TRUE(j.files().empty());
    end_processes(kids);
}

TEST(GrantJournalEndToEnd, SafelaunchRepairRestoresTheDacl) {
    ASSERT_EQ(run_tool({"repair", "--help"}), 0u);
    const JournalDir j;
    const LockedDesktop d;
    const auto before = d.sddl();
    const auto kids = kill_launcher_mid_run(d, before);
    ASSERT_NE(d.sddl(), before);
    ASSERT_EQ(j.read().entries.size(), 1u);
    EXPECT_EQ(run_tool({"repair"}), 0u);
    EXPECT_EQ(d.sddl(), before);
    EXPECT_TRUE(j.files().empty());
    EXPECT_EQ(run_tool({"repair"}), 0u) << "nothing left: still success";
    j.write_raw("garbage.json", "not json");
    EXPECT_EQ(run_tool({"repair"}), 1u) << "a corrupt entry cannot be repaired";
    EXPECT_EQ(run_tool({"repair", "--bogus"}), 2u);
    end_processes(kids);
}
