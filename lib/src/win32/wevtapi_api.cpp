#include "win32/wevtapi_api.hpp"

#include "win32/api_failure.hpp"
#include "win32/dynamic_library.hpp"

namespace safelaunch::win32 {
namespace {

bool fill(HMODULE m, WevtApi& t, std::error_code& ec, ApiFailure* failure) {
    const auto r = [&](const char* name, auto& slot) {
        return detail::resolve_export(m, "wevtapi.dll", name, slot, ec, failure);
    };
    return r("EvtClose", t.EvtClose) && r("EvtFormatMessage", t.EvtFormatMessage) && r("EvtNext", t.EvtNext) &&
           r("EvtOpenPublisherMetadata", t.EvtOpenPublisherMetadata) && r("EvtQuery", t.EvtQuery) &&
           r("EvtRender", t.EvtRender);
}

// Never destroyed: handles closed by static destructors may still need it.
detail::DynamicLibrary<WevtApi>& library() {
    static auto* const lib = new detail::DynamicLibrary<WevtApi>(L"wevtapi.dll", "wevtapi.dll", fill);
    return *lib;
}

}  // namespace

const WevtApi* wevtapi(std::error_code& ec, ApiFailure* failure) { return library().get(ec, failure); }

const WevtApi* wevtapi_for_close() noexcept { return library().for_close(); }

}  // namespace safelaunch::win32
