# "-" names the standard streams in every command that takes a file, as for tar, curl and jq:
# an input FILE of "-" is standard input, an output FILE of "-" is standard output.
set(_snap "${SAFELAUNCH_CLI_DATA}/snapshots")
cli_case(dash.analyze_reads_stdin EXIT 1 STDOUT "Snapshot - of .*decided +desktop_heap.*768 to 1024 KB"
         STDIN "${_snap}/service-heap-exhausted.json" ARGS analyze -)
cli_case(dash.analyze_stdin_not_json EXIT 2 ONE_LINE_ERROR STDERR "analyze: '-': not valid JSON at byte"
         STDIN "${_snap}/not-json.txt" ARGS analyze -)
if(WIN32)
  # Before: a file named "-" in the current folder and "snapshot written to -" on stderr.
  cli_case(dash.snapshot_writes_stdout EXIT 0 STDOUT "^{\n.*\"schema\": 1,.*\"target\": {" ARGS snapshot -o -)
endif()
