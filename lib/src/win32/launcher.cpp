// LaunchRequest → Boost.Process v2 launcher → Child.
//
// Boost 1.81 notes (see /work/shared/notes/platform-facts.md and the quirks tests):
//  - the launcher's result stays a basic_process<io_context::executor_type> inside Child::Impl:
//    converting it to `process` loses the handle, and the temporary then terminates the child;
//  - only the (executor, ec, ...) overloads are used: as_user_launcher(context, ec, ...) throws;
//  - on_error hooks are never called, so failures are read from ec after the call.
#include "safelaunch/win32/launcher.hpp"

#include "safelaunch/command_line.hpp"
#include "safelaunch/error_mode.hpp"
#include "safelaunch/win32/error_mode.hpp"
#include "safelaunch/win32/handles.hpp"
#include "win32/api_failure.hpp"

// BOOST_PROCESS_USE_STD_FS in 1.81 needs these two before any Process v2 header.
#include <boost/optional.hpp>
#include <type_traits>

#include <boost/asio/io_context.hpp>
#include <boost/nowide/convert.hpp>
#include <boost/process/v2/process.hpp>
#include <boost/process/v2/windows/as_user_launcher.hpp>
#include <boost/process/v2/windows/default_launcher.hpp>
#include <boost/process/v2/windows/with_logon_launcher.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <new>
#include <utility>
#include <variant>
#include <vector>

namespace safelaunch::win32 {

namespace bp = boost::process::v2;
namespace asio = boost::asio;

struct Child::Impl {
    asio::io_context context;  // the process's executor refers to it: declared first, dies last
    // Closed after `process` is destroyed: kill-on-close then ends whatever the child left running.
    unique_handle job;
    std::optional<std::string> job_note;  // why the tree is not contained, when it was asked
    bp::basic_process<asio::io_context::executor_type> process{context.get_executor()};
    std::chrono::steady_clock::time_point started{};
    unique_handle suspended_thread;  // the primary thread while the child waits for resume()
    ChildErrorMode error_mode;       // what it was given at creation
};

namespace {

std::error_code last_error() noexcept { return make_win32_error(::GetLastError()); }

// The three standard handles for STARTF_USESTDHANDLES, inheritable, owned here until the launch
// is over (the child has its own duplicates by then).
struct StdHandles {
    std::array<unique_handle, 3> handles;
    bool redirect = false;
};

unique_handle open_stream(const StdStream& s, DWORD std_id, std::error_code& ec, ApiFailure* failure) {
    SECURITY_ATTRIBUTES sa{sizeof(sa), nullptr, TRUE};
    const bool input = std_id == STD_INPUT_HANDLE;
    if (s.kind == StdStream::Kind::inherit) {
        // Re-shared as an inheritable duplicate: the parent's own may not be inheritable.
        const HANDLE own = ::GetStdHandle(std_id);
        unique_handle dup;
        if (own && own != INVALID_HANDLE_VALUE &&
            !::DuplicateHandle(::GetCurrentProcess(), own, ::GetCurrentProcess(), dup.put(), 0, TRUE,
                               DUPLICATE_SAME_ACCESS)) {
            dup.reset();  // a handle that cannot be duplicated (closed console): the child gets none
        }
        return dup;
    }
    const std::wstring path = s.kind == StdStream::Kind::null ? std::wstring(L"NUL") : boost::nowide::widen(s.path);
    const DWORD access = input ? GENERIC_READ : (s.append ? FILE_APPEND_DATA | SYNCHRONIZE : GENERIC_WRITE);
    const DWORD disposition = input ? OPEN_EXISTING : (s.append ? OPEN_ALWAYS : CREATE_ALWAYS);
    const HANDLE h = ::CreateFileW(path.c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE, &sa, disposition,
                                   FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        ec = last_error();
        if (failure) *failure = ApiFailure{"CreateFileW", "standard stream file " + boost::nowide::narrow(path), ec};
        return {};
    }
    return unique_handle(h);
}

// PROC_THREAD_ATTRIBUTE_HANDLE_LIST for STARTUPINFOEX: the only handles the child inherits.
class HandleList {
public:
    HandleList() = default;
    HandleList(const HandleList&) = delete;
    HandleList& operator=(const HandleList&) = delete;
    ~HandleList() {
        if (initialized_) ::DeleteProcThreadAttributeList(list());
    }

    // `handles`: inheritable, non-null; duplicates are dropped (a repeated handle is refused).
    bool build(const std::array<unique_handle, 3>& handles, std::error_code& ec, ApiFailure* failure) {
        for (const auto& h : handles) {
            if (!h || h.get() == INVALID_HANDLE_VALUE) continue;
            if (std::find(handles_.begin(), handles_.end(), h.get()) == handles_.end()) handles_.push_back(h.get());
        }
        if (handles_.empty()) return true;
        SIZE_T size = 0;
        (void)::InitializeProcThreadAttributeList(nullptr, 1, 0, &size);  // FALSE, ERROR_INSUFFICIENT_BUFFER
        buffer_.resize(size);
        if (!::InitializeProcThreadAttributeList(list(), 1, 0, &size)) {
            ec = make_win32_error(::GetLastError());
            if (failure) *failure = ApiFailure{"InitializeProcThreadAttributeList", "std handle list", ec};
            return false;
        }
        initialized_ = true;
        // The list keeps a pointer to handles_: it lives as long as this object.
        if (!::UpdateProcThreadAttribute(list(), 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles_.data(),
                                         handles_.size() * sizeof(HANDLE), nullptr, nullptr)) {
            ec = make_win32_error(::GetLastError());
            if (failure) *failure = ApiFailure{"UpdateProcThreadAttribute", "std handle list", ec};
            return false;
        }
        return true;
    }
    [[nodiscard]] LPPROC_THREAD_ATTRIBUTE_LIST get() noexcept { return initialized_ ? list() : nullptr; }

private:
    LPPROC_THREAD_ATTRIBUTE_LIST list() noexcept {
        return reinterpret_cast<LPPROC_THREAD_ATTRIBUTE_LIST>(buffer_.data());
    }
    std::vector<HANDLE> handles_;
    std::vector<unsigned char> buffer_;
    bool initialized_ = false;
};

// The init object: everything the request sets beyond program and args, applied in on_setup so
// it works for all three launchers. Its strings live as long as the launcher call.
struct RequestInit {
    std::wstring command_line;
    std::optional<std::wstring> desktop;
    std::wstring environment;  // empty: inherit
    std::optional<std::wstring> working_directory;
    DWORD creation_flags = 0;
    StdHandles* stdio = nullptr;
    HandleList* handle_list = nullptr;   // set when stdio is redirected (not for RunAsLogon)
    unique_handle* keep_thread = nullptr;  // receives the primary thread (suspended launches)

    template <typename Launcher>
    bp::error_code on_setup(Launcher& launcher, const bp::filesystem::path&, std::wstring& cmd_line) {
        cmd_line = command_line;  // our quoting (safelaunch/command_line.hpp), argv[0] included
        if constexpr (std::is_same_v<Launcher, bp::windows::with_logon_launcher>) {
            // CreateProcessWithLogonW takes a STARTUPINFO: Boost 1.81 (default_launcher.hpp)
            // starts every launcher with EXTENDED_STARTUPINFO_PRESENT and cb =
            // sizeof(STARTUPINFOEXW), which that function does not document (M11).
            launcher.creation_flags &= ~static_cast<DWORD>(EXTENDED_STARTUPINFO_PRESENT);
            launcher.startup_info.StartupInfo.cb = sizeof(STARTUPINFOW);
            launcher.startup_info.lpAttributeList = nullptr;
        }
        if (desktop) launcher.startup_info.StartupInfo.lpDesktop = desktop->data();
        launcher.creation_flags |= creation_flags;
        if (!environment.empty()) {
            launcher.environment = environment.data();
            launcher.creation_flags |= CREATE_UNICODE_ENVIRONMENT;
        }
        if (working_directory) launcher.current_directory = *working_directory;
        if (stdio && stdio->redirect) {
            auto& si = launcher.startup_info.StartupInfo;
            si.dwFlags |= STARTF_USESTDHANDLES;
            si.hStdInput = stdio->handles[0].get();
            si.hStdOutput = stdio->handles[1].get();
            si.hStdError = stdio->handles[2].get();
            launcher.inherit_handles = true;
            if constexpr (!std::is_same_v<Launcher, bp::windows::with_logon_launcher>) {
                if (handle_list && handle_list->get()) launcher.startup_info.lpAttributeList = handle_list->get();
            }
        }
        return {};
    }

    // Boost closes the thread handle right after this: a suspended child keeps it for resume().
    template <typename Launcher>
    void on_success(Launcher& launcher, const bp::filesystem::path&, std::wstring&) {
        if (!keep_thread) return;
        keep_thread->reset(launcher.process_information.hThread);
        launcher.process_information.hThread = INVALID_HANDLE_VALUE;
    }
};

template <typename Launcher>
void run(Launcher& launcher, Child::Impl& impl, const std::wstring& exe, RequestInit& init, bp::error_code& ec) {
    // (executor, ec, ...): the (context, ec, ...) overload of as_user_launcher throws instead.
    impl.process = launcher(impl.context.get_executor(), ec, bp::filesystem::path(exe), std::vector<std::wstring>{},
                            init);
}

// A job whose last handle's close ends every process in it; the process is assigned to it.
unique_handle contain(HANDLE process, std::error_code& ec, ApiFailure& failure) {
    unique_handle job(::CreateJobObjectW(nullptr, nullptr));
    if (!job) {
        detail::fail(ec, &failure, "CreateJobObjectW", "the child's job", ::GetLastError());
        return {};
    }
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    if (!::SetInformationJobObject(job.get(), JobObjectExtendedLimitInformation, &limits, sizeof(limits))) {
        detail::fail(ec, &failure, "SetInformationJobObject", "JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE", ::GetLastError());
        return {};
    }
    if (!::AssignProcessToJobObject(job.get(), process)) {
        detail::fail(ec, &failure, "AssignProcessToJobObject", "the child", ::GetLastError());
        return {};
    }
    return job;
}

}  // namespace

// ---- Child --------------------------------------------------------------------------------------

Child::Child() noexcept = default;
Child::Child(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}
Child::Child(Child&&) noexcept = default;
Child& Child::operator=(Child&&) noexcept = default;
Child::~Child() = default;  // Impl's basic_process terminates a still-running process

bool Child::valid() const noexcept {
    return impl_ && impl_->process.native_handle() != INVALID_HANDLE_VALUE && impl_->process.native_handle();
}

std::uint32_t Child::pid() const noexcept { return impl_ ? static_cast<std::uint32_t>(impl_->process.id()) : 0; }

HANDLE Child::native_handle() const noexcept { return impl_ ? impl_->process.native_handle() : nullptr; }

std::optional<ChildErrorMode> Child::error_mode() const {
    if (!valid()) return std::nullopt;
    return impl_->error_mode;
}

std::chrono::steady_clock::time_point Child::started() const noexcept {
    return impl_ ? impl_->started : std::chrono::steady_clock::time_point{};
}

std::optional<std::uint32_t> Child::wait_for(std::chrono::milliseconds timeout, std::error_code& ec) noexcept {
    ec.clear();
    if (!valid()) {
        ec = make_win32_error(ERROR_INVALID_HANDLE);
        return std::nullopt;
    }
    // INFINITE is 0xFFFFFFFF: clamp finite timeouts below it.
    const auto ms = timeout.count() < 0 ? 0 : std::min<std::int64_t>(timeout.count(), INFINITE - 1);
    switch (::WaitForSingleObject(native_handle(), static_cast<DWORD>(ms))) {
    case WAIT_OBJECT_0: break;
    case WAIT_TIMEOUT: return std::nullopt;
    default: ec = last_error(); return std::nullopt;
    }
    DWORD code = 0;
    if (!::GetExitCodeProcess(native_handle(), &code)) {
        ec = last_error();
        return std::nullopt;
    }
    return code;
}

std::uint32_t Child::wait(std::error_code& ec) noexcept {
    ec.clear();
    if (!valid()) {
        ec = make_win32_error(ERROR_INVALID_HANDLE);
        return 0;
    }
    if (::WaitForSingleObject(native_handle(), INFINITE) != WAIT_OBJECT_0) {
        ec = last_error();
        return 0;
    }
    DWORD code = 0;
    if (!::GetExitCodeProcess(native_handle(), &code)) ec = last_error();
    return code;
}

std::uint32_t Child::wait() {
    std::error_code ec;
    const auto code = wait(ec);
    if (ec) throw Error(ApiFailure{"WaitForSingleObject", "process " + std::to_string(pid()), ec});
    return code;
}

std::optional<std::uint32_t> Child::wait_for(std::chrono::milliseconds timeout) {
    std::error_code ec;
    auto code = wait_for(timeout, ec);
    if (ec) throw Error(ApiFailure{"WaitForSingleObject", "process " + std::to_string(pid()), ec});
    return code;
}

std::optional<std::uint32_t> Child::exit_code() const noexcept {
    if (!valid() || ::WaitForSingleObject(native_handle(), 0) != WAIT_OBJECT_0) return std::nullopt;
    DWORD code = 0;
    if (!::GetExitCodeProcess(native_handle(), &code)) return std::nullopt;
    return code;
}

void Child::terminate(std::uint32_t exit_code, std::error_code& ec) noexcept {
    ec.clear();
    if (!valid()) {
        ec = make_win32_error(ERROR_INVALID_HANDLE);
        return;
    }
    if (::WaitForSingleObject(native_handle(), 0) == WAIT_OBJECT_0) return;
    if (!::TerminateProcess(native_handle(), exit_code)) {
        const auto err = last_error();
        // Lost the race with a natural exit: not a failure.
        if (::WaitForSingleObject(native_handle(), 0) != WAIT_OBJECT_0) ec = err;
        return;
    }
    // TerminateProcess is asynchronous: wait until the process is really gone.
    if (::WaitForSingleObject(native_handle(), INFINITE) != WAIT_OBJECT_0) ec = last_error();
}

void Child::terminate(std::uint32_t exit_code) {
    std::error_code ec;
    terminate(exit_code, ec);
    if (ec) throw Error(ApiFailure{"TerminateProcess", "process " + std::to_string(pid()), ec});
}

void Child::detach() noexcept {
    if (!impl_) return;
    (void)impl_->process.detach();  // the returned handle object closes the HANDLE, nothing more
    impl_.reset();
}

bool Child::contained() const noexcept { return impl_ && impl_->job; }

std::optional<std::string> Child::containment_note() const {
    if (!impl_) return std::nullopt;
    return impl_->job_note;
}

std::optional<std::uint32_t> Child::processes_in_tree() const noexcept {
    if (!contained()) return std::nullopt;
    JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info{};
    if (!::QueryInformationJobObject(impl_->job.get(), JobObjectBasicAccountingInformation, &info, sizeof(info), nullptr))
        return std::nullopt;
    return static_cast<std::uint32_t>(info.ActiveProcesses);
}

std::uint32_t Child::end_tree(std::uint32_t exit_code, std::error_code& ec) noexcept {
    ec.clear();
    if (!contained()) return 0;
    const auto alive = processes_in_tree().value_or(0);
    if (alive == 0) return 0;
    if (!::TerminateJobObject(impl_->job.get(), exit_code)) {
        ec = last_error();
        return 0;
    }
    return alive;
}

bool Child::suspended() const noexcept { return impl_ && impl_->suspended_thread; }

void Child::resume(std::error_code& ec) noexcept {
    ec.clear();
    if (!suspended()) return;
    // ResumeThread returns the previous suspend count, (DWORD)-1 on failure.
    if (::ResumeThread(impl_->suspended_thread.get()) == static_cast<DWORD>(-1)) {
        ec = last_error();
        return;
    }
    impl_->suspended_thread.reset();
    impl_->started = std::chrono::steady_clock::now();
}

void Child::resume() {
    std::error_code ec;
    resume(ec);
    if (ec) throw Error(ApiFailure{"ResumeThread", "process " + std::to_string(pid()), ec});
}

// ---- LaunchError --------------------------------------------------------------------------------

LaunchError::LaunchError(LaunchFailure failure) : Error(std::move(failure.failure)), kind_(failure.kind) {}

// ---- launch_process -----------------------------------------------------------------------------

Child launch_process(const LaunchRequest& request, std::error_code& ec, LaunchFailure* failure) noexcept {
    return launch_process(request, LaunchOptions{}, ec, failure);
}

Child launch_process(const LaunchRequest& request, const LaunchOptions& options, std::error_code& ec,
                     LaunchFailure* failure) noexcept {
    ec.clear();
    ApiFailure api_failure;
    auto fail = [&](LaunchFailureKind kind) {
        if (failure) *failure = LaunchFailure{kind, std::move(api_failure)};
        return Child{};
    };
    try {
        const auto exe_utf8 = resolve_program(request.program, ec, &api_failure);
        if (ec) return fail(LaunchFailureKind::not_found);
        const auto exe = boost::nowide::widen(exe_utf8);

        RequestInit init;
        init.command_line = boost::nowide::widen(build_command_line(exe_utf8, request.args, ec));
        if (ec) {
            api_failure = ApiFailure{"build_command_line", "program " + exe_utf8, ec};
            return fail(LaunchFailureKind::not_startable);
        }
        if (request.desktop) init.desktop = boost::nowide::widen(*request.desktop);
        // A child of another user starts from that user's variables, not ours (M10).
        init.environment = environment_block(request.environment, request.run_as, ec, &api_failure);
        if (ec) return fail(LaunchFailureKind::not_startable);
        if (request.working_directory) init.working_directory = boost::nowide::widen(*request.working_directory);
        init.creation_flags = request.creation_flags;

        StdHandles stdio;
        const auto& s = request.stdio;
        stdio.redirect = s.in.kind != StdStream::Kind::inherit || s.out.kind != StdStream::Kind::inherit ||
                         s.err.kind != StdStream::Kind::inherit;
        HandleList handle_list;
        if (stdio.redirect && !options.inherit_handles) {
            // Nothing can be handed over without inheritance: null streams become "no handles
            // and no console", a file cannot be given at all.
            if (s.in.kind == StdStream::Kind::file || s.out.kind == StdStream::Kind::file ||
                s.err.kind == StdStream::Kind::file) {
                ec = make_win32_error(ERROR_INVALID_PARAMETER);
                api_failure = ApiFailure{"launch_process", "std stream files without handle inheritance", ec};
                return fail(LaunchFailureKind::not_startable);
            }
            stdio.redirect = false;
            init.creation_flags |= DETACHED_PROCESS;
        }
        if (stdio.redirect) {
            const std::array<std::pair<const StdStream*, DWORD>, 3> streams = {
                {{&s.in, STD_INPUT_HANDLE}, {&s.out, STD_OUTPUT_HANDLE}, {&s.err, STD_ERROR_HANDLE}}};
            for (std::size_t i = 0; i < streams.size(); ++i) {
                stdio.handles[i] = open_stream(*streams[i].first, streams[i].second, ec, &api_failure);
                if (ec) return fail(LaunchFailureKind::not_startable);
            }
            if (!std::holds_alternative<RunAsLogon>(request.run_as) &&
                !handle_list.build(stdio.handles, ec, &api_failure))
                return fail(LaunchFailureKind::not_startable);
            init.handle_list = &handle_list;
        }
        init.stdio = &stdio;

        auto impl = std::make_unique<Child::Impl>();
        // A contained child starts suspended too: it joins its job before it runs anything.
        if (options.suspended || request.contain_tree) {
            init.creation_flags |= CREATE_SUSPENDED;
            init.keep_thread = &impl->suspended_thread;
        }
        bp::error_code bec;
        const char* api = "CreateProcessW";
        {
            // Every CreateProcess* of the library passes here: the child inherits the error mode
            // held in this scope (restored when it ends), so a child that dies at start never
            // waits on a hard-error popup unless the request opts out (ErrorUi).
            const bool with_logon = std::holds_alternative<RunAsLogon>(request.run_as);
            ErrorModeScope error_mode;
            const auto plan = plan_error_mode(request.error_ui, error_mode.current(), init.creation_flags,
                                              with_logon ? ErrorModeLaunchKind::with_logon
                                                         : ErrorModeLaunchKind::inherits);
            init.creation_flags = plan.creation_flags;
            impl->error_mode = plan.report;
            error_mode.hold(plan);
            if (const auto* token = std::get_if<RunAsToken>(&request.run_as)) {
                bp::windows::as_user_launcher launcher(reinterpret_cast<HANDLE>(token->handle));
                api = "CreateProcessAsUserW";
                run(launcher, *impl, exe, init, bec);
            } else if (const auto* logon = std::get_if<RunAsLogon>(&request.run_as)) {
                bp::windows::with_logon_launcher launcher(boost::nowide::widen(logon->user),
                                                          boost::nowide::widen(logon->password),
                                                          boost::nowide::widen(logon->domain), logon->logon_flags);
                api = "CreateProcessWithLogonW";
                run(launcher, *impl, exe, init, bec);
            } else {
                bp::windows::default_launcher launcher;
                run(launcher, *impl, exe, init, bec);
            }
        }
        // A failed call whose GetLastError() was 0 (Wine's CreateProcessWithLogonW stub) leaves bec
        // clear and no process: still a failure.
        if (bec || !impl->process.native_handle() || impl->process.native_handle() == INVALID_HANDLE_VALUE) {
            detail::fail(ec, &api_failure, api, "program " + exe_utf8, static_cast<DWORD>(bec.value()));
            return fail(LaunchFailureKind::not_startable);
        }
        if (request.contain_tree) {
            std::error_code jec;
            ApiFailure job_failure;
            impl->job = contain(impl->process.native_handle(), jec, job_failure);
            if (jec) impl->job_note = job_failure.describe();
        }
        impl->started = std::chrono::steady_clock::now();
        Child child(std::move(impl));
        if (!options.suspended) {
            child.resume(ec);
            if (ec) {
                api_failure = ApiFailure{"ResumeThread", "program " + exe_utf8, ec};
                std::error_code ignored;
                child.terminate(kTerminatedExitCode, ignored);
                return fail(LaunchFailureKind::not_startable);
            }
        }
        return child;
    } catch (const std::bad_alloc&) {
        ec = make_win32_error(ERROR_NOT_ENOUGH_MEMORY);
    } catch (const std::system_error& e) {
        ec = make_win32_error(static_cast<std::uint32_t>(e.code().value()));
    } catch (const boost::system::system_error& e) {
        ec = make_win32_error(static_cast<std::uint32_t>(e.code().value()));
    }
    api_failure = ApiFailure{"launch_process", "program " + request.program, ec};
    return fail(LaunchFailureKind::not_startable);
}

Child launch_process(const LaunchRequest& request) {
    std::error_code ec;
    LaunchFailure failure;
    auto child = launch_process(request, ec, &failure);
    if (ec) throw LaunchError(std::move(failure));
    return child;
}

}  // namespace safelaunch::win32
