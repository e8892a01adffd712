"""The `bt` family (issue 5): bt with every option, bt of each task crash can see on the
format (plus pid 1 and vmlab_kthread, which crash 8.0.2 cannot see on 6.1: their stacks
are in the drgn truth), foreach bt.
"""
import re

from .cmds_state import tasks_for


def cmd(c, what, **kw):
    return dict(cmd=c, what=what, **kw)


def generate(run, manifest, fmt):
    vis, hidden = tasks_for(run, manifest, fmt)
    out = [cmd("bt" + (" " + o if o else ""), "bt " + o if o else "the panic task") for o in
           ("", "-a", "-c 0", "-c 1", "-p", "-f", "-F", "-FF", "-r", "-l", "-s", "-sx", "-sd", "-x", "-d", "-t",
            "-T", "-e", "-E", "-v", "-g", "-n idle", "-a -l", "-a -s", "-o")]
    ref = run.base_ref(fmt, manifest) or {"commands": []}
    bt = next((c["output"] for c in ref["commands"] if c["cmd"] == "bt" and c["status"] == "ok"), "") or ""
    frames = re.findall(r"#\d+ \[[0-9a-f]+\] (\w+) at", bt)
    if len(frames) > 2:
        out.append(cmd("bt -R " + frames[2], "-R: only if the trace references this symbol"))
    out.append(cmd("bt -R no_such_function_xyz", "-R with a symbol not on the stack"))
    m = re.search(r"RIP: ([0-9a-f]{16})\s+RSP: ([0-9a-f]{16})", bt)
    if m and m.group(1).startswith("ffff"):
        out.append(cmd("bt -I %s -S %s" % (m.group(1), m.group(2)), "-I/-S from the first kernel exception frame"))
    for t in vis:
        who = "pid %d (%s) task %s" % (t["pid"], t["comm"], t["task"])
        out += [cmd("bt " + t["task"], who), cmd("bt -f " + t["task"], who), cmd("bt -l " + t["task"], who)]
        if t["pid"] > 0:
            out.append(cmd("bt %d" % t["pid"], who))
    for t in hidden:
        who = "pid %d (%s) task %s, not seen by crash's ps" % (t["pid"], t["comm"], t["task"])
        out += [cmd("bt %d" % t["pid"], who), cmd("bt " + t["task"][2:], who)]
    out += [cmd("foreach bt", "every task crash sees"), cmd("foreach RU bt", "state filter"),
            cmd("foreach kernel bt -s", "kernel threads, with offsets"), cmd("foreach active bt -f", "active tasks")]
    return out
