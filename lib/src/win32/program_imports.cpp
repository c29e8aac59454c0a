// The program_imports fact: resolve the program as the launch does, then run the portable closure
// reader on the real files (DiskImageFiles) with the loader's System32.
#include "safelaunch/win32/program_imports.hpp"

#include "api_failure.hpp"
#include "safelaunch/pe_imports.hpp"
#include "safelaunch/win32/launcher.hpp"

#include <windows.h>

#include <boost/nowide/convert.hpp>

#include <exception>
#include <string>

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
        p.unresolved = std::move(closure->unresolved);
        p.problems = std::move(closure->problems);
    } catch (const std::exception& e) {
        // std::bad_alloc, or a path std::filesystem refused: the fact says so, the launch goes on.
        p.verdict.reset();
        p.error = std::string("reading the import tables failed: ") + e.what();
    }
    return p;
}

}  // namespace safelaunch::win32
