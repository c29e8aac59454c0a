// deskheap-repro: reproduce both KB 184802 failures (desktop heap, desktop DACL) on private
// desktops, with control and recovery, for QA in a VM and for CI. See options.cpp for the
// command line and report.hpp for the exit codes.
#include "interrupt.hpp"
#include "options.hpp"
#include "report.hpp"
#include "scenarios.hpp"

#include "safelaunch/win32/process_arguments.hpp"

#include <boost/nowide/convert.hpp>
#include <fmt/format.h>

#include <exception>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

int main() {
    using namespace safelaunch::repro;

    // argv from GetCommandLineW as UTF-8, split by our own rules: CommandLineToArgvW (SHELL32)
    // would connect this process to a desktop before main (issue 12).
    std::error_code args_ec;
    safelaunch::ApiFailure args_failure;
    std::vector<std::string> args = safelaunch::win32::process_arguments(args_ec, &args_failure);
    if (args_ec) {
        std::cerr << fmt::format("deskheap-repro: {} is not valid UTF-16 (an unpaired surrogate; {} error {})\n",
                                 args_failure.object, args_failure.api, args_ec.value());
        return kExitUsage;
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    auto parsed = parse_options(static_cast<int>(args.size()), argv.data());
    if (!parsed.options) {
        (parsed.exit_code == 0 ? std::cout : std::cerr) << parsed.message << '\n';
        return parsed.exit_code;
    }
    const Options& options = *parsed.options;

    // Open the JUnit file first: a path that cannot be written is a usage error, found before any
    // object is created.
    std::ofstream junit;
    if (options.junit) {
        junit.open(std::filesystem::path(boost::nowide::widen(*options.junit)), std::ios::trunc);
        if (!junit) {
            std::cerr << fmt::format("deskheap-repro: cannot write the --junit file '{}'\n", *options.junit);
            return kExitUsage;
        }
    }

    InterruptGuard guard;
    std::mutex progress_mutex;
    const Progress progress = [&](std::string_view line) {
        std::lock_guard lock(progress_mutex);
        std::cerr << "deskheap-repro: " << line << std::endl;
    };
    RunReport report;
    try {
        report = run_scenarios(options, progress);
    } catch (const std::exception& e) {
        std::cerr << "deskheap-repro: " << e.what() << '\n';
        return kExitError;
    }

    if (options.json) std::cout << to_json(report).dump(2) << '\n';
    else print_human(std::cout, report);
    std::cout.flush();
    int code = exit_code_of(overall_outcome(report));
    if (junit.is_open()) {
        junit << to_junit(report);
        junit.close();
        if (!junit) {
            std::cerr << fmt::format("deskheap-repro: writing the --junit file '{}' failed\n", *options.junit);
            code = kExitError;
        }
    }
    InterruptGuard::cleanup_done();
    return code;
}
