"""The reference families and their versions.

REFS_VERSION of a family: bump it when its commands, its formats or the way it is made
change; `setup.sh` then re-runs that family (and the families that depend on it) on every
published run, without rebuilding the dumps (TESTBED_VERSION in setup.sh is the version of
the dumps).  A family is also re-run when a family it depends on changed version.
"""
from . import cmds_bt, cmds_dis, cmds_state, cmds_types


class Family:
    def __init__(self, name, refs_version, kind, depends=(), formats=None, generate=None, what=""):
        self.name = name
        self.refs_version = refs_version
        self.kind = kind                  # "base", "truth" or "crash"
        self.depends = list(depends)
        self.formats = formats            # formats it runs on (None: run level)
        self.generate = generate          # crash families: (run, manifest, fmt) -> commands
        self.what = what

    def output(self, fmt):
        return "ref/%s/crash-%s.json" % (fmt, self.name)

    def commands_file(self, fmt):
        return "ref/%s/%s-commands.json" % (fmt, self.name)


ALL_FORMATS = ["elf", "kdump-lzo", "kdump-zlib", "kdump-lzo-d23", "flat-lzo", "elf-d31", "split-lzo",
               "qemu-elf", "qemu-elf-paging", "qemu-kdump-zlib", "qemu-kdump-zlib.R"]
# Type and symbol answers cannot differ between formats of one crash: the unfiltered ELF.
# Tasks, memory and stacks can (filtering, the host dumps' earlier moment): the ELF,
# the RHEL-default -d 31 kdump and the host-side QEMU ELF.
STATE_FORMATS = ["elf", "kdump-lzo", "qemu-elf"]

FAMILIES = [
    Family("base", 1, "base", formats=ALL_FORMATS,
           what="the lab's 21 commands, help -D/-n, rd/vtop/ptov (crash-ref.json) + drgn task lists"),
    Family("truth", 2, "truth",
           what="drgn and gdb ground truth (ref/truth/): tasks, stacks, modules, layouts, globals, slabs, symbols"),
    Family("types", 2, "crash", ["base", "truth"], ["elf"], lambda r, m, f: cmds_types.generate(r, m),
           what="struct/union -o, whatis, ptype, struct at addresses, p, eval, sym, list, tree, mod (issue 3)"),
    Family("dis", 1, "crash", ["base", "truth"], ["elf"], lambda r, m, f: cmds_dis.generate(r, m),
           what="dis of >= 120 functions with every option (issue 5)"),
    Family("state", 1, "crash", ["base", "truth"], STATE_FORMATS, cmds_state.generate,
           what="sys, ps, task, foreach, log, kmem, irq, timer, runq, mach, dev, net, files, vm, ... (issue 4)"),
    Family("bt", 1, "crash", ["base", "truth"], STATE_FORMATS, cmds_bt.generate,
           what="bt with every option, per task, foreach bt (issue 5)"),
]

BY_NAME = {f.name: f for f in FAMILIES}
