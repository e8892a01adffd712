#!/bin/bash
# tests/vmcores/setup.sh [--ci | --full | --demo] [-j N]
#
# Builds Kdx's real-vmcore test bed in ${KDX_TESTBED:-/var/cache/kdx/testbed}:
# Debian kernels booted under QEMU (TCG), crashed on purpose, dumped in every
# common format (in-guest kdump + host-side QEMU dumps of the same crash),
# with reference outputs from crash 8.0.2 and drgn, and an index.json that the
# C# tests read.  See README.md.
#
#   --ci    (default) 6.1 sysrq, irqnull, sysrq-la57; 6.12 sysrq, oops
#   --full  both kernels x sysrq oops bug softlockup irqnull, + sysrq-la57 each
#   --demo  6.1 sysrq only; the last line of stdout is the demo dump
#           (makedumpfile -l -d 31)
#   -j N    runs analysed in parallel (default 2; guests always run one at a time)
#
# Idempotent: only what is missing is built; with everything in place it
# returns in a second or two.  Concurrent invocations wait for each other (flock).
# Two kinds of versions: TESTBED_VERSION (below) is the version of the dumps (a bump
# rebuilds every run: QEMU + capture kernel); each reference family has its own
# REFS_VERSION (lib/reflib/families.py; a bump re-runs only that family's tools on the
# existing dumps).
set -euo pipefail
SRC=$(cd "$(dirname "$0")" && pwd)
LIB=$SRC/lib
export TB=${KDX_TESTBED:-/var/cache/kdx/testbed}
# The version of the dumps: bump when the guest, the crash or the dump files of a run
# change; runs made by another version are rebuilt.  (References: REFS_VERSION per
# family in lib/reflib/families.py.)
export TESTBED_VERSION=2
# Runs rebuilt on their own, "NAME:N" (their .complete then holds TESTBED_VERSION.N; drop
# the entries when TESTBED_VERSION is bumped), e.g. "bug:1".  Empty: the bug runs made before
# vmlab.ko was built in a fixed directory name a temporary build path in their BUG() message,
# which no test depends on, so they are kept rather than rebuilt.
export RUN_REVISIONS=""
. "$LIB/run-version.sh"
K61=6.1.0-56-cloud-amd64
K612=6.12.117+deb12-cloud-amd64
MODE=ci
JOBS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --ci) MODE=ci; shift;;
        --full) MODE=full; shift;;
        --demo) MODE=demo; shift;;
        -j) JOBS=${2:?-j needs a number}; shift 2;;
        -j*) JOBS=${1#-j}; shift;;
        -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
        *) echo "setup.sh: unknown argument $1 (try --help)" >&2; exit 2;;
    esac
done
say() { echo "[testbed $(date +%H:%M:%S)] $*"; }
fail() { echo "[testbed] ERROR: $*" >&2; exit 1; }

# ---- the runs of each mode: "KVER SCENARIO [la57]" ----
runs_of() {
    case "$1" in
        demo) echo "$K61 sysrq";;
        ci)   printf '%s\n' "$K61 sysrq" "$K61 irqnull" "$K61 sysrq la57" "$K612 sysrq" "$K612 oops";;
        full) for k in $K61 $K612; do
                  for s in sysrq oops bug softlockup irqnull; do echo "$k $s"; done
                  echo "$k sysrq la57"
              done;;
    esac
}
run_id() { set -- $1; echo "$1/$2${3:+-$3}"; }   # "KVER sysrq la57" -> KVER/sysrq-la57
sets_json() {
    local m sep=""
    printf '{'
    for m in ci full demo; do
        printf '%s"%s": [' "$sep" "$m"; sep=", "
        runs_of $m | while read -r r; do echo "\"$(run_id "$r")\""; done | paste -sd, | tr -d '\n'
        printf ']'
    done
    printf '}'
}
export SETS; SETS=$(sets_json)
run_versions_json() {
    local sep="" r id
    printf '{'
    while read -r r; do
        id=$(run_id "$r")
        printf '%s"%s": "%s"' "$sep" "$id" "$(run_version "$(basename "$id")")"; sep=", "
    done < <(runs_of full)
    printf '}'
}
export RUN_VERSIONS; RUN_VERSIONS=$(run_versions_json)

mkdir -p "$TB/logs" || fail "cannot create $TB"
exec 9>"$TB/.lock"
if ! flock -n 9; then
    say "another setup.sh is running on $TB; waiting for it"
    flock 9
fi

# Leftovers of an interrupted invocation (we hold the lock, so nobody else is working):
# half-made runs in staging/, 2 GB disk images in work/, replaced runs in trash/.
rm -rf "$TB"/staging/* "$TB"/work/* "$TB"/trash/* 2>/dev/null || true

# ---- 1. host packages (installed only when missing) ----
# The test bed's own tools, plus what the rest of ./test.sh needs: liblzo2-2 (the LZO codec is
# checked against it), afl++ (tests/fuzz/run.sh).
PKGS="qemu-system-x86 crash makedumpfile kexec-tools busybox-static cpio e2fsprogs liblzo2-dev
      python3-drgn xz-utils zstd gcc libc6-dev make python3 liblzo2-2 afl++"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    say "installing missing packages:$missing"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; } \
        > "$TB/logs/apt.log" 2>&1 || fail "apt-get install failed (see $TB/logs/apt.log)"
fi

# ---- 2. what is missing? ----
todo=()
while read -r r; do
    id=$(run_id "$r")
    if [ "$(cat "$TB/runs/$id/.complete" 2>/dev/null)" != "$(run_version "$(basename "$id")")" ]; then todo+=("$r"); fi
done < <(runs_of $MODE)

if [ ${#todo[@]} -gt 0 ]; then
    t0=$(date +%s)
    say "mode $MODE: ${#todo[@]} run(s) to build in $TB (logs in $TB/logs)"
    # ---- 3. kernels, module and initramfs for the kernels we need ----
    for k in $(printf '%s\n' "${todo[@]}" | cut -d' ' -f1 | sort -u); do
        if [ ! -e "$TB/kernels/$k/.done" ]; then
            say "fetching kernel $k (apt-get download + dpkg-deb -x)"
            "$LIB/fetch-kernel.sh" "$k" > "$TB/logs/fetch-$k.log" 2>&1 ||
                fail "cannot fetch kernel $k (see $TB/logs/fetch-$k.log)"
        fi
        want=$("$LIB/inputs-hash.sh")
        if [ "$(cat "$TB/build/$k/inputs.sha256" 2>/dev/null)" != "$want" ]; then
            say "building vmlab.ko and the initramfs for $k"
            "$LIB/build-initrd.sh" "$k" > "$TB/logs/initrd-$k.log" 2>&1 ||
                fail "cannot build vmlab.ko/initramfs for $k (see $TB/logs/initrd-$k.log)"
        fi
    done
    # ---- 4. the runs: guests one at a time, analyses up to JOBS in parallel ----
    # (a failed run is reported by do-one.sh and detected below)
    printf '%s\n' "${todo[@]}" | xargs -P "$JOBS" -L 1 "$LIB/do-one.sh" || true
    say "runs finished in $(( $(date +%s) - t0 ))s"
fi

# ---- 5. reference families whose REFS_VERSION changed, on the published runs (the dumps stay) ----
bad=(); dirs=()
while read -r r; do
    id=$(run_id "$r")
    if [ "$(cat "$TB/runs/$id/.complete" 2>/dev/null)" = "$(run_version "$(basename "$id")")" ]; then
        dirs+=("$TB/runs/$id")
    else
        bad+=("$id")
    fi
done < <(runs_of $MODE)
refs_failed=""
if [ ${#dirs[@]} -gt 0 ]; then
    stale=$("$LIB/make-refs.py" --stale "${dirs[@]}") || fail "make-refs.py --stale failed"
    if [ -n "$stale" ]; then
        t0=$(date +%s)
        say "making $(echo "$stale" | wc -l) reference famil(y/ies): $(echo "$stale" | awk '{print $2}' | sort | uniq -c | xargs) (log: $TB/logs/refs.log)"
        if ! "$LIB/make-refs.py" -j "$JOBS" "${dirs[@]}" > "$TB/logs/refs.log" 2>&1; then
            refs_failed="$(grep ERROR "$TB/logs/refs.log" | tail -1)"
        fi
        say "references made in $(( $(date +%s) - t0 ))s"
    fi
fi

# ---- 6. index.json (always rewritten: cheap) ----
"$LIB/make-index.py" > "$TB/logs/index.log" 2>&1 || fail "cannot write index.json (see $TB/logs/index.log)"
if [ ${#bad[@]} -gt 0 ]; then
    fail "not built: ${bad[*]} (see the logs in $TB/logs)"
fi

# ---- 7. crash's list/tree answers (walk-refs.sh; remade when the script changes) ----
if [ $MODE != demo ]; then
    want=$(sha256sum "$SRC/walk-refs.sh" | cut -d' ' -f1)
    if [ "$(cat "$TB/walk-refs/.version" 2>/dev/null)" != "$want" ]; then
        t0=$(date +%s)
        say "making crash's list/tree references (walk-refs.sh; log: $TB/logs/walk-refs.log)"
        if KDX_TESTBED=$TB nice "$SRC/walk-refs.sh" > "$TB/logs/walk-refs.log" 2>&1; then
            echo "$want" > "$TB/walk-refs/.version"
            say "list/tree references made in $(( $(date +%s) - t0 ))s"
        else
            refs_failed="walk-refs.sh failed"
        fi
    fi
fi
if [ -n "$refs_failed" ]; then
    fail "some reference families failed (the old ones stay): $refs_failed (see $TB/logs/refs.log)"
fi
say "ready: $TB/index.json ($(runs_of $MODE | wc -l) runs for --$MODE, $(du -sh "$TB/runs" 2>/dev/null | cut -f1) of runs)"
if [ $MODE = demo ]; then
    echo "$TB/runs/$K61/sysrq/kdump/vmcore.kdump-lzo"
fi
