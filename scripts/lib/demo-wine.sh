# Sourced by scripts/demo after the mingw build: check, run and the reproducer under Wine.
# Uses: $wine (the emulator), $win (safelaunch.exe), wshow, show, $native, $SL_BUILD.
children=$SL_BUILD/mingw/tests/win32
repro=$SL_BUILD/mingw/launcher/deskheap-repro.exe
missing='WinSta0\sl-demo-missing'
locked=sl-demo-locked-$$

echo
echo "--- 4a. Pre-flight of the desktop we run on (Wine leaves WinSta0 without a security descriptor)"
wshow "$win" check
echo
echo "--- 4b. A desktop nobody created: refused before launch (Wine would create it and the child would run;"
echo "        Windows would kill the child with 0xC0000142)"
wshow "$win" check --desktop "$missing"
wshow "$win" run --desktop "$missing" -- "$children/child_exit.exe" 0

echo
echo "--- 4c. A desktop whose DACL lets only SYSTEM in: its owner (we, and the child) keeps READ_CONTROL"
echo "        and WRITE_DAC, so user32's open would not be granted nothing: the missing rights warn and"
echo "        the launch goes ahead (on Windows --canary decides); --grant adds exactly them for this"
echo "        launch and removes them after (Wine's own user32 may still seat the child on"
echo "        WinSta0\\Default: it does not fail a connection the way Windows does)"
holder_out=$(mktemp)
"$wine" "$children/child_locked_desktop.exe" "$locked" 60 >"$holder_out" 2>&1 </dev/null &
holder=$!
for _ in $(seq 100); do grep -q ready "$holder_out" && break; sleep 0.1; done
wshow "$win" run --desktop "WinSta0\\$locked" -- "$children/child_exit.exe" 0
wshow "$win" run --grant --desktop "WinSta0\\$locked" -- "$children/child_report.exe" - -
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
rm -f "$holder_out"

echo
echo "--- 4d. Will a program connect to a window station at start? Its import closure, read from the"
echo "        real images (the probe imports USER32 directly; child_exit reaches it through SHELL32;"
echo "        child_no_user32 imports kernel32 and the C runtime only)"
wshow "$win" imports "$SL_BUILD/mingw/launcher/safelaunch-probe.exe"
wshow "$win" imports "$children/child_exit.exe"
wshow "$win" imports "$children/child_no_user32.exe"
echo
echo "--- 4e. A child that dies with 0xC0000142: the post-mortem diagnosis. It uses the closure: a"
echo "        program that never loads user32 at start cannot die of its desktop, so both KB 184802"
echo "        causes are unlikely and another DLL's initialiser is named (under Wine that is all it"
echo "        can be anyway, and it says so)"
wshow "$win" run -- "$children/child_no_user32.exe" 0xC0000142
echo "        the closure in the evidence of the unlikely causes (run --json; count and line):"
"$wine" "$win" run --json -- "$children/child_no_user32.exe" 0xC0000142 2>/dev/null |
  grep -o '"this program does not load user32 at start[^"]*"' | sort | uniq -c | sed 's/^/        /' || true
echo "        (wine64's own exit status is the Windows code mod 256: 0xC0000142 shows as 66 here;"
echo "        inside Windows, and in run --json, the full 3221225794 is reported)"

echo
echo "--- 4f. Facts saved under Wine, analysed natively"
snapfile=$SL_BUILD/demo-snapshot.json
wshow "$win" snapshot --desktop "$missing" -o "$snapfile"
show "$native" analyze "$snapfile"

echo
echo "--- 4g. Prevention: a private desktop per launch, a pooled one, and admission control (issue 8)."
echo "        Wine has no CreateDesktopExW, so the heap bound is reported missing (heap_unbounded);"
echo "        on Windows the desktop's heap is the KB asked for, read back with UOI_HEAPSIZE"
wshow "$win" run --private-desktop -- "$children/child_exit.exe" 0
echo "        pooled: three launches in sequence share one desktop (lease 1, then reused 2 and 3)"
wshow "$win" run --private-desktop=512 --pool demo --repeat 3 -- "$children/child_exit.exe" 0
echo "        admission: a trial allocation (safelaunch-probe --alloc-kb 64) on the target desktop"
echo "        before the launch; Wine has room, so it is admitted at once (run --json's admission):"
"$wine" "$win" run --hold-for-headroom=5 --need-kb 64 --json -- "$children/child_exit.exe" 0 2>/dev/null |
  sed -n '/"admission"/,/}/p' | sed 's/^/      /' || true
echo "        the hold itself, through an injected headroom source that makes room after three reads"
echo "        (a Win32 test under Wine, run twice: with check fast, then none; Wine's desktops never"
echo "        fill, so only an injected source can hold a launch here)"
"$wine" "$children/safelaunch_win32_tests.exe" --gtest_filter=Admission.HoldsUntilTheSourceMakesRoomThenStarts \
  2>&1 | grep -E 'announced|admitted|PASSED|FAILED' | sed 's/^/        /' || true

echo
echo "--- 4h. The reproducer: what this platform can and cannot show (exit 77 = cannot reproduce here)"
[[ -f $repro ]] && wshow "$repro" all
