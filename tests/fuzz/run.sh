#!/usr/bin/env bash
# Fuzzes every Kdx parser with AFL++ through SharpFuzz for a short while and reports one line per
# target: "fuzz TARGET: ok (N execs)" or "fuzz TARGET: FAILED (N crashes, N hangs)".
#   tests/fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]
# Needs afl++ (tests/vmcores/setup.sh installs it) and the SharpFuzz tool (dotnet tool restore).
# Findings are kept in $KDX_FUZZ_OUT (default: a temporary folder, printed) for reproduction:
#   dotnet <out>/bin/Kdx.Fuzz.dll TARGET < <out>/TARGET/default/crashes/id:...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
secs=${1:-15}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=($(ls "$here/corpus"))
out=${KDX_FUZZ_OUT:-$(mktemp -d /tmp/kdx-fuzz.XXXXXX)}
mkdir -p "$out"
echo "fuzz: output in $out"

command -v afl-fuzz >/dev/null || { echo "fuzz setup: FAILED (afl-fuzz not installed)"; exit 1; }
(cd "$root" && dotnet tool restore >/dev/null) || { echo "fuzz setup: FAILED (dotnet tool restore)"; exit 1; }
dotnet publish "$here/Kdx.Fuzz" -c Release -o "$out/bin" --nologo -v quiet -clp:ErrorsOnly || { echo "fuzz setup: FAILED (publish)"; exit 1; }
# Instrument the library under test (not the fuzz driver) for AFL's coverage feedback.
(cd "$root" && dotnet tool run sharpfuzz "$out/bin/Kdx.Core.dll") >/dev/null || { echo "fuzz setup: FAILED (sharpfuzz instrumentation)"; exit 1; }

status=0
for t in "${targets[@]}"; do
    rm -rf "${out:?}/$t"
    AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
    AFL_NO_AFFINITY=1 AFL_FAST_CAL=1 \
        timeout $((secs + 60)) afl-fuzz -V "$secs" -i "$here/corpus/$t" -o "$out/$t" -t 5000 -m none \
        -- dotnet "$out/bin/Kdx.Fuzz.dll" "$t" > "$out/$t.log" 2>&1
    stats=$out/$t/default/fuzzer_stats
    if [ ! -f "$stats" ]; then
        echo "fuzz $t: FAILED (afl-fuzz did not run; see $out/$t.log)"; tail -5 "$out/$t.log"; status=1; continue
    fi
    execs=$(awk -F: '/^execs_done/ {gsub(/ /,"",$2); print $2}' "$stats")
    crashes=$(find "$out/$t/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    hangs=$(find "$out/$t/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
    if [ "$crashes" -eq 0 ] && [ "$hangs" -eq 0 ]; then
        echo "fuzz $t: ok ($execs execs)"
    else
        echo "fuzz $t: FAILED ($crashes crashes, $hangs hangs; inputs in $out/$t/default)"; status=1
    fi
done
exit $status
