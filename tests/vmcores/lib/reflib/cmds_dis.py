"""The `dis` family (issue 5): disassembly of >= 120 functions, with every option.

Fixed functions (catalog.DIS_FUNCS: the panic paths, the scheduler, entry code), the
functions of crash's own panic backtrace, vmlab.ko's functions, and functions picked
per run from the vmlinux (60 of 16-600 bytes, seeded by the run id).
"""
import re

from . import catalog
from .symbols import KERNEL_MAP, nm_symbols


def cmd(c, what, **kw):
    return dict(cmd=c, what=what, **kw)


def bt_functions(run, manifest):
    ref = run.base_ref("elf", manifest)
    if not ref:
        return []
    bt = next((c["output"] for c in ref["commands"] if c["cmd"] == "bt" and c["status"] == "ok"), "") or ""
    return list(dict.fromkeys(re.findall(r"#\d+ \[[0-9a-f]+\] (\w+) at", bt)))


def generate(run, manifest):
    rng = run.rng("dis")
    syms = nm_symbols(run.vmlinux)
    koff = int(run.symbols()["kernel_offset"], 16)
    text = {}
    for a, size, t, n in syms:
        if t in "tT" and a >= KERNEL_MAP and size > 0:
            text.setdefault(n, (a + koff, size))
    fixed = [f for f in catalog.DIS_FUNCS if f in text]
    from_bt = [f for f in bt_functions(run, manifest) if f in text and f not in fixed]
    # __pfx_* are the 6.x function padding symbols, not functions
    pool = sorted(n for n, (a, size) in text.items()
                  if 16 <= size <= 600 and n not in fixed and n not in from_bt and not n.startswith("__pfx_"))
    randoms = rng.sample(pool, 60)
    out = [cmd("mod -s vmlab vmlab.ko", "load vmlab.ko's DWARF (path relative to the run directory)", replay=True)]
    out += [cmd("dis " + f, "whole function (fixed list)") for f in fixed]
    out += [cmd("dis " + f, "whole function (in crash's panic backtrace)") for f in from_bt]
    out += [cmd("dis " + f, "whole function (picked at random, %d bytes)" % text[f][1]) for f in randoms]
    out += [cmd("dis " + f, "whole module function") for f in catalog.DIS_MODULE_FUNCS]
    for f in fixed[:6] + randoms[:6] + catalog.DIS_MODULE_FUNCS[:2]:
        out.append(cmd("dis -l " + f, "with source lines"))
    for f in randoms[6:12] + fixed[6:8]:
        a, size = text[f]
        off = rng.randrange(size // 2, size) if size > 2 else 0
        out.append(cmd("dis -r 0x%x" % (a + off), "reverse: %s start to +0x%x" % (f, off)))
        out.append(cmd("dis -f 0x%x" % (a + off), "forward: %s+0x%x to the end" % (f, off)))
    for f in randoms[12:20]:
        a, size = text[f]
        out.append(cmd("dis 0x%x %d" % (a, rng.randrange(2, 12)), "address and count (%s)" % f))
    out += [cmd("dis -r 0x%x 3" % (text["schedule"][0] + 16), "-r with a count"),
            cmd("dis -f schedule 4", "-f with a count"),
            cmd("dis (schedule+16) 3", "an expression"),
            cmd("dis -x schedule 8", "-x"), cmd("dis -d schedule 8", "-d"),
            cmd("dis -s schedule", "source listing (no sources on this host)"),
            cmd("dis -l schedule 10", "the lab's command"),
            cmd("dis -b", "bytes skipped after ud2")]
    rip = run.panic_rip(manifest)
    if rip:
        out += [cmd("dis -l %s 1" % rip, "the panic/exception RIP from crash's bt"),
                cmd("dis -r %s 8" % rip, "the instructions before it")]
    ps = run.addresses.get("meta", {})
    user = next((t for t in run.crash_visible_tasks("elf", manifest) if t["pid"] > 0), None)
    ubt = next((c["output"] for c in (run.base_ref("elf", manifest) or {"commands": []})["commands"]
                if c["cmd"] == "bt" and c["status"] == "ok"), "") or ""
    m = re.search(r"RIP: (0000[0-9a-f]{12})", ubt)
    if m and user and ps:
        out.append(cmd("dis -u 0x%s 4" % m.group(1).lstrip("0"), "user code of the panic task at its saved RIP"))
    out.append(cmd("dis -u 0x1000 2", "an unmapped user address"))
    return out
