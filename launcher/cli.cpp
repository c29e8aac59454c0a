#include "cli.hpp"

#include "safelaunch/json.hpp"
#include "safelaunch/printable.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <sstream>
#include <system_error>

namespace safelaunch::cli {

void print_fact_line(std::ostream& out, std::string_view text) { out << escape_control_chars(text) << '\n'; }

void print_findings(std::ostream& out, const std::vector<Finding>& findings) {
    for (const auto& f : findings) {
        out << fmt::format("{:<8}{}: {}\n", to_string(f.severity), f.id, f.message);
        if (!f.evidence.empty()) out << "        evidence: " << f.evidence << '\n';
        if (!f.remedy.empty()) out << "        remedy:   " << f.remedy << '\n';
    }
}

void print_diagnosis(std::ostream& out, const Diagnosis& d) {
    out << "Exit code " << describe_exit_code(d.code.code) << ": " << d.code.summary << '\n';
    for (const auto& c : d.causes) {
        if (c.likelihood == Likelihood::unlikely) {
            out << fmt::format("  {:<9} {}\n", to_string(c.likelihood), to_string(c.id));
            continue;
        }
        out << fmt::format("  {:<9} {}\n", to_string(c.likelihood), to_string(c.id));
        for (const auto& e : c.evidence) out << "            evidence: " << e << '\n';
        if (!c.remedy.empty()) out << "            remedy:   " << c.remedy << '\n';
    }
    out << "Decided by: " << d.deciding_evidence << '\n';
}

void print_json(const nlohmann::json& j) {
    // Replace, not throw, on bytes that are not UTF-8: output must never abort half-way.
    std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string read_file_or_throw(const std::string& path) {
    if (path == "-") {
        // "-" is standard input, as for tar, curl and jq. Text mode on Windows only turns CRLF into
        // LF, which JSON does not mind.
        std::ostringstream s;
        s << std::cin.rdbuf();
        if (std::cin.bad()) throw UsageError{"cannot read standard input: read error"};
        return s.str();
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw UsageError{fmt::format("cannot read '{}': {}", path, std::generic_category().message(errno))};
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) throw UsageError{fmt::format("cannot read '{}': read error", path)};
    return s.str();
}

}  // namespace safelaunch::cli
