// ImageFiles on the real file system: a case-insensitive look-up in one directory (the Windows
// loader's names are case-insensitive; Wine's DLL folders and test trees live on case-sensitive
// file systems) and whole-file reads with a size bound.
#include "safelaunch/pe_imports.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace safelaunch {
namespace {

// No DLL comes near this; a bound keeps a wrong path (a disk image, a device) from being slurped.
constexpr std::uintmax_t kMaxImageBytes = 512ull * 1024 * 1024;

bool same_name(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
        if (x != y) return false;
    }
    return true;
}

// Paths travel as UTF-8 in std::string (as the command line does); std::filesystem wants char8_t.
std::filesystem::path from_utf8(std::string_view s) {
    return std::filesystem::path(std::u8string(s.begin(), s.end()));
}

std::string to_utf8(const std::filesystem::path& p) {
    const auto s = p.u8string();
    return std::string(s.begin(), s.end());
}

}  // namespace

std::optional<std::string> DiskImageFiles::find(const std::string& dir, const std::string& name) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path base = from_utf8(dir);
    const auto exact = base / from_utf8(name);
    if (fs::is_regular_file(exact, ec)) return to_utf8(exact);
    for (fs::directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
        const auto file = to_utf8(it->path().filename());
        if (same_name(file, name) && it->is_regular_file(ec)) return to_utf8(it->path());
    }
    return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> DiskImageFiles::read(const std::string& path, std::string& error) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto p = from_utf8(path);
    if (!fs::is_regular_file(p, ec)) {
        error = ec ? ec.message() : "not a regular file";
        return std::nullopt;
    }
    const auto size = fs::file_size(p, ec);
    if (ec) {
        error = ec.message();
        return std::nullopt;
    }
    if (size > kMaxImageBytes) {
        error = fmt::format("{} bytes: larger than any image this tool reads", size);
        return std::nullopt;
    }
    std::ifstream in(p, std::ios::binary);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
    if (!in || !in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()))) {
        error = "cannot be read";
        return std::nullopt;
    }
    return bytes;
}

}  // namespace safelaunch
