// The PE reader: headers, sections, the import (data directory 1) and delay-import (13)
// directories. Every field is read little-endian from the byte span with a bounds check; no
// struct is overlaid on the bytes (they are unaligned and attacker-controlled).
#include "safelaunch/pe_imports.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace safelaunch {
namespace {

// Bounds the loader itself keeps (96 sections) or that no real image comes near.
constexpr std::uint32_t kMaxSections = 96;
constexpr std::size_t kMaxDescriptors = 4096;
constexpr std::size_t kMaxNameLength = 260;
constexpr std::size_t kImportDescriptorSize = 20;
constexpr std::size_t kDelayDescriptorSize = 32;
constexpr std::uint32_t kImportDirectory = 1;
constexpr std::uint32_t kDelayImportDirectory = 13;

class Reader {
public:
    explicit Reader(std::span<const std::uint8_t> b) : bytes_(b) {}
    [[nodiscard]] bool has(std::uint64_t offset, std::uint64_t size) const noexcept {
        return offset <= bytes_.size() && size <= bytes_.size() - offset;
    }
    // Callers check has() first.
    [[nodiscard]] std::uint16_t u16(std::uint64_t o) const noexcept {
        return static_cast<std::uint16_t>(bytes_[o] | (bytes_[o + 1] << 8));
    }
    [[nodiscard]] std::uint32_t u32(std::uint64_t o) const noexcept {
        return static_cast<std::uint32_t>(u16(o)) | (static_cast<std::uint32_t>(u16(o + 2)) << 16);
    }
    [[nodiscard]] std::uint64_t u64(std::uint64_t o) const noexcept {
        return static_cast<std::uint64_t>(u32(o)) | (static_cast<std::uint64_t>(u32(o + 4)) << 32);
    }
    [[nodiscard]] std::uint8_t u8(std::uint64_t o) const noexcept { return bytes_[o]; }
    [[nodiscard]] std::size_t size() const noexcept { return bytes_.size(); }

private:
    std::span<const std::uint8_t> bytes_;
};

struct Section {
    std::uint32_t va = 0;
    std::uint32_t virtual_size = 0;
    std::uint32_t raw_offset = 0;
    std::uint32_t raw_size = 0;
};

// Where an RVA's bytes are in the file, and how many of them the file holds from there.
struct Mapped {
    std::uint64_t offset = 0;
    std::uint64_t available = 0;
};

class Image {
public:
    Image(Reader r, std::vector<Section> sections, std::uint32_t size_of_headers)
        : r_(r), sections_(std::move(sections)), size_of_headers_(size_of_headers) {}

    [[nodiscard]] std::optional<Mapped> map(std::uint32_t rva) const {
        for (const auto& s : sections_) {
            const std::uint64_t extent = std::max(s.virtual_size, s.raw_size);
            if (rva < s.va || rva - s.va >= extent) continue;
            const std::uint64_t delta = rva - s.va;
            if (delta >= s.raw_size) return std::nullopt;  // zero-fill past the raw data: not in the file
            const std::uint64_t offset = static_cast<std::uint64_t>(s.raw_offset) + delta;
            if (offset >= r_.size()) return std::nullopt;
            const std::uint64_t in_section = s.raw_size - delta;
            return Mapped{offset, std::min<std::uint64_t>(in_section, r_.size() - offset)};
        }
        if (rva < size_of_headers_ && rva < r_.size()) return Mapped{rva, std::min<std::uint64_t>(size_of_headers_, r_.size()) - rva};
        return std::nullopt;
    }

    [[nodiscard]] const Reader& reader() const noexcept { return r_; }

private:
    Reader r_;
    std::vector<Section> sections_;
    std::uint32_t size_of_headers_;
};

Finding problem(std::string id, std::string message, std::string evidence = {}) {
    return Finding{std::move(id), Severity::error, std::move(message), std::move(evidence), {}};
}

// The NUL-terminated name at `rva`, or the problem that stops it.
std::optional<std::string> read_name(const Image& img, std::uint32_t rva, std::string_view table,
                                     std::vector<Finding>& problems) {
    const auto m = img.map(rva);
    if (!m) {
        problems.push_back(problem(fmt::format("pe.{}.rva_out_of_range", table),
                                   fmt::format("a DLL name of the {} directory lies outside the file", table),
                                   fmt::format("name RVA 0x{:x}", rva)));
        return std::nullopt;
    }
    std::string name;
    const auto limit = std::min<std::uint64_t>(m->available, kMaxNameLength + 1);
    for (std::uint64_t i = 0; i < limit; ++i) {
        const auto c = img.reader().u8(m->offset + i);
        if (c == 0) {
            if (name.empty()) {
                problems.push_back(problem(fmt::format("pe.{}.empty_name", table),
                                           fmt::format("a DLL name of the {} directory is empty", table),
                                           fmt::format("name RVA 0x{:x}", rva)));
                return std::nullopt;
            }
            return name;
        }
        name.push_back(static_cast<char>(c));
    }
    problems.push_back(problem(fmt::format("pe.{}.unterminated_name", table),
                               fmt::format("a DLL name of the {} directory has no terminating NUL within {} bytes "
                                           "or the end of its section",
                                           table, kMaxNameLength),
                               fmt::format("name RVA 0x{:x}", rva)));
    return std::nullopt;
}

struct Directory {
    std::uint32_t rva = 0;
    std::uint32_t size = 0;
};

// Walks the descriptor array of one directory; `name_rva_of` reads a descriptor's name RVA
// (nullopt: the terminator).
template <typename NameRva>
void read_descriptors(const Image& img, Directory dir, std::size_t descriptor_size, std::string_view table,
                      NameRva name_rva_of, std::vector<std::string>& names, std::vector<Finding>& problems) {
    if (dir.rva == 0) return;
    const auto m = img.map(dir.rva);
    if (!m) {
        problems.push_back(problem(fmt::format("pe.{}.rva_out_of_range", table),
                                   fmt::format("the {} directory lies outside the file", table),
                                   fmt::format("directory RVA 0x{:x}, size {}", dir.rva, dir.size)));
        return;
    }
    for (std::size_t i = 0;; ++i) {
        if (i == kMaxDescriptors) {
            problems.push_back(problem(fmt::format("pe.{}.too_many", table),
                                       fmt::format("the {} directory has more than {} entries", table, kMaxDescriptors),
                                       fmt::format("directory RVA 0x{:x}", dir.rva)));
            return;
        }
        const std::uint64_t at = static_cast<std::uint64_t>(i) * descriptor_size;
        if (at + descriptor_size > m->available) {
            problems.push_back(problem(fmt::format("pe.{}.truncated", table),
                                       fmt::format("the {} directory ends without its terminating entry", table),
                                       fmt::format("directory RVA 0x{:x}, {} entries read", dir.rva, i)));
            return;
        }
        const auto name_rva = name_rva_of(m->offset + at);
        if (!name_rva) return;
        if (auto name = read_name(img, *name_rva, table, problems)) names.push_back(std::move(*name));
        else return;  // a damaged table: what follows cannot be trusted either
    }
}

}  // namespace

std::string_view to_string(PeFormat f) noexcept { return f == PeFormat::pe32_plus ? "PE32+" : "PE32"; }

std::string machine_name(std::uint16_t machine) {
    switch (machine) {
    case kMachineX86: return "x86";
    case kMachineX64: return "x64";
    case kMachineArm64: return "arm64";
    default: return fmt::format("unknown (0x{:x})", machine);
    }
}

PeImports parse_pe_imports(std::span<const std::uint8_t> bytes) {
    PeImports out;
    const Reader r(bytes);
    const auto fail = [&](std::string id, std::string message, std::string evidence = {}) {
        out.problems.push_back(problem(std::move(id), std::move(message), std::move(evidence)));
        return out;
    };
    if (!r.has(0, 0x40)) return fail("pe.header.truncated", "the file is shorter than a DOS header", fmt::format("{} bytes", r.size()));
    if (r.u16(0) != 0x5a4d) return fail("pe.header.not_pe", "the file does not start with 'MZ': not a Windows executable");
    const std::uint32_t pe = r.u32(0x3c);
    if (!r.has(pe, 24)) return fail("pe.header.truncated", "the PE header lies past the end of the file",
                                    fmt::format("e_lfanew 0x{:x}, {} bytes", pe, r.size()));
    if (r.u32(pe) != 0x00004550) return fail("pe.header.not_pe", "no 'PE\\0\\0' signature: an MS-DOS or other non-PE executable",
                                             fmt::format("e_lfanew 0x{:x}", pe));
    out.machine = r.u16(pe + 4);
    const std::uint32_t sections = r.u16(pe + 6);
    const std::uint32_t optional_size = r.u16(pe + 20);
    out.is_dll = (r.u16(pe + 22) & 0x2000) != 0;
    if (sections > kMaxSections)
        return fail("pe.header.too_many_sections", fmt::format("the image claims {} sections; the loader accepts at most {}", sections, kMaxSections));
    const std::uint64_t opt = static_cast<std::uint64_t>(pe) + 24;
    if (optional_size < 2 || !r.has(opt, optional_size))
        return fail("pe.header.truncated", "the optional header is missing or lies past the end of the file",
                    fmt::format("SizeOfOptionalHeader {}", optional_size));
    const auto magic = r.u16(opt);
    if (magic != 0x10b && magic != 0x20b)
        return fail("pe.header.bad_magic", "the optional header is neither PE32 (0x10b) nor PE32+ (0x20b)", fmt::format("magic 0x{:x}", magic));
    out.format = magic == 0x20b ? PeFormat::pe32_plus : PeFormat::pe32;
    const bool plus = out.format == PeFormat::pe32_plus;
    const std::uint32_t count_at = plus ? 108 : 92;
    const std::uint32_t dirs_at = plus ? 112 : 96;
    if (optional_size < dirs_at)
        return fail("pe.header.truncated", "the optional header is too short for its data directories",
                    fmt::format("SizeOfOptionalHeader {}", optional_size));
    const std::uint64_t image_base = plus ? r.u64(opt + 24) : r.u32(opt + 28);
    const std::uint32_t size_of_headers = r.u32(opt + 60);
    // Directories past NumberOfRvaAndSizes or past the optional header do not exist.
    const std::uint32_t dir_count = std::min<std::uint32_t>(r.u32(opt + count_at), (optional_size - dirs_at) / 8);
    const auto directory = [&](std::uint32_t index) {
        if (index >= dir_count) return Directory{};
        return Directory{r.u32(opt + dirs_at + index * 8), r.u32(opt + dirs_at + index * 8 + 4)};
    };

    const std::uint64_t table = opt + optional_size;
    if (!r.has(table, static_cast<std::uint64_t>(sections) * 40))
        return fail("pe.header.truncated", "the section table lies past the end of the file",
                    fmt::format("{} sections at offset 0x{:x}, {} bytes", sections, table, r.size()));
    std::vector<Section> list;
    for (std::uint32_t i = 0; i < sections; ++i) {
        const auto s = table + i * 40ull;
        list.push_back(Section{r.u32(s + 12), r.u32(s + 8), r.u32(s + 20), r.u32(s + 16)});
    }
    out.valid = true;
    const Image img(r, std::move(list), size_of_headers);

    read_descriptors(
        img, directory(kImportDirectory), kImportDescriptorSize, "imports",
        [&](std::uint64_t d) -> std::optional<std::uint32_t> {
            const auto name = r.u32(d + 12);
            if (name == 0) return std::nullopt;  // the all-zero terminator (the loader stops at Name 0)
            return name;
        },
        out.imports, out.problems);
    read_descriptors(
        img, directory(kDelayImportDirectory), kDelayDescriptorSize, "delay_imports",
        [&](std::uint64_t d) -> std::optional<std::uint32_t> {
            const auto attributes = r.u32(d);
            const auto name = r.u32(d + 4);
            if (name == 0) return std::nullopt;
            if (attributes & 1) return name;  // dlattrRva: fields are RVAs
            // Old (Visual C++ 6) descriptors hold virtual addresses.
            const std::uint64_t rva = name - image_base;
            if (name < image_base || rva > 0xffffffffu) return 0xffffffffu;  // maps nowhere: reported as out of range
            return static_cast<std::uint32_t>(rva);
        },
        out.delay_imports, out.problems);
    if (out.machine != kMachineX86 && out.machine != kMachineX64 && out.machine != kMachineArm64)
        out.problems.push_back(Finding{"pe.header.unknown_machine", Severity::warning,
                                       fmt::format("machine {} is not x86, x64 or arm64; imports were read anyway", machine_name(out.machine)),
                                       {}, {}});
    return out;
}

}  // namespace safelaunch
