# `run --trace-win32k` (issue 9 part 3): the opt-in Win32k ETW session. Windows only (the mingw
# build, under Wine, where the session cannot start: win32k.trace.unavailable; on Windows without
# administrator rights the same, with them win32k.trace.no_event for a child that starts). The
# child's exit code is never changed by it. Details in tests/win32/win32k_trace_test.cpp.
if(WIN32)
  cli_case(run.trace_win32k.help EXIT 0
           STDOUT "--trace-win32k.*Windows only.*Performance Log Users.*unverified" ARGS run --help)
  cli_case(run.trace_win32k.json_keeps_the_exit_code EXIT 3
           STDOUT "\"win32k_trace\": {.*\"id\": \"win32k\\.trace\\.(unavailable|no_event)\".*\"requested\": true"
           ARGS run --json --trace-win32k -- cmd.exe /c exit 3)
  cli_case(run.trace_win32k.null_when_not_asked EXIT 0 STDOUT "\"win32k_trace\": null"
           ARGS run --json -- cmd.exe /c exit 0)
endif()
