// The safe launch call: gather, decide (portable analyze()), grant, launch, wait, diagnose.
#include "safelaunch/win32/safe_launch.hpp"

#include "safelaunch/desktop_spec.hpp"
#include "safelaunch/exit_code.hpp"
#include "safelaunch/utc_time.hpp"
#include "safelaunch/win32/grant_journal.hpp"
#include "safelaunch/win32/security.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "safelaunch/win32/token.hpp"
#include "safelaunch/win32/user_object.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <ctime>
#include <variant>

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

Snapshot gather_launch_facts(const LaunchRequest& request, HANDLE token, const SafeLaunchOptions&) {
    Snapshot s;
    s.taken_utc = utc_now();
    s.host = computer_name();
    std::error_code ec;
    ApiFailure failure;
    s.token = gather_token_facts(token, ec, &failure);
    s.token.source = std::holds_alternative<RunAsToken>(request.run_as)  ? "the request's token"
                     : std::holds_alternative<RunAsLogon>(request.run_as) ? "LogonUserW for the request's user"
                                                                           : "caller";
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

    s.target.spec = request.desktop;
    const auto spec = parse_desktop_spec(request.desktop ? std::optional<std::string_view>(*request.desktop)
                                                          : std::nullopt);
    if (!spec) return s;  // the analysis reports desktop.spec.invalid
    ResolveContext ctx;
    if (auto name = process_window_station_name(ec); !ec) ctx.parent_station = name;
    if (auto name = thread_desktop_name(ec); !ec) ctx.parent_desktop = name;
    ctx.logon_luid = s.token.logon_luid;
    ctx.interactive_session = in_interactive_session(s.token);
    const auto resolved = resolve_desktop(spec.value(), ctx);
    s.target.station = resolved.station;
    s.target.desktop = resolved.desktop;
    s.target.how = std::string(to_string(resolved.how));
    s.target.station_facts = gather_window_station_facts(resolved.station, AccessQuery{token, kStationRightsNeeded});
    s.target.desktop_facts =
        gather_desktop_facts(resolved.station, resolved.desktop, AccessQuery{token, kDesktopRightsNeeded});
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

}  // namespace

CanaryFacts run_canary(const LaunchRequest& request, const SafeLaunchOptions& options, std::error_code& ec,
                       ApiFailure* failure) {
    ec.clear();
    LaunchRequest probe;
    probe.program = options.probe_path.empty() ? module_dir() + "safelaunch-probe.exe" : options.probe_path;
    if (options.canary_alloc_kb) probe.args = {"--alloc-kb", std::to_string(options.canary_alloc_kb)};
    probe.desktop = request.desktop;
    probe.run_as = request.run_as;
    const ProbeReportFile report;
    if (report.valid()) {
        probe.stdio.out.kind = StdStream::Kind::file;
        probe.stdio.out.path = report.path();
    } else {
        probe.stdio.out.kind = StdStream::Kind::null;  // no temporary file: only the exit code then
    }
    probe.stdio.err.kind = StdStream::Kind::null;
    LaunchFailure lf;
    auto child = launch_process(probe, ec, &lf);
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

Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options, std::error_code& ec,
                    ApiFailure* failure) {
    ec.clear();
    Preflight p;
    if (request.check == CheckPolicy::none) return p;
    const auto token = target_token(request, ec, failure);
    if (ec) return p;
    p.facts = gather_launch_facts(request, token.get(), options);
    if (request.check == CheckPolicy::canary) {
        std::error_code cec;
        ApiFailure cf;
        p.facts.canary = run_canary(request, options, cec, &cf);
        if (!p.facts.canary) p.facts.canary = CanaryFacts{0xFFFFFFFFu, 0, false, "canary not run: " + cf.describe()};
    }
    p.analysis = analyze(p.facts, options.analysis);
    return p;
}

Preflight preflight(const LaunchRequest& request, const SafeLaunchOptions& options) {
    std::error_code ec;
    ApiFailure failure;
    auto p = preflight(request, options, ec, &failure);
    if (ec) throw Error(failure);
    return p;
}

namespace {

// Grants the token's logon SID the needed rights on each object the analysis found lacking.
bool grant_missing(const Preflight& p, std::vector<ScopedGrant>& grants, Outcome& out) {
    const auto& facts = p.facts;
    if (!facts.token.logon_sid) {
        out.failure = ApiFailure{"grant", "the target token", make_win32_error(ERROR_INVALID_SID)};
        return false;
    }
    const auto& sid = *facts.token.logon_sid;
    for (const auto& a : p.analysis.access) {
        if (a.ok) continue;
        std::error_code ec;
        ApiFailure failure;
        const bool is_desktop = a.object.rfind("desktop ", 0) == 0;
        auto station = open_window_station(facts.target.station,
                                           is_desktop ? WINSTA_READATTRIBUTES : READ_CONTROL | WRITE_DAC, ec, &failure);
        if (!ec) {
            const auto name = is_desktop ? fmt::format("{}\\{}", facts.target.station, facts.target.desktop)
                                         : facts.target.station;
            GrantRequest req{name, sid, is_desktop ? kDesktopRightsNeeded : kStationRightsNeeded, false};
            if (is_desktop) {
                auto desk = open_desktop(station.get(), facts.target.desktop, READ_CONTROL | WRITE_DAC, ec, &failure);
                if (!ec) grants.push_back(grant_access(desk.get(), req, ec, &failure));
            } else {
                grants.push_back(grant_access(station.get(), req, ec, &failure));
            }
            if (!ec)
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

SafeChild safe_launch(const LaunchRequest& request, const SafeLaunchOptions& options) {
    SafeChild sc;
    sc.request_ = request;
    sc.options_ = options;
    auto& out = sc.outcome_;
    if (options.grant || options.repair_stale_grants) {
        // Grants whose launcher died (killed, crashed) are taken back first.
        std::error_code rec;
        (void)repair_stale_grants(rec);
    }
    std::error_code ec;
    ApiFailure failure;
    out.preflight = preflight(request, options, ec, &failure);
    if (ec) {
        out.not_started = NotStartedReason::token_failed;
        out.failure = failure;
        return sc;
    }
    // Missing rights are a warning since M3 (only "granted nothing" blocks): --grant adds them anyway.
    if (options.grant && std::any_of(out.preflight.analysis.access.begin(), out.preflight.analysis.access.end(),
                                     [](const AccessCheckFacts& a) { return !a.ok; })) {
        if (!grant_missing(out.preflight, sc.grants_, out)) {
            out.not_started = NotStartedReason::grant_failed;
            sc.grants_.clear();  // reverts any grant already made
            return sc;
        }
        out.preflight = preflight(request, options, ec, &failure);  // the verdict with the grants in place
    }
    if (out.preflight.analysis.verdict == Verdict::blocked && request.on_blocking == OnBlocking::refuse) {
        out.not_started = NotStartedReason::refused;
        sc.grants_.clear();
        return sc;
    }
    LaunchFailure lf;
    sc.started_utc_ = utc_now();
    sc.child_ = launch_process(request, ec, &lf);
    if (!sc.child_.valid()) {
        out.not_started = NotStartedReason::launch_failed;
        out.launch_failure = lf;
        sc.grants_.clear();
    }
    return sc;
}

Outcome SafeChild::wait() {
    auto out = std::move(outcome_);
    outcome_ = {};
    if (!child_.valid()) {
        grants_.clear();
        return out;
    }
    std::error_code ec;
    ApiFailure failure;
    std::optional<std::uint32_t> code;
    if (request_.timeout) {
        code = child_.wait_for(*request_.timeout, ec);
        if (!code && !ec) {
            child_.terminate(kTerminatedExitCode, ec);
            out.timed_out = true;
            code = child_.exit_code();
        }
    } else {
        code = child_.wait(ec);
    }
    out.runtime_ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    std::chrono::steady_clock::now() - child_.started())
                                                    .count());
    out.exit_code = code;
    if (code && !out.timed_out && worth_a_post_mortem(*code)) {
        // Post-mortem: the same facts again (with any grant still in place: what the child saw),
        // the Win32k events since the launch, and the canary on that desktop.
        const auto token = target_token(request_, ec, &failure);
        Snapshot pm = ec ? out.preflight.facts : gather_launch_facts(request_, token.get(), options_);
        if (options_.read_events) {
            const auto window = std::chrono::seconds(out.runtime_ms / 1000 + 60);
            auto events = query_desktop_heap_events(window, ec, &failure);
            if (ec)
                pm.system.events_error = failure.describe();
            else
                pm.system.events = std::move(events);
        }
        if (explain_exit_code(*code).dll_init_failure) {
            std::error_code cec;
            pm.canary = run_canary(request_, options_, cec);
        }
        pm.exit = ExitFacts{*code, out.runtime_ms, true, started_utc_};
        out.diagnosis = analyze(pm, options_.analysis).diagnosis;
        out.post_mortem = std::move(pm);
    }
    grants_.clear();  // the child is gone: take the grants back
    return out;
}

Outcome safe_launch_and_wait(const LaunchRequest& request, const SafeLaunchOptions& options) {
    return safe_launch(request, options).wait();
}

}  // namespace safelaunch::win32
