// Gathers SessionViewFacts (safelaunch/session_view.hpp): a session's free view space, from
// NtQuerySystemInformation(SystemSessionMappedViewInformation = 68).
//
// The class is undocumented. ntdll's NtQuerySystemInformation is resolved at run time
// (GetModuleHandleW + GetProcAddress); a missing export or any failing NTSTATUS gives known=false
// with a reason naming the API and the NTSTATUS in hex, never a guess. Never throws (std::bad_alloc
// aside). Under Wine 8 the class is not implemented (tests/win32/session_view_test.cpp pins what
// it returns); every figure is unverified until Windows confirms it.
#pragma once

#include "safelaunch/session_view.hpp"

#include <cstddef>
#include <cstdint>
#include <span>

namespace safelaunch::win32 {

// SYSTEM_SESSION_MAPPED_VIEW_INFORMATION, one entry per session. Field order and types agree in
// two public sources: phnt (winsiderss/systeminformer, phnt/include/ntexapi.h) and the ntapi crate
// (MSxDOS/ntapi, src/ntexapi.rs): SIZE_T NextEntryOffset; ULONG SessionId; ULONG ViewFailures;
// SIZE_T NumberOfBytesAvailable; SIZE_T NumberOfBytesAvailableContiguous (32 bytes on x64, 20 on
// x86). Public decompilations of ntoskrnl (ExpQuerySystemInformation case 0x44 and
// MmGetSessionMappedViewInformation, Windows 10/11 x64) add what the headers do not say:
//   - the SessionId field of the caller's buffer is an input: 0xFFFFFFFF asks for every session,
//     any other value for that session alone;
//   - a buffer smaller than one entry gets STATUS_INFO_LENGTH_MISMATCH with the size needed in
//     ReturnLength; a buffer not 8-byte aligned gets STATUS_DATATYPE_MISALIGNMENT;
//   - entries are written back to back, and NextEntryOffset holds the offset of the next entry
//     from the start of the buffer (not from the entry), 0 in the last;
//   - the byte counts are free session-view PTEs times the page size.
struct SessionMappedViewEntry {
    std::size_t next_entry_offset = 0;
    std::uint32_t session_id = 0;
    std::uint32_t view_failures = 0;
    std::size_t bytes_available = 0;
    std::size_t bytes_available_contiguous = 0;
};
static_assert(sizeof(void*) != 8 || sizeof(SessionMappedViewEntry) == 32, "x64 layout: 32 bytes");

inline constexpr std::uint32_t kSystemSessionMappedViewInformation = 68;
inline constexpr std::uint32_t kAllSessions = 0xFFFFFFFF;

// The view space of session `session_id`.
[[nodiscard]] SessionViewFacts gather_session_view_facts(std::uint32_t session_id);
// The view space of this process's session (ProcessIdToSessionId); session unknown: known=false.
[[nodiscard]] SessionViewFacts gather_session_view_facts();

// Reads `session_id`'s entry from what the call returned (`returned`: the ReturnLength bytes of
// the buffer). Entries are taken back to back, up to the first whose NextEntryOffset is 0 or the
// end of `returned`; a trailing partial entry is ignored. No entry for the session: known=false.
[[nodiscard]] SessionViewFacts session_view_from_buffer(std::span<const std::byte> returned,
                                                        std::uint32_t session_id);

}  // namespace safelaunch::win32
