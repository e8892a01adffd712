"""The `state` family (issue 4): sys, ps, task, foreach, log, kmem, irq, timer, runq, mach,
dev, net, files, vm, mount, swap, sig, waitq, ipcs, search.

Per format: the per-task commands use the tasks crash's own `ps` listed on that format in
the base session (on 6.1 only the active tasks: crash 8.0.2 misses the others), plus two
tasks it cannot see (pid 1 and vmlab_kthread, from the drgn truth), to record its error.
kmem -p (10 MB of output) runs on the ELF dump only.
"""

BIG_ONLY = ["elf"]


def cmd(c, what, **kw):
    return dict(cmd=c, what=what, **kw)


def tasks_for(run, manifest, fmt):
    """(crash-visible tasks, hidden tasks from the truth) for the per-task commands."""
    vis = run.crash_visible_tasks(fmt, manifest)
    truth = run.truth()
    tl = truth["tasks"] if isinstance(truth.get("tasks"), list) else []
    seen = {t["pid"] for t in vis}
    hidden = [t for t in tl if (t["pid"] == 1 or t["comm"] == "vmlab_kthread") and t["pid"] not in seen]
    return vis, hidden


def generate(run, manifest, fmt):
    vis, hidden = tasks_for(run, manifest, fmt)
    user = [t for t in vis if t["pid"] > 0]
    truth = run.truth()
    vm = truth.get("vmlab") if isinstance(truth.get("vmlab"), dict) else {}
    anc = truth.get("anchors") if isinstance(truth.get("anchors"), dict) else {}
    A = {a["desc"]: a for a in run.addresses["addresses"]}
    out = [cmd(c, "sys") for c in ("sys", "sys -t", "sys -i", "sys config", "sys -c", "sys -c write", "sys -c 1")]
    out += [cmd("ps " + o if o else "ps", "ps " + o) for o in
            ("", "-k", "-u", "-G", "-s", "-p", "-c", "-t", "-l", "-m", "-l -C 1", "-m -C 0", "-a", "-g", "-r",
             "-S", "-A", "-y normal", "-y fifo", "'sw.*'")]
    for t in user + hidden:
        who = "pid %d (%s)%s" % (t["pid"], t["comm"], "" if t in user else ", not seen by crash's ps")
        out += [cmd("ps %d" % t["pid"], who), cmd("ps -p %d" % t["pid"], who), cmd("task %d" % t["pid"], who),
                cmd("task -R pid,comm,__state,flags %d" % t["pid"], who), cmd("files %d" % t["pid"], who),
                cmd("files -c %d" % t["pid"], who), cmd("vm %d" % t["pid"], who), cmd("sig %d" % t["pid"], who),
                cmd("net -s %d" % t["pid"], who)]
    for t in vis:
        out.append(cmd("task -x " + t["task"], "task by address: pid %d (%s)" % (t["pid"], t["comm"])))
    if user:
        p = user[0]["pid"]
        out += [cmd("vm -p %d" % p, "pages of the first user task"), cmd("vm -m %d" % p, "its mm_struct"),
                cmd("vm -v %d" % p, "its VMAs as structs"), cmd("ps -a %d" % p, "its arguments"),
                cmd("sig -g %d" % p, "its thread group's signals"), cmd("net -S %d" % p, "its sockets in full")]
    out += [cmd("task", "the current task"), cmd("files", "the current task"), cmd("vm", "the current task"),
            cmd("sig", "the current task"), cmd("sig -l", "signal names"), cmd("net -s", "current task's sockets")]
    out += [cmd("foreach task -R pid,comm", "every task crash sees"), cmd("foreach RU ps", "state filter"),
            cmd("foreach kernel ps", "kernel threads"), cmd("foreach user task -R comm", "user tasks"),
            cmd("foreach active sig", "active tasks"), cmd("foreach files", "every task's files"),
            cmd("foreach gleader ps", "thread group leaders")]
    if user:
        out.append(cmd("foreach %s vm" % user[0]["comm"], "by name"))
    out += [cmd("log" + (" " + o if o else ""), "log " + o) for o in ("", "-T", "-t", "-d", "-m", "-a", "-s", "-c")]
    out += [cmd("kmem " + o, "kmem " + o) for o in
            ("-i", "-s", "-S vmlab_cache", "-s vmlab_cache", "-r", "-v", "-V", "-z", "-n", "-o", "-g", "-f", "-h", "-c")]
    out.append(cmd("kmem -p", "every struct page (about 10 MB)",
                   **({} if fmt in BIG_ONLY else {"skip": "large output; run on %s only" % ", ".join(BIG_ONLY)})))
    objs = vm.get("objs") if isinstance(vm.get("objs"), list) else []
    for i in (0, 1, 18, 36):
        if i < len(objs):
            out.append(cmd("kmem " + objs[i]["address"], "vmlab_objs[%d]: slab object of vmlab_cache" % i))
    if objs:
        out.append(cmd("kmem -s " + objs[0]["address"], "the slab of vmlab_objs[0]"))
    for k, what in (("first_vmlab_item", "first vmlab_item (kmalloc object)"), ("vmlab_cache", "vmlab_cache's kmem_cache"),
                    ("panic_task", "the panic task's task_struct"), ("vmlab_items", "module data (vmlab_items)"),
                    ("init_task", "init_task (kernel data)")):
        if anc.get(k):
            out.append(cmd("kmem " + anc[k], what))
    for desc, a in A.items():
        k = a["kind"]
        if (k == "vmalloc" and "panic task" in desc) or k in ("vmemmap", "excluded") or \
                desc in ("symbol schedule", "page_offset_base+0x100000", "per-CPU runqueues of cpu 1"):
            out.append(cmd("kmem " + a["addr"], "%s: %s" % (k, desc)))
    obj0 = next((p for p in run.addresses["ptov"] if p["desc"] == "vmlab_objs[0]"), None)
    if obj0:
        out += [cmd("kmem -P " + obj0["paddr"], "physical address of vmlab_objs[0]"),
                cmd("kmem -p " + obj0["paddr"], "struct page of that physical address")]
    out.append(cmd("kmem -g 0x400000000000210", "decode page flags"))
    out += [cmd("irq" + (" " + o if o else ""), "irq " + o) for o in
            ("", "-u", "-d", "-b", "-a", "-s", "-s -c 1", "0", "4")]
    out += [cmd("timer" + (" " + o if o else ""), "timer " + o) for o in ("", "-r", "-C 1", "-r -C 0")]
    out += [cmd("runq" + (" " + o if o else ""), "runq " + o) for o in ("", "-t", "-T", "-m", "-g", "-c 1", "-c 0 -g")]
    out += [cmd("mach" + (" " + o if o else ""), "mach " + o) for o in ("", "-m", "-c", "-c -x")]
    out += [cmd("dev" + (" " + o if o else ""), "dev " + o) for o in ("", "-d", "-D", "-p", "-i")]
    out += [cmd("net" + (" " + o if o else ""), "net " + o) for o in ("", "-a", "-n")]
    out += [cmd("mount" + (" " + o if o else ""), "mount " + o) for o in ("", "-f", "-i")]
    out += [cmd("swap", "swap"), cmd("waitq log_wait", "a global wait queue (printk)"),
            cmd("waitq ksm_thread_wait", "ksmd's wait queue")]
    out += [cmd("ipcs" + (" " + o if o else ""), "ipcs " + o) for o in ("", "-s", "-m", "-M", "-q")]
    magic = "564d4c41424f424a"        # vmlab_obj.magic, "VMLABOBJ"
    out += [cmd("search -k " + magic, "vmlab_obj magic in kernel memory (37 objects)"),
            cmd("search -k -m 0xffff 564d4c41424f0000", "with a mask"),
            cmd("search -k -c vmlab-obj-1", "a string: the tags of vmlab_objs[1] and [10..19]"),
            cmd("search -p " + magic, "in physical memory"),
            cmd("search -u -c VMLAB", "user memory of the current task"),
            cmd("search -t %s" % (anc.get("panic_task") or "0"), "task stacks holding the panic task's address")]
    return out
