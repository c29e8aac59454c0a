// The options check, run and snapshot share: which desktop, which token, which program.
#pragma once

#include "cli.hpp"

#include "safelaunch/launch_request.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/safe_launch.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch::cli {

struct TargetOptions {
    std::optional<std::string> desktop;  // lpDesktop; absent = NULL (inherit)
    std::optional<std::string> private_desktop_kb;  // --private-desktop[=KB]: text, checked in make_request
    std::optional<std::string> pool;                // --pool NAME (with --private-desktop)
    std::optional<std::string> user, domain, password_env;
    std::optional<std::uint32_t> token_of_pid;
    bool canary = false;
    std::optional<std::uint32_t> canary_alloc_kb;
    std::optional<std::uint32_t> processes;
    bool json = false;
    std::vector<std::string> command;  // PROGRAM ARGS...
};

// Registers --desktop, --private-desktop[=KB], --pool, --user/--domain/--password-env, --token-of-pid, --canary, --alloc-kb,
// --processes, --json, and the trailing PROGRAM ARGS (after --).
void add_target_options(CLI::App* sub, TargetOptions& o, bool program_required);

// The launch request the options describe. For --token-of-pid, `token` receives a primary
// duplicate of that process's token with the access CreateProcessAsUserW requires
// (win32::open_token_of_pid); the request borrows it, `token` closes it. UsageError (exit 2, or
// 125 for run) naming the bad value otherwise.
[[nodiscard]] LaunchRequest make_request(const TargetOptions& o, win32::unique_handle& token);

[[nodiscard]] win32::SafeLaunchOptions make_safe_options(const TargetOptions& o);

}  // namespace safelaunch::cli
