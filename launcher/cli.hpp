// What the command files share: registration, output helpers, one-line errors.
#pragma once

#include "safelaunch/diagnosis.hpp"
#include "safelaunch/finding.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace safelaunch::cli {

// A subcommand registers its options and sets `run` to what it does once parsing succeeded.
struct Command {
    std::function<int()> run;
    int usage_exit = 2;  // what a parse error of this subcommand exits with (`run` uses 125)
};

// Thrown by commands for a bad input value detected after parsing: one line, exit `code`.
struct UsageError {
    std::string message;
    int code = 2;
};

void add_explain(CLI::App& app, Command& cmd);
void add_heap(CLI::App& app, Command& cmd);
void add_analyze(CLI::App& app, Command& cmd);
void add_imports(CLI::App& app, Command& cmd);
#ifdef _WIN32
void add_check(CLI::App& app, Command& cmd);
void add_run(CLI::App& app, Command& cmd);
void add_snapshot(CLI::App& app, Command& cmd);
void add_repair(CLI::App& app, Command& cmd);
#endif

// Human form of findings: "error   acl.desktop.missing_rights: message", then evidence and remedy.
void print_findings(std::ostream& out, const std::vector<Finding>& findings);

// One line of facts (names, hosts, SIDs as gathered or read from a snapshot), control characters
// escaped so a name cannot break the line or reach the terminal as an escape sequence.
void print_fact_line(std::ostream& out, std::string_view text);

// Human form of a diagnosis: the code, then the causes strongest first (unlikely ones last,
// one line each), then the deciding evidence.
void print_diagnosis(std::ostream& out, const Diagnosis& diagnosis);
// Pretty JSON on stdout followed by a newline.
void print_json(const nlohmann::json& j);
// Reads a whole file ("-": standard input); UsageError naming the path (and the reason) when it
// cannot.
[[nodiscard]] std::string read_file_or_throw(const std::string& path);

}  // namespace safelaunch::cli
