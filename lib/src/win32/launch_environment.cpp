// The child's environment block, built from EnvironmentSpec over the environment the child's user
// starts from: ours, or (for a child of another user) that user's own, from CreateEnvironmentBlock.
#include "safelaunch/win32/launch_environment.hpp"

#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/token.hpp"
#include "win32/api_failure.hpp"

#include <windows.h>
#include <userenv.h>

#include <boost/nowide/convert.hpp>

#include <algorithm>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace safelaunch::win32 {
namespace {

// CreateEnvironmentBlock's block is freed with DestroyEnvironmentBlock, nothing else.
void destroy_environment_block(void* block) noexcept { ::DestroyEnvironmentBlock(block); }
using unique_environment_block = UniqueAny<void*, destroy_environment_block>;

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

// The entries of a double-NUL-terminated block.
std::vector<std::wstring> entries_of(const wchar_t* block) {
    std::vector<std::wstring> entries;
    for (const wchar_t* p = block; *p; p += std::wstring_view(p).size() + 1) entries.emplace_back(p);
    return entries;
}

std::vector<std::wstring> parent_environment() {
    wchar_t* block = ::GetEnvironmentStringsW();
    if (!block) return {};
    auto entries = entries_of(block);
    ::FreeEnvironmentStringsW(block);
    return entries;
}

// The variables `token`'s user gets from the system, not from us (bInherit FALSE).
std::vector<std::wstring> user_environment(HANDLE token, std::error_code& ec, ApiFailure* failure) {
    unique_environment_block block;
    if (!::CreateEnvironmentBlock(block.put(), token, FALSE)) {
        const DWORD e = ::GetLastError();
        detail::fail(ec, failure, "CreateEnvironmentBlock", "the child's token", e);
        return {};
    }
    return entries_of(static_cast<const wchar_t*>(block.get()));
}

bool changes_nothing(const EnvironmentSpec& spec) noexcept {
    return spec.inherit && spec.set.empty() && spec.unset.empty();
}

// `spec` applied over `entries`, as a sorted, double-NUL-terminated block.
std::wstring apply(const EnvironmentSpec& spec, std::vector<std::wstring> entries) {
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

}  // namespace

std::wstring environment_block(const EnvironmentSpec& spec) {
    if (changes_nothing(spec)) return {};
    return apply(spec, spec.inherit ? parent_environment() : std::vector<std::wstring>{});
}

std::wstring environment_block(const EnvironmentSpec& spec, const RunAs& run_as, std::error_code& ec,
                               ApiFailure* failure) {
    ec.clear();
    if (std::holds_alternative<RunAsCaller>(run_as) || !spec.inherit) return environment_block(spec);
    if (const auto* token = std::get_if<RunAsToken>(&run_as)) {
        auto base = user_environment(reinterpret_cast<HANDLE>(token->handle), ec, failure);
        if (ec) return {};
        return apply(spec, std::move(base));
    }
    const auto& logon = std::get<RunAsLogon>(run_as);
    if (changes_nothing(spec)) return {};
    // "The new process uses the same token as the caller" (CreateProcessWithLogonW): our variables.
    if (logon.logon_flags & LOGON_NETCREDENTIALS_ONLY) return environment_block(spec);
    // CreateProcessWithLogonW logs the user on interactively; the same logon gives the same block.
    const auto user_token = logon_user(logon.user, logon.domain, logon.password, LogonKind::interactive, ec, failure);
    if (ec) return {};
    auto base = user_environment(user_token.get(), ec, failure);
    if (ec) return {};
    return apply(spec, std::move(base));
}

}  // namespace safelaunch::win32
