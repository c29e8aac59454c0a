# Session view headroom (issue 8 part 3): analyze of a snapshot with the facts (everywhere); heap and
# check under Wine, where NtQuerySystemInformation class 68 is not implemented (STATUS_INVALID_INFO_CLASS).
set(_snap "${SAFELAUNCH_CLI_DATA}/snapshots")
cli_case(session_view.analyze_exhausted EXIT 1
         STDOUT "Pre-flight verdict: blocked.*heap\\.session_view\\.exhausted: a 768 KB desktop does not fit in session 0's view space: its largest free range is 512 KB.*6144 KB free, largest free range 512 KB, 3 view failures"
         ARGS analyze "${_snap}/service-new-station-view-exhausted.json")
cli_case(session_view.analyze_exhausted_json EXIT 1
         STDOUT "\"id\": \"heap\\.session_view\\.exhausted\",.*\"severity\": \"error\""
         ARGS analyze "${_snap}/service-new-station-view-exhausted.json" --json)
set(_wine_reason "NtQuerySystemInformation\\(SystemSessionMappedViewInformation=68, session [0-9]+\\) failed: NTSTATUS 0xC0000003 STATUS_INVALID_INFO_CLASS")
if(WIN32)
  cli_case(session_view.heap_unknown_under_wine EXIT 0
           STDOUT "Session view: session [0-9]+: unknown: ${_wine_reason}.*info +heap\\.session_view\\.unknown: the view space of session [0-9]+ could not be read"
           ARGS heap --os 10)
  cli_case(session_view.heap_json_under_wine EXIT 0
           STDOUT "\"session_view\": {[^}]*\"known\": false,[^}]*\"unknown_reason\": \"${_wine_reason}\""
           ARGS heap --os 10 --json)
  cli_case(session_view.check_unknown_under_wine EXIT 0
           STDOUT "info +heap\\.session_view\\.unknown: .*evidence: ${_wine_reason}"
           ARGS check)
  cli_case(session_view.check_json_under_wine EXIT 0
           STDOUT "\"session_view\": {[^}]*\"known\": false,"
           ARGS check --json)
else()
  cli_case(session_view.heap_json_native_is_null EXIT 0 STDOUT "\"session_view\": null" ARGS heap --os 10 --json)
endif()
