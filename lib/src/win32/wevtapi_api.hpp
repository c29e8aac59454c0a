// Internal: wevtapi.dll, resolved at first use like user32 (dynamic_library.hpp). It is absent on
// some editions (Server Core variants, Windows PE), so reading the event log is optional: when it
// cannot be loaded the events are "unknown" with the reason, as for a refused EvtQuery.
#pragma once

#include "safelaunch/error.hpp"

#include <windows.h>
#include <winevt.h>

#include <system_error>

namespace safelaunch::win32 {

struct WevtApi {
    decltype(&::EvtClose) EvtClose = nullptr;
    decltype(&::EvtFormatMessage) EvtFormatMessage = nullptr;
    decltype(&::EvtNext) EvtNext = nullptr;
    decltype(&::EvtOpenPublisherMetadata) EvtOpenPublisherMetadata = nullptr;
    decltype(&::EvtQuery) EvtQuery = nullptr;
    decltype(&::EvtRender) EvtRender = nullptr;
};

// The table, loading wevtapi.dll (System32 only) at the first call; nullptr with ec and *failure
// (LoadLibraryExW(wevtapi.dll) or GetProcAddress(wevtapi.dll!EvtQuery)) when it cannot be had.
[[nodiscard]] const WevtApi* wevtapi(std::error_code& ec, ApiFailure* failure = nullptr);

// For EVT_HANDLE deleters: the table an EVT_HANDLE came from (nullptr: there can be none).
[[nodiscard]] const WevtApi* wevtapi_for_close() noexcept;

}  // namespace safelaunch::win32
