#!/bin/sh
# walk-refs.sh: crash 8.0.2's answers to list and tree commands on the test bed's 6.1 CI runs, for
# tests/Kdx.Vmcore.Tests/Walk/WalkCrashReferenceTests.cs. Writes
#   $KDX_TESTBED/walk-refs/<kernel>/<scenario>/crash-ref.json   (crash-ref.py's format)
# from the run's kdump-lzo dump. The commands are symbolic (no addresses), so one list serves every run;
# the first loads vmlab.ko's debuginfo as crash needs it for struct vmlab_item. Takes about a minute a run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=${KDX_TESTBED:-/var/cache/kdx/testbed}
index="$root/index.json"
[ -f "$index" ] || { echo "walk-refs.sh: no $index (run tests/vmcores/setup.sh first)" >&2; exit 1; }

python3 - "$index" <<'EOF' | while IFS='|' read -r id dir vmlinux ko dump; do
import json, sys
index = json.load(open(sys.argv[1]))
for run in index["runs"]:
    if run["id"] not in index["sets"]["ci"] or not run["kernel"].startswith("6.1."):
        continue
    fmt = run["formats"].get("kdump-lzo")
    if fmt and fmt.get("crash_opens"):
        print("|".join([run["id"], run["dir"], run["vmlinux"], run["vmlab_ko"], fmt["files"][0]]))
EOF
    out="$root/walk-refs/$id"
    mkdir -p "$out"
    python3 - "$ko" > "$out/commands.json" <<'EOF'
import json, sys
print(json.dumps([
    "mod -s vmlab " + sys.argv[1],
    "list -H vmlab_items",
    "list -H vmlab_items -o vmlab_item.node",
    "list -H vmlab_items -o 32",
    "list vmlab_item.node -H vmlab_items -s vmlab_item.id,name,value",
    "list vmlab_item.node -H vmlab_items -s vmlab_item.id,value -x",
    "list vmlab_item.node -H vmlab_items -s vmlab_item.magic,value -d",
    "list vmlab_item.node -H vmlab_items -s vmlab_item",
    "list vmlab_item.node -H vmlab_items -s vmlab_item.node,name",
    "list -H vmlab_items -r",
    "list vmlab_item.node -H vmlab_items -r",
    "list vmlab_items",
    "list -r vmlab_items",
    "list -B vmlab_items",
    "list -O 0 -h vmlab_items",
    "list -H vmlab_items -l vmlab_item.node -s vmlab_item.id",
    "list -H modules module.list -s module.name,state",
    "list -H modules -s list_head.next,prev",
    "list -H modules module.list -s module.exit,num_kp,kp,sig_ok -x",
    "list -H super_blocks super_block.s_list -s super_block.s_id,s_blocksize,s_type,s_op,s_magic",
    "list task_struct.tasks -h init_task -s task_struct.pid,prio,mm,stack -x",
    "tree -t rbtree -o vmap_area.rb_node vmap_area_root",
    "tree -t rbtree -o vmap_area.rb_node vmap_area_root -p",
    "tree -t rbtree -o vmap_area.rb_node -l -p vmap_area_root",
    "tree -t rbtree -o vmap_area.rb_node vmap_area_root -s vmap_area.va_start,va_end",
    "tree -t rbtree -o vmap_area.rb_node vmap_area_root -s vmap_area.va_start,va_end -x",
    "tree -t rbtree -o vmap_area.rb_node -l vmap_area_root -s vmap_area -x",
    "tree -t xarray -r pid_namespace.idr init_pid_ns -p",
    "tree -t xarray -r pid_namespace.idr init_pid_ns -s pid.level",
    "tree -t x -p link_idr",
    "tree -t x -p unnamed_dev_ida",
    "tree -t x -p proc_inum_ida",
    "list 0",
    "tree -t xarray -l init_pid_ns",
    "tree -r 8 -N 0 -t rb",
]))
EOF
    echo "walk-refs.sh: $id" >&2
    (cd "$dir" && "$here/lib/crash-ref.py" "$vmlinux" "$out/commands.json" "$out/crash-ref.json" "$dump") >&2
done
