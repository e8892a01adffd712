"""The addresses of the `sym` references, and their answers without crash or kallsyms.

Chosen per run (seeded by the run id) from the vmlinux symbol table (`nm -S`: sizes, so
that an offset falls inside its function or object), vmlab.ko's and virtio_blk's
kallsyms (read by drgn from the dump), the per-CPU symbols and addresses.json.  Each
address is answered from System.map relocated by VMCOREINFO's KERNELOFFSET (module
addresses: from the module's own kallsyms), which is what `sym ADDR` must say.
"""
import bisect
import subprocess

from .rundata import vmcoreinfo

KERNEL_MAP = 0xFFFFFFFF80000000


def nm_symbols(vmlinux):
    """(address, size, type, name) of the vmlinux symbols that have a size."""
    out = subprocess.run(["nm", "-S", "--defined-only", vmlinux], capture_output=True, text=True, check=True).stdout
    res = []
    for line in out.splitlines():
        f = line.split()
        if len(f) == 4 and not f[3].startswith("."):
            res.append((int(f[0], 16), int(f[1], 16), f[2], f[3]))
    return res


def system_map(path):
    res = []
    for line in open(path):
        f = line.split()
        if len(f) == 3:
            res.append((int(f[0], 16), f[1], f[2]))
    res.sort(key=lambda x: x[0])
    return res


class SymbolMap:
    """System.map, relocated: address -> (name, offset, type, other names at that address);
    None beyond _end (modules, the direct map)."""
    def __init__(self, path, offset):
        self.entries = []
        self.end = None
        for a, t, n in system_map(path):
            if n == "_end":
                self.end = a + offset
            if t in "aAUwWv" or n.startswith("$"):
                continue
            self.entries.append((a + offset if a >= KERNEL_MAP else a, t, n))
        self.entries.sort(key=lambda x: x[0])
        self.keys = [e[0] for e in self.entries]

    def lookup(self, addr):
        i = bisect.bisect_right(self.keys, addr) - 1
        if i < 0 or (self.end is not None and addr >= self.end):
            return None
        a = self.entries[i][0]
        same = [e for e in self.entries[bisect.bisect_left(self.keys, a):i + 1]]
        a, t, n = same[-1]
        return {"name": n, "offset": addr - a, "type": t, "address": "0x%x" % a,
                "aliases": [e[2] for e in same[:-1]]}


def module_lookup(modules, addr):
    """Nearest preceding symbol of the module whose layout holds addr (the kernel's rule)."""
    for m in modules:
        lay = m.get("layout")
        if not isinstance(lay, list):
            continue
        inside = any(int(x["base"], 16) <= addr < int(x["base"], 16) + x["size"] for x in lay if x["size"])
        syms = m.get("symbols")
        if not inside or not isinstance(syms, list):
            continue
        below = [s for s in syms if s["name"] and int(s["address"], 16) <= addr]
        if below:
            top = max(int(s["address"], 16) for s in below)
            same = [s for s in below if int(s["address"], 16) == top]
            best = same[-1]
            return {"module": m["name"], "name": best["name"], "type": best["type"], "offset": addr - top,
                    "address": best["address"], "aliases": [s["name"] for s in same[:-1]]}
    return None


def pick(run, truth):
    rng = run.rng("sym")
    info = vmcoreinfo(run.path("kdump/vmcore.elf"))
    koff = int(info.get("KERNELOFFSET", "0"), 16)
    syms = nm_symbols(run.vmlinux)
    pcpu_end = next((a for a, _, _, n in syms if n == "__per_cpu_end"), None)
    if pcpu_end is None:
        pcpu_end = next(a for a, _, n in system_map(run.system_map) if n == "__per_cpu_end")
    text = [s for s in syms if s[2] in "tT" and s[1] > 0 and s[0] >= KERNEL_MAP]
    data = [s for s in syms if s[2] in "dDbBrR" and s[1] > 0 and s[0] >= KERNEL_MAP]
    percpu = [s for s in syms if s[2] in "dD" and s[1] > 0 and s[0] < pcpu_end]
    picks = []

    def add(kind, addr, why):
        if all(p["addr"] != "0x%x" % addr for p in picks):
            picks.append({"kind": kind, "addr": "0x%x" % addr, "why": why})

    for a, size, t, n in rng.sample(text, 140):
        off = rng.randrange(size)
        add("text", a + koff + off, "%s+0x%x (nm -S: %s, size 0x%x)" % (n, off, t, size))
    for a, size, t, n in rng.sample(text, 10):
        add("text", a + koff, "%s (start of a function)" % n)
    for a, size, t, n in rng.sample(data, 60):
        off = rng.randrange(size)
        add("data", a + koff + off, "%s+0x%x (nm -S: %s, size 0x%x)" % (n, off, t, size))
    for a, size, t, n in rng.sample(percpu, min(8, len(percpu))):
        add("percpu", a + rng.randrange(size), "per-CPU symbol %s (an offset, not relocated)" % n)
    mods = truth.get("modules") if isinstance(truth.get("modules"), list) else []
    for m in mods:
        if m["name"] not in ("vmlab", "virtio_blk") or not isinstance(m.get("symbols"), list):
            continue
        ms = [s for s in m["symbols"] if s["name"] and s["size"] > 0]
        for s in rng.sample(ms, min(14 if m["name"] == "vmlab" else 6, len(ms))):
            add("module", int(s["address"], 16) + rng.randrange(s["size"]),
                "%s module symbol %s (%s, size %d)" % (m["name"], s["name"], s["type"], s["size"]))
    for a in run.addresses["addresses"]:
        if a["kind"] in ("text", "rodata", "data", "bss", "module"):
            add("addresses", int(a["addr"], 16), "addresses.json: " + a["desc"])
    meta = run.addresses["meta"]
    add("bogus", int(meta["page_offset_base"], 16) + 0x100000, "a direct-map address (no symbol)")
    add("bogus", int(meta["vmalloc_base"], 16) + 0x1000, "a vmalloc address (no symbol)")
    add("bogus", 0x1000, "a user-space address")
    smap = SymbolMap(run.system_map, koff)
    for p in picks:
        a = int(p["addr"], 16)
        p["system_map"] = smap.lookup(a) if p["kind"] not in ("module", "bogus") else None
        p["module"] = module_lookup(mods, a) if p["kind"] in ("module", "addresses") else None
    return {"source": "nm -S of the vmlinux (sizes), System.map relocated by VMCOREINFO KERNELOFFSET, "
                      "module kallsyms read by drgn (ref/truth/drgn.json)",
            "kernel_offset": "0x%x" % koff, "addresses": picks}
