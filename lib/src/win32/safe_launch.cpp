// The safe launch call: gather, decide (portable analyze()), grant, launch, wait, diagnose.
#include "safelaunch/win32/safe_launch.hpp"

#include "safelaunch/desktop_spec.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/utc_time.hpp"
#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/private_desktop.hpp"
#include "safelaunch/win32/program_access.hpp"
#include "safelaunch/win32/program_imports.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/session_view.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/trial_headroom.hpp"
#include "safelaunch/win32/user32_api.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <sddl.h>

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <variant>
#include <vector>

namespace safelaunch::win32 {
namespace {

constexpr auto kCanaryTimeout = std::chrono::seconds(15);

void set_failure(ApiFailure* out, std::string api, std::string object, std::error_code ec) {
    if (out) *out = ApiFailure{std::move(api), std::move(object), ec};
}

// With 7 fractional digits, as EvtRender's SystemTime has them: an event in the launch's own
// second must not sort before it (the analysis compares both as 100-ns ticks).
std::string utc_now() {
    FILETIME ft{};
    ::GetSystemTimeAsFileTime(&ft);
    return format_utc_ticks(static_cast<std::int64_t>((std::uint64_t{ft.dwHighDateTime} << 32) | ft.dwLowDateTime));
}

std::string computer_name() {
    wchar_t name[MAX_COMPUTERNAME_LENGTH + 1];
    DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
    return GetComputerNameW(name, &size) ? boost::nowide::narrow(name) : std::string{};
}

std::string module_dir() {
    std::wstring path(MAX_PATH, L'\0');
    for (;;) {
        const auto n = GetModuleFileNameW(nullptr, path.data(), static_cast<DWORD>(path.size()));
        if (n < path.size()) {
            path.resize(n);
            break;
        }
        path.resize(path.size() * 2);
    }
    path.erase(path.find_last_of(L"\\/") + 1);
    return boost::nowide::narrow(path);
}

std::string sid_string(PSID sid) {
    LPWSTR text = nullptr;
    if (!::ConvertSidToStringSidW(sid, &text)) return {};
    std::string out = boost::nowide::narrow(text);
    ::LocalFree(text);
    return out;
}

bool own_user_is_local_system() {
    unique_handle token;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, token.put())) return false;
    DWORD size = 0;
    (void)::GetTokenInformation(token.get(), TokenUser, nullptr, 0, &size);
    std::vector<unsigned char> buf(size);
    if (size == 0 || !::GetTokenInformation(token.get(), TokenUser, buf.data(), size, &size)) return false;
    return ::IsWellKnownSid(reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid, WinLocalSystemSid) != FALSE;
}

// UOI_USER_SID of this session's WinSta0: the logon SID of the interactive user, "" when no user
// is associated with it. Wine fails the query with ERROR_INVALID_PARAMETER.
void read_interactive_user_sid(LauncherFacts& l) {
    std::error_code ec;
    ApiFailure failure;
    auto station = open_window_station("WinSta0", WINSTA_READATTRIBUTES, ec, &failure);
    if (ec) {
        l.interactive_user_sid_error = failure.describe();
        // Only a refusal of WinSta0 itself: a failed user32 load is our own connection's problem.
        if (failure.api != "LoadLibraryExW" && failure.api != "GetProcAddress") l.winsta0_open_error = failure.describe();
        return;
    }
    // open_window_station succeeded: user32 is loaded.
    const auto& u = user32();
    // Documented: lpnLengthNeeded comes back 0 when no user is associated with the object.
    DWORD needed = 0;
    if (!u.GetUserObjectInformationW(station.get(), UOI_USER_SID, nullptr, 0, &needed)) {
        const DWORD err = ::GetLastError();
        if (err != ERROR_INSUFFICIENT_BUFFER) {
            l.interactive_user_sid_error =
                ApiFailure{"GetUserObjectInformationW(UOI_USER_SID)", "window station WinSta0", make_win32_error(err)}
                    .describe();
            return;
        }
    }
    if (needed == 0) {
        l.interactive_user_sid = std::string();
        return;
    }
    std::vector<unsigned char> buf(needed);
    if (!u.GetUserObjectInformationW(station.get(), UOI_USER_SID, buf.data(), needed, &needed)) {
        l.interactive_user_sid_error = ApiFailure{"GetUserObjectInformationW(UOI_USER_SID)", "window station WinSta0",
                                                  make_win32_error(::GetLastError())}
                                           .describe();
        return;
    }
    l.interactive_user_sid = sid_string(buf.data());
}

// What a child launched with lpDesktop = NULL is given: this process's own lpDesktop (CreateProcess
// copies it), and, when that is empty, the station and desktop this process is on. Read under the
// station-switch lock so a concurrent open_desktop's temporary switch is never seen.
struct InheritedDesktop {
    std::optional<std::string> startup_spec;  // GetStartupInfoW().lpDesktop when not empty
    std::string station = "WinSta0";
    std::string desktop = "Default";
};

InheritedDesktop inherited_desktop() {
    InheritedDesktop d;
    const std::lock_guard lock(station_switch_mutex());
    STARTUPINFOW si{};
    si.cb = sizeof si;
    ::GetStartupInfoW(&si);  // no failure return (Vista+)
    if (si.lpDesktop && *si.lpDesktop) d.startup_spec = boost::nowide::narrow(si.lpDesktop);
    std::error_code ec;
    if (auto name = process_window_station_name(ec); !ec) d.station = name;
    if (auto name = thread_desktop_name(ec); !ec) d.desktop = name;
    return d;
}

// The child's token is of another session than this process. A LogonUserW prediction for
// RunAsLogon does not count: CreateProcessWithLogonW starts the child in the caller's session.
bool other_session(const LauncherFacts& l, const TokenFacts& t) {
    if (l.run_as == "logon" && !l.token_is_childs) return false;
    return t.session_id != l.session_id;
}

// Whether the child has a console to attach to (ExitFacts::had_console, diagnosis R7).
bool child_gets_a_console(const LaunchRequest& request) {
    const auto flags = request.creation_flags;
    if (flags & DETACHED_PROCESS) return false;
    if (flags & (CREATE_NEW_CONSOLE | CREATE_NO_WINDOW)) return true;
    // CreateProcessWithLogonW's child gets a console from the secondary logon service.
    if (std::holds_alternative<RunAsLogon>(request.run_as)) return true;
    return ::GetConsoleWindow() != nullptr;  // it inherits ours, if we have one
}


}  // namespace

unique_handle target_token(const LaunchRequest& request, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (const auto* t = std::get_if<RunAsToken>(&request.run_as)) {
        HANDLE dup = nullptr;
        if (!DuplicateHandle(GetCurrentProcess(), reinterpret_cast<HANDLE>(t->handle), GetCurrentProcess(), &dup, 0,
                             FALSE, DUPLICATE_SAME_ACCESS)) {
            ec = make_win32_error(GetLastError());
            set_failure(failure, "DuplicateHandle", "the request's token", ec);
            return {};
        }
        return unique_handle(dup);
    }
    if (const auto* l = std::get_if<RunAsLogon>(&request.run_as))
        return logon_user(l->user, l->domain, l->password, LogonKind::interactive, ec, failure);
    return duplicate_own_token(true, ec, failure);
}

LauncherFacts gather_launcher_facts(const LaunchRequest& request, bool token_is_childs, bool connect) {
    LauncherFacts l;
    DWORD session = 0;
    if (::ProcessIdToSessionId(::GetCurrentProcessId(), &session)) l.session_id = session;
    l.local_system = own_user_is_local_system();
    l.run_as = std::holds_alternative<RunAsToken>(request.run_as)   ? "token"
               : std::holds_alternative<RunAsLogon>(request.run_as) ? "logon"
                                                                     : "caller";
    l.token_is_childs = token_is_childs;
    if (connect)
        read_interactive_user_sid(l);
    else
        l.interactive_user_sid_error = "not read: this process does not load user32 (no pre-flight)";
    return l;
}

Snapshot gather_launch_facts(const LaunchRequest& request, HANDLE token, const SafeLaunchOptions& options) {
    return gather_launch_facts(request, token, gather_launcher_facts(request, false), options);
}

Snapshot gather_launch_facts(const LaunchRequest& request, HANDLE token, const LauncherFacts& launcher,
                             const SafeLaunchOptions& options) {
    Snapshot s;
    s.taken_utc = utc_now();
    s.host = computer_name();
    s.launcher = launcher;
    // Will the child connect at start? Its import closure (issue 9; connect_rules.hpp decides).
    if (!request.program.empty()) s.program_imports = gather_program_imports(request.program);
    std::error_code ec;
    ApiFailure failure;
    s.token = gather_token_facts(token, ec, &failure);
    s.token.source = launcher.token_is_childs                              ? "the suspended child's own token"
                     : std::holds_alternative<RunAsToken>(request.run_as)  ? "the request's token"
                     : std::holds_alternative<RunAsLogon>(request.run_as) ? "LogonUserW for the request's user"
                                                                           : "caller";
    // Can that token open the program and its DLLs? (issue 9 part 4; program_access.hpp decides)
    if (s.program_imports)
        s.program_access = gather_program_access(token, *s.program_imports,
                                                 s.token.user_name.empty() ? s.token.user_sid : s.token.user_name);
    // CreateProcessAsUserW's privileges, reported before the launch (M1); unread facts stay unset.
    if (std::holds_alternative<RunAsToken>(request.run_as)) {
        std::error_code aec;
        if (auto as_user = gather_as_user_facts(token, aec); !aec) s.as_user = as_user;
    }
    // The OS version and the SubSystems value change only at a reboot: read them once per process.
    static const auto os = gather_os_facts();
    static const auto subsystems = [] {
        std::error_code rec;
        auto values = read_subsystems_values(rec);
        return rec ? SubSystemsValues{} : values;
    }();
    s.system.os = os;
    s.system.subsystems_windows_value = subsystems.windows;
    s.system.stray_shared_section_value = subsystems.stray_shared_section;
    // The child's session's view space, read on every check (it changes); no user32 needed. A
    // LogonUserW stand-in (RunAsLogon, predicted) has a session of its own: the child runs in ours.
    const bool logon_stand_in = std::holds_alternative<RunAsLogon>(request.run_as) && !launcher.token_is_childs;
    s.session_view = gather_session_view_facts(ec || logon_stand_in ? launcher.session_id : s.token.session_id);

    s.target.spec = request.desktop;
    const auto spec = parse_desktop_spec(request.desktop ? std::optional<std::string_view>(*request.desktop)
                                                          : std::nullopt);
    if (!spec) {
        s.self_connect = self_connect_facts();
        return s;  // the analysis reports desktop.spec.invalid
    }
    if (!options.connect) {
        // Resolving an inherited desktop and reading the objects both need user32 here.
        s.self_connect = self_connect_facts();
        return s;
    }
    const auto parent = inherited_desktop();
    ResolveContext ctx;
    ctx.parent_station = parent.station;
    ctx.parent_desktop = parent.desktop;
    ctx.logon_luid = s.token.logon_luid;
    ctx.empty_means_inherit = std::holds_alternative<RunAsLogon>(request.run_as);
    ctx.interactive_session =
        decide_interactive({s.token.logon_sid, s.token.session_id,
                            std::any_of(s.token.groups.begin(), s.token.groups.end(),
                                        [](const GroupFacts& g) {
                                            return g.sid == "S-1-5-4" && (g.attributes & group_attr::kEnabled);
                                        }),
                            launcher.session_id, launcher.interactive_user_sid})
            .interactive;
    auto resolved = resolve_desktop(spec.value(), ctx);
    if (resolved.how == ResolveHow::inherited && parent.startup_spec) {
        // The child is given our own lpDesktop: resolve that, for the child's token.
        if (const auto own = parse_desktop_spec(std::optional<std::string_view>(*parent.startup_spec));
            own && own->kind != DesktopSpecKind::inherit) {
            auto from_own = resolve_desktop(own.value(), ctx);
            resolved.station = std::move(from_own.station);
            resolved.desktop = std::move(from_own.desktop);
        }
    }
    s.target.station = resolved.station;
    s.target.desktop = resolved.desktop;
    s.target.how = std::string(to_string(resolved.how));
    // Another session's objects cannot be opened by name from here: OpenWindowStation would find
    // this session's object of that name (session.other.not_inspectable).
    if (!other_session(launcher, s.token)) {
        s.target.station_facts = gather_window_station_facts(resolved.station, AccessQuery{token, kStationRightsNeeded});
        s.target.desktop_facts =
            gather_desktop_facts(resolved.station, resolved.desktop, AccessQuery{token, kDesktopRightsNeeded});
    }
    // Last: whether user32 could be had for the reads above (self.desktop.connect_failed).
    s.self_connect = self_connect_facts();
    return s;
}

namespace {

// The probe's stdout: a temporary file (GetTempFileNameW creates it empty), read back after the
// probe exits and deleted at scope end. Its JSON line tells a quota stop from an exhausted heap.
class ProbeReportFile {
public:
    ProbeReportFile() {
        wchar_t dir[MAX_PATH + 1];
        wchar_t name[MAX_PATH];
        const DWORD n = ::GetTempPathW(MAX_PATH + 1, dir);
        if (n > 0 && n <= MAX_PATH && ::GetTempFileNameW(dir, L"slp", 0, name)) path_ = name;
    }
    ProbeReportFile(const ProbeReportFile&) = delete;
    ProbeReportFile& operator=(const ProbeReportFile&) = delete;
    ~ProbeReportFile() {
        if (!path_.empty()) ::DeleteFileW(path_.c_str());
    }
    [[nodiscard]] bool valid() const noexcept { return !path_.empty(); }
    [[nodiscard]] std::string path() const { return boost::nowide::narrow(path_); }
    // Its first line (the probe prints one), at most 4 KB; nullopt when empty or unreadable.
    [[nodiscard]] std::optional<std::string> first_line() const {
        const unique_handle file(::CreateFileW(path_.c_str(), GENERIC_READ,
                                               FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                               OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr));
        if (!file) return std::nullopt;
        std::string text(4096, '\0');
        DWORD read = 0;
        if (!::ReadFile(file.get(), text.data(), static_cast<DWORD>(text.size()), &read, nullptr) || read == 0)
            return std::nullopt;
        text.resize(read);
        text.erase(std::min(text.find_first_of("\r\n"), text.size()));
        return text;
    }

private:
    std::wstring path_;
};

CanaryFacts canary_not_run(std::uint32_t alloc_kb, const ApiFailure& why) {
    CanaryFacts c;
    c.exit_code = 0xFFFFFFFFu;  // meaningless: ran = false
    c.alloc_kb = alloc_kb;
    c.ran = false;
    c.detail = "canary not run: " + why.describe();
    return c;
}

// Whether a child of `run_as` runs in this process's session: CreateProcessWithLogonW starts it in
// the caller's, CreateProcessAsUserW in the token's (TokenSessionId). Unknown counts as another.
bool runs_in_our_session(const RunAs& run_as) {
    const auto* as_token = std::get_if<RunAsToken>(&run_as);
    if (!as_token) return true;
    DWORD token_session = 0;
    DWORD size = 0;
    DWORD own_session = 0;
    return ::GetTokenInformation(reinterpret_cast<HANDLE>(as_token->handle), TokenSessionId, &token_session,
                                 sizeof token_session, &size) &&
           ::ProcessIdToSessionId(::GetCurrentProcessId(), &own_session) && token_session == own_session;
}

}  // namespace

CanaryFacts run_canary(const LaunchRequest& request, const SafeLaunchOptions& options, std::error_code& ec,
                       ApiFailure* failure) {
    ec.clear();
    LaunchRequest probe;
    probe.program = options.probe_path.empty() ? module_dir() + "safelaunch-probe.exe" : options.probe_path;
    if (options.canary_alloc_kb) probe.args = {"--alloc-kb", std::to_string(options.canary_alloc_kb)};
    probe.desktop = request.desktop;
    probe.run_as = request.run_as;
    // Handles are inherited only within our own session: CreateProcessAsUserW refuses
    // bInheritHandles for a token of another session (C3). The probe's report (its redirected
    // stdout) needs them, so across sessions only its exit code is learnt.
    const bool inherit = runs_in_our_session(request.run_as);
    const ProbeReportFile report;
    if (report.valid() && inherit) {
        probe.stdio.out.kind = StdStream::Kind::file;
        probe.stdio.out.path = report.path();
    } else {
        probe.stdio.out.kind = StdStream::Kind::null;  // no temporary file: only the exit code then
    }
    probe.stdio.err.kind = StdStream::Kind::null;
    LaunchFailure lf;
    auto child = launch_process(probe, LaunchOptions{.inherit_handles = inherit}, ec, &lf);
    if (!child.valid()) {
        if (failure) *failure = lf.failure;
        return canary_not_run(options.canary_alloc_kb, lf.failure);
    }
    auto code = child.wait_for(kCanaryTimeout, ec);
    if (!code) {
        std::error_code tec;
        child.terminate(kTerminatedExitCode, tec);
        (void)child.wait(tec);  // so its handle on the report file is closed before the delete
        const ApiFailure why{"WaitForSingleObject", "safelaunch-probe",
                             ec ? ec : make_win32_error(WAIT_TIMEOUT)};
        ec = why.code;
        if (failure) *failure = why;
        return canary_not_run(options.canary_alloc_kb, why);
    }
    CanaryFacts c;
    c.exit_code = *code;
    c.alloc_kb = options.canary_alloc_kb;
    c.allocated = *code == 0 && options.canary_alloc_kb > 0;
    c.detail = fmt::format("safelaunch-probe{} exited {}", options.canary_alloc_kb ? fmt::format(" --alloc-kb {}", options.canary_alloc_kb) : "",
                           describe_exit_code(*code));
    if (report.valid()) c.report = report.first_line();
    return c;
}

namespace {

// Facts (as `token`), the canary when asked for, and the verdict.
Preflight assess(const LaunchRequest& request, const SafeLaunchOptions& options, HANDLE token,
                 const LauncherFacts& launcher) {
    Preflight p;
    p.facts = gather_launch_facts(request, token, launcher, options);
    if (request.check == CheckPolicy::canary) {
        std::error_code cec;
        ApiFailure cf;
        p.facts.canary = run_canary(request, options, cec, &cf);
        if (!p.facts.canary) p.facts.canary = CanaryFacts{0xFFFFFFFFu, 0, false, "canary not run: " + cf.describe()};
    }
    p.analysis = analyze(p.facts, options.analysis);
    return p;
}

}  // namespace

Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options, std::error_code& ec,
                    ApiFailure* failure) {
    ec.clear();
    Preflight p;
    if (request.check == CheckPolicy::none) return p;
    const auto launcher = gather_launcher_facts(request, false);
    if (auto refusal = refuse_before_launch(launcher)) {
        // No LogonUserW either: the launch cannot happen from here.
        p.facts.launcher = launcher;
        p.analysis.preflight = {std::move(*refusal)};
        p.analysis.verdict = verdict_of(p.analysis.preflight);
        return p;
    }
    const auto token = target_token(request, ec, failure);
    if (ec) return p;
    return assess(request, options, token.get(), launcher);
}

Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options) {
    std::error_code ec;
    ApiFailure failure;
    auto p = preflight(request, options, ec, &failure);
    if (ec) throw Error(failure);
    return p;
}

namespace {

// Grants the token's logon SID the needed rights on each object the analysis found lacking, and
// (C4) takes a share of any safelaunch grant the launch relies on where access was found: under
// the object's lock the grant re-checks access with `token`, so an ACE another launcher takes
// back meanwhile is added again. Objects that had access are best effort.
bool grant_missing(const Preflight& p, HANDLE token, std::vector<ScopedGrant>& grants, Outcome& out) {
    const auto& facts = p.facts;
    if (!facts.token.logon_sid) {
        out.failure = ApiFailure{"grant", "the target token", make_win32_error(ERROR_INVALID_SID)};
        return false;
    }
    const auto& sid = *facts.token.logon_sid;
    for (const auto& a : p.analysis.access) {
        std::error_code ec;
        ApiFailure failure;
        const bool is_desktop = a.object.rfind("desktop ", 0) == 0;
        auto station = open_window_station(facts.target.station,
                                           is_desktop ? WINSTA_READATTRIBUTES : READ_CONTROL | WRITE_DAC, ec, &failure);
        if (!ec) {
            const auto name = is_desktop ? fmt::format("{}\\{}", facts.target.station, facts.target.desktop)
                                         : facts.target.station;
            GrantRequest req{name, sid, is_desktop ? kDesktopRightsNeeded : kStationRightsNeeded, false};
            req.access_token = token;
            if (is_desktop) {
                auto desk = open_desktop(station.get(), facts.target.desktop, READ_CONTROL | WRITE_DAC, ec, &failure);
                if (!ec) grants.push_back(grant_access(desk.get(), req, ec, &failure));
            } else {
                grants.push_back(grant_access(station.get(), req, ec, &failure));
            }
            if (a.ok) {  // nothing was missing: no share to hold is not a failure
                ec.clear();
                continue;
            }
            if (!ec && grants.back().active())
                out.grants.push_back(fmt::format("{}: {} on {}", sid,
                                                 describe_rights(req.mask, is_desktop ? ObjectKind::desktop
                                                                                      : ObjectKind::window_station),
                                                 a.object));
        }
        if (ec) {
            out.failure = failure;
            return false;
        }
    }
    return true;
}

}  // namespace

namespace {

bool missing_access(const Preflight& p) {
    return std::any_of(p.analysis.access.begin(), p.analysis.access.end(),
                       [](const AccessCheckFacts& a) { return !a.ok; });
}

// The child's own token, for the checks: TOKEN_QUERY for the facts, TOKEN_DUPLICATE for the
// impersonation copy AccessCheck needs.
unique_handle open_child_token(const Child& child, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    unique_handle token;
    if (!::OpenProcessToken(child.native_handle(), TOKEN_QUERY | TOKEN_DUPLICATE, token.put())) {
        ec = make_win32_error(::GetLastError());
        set_failure(failure, "OpenProcessToken", fmt::format("the suspended child {}", child.pid()), ec);
        return {};
    }
    return token;
}

// Admission control (options.admission): holds until the desktop has room, before any process of
// the request exists. False: refused, with the finding in the pre-flight and the reason set.
bool admitted(const LaunchRequest& request, const SafeLaunchOptions& options, Outcome& out) {
    if (!options.admission) return true;
    auto policy = *options.admission;
    if (policy.desktop.empty())
        policy.desktop = request.desktop && !request.desktop->empty() ? *request.desktop : "the inherited desktop";
    std::optional<TrialHeadroom> trial;
    HeadroomSource* source = options.headroom;
    if (!source) source = &trial.emplace(request, options);
    SteadyAdmissionClock own_clock;
    AdmissionClock& clock = options.admission_clock ? *options.admission_clock : own_clock;
    out.admission = admit(policy, *source, clock, options.admission_announce);
    if (out.admission->admitted) return true;
    const bool unknown = out.admission->refusal && out.admission->refusal->id == "heap.desktop.headroom_unknown";
    out.not_started = unknown ? NotStartedReason::headroom_unknown : NotStartedReason::no_headroom;
    if (out.admission->refusal) out.preflight.analysis.preflight.push_back(*out.admission->refusal);
    out.preflight.analysis.verdict = Verdict::blocked;
    return false;
}

}  // namespace

namespace {

// --timeout: the whole job when the tree is contained (TerminateJobObject, then the child's end is
// waited for), else the child alone. Returns how many processes were ended.
std::uint32_t end_tree_at_timeout(Child& child, std::error_code& ec) {
    if (child.contained()) {
        std::error_code tec;
        const auto ended = child.end_tree(kTerminatedExitCode, tec);
        if (!tec && ended > 0) {
            (void)child.wait(ec);
            return ended;
        }
    }
    child.terminate(kTerminatedExitCode, ec);
    return ec ? 0 : 1;
}

// The placement step (issue 8): where the child runs. A private desktop is created and verified
// for the SID the child's token will carry, and request.desktop then names it, so every later
// step (facts, access check, canary, post-mortem) looks at that desktop.
// A lease on one of options.pool's desktops for the child's SID and heap size.
bool place_pooled(LaunchRequest& request, SafeLaunchOptions& options, const std::string& child_sid,
                  std::optional<LaunchPool::Lease>& lease, Outcome& out) {
    const auto& spec = *request.private_desktop;
    const auto refuse = [&out](std::string api, std::string why, DWORD code) {
        out.not_started = NotStartedReason::placement_failed;
        out.failure = ApiFailure{std::move(api), std::move(why), make_win32_error(code)};
        return false;
    };
    const PoolKey key{child_sid, spec.heap_kb};
    auto got = options.admission
                   ? options.pool->acquire_for(key, options.admission->hold_timeout, options.pool_announce)
                   : options.pool->acquire(key);
    if (!got.lease) {
        // The refusal's finding (desktop.pool.*), or the factory's on a failed create.
        out.placement.findings.insert(out.placement.findings.end(), got.findings.begin(), got.findings.end());
        switch (got.status) {
            case PoolAcquireStatus::full:
                return refuse("DesktopPool::acquire",
                              fmt::format("pool '{}' is full (desktop.pool.full){}", options.pool->name(),
                                          options.admission ? fmt::format(" after waiting {} ms", got.waited.count())
                                                            : std::string(" (--hold-for-headroom waits for room)")),
                              ERROR_NOT_ENOUGH_QUOTA);
            case PoolAcquireStatus::heap_too_small:
                return refuse("DesktopPool::acquire",
                              fmt::format("pool '{}': a {} KB desktop holds no child (desktop.pool.heap_too_small)",
                                          options.pool->name(), spec.heap_kb),
                              ERROR_INVALID_PARAMETER);
            case PoolAcquireStatus::create_failed:
            case PoolAcquireStatus::acquired: break;
        }
        if (got.failure && got.failure->failure) {
            out.not_started = NotStartedReason::placement_failed;
            out.failure = got.failure->failure;
            return false;
        }
        return refuse("DesktopPool::acquire", got.failure ? got.failure->error : "no desktop", ERROR_GEN_FAILURE);
    }
    lease = std::move(got.lease);
    out.placement.findings.insert(out.placement.findings.end(), lease->findings().begin(), lease->findings().end());
    out.placement.private_desktop = lease->facts();
    out.placement.pool = lease->placement();
    request.desktop = lease->lp_desktop();
    out.placement.lp_desktop = request.desktop;
    options.analysis.desktop_rights_withheld |= kPrivateDesktopChildDenied;  // denied on purpose
    return true;
}

// The placement step (issue 8): where the child runs. A private desktop is created and verified
// (or leased from a pool) for the SID the child's token will carry, and request.desktop then
// names it, so every later step (facts, access check, canary, post-mortem) looks at that desktop.
bool place_child(LaunchRequest& request, SafeLaunchOptions& options, PrivateDesktop& desk,
                 std::optional<LaunchPool::Lease>& lease, Outcome& out) {
    out.placement.kind = placement_of(request);
    out.placement.lp_desktop = request.desktop;
    const auto refuse = [&out](ApiFailure why) {
        out.not_started = NotStartedReason::placement_failed;
        out.failure = std::move(why);
        return false;
    };
    if (auto problem = placement_problem(request))
        return refuse({"safe_launch", *problem, make_win32_error(ERROR_INVALID_PARAMETER)});
    if (!request.private_desktop) return true;
    const auto& spec = *request.private_desktop;
    if (spec.pool && !options.pool) {
        out.placement.findings.push_back(pool_unavailable_finding(*spec.pool));
        return refuse({"safe_launch",
                       fmt::format("private desktop pool '{}': no pool was given to this launch "
                                   "(desktop.private.pool_unavailable; SafeLaunchOptions::pool); without a pool each "
                                   "launch gets a private desktop of its own",
                                   *spec.pool),
                       make_win32_error(ERROR_NOT_SUPPORTED)});
    }
    if (spec.pool && *spec.pool != options.pool->name())
        return refuse({"safe_launch",
                       fmt::format("private desktop pool '{}' was asked for, but this launch was given pool '{}'",
                                   *spec.pool, options.pool->name()),
                       make_win32_error(ERROR_INVALID_PARAMETER)});
    if (!options.connect)
        return refuse({"safe_launch",
                       "a private desktop is created by this process, which needs user32: not with connect = false "
                       "(--no-preflight)",
                       make_win32_error(ERROR_INVALID_PARAMETER)});
    std::error_code ec;
    ApiFailure failure;
    // CreateProcessWithLogonW gives the child the caller's logon SID: our own token's.
    const auto token = std::holds_alternative<RunAsLogon>(request.run_as) ? duplicate_own_token(true, ec, &failure)
                                                                          : target_token(request, ec, &failure);
    if (ec) return refuse(failure);
    const auto child_sid = private_desktop_sid_of(token.get(), ec, &failure);
    if (ec) return refuse(failure);
    if (spec.pool) return place_pooled(request, options, child_sid, lease, out);
    const auto user_sid = own_user_sid(ec, &failure);
    if (ec) return refuse(failure);
    desk = create_private_desktop(spec, child_sid, user_sid, ec, &failure);
    out.placement.private_desktop = desk.facts();
    out.placement.findings = desk.findings();
    if (ec) return refuse(failure);
    request.desktop = desk.lp_desktop();
    out.placement.lp_desktop = request.desktop;
    options.analysis.desktop_rights_withheld |= kPrivateDesktopChildDenied;  // denied on purpose
    return true;
}

}  // namespace

ExitSignal& ExitSignal::operator=(ExitSignal&& other) noexcept {
    if (this != &other) {
        fire();
        clock_ = std::move(other.clock_);
    }
    return *this;
}

void ExitSignal::fire() noexcept {
    if (auto clock = std::exchange(clock_, nullptr)) {
        try {
            clock->notify();
        } catch (...) {  // std::mutex::lock may throw in theory; a missed wake only delays a sibling
        }
    }
}

SafeChild safe_launch(const LaunchRequest& asked, const SafeLaunchOptions& asked_options) {
    SafeChild sc;
    sc.request_ = asked;
    sc.options_ = asked_options;
    auto& out = sc.outcome_;
    if (!place_child(sc.request_, sc.options_, sc.private_desktop_, sc.pool_lease_, out)) return sc;
    // With the private desktop's lpDesktop and the rights it withholds, if any.
    const LaunchRequest& request = sc.request_;
    const SafeLaunchOptions& options = sc.options_;
    if (options.grant || options.repair_stale_grants) {
        // Grants whose launcher died (killed, crashed) are taken back first.
        std::error_code rec;
        (void)repair_stale_grants(rec);
    }
    std::error_code ec;
    ApiFailure failure;
    LaunchFailure lf;
    sc.had_console_ = child_gets_a_console(request);
    if (request.check == CheckPolicy::none) {
        if (!admitted(request, options, out)) return sc;
        sc.started_utc_ = utc_now();
        if (options.trace_win32k) sc.win32k_trace_ = Win32kTrace::start();  // before: event 58 fires at start
        sc.child_ = launch_process(request, ec, &lf);
        if (sc.child_.valid()) sc.win32k_trace_.set_child_pid(sc.child_.pid());
        if (!sc.child_.valid()) {
            out.not_started = NotStartedReason::launch_failed;
            out.launch_failure = lf;
        } else {
            sc.exited_ = ExitSignal(options.admission_clock);
        }
        out.error_mode = sc.child_.error_mode();
        return sc;
    }

    // RunAsLogon from LocalSystem cannot work: refused before any process exists.
    auto launcher = gather_launcher_facts(request, true);
    if (auto refusal = refuse_before_launch(launcher)) {
        out.preflight.facts.launcher = launcher;
        out.preflight.analysis.preflight = {std::move(*refusal)};
        out.preflight.analysis.verdict = Verdict::blocked;
        if (request.on_blocking == OnBlocking::refuse) {
            out.not_started = NotStartedReason::refused;
            return sc;
        }
    }
    if (!admitted(request, options, out)) return sc;

    // The child as it will run, but suspended: its token and session are facts, not a prediction
    // (a RunAsLogon child has the caller's logon SID; a token may be of another session).
    if (options.trace_win32k) sc.win32k_trace_ = Win32kTrace::start();  // before: event 58 fires at start
    sc.child_ = launch_process(request, LaunchOptions{.suspended = true}, ec, &lf);
    if (sc.child_.valid()) sc.win32k_trace_.set_child_pid(sc.child_.pid());
    if (!sc.child_.valid()) {
        out.not_started = NotStartedReason::launch_failed;
        out.launch_failure = lf;
        return sc;
    }
    // Whatever happens below, a child that is not resumed is terminated before it ran any code.
    const auto abandon = [&] {
        std::error_code tec;
        sc.child_.terminate(kTerminatedExitCode, tec);
        sc.child_ = Child{};
        sc.grants_.clear();  // reverts any grant already made
    };
    sc.token_ = open_child_token(sc.child_, ec, &failure);
    if (ec) {
        // Not readable (another user's token can deny us TOKEN_QUERY): fall back to the prediction.
        launcher.token_is_childs = false;
        sc.token_ = target_token(request, ec, &failure);
        if (ec) {
            abandon();
            out.not_started = NotStartedReason::token_failed;
            out.failure = failure;
            return sc;
        }
    }
    out.preflight = assess(request, options, sc.token_.get(), launcher);
    // With --grant: the missing rights, and (C4) a share of any safelaunch ACE the launch relies on
    // where nothing is missing, so another launcher's revert cannot take it away from this child.
    const bool missing = missing_access(out.preflight);
    if (options.grant && (missing || out.preflight.facts.token.logon_sid)) {
        if (!grant_missing(out.preflight, sc.token_.get(), sc.grants_, out)) {
            abandon();
            out.not_started = NotStartedReason::grant_failed;
            return sc;
        }
        // The verdict with the grants in place, for the same token (no new logon).
        if (missing) out.preflight = assess(request, options, sc.token_.get(), launcher);
    }
    if (out.preflight.analysis.verdict == Verdict::blocked && request.on_blocking == OnBlocking::refuse) {
        abandon();
        out.not_started = NotStartedReason::refused;
        return sc;
    }
    sc.started_utc_ = utc_now();
    sc.child_.resume(ec);
    if (ec) {
        abandon();
        out.not_started = NotStartedReason::launch_failed;
        out.launch_failure =
            LaunchFailure{LaunchFailureKind::not_startable,
                          ApiFailure{"ResumeThread", fmt::format("the suspended child of {}", request.program), ec}};
    } else {
        sc.exited_ = ExitSignal(options.admission_clock);
    }
    out.error_mode = sc.child_.error_mode();
    return sc;
}

Outcome SafeChild::wait() {
    auto out = std::move(outcome_);
    outcome_ = {};
    if (!child_.valid()) {
        if (win32k_trace_.requested()) out.win32k_trace = win32k_trace_.stop();
        grants_.clear();
        private_desktop_.close();
        pool_lease_.reset();
        return out;
    }
    std::error_code ec;
    ApiFailure failure;
    std::optional<std::uint32_t> code;
    TreeOutcome tree{child_.contained(), child_.containment_note(), 0};
    if (request_.timeout) {
        code = child_.wait_for(*request_.timeout, ec);
        if (!code && !ec) {
            out.timed_out = true;
            tree.ended = end_tree_at_timeout(child_, ec);
            code = child_.exit_code();
        }
    } else {
        code = child_.wait(ec);
    }
    // The child's own exit: what it left running in its job ends now, counted (not silently later
    // when the job's handle closes).
    if (!out.timed_out && code && tree.contained) {
        std::error_code tec;
        tree.ended = child_.end_tree(kTerminatedExitCode, tec);
    }
    out.tree = std::move(tree);
    out.runtime_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::steady_clock::now() - child_.started())
                                                    .count());
    out.exit_code = code;
    exited_.fire();  // wakes a sibling held for headroom now, not after the post-mortem
    if (win32k_trace_.requested()) out.win32k_trace = win32k_trace_.stop();  // the child is gone: all it logged is in
    if (code && !out.timed_out && worth_a_post_mortem(*code)) {
        // Post-mortem: the same facts again (with any grant still in place: what the child saw),
        // the Win32k events since the launch, and the canary on that desktop.
        // The child's own token when it could be read (no new LogonUserW for RunAsLogon).
        unique_handle predicted;
        if (!token_) predicted = target_token(request_, ec, &failure);
        const HANDLE token = token_ ? token_.get() : predicted.get();
        Snapshot pm = !token ? out.preflight.facts
                             : gather_launch_facts(request_, token,
                                                   out.preflight.facts.launcher
                                                       ? *out.preflight.facts.launcher
                                                       : gather_launcher_facts(request_, static_cast<bool>(token_),
                                                                               options_.connect),
                                                   options_);
        if (options_.read_events) {
            const auto window = std::chrono::seconds(out.runtime_ms / 1000 + 60);
            auto events = query_start_failure_events(window, ec, &failure);
            if (ec)
                pm.system.events_error = failure.describe();
            else
                pm.system.events = std::move(events);
        }
        if (explain_exit_code(*code).dll_init_failure) {
            std::error_code cec;
            pm.canary = run_canary(request_, options_, cec);
        }
        pm.exit = ExitFacts{*code, out.runtime_ms, had_console_, started_utc_};
        pm.exit->image = request_.program;  // event 26 names it
        if (out.error_mode) pm.exit->error_mode = out.error_mode->value;  // no popup, no event 26 when suppressed
        pm.win32k_trace = out.win32k_trace;  // R14: event 58 decides when present
        out.diagnosis = analyze(pm, options_.analysis).diagnosis;
        out.post_mortem = std::move(pm);
    }
    grants_.clear();  // the child is gone: take the grants back
    private_desktop_.close();  // and then its private desktop, if it had one
    pool_lease_.reset();       // or its pooled desktop's lease (the desktop stays for the next child)
    return out;
}

Outcome safe_launch_and_wait(const LaunchRequest& request, const SafeLaunchOptions& options) {
    return safe_launch(request, options).wait();
}

}  // namespace safelaunch::win32
