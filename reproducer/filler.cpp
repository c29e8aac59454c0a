#include "filler.hpp"

#include "interrupt.hpp"

#include "safelaunch/error.hpp"

#include <fmt/format.h>

#include <vector>

namespace safelaunch::repro {
namespace {

constexpr wchar_t kClassName[] = L"DeskheapReproFiller";
// Titles and item texts live in the desktop heap too (~2 bytes a character): long ones for the
// first stages take the heap faster than the per-process USER handle quota (10,000) is reached.
const std::wstring kLongText(240, L'x');
const std::wstring kShortText(8, L's');
constexpr std::uint64_t kStringsPerMenu = 64;

}  // namespace

std::string FillResult::describe_stop() const {
    if (cancelled) return "interrupted";
    if (hit_limit) return "the --max-objects bound (no failure)";
    if (stop_api.empty()) return "nothing";
    const auto name = win32_error_name(stop_error);
    return fmt::format("{}: {}{}{}", stop_api, stop_error, name.empty() ? "" : " ", name);
}

DesktopFiller::DesktopFiller(HWINSTA station, HDESK desktop, FillOptions options)
    : station_(station), desktop_(desktop), options_(std::move(options)) {}

DesktopFiller::~DesktopFiller() { release(); }

FillResult DesktopFiller::fill() {
    thread_ = std::thread([this] { run(); });
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return filled_; });
    return result_;
}

void DesktopFiller::release() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard lock(mutex_);
        release_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void DesktopFiller::run() {
    FillResult r;
    std::vector<HWND> windows;
    std::vector<HMENU> menus;
    const HINSTANCE instance = ::GetModuleHandleW(nullptr);
    bool registered = false;

    // A new thread owns no windows or hooks yet, so SetThreadDesktop may attach it. Should Windows
    // insist that the desktop belong to the process's station, switch the station for that call.
    r.attached = ::SetThreadDesktop(desktop_) != FALSE;
    if (!r.attached) {
        const HWINSTA previous = ::GetProcessWindowStation();
        if (::SetProcessWindowStation(station_)) {
            r.attached = ::SetThreadDesktop(desktop_) != FALSE;
            const DWORD error = ::GetLastError();
            ::SetProcessWindowStation(previous);
            ::SetLastError(error);
            r.attach_switched_station = r.attached;
        }
    }
    if (!r.attached) {
        r.stop_api = "SetThreadDesktop";
        r.stop_error = ::GetLastError();
    } else {
        WNDCLASSEXW wc{};
        wc.cbSize = sizeof wc;
        wc.lpfnWndProc = ::DefWindowProcW;
        wc.hInstance = instance;
        wc.lpszClassName = kClassName;
        registered = ::RegisterClassExW(&wc) != 0 || ::GetLastError() == ERROR_CLASS_ALREADY_EXISTS;
        if (!registered) {
            r.stop_api = "RegisterClassExW";
            r.stop_error = ::GetLastError();
        }
    }

    auto stop = [&](const char* api) {
        r.stop_api = api;
        r.stop_error = ::GetLastError();
        if (r.stop_error == ERROR_NO_MORE_USER_HANDLES) r.hit_handle_quota = true;
    };
    auto keep_going = [&] {
        if (interrupted()) {
            r.cancelled = true;
            return false;
        }
        if (r.total() >= options_.max_objects) {
            r.hit_limit = true;
            return false;
        }
        if (options_.progress && r.total() > 0 && r.total() % options_.progress_every == 0) options_.progress(r);
        return !r.hit_handle_quota;
    };

    if (registered) {
        // Stage 1: hidden, titled popups (no painting, no taskbar entry).
        while (keep_going()) {
            const HWND w = ::CreateWindowExW(0, kClassName, kLongText.c_str(), WS_POPUP, 0, 0, 1, 1, nullptr, nullptr,
                                             instance, nullptr);
            if (!w) {
                stop("CreateWindowExW");
                break;
            }
            windows.push_back(w);
            ++r.windows;
        }
        // Stage 2: menus with one long item each.
        while (keep_going()) {
            const HMENU m = ::CreateMenu();
            if (!m) {
                stop("CreateMenu");
                break;
            }
            menus.push_back(m);
            ++r.menus;
            if (!::AppendMenuW(m, MF_STRING, 1, kLongText.c_str())) {
                stop("AppendMenuW");
                break;
            }
        }
        // Stage 3: short strings appended to the menus we hold (no new handles). A menu whose item
        // array cannot grow is left for the next; two refusals in a row end the filling.
        int refusals = 0;
        std::uint64_t in_menu = 0;
        for (std::size_t menu = 0; menu < menus.size() && keep_going();) {
            if (::AppendMenuW(menus[menu], MF_STRING, static_cast<UINT_PTR>(in_menu + 2), kShortText.c_str())) {
                ++r.strings;
                refusals = 0;
                if (++in_menu < kStringsPerMenu) continue;
            } else {
                stop("AppendMenuW");
                if (++refusals >= 2) break;
            }
            ++menu;
            in_menu = 0;
        }
    }

    {
        std::lock_guard lock(mutex_);
        result_ = r;
        filled_ = true;
    }
    cv_.notify_all();
    {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return release_; });
    }
    // Windows are destroyed by the thread that created them; newest first.
    for (auto it = menus.rbegin(); it != menus.rend(); ++it) ::DestroyMenu(*it);
    for (auto it = windows.rbegin(); it != windows.rend(); ++it) ::DestroyWindow(*it);
    if (registered) ::UnregisterClassW(kClassName, instance);
}

}  // namespace safelaunch::repro
