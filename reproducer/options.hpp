// deskheap-repro's command line.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace safelaunch::repro {

inline constexpr std::uint64_t kDefaultMaxFillObjects = 200000;
inline constexpr std::uint64_t kDefaultMaxPoolDesktops = 2000;
inline constexpr std::uint64_t kWineFillBound = 1000;
inline constexpr std::uint32_t kDefaultPrivateDesktops = 8;
inline constexpr std::uint32_t kDefaultHoldMs = 60000;

struct Options {
    std::string scenario;                 // heap | acl | pool | private | admission | all
    std::uint32_t heap_kb = 512;          // heap scenario's desktop heap (CreateDesktopExW)
    std::optional<std::uint32_t> pool_heap_kb;  // pool scenario's per-desktop heap; default 20480
    bool json = false;
    std::optional<std::string> junit;     // file for the JUnit XML
    bool yes_exhaust_session_pool = false;
    std::string probe;                    // "" = safelaunch-probe.exe beside deskheap-repro.exe
    std::uint32_t child_timeout_ms = 30000;
    // Filler objects (heap; default kDefaultMaxFillObjects) / pool desktops (default
    // kDefaultMaxPoolDesktops), at most. Under Wine a bound of at most kWineFillBound lets the heap
    // scenario run its mechanics (there is no heap to exhaust).
    std::optional<std::uint64_t> max_objects;
    std::uint32_t desktops = kDefaultPrivateDesktops;  // private: desktops held at once, per size
    std::uint32_t hold_ms = kDefaultHoldMs;            // admission: the held launch's hold timeout
};

struct ParseResult {
    std::optional<Options> options;  // nullopt: exit with `exit_code` after printing `message`
    int exit_code = 0;               // 0 for --help / --version, 2 for a usage error
    std::string message;             // help text, or the one-line error (no trailing newline)
};

// Parses UTF-8 arguments (argv[0] included). Never throws.
[[nodiscard]] ParseResult parse_options(int argc, char** argv);

}  // namespace safelaunch::repro
