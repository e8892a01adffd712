#!/bin/bash
# do-one.sh KVER SCENARIO [la57]
#   One complete run: boot + crash + dumps (run-scenario.py; serialised by a
#   lock, so that only one TCG guest runs at a time on this 2-core machine),
#   post-processing (analyze.py) and the reference families (make-refs.py), all in a
#   staging directory,
#   then publication into $TB/runs/KVER/NAME by rename, so that readers never
#   see a half-made run.  NAME is SCENARIO or SCENARIO-la57.
#   Prints one progress line per step; details go to $TB/logs/KVER-NAME.*.log.
set -uo pipefail
K=$1; S=$2; V=${3:-}
TB=${TB:?}; : "${TESTBED_VERSION:?}"
LIB=$(cd "$(dirname "$0")" && pwd)
. "$LIB/run-version.sh"
NAME=$S; CPU="max,la57=off"
if [ "$V" = la57 ]; then NAME=$S-la57; CPU=max; fi   # plain "-cpu max": 5-level paging
VERSION=$(run_version "$NAME")
export TB CPU
L=$TB/logs/$K-$NAME
STAGE=$TB/staging/$K/$NAME.$$
DEST=$TB/runs/$K/$NAME
mkdir -p "$TB/logs" "$TB/staging/$K" "$TB/runs/$K" "$TB/trash"
trap 'rm -rf "$STAGE"' EXIT
say() { echo "[testbed $(date +%H:%M:%S)] $K $NAME: $*"; }

t0=$(date +%s)
ok=0
for try in 1 2; do   # one retry: a TCG run can occasionally miss its window
    rm -rf "$STAGE"
    say "waiting for the QEMU slot"
    if flock "$TB/.qemu.lock" "$LIB/run-scenario.py" "$K" "$S" "$STAGE" > "$L.run.log" 2>&1; then ok=1; break; fi
    say "attempt $try failed (see $L.run.log)"
done
if [ $ok = 0 ]; then say "FAILED: guest run (see $L.run.log)"; exit 1; fi
t1=$(date +%s)
say "guest run done in $((t1 - t0))s; analysing"
if ! "$LIB/analyze.py" "$K" "$STAGE" > "$L.analyze.log" 2>&1; then
    say "FAILED: analysis: $(grep ERROR "$L.analyze.log" | tail -1) (see $L.analyze.log)"; exit 1
fi
say "references (crash, drgn, gdb: make-refs.py)"
if ! "$LIB/make-refs.py" -j "${REFS_JOBS:-2}" "$STAGE" > "$L.refs.log" 2>&1; then
    say "FAILED: references: $(grep ERROR "$L.refs.log" | tail -1) (see $L.refs.log)"; exit 1
fi
t2=$(date +%s)
echo "$VERSION" > "$STAGE/.complete"
# publish: move an old run (other TESTBED_VERSION) out of the way, rename the new one in
if [ -e "$DEST" ]; then mv "$DEST" "$TB/trash/$K-$NAME.$$"; fi
mv "$STAGE" "$DEST"
rm -rf "$TB/trash/$K-$NAME.$$"
say "published $DEST ($(du -sh "$DEST" | cut -f1); guest $((t1 - t0))s, analysis + references $((t2 - t1))s)"
