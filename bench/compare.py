#!/usr/bin/env python3
"""Times Kdx against crash on the same dump, in one run, and prints the ratios.

    bench/compare.py --vmlinux VMLINUX --dump DUMP [--dump DUMP2] [--suite dump,...] [--pages 10000]
    bench/compare.py --testbed [--kernel 6.1.0-56-cloud-amd64] [--scenario sysrq] [--format kdump-lzo]

Each tool runs as one session fed over a pipe. After each step we send `echo SENTINEL` and time how
long the sentinel takes to come back (both tools have `echo`), so start-up and every command are
timed the same way for both. Peak memory is the child's ru_maxrss (os.wait4).

Suites:
  dump   start-up to the first answer; 10,000 random page reads (`rd -p -64 ADDR 1` at random
         present pages chosen by `Kdx.Bench pick-pages`, the same list for both tools)
  state  `ps`, `log`, `kmem -s`, `kmem -i`, `irq`, `timer`, `runq` (issue 5 adds bt -a). crash 8.0.2 lists only
         the active tasks of Debian's 6.1 kernel, so its `ps` does less work than Kdx's there.
  types  start-up to the first answer that needs a type (`struct -o task_struct`, timed from the
         launch), then 40 `struct -o`, 30 `p`, 250 `sym`. Kdx runs twice: with its DWARF index
         cache empty (a first run on a new vmlinux) and with the cache made by that run.
Ratios are Kdx / crash: below 1 means Kdx is faster or smaller.
"""
import argparse, json, os, select, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


class Session:
    """One interactive session of a tool over pipes, with sentinel-based timing."""

    def __init__(self, argv, env=None):
        self.t0 = time.monotonic()
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, bufsize=0, env=env)
        self.buf = b""
        self.n = 0

    def run(self, commands, timeout=3600):
        """Sends the commands, then a sentinel; returns (seconds, output)."""
        self.n += 1
        sentinel = b"__KDX_BENCH_%d__" % self.n
        data = "".join(c + "\n" for c in commands).encode() + b"echo " + sentinel + b"\n"
        start = time.monotonic()
        self._send(data)
        out = self._until(sentinel, start + timeout)
        return time.monotonic() - start, out

    def _send(self, data):
        # Write in pieces while draining output, so neither side blocks on a full pipe.
        view = memoryview(data)
        while view:
            r, w, _ = select.select([self.p.stdout], [self.p.stdin], [], 60)
            if r:
                self._read()
            if w:
                n = os.write(self.p.stdin.fileno(), view[:4096])  # <= PIPE_BUF never blocks once select says writable
                view = view[n:]

    def _read(self):
        chunk = os.read(self.p.stdout.fileno(), 1 << 20)
        if not chunk:
            raise EOFError("the tool exited: " + self.buf[-2000:].decode(errors="replace"))
        self.buf += chunk

    def _until(self, sentinel, deadline):
        while True:
            i = self.buf.find(sentinel + b"\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sentinel) + 1:]
                return out.decode(errors="replace")
            if time.monotonic() > deadline:
                raise TimeoutError("no answer in time")
            r, _, _ = select.select([self.p.stdout], [], [], 1)
            if r:
                self._read()

    def close(self):
        self.p.stdin.write(b"q\n")
        self.p.stdin.close()
        _, status, usage = os.wait4(self.p.pid, 0)
        self.p.returncode = status
        return usage.ru_maxrss  # KiB on Linux


def testbed_dump(kernel, scenario, fmt):
    root = os.environ.get("KDX_TESTBED", "/var/cache/kdx/testbed")
    index = json.load(open(os.path.join(root, "index.json")))
    for run in index["runs"]:
        if run["kernel"].startswith(kernel) and run.get("name", run["scenario"]) == scenario:
            return run["vmlinux"], run["formats"][fmt]["files"]
    sys.exit("no such test-bed run: %s %s" % (kernel, scenario))


def kdx_binary():
    out = os.path.join(ROOT, "artifacts", "kdx")
    subprocess.run([os.path.join(ROOT, "kdx"), "--version"], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(out, "kdx")


def pick_pages(dump, count, seed=1):
    p = subprocess.run(["dotnet", "run", "-c", "Release", "--project", os.path.join(HERE, "Kdx.Bench"), "--",
                        "pick-pages", str(count), str(seed)] + dump, check=True, capture_output=True, text=True)
    return p.stdout.split()


TYPES = ("task_struct mm_struct page slab kmem_cache kmem_cache_cpu kmem_cache_node irq_desc irqaction "
         "timer_list timer_base hrtimer module printk_ringbuffer prb_desc printk_info rq cfs_rq list_head "
         "hlist_node rb_node rb_root xarray xa_node maple_tree maple_node file inode dentry super_block "
         "pt_regs thread_struct vm_area_struct cred pid upid mutex raw_spinlock qspinlock sched_entity").split()
GLOBALS = ["jiffies", "jiffies_64", "init_task.comm", "init_task.pid", "init_task.mm", "init_mm.pgd", "nr_cpu_ids",
           "linux_banner", "max_pfn", "totalram_pages", "init_task.se.load.weight", "init_task.tasks.next",
           "nr_threads", "panic_cpu", "init_pid_ns.level", "sysctl_sched_latency", "init_mm.map_count",
           "vmap_area_root.rb_node", "init_task.stack", "init_task.flags", "page_offset_base", "vmemmap_base",
           "vmalloc_base", "phys_base", "init_task.thread.sp", "init_task.cred", "init_task.real_parent",
           "oops_in_progress", "sizeof(struct page)", "sizeof(struct task_struct)"]


def type_steps(vmlinux):
    """The types suite: the first struct, then batches; `sym` of every 97th text symbol (by name)."""
    names = []
    for line in subprocess.run(["nm", "-n", vmlinux], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tT" and not parts[2].startswith("__"):
            names.append(parts[2])
    syms = names[::97][:250]
    return [("first type answer (from launch)", ["struct -o task_struct"]),
            ("40 struct -o", ["struct -o %s" % t for t in TYPES]),
            ("30 p", ["p %s" % g for g in GLOBALS]),
            ("%d sym" % len(syms), ["sym %s" % n for n in syms])]


def measure(argv, steps, env=None):
    s = Session(argv, env)
    results = {}
    for name, commands in steps:
        seconds, out = s.run(commands)
        if "command not found" in out or "internal error" in out:
            sys.exit("%s cannot run step '%s':\n%s" % (argv[0], name, out[:500]))
        results[name] = seconds
        if name == "start-up" or "from launch" in name:
            results[name] = time.monotonic() - s.t0
    results["peak memory (MiB)"] = s.close() / 1024
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vmlinux")
    ap.add_argument("--dump", action="append", default=[])
    ap.add_argument("--testbed", action="store_true")
    ap.add_argument("--kernel", default="6.1.0")
    ap.add_argument("--scenario", default="sysrq")
    ap.add_argument("--format", default="kdump-lzo")
    ap.add_argument("--suite", default="dump")
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--crash", default="/usr/bin/crash")
    a = ap.parse_args()
    if a.testbed:
        a.vmlinux, a.dump = testbed_dump(a.kernel, a.scenario, a.format)
    if not a.vmlinux or not a.dump:
        ap.error("give --vmlinux and --dump, or --testbed")

    steps = [("start-up", [])]
    if "dump" in a.suite.split(","):
        addrs = pick_pages(a.dump, a.pages)
        steps.append(("%d random page reads" % len(addrs), ["rd -p -64 %s 1" % x for x in addrs]))

    if "state" in a.suite.split(","):
        steps += [("ps", ["ps"]), ("log", ["log"]), ("kmem -s", ["kmem -s"]), ("kmem -i", ["kmem -i"])]
        steps += [("irq", ["irq"]), ("timer", ["timer"]), ("runq", ["runq"])]
    if "types" in a.suite.split(","):
        steps += type_steps(a.vmlinux)

    runs = []
    if "types" in a.suite.split(","):
        # A first run on this vmlinux: an empty DWARF index cache.
        with tempfile.TemporaryDirectory() as cache:
            runs.append(("kdx (cold cache)", measure([kdx_binary(), "-s", a.vmlinux] + a.dump, steps, dict(os.environ, XDG_CACHE_HOME=cache))))
    runs.append(("kdx", measure([kdx_binary(), "-s", a.vmlinux] + a.dump, steps)))
    crash = measure([a.crash, "-s", a.vmlinux] + a.dump, steps)
    print("dump: %s" % " ".join(a.dump))
    for label, kdx in runs:
        print("%-34s %12s %12s %8s" % ("metric", label, "crash", "ratio"))
        for k in kdx:
            unit = "" if "MiB" in k else " s"
            ratio = kdx[k] / crash[k] if crash[k] else float("nan")
            print("%-34s %10.3f%s %10.3f%s %8.3f" % (k, kdx[k], unit, crash[k], unit, ratio))


if __name__ == "__main__":
    main()
