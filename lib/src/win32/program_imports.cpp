// The program_imports fact: resolve the program as the launch does, then run the portable closure
// reader on the real files (DiskImageFiles) with the loader's System32.
#include "safelaunch/win32/program_imports.hpp"

#include "api_failure.hpp"
#include "safelaunch/pe_imports.hpp"
#include "safelaunch/win32/launcher.hpp"

#include <windows.h>

#include <boost/nowide/convert.hpp>

#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace safelaunch::win32 {
namespace {

// GetSystemDirectoryW and GetSystemWow64DirectoryW share one contract: the length without the
// terminating null on success, the size needed (with it) when the buffer is too small, 0 on failure.
template <typename Get>
std::string read_directory(Get get, const char* api, std::error_code& ec, ApiFailure* failure) {
    std::wstring buffer(MAX_PATH, L'\0');
    for (;;) {
        const UINT n = get(buffer.data(), static_cast<UINT>(buffer.size()));
        if (n == 0) {
            detail::fail(ec, failure, api, "", ::GetLastError());
            return {};
        }
        if (n < buffer.size()) {
            buffer.resize(n);
            return boost::nowide::narrow(buffer);
        }
        buffer.resize(n);
    }
}

// A launcher that starts the same program thousands of times must not read its import closure
// (~16 files) every time: the 1,000-launch soak took 337 s with a fresh read per launch, 107 s
// before the fact existed. Results are kept per resolved path and reused while the program file's
// size and last-write time are unchanged. A DLL of the closure replaced while this process runs
// is not seen until the program file changes (System32 changes at updates, which reboot).
struct ProgramStamp {
    ULARGE_INTEGER size{};
    FILETIME written{};
    bool operator==(const ProgramStamp& o) const noexcept {
        return size.QuadPart == o.size.QuadPart && written.dwLowDateTime == o.written.dwLowDateTime &&
               written.dwHighDateTime == o.written.dwHighDateTime;
    }
};

std::optional<ProgramStamp> stamp_of(const std::string& path) {
    WIN32_FILE_ATTRIBUTE_DATA data{};
    if (!::GetFileAttributesExW(boost::nowide::widen(path).c_str(), GetFileExInfoStandard, &data)) return std::nullopt;
    ProgramStamp s;
    s.size.LowPart = data.nFileSizeLow;
    s.size.HighPart = data.nFileSizeHigh;
    s.written = data.ftLastWriteTime;
    return s;
}

class ClosureCache {
public:
    std::optional<ProgramImportsFacts> find(const std::string& path, const ProgramStamp& stamp) {
        const std::lock_guard lock(mutex_);
        const auto it = entries_.find(path);
        if (it == entries_.end() || !(it->second.first == stamp)) return std::nullopt;
        return it->second.second;
    }
    void keep(const std::string& path, const ProgramStamp& stamp, const ProgramImportsFacts& facts) {
        const std::lock_guard lock(mutex_);
        if (entries_.size() >= kMaxEntries) entries_.clear();  // bounded; a launcher runs few programs
        entries_.insert_or_assign(path, std::make_pair(stamp, facts));
    }

private:
    static constexpr std::size_t kMaxEntries = 64;
    std::mutex mutex_;
    std::map<std::string, std::pair<ProgramStamp, ProgramImportsFacts>> entries_;
};

ClosureCache& closure_cache() {
    static auto* cache = new ClosureCache;  // never destroyed: launches may run during static teardown
    return *cache;
}

}  // namespace

std::string loader_system_directory(std::uint16_t machine, std::error_code& ec, ApiFailure* failure) {
    ec.clear();
    if (machine == kMachineX86) {
        std::error_code wow;
        auto dir = read_directory(::GetSystemWow64DirectoryW, "GetSystemWow64DirectoryW", wow, nullptr);
        if (!wow) return dir;
        // 32-bit Windows: no WOW64 folder, System32 itself holds the x86 DLLs.
    }
    return read_directory(::GetSystemDirectoryW, "GetSystemDirectoryW", ec, failure);
}

ProgramImportsFacts gather_program_imports(std::string_view program) {
    ProgramImportsFacts p;
    p.program = std::string(program);
    try {
        std::error_code ec;
        ApiFailure failure;
        auto path = resolve_program(program, ec, &failure);
        if (ec) {
            p.error = failure.describe();
            return p;
        }
        p.program = std::move(path);
        const auto stamp = stamp_of(p.program);
        if (stamp)
            if (auto kept = closure_cache().find(p.program, *stamp)) return std::move(*kept);
        DiskImageFiles files;
        std::string error;
        // System32 first: right for the usual x64 program; an x86 one is read again below.
        ImportClosureOptions options;
        options.system_dir = loader_system_directory(kMachineX64, ec, &failure);
        if (ec) {
            p.error = failure.describe();
            return p;
        }
        auto closure = import_closure(p.program, files, options, error);
        if (closure && closure->image.machine == kMachineX86) {
            auto wow = loader_system_directory(kMachineX86, ec, &failure);
            if (ec) {
                p.error = failure.describe();
                return p;
            }
            if (wow != options.system_dir) {
                options.system_dir = std::move(wow);
                closure = import_closure(p.program, files, options, error);
            }
        }
        if (!closure) {
            p.error = error;
            return p;
        }
        p.system_dir = options.system_dir;
        p.machine = machine_name(closure->image.machine);
        p.verdict = closure->verdict;
        p.chain = chain_text(*closure);
        // Non-system DLLs: those the loader finds beside the program (issue 9 part 4 checks them).
        const auto app_dir = directory_of(p.program);
        for (std::size_t i = 1; i < closure->modules.size(); ++i) {
            const auto dir = directory_of(closure->modules[i].path);
            if (dir == app_dir && dir != p.system_dir) p.local_dlls.push_back(closure->modules[i].path);
        }
        p.unresolved = std::move(closure->unresolved);
        p.problems = std::move(closure->problems);
        if (stamp) closure_cache().keep(p.program, *stamp, p);
    } catch (const std::exception& e) {
        // std::bad_alloc, or a path std::filesystem refused: the fact says so, the launch goes on.
        p.verdict.reset();
        p.error = std::string("reading the import tables failed: ") + e.what();
    }
    return p;
}

}  // namespace safelaunch::win32
