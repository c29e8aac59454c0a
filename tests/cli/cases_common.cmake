# The tool as a whole: help, version, and bad command lines (exit 2, one line naming the problem).
cli_case(help EXIT 0 STDOUT "explain.*heap.*analyze" ARGS --help)
cli_case(version EXIT 0 STDOUT "safelaunch 0\\.1\\.0" ARGS --version)
cli_case(no_subcommand EXIT 2 ONE_LINE_ERROR STDERR "^safelaunch: .*subcommand" ARGS)
cli_case(unknown_subcommand EXIT 2 ONE_LINE_ERROR STDERR "^safelaunch: .*frobnicate" ARGS frobnicate)
cli_case(unknown_option EXIT 2 ONE_LINE_ERROR STDERR "^safelaunch: .*--bogus" ARGS explain 128 --bogus)
if(NOT CMAKE_CROSSCOMPILING)
  # Wine turns argv into UTF-16 first, so the raw byte only reaches us natively.
  cli_case(non_utf8_argument EXIT 2 ONE_LINE_ERROR STDERR "argument 2 is not valid UTF-8" ARGS explain "<0xFF>")
endif()
