// Runs safelaunch.exe from the build tree with stdout captured: for tests of `run` as a user sees it.
#pragma once

#include "safelaunch/win32/launcher.hpp"
#include "test_support.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace safelaunch::test {

// safelaunch.exe `args`: its exit code and everything it wrote to stdout (stderr discarded).
inline std::pair<std::uint32_t, std::string> run_tool_capture(std::vector<std::string> args) {
    const auto out_path = exe_dir() + "\\" + unique_name("tool-run") + ".out";
    LaunchRequest r;
    r.program = tool_path("safelaunch");
    r.args = std::move(args);
    r.stdio.out.kind = StdStream::Kind::file;
    r.stdio.out.path = out_path;
    r.stdio.err.kind = StdStream::Kind::null;
    const auto code = win32::launch_process(r).wait();
    std::string text;
    {
        std::ifstream in(out_path, std::ios::binary);
        std::stringstream s;
        s << in.rdbuf();
        text = s.str();
    }
    ::DeleteFileA(out_path.c_str());
    return {code, std::move(text)};
}

}  // namespace safelaunch::test
