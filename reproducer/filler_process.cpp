#include "filler_process.hpp"

#include "scenarios.hpp"

#include "safelaunch/exit_code.hpp"
#include "safelaunch/launch_request.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <vector>

namespace safelaunch::repro {
namespace {

namespace w = safelaunch::win32;

// Filling a 20 MB heap takes tens of thousands of objects: seconds, not minutes.
constexpr auto kFillTimeout = std::chrono::minutes(10);
constexpr auto kReleaseTimeout = std::chrono::minutes(2);
constexpr DWORD kPollMs = 200;

std::string temp_path(std::string_view what, int n) {
    wchar_t dir[MAX_PATH + 1];
    const DWORD len = ::GetTempPathW(MAX_PATH + 1, dir);
    const std::string base = len ? boost::nowide::narrow(std::wstring(dir, len)) : std::string(".\\");
    return fmt::format("{}{}{}-{}.txt", base, object_prefix(), what, n);
}

std::vector<std::string> lines_of(const std::string& path) {
    std::ifstream in(std::filesystem::path(boost::nowide::widen(path)));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
        if (!line.empty()) lines.push_back(line);
    }
    return lines;
}

std::optional<FillReport> parse_report(const std::string& line) {
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("state", "") != "filled") return std::nullopt;
    FillReport r;
    r.station = j.value("station", "");
    r.desktop = j.value("desktop", "");
    r.windows = j.value("windows", std::uint64_t{0});
    r.menus = j.value("menus", std::uint64_t{0});
    r.strings = j.value("strings", std::uint64_t{0});
    r.short_strings = j.value("short_strings", std::uint64_t{0});
    r.tiny_menus = j.value("tiny_menus", std::uint64_t{0});
    r.stop_api = j.value("stop_api", "");
    r.stop_error = j.value("stop_error", std::uint32_t{0});
    r.hit_limit = j.value("hit_limit", false);
    r.hit_handle_quota = j.value("hit_handle_quota", false);
    return r;
}

// A manual-reset event under a name of ours; a name that already exists is someone else's.
w::unique_handle create_event(const std::string& name, std::string& why) {
    w::unique_handle event(::CreateEventW(nullptr, TRUE, FALSE, boost::nowide::widen(name).c_str()));
    const DWORD error = ::GetLastError();
    if (!event) {
        why = ApiFailure{"CreateEventW", name, make_win32_error(error)}.describe();
    } else if (error == ERROR_ALREADY_EXISTS) {
        why = fmt::format("event {} already exists: not ours", name);
        event.reset();
    }
    return event;
}

}  // namespace

std::string FillReport::describe_stop() const {
    if (hit_limit) return "the --max-objects bound (no failure)";
    if (stop_api.empty()) return "nothing";
    const auto name = win32_error_name(stop_error);
    return fmt::format("{}: {}{}{}", stop_api, stop_error, name.empty() ? "" : " ", name);
}

FillerProcess::~FillerProcess() {
    if (child_.valid() && !child_.exit_code()) {
        std::error_code ec;
        child_.terminate(ERROR_CANCELLED, ec);
    }
    tracked_.reset();
    if (!out_.empty()) ::DeleteFileW(boost::nowide::widen(out_).c_str());
}

std::optional<FillReport> FillerProcess::fill(const std::string& exe, const std::string& spec,
                                              std::uint64_t max_objects,
                                              const std::function<void(std::uint64_t)>& waiting, std::string& why) {
    static int counter = 0;
    const int n = counter++;
    // Named events live in the session's namespace, which a process on another window station of
    // the same session shares ("Local\" = this session).
    const auto ready_name = fmt::format("Local\\{}fill-{}-ready", object_prefix(), n);
    const auto release_name = fmt::format("Local\\{}fill-{}-release", object_prefix(), n);
    ready_ = create_event(ready_name, why);
    if (!ready_) return std::nullopt;
    release_ = create_event(release_name, why);
    if (!release_) return std::nullopt;

    out_ = temp_path("filler", n);
    LaunchRequest request;
    request.program = exe;
    request.args = {"--ready-event", ready_name, "--release-event", release_name, "--parent-pid",
                    std::to_string(::GetCurrentProcessId()), "--max-objects", std::to_string(max_objects)};
    request.desktop = spec;
    request.check = CheckPolicy::none;
    request.error_ui = kChildErrorUi;  // report.hpp: no popup waits for a filler that dies at start
    request.stdio.in.kind = StdStream::Kind::null;
    request.stdio.out = {StdStream::Kind::file, out_, false};
    request.stdio.err.kind = StdStream::Kind::null;
    std::error_code ec;
    LaunchFailure failure;
    child_ = w::launch_process(request, ec, &failure);
    if (ec) {
        why = "the filler could not be started: " + failure.failure.describe();
        return std::nullopt;
    }
    tracked_ = std::make_unique<TrackedChild>(child_.native_handle());

    const auto t0 = std::chrono::steady_clock::now();
    std::uint64_t said = 0;
    for (;;) {
        const HANDLE waits[] = {ready_.get(), child_.native_handle()};
        const DWORD woke = ::WaitForMultipleObjects(2, waits, FALSE, kPollMs);
        if (woke == WAIT_OBJECT_0) break;
        if (woke == WAIT_OBJECT_0 + 1 && interrupted()) {  // the Ctrl+C handler ended it
            why = "interrupted";
            return std::nullopt;
        }
        if (woke == WAIT_OBJECT_0 + 1) {
            const auto code = child_.exit_code();
            why = fmt::format("the filler ended before it had filled: {}",
                              code ? describe_exit_code(*code) : std::string("exit code unknown"));
            const auto lines = lines_of(out_);
            if (!lines.empty()) why += "; it said: " + lines.front();
            return std::nullopt;
        }
        if (woke == WAIT_FAILED) {
            why = ApiFailure{"WaitForMultipleObjects", "the filler", make_win32_error(::GetLastError())}.describe();
            return std::nullopt;
        }
        if (interrupted()) {
            why = "interrupted";
            return std::nullopt;
        }
        const auto seconds =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - t0).count());
        if (std::chrono::steady_clock::now() - t0 > kFillTimeout) {
            why = fmt::format("the filler did not finish within {} s", seconds);
            return std::nullopt;
        }
        if (waiting && seconds >= said + 5) {
            said = seconds;
            waiting(seconds);
        }
    }
    const auto lines = lines_of(out_);
    auto report = lines.empty() ? std::nullopt : parse_report(lines.front());
    if (!report) why = "the filler signalled but its report is unreadable: " + (lines.empty() ? std::string("(none)") : lines.front());
    return report;
}

std::optional<std::uint32_t> FillerProcess::release(std::string& why) {
    if (!child_.valid()) return std::nullopt;
    if (release_) ::SetEvent(release_.get());
    std::error_code ec;
    auto code = child_.wait_for(std::chrono::duration_cast<std::chrono::milliseconds>(kReleaseTimeout), ec);
    if (ec || !code) {
        why = ec ? "waiting for the filler failed: " + ec.message() : "the filler did not exit after the release";
        child_.terminate(ERROR_CANCELLED, ec);
        code.reset();
    } else if (*code != 0) {
        why = "the filler exited with " + describe_exit_code(*code);
    }
    tracked_.reset();
    child_ = w::Child();
    return code;
}

}  // namespace safelaunch::repro
