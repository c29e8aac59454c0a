// Uses the installed package: explains the exit code given on the command line, and analyses a
// snapshot read with the installed JSON header (the find_dependency(nlohmann_json) path). On
// Windows it also gathers system facts and launches a child through the pre-flight, so the Win32
// objects of the library are linked in (tests/imports checks this program's import table: no
// USER32 at start). Checks what it gets and prints "consumer: all checks passed" only when every
// check held.
#include <safelaunch/analysis.hpp>
#include <safelaunch/error.hpp>
#include <safelaunch/exit_code.hpp>
#include <safelaunch/json.hpp>
#ifdef _WIN32
#include <safelaunch/win32/safe_launch.hpp>
#include <safelaunch/win32/system_facts.hpp>

#include <chrono>
#endif

#include <cstdint>
#include <iostream>
#include <string>
#include <string_view>

namespace {

// lpDesktop names a desktop nobody created (tests/data/snapshots/missing-desktop.json's case),
// and the child died 0xC0000142.
constexpr std::string_view kSnapshot = R"json({
  "schema": 1,
  "target": {"spec": "WinSta0\\BuildDesk", "station": "WinSta0", "desktop": "BuildDesk", "how": "named",
             "station_facts": {"name": "WinSta0", "exists": true, "flags": 1, "sd_present": false},
             "desktop_facts": {"name": "BuildDesk", "exists": false, "open_error": "OpenDesktopW: not found (2)"}},
  "exit": {"exit_code": 3221225794, "runtime_ms": 20, "had_console": true}
})json";

int failures = 0;

void check(bool ok, std::string_view what) {
    if (ok) return;
    ++failures;
    std::cout << "consumer: check failed: " << what << '\n';
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const auto code = static_cast<std::uint32_t>(std::stoul(argv[1], nullptr, 0));
    std::cout << safelaunch::make_ntstatus_error(code).message() << '\n';

    const auto info = safelaunch::explain_exit_code(code);
    std::cout << "explain: " << info.hex << ' ' << info.name << '\n';
    check(info.known, "the code is catalogued");
    check(info.name == "STATUS_DLL_INIT_FAILED", "explain_exit_code names STATUS_DLL_INIT_FAILED");
    check(info.dll_init_failure, "explain_exit_code says DLL-init failure");
    check(nlohmann::json(info).at("hex") == "0xC0000142", "explain --json's hex");

    safelaunch::Snapshot snapshot;
    std::string error;
    check(safelaunch::snapshot_from_json_text(kSnapshot, snapshot, error), "the snapshot parses: " + error);
    const auto analysis = safelaunch::analyze(snapshot);
    std::cout << "analyze: " << safelaunch::to_string(analysis.verdict);
    for (const auto& f : analysis.preflight) std::cout << ' ' << f.id;
    std::cout << '\n';
    check(analysis.verdict == safelaunch::Verdict::blocked, "the verdict is blocked");
    bool missing = false;
    for (const auto& f : analysis.preflight) missing = missing || f.id == "desktop.desktop.missing";
    check(missing, "desktop.desktop.missing is found");
    check(analysis.diagnosis && !analysis.diagnosis->causes.empty() &&
              analysis.diagnosis->causes.front().id == safelaunch::CauseId::missing_desktop &&
              analysis.diagnosis->causes.front().likelihood == safelaunch::Likelihood::decided,
          "the diagnosis decides missing_desktop");

#ifdef _WIN32
    const auto system = safelaunch::win32::gather_system_facts(std::chrono::hours(1));
    std::cout << "system: Windows " << system.os.major << '.' << system.os.minor << '.' << system.os.build << ", "
              << system.stations.size() << " window station(s)\n";
    check(system.os.major >= 6, "gather_system_facts reads the OS version");
    check(!system.stations.empty(), "gather_system_facts lists a window station");

    // cmd.exe exits with the code it is given; the fast pre-flight runs first.
    safelaunch::LaunchRequest request;
    request.program = "cmd.exe";
    request.args = {"/c", "exit", "3"};
    request.check = safelaunch::CheckPolicy::fast;
    request.timeout = std::chrono::seconds(60);
    const auto outcome = safelaunch::win32::safe_launch_and_wait(request);
    std::cout << "launch: pre-flight " << safelaunch::to_string(outcome.preflight.analysis.verdict) << ", exit "
              << (outcome.exit_code ? std::to_string(*outcome.exit_code) : std::string("none")) << '\n';
    check(!outcome.not_started, "safe_launch_and_wait starts cmd.exe");
    check(outcome.exit_code == 3u, "cmd.exe /c exit 3 exits 3");
#endif

    if (failures != 0) return 1;
    std::cout << "consumer: all checks passed\n";
    return 0;
}
