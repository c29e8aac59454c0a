// What to launch and how: plain data, portable (the Win32 launcher turns it into a CreateProcess*
// call; the CLI fills it from its arguments; the decision core reads it).
#pragma once

#include "safelaunch/error.hpp"
#include "safelaunch/private_desktop.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace safelaunch {

struct EnvironmentSpec {
    // true: start from the parent's environment; false: start empty (set is then the full block).
    bool inherit = true;
    std::vector<std::pair<std::string, std::string>> set;  // added or replaced (names case-insensitive)
    std::vector<std::string> unset;                        // removed; applied before set
};

struct StdStream {
    enum class Kind { inherit, null, file };
    Kind kind = Kind::inherit;
    std::string path;     // Kind::file: read for stdin, written for stdout/stderr
    bool append = false;  // Kind::file on stdout/stderr: append instead of truncating
};

struct StdioSpec {
    StdStream in, out, err;
};

// Who runs the child.
struct RunAsCaller {};
struct RunAsToken {
    std::uintptr_t handle = 0;  // a primary token HANDLE, borrowed (the caller keeps and closes it)
};
struct RunAsLogon {
    std::string user, domain, password;
    std::uint32_t logon_flags = 0;  // CreateProcessWithLogonW dwLogonFlags (LOGON_WITH_PROFILE = 1)
};
using RunAs = std::variant<RunAsCaller, RunAsToken, RunAsLogon>;

// How much checking happens before the launch (done by the orchestration, not the launcher).
enum class CheckPolicy { none, fast, canary };
// What a blocking finding does to the launch.
enum class OnBlocking { refuse, warn };
// The hard-error mode the child gets (safelaunch/error_mode.hpp has the why):
//   suppress        its mode has SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX |
//                   SEM_NOOPENFILEERRORBOX ORed in (0x8003), inherited from the launcher, which
//                   holds that mode around CreateProcess* under a process-wide lock and restores
//                   it; a child that dies at start then exits at once instead of waiting on a popup
//   inherit         the launcher's own mode, whatever it is
//   system_default  CREATE_DEFAULT_ERROR_MODE: the system's default mode, popups shown
enum class ErrorUi { suppress, inherit, system_default };

// The error mode a child was given, for the launch report.
struct ChildErrorMode {
    ErrorUi policy = ErrorUi::suppress;
    std::optional<std::uint32_t> value;  // the mode it inherited; nullopt: the system default (not known here)
    std::string how;                     // one phrase: how it got it
};

struct LaunchRequest {
    std::string program;            // a path, or a bare name searched the way CreateProcess does
    std::vector<std::string> args;  // argv[1..]; quoted by safelaunch/command_line.hpp rules
    EnvironmentSpec environment;
    std::optional<std::string> working_directory;  // nullopt: the parent's
    StdioSpec stdio;
    std::uint32_t creation_flags = 0;              // CREATE_* flags OR-ed into the launcher's own
    std::optional<std::string> desktop;            // lpDesktop; nullopt = NULL (inherit the parent's)
    // Set: the child runs on a desktop made for it (safelaunch/private_desktop.hpp); `desktop`
    // must then be nullopt (placement_problem() says so otherwise).
    std::optional<PrivateDesktopSpec> private_desktop;
    RunAs run_as = RunAsCaller{};
    CheckPolicy check = CheckPolicy::fast;
    OnBlocking on_blocking = OnBlocking::refuse;
    std::optional<std::chrono::milliseconds> timeout;  // nullopt: wait forever
    ErrorUi error_ui = ErrorUi::suppress;              // never a hard-error popup unless asked
    // A Job object with JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE holds the child and everything it
    // starts: a timeout, a terminate, Ctrl+C or the launcher's own death ends the whole tree, and
    // no orphaned conhost.exe piles up. false: the child's descendants may outlive the launcher.
    bool contain_tree = true;
};

// Why a launch did not produce a process. The CLI maps these to shell-style exit codes.
enum class LaunchFailureKind {
    not_found,      // the program could not be found (exit 127)
    not_startable,  // found, but the process could not be created (exit 126)
};

struct LaunchFailure {
    LaunchFailureKind kind = LaunchFailureKind::not_startable;
    ApiFailure failure;  // the API that failed, on what, with its code
};

[[nodiscard]] constexpr int tool_exit_code(LaunchFailureKind kind) noexcept {
    return kind == LaunchFailureKind::not_found ? 127 : 126;
}

[[nodiscard]] constexpr std::string_view to_string(LaunchFailureKind kind) noexcept {
    return kind == LaunchFailureKind::not_found ? "not_found" : "not_startable";
}

}  // namespace safelaunch
