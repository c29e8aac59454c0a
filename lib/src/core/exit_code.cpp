#include "safelaunch/exit_code.hpp"

#include "safelaunch/error.hpp"

#include "ascii.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace safelaunch {
namespace {

using ascii::is_digit;
using ascii::lower;
using ascii::hex_value;


// A catalogue entry. Fixed-size lists keep the table constexpr; empty slots are skipped.
struct Entry {
    std::uint32_t code;
    std::string_view name;
    bool dll_init;
    bool desktop;
    std::string_view summary;
    std::array<std::string_view, 6> causes;
    std::array<std::string_view, 5> remedies;
};

// Sources for the meanings (names and values are those of ntstatus.h / winerror.h):
//  - Microsoft KB 184802 "User32.dll or Kernel32.dll does not initialize": 128 / 0xC0000142 and
//    its two causes (station/desktop access, desktop heap).
//  - Microsoft "What is up with 'The application failed to initialize properly (0xc0000142)'"
//    (learn.microsoft.com/archive/blogs/winsdk): GetExitCodeProcess returns 128 for it.
//  - Raymond Chen, "STATUS_STACK_BUFFER_OVERRUN doesn't mean that there was a stack buffer
//    overrun" (devblogs.microsoft.com/oldnewthing/?p=100655) and Microsoft "Fail Fast Exception
//    C0000409" (learn.microsoft.com/shows/inside/c0000409): 0xC0000409 is every fail-fast.
//  - Visual C++ "Delay load exceptions" (VcppException(ERROR_SEVERITY_ERROR,
//    ERROR_MOD_NOT_FOUND) = 0xC06D007E, ERROR_PROC_NOT_FOUND = 0xC06D007F).
//  - dotnet/coreclr corexcep.h: EXCEPTION_COMPLUS 0xE0434352 ('CCR'), EXCEPTION_MSVC 0xE06D7363.
//  - ntstatus.h: STATUS_DLL_INIT_FAILED_LOGOFF 0xC000026B "{DLL Initialization Failed} The application
//    failed to initialize because the window station is shutting down" (Win32 form
//    ERROR_DLL_INIT_FAILED_LOGOFF, 624).
//  - ntstatus.h: DBG_TERMINATE_PROCESS 0x40010004 "Debugger terminated process",
//    STATUS_POSSIBLE_DEADLOCK 0xC0000194, STATUS_MISSING_SYSTEMFILE 0xC0000143.
constexpr std::array kCatalogue = {
    Entry{0, "EXIT_SUCCESS", false, false,
          "The child exited normally (exit code 0).",
          {"The program finished and reported success."},
          {"Nothing to do."}},
    Entry{1, "EXIT_FAILURE", false, false,
          "An ordinary failure exit chosen by the program, not a Windows status.",
          {"The program reported a failure of its own (exit(1), return 1 from main).",
           "taskkill /F and Task Manager end a process with TerminateProcess(..., 1)."},
          {"Read the program's own output or log for its error message.",
           "Check whether something terminated it (taskkill, a job object, a watchdog)."}},
    Entry{kErrorWaitNoChildren, "ERROR_WAIT_NO_CHILDREN", true, true,
          "On NT4/2000/XP/2003 the exit code of a process whose user32.dll or kernel32.dll could not "
          "initialise (KB 184802); on Vista and later that failure exits 0xC0000142 and 128 is usually "
          "the program's own exit code.",
          {"The child's token lacks access to the window station or desktop it was started on (KB 184802 cause 1).",
           "The desktop heap of that desktop is exhausted (KB 184802 cause 2; Win32k event 243 on newer systems).",
           "The named window station or desktop does not exist.",
           "The program itself returned 128 (on Vista and later this is the likelier reading)."},
          {"Run the safelaunch diagnosis with the target token and desktop to tell the causes apart.",
           "Grant the child's user or logon SID the window station and desktop rights it needs.",
           "Raise the SharedSection desktop heap value for the desktop's kind and reboot.",
           "On Vista and later, check the program's own documentation for exit code 128."}},
    Entry{kStatusDllInitFailed, "STATUS_DLL_INIT_FAILED", true, true,
          "A DLL's initialisation failed while the process was starting, usually user32.dll "
          "connecting to its window station and desktop (KB 184802).",
          {"The child's token lacks access to the window station or desktop it connects to (KB 184802 cause 1).",
           "The desktop heap of that desktop is exhausted (KB 184802 cause 2; Win32k event 243).",
           "A new desktop could not be created because desktop heap space ran out (Win32k event 244).",
           "The window station or desktop named in lpDesktop does not exist.",
           "A restricted-token child had no console to inherit and could not create one.",
           "Some other DLL's DllMain returned FALSE for reasons of its own."},
          {"Run the safelaunch diagnosis with the target token and desktop to tell the causes apart.",
           "Grant the child's user or logon SID the window station and desktop rights it needs.",
           "Raise the SharedSection desktop heap value (third value for services' non-interactive desktops) and reboot.",
           "Fix lpDesktop (\"Station\\\\Desktop\", backslash) or create the desktop before the launch.",
           "If the desktop is ruled out, find the failing DLL with loader snaps (gflags -i <exe> +sls) under a debugger."}},
    // Both flags false: the name says "DLL init failed", but the cause is already known (the window
    // station is shutting down), not one of KB 184802's two (access, desktop heap). The flags steer
    // the diagnosis to rank those two and run the canary, which would mislead here.
    Entry{kStatusDllInitFailedLogoff, "STATUS_DLL_INIT_FAILED_LOGOFF", false, false,
          "The process started while its window station was shutting down (logoff, shutdown, session "
          "end); win32k refused user32.dll's connection and ended the process with it.",
          {"The user logged off, or the session was ended or disconnected and reset, while the program was starting.",
           "The system was shutting down or restarting while the program was starting.",
           "A service or scheduled task started a program on the window station of a session that was being torn down."},
          {"Nothing is wrong with the program, its access or the desktop heap: start it again once the session or system is up.",
           "Do not start programs from logoff or shutdown scripts or handlers that run while the station closes.",
           "Check the System log for a logoff or shutdown at the failure time (User32 event 1074 names who started a shutdown)."}},
    Entry{0xC0000143, "STATUS_MISSING_SYSTEMFILE", false, false,
          "A required system file is bad or missing; not a window station or desktop problem.",
          {"A system DLL is corrupt or was removed.", "A broken update or disk error damaged system files."},
          {"Run sfc /scannow, then DISM /Online /Cleanup-Image /RestoreHealth.",
           "Check the System event log for disk errors."}},
    Entry{0xC0000135, "STATUS_DLL_NOT_FOUND", false, false,
          "The loader could not find a DLL the program imports; the program never ran.",
          {"A runtime is not installed (Visual C++ Redistributable, UCRT on old systems).",
           "A private DLL is not beside the executable or on the PATH of the account that runs it.",
           "A service or scheduled task runs with a different PATH or working directory than a logged-on user."},
          {"Install the missing runtime (both x86 and x64 Visual C++ Redistributables if unsure).",
           "Put the program's DLLs in the executable's folder.",
           "Find the missing name with loader snaps (gflags -i <exe> +sls) or a dependency viewer."}},
    Entry{0xC0000139, "STATUS_ENTRYPOINT_NOT_FOUND", false, false,
          "An imported DLL was found but lacks a function the program needs; the program never ran.",
          {"An older copy of the DLL is found first on the search path.",
           "The program needs a newer Windows version than the one it runs on."},
          {"Check which copy of the DLL is loaded (loader snaps, Process Monitor) and remove stale copies from PATH.",
           "Install the runtime or Windows update the program requires."}},
    Entry{0xC0000138, "STATUS_ORDINAL_NOT_FOUND", false, false,
          "An imported DLL lacks a function the program imports by ordinal; the program never ran.",
          {"A different version of the DLL is found first on the search path."},
          {"Check which copy of the DLL is loaded and remove stale copies from PATH."}},
    Entry{0xC000007B, "STATUS_INVALID_IMAGE_FORMAT", false, false,
          "The executable or a DLL it loads is not a valid image for this process (usually a 32/64-bit mix).",
          {"A 64-bit program found a 32-bit DLL of the same name first on the search path, or the reverse.",
           "A DLL is corrupt or truncated."},
          {"Check the bitness of every DLL found on the search path (dumpbin /headers) and fix PATH or the install.",
           "Reinstall the program or runtime that owns the DLL."}},
    Entry{0xC0000022, "STATUS_ACCESS_DENIED", false, false,
          "The process was denied access to a file or object it needed while starting; not the desktop.",
          {"The account cannot read or execute the program's folder or one of its DLLs.",
           "Antivirus, AppLocker or Software Restriction Policies blocked a file."},
          {"Grant the account Read & execute on the program's folder and DLLs.",
           "Check the AppLocker and antivirus logs for a block at the failure time."}},
    Entry{0xC0000005, "STATUS_ACCESS_VIOLATION", false, false,
          "The program crashed: it read, wrote or executed memory it could not access.",
          {"A bug in the program or a DLL loaded into it (injected hooks, plugins).",
           "Rarely, code that does not check a failed CreateWindow/GetDC under desktop heap pressure uses the NULL result."},
          {"Collect a crash dump (WER LocalDumps) and open it in a debugger.",
           "Check the Application event log (event 1000) for the faulting module."}},
    Entry{0xC0000409, "STATUS_STACK_BUFFER_OVERRUN", false, false,
          "A fail-fast: the program ended itself at once (/GS cookie check, abort(), std::terminate, an "
          "invalid CRT argument); despite the name, usually not a buffer overrun.",
          {"abort() or std::terminate (an unhandled C++ exception) in an MSVC-built program (FAST_FAIL_FATAL_APP_EXIT).",
           "The C runtime's invalid-parameter handler (FAST_FAIL_INVALID_ARG).",
           "A corrupted stack cookie or list entry detected by a security check."},
          {"Collect a crash dump (WER LocalDumps); the first exception parameter is the fast-fail sub-code.",
           "Check the program's own log for an unhandled exception or assertion."}},
    Entry{0xC000001D, "STATUS_ILLEGAL_INSTRUCTION", false, false,
          "The CPU met an instruction it cannot execute.",
          {"The program was built for newer CPU features (AVX, AVX2, AVX-512) than this CPU or VM exposes.",
           "A deliberate trap (ud2, __builtin_trap) in a program built with GCC or Clang.",
           "Corrupted code in memory."},
          {"Check the CPU features the VM exposes against the build's target architecture.",
           "Use a build for the baseline instruction set, or collect a crash dump to see the instruction."}},
    Entry{0xC0000017, "STATUS_NO_MEMORY", false, false,
          "Not enough virtual memory or commit (page file) for the process; not the desktop heap.",
          {"The system commit limit is reached (page file too small, a leak elsewhere).",
           "A job object or the process's own limits cap its memory."},
          {"Check commit charge against the commit limit; enlarge the page file or find the leak.",
           "Check job object memory limits set by the launcher or a service host."}},
    Entry{0xC00000FD, "STATUS_STACK_OVERFLOW", false, false,
          "The program used up its thread stack.",
          {"Unbounded or very deep recursion.", "Large arrays on the stack, or a thread created with a small stack."},
          {"Collect a crash dump and read the repeating frames.", "Raise the stack reserve (/STACK) if the depth is legitimate."}},
    Entry{0xC0000374, "STATUS_HEAP_CORRUPTION", false, false,
          "The process heap (not the desktop heap) detected corruption and ended the process.",
          {"A double free, a write past a heap block, or use after free.",
           "Memory freed by a different C runtime than the one that allocated it."},
          {"Reproduce with full page heap (gflags /p /enable <exe> /full) or AddressSanitizer.",
           "Collect a crash dump and inspect the heap block."}},
    Entry{0xC000013A, "STATUS_CONTROL_C_EXIT", false, false,
          "The process ended on Ctrl+C, Ctrl+Break or its console being closed; not a crash.",
          {"Ctrl+C reached the whole console process group (the child shares the parent's console).",
           "The console window was closed or the user logged off."},
          {"Start the child with CREATE_NEW_PROCESS_GROUP (or its own console) if it must survive the parent's Ctrl+C."}},
    Entry{0x40010004, "DBG_TERMINATE_PROCESS", false, false,
          "A debugger terminated the process.",
          {"A debugger or monitoring tool attached to the process ended the debug session by killing it."},
          {"Check for debuggers, Image File Execution Options 'Debugger' values or crash tools attached to the program."}},
    Entry{0xC0000194, "STATUS_POSSIBLE_DEADLOCK", false, false,
          "A critical section wait timed out and the process was ended as a possible deadlock.",
          {"A deadlock on a lock, often the loader lock taken in a DllMain.",
           "A lowered critical-section timeout (Application Verifier, debug settings) made a long wait fatal."},
          {"Collect a crash dump and find the owner of the lock (!locks / !cs).",
           "Remove Application Verifier or CriticalSectionTimeout settings if they were left on."}},
    Entry{0xC06D007E, "VcppException(ERROR_MOD_NOT_FOUND)", false, false,
          "A delay-loaded DLL could not be found when first used; the MSVC delay-load helper raised it.",
          {"A DLL linked with /DELAYLOAD is missing from the search path of the account that runs the program."},
          {"Put the DLL beside the executable or install the component that provides it.",
           "Find its name with loader snaps or a crash dump (the exception's DelayLoadInfo names it)."}},
    Entry{0xC06D007F, "VcppException(ERROR_PROC_NOT_FOUND)", false, false,
          "A delay-loaded DLL lacks a function the program needs; the MSVC delay-load helper raised it.",
          {"An older copy of a /DELAYLOAD DLL is found first on the search path."},
          {"Check which copy of the DLL is loaded and remove stale copies from PATH."}},
    Entry{0xE0434352, "EXCEPTION_COMPLUS", false, false,
          "An unhandled .NET exception ended the process (the CLR's own exception code, 'CCR').",
          {"The managed program threw an exception nothing caught (a missing file, a configuration error, ...)."},
          {"Read the .NET Runtime event 1026 in the Application log: it holds the exception and stack.",
           "Add an AppDomain.UnhandledException handler that logs before the process ends."}},
    Entry{0xE06D7363, "EXCEPTION_MSVC", false, false,
          "An unhandled Microsoft C++ exception ('msc') ended the process.",
          {"A C++ exception escaped main or a thread function and no handler caught it."},
          {"Collect a crash dump; the exception record holds the thrown type.",
           "Catch and log exceptions at the top of main and every thread function."}},
    Entry{0xC0000417, "STATUS_INVALID_CRUNTIME_PARAMETER", false, false,
          "The C runtime's invalid-parameter handler ended the process (older CRTs; newer ones fail fast with 0xC0000409).",
          {"A CRT function got an invalid argument (NULL format string, bad file descriptor, out-of-range buffer size)."},
          {"Collect a crash dump and read the stack at _invalid_parameter.",
           "Install an _set_invalid_parameter_handler that logs the expression in debug builds."}},
    Entry{0xC0000018, "STATUS_CONFLICTING_ADDRESSES", false, false,
          "An address range the process needed was already in use.",
          {"An image without relocations could not load at its fixed base address.",
           "Injected DLLs or address-space layout left no room for a required fixed mapping."},
          {"Rebuild the image with relocations (no /FIXED), or remove injected modules and retry."}},
    Entry{0x80000003, "STATUS_BREAKPOINT", false, false,
          "A hard-coded breakpoint (__debugbreak, DebugBreak, int 3) was hit with no debugger attached.",
          {"A debug build's assertion or a deliberate breakpoint in the program."},
          {"Run a release build, or attach a debugger to see the assertion."}},
    Entry{259, "STILL_ACTIVE", false, false,
          "STILL_ACTIVE: the process had not exited when its exit code was read (or chose 259 itself).",
          {"GetExitCodeProcess was called before the process ended."},
          {"Wait for the process handle before reading the exit code."}},
};

// Names that mean a catalogued code too (winnt.h / C runtime spellings).
struct Alias {
    std::string_view name;
    std::uint32_t code;
};
constexpr std::array kAliases = {
    Alias{"ERROR_SUCCESS", 0},
    Alias{"STATUS_SUCCESS", 0},
    Alias{"STATUS_PENDING", 259},
    Alias{"EXCEPTION_ACCESS_VIOLATION", 0xC0000005},
    Alias{"EXCEPTION_STACK_OVERFLOW", 0xC00000FD},
    Alias{"EXCEPTION_ILLEGAL_INSTRUCTION", 0xC000001D},
    Alias{"EXCEPTION_BREAKPOINT", 0x80000003},
    Alias{"CONTROL_C_EXIT", 0xC000013A},
};

const Entry* find_entry(std::uint32_t code) noexcept {
    const auto it = std::find_if(kCatalogue.begin(), kCatalogue.end(), [&](const Entry& e) { return e.code == code; });
    return it == kCatalogue.end() ? nullptr : &*it;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::optional<std::uint32_t> code_for_name(std::string_view name) noexcept {
    for (const auto& e : kCatalogue)
        if (iequals(e.name, name)) return e.code;
    for (const auto& a : kAliases)
        if (iequals(a.name, name)) return a.code;
    return std::nullopt;
}

constexpr bool is_ident_start(char c) noexcept { return (lower(c) >= 'a' && lower(c) <= 'z') || c == '_'; }
constexpr bool is_ident(char c) noexcept { return is_ident_start(c) || is_digit(c); }

// The value as the user wrote it, bounded and with control characters shown as '?', so a reason
// stays one line whatever was pasted.
std::string bounded_quote(std::string_view text) {
    constexpr std::size_t kMax = 40;
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out += (c < 0x20 || c == 0x7F) ? '?' : static_cast<char>(c);
    }
    if (text.size() > kMax) out += "...";
    out += '"';
    return out;
}

ExitCodeParseResult fail(ExitCodeParseError error, std::string reason) {
    ExitCodeParseResult r;
    r.error = error;
    r.reason = std::move(reason);
    return r;
}

ExitCodeParseResult ok(std::uint32_t code) {
    ExitCodeParseResult r;
    r.code = code;
    return r;
}

constexpr std::uint64_t kTooBig = 0x1'0000'0000ULL;

// Digits in `base` from the start of `s`; the value saturates at kTooBig so long inputs cannot
// overflow. Returns the number of digits read.
std::size_t read_digits(std::string_view s, int base, std::uint64_t& value) noexcept {
    std::size_t i = 0;
    value = 0;
    for (; i < s.size(); ++i) {
        const int d = base == 16 ? hex_value(s[i]) : (is_digit(s[i]) ? s[i] - '0' : -1);
        if (d < 0) break;
        value = std::min<std::uint64_t>(value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d), kTooBig);
    }
    return i;
}

}  // namespace

std::string_view to_string(ExitCodeParseError e) noexcept {
    switch (e) {
        case ExitCodeParseError::none: return "none";
        case ExitCodeParseError::empty: return "empty";
        case ExitCodeParseError::junk: return "junk";
        case ExitCodeParseError::trailing_garbage: return "trailing_garbage";
        case ExitCodeParseError::out_of_range: return "out_of_range";
        case ExitCodeParseError::unknown_name: return "unknown_name";
    }
    return "junk";
}

ExitCodeParseResult parse_exit_code_detailed(std::string_view text) {
    std::string_view s = text;
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    const auto q = bounded_quote(text);
    if (s.empty()) return fail(ExitCodeParseError::empty, "empty exit code: expected a number such as 0xC0000142 or a name such as STATUS_DLL_INIT_FAILED");

    const auto trailing = [&](std::string_view rest) {
        return fail(ExitCodeParseError::trailing_garbage, fmt::format("{}: trailing garbage {} after the number", q, bounded_quote(rest)));
    };

    // 0x / 0X prefix.
    if (s.size() >= 2 && s[0] == '0' && lower(s[1]) == 'x') {
        std::uint64_t v = 0;
        const auto body = s.substr(2);
        const auto n = read_digits(body, 16, v);
        if (n == 0) return fail(ExitCodeParseError::junk, fmt::format("{}: no hex digits after 0x", q));
        if (n < body.size()) return trailing(body.substr(n));
        if (v >= kTooBig) return fail(ExitCodeParseError::out_of_range, fmt::format("{}: larger than 0xFFFFFFFF", q));
        return ok(static_cast<std::uint32_t>(v));
    }

    // Signed / unsigned decimal.
    if (s[0] == '-' || s[0] == '+' || is_digit(s[0])) {
        const bool negative = s[0] == '-';
        const auto body = (s[0] == '-' || s[0] == '+') ? s.substr(1) : s;
        std::uint64_t v = 0;
        const auto n = read_digits(body, 10, v);
        if (n == 0) return fail(ExitCodeParseError::junk, fmt::format("{}: no digits after the sign", q));
        if (n < body.size()) {
            // Hex without a prefix: "C0000142h"/"80h", or Wine-style bare 8 digits "c0000142" that
            // start with a decimal digit ("0000007b"). Only unsigned forms qualify.
            if (s[0] != '-' && s[0] != '+') {
                std::uint64_t hv = 0;
                const auto hn = read_digits(s, 16, hv);
                if (hn + 1 == s.size() && lower(s[hn]) == 'h') {
                    if (hv >= kTooBig) return fail(ExitCodeParseError::out_of_range, fmt::format("{}: larger than 0xFFFFFFFF", q));
                    return ok(static_cast<std::uint32_t>(hv));
                }
                if (hn == s.size() && hn == 8) return ok(static_cast<std::uint32_t>(hv));
            }
            if (negative && body.size() >= 2 && body[0] == '0' && lower(body[1]) == 'x')
                return fail(ExitCodeParseError::junk, fmt::format("{}: negative hex is not accepted; write the code as 0x followed by 8 digits", q));
            return trailing(body.substr(n));
        }
        if (negative) {
            if (v > 0x8000'0000ULL) return fail(ExitCodeParseError::out_of_range, fmt::format("{}: smaller than -2147483648", q));
            return ok(static_cast<std::uint32_t>((kTooBig - v) & 0xFFFF'FFFFULL));
        }
        if (v >= kTooBig) return fail(ExitCodeParseError::out_of_range, fmt::format("{}: larger than 4294967295", q));
        return ok(static_cast<std::uint32_t>(v));
    }

    // Starts with a letter: hex with an 'h' suffix, bare 8-digit hex, or a name.
    if (is_ident_start(s[0])) {
        std::uint64_t hv = 0;
        const auto hn = read_digits(s, 16, hv);
        if (hn > 0 && hn + 1 == s.size() && lower(s[hn]) == 'h') {
            if (hv >= kTooBig) return fail(ExitCodeParseError::out_of_range, fmt::format("{}: larger than 0xFFFFFFFF", q));
            return ok(static_cast<std::uint32_t>(hv));
        }
        if (hn == 8 && hn == s.size()) return ok(static_cast<std::uint32_t>(hv));
        if (hn == 8 && !code_for_name(s)) return trailing(s.substr(hn));
        // Catalogue names are identifiers, or macro forms such as VcppException(ERROR_MOD_NOT_FOUND).
        if (auto code = code_for_name(s)) return ok(*code);
        if (std::all_of(s.begin(), s.end(), is_ident)) {
            return fail(ExitCodeParseError::unknown_name, fmt::format("{}: not a known exit code name (try STATUS_DLL_INIT_FAILED or a number)", q));
        }
    }
    return fail(ExitCodeParseError::junk, fmt::format("{}: not an exit code (expected decimal, 0x hex, or a STATUS_/ERROR_ name)", q));
}

std::optional<std::uint32_t> parse_exit_code(std::string_view text) { return parse_exit_code_detailed(text).code; }

std::optional<std::uint32_t> parse_exit_code(std::string_view text, std::string& reason) {
    auto r = parse_exit_code_detailed(text);
    reason = std::move(r.reason);
    return r.code;
}

std::uint32_t parse_exit_code_or_throw(std::string_view text) {
    auto r = parse_exit_code_detailed(text);
    if (!r.code) throw std::invalid_argument(r.reason);
    return *r.code;
}

std::string_view to_string(ExitCodeFamily f) noexcept {
    switch (f) {
        case ExitCodeFamily::ordinary: return "ordinary";
        case ExitCodeFamily::ntstatus_informational: return "ntstatus_informational";
        case ExitCodeFamily::ntstatus_warning: return "ntstatus_warning";
        case ExitCodeFamily::ntstatus_error: return "ntstatus_error";
        case ExitCodeFamily::application_exception: return "application_exception";
        case ExitCodeFamily::hresult: return "hresult";
    }
    return "ordinary";
}

ExitCodeFamily classify_exit_code(std::uint32_t code) noexcept {
    const auto severity = code >> 30;
    const bool customer = (code & 0x2000'0000U) != 0;
    switch (severity) {
        case 0: return ExitCodeFamily::ordinary;
        case 1: return customer ? ExitCodeFamily::application_exception : ExitCodeFamily::ntstatus_informational;
        case 2:
            if (customer) return ExitCodeFamily::application_exception;
            // NTSTATUS warnings are 0x8000_0001.. with small codes (STATUS_BREAKPOINT 0x80000003);
            // failed HRESULTs carry a facility or larger codes (E_FAIL 0x80004005, 0x8007xxxx).
            return ((code & 0x0FFF'0000U) == 0 && (code & 0xFFFFU) < 0x1000U) ? ExitCodeFamily::ntstatus_warning
                                                                               : ExitCodeFamily::hresult;
        default: return customer ? ExitCodeFamily::application_exception : ExitCodeFamily::ntstatus_error;
    }
}

std::string exit_code_hex(std::uint32_t code) { return fmt::format("0x{:08X}", code); }

ExitCodeInfo explain_exit_code(std::uint32_t code) {
    ExitCodeInfo info;
    info.code = code;
    info.hex = exit_code_hex(code);
    info.signed_value = static_cast<std::int32_t>(code);
    info.family = classify_exit_code(code);
    if (const auto* e = find_entry(code)) {
        info.name = std::string(e->name);
        info.known = true;
        info.dll_init_failure = e->dll_init;
        info.desktop_related = e->desktop;
        info.summary = std::string(e->summary);
        for (auto c : e->causes)
            if (!c.empty()) info.causes.emplace_back(c);
        for (auto r : e->remedies)
            if (!r.empty()) info.remedies.emplace_back(r);
        return info;
    }

    // Unknown: say what its shape suggests, so a user knows where to look it up.
    switch (info.family) {
        case ExitCodeFamily::ordinary: {
            info.summary = fmt::format("Exit code {} is a value the program chose (exit(), return from main, ExitProcess), not a Windows status.", code);
            info.causes.emplace_back("The program's own failure code; its documentation or output says what it means.");
            if (const auto win32 = win32_error_name(code); !win32.empty())
                info.causes.push_back(fmt::format("It equals Win32 error {} ({}); some programs exit with GetLastError().", code, win32));
            info.remedies.emplace_back("Read the program's output and log, or its documentation for this exit code.");
            break;
        }
        case ExitCodeFamily::ntstatus_error:
            info.summary = fmt::format("{} has NTSTATUS error severity (top bits 11): an unhandled exception or a loader/system failure not in our catalogue.", info.hex);
            info.causes.emplace_back("An exception the program did not handle, or a failure while Windows set the process up.");
            info.remedies.push_back(fmt::format("Look {} up in ntstatus.h (or certutil -error {}).", info.hex, info.hex));
            info.remedies.emplace_back("Collect a crash dump (WER LocalDumps) and check the Application event log (event 1000).");
            break;
        case ExitCodeFamily::ntstatus_warning:
            info.summary = fmt::format("{} has NTSTATUS warning severity (top bits 10), usually an exception that reached the top unhandled.", info.hex);
            info.causes.emplace_back("An exception such as a guard-page or alignment fault the program did not handle.");
            info.remedies.push_back(fmt::format("Look {} up in ntstatus.h and collect a crash dump.", info.hex));
            break;
        case ExitCodeFamily::ntstatus_informational:
            info.summary = fmt::format("{} has NTSTATUS informational severity (top bits 01): something ended the process on purpose, not a crash.", info.hex);
            info.causes.emplace_back("A debugger or tool ended the process with an informational status.");
            info.remedies.push_back(fmt::format("Look {} up in ntstatus.h.", info.hex));
            break;
        case ExitCodeFamily::application_exception:
            info.summary = fmt::format("{} has the customer bit set: an exception code defined by a runtime or the program itself, raised and not handled.", info.hex);
            info.causes.emplace_back("A language runtime's or the program's own exception escaped every handler.");
            info.remedies.emplace_back("Collect a crash dump; the exception record and the module that raised it identify the runtime.");
            break;
        case ExitCodeFamily::hresult: {
            const auto facility = (code >> 16) & 0x7FFU;
            const auto low = code & 0xFFFFU;
            info.summary = fmt::format("{} looks like a failed HRESULT (facility {}, code {}) returned as the exit code.", info.hex, facility, low);
            if (facility == 7) {
                const auto win32 = win32_error_name(low);
                info.causes.push_back(fmt::format("FACILITY_WIN32: it wraps Win32 error {}{}{}.", low, win32.empty() ? "" : " ", win32));
            } else {
                info.causes.emplace_back("A COM or Windows API call failed and the program returned its HRESULT.");
            }
            info.remedies.push_back(fmt::format("Look {} up (certutil -error {}) and read the program's log.", info.hex, info.hex));
            break;
        }
    }
    return info;
}

std::string describe_exit_code(std::uint32_t code) {
    const auto info = explain_exit_code(code);
    auto line = fmt::format("{} ({}, {})", info.hex, info.code, info.signed_value);
    if (!info.name.empty()) line += " " + info.name;
    return line;
}

std::vector<std::uint32_t> known_codes_with_low_byte(std::uint8_t low_byte) {
    std::vector<std::uint32_t> codes;
    for (const auto& e : kCatalogue)
        if (e.code > 0xFFU && (e.code & 0xFFU) == low_byte) codes.push_back(e.code);
    return codes;
}

std::vector<std::uint32_t> catalogued_exit_codes() {
    std::vector<std::uint32_t> codes;
    codes.reserve(kCatalogue.size());
    for (const auto& e : kCatalogue) codes.push_back(e.code);
    return codes;
}

}  // namespace safelaunch
