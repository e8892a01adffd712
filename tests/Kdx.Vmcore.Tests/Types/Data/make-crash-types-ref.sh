#!/usr/bin/env bash
# Makes crash-types-KERNEL.txt: what crash 8.0.2 prints for each line of types-commands-KERNEL.txt, run in
# one session (so p's $N numbering is crash's), on the test bed's 6.1 sysrq ELF dump with its vmlinux.
# PANIC_TASK in a command stands for the panic task's address (addresses.json meta.panic_task).
# Blocks: "==== COMMAND" then crash's output. Likewise crash-vmlab-types-KERNEL.txt from vmlab-commands-KERNEL.txt,
# after "mod -s vmlab" loads the test module's debuginfo (FIRST_ITEM: addresses.json console.first_item).
# Usage: make-crash-types-ref.sh [RUN_ID]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run_id=${1:-6.1.0-56-cloud-amd64/sysrq}
index=${KDX_TESTBED_INDEX:-/var/cache/kdx/testbed/index.json}
read -r dir vmlinux kernel < <(python3 - "$index" "$run_id" <<'PY'
import json, sys
idx = json.load(open(sys.argv[1]))
run = next(r for r in idx["runs"] if r["id"] == sys.argv[2])
print(run["dir"], run["vmlinux"], run["kernel"])
PY
)
panic=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["panic_task"][2:])' "$dir/addresses.json")
first=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["console"]["first_item"])' "$dir/addresses.json")
version=$(crash --version 2>&1 | grep -m1 -o "crash [0-9.]*")

# make_ref COMMANDS OUT [PRELUDE]: one crash session over COMMANDS, blocks into OUT.
make_ref() {
    local commands=$1 out=$2 prelude=${3:-}
    local input raw n=0
    input=$(mktemp); raw=$(mktemp)
    [ -n "$prelude" ] && printf '%s\n' "$prelude" > "$input"
    while IFS= read -r line; do
        n=$((n + 1))
        line=${line//PANIC_TASK/$panic}
        printf 'echo ==== %d\n%s\n' "$n" "${line//FIRST_ITEM/$first}" >> "$input"
    done < "$commands"
    crash -s "$vmlinux" "$dir/kdump/vmcore.elf" < "$input" > "$raw" 2>&1 || true
    python3 - "$commands" "$raw" "$out" "$run_id" "$version" <<'PY'
import re, sys
commands = open(sys.argv[1]).read().splitlines()
raw = open(sys.argv[2], errors="surrogateescape").read().split("\n")
blocks, current = {}, None
for line in raw:
    m = re.fullmatch(r"==== (\d+)", line)
    if m:
        current = int(m.group(1)); blocks[current] = []
    elif current is not None:
        blocks[current].append(line)
with open(sys.argv[3], "w", errors="surrogateescape") as f:
    f.write(f"# {sys.argv[5]} on test bed run {sys.argv[4]} (kdump/vmcore.elf, debuginfo vmlinux), one session,\n")
    f.write("# made by make-crash-types-ref.sh from the commands file next to it; PANIC_TASK and FIRST_ITEM as there.\n")
    for i, cmd in enumerate(commands, 1):
        body = blocks.get(i, [])
        while body and body[-1] == "" and i == len(commands):
            body.pop()
        f.write(f"==== {cmd}\n")
        f.write("".join(l + "\n" for l in body))
PY
    rm -f "$input" "$raw"
    echo "$out"
}

make_ref "$here/types-commands-$kernel.txt" "$here/crash-types-$kernel.txt"
make_ref "$here/vmlab-commands-$kernel.txt" "$here/crash-vmlab-types-$kernel.txt" "mod -s vmlab $dir/vmlab.ko"
