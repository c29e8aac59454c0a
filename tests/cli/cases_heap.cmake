# safelaunch heap: real-world values, per-version defaults, the budget, bad values.
set(_win10 "%SystemRoot%\\system32\\csrss.exe ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On SubSystemType=Windows ServerDll=basesrv,1 ServerDll=winsrv:UserServerDllInitialization,3 ServerDll=sxssrv,4 ProfileControl=Off MaxRequestThreads=16")
cli_case(heap.windows10_value_json EXIT 0
         STDOUT "\"interactive_kb\": 20480,.*\"noninteractive_kb\": 768,.*\"shared_kb\": 1024"
         ARGS heap --windows-value "${_win10}" --json)
cli_case(heap.xp_default_budget EXIT 0
         STDOUT "1024,3072,512.*pool: 49152 KB, free: 44352 KB.*more noninteractive desktops that fit: 86"
         ARGS heap --os xp)
cli_case(heap.modern_winlogon_disconnect_sizes EXIT 0
         STDOUT "Winlogon +winlogon +1 x +192 KB.*Disconnect +disconnect +1 x +96 KB.*assumption: Winlogon desktop 192 KB, Disconnect desktop 96 KB \\(Vista-and-later figures, from a Server 2012 !dskheap\\)"
         ARGS heap --os 10)
cli_case(heap.xp_terminal_services_pool EXIT 0 STDOUT "pool: 20480 KB" ARGS heap --os 2003 --terminal-services)
cli_case(heap.two_values_noninteractive_defaults EXIT 0
         STDOUT "shared_section.noninteractive_defaulted.*\"noninteractive_kb\": 3072"
         ARGS heap --shared-section 1024,3072 --json)
cli_case(heap.clamped_to_128 EXIT 0 STDOUT "shared_section.clamped_to_128" ARGS heap --shared-section 1024,64,64)
cli_case(heap.services_need_more EXIT 0
         STDOUT "set SharedSection=1024,20480,2048 \\(third value 768 -> 2048 KB\\)"
         ARGS heap --os 10 --processes 200)
cli_case(heap.pool_cannot_fit EXIT 1 STDOUT "heap.pool.exhausted"
         ARGS heap --os xp --existing-services 90)
cli_case(heap.malformed_number EXIT 1 STDOUT "shared_section.malformed_number.*\"abc\""
         ARGS heap --shared-section 1024,abc)
cli_case(heap.missing_shared_section EXIT 1 STDOUT "shared_section.missing"
         ARGS heap --windows-value "csrss.exe ObjectDirectory=\\Windows Windows=On")
cli_case(heap.bad_os EXIT 2 ONE_LINE_ERROR STDERR "unknown Windows version 'win95'" ARGS heap --os win95)
cli_case(heap.both_values EXIT 2 ONE_LINE_ERROR STDERR "excludes" ARGS heap --shared-section 1,2 --windows-value x)
cli_case(heap.pool_not_a_number EXIT 2 ONE_LINE_ERROR STDERR "--pool-kb" ARGS heap --os xp --pool-kb lots)
cli_case(heap.pool_out_of_range EXIT 2 ONE_LINE_ERROR STDERR "--pool-kb.*99999999999" ARGS heap --os xp --pool-kb 99999999999)
cli_case(heap.services_negative EXIT 2 ONE_LINE_ERROR STDERR "--services" ARGS heap --os xp --services -3)
if(NOT WIN32)
  cli_case(heap.nothing_to_read EXIT 2 ONE_LINE_ERROR STDERR "give --windows-value, --shared-section or --os" ARGS heap)
endif()
