# drgn script: ground truth of one crash, independent of crash(8).
#   /usr/bin/python3 -m drgn -q -c kdump/vmcore.elf -s VMLINUX -s vmlab.ko truth-drgn.py IN.json OUT.json
# IN.json (written by reflib/truth.py): {"types": [...], "globals": [{"expr", "py"}, ...]}
# OUT.json: tasks (with stacks, VMAs, open files), modules (with their kallsyms), type
# layouts, values of globals, per-CPU data, slab caches with object counts, the objects
# vmlab.ko planted, and "anchors" (addresses the reference commands walk from).
#
# Works with drgn 0.0.22 on the unfiltered ELF dumps of 6.1 and 6.12; stack traces fail
# on 6.12 ("unknown ORC entry type 3"), recorded per task.  Everything that can fail
# on one kernel records {"error": ...} instead of stopping the script.
import json
import os
import sys
import time

from drgn import FaultError, Object, TypeKind, cast, offsetof, sizeof
from drgn.helpers.linux.fs import d_path, for_each_file
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu, per_cpu_ptr
from drgn.helpers.linux.pid import for_each_task
from drgn.helpers.linux.sched import task_cpu, task_state_to_char
from drgn.helpers.linux.slab import for_each_slab_cache

T0 = time.time()
inp = json.load(open(sys.argv[1]))
out_path = sys.argv[2]
PF_KTHREAD = 0x00200000  # include/linux/sched.h
U64 = (1 << 64) - 1


def hx(v):
    return None if v is None else "0x%x" % v


def err(e):
    return "%s: %s" % (type(e).__name__, e)


def guard(fn, *a):
    try:
        return fn(*a)
    except Exception as e:  # the truth records what fails, it does not stop
        return {"error": err(e)}


def sym_at(addr):
    try:
        s = prog.symbol(addr)
        return "%s+0x%x" % (s.name, addr - s.address)
    except LookupError:   # a module address on 6.4+, which drgn 0.0.22 does not know
        below = [(a, n) for n, a in MODULE_TEXT.items() if a <= addr < a + 0x10000]
        if not below:
            return None
        a, n = max(below)
        return "%s+0x%x" % (n, addr - a)


def cstr(obj):
    return obj.string_().decode(errors="replace")


MODULE_SYMS = {}   # data symbol name -> address, from every module's kallsyms (filled by modules())
MODULE_TEXT = {}   # text symbol name -> address


def var(name):
    """prog[name], but a module variable at its run-time address: drgn 0.0.22 does not
    relocate module DWARF on 6.4+ (struct module_memory), so it would read near 0."""
    obj = prog[name]
    a = obj.address_
    if a is not None and a < (1 << 32) and name in MODULE_SYMS:
        return Object(prog, obj.type_, address=MODULE_SYMS[name])
    return obj


nr_cpus = prog["nr_cpu_ids"].value_()
CPUS = list(range(nr_cpus))


# ---------------------------------------------------------------- per-CPU
def percpu():
    rqs = [per_cpu(prog["runqueues"], c) for c in CPUS]
    res = {"nr_cpu_ids": nr_cpus,
           "per_cpu_offset": [hx(prog["__per_cpu_offset"][c].value_()) for c in CPUS],
           "runqueues": [hx(rq.address_) for rq in rqs],
           "curr": [hx(rq.curr.value_()) for rq in rqs],
           "idle": [hx(rq.idle.value_()) for rq in rqs],
           "nr_running": [rq.nr_running.value_() for rq in rqs],
           "cfs_nr_running": [rq.cfs.nr_running.value_() for rq in rqs],
           "cfs_tasks_timeline": [hx(rq.cfs.tasks_timeline.address_) for rq in rqs]}
    return res


# ---------------------------------------------------------------- tasks
MAPLE_NODE_MASK = 255            # include/linux/maple_tree.h
LEAF64, RANGE64, ARANGE64 = 1, 2, 3   # enum maple_type


def maple_entries(root):
    """(first, last, entry) of every non-NULL entry of a maple tree (own walk: drgn
    0.0.22 has no maple tree helper)."""
    out = []

    def walk(entry, lo, hi, depth):
        if depth > 16:
            raise ValueError("maple tree deeper than 16")
        is_node = (entry & 3) == 2 and entry > 4096
        if not is_node:
            if entry:
                out.append((lo, hi, entry))
            return
        kind = (entry >> 3) & 0xF
        node = Object(prog, "struct maple_node *", entry & ~MAPLE_NODE_MASK)
        if kind in (LEAF64, RANGE64):
            pivots, slots = node.mr64.pivot, node.mr64.slot
        elif kind == ARANGE64:
            pivots, slots = node.ma64.pivot, node.ma64.slot
        else:
            raise ValueError("maple node type %d" % kind)
        n = len(slots)
        start = lo
        for i in range(n):
            end = pivots[i].value_() if i < n - 1 else hi
            if i > 0 and end == 0:
                break
            end = min(end, hi)
            s = slots[i].value_()
            if kind == LEAF64:
                if s:
                    out.append((start, end, s))
            elif s:
                walk(s, start, end, depth + 1)
            if end >= hi:
                break
            start = end + 1

    walk(root.ma_root.value_(), 0, U64, 0)
    return out


def vmas(mm):
    res = []
    for first, last, v in maple_entries(mm.mm_mt):
        vma = Object(prog, "struct vm_area_struct *", v)
        f = vma.vm_file.value_()
        name = None
        if f:
            name = guard(lambda: d_path(vma.vm_file.f_path).decode(errors="replace"))
        res.append({"start": hx(vma.vm_start.value_()), "end": hx(vma.vm_end.value_()),
                    "flags": hx(vma.vm_flags.value_()), "file": name, "vma": hx(v)})
    return res


def files(task):
    res = []
    for fd, f in for_each_file(task):
        res.append({"fd": fd, "file": hx(f.value_()),
                    "path": guard(lambda: d_path(f.f_path).decode(errors="replace"))})
    return res


def stack(task):
    frames = []
    for fr in prog.stack_trace(task):
        try:
            s = fr.symbol()
            symname, off = s.name, fr.pc - s.address
        except LookupError:
            symname, off = None, None
        frames.append({"pc": hx(fr.pc), "sp": hx(fr.sp), "function": fr.name, "inline": fr.is_inline,
                       "symbol": symname, "offset": off})
    return {"frames": frames}


def tasks(pc):
    cur = {int(a, 16): c for c, a in enumerate(pc["curr"])}
    res = []
    stack_error = None
    for t in for_each_task(prog):
        addr = t.value_()
        mm = t.mm.value_()
        e = {"pid": t.pid.value_(), "tgid": t.tgid.value_(), "ppid": t.real_parent.pid.value_(),
             "comm": cstr(t.comm), "state": task_state_to_char(t), "task": hx(addr),
             "stack": hx(t.stack.value_()), "sp": hx(t.thread.sp.value_()), "cpu": task_cpu(t),
             "on_cpu": t.on_cpu.value_(), "current_of_cpu": cur.get(addr),
             "kthread": bool(t.flags.value_() & PF_KTHREAD), "mm": hx(mm), "flags": hx(t.flags.value_())}
        if stack_error:   # the same ORC failure for every task: say it once per task, cheaply
            e["stack_trace"] = {"error": stack_error}
        else:
            e["stack_trace"] = guard(stack, t)
            if "error" in e["stack_trace"] and "ORC" in e["stack_trace"]["error"]:
                stack_error = e["stack_trace"]["error"]
        if mm and t.pid.value_() == t.tgid.value_():
            e["vmas"] = guard(vmas, t.mm)
        if t.files.value_():
            e["files"] = guard(files, t)
        res.append(e)
    return res


# ---------------------------------------------------------------- modules
def module_layout(m):
    if hasattr(m, "mem"):      # 6.4+: struct module_memory mem[MOD_MEM_NUM_TYPES]
        names = ["text", "data", "rodata", "ro_after_init", "init_text", "init_data", "init_rodata"]
        return [{"kind": names[i] if i < len(names) else str(i), "base": hx(m.mem[i].base.value_()),
                 "size": m.mem[i].size.value_()} for i in range(len(m.mem))]
    res = []
    for kind in ("core_layout", "init_layout"):
        lay = getattr(m, kind)
        res.append({"kind": kind, "base": hx(lay.base.value_()), "size": lay.size.value_(),
                    "text_size": lay.text_size.value_(), "ro_size": lay.ro_size.value_(),
                    "ro_after_init_size": lay.ro_after_init_size.value_()})
    return res


def module_symbols(m):
    ks = m.kallsyms
    n = ks.num_symtab.value_()
    strtab = ks.strtab.value_()
    res = []
    for i in range(n):
        s = ks.symtab[i]
        name = prog.read(strtab + s.st_name.value_(), 128).split(b"\0")[0].decode(errors="replace")
        res.append({"name": name, "address": hx(s.st_value.value_()), "size": s.st_size.value_(),
                    "type": chr(ks.typetab[i].value_())})
        if name and chr(ks.typetab[i].value_()) in "dDbBrR":
            MODULE_SYMS.setdefault(name, s.st_value.value_())
        elif name and chr(ks.typetab[i].value_()) in "tT":
            MODULE_TEXT.setdefault(name, s.st_value.value_())
    return res


def modules():
    res = []
    for m in list_for_each_entry("struct module", prog["modules"].address_of_(), "list"):
        res.append({"name": cstr(m.name), "module": hx(m.value_()), "state": m.state.format_(type_name=False),
                    "layout": guard(module_layout, m), "symbols": guard(module_symbols, m)})
    return res


# ---------------------------------------------------------------- types
def type_name(t):
    try:
        return t.type_name()
    except Exception:
        return str(t)


def members(t, base=0, prefix=""):
    """Members as crash's struct -o shows them: the top level, with anonymous
    structs/unions opened in place (their members are reachable by plain name)."""
    res = []
    for m in t.members:
        off = base + m.bit_offset
        mt = m.type
        if m.name is None:
            while mt.kind == TypeKind.TYPEDEF:
                mt = mt.type
            res += members(mt, off, prefix)
            continue
        e = {"name": prefix + m.name, "offset": off // 8, "type": type_name(mt)}
        try:
            e["size"] = sizeof(mt)
        except Exception:
            e["size"] = None     # flexible array
        if m.bit_field_size:
            e["bit_position"] = off      # bits from the start of the outermost type
            e["bit_size"] = m.bit_field_size
        res.append(e)
    return res


def layout(name):
    t = prog.type(name)
    return {"size": sizeof(t), "kind": t.kind.name.lower(), "members": members(t)}


# ---------------------------------------------------------------- globals
def value_of(py):
    v = eval(py, {"prog": prog, "var": var, "sizeof": sizeof, "offsetof": offsetof, "cast": cast, "per_cpu": per_cpu})
    if isinstance(v, (bytes, bytearray)):
        return {"value": v.decode(errors="replace")}
    if isinstance(v, int):
        return {"value": v, "hex": hx(v & U64)}
    if isinstance(v, (str, list, dict, bool)) or v is None:
        return {"value": v}
    if isinstance(v, Object):
        return {"value": v.format_()}
    return {"value": str(v)}


# ---------------------------------------------------------------- slab caches
def slab_pages():
    """{kmem_cache address: [struct slab addresses]} from one pass over mem_map."""
    page_t = prog.type("struct page")
    psize = sizeof(page_t)
    vmemmap = prog["vmemmap_base"].value_()
    max_pfn = prog["max_pfn"].value_()
    try:
        slab_bit = 1 << prog.constant("PG_slab").value_()
        type_off = None
    except LookupError:      # 6.10+: slab is a page type (include/linux/page-flags.h PGTY_slab)
        slab_bit = None
        type_off = offsetof(page_t, "page_type")
        pgty_slab = prog.constant("PGTY_slab").value_()
    cache_off = offsetof(prog.type("struct slab"), "slab_cache")
    heads = {}
    chunk = 4096
    for pfn0 in range(0, max_pfn, chunk):
        n = min(chunk, max_pfn - pfn0)
        try:
            buf = prog.read(vmemmap + pfn0 * psize, n * psize)
        except FaultError:
            continue
        for i in range(n):
            o = i * psize
            flags = int.from_bytes(buf[o:o + 8], "little")
            if int.from_bytes(buf[o + 8:o + 16], "little") & 1:
                continue             # tail page
            if slab_bit is not None:
                if not flags & slab_bit:
                    continue
            elif int.from_bytes(buf[o + type_off:o + type_off + 4], "little") >> 24 != pgty_slab:
                continue
            cache = int.from_bytes(buf[o + cache_off:o + cache_off + 8], "little")
            heads.setdefault(cache, []).append(vmemmap + (pfn0 + i) * psize)
    return heads


def freelist_walker(s):
    """Decode a SLUB freelist (CONFIG_SLAB_FREELIST_HARDENED: ptr ^ s->random ^ swab(ptr address),
    mm/slub.c freelist_ptr_decode)."""
    off = s.offset.value_()
    rnd = s.random.value_() if hasattr(s, "random") else None

    def walk(ptr, limit):
        seen = []
        while ptr and len(seen) <= limit:
            seen.append(ptr)
            at = ptr + off
            raw = prog.read_u64(at)
            ptr = raw if rnd is None else raw ^ rnd ^ int.from_bytes(at.to_bytes(8, "little"), "big")
        return seen
    return walk


def slab_caches():
    heads = slab_pages()
    res = []
    for s in for_each_slab_cache(prog):
        e = {"name": cstr(s.name), "address": hx(s.value_()), "object_size": s.object_size.value_(),
             "size": s.size.value_()}
        try:
            walk = freelist_walker(s)
            cpu_free = {}     # struct slab address -> objects on that CPU's lockless freelist
            for c in CPUS:
                cc = per_cpu_ptr(s.cpu_slab, c)
                if cc.slab.value_():
                    cpu_free[cc.slab.value_()] = len(walk(cc.freelist.value_(), 1 << 16))
            slabs = heads.get(s.value_(), [])
            total = free = 0
            for sl in slabs:
                slab = Object(prog, "struct slab *", sl)
                objs = slab.objects.value_()
                total += objs
                free += len(walk(slab.freelist.value_(), objs)) + cpu_free.get(sl, 0)
            e.update(slabs=len(slabs), total=total, free=free, allocated=total - free,
                     cpu_slabs=[hx(x) for x in sorted(cpu_free)])
        except Exception as ex:
            e["error"] = err(ex)
        res.append(e)
    return res


# ---------------------------------------------------------------- vmlab.ko's objects
def vmlab():
    res = {}
    objs = var("vmlab_objs")
    res["objs"] = []
    for i in range(len(objs)):
        o = objs[i]
        a = o.value_()
        fill = prog.read(a + 32, 168)
        res["objs"].append({"index": i, "address": hx(a), "magic": hx(o.magic.value_()),
                            "stored_index": o.index.value_(), "tag": cstr(o.tag),
                            "fill_ok": all(fill[k] == (i + k) & 0xFF for k in range(168))})
    res["items"] = [{"address": hx(it.value_()), "magic": hx(it.magic.value_()), "id": it.id.value_(),
                     "name": cstr(it.name), "value": it.value.value_()}
                    for it in list_for_each_entry("struct vmlab_item", var("vmlab_items").address_of_(), "node")]
    tm = var("vmlab_timer")
    res["timer"] = {"address": hx(tm.address_), "expires": tm.expires.value_(),
                    "function": sym_at(tm.function.value_()), "pending": bool(tm.entry.pprev.value_()),
                    "jiffies": prog["jiffies_64"].value_()}
    k = var("vmlab_kthread_task")
    res["kthread"] = {"task": hx(k.value_()), "pid": k.pid.value_(), "comm": cstr(k.comm),
                      "state": task_state_to_char(k)}
    c = var("vmlab_cache")
    res["cache"] = {"address": hx(c.value_()), "name": cstr(c.name), "object_size": c.object_size.value_(),
                    "size": c.size.value_()}
    return res


# ---------------------------------------------------------------- anchors
def anchors(pc, task_list):
    a = {}

    def add(name, fn):
        try:
            a[name] = hx(fn())
        except Exception as e:
            a[name] = None
            a.setdefault("errors", {})[name] = err(e)
    add("init_task", lambda: prog["init_task"].address_)
    add("init_pid_ns.idr.idr_rt", lambda: prog["init_pid_ns"].idr.idr_rt.address_)
    add("vmap_area_root", lambda: prog["vmap_area_root"].address_)
    add("irq_desc_tree", lambda: prog["irq_desc_tree"].address_)
    add("sparse_irqs", lambda: prog["sparse_irqs"].address_)
    add("modules", lambda: prog["modules"].address_)
    add("vmlab_items", lambda: var("vmlab_items").address_)
    add("vmlab_module", lambda: next(m.value_() for m in list_for_each_entry(
        "struct module", prog["modules"].address_of_(), "list") if cstr(m.name) == "vmlab"))
    add("first_vmlab_item", lambda: var("vmlab_items").next.value_() - offsetof(prog.type("struct vmlab_item"), "node"))
    add("vmlab_cache", lambda: var("vmlab_cache").value_())
    add("vmlab_timer", lambda: var("vmlab_timer").address_)
    crashed = None
    try:
        crashed = prog.crashed_thread().object
    except Exception as e:
        a.setdefault("errors", {})["crashed_thread"] = err(e)
    if crashed is not None:
        a["panic_task"] = hx(crashed.value_())
        mm = crashed.mm.value_() or crashed.active_mm.value_()
        a["panic_task_mm"] = hx(mm) if mm else None
        a["panic_task_mm_mt"] = hx(Object(prog, "struct mm_struct *", mm).mm_mt.address_) if mm else None
    for c in CPUS:
        try:
            hb = per_cpu(prog["hrtimer_bases"], c)
            for i in range(len(hb.clock_base)):
                cb = hb.clock_base[i]
                if cb.active.rb_root.rb_root.rb_node.value_():
                    a["hrtimer_bases:%d.clock_base[%d].active" % (c, i)] = hx(cb.active.address_)
        except Exception as e:
            a.setdefault("errors", {})["hrtimer_bases"] = err(e)
    return a


def main():
    res = {"tool": "drgn %s" % __import__("drgn").__version__, "kernel": prog["init_uts_ns"].name.release.string_().decode()}
    pc = guard(percpu)
    res["percpu"] = pc
    res["tasks"] = guard(tasks, pc)
    res["modules"] = guard(modules)
    res["layouts"] = {n: guard(layout, n) for n in inp["types"]}
    res["globals"] = [dict(expr=g["expr"], py=g["py"], **guard(value_of, g["py"])) for g in inp["globals"]]
    res["slab_caches"] = guard(slab_caches)
    res["vmlab"] = guard(vmlab)
    res["anchors"] = guard(anchors, pc, res["tasks"])
    res["seconds"] = round(time.time() - T0, 2)
    tmp = out_path + ".tmp"
    json.dump(res, open(tmp, "w"), indent=1)
    os.rename(tmp, out_path)
    print("truth-drgn: %s tasks, %s modules, %d layouts, %.1fs" % (
        len(res["tasks"]) if isinstance(res["tasks"], list) else res["tasks"],
        len(res["modules"]) if isinstance(res["modules"], list) else res["modules"],
        len(res["layouts"]), res["seconds"]))


main()
