// Will the program connect to a window station at start? A portable PE reader (PE32 / PE32+)
// for the import and delay-import directories, and the static import closure along the DLL
// search order. A process connects at its first USER32/GDI32 initialisation, so a program that
// does not reach user32.dll or gdi32.dll through static imports never meets the desktop checks
// of KB 184802 at start.
#pragma once

#include "safelaunch/finding.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch {

enum class PeFormat { pe32, pe32_plus };

inline constexpr std::uint16_t kMachineX86 = 0x014c;
inline constexpr std::uint16_t kMachineX64 = 0x8664;
inline constexpr std::uint16_t kMachineArm64 = 0xaa64;

// What one image says about its imports. `valid` is false when the headers could not be read;
// `problems` then says why (pe.header.*). A damaged import table leaves `valid` true, keeps the
// names read before the damage and adds a pe.imports.* / pe.delay_imports.* problem.
struct PeImports {
    bool valid = false;
    PeFormat format = PeFormat::pe32;
    std::uint16_t machine = 0;
    bool is_dll = false;
    std::vector<std::string> imports;        // DLL names as written, in directory order
    std::vector<std::string> delay_imports;  // same, from the delay-import directory
    std::vector<Finding> problems;
};

// Never throws for bad bytes and never reads outside `image`.
[[nodiscard]] PeImports parse_pe_imports(std::span<const std::uint8_t> image);

[[nodiscard]] std::string_view to_string(PeFormat f) noexcept;
// "x86", "x64", "arm64", or "unknown (0x1c4)".
[[nodiscard]] std::string machine_name(std::uint16_t machine);

// Lower-case ASCII, ".dll" appended when the name has no extension (as the loader does).
[[nodiscard]] std::string normalize_dll_name(std::string_view name);
// api-ms-win-* and ext-ms-* names: resolved by the loader's API-set schema, not by a file.
[[nodiscard]] bool is_api_set_name(std::string_view name);

// The files the closure reads, injected so the decisions can be tested without a file system.
class ImageFiles {
public:
    virtual ~ImageFiles() = default;
    // The path of `name` in `dir`, compared case-insensitively; nullopt when there is none.
    [[nodiscard]] virtual std::optional<std::string> find(const std::string& dir, const std::string& name) = 0;
    // The whole file; nullopt and `error` set when it cannot be read.
    [[nodiscard]] virtual std::optional<std::vector<std::uint8_t>> read(const std::string& path, std::string& error) = 0;
};

// ImageFiles on the real file system (std::filesystem).
class DiskImageFiles final : public ImageFiles {
public:
    std::optional<std::string> find(const std::string& dir, const std::string& name) override;
    std::optional<std::vector<std::uint8_t>> read(const std::string& path, std::string& error) override;
};

// The directory part and the file name of a path written with '/' or '\'.
[[nodiscard]] std::string directory_of(std::string_view path);
[[nodiscard]] std::string file_name_of(std::string_view path);

enum class ConnectVerdict { connects_at_init, delay_loaded, never };
[[nodiscard]] std::string_view to_string(ConnectVerdict v) noexcept;

struct ImportClosureOptions {
    std::string system_dir;  // System32 under the chosen root; empty: only the application's directory
    std::size_t max_modules = 512;  // a bound on the files read, whatever the image claims
};

struct ResolvedModule {
    std::string name;  // as first imported (the program: its file name)
    std::string path;  // where it was found
    std::vector<std::string> imports;
    std::vector<std::string> delay_imports;
};

struct ChainStep {
    std::string name;
    bool delay = false;  // reached through a delay import of the step before
};

struct ImportClosure {
    std::string program;  // the path given
    PeImports image;      // the program's own tables
    ConnectVerdict verdict = ConnectVerdict::never;
    std::vector<ChainStep> chain;         // program first, user32/gdi32 last; empty for `never`
    std::vector<ResolvedModule> modules;  // program first, then in breadth-first order
    std::vector<std::string> unresolved;  // DLL names found neither beside the program nor in system_dir
    std::vector<std::string> api_sets;    // api-ms-win-* / ext-ms-*, reported, not followed
    std::vector<Finding> problems;        // pe.* (the program's and its DLLs'), pe.closure.*
};

// "worker.exe -> foo.dll -> USER32.dll"; a delay-loaded step reads "-> (delay) USER32.dll".
[[nodiscard]] std::string chain_text(const ImportClosure& c);

// The closure of `program` (read through `files`) and the verdict. The program itself must be
// readable and a valid image; otherwise nullopt and `error` says why.
[[nodiscard]] std::optional<ImportClosure> import_closure(const std::string& program, ImageFiles& files,
                                                          const ImportClosureOptions& options, std::string& error);

}  // namespace safelaunch
