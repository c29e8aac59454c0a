<#
.SYNOPSIS
  QA on a Windows VM: build safelaunch (or use a given build) and run `deskheap-repro all`,
  saving its JSON report, its JUnit file, its progress log and a note on the machine.

.DESCRIPTION
  Without -BuildDir the tree is built with the `windows-msvc` preset (CMakePresets.json), which
  needs: Visual Studio 2022 (or its Build Tools) with the C++ workload, CMake >= 3.25, Ninja, and
  vcpkg with VCPKG_ROOT set (the dependencies come from vcpkg.json). Run from any PowerShell: the
  MSVC environment is loaded with vswhere when cl.exe is not already on PATH.

  deskheap-repro only creates and fills its own desktops ("deskheap-repro-<pid>-<scenario>"), in a
  window station created without a name (Windows names it after the logon session,
  "Service-0x<hi>-<lo>$", and may hand back an existing one), never WinSta0\Default, and releases
  everything before it exits (also on Ctrl+C). The heap is filled by deskheap-filler.exe, a helper
  process started on that desktop. The pool scenario is the exception that affects the whole
  session while it runs: it is only run with -Scenario pool -ExhaustSessionPool, and refused in
  session 0 (services).

  Elevation: not needed. A standard user runs heap and acl as they are. Only if Windows gives the
  unnamed station no name to read back does deskheap-repro need a named station, which only
  Administrators may create: without elevation it then stops with exit 77 and says so (the script
  prints whether this shell is elevated).

  Exit code: deskheap-repro's own — 0 reproduced and recovered as expected, 1 not reproduced,
  2 usage, 3 error (setup or cleanup failed; the report lists what was left behind), 77 this
  platform cannot reproduce it, or a step is refused here (elevation, session 0; the reason is in
  the report).

.EXAMPLE
  powershell -ExecutionPolicy Bypass -File scripts\repro-vm.ps1
.EXAMPLE
  scripts\repro-vm.ps1 -BuildDir C:\safelaunch\build\windows-msvc -OutDir C:\results
#>
[CmdletBinding()]
param(
    [string]$BuildDir,                      # a build folder holding launcher\deskheap-repro.exe: skip the build
    [string]$OutDir,                        # default: repro-results\<computer>-<yyyyMMdd-HHmmss> in the tree
    [ValidateSet('all', 'heap', 'acl', 'pool', 'private', 'admission')][string]$Scenario = 'all',
    [ValidateRange(64, 65536)][int]$HeapKb = 512,
    [switch]$ExhaustSessionPool
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
$root = Split-Path -Parent $PSScriptRoot

function Enter-MsvcEnvironment {
    if (Get-Command cl.exe -ErrorAction SilentlyContinue) { return }
    $vswhere = Join-Path ${env:ProgramFiles(x86)} 'Microsoft Visual Studio\Installer\vswhere.exe'
    if (-not (Test-Path $vswhere)) { throw "Visual Studio not found (no vswhere.exe): install VS 2022 Build Tools with the C++ workload" }
    $vs = & $vswhere -latest -products * -requires Microsoft.VisualStudio.Component.VC.Tools.x86.x64 -property installationPath
    if (-not $vs) { throw "no Visual Studio with the x64 C++ tools found" }
    Import-Module (Join-Path $vs 'Common7\Tools\Microsoft.VisualStudio.DevShell.dll')
    Enter-VsDevShell -VsInstallPath $vs -SkipAutomaticLocation -DevCmdArguments '-arch=x64 -host_arch=x64' | Out-Null
}

if (-not $BuildDir) {
    if (-not $env:VCPKG_ROOT) {
        throw "VCPKG_ROOT is not set: git clone https://github.com/microsoft/vcpkg, run bootstrap-vcpkg.bat, set VCPKG_ROOT to it"
    }
    Enter-MsvcEnvironment
    Push-Location $root
    try {
        cmake --preset windows-msvc
        if ($LASTEXITCODE) { throw "cmake configure failed ($LASTEXITCODE)" }
        cmake --build --preset windows-msvc --target deskheap-repro deskheap-filler safelaunch_probe safelaunch
        if ($LASTEXITCODE) { throw "build failed ($LASTEXITCODE)" }
    } finally { Pop-Location }
    $BuildDir = Join-Path $root 'build\windows-msvc'
}
$exe = Join-Path $BuildDir 'launcher\deskheap-repro.exe'
$probe = Join-Path $BuildDir 'launcher\safelaunch-probe.exe'
$filler = Join-Path $BuildDir 'launcher\deskheap-filler.exe'
foreach ($f in $exe, $probe, $filler) {
    if (-not (Test-Path $f)) { throw "missing $f (build the deskheap-repro, deskheap-filler and safelaunch_probe targets)" }
}

# Elevation is not needed; say which kind of token this run has, since the results can differ
# (an elevated token's objects are owned by Administrators).
$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
$elevated = $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)
$session = (Get-Process -Id $PID).SessionId
$tokenKind = if ($elevated) { 'elevated' } else { 'not elevated' }
Write-Host "token: $tokenKind; session $session (no scenario needs elevation; pool refuses session 0)"
if ($Scenario -eq 'pool' -and $session -eq 0) { Write-Warning "session 0: deskheap-repro refuses the pool scenario here (exit 77)" }

if (-not $OutDir) { $OutDir = Join-Path $root ("repro-results\{0}-{1}" -f $env:COMPUTERNAME, (Get-Date -Format 'yyyyMMdd-HHmmss')) }
New-Item -ItemType Directory -Force -Path $OutDir | Out-Null
$json = Join-Path $OutDir 'deskheap-repro.json'
$junit = Join-Path $OutDir 'deskheap-repro-junit.xml'
$log = Join-Path $OutDir 'deskheap-repro-progress.log'

# What the results depend on: the OS build and the SharedSection in effect.
$os = Get-CimInstance Win32_OperatingSystem
$subKey = Get-ItemProperty 'HKLM:\System\CurrentControlSet\Control\Session Manager\SubSystems' -ErrorAction SilentlyContinue
$sub = if ($subKey -and $subKey.PSObject.Properties['Windows']) { $subKey.Windows } else { '(not readable)' }
# The machine's hard-error mode (KB 128642): 0 or not set, a hard-error popup waits for an answer;
# 1, only system errors are answered and logged; 2, every one is answered and logged (System event
# 26, "Application Popup"). deskheap-repro suppresses popups for its own children whatever it is.
$winKey = Get-ItemProperty 'HKLM:\SYSTEM\CurrentControlSet\Control\Windows' -ErrorAction SilentlyContinue
$errorMode = if (-not $winKey) { '(key not readable)' }
             elseif ($winKey.PSObject.Properties['ErrorMode']) { "$($winKey.ErrorMode)" }
             else { 'not set (0)' }
@(
    "computer:     $env:COMPUTERNAME"
    "user:         $env:USERDOMAIN\$env:USERNAME (session $session, $tokenKind)"
    "os:           $($os.Caption) $($os.Version) build $($os.BuildNumber)"
    "SubSystems:   $sub"
    "ErrorMode:    $errorMode (HKLM\SYSTEM\CurrentControlSet\Control\Windows; children: suppressed)"
    "tool:         $exe"
    "scenario:     $Scenario, heap $HeapKb KB"
    "started:      $(Get-Date -Format o)"
) | Set-Content -Encoding utf8 (Join-Path $OutDir 'machine.txt')

$arguments = @($Scenario, '--heap-kb', $HeapKb, '--json', '--junit', "`"$junit`"")
if ($Scenario -eq 'pool' -and $ExhaustSessionPool) { $arguments += '--yes-exhaust-session-pool' }
Write-Host "running: deskheap-repro $($arguments -join ' ')"
# Start-Process keeps the JSON bytes as the tool wrote them (a PowerShell pipe would re-encode them).
$p = Start-Process -FilePath $exe -ArgumentList $arguments -NoNewWindow -Wait -PassThru `
    -RedirectStandardOutput $json -RedirectStandardError $log
$code = $p.ExitCode
Get-Content $log | ForEach-Object { Write-Host "  $_" }

# Issue 9 part 3 (unverified until this runs): Win32k ETW event 58 is read from the binaries, not
# documented. Save the provider's manifest (its events and their fields) and one launch traced with
# `safelaunch run --trace-win32k` that dies on a desktop that does not exist, so the results show
# whether event 58 comes, with which fields and status. Evidence only: deskheap-repro's exit code
# stays this script's exit code.
$manifest = Join-Path $OutDir 'win32k-provider-manifest.txt'
& wevtutil gp Microsoft-Windows-Win32k /ge /gm 2>&1 | Out-File -Encoding utf8 $manifest
"wevtutil exit $LASTEXITCODE" | Add-Content $manifest
$tool = Join-Path $BuildDir 'launcher\safelaunch.exe'
if (Test-Path $tool) {
    $traceJson = Join-Path $OutDir 'run-trace-win32k.json'
    $traceLog = Join-Path $OutDir 'run-trace-win32k.log'
    # The probe imports user32, so on a missing desktop it dies at start (0xC0000142).
    $traceArgs = @('run', '--json', '--trace-win32k', '--force', '--timeout', '30',
                   '--desktop', 'WinSta0\safelaunch-no-such-desktop', '--', "`"$probe`"")
    Write-Host "running: safelaunch $($traceArgs -join ' ')"
    $t = Start-Process -FilePath $tool -ArgumentList $traceArgs -NoNewWindow -Wait -PassThru `
        -RedirectStandardOutput $traceJson -RedirectStandardError $traceLog
    "safelaunch exit $($t.ExitCode)" | Add-Content $traceLog
    if (-not $elevated) {
        Write-Warning "not elevated: the Win32k trace needs administrator or Performance Log Users (expect win32k.trace.unavailable)"
    }
} else {
    Write-Warning "missing $($tool): no --trace-win32k run (build the safelaunch target)"
}

$meaning = @{ 0 = 'reproduced and recovered as expected'; 1 = 'NOT reproduced'; 2 = 'usage error';
              3 = 'ERROR: setup or cleanup failed'; 77 = 'this platform cannot reproduce it, or a step is refused here (see the reason)' }
try {
    $report = Get-Content -Raw -Encoding utf8 $json | ConvertFrom-Json
    $report.phases | Format-Table scenario, name, expected, child_exit, preflight_verdict, preflight_expected, ok,
        objects_created, duration_ms -AutoSize | Out-String | Write-Host
    Write-Host "verdict: $($report.verdict): $($report.reason)"
    if ($report.reason -match 'elevated') { Write-Warning "a step needs elevation: run this script from an elevated PowerShell" }
    foreach ($s in $report.scenarios) { foreach ($l in $s.left_behind) { Write-Warning "left behind: $l" } }
} catch {
    Write-Warning "no readable JSON report in $json"
}
Write-Host ("exit {0}: {1}" -f $code, $meaning[$code])
Write-Host "results: $OutDir"
exit $code
