// Internal: a system DLL resolved at first use into a table of typed function pointers. The one
// way the library reaches user32.dll and wevtapi.dll (issue 12): neither is imported, so linking
// the library never makes a program connect to a window station and desktop before main.
//
// Run-time resolution rather than delay-load, for both toolchains: GNU ld 2.40 links a
// dlltool delay-import library but leaves the PE delay-import directory empty (no tool can see
// what the program may load), and MSVC's /DELAYLOAD would have to be added by every consumer.
//
// Loaded once, thread-safe, never freed: a table handed out stays valid for the process's life
// (handle deleters rely on it). A failure is kept too: later calls report it without trying
// again. Tests may replace the loader (reset_for_testing); tables handed out before stay valid.
#pragma once

#include "safelaunch/error.hpp"
#include "win32/api_failure.hpp"

#include <windows.h>

#include <algorithm>
#include <atomic>
#include <cwchar>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>

namespace safelaunch::win32::detail {

// Returns the module, or nullptr with GetLastError set.
using ModuleLoader = HMODULE (*)(const wchar_t* dll) noexcept;

// LoadLibraryExW(dll, LOAD_LIBRARY_SEARCH_SYSTEM32): System32 only, never the application's folder
// or PATH. Windows 7 without KB2533623 refuses the flag (ERROR_INVALID_PARAMETER): then the full
// System32 path with no flag.
inline HMODULE load_system_dll(const wchar_t* dll) noexcept {
    if (const HMODULE m = ::LoadLibraryExW(dll, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32)) return m;
    if (::GetLastError() != ERROR_INVALID_PARAMETER) return nullptr;
    wchar_t path[MAX_PATH] = {};
    const UINT n = ::GetSystemDirectoryW(path, MAX_PATH);
    const std::size_t len = std::wcslen(dll);
    if (n == 0 || n + 1 + len + 1 > MAX_PATH) return nullptr;
    path[n] = L'\\';
    std::copy(dll, dll + len, path + n + 1);  // path[] was zeroed: terminated
    return ::LoadLibraryExW(path, nullptr, 0);
}

// One export into its typed slot; on failure ec and *failure name GetProcAddress(dll!name).
template <typename Fn>
bool resolve_export(HMODULE module, const char* dll, const char* name, Fn& slot, std::error_code& ec,
                    ApiFailure* failure) {
    // Through void(*)(): the one function-pointer cast -Wcast-function-type accepts.
    slot = reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(::GetProcAddress(module, name)));
    if (slot) return true;
    const DWORD e = ::GetLastError();
    fail(ec, failure, "GetProcAddress", std::string(dll) + "!" + name, e);
    return false;
}

// What became of the load, without loading.
struct LoadState {
    bool attempted = false;
    bool loaded = false;
    std::optional<ApiFailure> failure;
};

template <typename Table>
class DynamicLibrary {
public:
    // Fills every slot of the table from the module; false with ec and *failure on a missing export.
    using Fill = bool (*)(HMODULE, Table&, std::error_code&, ApiFailure*);

    DynamicLibrary(const wchar_t* file, const char* name, Fill fill) noexcept : file_(file), name_(name), fill_(fill) {}
    DynamicLibrary(const DynamicLibrary&) = delete;
    DynamicLibrary& operator=(const DynamicLibrary&) = delete;

    // The table, loading the DLL at the first call; nullptr with ec (and *failure) when it cannot be had.
    const Table* get(std::error_code& ec, ApiFailure* failure) {
        ec.clear();
        if (const Table* t = current_.load(std::memory_order_acquire)) return t;
        const std::lock_guard lock(mutex_);
        if (const Table* t = current_.load(std::memory_order_acquire)) return t;
        if (!attempted_) {
            attempted_ = true;
            load();
        }
        if (const Table* t = current_.load(std::memory_order_acquire)) return t;
        ec = failure_->code;
        if (failure) *failure = *failure_;
        return nullptr;
    }

    // For handle deleters: any table ever loaded (a handle exists only if one was), else get().
    const Table* for_close() noexcept {
        if (const Table* t = last_good_.load(std::memory_order_acquire)) return t;
        try {
            std::error_code ec;
            return get(ec, nullptr);
        } catch (...) {  // std::bad_alloc or a failed lock: the handle leaks, nothing else
            return nullptr;
        }
    }

    [[nodiscard]] LoadState state() {
        const std::lock_guard lock(mutex_);
        return {attempted_, current_.load(std::memory_order_acquire) != nullptr, failure_};
    }

    // Tests only: the next get() loads again with `loader` (nullptr: load_system_dll). Tables
    // already handed out stay valid. Not to be called while other threads use this library.
    void reset_for_testing(ModuleLoader loader) {
        const std::lock_guard lock(mutex_);
        loader_ = loader ? loader : load_system_dll;
        attempted_ = false;
        failure_.reset();
        current_.store(nullptr, std::memory_order_release);
    }

private:
    void load() {
        const HMODULE module = loader_(file_);
        std::error_code ec;
        ApiFailure failure;
        if (!module) {
            const DWORD e = ::GetLastError();
            fail(ec, &failure, "LoadLibraryExW", name_, e);
            failure_ = std::move(failure);
            return;
        }
        // Never freed: the module stays loaded for the process's life (the table points into it).
        auto table = std::make_unique<Table>();
        if (!fill_(module, *table, ec, &failure)) {
            failure_ = std::move(failure);
            return;
        }
        const Table* t = table.release();  // never freed: see above
        last_good_.store(t, std::memory_order_release);
        current_.store(t, std::memory_order_release);
    }

    const wchar_t* file_;
    const char* name_;
    Fill fill_;
    std::mutex mutex_;
    ModuleLoader loader_ = load_system_dll;
    bool attempted_ = false;
    std::optional<ApiFailure> failure_;
    std::atomic<const Table*> current_{nullptr};
    std::atomic<const Table*> last_good_{nullptr};
};

}  // namespace safelaunch::win32::detail
