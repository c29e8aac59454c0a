// Test child: exits with its own process error mode, GetErrorMode(), as its exit code (and prints
// it), so a test can see which mode it inherited (SEM_FAILCRITICALERRORS = 1,
// SEM_NOGPFAULTERRORBOX = 2, SEM_NOOPENFILEERRORBOX = 0x8000). Connects to nothing (no user32 call).
#include <windows.h>

#include <cstdio>

int main() {
    const UINT mode = ::GetErrorMode();
    std::printf("{\"error_mode\":%u}\n", mode);
    std::fflush(stdout);
    ::ExitProcess(mode);
}
