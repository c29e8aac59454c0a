#include "safelaunch/program_access.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/printable.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace safelaunch {
namespace {

struct RightName {
    std::uint32_t bit;
    std::string_view file, folder;
};
constexpr std::array kRightNames = {
    RightName{0x0001, "FILE_READ_DATA", "FILE_LIST_DIRECTORY"},
    RightName{0x0008, "FILE_READ_EA", "FILE_READ_EA"},
    RightName{0x0020, "FILE_EXECUTE", "FILE_TRAVERSE"},
    RightName{0x0080, "FILE_READ_ATTRIBUTES", "FILE_READ_ATTRIBUTES"},
    RightName{0x20000, "READ_CONTROL", "READ_CONTROL"},
    RightName{0x100000, "SYNCHRONIZE", "SYNCHRONIZE"},
};

bool checked_and_denied(const FileAccessFacts& f) {
    return f.granted && (*f.granted & f.desired) != f.desired;
}

std::string what_of(const FileAccessFacts& f) {
    return f.role == "program" ? "the program" : f.role == "folder" ? "the program's folder" : "the DLL";
}

std::string denied_line(const FileAccessFacts& f, const std::string& account) {
    const bool folder = f.role == "folder";
    return fmt::format("{} {} lacks {} for {} (granted {})", what_of(f), f.path,
                       describe_file_rights(f.desired & ~*f.granted, folder), account.empty() ? "the child's token" : account,
                       *f.granted == 0 ? std::string("nothing") : describe_file_rights(*f.granted, folder));
}

std::string grant_remedy(const std::vector<const FileAccessFacts*>& files, const std::string& account) {
    std::string paths;
    for (const auto* f : files) paths += (paths.empty() ? "" : ", ") + f->path;
    const auto who = account.empty() ? std::string("the child's account") : account;
    return fmt::format("grant {} read and execute on {} (icacls \"<file>\" /grant \"{}:RX\"), or install the program "
                       "where that account may read it",
                       who, paths, who);
}

}  // namespace

std::string describe_file_rights(std::uint32_t mask, bool folder) {
    std::string out;
    std::uint32_t rest = mask;
    for (const auto& r : kRightNames) {
        if (!(mask & r.bit)) continue;
        out += (out.empty() ? "" : " | ") + std::string(folder ? r.folder : r.file);
        rest &= ~r.bit;
    }
    if (rest) out += (out.empty() ? "" : " | ") + fmt::format("{:#x}", rest);
    return out.empty() ? std::string("no rights") : out;
}

std::vector<const FileAccessFacts*> denied_files(const ProgramAccessFacts& facts, bool folders) {
    std::vector<const FileAccessFacts*> out;
    for (const auto& f : facts.files)
        if (checked_and_denied(f) && (folders || f.role != "folder")) out.push_back(&f);
    return out;
}

bool is_app_execution_alias(const ProgramAccessFacts& facts) noexcept {
    return facts.reparse_tag && *facts.reparse_tag == kReparseTagAppExecLink;
}

std::vector<Finding> program_access_findings(const ProgramAccessFacts& facts, const std::optional<LauncherFacts>& launcher) {
    std::vector<Finding> out;
    const auto files = denied_files(facts, false);
    if (!files.empty()) {
        std::string evidence;
        for (const auto* f : files) evidence += (evidence.empty() ? "AccessCheck: " : "; ") + denied_line(*f, facts.account);
        const bool program = std::any_of(files.begin(), files.end(), [](const auto* f) { return f->role == "program"; });
        out.push_back({"program.access.denied", Severity::error,
                       fmt::format("the child cannot read and execute {}: it would fail with 0xC0000022 "
                                   "(STATUS_ACCESS_DENIED){}, not 0xC0000142",
                                   files.size() == 1 ? files.front()->path : fmt::format("{} files", files.size()),
                                   program ? ", or CreateProcess with ERROR_ACCESS_DENIED (5)" : ""),
                       std::move(evidence), grant_remedy(files, facts.account)});
    }
    for (const auto& f : facts.files) {
        if (f.role != "folder" || !checked_and_denied(f)) continue;
        out.push_back({"program.access.folder_denied", Severity::warning,
                       fmt::format("the child's token is not granted FILE_TRAVERSE on {}: it can open the program "
                                   "only with the \"Bypass traverse checking\" privilege (SeChangeNotifyPrivilege, held "
                                   "by Everyone by default)",
                                   f.path),
                       "AccessCheck: " + denied_line(f, facts.account), grant_remedy({&f}, facts.account)});
    }
    std::string unchecked;
    for (const auto& f : facts.files)
        if (f.error) unchecked += fmt::format("{}{}: {}", unchecked.empty() ? "" : "; ", f.path, *f.error);
    if (!unchecked.empty())
        out.push_back({"program.access.unchecked", Severity::info,
                       "the child token's access to some program files could not be checked", std::move(unchecked),
                       "run safelaunch check as a user that may read those files' security (READ_CONTROL)"});
    if (is_app_execution_alias(facts)) {
        const bool service = launcher && (launcher->session_id == 0 || launcher->local_system);
        const bool other_user = launcher && launcher->run_as != "caller";
        const bool warn = service || other_user;
        const auto program = std::find_if(facts.files.begin(), facts.files.end(),
                                          [](const FileAccessFacts& f) { return f.role == "program"; });
        out.push_back({"program.app_execution_alias", warn ? Severity::warning : Severity::info,
                       fmt::format("the program{} is an App Execution Alias (reparse tag IO_REPARSE_TAG_APPEXECLINK)"
                                   "{}",
                                   program == facts.files.end() ? std::string() : " " + program->path,
                                   warn ? fmt::format(" and the launcher {}: an alias starts only the packaged app "
                                                      "of the user whose profile holds it, in that user's session; "
                                                      "elsewhere CreateProcess fails (ERROR_CANT_ACCESS_FILE 1920 is "
                                                      "reported)",
                                                      service ? "is a service (session 0 or LocalSystem)"
                                                              : "runs it as another user")
                                        : std::string()),
                       fmt::format("reparse tag {:#010x}; unverified on Windows (see J. Forshaw, \"Overview of "
                                   "Windows Execution Aliases\", 2019; pypsexec issue 26)",
                                   *facts.reparse_tag),
                       "start the program by its real path (under C:\\Program Files\\WindowsApps, or a "
                       "non-packaged install), not through %LOCALAPPDATA%\\Microsoft\\WindowsApps"});
    }
    return out;
}

Diagnosis apply_program_access(Diagnosis d, const ProgramAccessFacts& facts) {
    const auto files = denied_files(facts, false);
    const auto all = denied_files(facts, true);
    const bool access_denied_code = d.code.code == kStatusAccessDenied;
    if (!access_denied_code && !d.code.dll_init_failure) return d;

    if (all.empty()) {
        // 0xC0000022 with everything granted: the denied object is another one.
        const bool complete = !facts.files.empty() &&
                              std::none_of(facts.files.begin(), facts.files.end(), [](const auto& f) { return f.error.has_value(); });
        if (access_denied_code && complete)
            for (auto& c : d.causes)
                if (c.id == CauseId::not_dll_init)
                    c.evidence.push_back(fmt::format("the child's token may read and execute its program, folder and "
                                                     "{} non-system DLL(s): the object it was denied is another (a file "
                                                     "or key it opens, a DLL it loads later)",
                                                     std::count_if(facts.files.begin(), facts.files.end(),
                                                                   [](const auto& f) { return f.role == "dll"; })));
        return d;
    }

    RankedCause c{CauseId::program_access, Likelihood::possible, {}, grant_remedy(all, facts.account)};
    for (const auto* f : all) c.evidence.push_back("AccessCheck: " + denied_line(*f, facts.account));
    for (auto& e : c.evidence) escape_control_chars_in_place(e);
    escape_control_chars_in_place(c.remedy);
    if (access_denied_code) {
        c.likelihood = files.empty() ? Likelihood::likely : Likelihood::decided;
        c.evidence.emplace_back("exit 0xC0000022 (STATUS_ACCESS_DENIED) is the loader's code for an image it may not open");
        if (files.empty())
            c.evidence.emplace_back("only the folder is denied: the \"Bypass traverse checking\" privilege, held by most "
                                    "tokens, skips that check");
    } else {
        c.evidence.emplace_back("a denied static import ends the process with 0xC0000022 before any DLL initialiser runs: "
                                "this code comes from it only when an initialiser loads such a DLL itself");
    }
    // Listed before every cause of the same likelihood (R13): the fact is about this very child.
    const auto at = std::find_if(d.causes.begin(), d.causes.end(),
                                 [&](const RankedCause& r) { return r.likelihood >= c.likelihood; });
    const auto line = fmt::format("{}: {}", to_string(c.id), c.evidence.front());
    const auto likelihood = c.likelihood;
    d.causes.insert(at, std::move(c));
    if (likelihood == Likelihood::decided) d.deciding_evidence = "decided by " + line;
    else if (likelihood == Likelihood::likely && d.deciding_evidence.rfind("decided", 0) != 0)
        d.deciding_evidence = "nothing decided; likely " + line;
    return d;
}

}  // namespace safelaunch
