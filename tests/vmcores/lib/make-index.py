#!/usr/bin/python3
"""make-index.py : write $TB/index.json from every published run ($TB/runs/*/*/.complete
holding the current TESTBED_VERSION).  All paths are absolute.  Written to a
temporary file and renamed, so readers never see a partial index.

Environment: TB, TESTBED_VERSION, SETS (JSON {"ci": ["KVER/NAME", ...], ...}:
which runs belong to which setup.sh mode)."""
import glob, json, os, subprocess, time

TB = os.path.abspath(os.environ["TB"])
VERSION = os.environ["TESTBED_VERSION"]
SETS = json.loads(os.environ.get("SETS", "{}"))


def tool_version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return ((out.stdout or out.stderr).strip().splitlines() or [""])[0]
    except Exception as e:  # pragma: no cover
        return "unknown (%s)" % e


def main():
    runs = []
    for done in sorted(glob.glob(os.path.join(TB, "runs", "*", "*", ".complete"))):
        d = os.path.dirname(done)
        if open(done).read().strip() != VERSION:
            continue
        kver, name = d.split(os.sep)[-2:]
        an = json.load(open(os.path.join(d, "analysis.json")))
        k = os.path.join(TB, "kernels", kver)
        rj = an["run"]
        run = {
            "id": "%s/%s" % (kver, name), "kernel": kver, "scenario": rj["scenario"], "name": name,
            "la57": name.endswith("-la57"), "cpu": rj["cpu"], "mem": rj["mem"], "smp": rj["smp"],
            "dir": d,
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
            "formats": {},
        }
        for fmt, f in an["formats"].items():
            dr = f.get("drgn") or {}
            run["formats"][fmt] = {
                "files": [os.path.join(d, x) for x in f["files"]],
                "bytes": f.get("bytes"),
                "crash_ref": os.path.join(d, f["crash_ref"]) if f.get("crash_ref") else None,
                "crash_opens": bool(f.get("crash_opens")),
                "crash_mode": f.get("crash_mode"),
                "crash_open_error": f.get("crash_open_error"),
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
                  "qemu": tool_version(["qemu-system-x86_64", "--version"])},
        "sets": SETS,          # every run of each mode, built or not
        "runs": runs,
    }
    tmp = os.path.join(TB, ".index.json.tmp")
    json.dump(index, open(tmp, "w"), indent=1)
    os.rename(tmp, os.path.join(TB, "index.json"))
    print("index.json: %d runs" % len(runs))


if __name__ == "__main__":
    main()
