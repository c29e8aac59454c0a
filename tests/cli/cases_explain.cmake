# safelaunch explain CODE: every notation of the DLL-init failure, look-alikes, bad values.
foreach(_notation 0xC0000142 0xc0000142 3221225794 -1073741502 STATUS_DLL_INIT_FAILED)
  cli_case(explain.dll_init_${_notation} EXIT 0
           STDOUT "0xC0000142 \\(3221225794, -1073741502\\) STATUS_DLL_INIT_FAILED.*DLL-initialisation failure"
           ARGS explain ${_notation})
endforeach()
cli_case(explain.json_fields EXIT 0
         STDOUT "\"code\": 3221225794,.*\"dll_init_failure\": true,.*\"hex\": \"0xC0000142\",.*\"name\": \"STATUS_DLL_INIT_FAILED\""
         ARGS explain 0xC0000142 --json)
cli_case(explain.old_windows_128 EXIT 0 STDOUT "ERROR_WAIT_NO_CHILDREN" ARGS explain 128)
cli_case(explain.lookalike_dll_not_found_json EXIT 0
         STDOUT "\"dll_init_failure\": false.*\"name\": \"STATUS_DLL_NOT_FOUND\"" ARGS explain 0xC0000135 --json)
cli_case(explain.lookalike_access_violation EXIT 0 STDOUT "STATUS_ACCESS_VIOLATION" ARGS explain -1073741819)
cli_case(explain.missing_code EXIT 2 ONE_LINE_ERROR STDERR "CODE is required" ARGS explain)
cli_case(explain.junk EXIT 2 ONE_LINE_ERROR STDERR "^safelaunch: explain: .*\"nonsense\"" ARGS explain nonsense)
cli_case(explain.out_of_range EXIT 2 ONE_LINE_ERROR STDERR "\"4294967296\"" ARGS explain 4294967296)
cli_case(explain.trailing_garbage EXIT 2 ONE_LINE_ERROR STDERR "0xC0000142zz" ARGS explain 0xC0000142zz)
