"""The `truth` family: ground truth that does not come from crash (ref/truth/).

  drgn.json        drgn 0.0.22 on kdump/vmcore.elf (lib/truth-drgn.py): every task with
                   its stack trace, VMAs and files, modules with their kallsyms, layouts of
                   the catalog's types, values of the catalog's globals, slab caches with
                   object counts, the planted vmlab objects, anchor addresses
  gdb-layouts.json the system gdb's `ptype /o` of the same types (crash's gdb cannot
                   print types on 6.12), parsed
  gdb-commands.json the system gdb's `whatis`/`ptype` of the types family's names
  symbols.json     the addresses of the `sym` references and their System.map answers
"""
import fcntl
import os

from . import catalog, gdblayout, symbols
from .rundata import PY, dump_atomic

VMLAB_TYPES = ["vmlab_item", "vmlab_obj"]
# whatis/ptype as the system gdb answers them from the vmlinux (crash's own gdb dies on 6.12)
GDB_COMMANDS = (["whatis " + w for w in catalog.WHATIS] + ["ptype " + p for p in catalog.PTYPE] +
                ["ptype /o " + t for t in catalog.TYPEDEF_STRUCTS])


def run_truth(run, sh, lib):
    td = run.path("ref", "truth")
    os.makedirs(td, exist_ok=True)
    errors = []
    inp = {"types": ["struct " + s for s in catalog.STRUCTS] + ["union " + u for u in catalog.UNIONS],
           "globals": [{"expr": c, "py": py} for c, py, _ in catalog.GLOBALS if py]}
    dump_atomic(inp, os.path.join(td, "drgn-in.json"))
    rc, txt, dt = sh([PY, "-m", "drgn", "-q", "-c", "kdump/vmcore.elf", "-s", run.vmlinux, "-s", "vmlab.ko",
                      os.path.join(lib, "truth-drgn.py"), "ref/truth/drgn-in.json", "ref/truth/drgn.json"],
                     timeout=3600, cwd=run.dir)
    if rc != 0 or not os.path.exists(os.path.join(td, "drgn.json")):
        raise RuntimeError("truth-drgn.py failed (rc %s): %s" % (rc, txt[-1500:]))
    drgn_seconds = round(dt, 1)
    # gdb: one run per kernel and type list, cached in build/KVER (concurrent runs wait)
    os.makedirs(run.build, exist_ok=True)
    with open(os.path.join(run.build, ".gdb-layouts.lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        lay = gdblayout.layouts(run, catalog.STRUCTS, catalog.UNIONS, VMLAB_TYPES, GDB_COMMANDS)
    cmds = lay.pop("commands")
    dump_atomic(lay, os.path.join(td, "gdb-layouts.json"))
    dump_atomic({"tool": lay["tool"], "vmlinux": run.vmlinux,
                 "note": "the system gdb without a core: static types only; commands naming vmlab run on vmlab.ko",
                 "commands": [{"cmd": c, "output": cmds.get(c, "")} for c in GDB_COMMANDS]},
                os.path.join(td, "gdb-commands.json"))
    bad = [n for n, t in lay["types"].items() if "error" in t]
    if len(bad) > len(lay["types"]) // 2:
        errors.append("gdb could not print %d of %d types" % (len(bad), len(lay["types"])))
    truth = run.truth()
    dump_atomic(symbols.pick(run, truth), os.path.join(td, "symbols.json"))
    for key in ("tasks", "modules", "vmlab", "anchors", "percpu", "slab_caches"):
        if isinstance(truth.get(key), dict) and "error" in truth[key]:
            errors.append("drgn %s: %s" % (key, truth[key]["error"]))
    return {"files": {"drgn": "ref/truth/drgn.json", "gdb_layouts": "ref/truth/gdb-layouts.json",
                      "symbols": "ref/truth/symbols.json", "gdb_commands": "ref/truth/gdb-commands.json"},
            "drgn_seconds": drgn_seconds, "gdb_failed_types": bad, "errors": errors,
            "tasks": len(truth["tasks"]) if isinstance(truth.get("tasks"), list) else None}
