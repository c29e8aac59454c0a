#include "safelaunch/win32/win32k_trace.hpp"

#include "safelaunch/utc_time.hpp"
#include "safelaunch/win32/handles.hpp"
#include "safelaunch/win32/system_facts.hpp"
#include "win32/api_failure.hpp"
#include "win32/dynamic_library.hpp"

#include <windows.h>
// Order matters for MinGW: evntrace.h before evntcons.h and tdh.h.
#include <evntrace.h>
#include <evntcons.h>
#include <tdh.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cwchar>
#include <string_view>
#include <cstring>
#include <cwctype>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace safelaunch::win32 {
namespace {

// Microsoft-Windows-Win32k {8C416C79-D49B-4F01-A467-E56D3AA8234C}.
constexpr GUID kProvider = {0x8C416C79, 0xD49B, 0x4F01, {0xA4, 0x67, 0xE5, 0x6D, 0x3A, 0xA8, 0x23, 0x4C}};

// TDH_IN_TYPE / TDH_OUT_TYPE values (tdh.h; MinGW's header lacks the enums).
constexpr USHORT kInUnicodeString = 1, kInAnsiString = 2, kInInt32 = 7, kInUInt32 = 8, kInInt64 = 9, kInUInt64 = 10,
                 kInHexInt32 = 20, kInHexInt64 = 21;
constexpr USHORT kOutPid = 20, kOutNtStatus = 31;

constexpr ULONG kErrorWmiInstanceNotFound = 4201;  // ERROR_WMI_INSTANCE_NOT_FOUND: no such session
constexpr ULONG kEnableTimeoutMs = 5000;          // EnableTraceEx2: wait this long for the provider
constexpr std::size_t kMaxSessionNameChars = 1024;  // room ETW may write names back into

struct TdhApi {
    decltype(&::TdhGetEventInformation) GetEventInformation = nullptr;
    decltype(&::TdhGetPropertySize) GetPropertySize = nullptr;
    decltype(&::TdhGetProperty) GetProperty = nullptr;
};

bool fill_tdh(HMODULE m, TdhApi& t, std::error_code& ec, ApiFailure* failure) {
    const auto r = [&](const char* name, auto& slot) { return detail::resolve_export(m, "tdh.dll", name, slot, ec, failure); };
    return r("TdhGetEventInformation", t.GetEventInformation) && r("TdhGetPropertySize", t.GetPropertySize) &&
           r("TdhGetProperty", t.GetProperty);
}

const TdhApi* tdh(std::error_code& ec, ApiFailure* failure) {
    static auto* const lib = new detail::DynamicLibrary<TdhApi>(L"tdh.dll", "tdh.dll", fill_tdh);  // never freed
    return lib->get(ec, failure);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return s;
}

// One property's value as text; `number` gets 4-byte integers (for the status and pid fields).
std::string value_text(const EVENT_PROPERTY_INFO& p, const std::vector<BYTE>& v, std::optional<std::uint32_t>& number) {
    const USHORT in = p.nonStructType.InType;
    if ((in == kInInt32 || in == kInUInt32 || in == kInHexInt32) && v.size() == 4) {
        std::uint32_t x = 0;
        std::memcpy(&x, v.data(), 4);
        number = x;
        return in == kInHexInt32 || p.nonStructType.OutType == kOutNtStatus ? fmt::format("0x{:08X}", x) : std::to_string(x);
    }
    if ((in == kInInt64 || in == kInUInt64 || in == kInHexInt64) && v.size() == 8) {
        std::uint64_t x = 0;
        std::memcpy(&x, v.data(), 8);
        return in == kInHexInt64 ? fmt::format("0x{:016X}", x) : std::to_string(x);
    }
    if (in == kInUnicodeString) {
        std::wstring w(v.size() / 2, L'\0');
        if (!w.empty()) std::memcpy(w.data(), v.data(), w.size() * 2);
        while (!w.empty() && w.back() == L'\0') w.pop_back();
        return detail::narrow(w);
    }
    if (in == kInAnsiString) {
        std::string s(v.begin(), v.end());
        while (!s.empty() && s.back() == '\0') s.pop_back();
        return s;
    }
    std::string hex;
    for (std::size_t i = 0; i < v.size() && i < 64; ++i) hex += fmt::format("{:02X}", v[i]);
    return fmt::format("0x{}{} (in type {})", hex, v.size() > 64 ? "..." : "", in);
}

// Every top-level simple property by name (TdhGetEventInformation + TdhGetProperty); the status
// and pid fields are recognised by their out type (NTSTATUS, PID) or their name.
void decode(PEVENT_RECORD r, Win32kTraceEvent& e) {
    std::error_code ec;
    ApiFailure failure;
    const TdhApi* api = tdh(ec, &failure);
    if (!api) {
        e.fields.emplace_back("(not decoded)", failure.describe());
        return;
    }
    ULONG size = 0;
    ULONG rc = api->GetEventInformation(r, 0, nullptr, nullptr, &size);
    std::vector<std::uint64_t> buffer;  // 8-byte aligned for TRACE_EVENT_INFO
    if (rc == ERROR_INSUFFICIENT_BUFFER) {
        buffer.resize((size + 7) / 8);
        rc = api->GetEventInformation(r, 0, nullptr, reinterpret_cast<PTRACE_EVENT_INFO>(buffer.data()), &size);
    }
    if (rc != ERROR_SUCCESS) {
        e.fields.emplace_back("(not decoded)", fmt::format("TdhGetEventInformation error {}", rc));
        return;
    }
    const auto* info = reinterpret_cast<const TRACE_EVENT_INFO*>(buffer.data());
    const auto* base = reinterpret_cast<const BYTE*>(info);
    for (ULONG i = 0; i < info->TopLevelPropertyCount; ++i) {
        const EVENT_PROPERTY_INFO& p = info->EventPropertyInfoArray[i];
        const auto* wname = reinterpret_cast<const wchar_t*>(base + p.NameOffset);
        const std::string name = detail::narrow(wname);
        if ((p.Flags & (PropertyStruct | PropertyParamCount)) != 0 || p.count > 1) {
            e.fields.emplace_back(name, "(struct or array: not decoded)");
            continue;
        }
        PROPERTY_DATA_DESCRIPTOR d{};
        d.PropertyName = reinterpret_cast<ULONGLONG>(wname);
        d.ArrayIndex = ULONG_MAX;
        ULONG psize = 0;
        rc = api->GetPropertySize(r, 0, nullptr, 1, &d, &psize);
        std::vector<BYTE> v(psize);
        if (rc == ERROR_SUCCESS && psize > 0) rc = api->GetProperty(r, 0, nullptr, 1, &d, psize, v.data());
        if (rc != ERROR_SUCCESS) {
            e.fields.emplace_back(name, fmt::format("(TdhGetProperty error {})", rc));
            continue;
        }
        std::optional<std::uint32_t> number;
        e.fields.emplace_back(name, value_text(p, v, number));
        if (!number) continue;
        const auto n = lower(name);
        if (!e.status && (p.nonStructType.OutType == kOutNtStatus || n.find("status") != std::string::npos)) {
            e.status = number;
            e.status_field = name;
        } else if (*number != 0 && (p.nonStructType.OutType == kOutPid || n == "processid" || n == "pid")) {
            e.pid = *number;  // the event names the process: it may be logged from another one
        }
    }
}

std::vector<std::uint64_t> make_properties(const std::wstring& name) {
    const std::size_t bytes = sizeof(EVENT_TRACE_PROPERTIES) + 2 * (kMaxSessionNameChars + 1) * sizeof(wchar_t);
    std::vector<std::uint64_t> buffer((bytes + 7) / 8, 0);
    auto* p = reinterpret_cast<EVENT_TRACE_PROPERTIES*>(buffer.data());
    p->Wnode.BufferSize = static_cast<ULONG>(buffer.size() * 8);
    p->Wnode.Flags = WNODE_FLAG_TRACED_GUID;
    p->Wnode.ClientContext = 1;  // QPC time stamps (converted to system time for the consumer)
    p->LogFileMode = EVENT_TRACE_REAL_TIME_MODE;
    p->FlushTimer = 1;  // seconds: real-time buffers reach the consumer within a second
    p->LoggerNameOffset = sizeof(EVENT_TRACE_PROPERTIES);
    p->LogFileNameOffset = 0;  // real time: no file
    std::memcpy(reinterpret_cast<BYTE*>(p) + p->LoggerNameOffset, name.c_str(),
                (std::min(name.size(), kMaxSessionNameChars)) * sizeof(wchar_t));
    return buffer;
}

EVENT_TRACE_PROPERTIES* props(std::vector<std::uint64_t>& b) { return reinterpret_cast<EVENT_TRACE_PROPERTIES*>(b.data()); }

constexpr std::wstring_view kSessionPrefix = L"safelaunch-win32k-";

// The launcher pid in "safelaunch-win32k-<pid>-<n>", or 0.
DWORD session_owner(std::wstring_view name) {
    if (name.substr(0, kSessionPrefix.size()) != kSessionPrefix) return 0;
    DWORD pid = 0;
    for (const wchar_t c : name.substr(kSessionPrefix.size())) {
        if (c == L'-') return pid;
        if (c < L'0' || c > L'9' || pid > 429496728U) return 0;
        pid = pid * 10 + static_cast<DWORD>(c - L'0');
    }
    return 0;
}

// ETW sessions outlive the process that started them (a launcher killed before stop()). Stops every
// session of ours whose launcher no longer exists (OpenProcess: ERROR_INVALID_PARAMETER). A pid
// reused by another process keeps its leftover until that one exits: never a live launcher's.
void stop_orphaned_sessions() {
    constexpr ULONG kMaxSessions = 64;  // QueryAllTracesW's documented maximum per call
    std::vector<std::vector<std::uint64_t>> buffers;
    std::vector<EVENT_TRACE_PROPERTIES*> array;
    buffers.reserve(kMaxSessions);
    for (ULONG i = 0; i < kMaxSessions; ++i) {
        buffers.push_back(make_properties(L""));
        auto* p = props(buffers.back());
        p->LogFileNameOffset = p->LoggerNameOffset + static_cast<ULONG>((kMaxSessionNameChars + 1) * sizeof(wchar_t));
        array.push_back(p);
    }
    ULONG count = 0;
    const ULONG rc = ::QueryAllTracesW(array.data(), kMaxSessions, &count);
    if (rc != ERROR_SUCCESS && rc != ERROR_MORE_DATA) return;
    for (ULONG i = 0; i < count && i < kMaxSessions; ++i) {
        const auto* base = reinterpret_cast<const wchar_t*>(reinterpret_cast<const BYTE*>(array[i]) + array[i]->LoggerNameOffset);
        const std::wstring name(base, ::wcsnlen(base, kMaxSessionNameChars));
        const DWORD pid = session_owner(name);
        if (pid == 0 || pid == ::GetCurrentProcessId()) continue;
        // A process that has exited can still be opened while someone holds a handle to it:
        // signaled means dead, its session orphaned.
        if (const unique_handle h{::OpenProcess(SYNCHRONIZE, FALSE, pid)}) {
            if (::WaitForSingleObject(h.get(), 0) != WAIT_OBJECT_0) continue;  // alive (or its pid reused)
        } else if (::GetLastError() != ERROR_INVALID_PARAMETER) {
            continue;  // access denied: it exists
        }
        auto b = make_properties(name);
        (void)::ControlTraceW(0, name.c_str(), props(b), EVENT_TRACE_CONTROL_STOP);
    }
}

}  // namespace

struct Win32kTrace::State {
    std::mutex mutex;  // guards facts.events, facts.events_dropped
    Win32kTraceFacts facts;
    std::wstring name;
    std::vector<std::uint64_t> properties;
    TRACEHANDLE session = 0;
    bool session_started = false;
    TRACEHANDLE consumer = INVALID_PROCESSTRACE_HANDLE;
    std::thread thread;
    std::atomic<bool> consumer_done{false};
    std::atomic<ULONG> consumer_result{ERROR_SUCCESS};  // ProcessTrace's return
    std::atomic<std::uint64_t> total{0};
    std::atomic<std::uint32_t> child_pid{0};
    bool stopped = false;

    void fail(const char* api, ULONG code) {
        facts.failed_api = api;
        facts.error = code;
        facts.reason = std::system_category().message(static_cast<int>(code));
        while (!facts.reason.empty() && (facts.reason.back() == '\n' || facts.reason.back() == '\r' || facts.reason.back() == ' '))
            facts.reason.pop_back();
        if (const auto wine = wine_version()) facts.reason += fmt::format(" (Wine {}: its ETW functions are stubs)", *wine);
    }

    // Stops a session of this name, whoever started it (a leftover of a launcher that died).
    void stop_by_name() {
        auto b = make_properties(name);
        (void)::ControlTraceW(0, name.c_str(), props(b), EVENT_TRACE_CONTROL_STOP);
    }

    static void WINAPI on_event(PEVENT_RECORD r) noexcept {
        auto* s = static_cast<State*>(r->UserContext);
        if (!s || !IsEqualGUID(r->EventHeader.ProviderId, kProvider)) return;  // the session's header event
        s->total.fetch_add(1, std::memory_order_relaxed);
        if (r->EventHeader.EventDescriptor.Id != kWin32kEventDesktopResolutionFailure) return;
        try {
            Win32kTraceEvent e;
            e.id = r->EventHeader.EventDescriptor.Id;
            e.pid = r->EventHeader.ProcessId;
            e.time_utc = format_utc_ticks(r->EventHeader.TimeStamp.QuadPart);
            decode(r, e);
            const std::uint32_t child = s->child_pid.load(std::memory_order_acquire);
            if (child != 0 && e.pid != child && r->EventHeader.ProcessId != child) return;
            const std::lock_guard lock(s->mutex);
            if (s->facts.events.size() < kWin32kTraceMaxEvents)
                s->facts.events.push_back(std::move(e));
            else
                ++s->facts.events_dropped;
        } catch (...) {  // bad_alloc inside ETW's thread: the event is lost, nothing else
        }
    }
};

Win32kTrace::Win32kTrace() noexcept = default;
Win32kTrace::Win32kTrace(Win32kTrace&&) noexcept = default;
Win32kTrace& Win32kTrace::operator=(Win32kTrace&& other) noexcept {
    if (this != &other) {
        try {
            (void)stop();
        } catch (...) {
        }
        state_ = std::move(other.state_);
    }
    return *this;
}
Win32kTrace::~Win32kTrace() {
    try {
        (void)stop();
    } catch (...) {  // bad_alloc copying the facts: the session is stopped all the same
    }
}

Win32kTrace Win32kTrace::start() {
    static std::atomic<unsigned> counter{0};
    Win32kTrace t;
    t.state_ = std::make_unique<State>();
    State& s = *t.state_;
    s.facts.requested = true;
    s.facts.level = kWin32kTraceLevel;
    s.facts.keywords = kWin32kTraceKeywords;
    s.facts.session_name = fmt::format("safelaunch-win32k-{}-{}", ::GetCurrentProcessId(), counter.fetch_add(1) + 1);
    s.name = detail::widen(s.facts.session_name);
    stop_orphaned_sessions();
    s.stop_by_name();
    s.properties = make_properties(s.name);
    ULONG rc = ::StartTraceW(&s.session, s.name.c_str(), props(s.properties));
    if (rc == ERROR_ALREADY_EXISTS) {  // started between our stop and start: stop it once more
        s.stop_by_name();
        s.properties = make_properties(s.name);
        rc = ::StartTraceW(&s.session, s.name.c_str(), props(s.properties));
    }
    if (rc != ERROR_SUCCESS) {
        s.fail("StartTraceW", rc);
        return t;
    }
    s.session_started = true;
    // Timeout 0 would enable the provider asynchronously, possibly after the child has started;
    // with a timeout it returns once the provider is enabled. ERROR_TIMEOUT: the enabling goes on
    // (EnableTraceEx2's documentation), so the launch does too.
    rc = ::EnableTraceEx2(s.session, &kProvider, EVENT_CONTROL_CODE_ENABLE_PROVIDER, kWin32kTraceLevel, kWin32kTraceKeywords, 0,
                          kEnableTimeoutMs, nullptr);
    if (rc != ERROR_SUCCESS && rc != ERROR_TIMEOUT) {
        s.fail("EnableTraceEx2", rc);
        return t;  // stop() ends the session
    }
    EVENT_TRACE_LOGFILEW logfile{};
    logfile.LoggerName = s.name.data();
    logfile.ProcessTraceMode = PROCESS_TRACE_MODE_REAL_TIME | PROCESS_TRACE_MODE_EVENT_RECORD;
    logfile.EventRecordCallback = &State::on_event;
    logfile.Context = &s;
    s.consumer = ::OpenTraceW(&logfile);
    if (s.consumer == INVALID_PROCESSTRACE_HANDLE) {
        s.fail("OpenTraceW", ::GetLastError());
        return t;
    }
    s.thread = std::thread([&s] {
        TRACEHANDLE h = s.consumer;
        // Returns once the session stops or the trace closes; its code is kept for stop().
        s.consumer_result.store(::ProcessTrace(&h, 1, nullptr, nullptr), std::memory_order_relaxed);
        s.consumer_done.store(true, std::memory_order_release);
    });
    s.facts.started = true;
    return t;
}

void Win32kTrace::set_child_pid(std::uint32_t pid) noexcept {
    if (!state_) return;
    state_->child_pid.store(pid, std::memory_order_release);
    const std::lock_guard lock(state_->mutex);
    state_->facts.child_pid = pid;
}

Win32kTraceFacts Win32kTrace::stop() {
    if (!state_) return {};
    State& s = *state_;
    if (!s.stopped) {
        s.stopped = true;
        if (s.session_started) {
            // Stopping flushes the session's buffers to the consumer, then ProcessTrace returns.
            const ULONG rc = ::ControlTraceW(s.session, nullptr, props(s.properties), EVENT_TRACE_CONTROL_STOP);
            if (rc == ERROR_SUCCESS) {  // the properties now hold the session's final counts
                s.facts.events_lost = props(s.properties)->EventsLost;
                s.facts.buffers_lost = props(s.properties)->RealTimeBuffersLost;
            }
            if (rc != ERROR_SUCCESS && rc != kErrorWmiInstanceNotFound) s.stop_by_name();
        }
        if (s.thread.joinable()) {
            // Bounded: should ProcessTrace not return by itself, CloseTrace makes it (after the
            // buffers it holds are delivered).
            const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
            while (!s.consumer_done.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (s.consumer != INVALID_PROCESSTRACE_HANDLE) (void)::CloseTrace(s.consumer);
        if (s.thread.joinable()) s.thread.join();
        // A consumer that failed saw nothing: the trace did not run, whatever StartTraceW said.
        // (ERROR_CANCELLED: processing ended by CloseTrace.)
        if (const ULONG rc = s.consumer_result.load(std::memory_order_relaxed);
            s.consumer != INVALID_PROCESSTRACE_HANDLE && rc != ERROR_SUCCESS && rc != ERROR_CANCELLED) {
            const std::lock_guard lock(s.mutex);
            s.fail("ProcessTrace", rc);
            s.facts.started = false;
        }
        s.consumer = INVALID_PROCESSTRACE_HANDLE;
        s.facts.events_total = s.total.load();
    }
    const std::lock_guard lock(s.mutex);
    return s.facts;
}

}  // namespace safelaunch::win32
