# drgn script: choose the addresses that the address-translation references use.
#   /usr/bin/python3 -m drgn -q -c kdump/vmcore.elf -s VMLINUX pick-addresses.py IN.json OUT.json
# IN.json (written by analyze.py): {"console": {...addresses printed by vmlab.ko...},
#                                   "excluded": [{"pfn": N, "why": "..."}]}
# OUT.json: {"meta": {...}, "addresses": [...], "ptov": [...]}; analyze.py adds the
# kdump-bitmap facts and writes addresses.json.
#
# Works with drgn 0.0.22 on 6.1 and 6.12 ELF dumps (symbols and memory; stack
# traces do not work on 6.12).  Every address gets the bytes drgn reads there
# ("bytes", 32 bytes hex, null if unreadable) and, from our own page-table walk
# of swapper_pg_dir in physical memory, its physical address ("paddr"), so
# that the references do not depend on crash alone.
import json
import sys

from drgn import FaultError
from drgn.helpers.linux.pid import for_each_task

inp = json.load(open(sys.argv[1]))
out_path = sys.argv[2]
START_KERNEL_MAP = 0xFFFFFFFF80000000


def sym(name):
    try:
        return prog.symbol(name).address
    except LookupError:
        return None


def u64(addr, physical=False):
    return prog.read_u64(addr, physical)


def read_hex(addr, n=32, physical=False):
    try:
        return prog.read(addr, n, physical).hex()
    except FaultError:
        return None


phys_base = u64(sym("phys_base"))  # an assembler symbol: no DWARF variable
l5 = False
if sym("__pgtable_l5_enabled") is not None:
    l5 = bool(prog["__pgtable_l5_enabled"].value_())
# __pa_symbol(): phys_base may be "negative" (VMCOREINFO shows e.g. -178257920): work mod 2^64
pgd_phys = (prog["init_mm"].pgd.value_() - START_KERNEL_MAP + phys_base) & 0xFFFFFFFFFFFFFFFF
PFN_MASK = 0x000FFFFFFFFFF000


def vtop(va):
    """Walk the kernel page tables (init_mm.pgd) through physical memory."""
    shifts = [48, 39, 30, 21, 12] if l5 else [39, 30, 21, 12]
    table = pgd_phys
    try:
        for shift in shifts:
            ent = u64(table + ((va >> shift) & 511) * 8, physical=True)
            if not ent & 1:
                return None
            if shift in (30, 21) and ent & 0x80:  # 1 GiB / 2 MiB page
                size = 1 << shift
                return (ent & PFN_MASK & ~(size - 1)) | (va & (size - 1))
            table = ent & PFN_MASK
        return table | (va & 0xFFF)
    except FaultError:
        return None


def section_of(addr):
    """text / rodata / data / bss for an address inside the kernel image."""
    bounds = [("text", "_stext", "_etext"), ("rodata", "__start_rodata", "__end_rodata"),
              ("data", "_sdata", "_edata"), ("bss", "__bss_start", "__bss_stop")]
    for kind, lo, hi in bounds:
        a, b = sym(lo), sym(hi)
        if a is not None and b is not None and a <= addr < b:
            return kind
    return "data"  # e.g. .data..percpu copies, init data: call it data


page_offset_base = u64(sym("page_offset_base"))
vmalloc_base = u64(sym("vmalloc_base"))
vmemmap_base = u64(sym("vmemmap_base"))
sizeof_page = prog.type("struct page").size
nr_cpu_ids = prog["nr_cpu_ids"].value_()
per_cpu_offset = [prog["__per_cpu_offset"][i].value_() for i in range(nr_cpu_ids)]
addresses, ptov = [], []
seen = set()


def add(kind, addr, desc, vtop_ref=False):
    if addr is None or addr in seen:
        return
    seen.add(addr)
    pa = vtop(addr)
    addresses.append({"kind": kind, "addr": "0x%x" % addr, "desc": desc, "vtop": vtop_ref,
                      "paddr": None if pa is None else "0x%x" % pa,
                      "bytes": read_hex(addr)})


# --- kernel image: text, rodata, data, bss (symbols present in 6.1 and 6.12) ---
n_vtop = {"text": 0, "rodata": 0, "data": 0, "bss": 0}
for name in ["_stext", "schedule", "__schedule", "panic", "vfs_read", "vfs_write", "do_idle",
             "machine_kexec", "tcp_sendmsg", "kfree", "linux_banner", "sys_call_table",
             "init_task", "init_mm", "init_uts_ns", "jiffies_64", "init_top_pgt", "modules",
             "page_offset_base", "vmalloc_base", "vmemmap_base", "__per_cpu_offset", "phys_base",
             "nr_cpu_ids", "saved_command_line", "__log_buf", "crashk_res"]:
    a = sym(name)
    if a is None:
        continue
    kind = section_of(a)
    add(kind, a, "symbol " + name, vtop_ref=n_vtop[kind] < 2)
    n_vtop[kind] += 1
add("text", sym("schedule") + 0x10, "schedule+0x10")

# --- module (vmlab.ko, addresses from its printk lines) ---
c = inp["console"]
for key in ("objs", "head", "timer"):
    if c.get(key):
        add("module", int(c[key], 16), "vmlab.ko " + {"objs": "vmlab_objs", "head": "vmlab_items",
                                                       "timer": "vmlab_timer"}[key], vtop_ref=True)

# --- direct map: slab objects, task_structs, fixed offsets from page_offset_base ---
objs = int(c["objs"], 16) if c.get("objs") else None
obj_ptrs = [u64(objs + 8 * i) for i in range(37)] if objs else []
for i in (0, 1, 18, 36):
    if obj_ptrs:
        add("directmap", obj_ptrs[i], "vmlab_objs[%d] (slab object in vmlab_cache)" % i,
            vtop_ref=i in (0, 36))
if c.get("first_item"):
    add("directmap", int(c["first_item"], 16), "first struct vmlab_item (kmalloc)")
if c.get("cache"):
    add("directmap", int(c["cache"], 16), "struct kmem_cache vmlab_cache")
for off in (0x1000, 0x100000, 0x1000000, 0x2000000, 0x4000000, 0x8000000):
    add("directmap", page_offset_base + off, "page_offset_base+0x%x" % off,
        vtop_ref=off in (0x100000, 0x8000000))

# tasks: a spread of them (direct-mapped task_structs, vmalloc'ed stacks)
tasks = list(for_each_task(prog))
crashed = None
try:
    crashed = prog.crashed_thread().object
except Exception:  # pragma: no cover - depends on the dump
    pass
wanted = {1: "init", 2: "kthreadd"}
picked = []
for t in tasks:
    comm = t.comm.string_().decode()
    pid = t.pid.value_()
    if pid in wanted or comm in ("vmlab_kthread", "vmlab-load", "md5sum") or \
            (crashed is not None and t.value_() == crashed.value_()):
        picked.append(t)
for t in picked:
    comm, pid = t.comm.string_().decode(), t.pid.value_()
    is_crashed = crashed is not None and t.value_() == crashed.value_()
    tag = "task %d (%s)%s" % (pid, comm, " [panic task]" if is_crashed else "")
    add("directmap", t.value_(), "task_struct of " + tag, vtop_ref=pid in (1,) or is_crashed)
    stack = t.stack.value_()
    add("vmalloc", stack, "stack base (task_struct.stack) of " + tag, vtop_ref=True)
    add("vmalloc", stack + 0x4000 - 0x40, "stack top-0x40 of " + tag, vtop_ref=is_crashed)
    if is_crashed:
        sp = t.thread.sp.value_()
        add("vmalloc", sp, "saved thread.sp of " + tag, vtop_ref=False)

# --- vmemmap: struct page of some pfns ---
pfns = [(0, "pfn 0"), (1, "pfn 1"), (0x1000, "pfn 0x1000")]
init_pa = vtop(sym("init_task"))
if init_pa is not None:
    pfns.append((init_pa >> 12, "pfn of init_task"))
if obj_ptrs:
    pa = vtop(obj_ptrs[0])
    if pa is not None:
        pfns.append((pa >> 12, "pfn of vmlab_objs[0]"))
for e in inp.get("excluded", []):
    pfns.append((e["pfn"], "pfn 0x%x (%s)" % (e["pfn"], e["why"])))
for i, (pfn, why) in enumerate(pfns):
    add("vmemmap", vmemmap_base + pfn * sizeof_page, "struct page of " + why, vtop_ref=i < 3)

# --- per-CPU: __per_cpu_offset[cpu] + &percpu_symbol ---
# Per-CPU symbols are offsets into the per-CPU area (.data..percpu is linked at
# 0); drgn's prog.symbol() wrongly adds the KASLR offset to them, the DWARF
# variable's address_ is right.
for name in ("runqueues", "this_cpu_off", "current_task", "pcpu_hot", "cpu_number"):
    try:
        a = prog[name].address_
    except KeyError:
        continue
    for cpu in range(nr_cpu_ids):
        add("percpu", per_cpu_offset[cpu] + a, "per-CPU %s of cpu %d" % (name, cpu),
            vtop_ref=name in ("runqueues", "this_cpu_off"))

# --- pages that makedumpfile -d 31 leaves out (chosen by analyze.py from the kdump bitmaps) ---
for e in inp.get("excluded", []):
    add("excluded", page_offset_base + e["pfn"] * 4096 + e.get("offset", 0x100),
        "direct map of pfn 0x%x: %s" % (e["pfn"], e["why"]), vtop_ref=True)

# --- physical addresses for ptov / rd -p ---
for pa, why in [(0x1000, "0x1000"), (0x100000, "1 MiB"), (0x1000000, "16 MiB"),
                (init_pa, "init_task"),
                (vtop(obj_ptrs[0]) if obj_ptrs else None, "vmlab_objs[0]"),
                (vtop(tasks[-1].value_()), "task_struct of the last task")]:
    if pa is not None:
        ptov.append({"paddr": "0x%x" % pa, "desc": why, "vaddr": "0x%x" % (page_offset_base + pa),
                     "bytes": read_hex(pa, physical=True)})

meta = {
    "tool": "drgn %s" % __import__("drgn").__version__,
    "page_offset_base": "0x%x" % page_offset_base, "vmalloc_base": "0x%x" % vmalloc_base,
    "vmemmap_base": "0x%x" % vmemmap_base, "sizeof_struct_page": sizeof_page,
    "phys_base": "0x%x" % phys_base, "pgtable_l5": l5,
    "init_top_pgt_phys": "0x%x" % pgd_phys, "nr_cpu_ids": nr_cpu_ids,
    "per_cpu_offset": ["0x%x" % o for o in per_cpu_offset],
    "kaslr_text_offset": "0x%x" % (sym("_stext") - 0xFFFFFFFF81000000),
    "panic_task": None if crashed is None else "0x%x" % crashed.value_(),
    "linux_banner": "0x%x" % sym("linux_banner"),
    "sys_call_table": None if sym("sys_call_table") is None else "0x%x" % sym("sys_call_table"),
    "tasks": len(tasks),
}
json.dump({"meta": meta, "addresses": addresses, "ptov": ptov}, open(out_path, "w"), indent=1)
print("picked %d addresses, %d physical" % (len(addresses), len(ptov)))
