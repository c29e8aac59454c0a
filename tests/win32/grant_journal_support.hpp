// Helpers for the grant journal and share tests: a journal folder per test, a locked desktop on
// WinSta0, ACEs added as a leaked grant would have left them, dead and live owners.
#pragma once

#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/launcher.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/user_object.hpp"

#include "test_support.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace safelaunch::test::journal {

namespace sl = safelaunch;
namespace w = safelaunch::win32;
namespace t = safelaunch::test;

inline std::string unique(const std::string& stem) {
    static std::atomic<int> counter{0};
    return t::unique_name("sl-gj-" + stem) + "-" + std::to_string(counter++);
}

inline std::wstring wide(const std::string& s) { return boost::nowide::widen(s); }

// A fresh journal folder for one test, named by SAFELAUNCH_JOURNAL_DIR while it lives (so grants,
// the repair and the safelaunch.exe children all use it).
struct JournalDir {
    std::string path;
    JournalDir() {
        wchar_t temp[MAX_PATH + 1];
        ::GetTempPathW(MAX_PATH + 1, temp);
        path = boost::nowide::narrow(temp) + unique("journal");
        ::CreateDirectoryW(wide(path).c_str(), nullptr);
        ::SetEnvironmentVariableW(wide(w::kGrantJournalDirVariable).c_str(), wide(path).c_str());
    }
    ~JournalDir() {
        ::SetEnvironmentVariableW(wide(w::kGrantJournalDirVariable).c_str(), nullptr);
        for (const auto& f : files()) ::DeleteFileW(wide(path + "\\" + f).c_str());
        ::RemoveDirectoryW(wide(path).c_str());
    }
    JournalDir(const JournalDir&) = delete;
    JournalDir& operator=(const JournalDir&) = delete;

    [[nodiscard]] std::vector<std::string> files() const {
        std::vector<std::string> names;
        WIN32_FIND_DATAW found{};
        const HANDLE find = ::FindFirstFileW(wide(path + "\\*").c_str(), &found);
        if (find == INVALID_HANDLE_VALUE) return names;
        do {
            if (!(found.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) names.push_back(boost::nowide::narrow(found.cFileName));
        } while (::FindNextFileW(find, &found));
        ::FindClose(find);
        return names;
    }
    [[nodiscard]] w::GrantJournalListing read() const { return w::read_grant_journal(path, ec_, nullptr); }
    void write_raw(const std::string& name, const std::string& text) const {
        std::ofstream(std::filesystem::path(wide(path + "\\" + name)), std::ios::binary) << text;
    }

private:
    mutable std::error_code ec_;
};

// A desktop on WinSta0 that only LocalSystem may use (as in safe_launch_test.cpp); we keep it
// alive through our all-access handle and can change its DACL as its owner.
struct LockedDesktop {
    std::string name = unique("locked");
    w::unique_hdesk desk;
    LockedDesktop() {
        const auto station = w::open_window_station("WinSta0", WINSTA_CREATEDESKTOP | WINSTA_ENUMDESKTOPS);
        desk = w::create_desktop(station.get(), name, std::nullopt, std::nullopt).desktop;
        w::set_dacl_from_sddl(desk.get(), kSddl);
    }
    [[nodiscard]] std::string full_name() const { return "WinSta0\\" + name; }
    [[nodiscard]] std::string sddl() const { return w::get_sddl(desk.get()).sddl; }
    static constexpr const char* kSddl = "D:P(A;;0xf01ff;;;SY)";
};

inline const std::string kLogonSid = "S-1-5-5-0-" + std::to_string(::GetCurrentProcessId());
inline constexpr std::uint32_t kMask = 0x201CF;  // kDesktopRightsNeeded-like: READ_CONTROL + the user32 rights

// Adds an ACE as a leaked grant would have left it.
inline void add_ace(const LockedDesktop& d, const std::string& sid, std::uint32_t mask) {
    auto sddl = w::get_sddl(d.desk.get()).sddl;
    const auto dacl = sddl.substr(sddl.find("D:"));
    w::set_dacl_from_sddl(d.desk.get(), dacl + fmt::format("(A;;0x{:x};;;{})", mask, sid));
}

inline std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
    return n;
}

inline std::uint64_t start_time(HANDLE process) {
    FILETIME created{}, exited{}, kernel{}, user{};
    ::GetProcessTimes(process, &created, &exited, &kernel, &user);
    return (static_cast<std::uint64_t>(created.dwHighDateTime) << 32) | created.dwLowDateTime;
}

// A journal entry for `d` owned by the given process (pid + start time).
inline w::GrantJournalFile journal_leak(const JournalDir& j, const LockedDesktop& d, std::uint32_t pid, std::uint64_t start,
                                 const std::string& sid = kLogonSid, std::uint32_t mask = kMask) {
    static std::atomic<int> sequence{0};
    auto e = w::new_grant_journal_entry(sl::ObjectKind::desktop, d.full_name(), sid, mask, LockedDesktop::kSddl);
    e.owner_pid = pid;
    e.owner_start_time = start;
    e.id = sl::make_grant_journal_id(pid, start, static_cast<std::uint64_t>(1000 + sequence++));
    return {w::write_grant_journal_entry(j.path, e), e, std::nullopt, sl::EntryTrust::owner_unknown};
}

// A process that has ended: its pid and start time make a dead owner.
struct DeadOwner {
    std::uint32_t pid = 0;
    std::uint64_t start = 0;
    DeadOwner() {
        sl::LaunchRequest r;
        r.program = t::child_path("child_exit");
        r.args = {"0"};
        auto child = w::launch_process(r);
        pid = child.pid();
        start = start_time(child.native_handle());
        (void)child.wait();
    }  // the handle closes here: the pid names no process any more (until reused)
};


}  // namespace safelaunch::test::journal
