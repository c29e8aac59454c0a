# The desktop pool through `run` (issue 8 part 2): --pool leases a private desktop from a pool of
# this process's own, and --repeat N runs the same launch N times through the same placement (so
# with --pool the second run reuses the first one's desktop). Bad --repeat values: one line, 125.
if(WIN32)
  cli_case(pool.run_json EXIT 0
           STDOUT "\"placement\": {.*\"pool\": {.*\"lease_number\": 1.*\"name\": \"ci\".*\"reused\": false.*\"station\": \"safelaunch-[0-9a-f]+\""
           ARGS run --private-desktop --pool ci --json -- $<TARGET_FILE:child_exit> 0)
  cli_case(pool.repeat_reuses_the_desktop EXIT 0
           STDERR "run 1/2: exit 0 .*pool 'ci' new desktop \\(lease 1\\).*run 2/2: exit 0 .*pool 'ci' reused \\(lease 2\\).*2 runs, 0 failed"
           ARGS run --private-desktop --pool ci --repeat 2 -- $<TARGET_FILE:child_exit> 0)
  # A pooled desktop's placement findings (under Wine: heap_unbounded) are printed once, not once
  # per run: nothing between the run lines.
  cli_case(pool.repeat_prints_a_desktops_findings_once EXIT 0
           STDERR "run 1/3: [^\n]*\nsafelaunch: run 2/3: [^\n]*\nsafelaunch: run 3/3: "
           ARGS run --private-desktop --pool ci --repeat 3 -- $<TARGET_FILE:child_exit> 0)
  cli_case(pool.repeat_json_runs EXIT 0
           STDOUT "\"failed\": 0.*\"repeat\": 2.*\"runs\": ..*\"reused\": false.*\"reused\": true.*\"status\": 0"
           ARGS run --private-desktop=256 --pool ci --repeat 2 --json -- $<TARGET_FILE:child_exit> 0)
  cli_case(pool.exit_code_passes_through EXIT 3
           ARGS run --private-desktop --pool ci -- $<TARGET_FILE:child_exit> 3)
  cli_case(repeat.without_pool_each_run_its_own_desktop EXIT 0
           STDERR "run 1/2: exit 0 .* on safelaunch-[0-9a-f]+\\\\Desktop\n.*run 2/2: exit 0 .* on safelaunch-[0-9a-f]+\\\\Desktop\n"
           ARGS run --private-desktop --repeat 2 -- $<TARGET_FILE:child_exit> 0)
  cli_case(repeat.status_is_the_first_failing_runs EXIT 3 STDERR "3 runs, 3 failed; status 3 \\(the first failing run's\\)"
           ARGS run --repeat 3 -- $<TARGET_FILE:child_exit> 3)
  cli_case(repeat.zero_refused EXIT 125 ONE_LINE_ERROR STDERR "--repeat"
           ARGS run --repeat 0 -- $<TARGET_FILE:child_exit> 0)
  cli_case(repeat.too_many_refused EXIT 125 ONE_LINE_ERROR STDERR "--repeat"
           ARGS run --repeat 1001 -- $<TARGET_FILE:child_exit> 0)
  cli_case(repeat.not_a_number_refused EXIT 125 ONE_LINE_ERROR STDERR "--repeat"
           ARGS run --repeat many -- $<TARGET_FILE:child_exit> 0)
  cli_case(pool.repair_reports_pool_section EXIT 0 STDOUT "\"pool\": {.*\"entries\": ."
           ARGS repair --json)
endif()
