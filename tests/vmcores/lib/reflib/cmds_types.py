"""The `types` family (issue 3): struct/union/whatis/ptype, struct contents at real
addresses, p and eval, sym of >= 200 addresses, list and tree walks, mod.

Every command is {"cmd", "what"}; mod -s is replayed after a crash restart.  Addresses
come from the run's truth (ref/truth/drgn.json anchors), its symbols.json and
addresses.json, so each run gets its own commands.
"""
from . import catalog


def cmd(c, what, **kw):
    return dict(cmd=c, what=what, **kw)


def generate(run, manifest):
    truth = run.truth()
    anc = truth.get("anchors") if isinstance(truth.get("anchors"), dict) else {}
    pc = truth.get("percpu") if isinstance(truth.get("percpu"), dict) else {}
    vm = truth.get("vmlab") if isinstance(truth.get("vmlab"), dict) else {}
    a = lambda k: anc.get(k)
    out = [cmd("mod", "the module list before any module debuginfo is loaded"),
           cmd("mod -s vmlab vmlab.ko", "load vmlab.ko's DWARF (path relative to the run directory)", replay=True),
           cmd("mod", "the module list with vmlab's object file")]

    # ---- type definitions
    out += [cmd("struct -o " + s, "layout of struct " + s) for s in catalog.STRUCTS]
    out += [cmd("union -o " + u, "layout of union " + u) for u in catalog.UNIONS]
    out += [cmd("struct -o " + t, "layout of the typedef " + t) for t in catalog.TYPEDEF_STRUCTS]
    out += [cmd("struct " + catalog.STRUCTS[0], "definition without offsets"),
            cmd("whatis -o struct vmlab_item", "whatis with offsets"),
            cmd("struct -o no_such_struct", "a type that does not exist")]
    out += [cmd("whatis " + w, "whatis of a function, variable, typedef or type") for w in catalog.WHATIS]
    out += [cmd("ptype " + p, "ptype of a typedef, function, type or expression") for p in catalog.PTYPE]

    # ---- contents at real addresses
    panic, item, cache, mod = a("panic_task"), a("first_vmlab_item"), a("vmlab_cache"), a("vmlab_module")
    init = a("init_task")
    objs = vm.get("objs") if isinstance(vm.get("objs"), list) else []
    if panic:
        out += [cmd("struct task_struct.pid,comm,tgid,__state " + panic, "members of the panic task"),
                cmd("struct task_struct.pid,comm -x " + panic, "-x"),
                cmd("struct task_struct.pid,comm -d " + panic, "-d"),
                cmd("struct task_struct.se.on_rq,se.vruntime " + panic, "nested members a.b"),
                cmd("struct task_struct.thread_info " + panic, "an embedded struct member"),
                cmd("struct task_struct " + panic, "the whole panic task")]
    if a("panic_task_mm"):
        out.append(cmd("struct mm_struct.map_count,mmap_base,mm_mt " + a("panic_task_mm"), "the panic task's mm"))
    if init:
        tasks_off = next((m["offset"] for m in truth["layouts"].get("struct task_struct", {}).get("members", [])
                          if m["name"] == "tasks"), None)
        se_off = next((m["offset"] for m in truth["layouts"].get("struct task_struct", {}).get("members", [])
                       if m["name"] == "se"), None)
        if se_off is not None:
            out += [cmd("struct sched_entity %s" % hex(int(init, 16) + se_off), "init_task.se at its address"),
                    cmd("struct sched_entity.load,on_rq,vruntime %s" % hex(int(init, 16) + se_off), "members")]
        out += [cmd("struct task_struct.pid,comm init_task", "a symbol as the address"),
                cmd("struct list_head %s 3" % hex(int(init, 16) + tasks_off) if tasks_off is not None else
                    "struct list_head init_task 3", "count: 3 list_heads in a row"),
                cmd("struct list_head -c 2 init_task", "count with -c")]
        if tasks_off is not None:
            out.append(cmd("struct task_struct.pid,comm -l task_struct.tasks %s" % hex(int(init, 16) + tasks_off),
                           "-l: the address is the tasks member of init_task"))
    if item:
        node = hex(int(item, 16) + 32)
        out += [cmd("struct vmlab_item " + item, "first vmlab_item (kmalloc, module type)"),
                cmd("struct vmlab_item.id,name,value " + item, "member list"),
                cmd("struct vmlab_item -x " + item, "-x"),
                cmd("struct vmlab_item %s 2" % item, "count 2 (whatever follows in the slab)"),
                cmd("struct vmlab_item -l vmlab_item.node " + node, "-l with a member name")]
    if objs:
        out += [cmd("struct vmlab_obj " + objs[0]["address"], "vmlab_objs[0] (slab object in vmlab_cache)"),
                cmd("struct vmlab_obj.magic,index,tag " + objs[-1]["address"], "vmlab_objs[36]")]
    if cache:
        out += [cmd("struct kmem_cache " + cache, "vmlab_cache's struct kmem_cache"),
                cmd("struct kmem_cache.name,object_size,size,align " + cache, "members")]
    if mod:
        out += [cmd("struct module.name,state " + mod, "vmlab's struct module"),
                cmd("struct module " + mod, "vmlab's struct module, whole")]
    page0 = next((x["addr"] for x in run.addresses["addresses"] if x["desc"] == "struct page of pfn of vmlab_objs[0]"), None)
    if page0:
        out += [cmd("struct page " + page0, "struct page of a slab page (vmlab_objs[0])"),
                cmd("struct slab " + page0, "the same page as struct slab"),
                cmd("struct page -x %s 2" % page0, "-x with a count")]
    out += [cmd("struct timer_list vmlab_timer", "module global by name"),
            cmd("struct timer_list.expires,function vmlab_timer", "members of a module global"),
            cmd("struct rq.cpu,nr_running,curr runqueues:a", "per-CPU symbol on every CPU"),
            cmd("struct rq.nr_running runqueues:1", "per-CPU symbol on cpu 1")]

    # ---- p and eval
    out += [cmd(c, what) for c, _, what in catalog.GLOBALS]
    out += [cmd(e, "eval") for e in catalog.EVALS]

    # ---- sym
    out += [cmd("sym -l", "every symbol (huge: the first 200 lines, line count and sha256)", digest=200), cmd("sym -M", "module symbols"),
            cmd("sym -m vmlab", "vmlab's symbols"), cmd("sym -m virtio_blk", "a module without loaded debuginfo")]
    out += [cmd("sym -q " + q, "search") for q in catalog.SYM_QUERIES]
    out += [cmd("sym " + n, "by name") for n in catalog.SYM_NAMES]
    out += [cmd("sym -p schedule", "previous symbol"), cmd("sym -n schedule", "next symbol"),
            cmd("sym -p vmlab_write", "previous, module"), cmd("sym -n vmlab_items", "next, module data")]
    out += [cmd("sym " + p["addr"], "%s: %s" % (p["kind"], p["why"])) for p in run.symbols()["addresses"]]

    # ---- list
    out += [cmd("list task_struct.tasks -h init_task", "every task (addresses)"),
            cmd("list task_struct.tasks -h init_task -S task_struct.pid", "-S: members read directly"),
            cmd("list -r task_struct.tasks -h init_task", "reverse"),
            cmd("list module.list -H modules", "the module list"),
            cmd("list module.list -H modules -s module.state", "-s of an enum member"),
            cmd("list -H vmlab_items", "list_head addresses of a LIST_HEAD"),
            cmd("list -H vmlab_items -o vmlab_item.node -s vmlab_item.id,name,value", "vmlab_items with members"),
            cmd("list -H vmlab_items -o vmlab_item.node -S vmlab_item.id,value", "-S"),
            cmd("list -r -H vmlab_items -o vmlab_item.node", "reverse"),
            cmd("list -B -H vmlab_items -o vmlab_item.node", "Brent's loop detection")]
    items = vm.get("items") if isinstance(vm.get("items"), list) else []
    if len(items) >= 3:
        out.append(cmd("list -H vmlab_items -o vmlab_item.node -e %s" % hex(int(items[2]["address"], 16) + 32),
                       "-e: stop at the third item's node"))
    if item:
        out.append(cmd("list vmlab_item.node -s vmlab_item.id %s" % item, "start at a structure, not a head"))

    # ---- tree
    idr = a("init_pid_ns.idr.idr_rt")
    if idr:
        out += [cmd("tree -t xarray " + idr, "the PID IDR (init_pid_ns.idr.idr_rt)"),
                cmd("tree -t xarray -p " + idr, "with positions"),
                cmd("tree -t xarray -s pid.level " + idr, "entries as struct pid"),
                cmd("tree -t radix " + idr, "the same root as a radix tree")]
    if a("irq_desc_tree"):
        out += [cmd("tree -t xarray irq_desc_tree", "irq descriptors (radix tree, <= 6.4)"),
                cmd("tree -t radix irq_desc_tree", "irq descriptors as radix")]
    if a("sparse_irqs"):
        out.append(cmd("tree -t maple sparse_irqs", "irq descriptors (maple tree, 6.5+)"))
    if a("vmap_area_root"):
        out += [cmd("tree -t rbtree -o vmap_area.rb_node vmap_area_root", "vmalloc areas"),
                cmd("tree -t rbtree -o vmap_area.rb_node -l vmap_area_root", "in linear order"),
                cmd("tree -t rbtree -o vmap_area.rb_node -p vmap_area_root", "with positions"),
                cmd("tree -t rbtree -o vmap_area.rb_node vmap_area_root -S vmap_area.va_start,va_end", "-S")]
    for cpu, tl in enumerate(pc.get("cfs_tasks_timeline") or []):
        out.append(cmd("tree -t rbtree -o sched_entity.run_node %s" % tl,
                       "cpu %d CFS tasks_timeline (%s queued)" % (cpu, pc["cfs_nr_running"][cpu])))
    for k, v in sorted(anc.items()):
        if k.startswith("hrtimer_bases:") and v:
            out.append(cmd("tree -t rbtree -o hrtimer.node -S hrtimer.function %s" % v, k + " (hrtimers)"))
    if a("panic_task_mm_mt"):
        out.append(cmd("tree -t maple " + a("panic_task_mm_mt"), "the panic task's VMA maple tree"))

    # ---- mod, at the end (-S loads every module's debuginfo)
    out += [cmd("mod -S %s" % run.debug_modules, "debuginfo of every module from the -dbg package"),
            cmd("mod", "after mod -S"), cmd("sym -m virtio_blk", "virtio_blk after mod -S")]
    return out
