#!/usr/bin/env bash
# Runs every Kdx test: builds the real-vmcore test bed (cached outside the repo), checks formatting,
# builds warning-free, runs every test project, and ends with the line "N passed, N failed".
# Exit status is non-zero when anything failed.
#   ./test.sh            CI subset of the test bed (the default)
#   ./test.sh --full     every kernel and scenario of the test bed
set -uo pipefail
cd "$(dirname "$0")"
root=$(pwd)
scope=--ci
[ "${1:-}" = "--full" ] && scope=--full

passed=0
failed=0
# Real-dump tests fail (instead of being skipped) when the test bed is missing.
export KDX_REQUIRE_TESTBED=1
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

step() { echo; echo "== $*"; }
fail_step() { echo "FAILED: $*"; failed=$((failed + 1)); }

step "dependencies and test bed (tests/vmcores/setup.sh $scope)"
if ! tests/vmcores/setup.sh "$scope"; then
    fail_step "the test bed could not be built"
fi

step "restore"
if ! dotnet restore Kdx.slnx --verbosity quiet; then
    fail_step "dotnet restore"
    echo "$passed passed, $failed failed"
    exit 1
fi

step "dotnet format --verify-no-changes"
if ! dotnet format Kdx.slnx --verify-no-changes --no-restore; then
    fail_step "dotnet format: run 'dotnet format Kdx.slnx' to fix the style"
fi

step "build (warnings are errors)"
if ! dotnet build Kdx.slnx -c Release --no-restore --nologo -clp:ErrorsOnly; then
    fail_step "build"
    echo "$passed passed, $failed failed"
    exit 1
fi

for proj in tests/*/*.csproj; do
    name=$(basename "$proj" .csproj)
    step "test $name"
    dotnet test "$proj" -c Release --no-build --nologo \
        --logger "trx;LogFileName=$results/$name.trx" --logger "console;verbosity=minimal"
    if [ -f "$results/$name.trx" ]; then
        read -r p f < <(python3 - "$results/$name.trx" <<'PY'
import sys, xml.etree.ElementTree as ET
c = ET.parse(sys.argv[1]).getroot().find('.//{*}Counters')
print(int(c.get('passed', 0)), int(c.get('failed', 0)) + int(c.get('error', 0)) + int(c.get('timeout', 0)) + int(c.get('aborted', 0)))
PY
        )
        passed=$((passed + p))
        failed=$((failed + f))
    else
        fail_step "$name produced no results (crashed test host?)"
    fi
done

step "fuzz every parser briefly (tests/fuzz/run.sh, AFL++ through SharpFuzz)"
while read -r line; do
    echo "$line"
    case "$line" in
        "fuzz "*": ok"*) passed=$((passed + 1)) ;;
        "fuzz "*": FAILED"*) failed=$((failed + 1)) ;;
    esac
done < <(tests/fuzz/run.sh "${KDX_FUZZ_SECONDS:-15}" 2>&1)

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
