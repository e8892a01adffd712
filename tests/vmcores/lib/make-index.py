#!/usr/bin/python3
"""make-index.py : write $TB/index.json from every published run ($TB/runs/*/*/.complete
holding the run's dump version: TESTBED_VERSION, or RUN_VERSIONS[id]).  All paths are
absolute.  Written to a temporary file and renamed, so readers never see a partial index.
The references of a run come from its ref/refs.json (make-refs.py); a run without one
(made before the reference families) from its analysis.json.

Environment: TB, TESTBED_VERSION, SETS (JSON {"ci": ["KVER/NAME", ...], ...}: which runs
belong to which setup.sh mode), RUN_VERSIONS (JSON {"KVER/NAME": version}; runs not
listed must hold TESTBED_VERSION)."""
import glob, json, os, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reflib.families import FAMILIES  # noqa: E402

TB = os.path.abspath(os.environ["TB"])
VERSION = os.environ["TESTBED_VERSION"]
SETS = json.loads(os.environ.get("SETS", "{}"))
RUN_VERSIONS = json.loads(os.environ.get("RUN_VERSIONS", "{}"))


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return ((out.stdout or out.stderr).strip().splitlines() or [""])[0]
    except Exception as e:  # pragma: no cover
        return "unknown (%s)" % e


def refs_of(d, an):
    """(families for index.json, the base family's per-format entries)."""
    p = os.path.join(d, "ref", "refs.json")
    if not os.path.exists(p):
        legacy = {f: {k: v.get(k) for k in ("crash_ref", "crash_opens", "crash_mode", "crash_open_error")}
                  for f, v in an["formats"].items()}
        for f, v in an["formats"].items():
            legacy[f]["drgn"] = v.get("drgn")
        return {}, legacy
    m = json.load(open(p))
    fams = {}
    for name, e in m["families"].items():
        out = {"version": e["version"], "what": e.get("what"), "made": e.get("made"), "seconds": e.get("seconds")}
        if "formats" in e and name != "base":
            out["formats"] = {f: {"path": os.path.join(d, v["crash_ref"]) if v.get("crash_ref") else None,
                                  "opens": v.get("opens"), "mode": v.get("mode"), "not_run": v.get("not_run"),
                                  "statuses": v.get("statuses"), "seconds": v.get("seconds"),
                                  "crash_failed": v.get("crash_failed"), "truth_instead": v.get("truth_instead")}
                              for f, v in e["formats"].items()}
        elif name == "base":
            out["formats"] = {f: {"path": os.path.join(d, v["crash_ref"]) if v.get("crash_ref") else None,
                                  "opens": v.get("crash_opens"), "mode": v.get("crash_mode")}
                              for f, v in e["formats"].items()}
        if "files" in e:
            out["files"] = {k: os.path.join(d, v) for k, v in e["files"].items()}
            out["errors"] = e.get("errors", [])
        fams[name] = out
    return fams, m["families"].get("base", {}).get("formats", {})


def main():
    runs = []
    for done in sorted(glob.glob(os.path.join(TB, "runs", "*", "*", ".complete"))):
        d = os.path.dirname(done)
        kver, name = d.split(os.sep)[-2:]
        rid = "%s/%s" % (kver, name)
        if open(done).read().strip() != RUN_VERSIONS.get(rid, VERSION):
            continue
        an = json.load(open(os.path.join(d, "analysis.json")))
        k = os.path.join(TB, "kernels", kver)
        rj = an["run"]
        fams, base = refs_of(d, an)
        run = {
            "id": rid, "kernel": kver, "scenario": rj["scenario"], "name": name,
            "la57": name.endswith("-la57"), "cpu": rj["cpu"], "mem": rj["mem"], "smp": rj["smp"],
            "dir": d, "dump_version": RUN_VERSIONS.get(rid, VERSION),
            "vmlinux": os.path.realpath(os.path.join(k, "vmlinux")),
            "system_map": os.path.realpath(os.path.join(k, "System.map")),
            "vmlab_ko": os.path.join(d, "vmlab.ko"),
            "console_log": os.path.join(d, "console.log"),
            "dmesg": os.path.join(d, "kdump", "dmesg.txt"),
            "guest_ps": os.path.join(d, "guest-ps.json"),
            "addresses": os.path.join(d, "addresses.json"),
            "crash_commands": os.path.join(d, "crash-commands.json"),
            "run_json": os.path.join(d, "run.json"),
            "analysis": os.path.join(d, "analysis.json"),
            "refs": fams,
            "formats": {},
        }
        for fmt, f in an["formats"].items():
            b = base.get(fmt, {})
            dr = b.get("drgn") or {}
            run["formats"][fmt] = {
                "files": [os.path.join(d, x) for x in f["files"]],
                "bytes": f.get("bytes"),
                "crash_ref": os.path.join(d, b["crash_ref"]) if b.get("crash_ref") else None,
                "crash_opens": bool(b.get("crash_opens")),
                "crash_mode": b.get("crash_mode"),
                "crash_open_error": b.get("crash_open_error"),
                "drgn_tasks": os.path.join(d, dr["output"]) if dr.get("output") else None,
                "drgn_task_count": dr.get("tasks"),
                "drgn_error": dr.get("error"),
            }
        runs.append(run)
    index = {
        "version": int(VERSION),
        "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "root": TB,
        "tools": {"crash": tool_version(["crash", "-v"]),
                  "makedumpfile": tool_version(["makedumpfile", "-v"]),
                  "drgn": tool_version(["/usr/bin/python3", "-c", "import drgn; print('drgn', drgn.__version__)"]),
                  "gdb": tool_version(["gdb", "--version"]),
                  "qemu": tool_version(["qemu-system-x86_64", "--version"])},
        "refs_versions": {f.name: f.refs_version for f in FAMILIES},   # what setup.sh makes now
        "families": {f.name: {"what": f.what, "formats": f.formats} for f in FAMILIES},
        "sets": SETS,          # every run of each mode, built or not
        "runs": runs,
    }
    tmp = os.path.join(TB, ".index.json.tmp")
    json.dump(index, open(tmp, "w"), indent=1)
    os.rename(tmp, os.path.join(TB, "index.json"))
    print("index.json: %d runs" % len(runs))


if __name__ == "__main__":
    main()
