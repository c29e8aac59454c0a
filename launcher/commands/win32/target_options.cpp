#include "target_options.hpp"

#include "safelaunch/desktop_spec.hpp"
#include "safelaunch/win32/token.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

namespace safelaunch::cli {
namespace {

// The variable's value as UTF-8 (boost::nowide::getenv needs the compiled Nowide library).
std::optional<std::string> environment_variable(const std::string& name) {
    const auto wname = boost::nowide::widen(name);
    std::wstring value(256, L'\0');
    for (;;) {
        SetLastError(ERROR_SUCCESS);
        const auto n = GetEnvironmentVariableW(wname.c_str(), value.data(), static_cast<DWORD>(value.size()));
        if (n == 0 && GetLastError() == ERROR_ENVVAR_NOT_FOUND) return std::nullopt;
        if (n < value.size()) {
            value.resize(n);
            return boost::nowide::narrow(value);
        }
        value.resize(n);
    }
}

// --private-desktop's KB: a whole number within the bounds, or a UsageError naming the value.
PrivateDesktopSpec private_desktop_spec(const std::string& text, const std::optional<std::string>& pool) {
    const bool digits = !text.empty() && text.size() <= 9 &&
                        text.find_first_not_of("0123456789") == std::string::npos;
    const auto kb = digits ? std::stoul(text) : 0ul;
    if (!digits || kb < kPrivateDesktopMinKb || kb > kPrivateDesktopMaxKb)
        throw UsageError{fmt::format("--private-desktop: '{}' is not a heap size in KB from {} to {}", text,
                                     kPrivateDesktopMinKb, kPrivateDesktopMaxKb)};
    if (pool && pool->empty()) throw UsageError{"--pool needs a name"};
    return PrivateDesktopSpec{static_cast<std::uint32_t>(kb), pool};
}

}  // namespace

void add_target_options(CLI::App* sub, TargetOptions& o, bool program_required) {
    sub->add_option("--desktop", o.desktop,
                    "lpDesktop for the child: \"\" (hidden per-logon-session station), Desk, or Station\\Desk; "
                    "absent: inherit ours");
    auto* desktop = sub->get_option("--desktop");
    auto* private_desktop =
        sub->add_option("--private-desktop", o.private_desktop_kb,
                        fmt::format("run the child on a window station and desktop of its own, made for this launch, "
                                    "with a heap of KB ({}..{}, default {}); give KB as --private-desktop=KB",
                                    kPrivateDesktopMinKb, kPrivateDesktopMaxKb, kPrivateDesktopDefaultKb))
            ->expected(0, 1)
            ->default_str(std::to_string(kPrivateDesktopDefaultKb));
    private_desktop->excludes(desktop);
    sub->add_option("--pool", o.pool, "with --private-desktop: take the desktop from this named pool")
        ->needs(private_desktop);
    auto* user = sub->add_option("--user", o.user, "run as this user (LogonUserW / CreateProcessWithLogonW)");
    sub->add_option("--domain", o.domain, "the user's domain (default: local account or UPN)")->needs(user);
    auto* pw = sub->add_option("--password-env", o.password_env, "name of the environment variable holding the password")
                   ->needs(user);
    user->needs(pw);
    auto* pid = sub->add_option("--token-of-pid", o.token_of_pid, "run with the primary token of this process")
                    ->check(CLI::Range(1u, 0xFFFFFFFFu));
    pid->excludes(user);
    sub->add_flag("--canary", o.canary, "also start safelaunch-probe on the target desktop as the target token");
    sub->add_option("--alloc-kb", o.canary_alloc_kb, "with --canary: desktop-heap objects the probe creates and frees (KB)")
        ->check(CLI::Range(1u, 0xFFFFFFFFu))
        ->check(CLI::Validator(
            [](const std::string& text) {
                // Above this the probe's USER handle quota, not the desktop heap, would stop it.
                return std::stoull(text) > kCanaryMaxAllocKb
                           ? fmt::format("{} KB is more than the canary can allocate: at most {} KB (its USER handle "
                                         "quota of {} windows x ~{} bytes each)",
                                         text, kCanaryMaxAllocKb, kUserHandleQuota, kSmallWindowBytes)
                           : std::string();
            },
            fmt::format("KB <= {}", kCanaryMaxAllocKb)));
    sub->add_option("--processes", o.processes, "processes expected on the target desktop at once (heap check)")
        ->check(CLI::Range(1u, 1000000u));
    sub->add_flag("--json", o.json, "print JSON");
    auto* cmd = sub->add_option("PROGRAM", o.command, "the program and its arguments, after --");
    if (program_required) cmd->required();
}

LaunchRequest make_request(const TargetOptions& o, win32::unique_handle& token) {
    LaunchRequest r;
    if (!o.command.empty()) {
        r.program = o.command.front();
        r.args.assign(o.command.begin() + 1, o.command.end());
    }
    if (o.desktop) {
        // A spec Windows cannot connect to is bad input here; the library reports it as the
        // finding desktop.spec.invalid to callers that build requests themselves.
        if (*o.desktop == "--") throw UsageError{"--desktop needs a value (\"\" for the hidden station)"};
        const auto spec = parse_desktop_spec(std::string_view(*o.desktop));
        if (!spec) throw UsageError{fmt::format("--desktop: {}", spec.problem().message)};
    }
    r.desktop = o.desktop;
    if (o.private_desktop_kb) r.private_desktop = private_desktop_spec(*o.private_desktop_kb, o.pool);
    r.check = o.canary ? CheckPolicy::canary : CheckPolicy::fast;
    if (o.user) {
        const auto pw = environment_variable(*o.password_env);
        if (!pw) throw UsageError{fmt::format("--password-env: environment variable '{}' is not set", *o.password_env)};
        r.run_as = RunAsLogon{*o.user, o.domain.value_or(""), *pw, 0};
    } else if (o.token_of_pid) {
        std::error_code ec;
        ApiFailure failure;
        // A primary duplicate with TOKEN_ASSIGN_PRIMARY: the process's own token handle would be
        // refused by CreateProcessAsUserW on Windows (ERROR_ACCESS_DENIED).
        token = win32::open_token_of_pid(*o.token_of_pid, ec, &failure);
        if (ec) throw UsageError{fmt::format("--token-of-pid {}: {}", *o.token_of_pid, failure.describe())};
        r.run_as = RunAsToken{reinterpret_cast<std::uintptr_t>(token.get())};
    }
    return r;
}

win32::SafeLaunchOptions make_safe_options(const TargetOptions& o) {
    win32::SafeLaunchOptions s;
    s.analysis.expected_processes = o.processes;
    s.canary_alloc_kb = o.canary_alloc_kb.value_or(0);
    return s;
}

}  // namespace safelaunch::cli
