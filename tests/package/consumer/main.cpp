// Uses the installed package: explains the exit code given on the command line.
#include <safelaunch/error.hpp>

#include <cstdint>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    const auto code = static_cast<std::uint32_t>(std::stoul(argv[1], nullptr, 0));
    std::cout << safelaunch::make_ntstatus_error(code).message() << '\n';
    return 0;
}
