// The child's environment block, built from EnvironmentSpec over the parent's environment.
#include "safelaunch/win32/launcher.hpp"

#include <boost/nowide/convert.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch::win32 {
namespace {

// "=C:=C:\dir" is the per-drive current folder CreateProcess keeps: its name starts with '='.
std::wstring_view name_of(std::wstring_view entry) noexcept {
    const auto eq = entry.find(L'=', entry.empty() || entry[0] != L'=' ? 0 : 1);
    return entry.substr(0, eq);
}

// Windows compares variable names case-insensitively, without regard to locale.
int compare_names(std::wstring_view a, std::wstring_view b) noexcept {
    return ::CompareStringOrdinal(a.data(), static_cast<int>(a.size()), b.data(), static_cast<int>(b.size()),
                                  TRUE) -
           CSTR_EQUAL;
}

std::vector<std::wstring> parent_environment() {
    std::vector<std::wstring> entries;
    wchar_t* block = ::GetEnvironmentStringsW();
    if (!block) return entries;
    for (const wchar_t* p = block; *p; p += std::wstring_view(p).size() + 1) entries.emplace_back(p);
    ::FreeEnvironmentStringsW(block);
    return entries;
}

}  // namespace

std::wstring environment_block(const EnvironmentSpec& spec) {
    if (spec.inherit && spec.set.empty() && spec.unset.empty()) return {};

    auto entries = spec.inherit ? parent_environment() : std::vector<std::wstring>{};
    std::vector<std::wstring> removed;
    for (const auto& name : spec.unset) removed.push_back(boost::nowide::widen(name));
    for (const auto& [name, value] : spec.set) removed.push_back(boost::nowide::widen(name));
    std::erase_if(entries, [&](const std::wstring& e) {
        return std::any_of(removed.begin(), removed.end(),
                           [&](const std::wstring& r) { return compare_names(name_of(e), r) == 0; });
    });
    for (const auto& [name, value] : spec.set)
        entries.push_back(boost::nowide::widen(name) + L'=' + boost::nowide::widen(value));

    // CreateProcess documents the block as sorted by name, case-insensitively, in Unicode order.
    std::stable_sort(entries.begin(), entries.end(), [](const std::wstring& a, const std::wstring& b) {
        return compare_names(name_of(a), name_of(b)) < 0;
    });

    std::wstring block;
    for (const auto& e : entries) {
        block += e;
        block += L'\0';
    }
    if (entries.empty()) block += L'\0';  // an empty block is still two NULs
    block += L'\0';
    return block;
}

}  // namespace safelaunch::win32
