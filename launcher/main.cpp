// safelaunch: start Windows processes safely and explain DLL-initialisation failures.
#include "cli.hpp"
#include "exit_codes.hpp"

#ifdef _WIN32
#include "safelaunch/win32/process_arguments.hpp"
#endif

#include <fmt/format.h>

#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, at most U+10FFFF).
bool is_utf8(std::string_view s) {
    constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t extra = 0;
        std::uint32_t cp = c;
        if (c < 0x80) { ++i; continue; }
        if ((c & 0xE0) == 0xC0) { extra = 1; cp = c & 0x1Fu; }
        else if ((c & 0xF0) == 0xE0) { extra = 2; cp = c & 0x0Fu; }
        else if ((c & 0xF8) == 0xF0) { extra = 3; cp = c & 0x07u; }
        else return false;
        if (i + extra >= s.size()) return false;
        for (std::size_t k = 1; k <= extra; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += extra + 1;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace safelaunch::cli;
#ifdef _WIN32
    // argv from GetCommandLineW as UTF-8, split by our own rules: CommandLineToArgvW (SHELL32)
    // would connect this process to a desktop before main (issue 12).
    std::error_code args_ec;
    safelaunch::ApiFailure args_failure;
    std::vector<std::string> utf8_args = safelaunch::win32::process_arguments(args_ec, &args_failure);
    if (args_ec) {
        // The CRT's own argv (ANSI code page) still shows whether the command is `run` (exit 125).
        const bool run_first = argc > 1 && std::string_view(argv[1]) == "run";
        std::cerr << fmt::format("safelaunch: {} is not valid UTF-16 (an unpaired surrogate; {} error {})\n",
                                 args_failure.object, args_failure.api, args_ec.value());
        return run_first ? kToolFailed : kUsage;
    }
    std::vector<char*> utf8_argv;
    for (auto& a : utf8_args) utf8_argv.push_back(a.data());
    utf8_argv.push_back(nullptr);
    argc = static_cast<int>(utf8_args.size());
    argv = utf8_argv.data();
#endif
    const bool is_run = argc > 1 && std::string_view(argv[1]) == "run";
    const int usage_exit = is_run ? kToolFailed : kUsage;

    // Natively argv is whatever bytes the caller passed; on Windows the conversion above
    // guarantees UTF-8 already.
    for (int i = 1; i < argc; ++i) {
        if (!is_utf8(argv[i])) {
            std::cerr << fmt::format("safelaunch: argument {} is not valid UTF-8\n", i);
            return usage_exit;
        }
    }

    CLI::App app{"safelaunch: start Windows processes safely and explain DLL-initialisation failures "
                 "(0xC0000142 / 128, KB 184802)",
                 "safelaunch"};
    app.set_version_flag("--version", "safelaunch 0.1.0");
    app.footer("Desktop connection: safelaunch imports no user32. explain, analyze, imports, heap and run "
               "--no-preflight never load it; check, run (its pre-flight) and snapshot load it when they first read "
               "a window station or desktop, and report self.desktop.connect_failed if that fails.");
    app.require_subcommand(1);
    app.fallthrough(false);
    // CLI11 takes "/x" for an option on Windows by default; "/work/snap.json" is a path here.
    app.allow_windows_style_options(false);
    Command cmd;
    add_explain(app, cmd);
    add_heap(app, cmd);
    add_analyze(app, cmd);
    add_imports(app, cmd);
#ifdef _WIN32
    add_check(app, cmd);
    add_run(app, cmd);
    add_snapshot(app, cmd);
    add_repair(app, cmd);
#endif
    // CLI11 would only say "a subcommand is required"; name the word it did not know.
    if (argc > 1 && argv[1][0] != '-') {
        const auto subs = app.get_subcommands([&](CLI::App* s) { return s->check_name(argv[1]); });
        if (subs.empty()) {
            std::cerr << fmt::format("safelaunch: unknown command '{}' (try --help)\n", argv[1]);
            return usage_exit;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        std::cerr << "safelaunch: " << e.what() << " (try --help)\n";
        return usage_exit;
    }
    try {
        return cmd.run ? cmd.run() : usage_exit;
    } catch (const UsageError& e) {
        std::cerr << "safelaunch: " << e.message << '\n';
        return is_run ? kToolFailed : e.code;
    } catch (const std::exception& e) {
        std::cerr << "safelaunch: " << e.what() << '\n';
        return is_run ? kToolFailed : kUsage;
    }
}
