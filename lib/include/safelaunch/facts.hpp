// Facts: what the Win32 layer gathers, as plain data with no handles inside.
//
// Gather facts, then decide: lib/src/win32/ fills these structs; the portable core turns them
// into findings. A Snapshot serialises to JSON (safelaunch/json.hpp) so facts taken on a broken
// Windows machine can be analysed anywhere.
#pragma once

#include "safelaunch/finding.hpp"
#include "safelaunch/pe_imports.hpp"
#include "safelaunch/session_view.hpp"
#include "safelaunch/win32k_trace.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace safelaunch {

// SE_GROUP_* attribute bits as Windows defines them (winnt.h), for portable code.
namespace group_attr {
inline constexpr std::uint32_t kMandatory = 0x00000001;
inline constexpr std::uint32_t kEnabledByDefault = 0x00000002;
inline constexpr std::uint32_t kEnabled = 0x00000004;
inline constexpr std::uint32_t kOwner = 0x00000008;
inline constexpr std::uint32_t kUseForDenyOnly = 0x00000010;
inline constexpr std::uint32_t kIntegrity = 0x00000020;
inline constexpr std::uint32_t kIntegrityEnabled = 0x00000040;
inline constexpr std::uint32_t kResource = 0x20000000;
inline constexpr std::uint32_t kLogonId = 0xC0000000;
}  // namespace group_attr

struct GroupFacts {
    std::string sid;               // "S-1-5-32-544"
    std::string name;              // "BUILTIN\\Administrators" when the lookup worked, else ""
    std::uint32_t attributes = 0;  // group_attr bits
};

// The token that will run the child.
struct TokenFacts {
    std::string user_sid;
    std::string user_name;
    std::optional<std::string> logon_sid;     // S-1-5-5-X-Y; none for some service tokens
    std::vector<GroupFacts> groups;
    std::vector<GroupFacts> restricted_sids;  // non-empty: a restricted token (second access pass)
    std::string integrity_sid;                // S-1-16-8192 = medium
    std::uint32_t session_id = 0;
    std::uint64_t logon_luid = 0;             // AuthenticationId: names the Service-0x..$ station
    bool primary = true;                      // primary vs impersonation token
    std::string source;                       // "caller", "token-of-pid 1234", "logon DOMAIN\\user"
};

// What CreateProcessAsUserW asks of its caller, gathered when the child runs with a given token
// (RunAsToken). The privileges are read from the caller's effective token (its thread token when
// it impersonates, else its process token); "held" means present, enabled or not.
struct AsUserFacts {
    bool assign_primary_held = false;     // SeAssignPrimaryTokenPrivilege: needed unless the token
    bool assign_primary_enabled = false;  //   is assignable (derived from the caller's own token)
    bool increase_quota_held = false;     // SeIncreaseQuotaPrivilege: "typically" needed (docs)
    bool increase_quota_enabled = false;
    bool same_logon_session = false;      // the token's AuthenticationId is the caller's: false means
                                          //   it cannot be derived from the caller's own token
};

// One window station or desktop, as the child would connect to it.
struct UserObjectFacts {
    std::string name;                          // desktop: "Default"; station: "WinSta0"
    bool exists = false;                       // Open* succeeded (or the object is known to exist)
    // false: whether it exists could not be checked (a desktop whose station could not be
    // opened); `exists` is then false and means nothing.
    bool exists_known = true;
    std::optional<std::string> type;           // UOI_TYPE: "WindowStation" / "Desktop"
    std::optional<std::uint32_t> flags;        // UOI_FLAGS dwFlags (WSF_VISIBLE = 1 on stations)
    std::optional<std::string> sddl;           // GetSecurityInfo(SE_WINDOW_OBJECT): O, G, D, S (label) parts
    bool sd_present = true;                    // false: the object has no security descriptor (Wine)
    std::optional<std::uint32_t> heap_kb;      // UOI_HEAPSIZE (desktops, Vista+)
    std::optional<std::string> open_error;     // describe() of the failure when it could not be opened
    // Real AccessCheck of the target token against this object's SD, when it was performed.
    std::optional<std::uint32_t> access_granted;   // granted mask for the requested rights
    std::optional<std::uint32_t> access_requested;  // the rights asked for
    // AccessCheck(MAXIMUM_ALLOWED): every right the token gets, as user32's own open with
    // MAXIMUM_ALLOWED would; 0 = that open fails.
    std::optional<std::uint32_t> access_maximum;
};

// How lpDesktop resolves for this token, the way Windows resolves it at the child's first
// user32 call.
struct DesktopTargetFacts {
    std::optional<std::string> spec;    // lpDesktop as given; nullopt = NULL (inherit)
    std::string station;                // resolved station name ("Service-0x0-3e7$", "WinSta0")
    std::string desktop;                // resolved desktop name ("Default")
    std::string how;                    // "inherited", "hidden per-logon-session station", "named"
    UserObjectFacts station_facts;
    UserObjectFacts desktop_facts;
};

struct OsFacts {
    std::uint32_t major = 0, minor = 0, build = 0;
    bool x64 = true;
    std::string product;                          // "Windows 10 Pro", free text
    std::optional<std::string> wine_version;      // set when running under Wine
};

struct StationFacts {
    std::string name;
    bool interactive = false;                     // WSF_VISIBLE
    std::vector<std::string> desktops;
    // Parallel to desktops: UOI_HEAPSIZE per desktop, nullopt where it could not be read (a desktop
    // the caller may not open, such as WinSta0's Winlogon; every desktop under Wine).
    std::vector<std::optional<std::uint32_t>> desktop_heap_kb;
};

struct EventFacts {
    std::uint32_t id = 0;              // 243 / 244 (Win32k), 26 (Application Popup)
    std::string source;                // "Win32k"
    std::string time_utc;              // ISO 8601
    std::string message;
};

// The machine-wide hard-error mode: HKLM\SYSTEM\CurrentControlSet\Control\Windows, value
// ErrorMode (KB 128642). 0 (the default): hard errors wait for an answer; 1: errors from the
// system are logged and answered, others still pop up; 2: every hard error is logged to the System
// log ("Application Popup", event 26) and answered OK, no popup.
struct HardErrorModeFacts {
    std::optional<std::uint32_t> value;  // nullopt (and no error): the value is not set, which means 0
    std::optional<std::string> error;    // the read failed (not "not set"); value then says nothing
};

struct SystemFacts {
    OsFacts os;
    std::optional<std::string> subsystems_windows_value;  // the `Windows` REG_EXPAND_SZ
    std::optional<std::string> stray_shared_section_value;  // a `SharedSection` value beside it (ignored by csrss)
    std::vector<StationFacts> stations;                   // those the caller can enumerate
    std::optional<std::vector<EventFacts>> events;        // nullopt: could not be read
    std::optional<std::string> events_error;
    std::optional<HardErrorModeFacts> hard_error_mode;  // nullopt: not gathered (older snapshots)
};

// The child's end, for diagnosis.
struct ExitFacts {
    std::uint32_t exit_code = 0;       // GetExitCodeProcess
    std::uint64_t runtime_ms = 0;      // launch to exit
    bool had_console = true;           // false: restricted token child with no console to inherit
    std::string started_utc;           // ISO 8601; events before it are not this launch's
    std::string image{};               // the program it was started as (event 26 names its file)
    // The hard-error mode the child inherited at creation (safelaunch/error_mode.hpp); nullopt:
    // unknown or the system default. With SEM_FAILCRITICALERRORS set no popup and no event 26.
    std::optional<std::uint32_t> error_mode{};
};

// safelaunch-probe's exit codes (launcher/probe/safelaunch_probe.cpp; stable, only added to).
namespace probe_exit {
inline constexpr std::uint32_t kOk = 0;
inline constexpr std::uint32_t kUsage = 2;
inline constexpr std::uint32_t kNoDesktopName = 3;
inline constexpr std::uint32_t kRegisterClassFailed = 4;
inline constexpr std::uint32_t kHeapExhausted = 5;
inline constexpr std::uint32_t kHandleQuota = 6;  // the per-process USER handle quota, not the heap
}  // namespace probe_exit

// The canary (safelaunch-probe) run on the target desktop with the target token.
struct CanaryFacts {
    std::uint32_t exit_code = 0;        // 0: user32 initialised (and allocated, when asked)
    std::uint32_t alloc_kb = 0;         // desktop-heap objects it was asked to create and free
    bool allocated = false;             // it created them all
    std::string detail;                 // its one-line report
    // false: it could not be run (probe missing, CreateProcess* failed, timed out); exit_code
    // then says nothing about the desktop and `detail` says why.
    bool ran = true;
    std::optional<std::string> report{};  // the JSON line the probe printed, when it printed one
};

// The launching process and how the child's facts were had: whether the pre-flight looked at the
// child itself (its real token, read while it was suspended) or predicted it, and in which session.
struct LauncherFacts {
    std::uint32_t session_id = 0;      // ProcessIdToSessionId(GetCurrentProcessId())
    bool local_system = false;         // the launcher's own user is S-1-5-18
    std::string run_as = "caller";     // "caller", "token" (CreateProcessAsUserW), "logon" (...WithLogonW)
    bool token_is_childs = false;      // `token` was read from the suspended child (not a prediction)
    // UOI_USER_SID of the launcher's WinSta0 (the interactive logon SID): nullopt when it could not
    // be read (Wine: ERROR_INVALID_PARAMETER), "" when no user is associated with it.
    std::optional<std::string> interactive_user_sid;
    std::optional<std::string> interactive_user_sid_error;
    // OpenWindowStationW("WinSta0") failed in this process (not merely its UOI_USER_SID query):
    // describe() of that failure. nullopt: it opened, or it was not tried (older snapshots).
    std::optional<std::string> winsta0_open_error{};
};

// Will the child connect to a window station at start? Its program's static import closure
// (safelaunch/pe_imports.hpp), read from the file before the launch. A process connects at its
// first user32/gdi32 initialisation; one that never loads them at start cannot die of KB 184802's
// causes during DLL initialisation (safelaunch/connect_rules.hpp decides what that changes).
struct ProgramImportsFacts {
    std::string program;                    // the resolved path that was read
    std::string system_dir;                 // searched as System32 after the program's folder
    std::string machine;                    // machine_name(): "x64", "x86", "arm64"
    std::optional<ConnectVerdict> verdict;  // nullopt: not known, `error` says why
    std::string chain;                      // chain_text(): "worker.exe -> foo.dll -> USER32.dll"; "" for never
    std::vector<std::string> unresolved;    // DLLs found in neither folder: their imports were not followed
    std::vector<Finding> problems;          // pe.* findings of the closure (damaged tables, API sets, ...)
    std::optional<std::string> error;       // why the program could not be read as an image
    // The closure's DLLs found outside system_dir (beside the program): the files whose access
    // ProgramAccessFacts checks. Empty in snapshots from before it existed.
    std::vector<std::string> local_dlls{};
};

// One file the child's loader must open, checked with the child's token (issue 9 part 4;
// safelaunch/program_access.hpp decides).
struct FileAccessFacts {
    std::string path;
    std::string role;                      // "program", "folder" (the program's), "dll" (non-system, of the closure)
    std::uint32_t desired = 0;             // FILE_* rights asked for (program_access.hpp)
    std::optional<std::uint32_t> granted;  // AccessCheck: the rights of `desired` granted (0: none); nullopt: not checked
    std::optional<std::string> error;      // why it was not checked (security not readable, AccessCheck failed)
};

// Can the child's token open the program it runs? Its file, folder and non-system DLLs, and
// whether the program path is a reparse point (an App Execution Alias is IO_REPARSE_TAG_APPEXECLINK).
struct ProgramAccessFacts {
    std::string account;                         // the token checked: "DOMAIN\\user" or its SID
    std::vector<FileAccessFacts> files;
    std::optional<std::uint32_t> reparse_tag;    // set when the program path is a reparse point
    std::optional<std::string> reparse_error;    // its attributes could not be read
};

// This process's own connection to its window station and desktop (issue 12): safelaunch loads
// user32.dll only when a check needs it, and a failed load is evidence. LoadLibraryExW fails with
// 1114 ERROR_DLL_INIT_FAILED when user32's initialisation (the connection) fails: access denied
// to our own station or desktop, or its desktop heap full (KB 184802).
struct SelfConnectFacts {
    bool attempted = false;          // user32.dll was needed (and loaded, or tried) in this process
    bool connected = false;          // it loaded and every function it needs resolved
    std::uint32_t error = 0;         // Win32 code of the failure: 1114, 127 (ERROR_PROC_NOT_FOUND), ...
    std::string api;                 // "LoadLibraryExW(user32.dll)", "GetProcAddress(user32.dll!OpenDesktopW)"
    std::string failure;             // ApiFailure::describe() of the failure, "" when none
    std::string startup_desktop;     // GetStartupInfoW().lpDesktop (kernel32); "" = inherited
};

struct Snapshot {
    int schema = 1;
    std::string taken_utc;
    std::string host;
    TokenFacts token;
    DesktopTargetFacts target;
    SystemFacts system;
    std::optional<ExitFacts> exit;
    std::optional<CanaryFacts> canary;
    std::optional<AsUserFacts> as_user;  // RunAsToken launches only
    std::optional<LauncherFacts> launcher;  // nullopt in snapshots from before it existed

    // The program's import closure (issue 9): nullopt when not gathered (no program, or a
    // snapshot from before it existed).
    std::optional<ProgramImportsFacts> program_imports;
    std::optional<SelfConnectFacts> self_connect;  // nullopt in snapshots from before it existed
    // The child's session's view space (issue 8 part 3, safelaunch/session_view.hpp): nullopt when
    // not gathered (a snapshot from before it existed); known=false when it could not be read.
    std::optional<SessionViewFacts> session_view;
    // The child token's access to its program, folder and DLLs (issue 9 part 4): nullopt when
    // not gathered.
    std::optional<ProgramAccessFacts> program_access;
    // The Win32k ETW trace around the launch (issue 9 part 3, safelaunch/win32k_trace.hpp): nullopt
    // when not requested.
    std::optional<Win32kTraceFacts> win32k_trace;
};

}  // namespace safelaunch
