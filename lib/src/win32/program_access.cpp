// The program_access fact: GetNamedSecurityInfoW on each file, then AccessCheck with an
// impersonation duplicate of the child's token, as the loader's opens would be checked.
#include "safelaunch/win32/program_access.hpp"

#include "api_failure.hpp"
#include "safelaunch/pe_imports.hpp"
#include "safelaunch/program_access.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/token.hpp"

#include <aclapi.h>

#include <exception>
#include <optional>
#include <vector>

namespace safelaunch::win32 {
namespace {

static_assert(FILE_GENERIC_READ == file_rights::kGenericRead && FILE_GENERIC_EXECUTE == file_rights::kGenericExecute &&
              FILE_GENERIC_WRITE == file_rights::kGenericWrite && FILE_ALL_ACCESS == file_rights::kAllAccess &&
              FILE_EXECUTE == file_rights::kExecute && FILE_TRAVERSE == file_rights::kExecute &&
              FILE_READ_DATA == file_rights::kReadData);
static_assert(IO_REPARSE_TAG_APPEXECLINK == kReparseTagAppExecLink);

constexpr SECURITY_INFORMATION kOwnerGroupDacl =
    OWNER_SECURITY_INFORMATION | GROUP_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;

// GetNamedSecurityInfoW returns its error code (it does not set the last error). The label is
// asked for too (AccessCheck applies it only when the SD holds it); before Vista the flag is refused.
unique_hlocal read_file_sd(const std::wstring& path, std::error_code& ec, ApiFailure* failure) {
    PSECURITY_DESCRIPTOR sd = nullptr;
    auto* name = const_cast<LPWSTR>(path.c_str());
    DWORD e = ::GetNamedSecurityInfoW(name, SE_FILE_OBJECT, kOwnerGroupDacl | LABEL_SECURITY_INFORMATION, nullptr,
                                      nullptr, nullptr, nullptr, &sd);
    if (e == ERROR_INVALID_PARAMETER)
        e = ::GetNamedSecurityInfoW(name, SE_FILE_OBJECT, kOwnerGroupDacl, nullptr, nullptr, nullptr, nullptr, &sd);
    unique_hlocal owner(sd);
    if (e != ERROR_SUCCESS) {
        detail::fail(ec, failure, "GetNamedSecurityInfoW", detail::narrow(path), e);
        return {};
    }
    return owner;
}

// AccessCheck for `desired`; when it is refused, MAXIMUM_ALLOWED says which of them are held.
std::optional<std::uint32_t> granted_of(PSECURITY_DESCRIPTOR sd, HANDLE imp, DWORD desired, std::error_code& ec,
                                        ApiFailure* failure) {
    GENERIC_MAPPING mapping{FILE_GENERIC_READ, FILE_GENERIC_WRITE, FILE_GENERIC_EXECUTE, FILE_ALL_ACCESS};
    const auto check = [&](DWORD want, DWORD& granted, BOOL& status) {
        std::vector<DWORD> privileges(64);  // DWORD-aligned PRIVILEGE_SET buffer
        DWORD length = static_cast<DWORD>(privileges.size() * sizeof(DWORD));
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (::AccessCheck(sd, imp, want, &mapping, reinterpret_cast<PPRIVILEGE_SET>(privileges.data()), &length,
                              &granted, &status))
                return true;
            const DWORD e = ::GetLastError();
            if (e == ERROR_INSUFFICIENT_BUFFER && attempt == 0) {
                privileges.resize(length / sizeof(DWORD) + 1);
                continue;
            }
            detail::fail(ec, failure, "AccessCheck", "file", e);
            return false;
        }
        return false;
    };
    DWORD granted = 0;
    BOOL status = FALSE;
    if (!check(desired, granted, status)) return std::nullopt;
    if (status) return desired;
    if (!check(MAXIMUM_ALLOWED, granted, status)) return std::nullopt;
    return status ? desired & granted : 0u;
}

FileAccessFacts check_file(const std::string& path, const char* role, DWORD desired, HANDLE imp,
                           const std::optional<std::string>& token_error) {
    FileAccessFacts f;
    f.path = path;
    f.role = role;
    f.desired = desired;
    if (token_error) {
        f.error = *token_error;
        return f;
    }
    std::error_code ec;
    ApiFailure failure;
    const auto sd = read_file_sd(detail::widen(path), ec, &failure);
    if (!ec) f.granted = granted_of(static_cast<PSECURITY_DESCRIPTOR>(sd.get()), imp, desired, ec, &failure);
    if (ec) f.error = failure.describe();
    return f;
}

}  // namespace

std::optional<std::uint32_t> reparse_tag_of(const std::string& path, std::optional<std::string>& error) {
    const auto wide = detail::widen(path);
    const DWORD attributes = ::GetFileAttributesW(wide.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES) {
        std::error_code ec;
        ApiFailure failure;
        detail::fail(ec, &failure, "GetFileAttributesW", path, ::GetLastError());
        error = failure.describe();
        return std::nullopt;
    }
    if (!(attributes & FILE_ATTRIBUTE_REPARSE_POINT)) return std::nullopt;
    if (wide.find_first_of(L"*?") != std::wstring::npos) {  // FindFirstFileW would take them as wildcards
        error = "the path holds a wildcard character: its reparse tag was not read";
        return std::nullopt;
    }
    // dwReserved0 holds the tag when dwFileAttributes has FILE_ATTRIBUTE_REPARSE_POINT.
    WIN32_FIND_DATAW data{};
    const HANDLE find = ::FindFirstFileW(wide.c_str(), &data);
    if (find == INVALID_HANDLE_VALUE) {
        std::error_code ec;
        ApiFailure failure;
        detail::fail(ec, &failure, "FindFirstFileW", path, ::GetLastError());
        error = failure.describe();
        return std::nullopt;
    }
    ::FindClose(find);
    return static_cast<std::uint32_t>(data.dwReserved0);
}

ProgramAccessFacts gather_program_access(HANDLE token, const ProgramImportsFacts& imports, std::string account) {
    ProgramAccessFacts p;
    p.account = std::move(account);
    try {
        const auto& program = imports.program;
        if (program.empty()) return p;
        p.reparse_tag = reparse_tag_of(program, p.reparse_error);
        if (p.reparse_error) return p;  // no such file: the launch reports it

        std::optional<std::string> token_error;
        std::error_code ec;
        ApiFailure failure;
        const auto imp = make_impersonation_duplicate(token, ec, &failure);
        if (ec) token_error = failure.describe();

        p.files.push_back(check_file(program, "program", kImageRightsNeeded, imp.get(), token_error));
        auto folder = directory_of(program);
        if (!folder.empty() && folder.back() == ':') folder += '\\';  // "C:" is the drive's current folder
        if (!folder.empty()) p.files.push_back(check_file(folder, "folder", kFolderRightsNeeded, imp.get(), token_error));
        for (const auto& dll : imports.local_dlls)
            p.files.push_back(check_file(dll, "dll", kImageRightsNeeded, imp.get(), token_error));
    } catch (const std::exception& e) {
        p.reparse_error = std::string("checking the program's files failed: ") + e.what();  // std::bad_alloc
    }
    return p;
}

}  // namespace safelaunch::win32
