#!/usr/bin/python3
"""make-refs.py [-j N] [--stale] [--only FAM[,FAM...]] [--force] RUNDIR...

Makes the reference families (lib/reflib/families.py) of existing runs, without
touching the dumps: only the families whose REFS_VERSION (or whose dependencies'
versions) differ from what RUNDIR/ref/refs.json records, or all of --only with --force.

  * Each family file is written beside its final name and renamed in; ref/refs.json (the
    manifest: which family, which version, which files) is rewritten the same way when a
    family is complete, so a reader sees either the old or the new family.
  * Families wait for the families they depend on (base, truth) of the same run; the
    jobs (one crash session, drgn run or gdb run each) run N at a time (default 2), niced.
  * A run made before the families existed gets its manifest from analysis.json (its
    crash-ref.json files become family "base" version 1) instead of being redone.
  * --stale prints "RUN FAMILY" for every family that would be made, and makes nothing.
Exits 1 if a family failed (its manifest entry is then left as it was).
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import threading
import time

LIB = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, LIB)
from reflib import base, truth  # noqa: E402
from reflib.families import BY_NAME, FAMILIES  # noqa: E402
from reflib.rundata import FORMAT_FILES, Run, dump_atomic, load  # noqa: E402

MANIFEST = "ref/refs.json"


def log(*a):
    print("[%s refs]" % time.strftime("%H:%M:%S"), *a, flush=True)


def sh(cmd, timeout=1800, **kw):
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, **kw)
        return p.returncode, (p.stdout + p.stderr).decode(errors="replace"), time.time() - t0
    except subprocess.TimeoutExpired as e:
        return "timeout", ((e.stdout or b"") + (e.stderr or b"")).decode(errors="replace"), time.time() - t0


def crash_version():
    return subprocess.run(["crash", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()


# ---------------------------------------------------------------- the manifest
def read_manifest(run):
    p = run.path(MANIFEST)
    if os.path.exists(p):
        return load(p)
    m = {"run": run.id, "families": {}}
    legacy = base.adopt_legacy(run) if os.path.exists(run.path("analysis.json")) else None
    if legacy:
        m["families"]["base"] = {"version": 1, "depends": {}, "what": BY_NAME["base"].what,
                                 "made": "adopted from analysis.json", "formats": legacy}
    return m


def stale_families(manifest, only=None, force=False):
    fams = manifest["families"]
    out = []
    for f in FAMILIES:
        e = fams.get(f.name)
        bad = (e is None or e.get("version") != f.refs_version or
               any(d in out or e.get("depends", {}).get(d) != BY_NAME[d].refs_version for d in f.depends))
        if only is not None and f.name not in only:
            bad = False
        if force and only is not None and f.name in only:
            bad = True
        if bad:
            out.append(f.name)
    return out


# ---------------------------------------------------------------- jobs
def base_format(run, manifest, fmt):
    files = FORMAT_FILES[fmt]
    rd = run.path("ref", fmt)
    os.makedirs(rd, exist_ok=True)
    with open(os.path.join(rd, "commands.json"), "w") as f:
        json.dump(base.format_commands(run, fmt), f, indent=0)
    rc, txt, dt = sh([os.path.join(LIB, "crash-ref.py"), run.vmlinux, "ref/%s/commands.json" % fmt,
                      os.path.join(rd, "crash-ref.json")] + files, cwd=run.dir, timeout=4 * 3600)
    out = {}
    if os.path.exists(os.path.join(rd, "crash-ref.json")):
        r = load(os.path.join(rd, "crash-ref.json"))
        out.update(crash_ref="ref/%s/crash-ref.json" % fmt, crash_opens=r["opens"], crash_mode=r["mode"],
                   crash_seconds=r["total_seconds"], crash_open_error=r["open_error"],
                   crash_ok=sum(1 for c in r["commands"] if c["status"] == "ok"), crash_cmds=len(r["commands"]))
    else:
        out.update(crash_ref=None, crash_opens=False, crash_mode=None, crash_open_error="crash-ref.py: " + txt[-500:])
    out["drgn"] = base.drgn_tasks(run, fmt, files, sh, LIB)
    return out


def crash_format(run, manifest, fam, fmt):
    b = run.base_entry(fmt, manifest)
    if not b.get("crash_opens"):
        return {"crash_ref": None, "opens": False,
                "not_run": "crash cannot open this dump (base session): %s" % (b.get("crash_open_error") or "?")}
    cmds = fam.generate(run, manifest, fmt)
    dump_atomic(cmds, run.path(fam.commands_file(fmt)))
    out = run.path(fam.output(fmt))
    rc, txt, dt = sh([os.path.join(LIB, "crash-ref.py"), "--mode", b["crash_mode"], run.vmlinux,
                      fam.commands_file(fmt), out] + FORMAT_FILES[fmt], cwd=run.dir, timeout=4 * 3600)
    if rc != 0 or not os.path.exists(out):
        raise RuntimeError("crash-ref.py wrote no %s: %s" % (fam.output(fmt), txt[-800:]))
    r = load(out)
    failed = mark_crash_failures(r)
    if failed:
        dump_atomic(r, out)
    return format_result(fam, fmt, r, failed)


def format_result(fam, fmt, r, failed):
    """The manifest entry of one format of a crash family."""
    statuses = {}
    for c in r["commands"]:
        statuses[c["status"]] = statuses.get(c["status"], 0) + 1
    res = {"crash_ref": fam.output(fmt), "opens": r["opens"], "mode": r["mode"], "open_error": r["open_error"],
           "cmds": len(r["commands"]), "statuses": statuses, "restarts": r.get("restarts"),
           "seconds": r["total_seconds"], "crash_failed": failed}
    if failed:
        res["truth_instead"] = ("crash could not answer %d commands (mode %s): their truth is in ref/truth/ "
                                "(gdb-layouts.json, gdb-commands.json, drgn.json, symbols.json; "
                                "each such command names its source in \"truth\")" % (failed, r["mode"]))
    return res


SEGV = "<segmentation violation in gdb>"


def truth_for(cmd):
    """Where the ground truth of a command that crash could not answer is (ref/truth/)."""
    w = cmd.split()
    if w[0] == "struct" and len(w) == 3 and w[1] == "-o" and w[2].endswith("_t"):
        return "gdb-commands.json (ptype /o %s)" % w[2]
    if w[0] in ("struct", "union") and len(w) >= 3 and w[1] == "-o":
        return "gdb-layouts.json types[\"%s %s\"] and drgn.json layouts" % (w[0], w[2])
    if w[0] in ("whatis", "ptype"):
        return "gdb-commands.json (the system gdb on the vmlinux or vmlab.ko)"
    if w[0].startswith("p") and w[0] in ("p", "p/x", "p/d", "p/o", "p/t", "p/c", "print"):
        return "drgn.json globals[expr == this command] when listed there"
    if w[0] == "mod" or w[:2] in (["sym", "-m"], ["sym", "-M"]):
        return "drgn.json modules (with their kallsyms)"
    if w[0] == "sym":
        return "symbols.json (System.map relocated by KERNELOFFSET; module kallsyms)"
    return "drgn.json (anchors, vmlab, tasks, modules, layouts)"


def mark_crash_failures(r):
    """Marks the commands crash could not answer (its gdb dies on 6.12 types, --no_modules
    hides the modules); returns how many."""
    n = 0
    no_modules = r.get("mode") == "kaslr-auto-no-modules"
    for c in r["commands"]:
        o = c.get("output") or ""
        why = None
        if c["status"] in ("died", "timeout"):
            why = "crash %s on this command (the session went on in a new one)" % c["status"]
        elif SEGV in o:
            why = "crash's embedded gdb died (segmentation violation)"
        elif no_modules and c["cmd"].startswith("sym 0xffffffffc") and "invalid address" in o:
            why = "crash ran with --no_modules: it knows no module symbol"
        elif no_modules and (c["cmd"] == "mod" or c["cmd"].startswith(("mod ", "sym -m", "sym -M"))):
            why = "crash ran with --no_modules: it reads no module"
        elif no_modules and "vmlab" in c["cmd"] and ("invalid" in o or "No symbol" in o or "no symbol" in o):
            why = "crash ran with --no_modules: vmlab's symbols and types are unknown to it"
        if why:
            c["crash_failed"] = why
            c["truth"] = truth_for(c["cmd"])
            n += 1
    return n


class Family:
    """One stale family of one run: its jobs, and its manifest entry when they are done."""
    def __init__(self, run, fam, sched):
        self.run, self.fam, self.sched = run, fam, sched
        self.fmts = fam.formats or [None]
        self.pending = set(self.fmts)
        self.results, self.failed, self.t0 = {}, [], None

    def ready(self, done):
        return all((self.run.id, d) in done for d in self.fam.depends if (self.run.id, d) in self.sched.stale)


class Scheduler:
    def __init__(self, runs, jobs):
        self.runs, self.jobs = runs, jobs
        self.stale = set()
        self.families = []
        self.manifests = {}
        self.locks = {}
        for r in runs:
            m = read_manifest(r)
            self.manifests[r.id] = m
            self.locks[r.id] = threading.Lock()

    def job(self, f, fmt):
        run, fam = f.run, f.fam
        m = self.manifests[run.id]
        t0 = time.time()
        if fam.kind == "base":
            res = base_format(run, m, fmt)
        elif fam.kind == "truth":
            res = truth.run_truth(run, sh, LIB)
        else:
            res = crash_format(run, m, fam, fmt)
        log("%s %s%s: %.0fs %s" % (run.id, fam.name, " " + fmt if fmt else "", time.time() - t0,
                                   summary(fam, res)))
        return res

    def finish(self, f):
        run, fam = f.run, f.fam
        with self.locks[run.id]:
            m = self.manifests[run.id]
            e = {"version": fam.refs_version,
                 "depends": {d: m["families"][d]["version"] for d in fam.depends},
                 "what": fam.what, "made": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "seconds": round(time.time() - f.t0, 1)}
            if fam.kind == "truth":
                e.update(f.results[None])
            else:
                e["tool"] = crash_version()
                e["formats"] = {fmt: f.results[fmt] for fmt in fam.formats}
            m["families"][fam.name] = e
            dump_atomic(m, run.path(MANIFEST))

    def run_all(self, only, force):
        for r in self.runs:
            for name in stale_families(self.manifests[r.id], only, force):
                self.stale.add((r.id, name))
                self.families.append(Family(r, BY_NAME[name], self))
        done, failed = set(), []
        ex = concurrent.futures.ThreadPoolExecutor(self.jobs)
        running = {}
        while True:
            for f in self.families:
                if (f.run.id, f.fam.name) in done or not f.ready(done):
                    continue
                if any((f.run.id, d) in failed for d in f.fam.depends):
                    failed.append((f.run.id, f.fam.name))
                    done.add((f.run.id, f.fam.name))
                    log("%s %s: not made, a family it depends on failed" % (f.run.id, f.fam.name))
                    continue
                while f.pending and len(running) < self.jobs:
                    fmt = f.pending.pop()
                    if f.t0 is None:
                        f.t0 = time.time()
                        if f.fam.kind == "base":
                            base.commands(f.run)
                    running[ex.submit(self.job, f, fmt)] = (f, fmt)
            if not running:
                break
            fin, _ = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for fut in fin:
                f, fmt = running.pop(fut)
                try:
                    f.results[fmt] = fut.result()
                except Exception as e:
                    f.failed.append("%s: %s" % (fmt, e))
                    log("ERROR %s %s %s: %s" % (f.run.id, f.fam.name, fmt or "", e))
                if not f.pending and len(f.results) + len(f.failed) == len(f.fmts):
                    key = (f.run.id, f.fam.name)
                    done.add(key)
                    if f.failed:
                        failed.append(key)
                    else:
                        self.finish(f)
        ex.shutdown()
        return failed


def summary(fam, res):
    if fam.kind == "truth":
        return "tasks=%s gdb-failed=%d errors=%s" % (res["tasks"], len(res["gdb_failed_types"]), res["errors"])
    if fam.kind == "base":
        return "crash opens=%s ok=%s/%s; drgn tasks=%s" % (res["crash_opens"], res.get("crash_ok"),
                                                          res.get("crash_cmds"), res["drgn"].get("tasks"))
    return "opens=%s %s" % (res["opens"], res.get("statuses") or res.get("not_run"))


def main():
    args = sys.argv[1:]
    jobs, only, force, stale_only, dirs = 2, None, False, False, []
    while args:
        a = args.pop(0)
        if a == "-j":
            jobs = int(args.pop(0))
        elif a == "--only":
            only = set(args.pop(0).split(","))
            unknown = only - set(BY_NAME)
            if unknown:
                sys.exit("make-refs.py: unknown families %s" % ", ".join(sorted(unknown)))
        elif a == "--force":
            force = True
        elif a == "--stale":
            stale_only = True
        else:
            dirs.append(a)
    runs = [Run(d) for d in dirs]
    if stale_only:
        for r in runs:
            for name in stale_families(read_manifest(r), only, force):
                print(r.id, name)
        return 0
    if os.environ.get("REFS_NICE", "10") != "0":
        os.nice(int(os.environ.get("REFS_NICE", "10")))
    t0 = time.time()
    failed = Scheduler(runs, jobs).run_all(only, force)
    log("done in %.0fs%s" % (time.time() - t0, "; FAILED: %s" % failed if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
