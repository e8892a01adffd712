#!/usr/bin/env bash
# Makes crash-types-KERNEL.txt: what crash 8.0.2 prints for each line of types-commands-KERNEL.txt, run in
# one session (so p's $N numbering is crash's), on the test bed's 6.1 sysrq ELF dump with its vmlinux.
# PANIC_TASK in a command stands for the panic task's address (addresses.json meta.panic_task).
# Blocks: "==== COMMAND" then crash's output. Usage: make-crash-types-ref.sh [RUN_ID]
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
commands="$here/types-commands-$kernel.txt"
out="$here/crash-types-$kernel.txt"
input=$(mktemp); raw=$(mktemp); trap 'rm -f "$input" "$raw"' EXIT
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf 'echo ==== %d\n%s\n' "$n" "${line//PANIC_TASK/$panic}" >> "$input"
done < "$commands"
crash -s "$vmlinux" "$dir/kdump/vmcore.elf" < "$input" > "$raw" 2>&1 || true
python3 - "$commands" "$raw" "$out" "$run_id" "$(crash --version 2>&1 | grep -m1 -o "crash [0-9.]*")" <<'PY'
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
    f.write("# made by make-crash-types-ref.sh from the types-commands file next to it; PANIC_TASK as there.\n")
    for i, cmd in enumerate(commands, 1):
        body = blocks.get(i, [])
        while body and body[-1] == "" and i == len(commands):
            body.pop()
        f.write(f"==== {cmd}\n")
        f.write("".join(l + "\n" for l in body))
PY
echo "$out"
