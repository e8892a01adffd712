"""The `base` family: the first references of the test bed (before the families existed):
the lab's 21 crash commands, help -D/-n, rd/vtop/ptov at the addresses of
addresses.json, on every format; plus drgn's task list per format."""
import json
import os
import re

from .rundata import PY

# The vmcore lab's 21 reference commands (later issues use them).
LAB_COMMANDS = [
    "sys", "ps", "bt", "bt -a", "log", "kmem -i", "kmem -s", "irq", "timer", "mod", "runq", "dev", "net",
    "files 1", "vm 1", "help -m", "mach", "sym schedule", "struct task_struct.pid,comm,__state <panic task>",
    "dis -l schedule 10", "list task_struct.tasks -h init_task -s task_struct.pid,comm",
]
# `list ... -s task_struct.pid,comm` costs crash ~15 s of CPU per dump (gdb evaluates
# every member of every task), about half of a whole reference session.  Its output is
# the same on every format that crash opens, so it runs on these formats only and is
# recorded as "skipped" on the others; everything else runs on every format.
COSTLY = {"list task_struct.tasks -h init_task -s task_struct.pid,comm"}
COSTLY_FORMATS = {"elf", "kdump-lzo", "kdump-lzo-d23"}


def commands(run):
    """crash-commands.json: the same commands for every format of the run."""
    addrs = run.addresses
    A = addrs["addresses"]
    by = lambda pred: next((a["addr"] for a in A if pred(a)), None)
    cmds = LAB_COMMANDS + ["help -D", "help -n"]
    cmds += ["rd -64 %s 4" % a["addr"] for a in A]
    cmds += ["vtop %s" % a["addr"] for a in A if a["vtop"]]
    cmds += ["ptov %s" % p["paddr"] for p in addrs["ptov"]]
    m = addrs["meta"]
    obj0 = by(lambda a: a["desc"].startswith("vmlab_objs[0]"))
    item = by(lambda a: a["desc"].startswith("first struct vmlab_item"))
    sp = by(lambda a: a["desc"].startswith("saved thread.sp"))
    variants = [
        "rd -8 %s 16" % by(lambda a: a["desc"] == "symbol schedule"),
        "rd -16 %s 8" % m["linux_banner"],
        "rd -32 %s 8" % obj0,
        "rd -a linux_banner",
        "rd -p %s 4" % addrs["ptov"][1]["paddr"],
        "rd -p %s 4" % next(p["paddr"] for p in addrs["ptov"] if p["desc"] == "vmlab_objs[0]"),
        "rd -d %s 4" % item,
        "rd -x %s 4" % obj0,
        "rd -s %s 8" % m["sys_call_table"] if m["sys_call_table"] else None,
        "rd -s %s 8" % sp if sp else None,
        "rd linux_banner 8",
    ]
    cmds += [v for v in variants if v and "None" not in v]
    with open(run.path("crash-commands.json"), "w") as f:
        json.dump(cmds, f, indent=1)
    return cmds


def format_commands(run, fmt):
    cmds = json.load(open(run.path("crash-commands.json")))
    if fmt not in COSTLY_FORMATS:
        cmds = [{"cmd": c, "skip": "costly; run on %s only" % ", ".join(sorted(COSTLY_FORMATS))}
                if c in COSTLY else c for c in cmds]
    return cmds


def drgn_tasks(run, fmt, files, sh, lib):
    """drgn ground truth per format: task list + crashed thread's stack (lab's drgn-tasks.py)."""
    rd = run.path("ref", fmt)
    if len(files) > 1:
        return {"rc": None, "error": "drgn cannot open split dumps", "tasks": None}
    rc, txt, dt = sh([PY, "-m", "drgn", "-q", "-c", files[0], "-s", run.vmlinux, "-s", "vmlab.ko",
                      os.path.join(lib, "drgn-tasks.py")], timeout=1200, cwd=run.dir)
    with open(os.path.join(rd, "drgn-tasks.txt"), "w") as f:
        f.write(txt)
    m = re.search(r"DRGN-TASKS (\d+)", txt)
    dr = {"rc": rc, "seconds": round(dt, 2), "tasks": int(m.group(1)) if m else None,
          "crashed_thread_ok": "DRGN-CRASHED-THREAD-OK" in txt, "output": "ref/%s/drgn-tasks.txt" % fmt}
    if not m or rc != 0:
        errs = [l for l in txt.strip().splitlines() if l.strip()]
        dr["error"] = errs[-1] if errs else "rc=%s" % rc
    elif not dr["crashed_thread_ok"]:
        m2 = re.search(r"DRGN-CRASHED-THREAD-ERROR (.*)", txt)
        dr["error"] = "crashed_thread: " + (m2.group(1) if m2 else "?")
    return dr


def adopt_legacy(run):
    """A run made before the reference families: its analysis.json holds the base family."""
    an = run.analysis
    fmts = {}
    for fmt, f in an.get("formats", {}).items():
        if "crash_ref" not in f:
            return None
        fmts[fmt] = {k: f.get(k) for k in ("crash_ref", "crash_opens", "crash_mode", "crash_open_error",
                                           "crash_ok", "crash_cmds", "crash_seconds")}
        fmts[fmt]["drgn"] = f.get("drgn")
    return fmts or None
