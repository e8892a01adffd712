#!/usr/bin/python3
"""analyze.py KVER RUNDIR

Post-processes one run directory made by run-scenario.py (in staging):
  1. makedumpfile -R: QEMU's kdump-zlib (flattened) -> host/vmcore.qemu-kdump-zlib.R
  2. guest-ps.json from the guest's own `ps` in console.log (VMLAB-PS-BEGIN/END)
  3. checks: the planted-objects printk line is in console.log and dmesg.txt
  4. addresses.json: the addresses of the rd/vtop/ptov references, chosen once
     per crash with drgn on kdump/vmcore.elf (pick-addresses.py), plus pages
     makedumpfile -d 31 left out (from the kdump bitmaps)
  5. analysis.json: the dump files, their sizes and the checks (make-index.py reads it)
The crash/drgn/gdb references are made afterwards by make-refs.py (do-one.sh runs it).
Exits non-zero if something essential is missing (the run is then not published).

Environment: TB (cache root).
"""
import json, os, re, shutil, struct, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reflib.rundata import FORMATS  # noqa: E402

KVER, D = sys.argv[1], os.path.abspath(sys.argv[2])
TB = os.environ["TB"]
LIB = os.path.dirname(os.path.abspath(__file__))
K = os.path.join(TB, "kernels", KVER)
VMLINUX = os.path.realpath(os.path.join(K, "vmlinux"))
PY = "/usr/bin/python3"          # drgn is a Debian package: use the system python
PLANTED = "vmlab: planted 37 objects in vmlab_cache"

def log(*a):
    print("[%s analyze %s %s]" % (time.strftime("%H:%M:%S"), KVER, os.path.basename(D)), *a, flush=True)


def die(msg):
    log("ERROR:", msg)
    sys.exit(1)


def sh(cmd, timeout=1800, **kw):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace"), time.time() - t0
    except subprocess.TimeoutExpired as e:
        return "timeout", ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace"), time.time() - t0


# ---------------------------------------------------------------- dump readers (tiny)
class Elf:
    """Physical reads from an ELF vmcore (/proc/vmcore copy): PT_LOAD by p_paddr."""
    def __init__(self, path):
        self.f = open(path, "rb")
        h = self.f.read(64)
        phoff, = struct.unpack_from("<Q", h, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", h, 0x36)
        self.loads = []
        for i in range(phnum):
            self.f.seek(phoff + i * phentsize)
            p_type, _, off, _, paddr, filesz, _ = struct.unpack("<IIQQQQQ", self.f.read(48))
            if p_type == 1:
                self.loads.append((paddr, filesz, off))

    def read(self, paddr, n):
        for start, size, off in self.loads:
            if start <= paddr and paddr + n <= start + size:
                self.f.seek(off + paddr - start)
                return self.f.read(n)
        return None


def kdump_bitmaps(path):
    """(max_mapnr, bitmap1 = valid RAM, bitmap2 = dumped) of a compressed kdump file."""
    with open(path, "rb") as f:
        h = f.read(4096)
        if h[:8] != b"KDUMP   ":
            raise ValueError("%s: not a kdump file" % path)
        block_size, sub_hdr_size, bitmap_blocks, max_mapnr = struct.unpack_from("<iiII", h, 428)
        f.seek(block_size * (1 + sub_hdr_size))
        bm = f.read(bitmap_blocks * block_size)
    half = len(bm) // 2
    return max_mapnr, bm[:half], bm[half:]


def bit(bm, pfn):
    return pfn // 8 < len(bm) and bool(bm[pfn // 8] & (1 << (pfn % 8)))


# ---------------------------------------------------------------- steps
def reassemble():
    src, dst = D + "/host/vmcore.qemu-kdump-zlib", D + "/host/vmcore.qemu-kdump-zlib.R"
    if not os.path.exists(src):
        die("missing " + src)
    rc, txt, dt = sh("makedumpfile --message-level 22 -R %s < %s" % (dst, src), shell=True)
    if rc != 0 or not os.path.exists(dst):
        die("makedumpfile -R failed: " + txt[-500:])
    os.chmod(dst, 0o644)    # makedumpfile creates it 0600
    log("makedumpfile -R: %.1fs" % dt)
    return round(dt, 2)


def guest_ps():
    txt = open(D + "/console.log", errors="replace").read()
    m = re.search(r"VMLAB-PS-BEGIN (\d+) lines\r?\n(.*?)\r?\nVMLAB-PS-END", txt, re.S)
    if not m:
        die("no VMLAB-PS-BEGIN/END block in console.log")
    lines = m.group(2).replace("\r", "").split("\n")
    if len(lines) != int(m.group(1)):
        die("guest ps block has %d lines, the guest said %s" % (len(lines), m.group(1)))
    hdr = lines[0]
    c1 = hdr.index("COMMAND")          # busybox: PID PPID STAT COMMAND(comm, 16 wide) COMMAND(args)
    c2 = hdr.index("COMMAND", c1 + 1)
    procs = []
    for l in lines[1:]:
        pid, ppid, stat = l[:c1].split()
        procs.append({"pid": int(pid), "ppid": int(ppid), "stat": stat,
                      "comm": l[c1:c2].rstrip(), "args": l[c2:].rstrip()})
    res = {"source": "busybox ps -T -o pid,ppid,stat,comm,args in the guest, a few seconds before the crash",
           "note": "-T lists threads too (their tid in pid); comm is cut to 15 characters as in the kernel",
           "processes": procs}
    json.dump(res, open(D + "/guest-ps.json", "w"), indent=1)
    return len(procs)


def console_addresses():
    txt = open(D + "/console.log", errors="replace").read()
    c = {}
    for key, pat in [("cache", r"vmlab_cache \(cache=([0-9a-f]+)"), ("objs", r" objs=([0-9a-f]+)"),
                     ("head", r"vmlab_items \(head=([0-9a-f]+)"), ("first_item", r"head=[0-9a-f]+ first=([0-9a-f]+)"),
                     ("timer", r"vmlab_timer=([0-9a-f]+)"), ("kthread", r"vmlab_kthread pid=\d+ task=([0-9a-f]+)")]:
        m = re.search(pat, txt)
        c[key] = m.group(1) if m else None
    return c


def excluded_pages(elf):
    """Pick pfns that makedumpfile -d 31 left out: user pages (kept by -d 23,
    preferably the vmlab-load heap) and free/zero/cache pages (excluded by both)."""
    mapnr, valid, d31 = kdump_bitmaps(D + "/kdump/vmcore.kdump-lzo")
    _, _, d23 = kdump_bitmaps(D + "/kdump/vmcore.kdump-lzo-d23")
    user = [p for p in range(mapnr) if bit(valid, p) and bit(d23, p) and not bit(d31, p)]
    other = [p for p in range(mapnr) if bit(valid, p) and not bit(d23, p) and elf.read(p << 12, 1)]
    picks = []
    heap = [p for p in user if b"VMLAB-HEAP-MAGIC" in (elf.read(p << 12, 4096) or b"")]
    if heap:
        p = heap[len(heap) // 2]
        off = elf.read(p << 12, 4096).find(b"VMLAB-HEAP-MAGIC") & ~7   # rd shows the magic
        picks.append({"pfn": p, "offset": off,
                      "why": "user page (vmlab-load heap), excluded by -d 31, kept by -d 23"})
    for p in (user[:1] + user[len(user) // 3:len(user) // 3 + 1]):
        if all(p != x["pfn"] for x in picks) and len(picks) < 2:
            picks.append({"pfn": p, "why": "user page, excluded by -d 31, kept by -d 23"})
    nz = next((p for p in other[len(other) // 2:] if elf.read(p << 12, 4096).strip(b"\0")), None)
    if nz is not None:
        picks.append({"pfn": nz, "why": "free/cache page with data, excluded by -d 31 and -d 23"})
    if other:
        picks.append({"pfn": other[len(other) // 2], "why": "page excluded by -d 31 and -d 23"})
    stats = {"max_mapnr": mapnr, "valid": sum(bit(valid, p) for p in range(mapnr)),
             "dumped_d31": sum(bit(d31, p) for p in range(mapnr)),
             "dumped_d23": sum(bit(d23, p) for p in range(mapnr)),
             "user_only": len(user), "excluded_by_both": len(other)}
    return picks, stats, (valid, d31, d23)


def pick_addresses():
    elf = Elf(D + "/kdump/vmcore.elf")
    picks, stats, (valid, d31, d23) = excluded_pages(elf)
    inp = {"console": console_addresses(), "excluded": picks}
    if not inp["console"]["objs"]:
        die("vmlab.ko's addresses not found in console.log")
    json.dump(inp, open(D + "/.pick-in.json", "w"))
    rc, txt, dt = sh([PY, "-m", "drgn", "-q", "-c", "kdump/vmcore.elf", "-s", VMLINUX,
                      os.path.join(LIB, "pick-addresses.py"), ".pick-in.json", ".pick-out.json"], cwd=D, timeout=600)
    if rc != 0:
        die("pick-addresses.py (drgn) failed: " + txt[-1500:])
    p = json.load(open(D + "/.pick-out.json"))
    os.unlink(D + "/.pick-in.json"); os.unlink(D + "/.pick-out.json")
    for a in p["addresses"]:
        pa = a["paddr"] and int(a["paddr"], 16)
        a["pfn"] = None if pa is None else "0x%x" % (pa >> 12)
        a["in_elf"] = pa is not None and elf.read(pa, 1) is not None
        a["dumped_d31"] = pa is not None and bit(d31, pa >> 12)
        a["dumped_d23"] = pa is not None and bit(d23, pa >> 12)
    res = {"chosen_by": "%s on kdump/vmcore.elf (lib/pick-addresses.py); paddr from a page-table walk of "
                        "init_mm.pgd in physical memory; bytes = 32 bytes read by drgn from kdump/vmcore.elf "
                        "(null: unreadable there)" % p["meta"]["tool"],
           "fields": {"in_elf": "the physical page is in /proc/vmcore (the crashkernel region is not)",
                      "dumped_d31": "the page is in makedumpfile -d 31 outputs (kdump bitmap 2)",
                      "dumped_d23": "the page is in the -d 23 output"},
           "meta": p["meta"], "console": inp["console"], "excluded_pages": picks, "kdump_bitmap_stats": stats,
           "addresses": p["addresses"], "ptov": p["ptov"]}
    json.dump(res, open(D + "/addresses.json", "w"), indent=1)
    kinds = {}
    for a in p["addresses"]:
        kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
    log("addresses: %d (%s), vtop %d, ptov %d" % (len(p["addresses"]), kinds,
                                                  sum(a["vtop"] for a in p["addresses"]), len(p["ptov"])))
    return res


def main():
    t0 = time.time()
    an = {"kernel": KVER, "run": json.load(open(D + "/run.json")), "checks": {}, "formats": {}}
    for name, files in FORMATS:
        for f in files:
            p = os.path.join(D, f)
            if name != "qemu-kdump-zlib.R" and (not os.path.exists(p) or os.path.getsize(p) == 0):
                die("missing or empty dump file " + f)
    # the module with its DWARF, next to the dumps (crash "mod -s", drgn "-s vmlab.ko")
    shutil.copy(os.path.join(TB, "build", KVER, "vmlab.ko"), os.path.join(D, "vmlab.ko"))
    # both halves of the split dump must hold pages (kdump_sub_header: start_pfn, end_pfn)
    split = []
    for f in ("kdump/vmcore.split-lzo.1", "kdump/vmcore.split-lzo.2"):
        with open(os.path.join(D, f), "rb") as fh:
            h = fh.read(4096 + 32)
        split.append(struct.unpack_from("<QQ", h, 4096 + 16))
    an["checks"]["split pfn ranges"] = [["0x%x" % a, "0x%x" % b] for a, b in split]
    if any(a >= b for a, b in split):
        die("degenerate makedumpfile --split output: pfn ranges %s" % split)
    an["seconds_reassemble"] = reassemble()
    an["guest_ps_processes"] = guest_ps()
    for f in ("console.log", "kdump/dmesg.txt"):
        ok = PLANTED in open(os.path.join(D, f), errors="replace").read()
        an["checks"]["planted line in " + f] = ok
        if not ok:
            die("'%s' not found in %s" % (PLANTED, f))
    pick_addresses()
    for name, files in FORMATS:
        an["formats"][name] = {"files": files, "bytes": [os.path.getsize(os.path.join(D, f)) for f in files]}
    an["seconds_analyze"] = round(time.time() - t0, 1)
    json.dump(an, open(D + "/analysis.json", "w"), indent=1)
    log("analysis done in %.0fs" % an["seconds_analyze"])


if __name__ == "__main__":
    main()
