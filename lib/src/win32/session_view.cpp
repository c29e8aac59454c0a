#include "safelaunch/win32/session_view.hpp"

#include "win32/api_failure.hpp"

#include <windows.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace safelaunch::win32 {
namespace {

using NtQuerySystemInformationFn = LONG(NTAPI*)(ULONG info_class, PVOID info, ULONG length, PULONG return_length);

constexpr LONG kStatusInfoLengthMismatch = static_cast<LONG>(0xC0000004);
// One entry is what a one-session query needs; the bound stops a call that keeps asking for more.
constexpr std::size_t kMaxEntries = 4096;
constexpr int kMaxAttempts = 4;

std::string_view status_name(std::uint32_t status) noexcept {
    switch (status) {
        case 0xC0000002: return "STATUS_NOT_IMPLEMENTED";
        case 0xC0000003: return "STATUS_INVALID_INFO_CLASS";
        case 0xC0000004: return "STATUS_INFO_LENGTH_MISMATCH";
        case 0xC0000022: return "STATUS_ACCESS_DENIED";
        case 0xC0000061: return "STATUS_PRIVILEGE_NOT_HELD";
        case 0x80000002: return "STATUS_DATATYPE_MISALIGNMENT";
        default: return {};
    }
}

std::string call_text(std::uint32_t session_id) {
    return fmt::format("{}(SystemSessionMappedViewInformation={}, session {})",
                       "NtQuerySystemInformation", kSystemSessionMappedViewInformation, session_id);
}

std::string status_failure(std::uint32_t session_id, LONG status) {
    const auto code = static_cast<std::uint32_t>(status);
    const auto name = status_name(code);
    return fmt::format("{} failed: NTSTATUS 0x{:08X}{}{}", call_text(session_id), code, name.empty() ? "" : " ", name);
}

SessionViewFacts unknown(std::uint32_t session_id, std::string reason) {
    SessionViewFacts f;
    f.session_id = session_id;
    f.unknown_reason = std::move(reason);
    return f;
}

}  // namespace

SessionViewFacts session_view_from_buffer(std::span<const std::byte> returned, std::uint32_t session_id) {
    const std::size_t count = returned.size() / sizeof(SessionMappedViewEntry);
    for (std::size_t i = 0; i < count; ++i) {
        SessionMappedViewEntry e;
        std::memcpy(&e, returned.data() + i * sizeof(e), sizeof(e));  // the span need not be aligned
        if (e.session_id == session_id) {
            SessionViewFacts f;
            f.known = true;
            f.session_id = session_id;
            f.bytes_available = e.bytes_available;
            f.largest_contiguous = e.bytes_available_contiguous;
            f.view_failures = e.view_failures;
            return f;
        }
        if (e.next_entry_offset == 0) break;
    }
    return unknown(session_id, fmt::format("{} succeeded but returned no entry for the session ({} bytes, {} "
                                           "entries)",
                                           call_text(session_id), returned.size(), count));
}

SessionViewFacts gather_session_view_facts(std::uint32_t session_id) {
    // ntdll is mapped into every process: GetModuleHandleW, no load and no reference to release.
    const HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    if (!ntdll) {
        const DWORD e = ::GetLastError();
        std::error_code ec;
        ApiFailure failure;
        detail::fail(ec, &failure, "GetModuleHandleW", "ntdll.dll", e);
        return unknown(session_id, failure.describe());
    }
    // Through void(*)(): the one function-pointer cast -Wcast-function-type accepts.
    const auto query = reinterpret_cast<NtQuerySystemInformationFn>(
        reinterpret_cast<void (*)()>(::GetProcAddress(ntdll, "NtQuerySystemInformation")));
    if (!query) {
        const DWORD e = ::GetLastError();
        std::error_code ec;
        ApiFailure failure;
        detail::fail(ec, &failure, "GetProcAddress", "ntdll.dll!NtQuerySystemInformation", e);
        return unknown(session_id, failure.describe());
    }
    // std::vector of the entry type: 8-byte aligned, as the kernel requires.
    std::vector<SessionMappedViewEntry> buffer(1);
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
        std::fill(buffer.begin(), buffer.end(), SessionMappedViewEntry{});
        buffer.front().session_id = session_id;  // an input: which session to report
        const auto bytes = static_cast<ULONG>(buffer.size() * sizeof(SessionMappedViewEntry));
        ULONG returned = 0;
        const LONG status = query(kSystemSessionMappedViewInformation, buffer.data(), bytes, &returned);
        if (status == kStatusInfoLengthMismatch) {
            const std::size_t wanted = std::max<std::size_t>(returned, std::size_t{bytes} * 2);
            const std::size_t entries = (wanted + sizeof(SessionMappedViewEntry) - 1) / sizeof(SessionMappedViewEntry);
            if (entries > kMaxEntries)
                return unknown(session_id, fmt::format("{} asked for {} bytes, more than the {} entries allowed",
                                                       call_text(session_id), wanted, kMaxEntries));
            buffer.resize(entries);
            continue;
        }
        if (status < 0) return unknown(session_id, status_failure(session_id, status));
        const std::size_t used = std::min<std::size_t>(returned, bytes);
        return session_view_from_buffer(std::as_bytes(std::span(buffer)).first(used), session_id);
    }
    return unknown(session_id, fmt::format("{} still answered STATUS_INFO_LENGTH_MISMATCH after {} larger buffers",
                                           call_text(session_id), kMaxAttempts));
}

SessionViewFacts gather_session_view_facts() {
    DWORD session = 0;
    if (!::ProcessIdToSessionId(::GetCurrentProcessId(), &session)) {
        const DWORD e = ::GetLastError();
        std::error_code ec;
        ApiFailure failure;
        detail::fail(ec, &failure, "ProcessIdToSessionId", "this process", e);
        SessionViewFacts f;
        f.unknown_reason = fmt::format("this process's session is not known: {}", failure.describe());
        return f;
    }
    return gather_session_view_facts(session);
}

}  // namespace safelaunch::win32
