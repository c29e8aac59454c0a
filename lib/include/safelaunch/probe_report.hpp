// The one JSON line safelaunch-probe prints (launcher/probe/safelaunch_probe.cpp), read back so a
// canary's outcome can be told apart beyond its exit code: how far a fill got before it stopped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace safelaunch {

struct ProbeReport {
    std::string result;                            // "ok", "heap_exhausted", "handle_quota", ...
    std::optional<std::uint32_t> exit_code;
    std::optional<std::uint64_t> objects_created;  // windows created before it stopped
    std::optional<std::uint64_t> estimated_kb;     // objects_created x bytes_per_object / 1024
    std::optional<std::string> api;                // the call that failed, if one did
    std::optional<std::uint32_t> error;            // its GetLastError
};

// nullopt when `line` is not the probe's report (not JSON, not an object, no "probe" key naming
// safelaunch-probe). Fields of the wrong type are left empty.
[[nodiscard]] std::optional<ProbeReport> parse_probe_report(std::string_view line);

}  // namespace safelaunch
