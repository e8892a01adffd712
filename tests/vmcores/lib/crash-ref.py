#!/usr/bin/python3
"""crash-ref.py [--mode MODE] VMLINUX COMMANDS.json OUT.json DUMPFILE [DUMPFILE...]

Reference outputs from crash (Debian's 8.0.2) for one dump, following the
vmcore lab's method: ONE `crash -s` session driven over pipes, one command at
a time; after each command we send `echo <sentinel>` and read until the
sentinel comes back, which also gives the per-command wall time (crash prints
no prompt when stdin is not a tty).  The start-up time is the time until the
first sentinel comes back.

  * If crash cannot open the dump (it then prints nothing with -s), the real
    error is taken from `crash -d 1`, and the session is retried with
    `--kaslr auto --no_modules`: crash 8.0.2 misses KASLR on kernels >= 6.10
    and trips on `struct module` of >= 6.4 (see README.md).
  * A command that hangs longer than CMD_TIMEOUT, or a crash that dies
    (8.0.2 sometimes aborts with heap corruption on 6.12), ends the session;
    the remaining commands go on in a new one, at most MAX_RESTARTS times,
    after which they are recorded with status "not-run".
  * The whole thing is bounded by TOTAL_TIMEOUT.
  * --mode MODE tries only that mode (the reference families after the first use the
    mode the base session found, instead of paying for a start that is known to fail).

COMMANDS.json is a list of command strings; "<panic task>" in a command is
replaced by the task address from the `bt` output (the command is skipped if
there is none).  An entry may also be {"cmd": ..., "skip": reason}: it is then
recorded with status "skipped" and that note, without running; "what" (a description
of the command: which object, why) is copied to the result; "replay": true marks a
command that changes crash's state (mod -s): it is sent again, unrecorded, after a
restart; "digest": N keeps only the first N lines of a huge output, with its line count
(output_lines), sha256 (output_sha256) and output_truncated: true.  OUT.json:
  {"tool": "crash 8.0.2", "opens": bool, "mode": "default"|"kaslr-auto-no-modules"|null,
   "crash_args": [...], "open_error": str|null, "attempts": [...],
   "startup": {"output": str, "seconds": float},
   "commands": [{"cmd", "what"?, "output", "seconds", "status": "ok"|"timeout"|"died"|"not-run"|"skipped"}]}
"""
import hashlib, json, os, re, select, subprocess, sys, time

# Generous: on a busy 2-core machine `list ... -s` alone has taken over 180 s.
CMD_TIMEOUT = float(os.environ.get("CMD_TIMEOUT", "900"))
START_TIMEOUT = float(os.environ.get("START_TIMEOUT", "600"))
TOTAL_TIMEOUT = float(os.environ.get("TOTAL_TIMEOUT", "3600"))
MAX_RESTARTS = int(os.environ.get("MAX_RESTARTS", "4"))
PANIC_TASK = "<panic task>"
MODES = [("default", []), ("kaslr-auto-no-modules", ["--kaslr", "auto", "--no_modules"])]
ENV = dict(os.environ, TERM="dumb", CRASHPAGER="", PAGER="cat", LC_ALL="C")


class Crash:
    def __init__(self, args):
        self.p = subprocess.Popen(["crash", "-s"] + args, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=ENV)
        self.buf = b""
        self.n = 0

    def run(self, cmd, timeout):
        """Send cmd (None: only the sentinel); return (output, seconds, status ok|timeout|died)."""
        self.n += 1
        tok = ("__KDX_SENTINEL_%d__" % self.n).encode()
        t0 = time.time()
        try:
            self.p.stdin.write(((cmd + "\n") if cmd else "").encode() + b"echo " + tok + b"\n")
            self.p.stdin.flush()
        except BrokenPipeError:
            pass
        end = t0 + timeout
        while tok not in self.buf:
            left = end - time.time()
            if left <= 0:
                out, self.buf = self.buf, b""
                return out.decode(errors="replace"), time.time() - t0, "timeout"
            if not select.select([self.p.stdout], [], [], left)[0]:
                continue
            c = os.read(self.p.stdout.fileno(), 1 << 20)
            if not c:
                out, self.buf = self.buf, b""
                return out.decode(errors="replace"), time.time() - t0, "died"
            self.buf += c
        out, self.buf = self.buf.split(tok, 1)
        self.buf = self.buf.lstrip(b"\n")
        return out.decode(errors="replace"), time.time() - t0, "ok"

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()

    def close(self):
        try:
            self.p.stdin.write(b"quit\n")
            self.p.stdin.flush()
            self.p.wait(10)
        except Exception:
            self.kill()


def entry(e, cmd, output, seconds, status, note=None):
    r = {"cmd": cmd}
    if e.get("what"):
        r["what"] = e["what"]
    if output is not None and e.get("digest"):
        # a huge output (sym -l): its first lines, line count and sha256 instead of all of it
        lines = output.splitlines(keepends=True)
        r.update(output_lines=len(lines), output_sha256=hashlib.sha256(output.encode()).hexdigest(),
                 output_truncated=True)
        output = "".join(lines[:e["digest"]])
    r.update(output=output, seconds=seconds, status=status)
    if note:
        r["note"] = note
    return r


def open_error_d1(args):
    """crash -s prints nothing when it dies during init; -d 1 shows the message."""
    try:
        p = subprocess.run(["crash", "-d", "1"] + args, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=START_TIMEOUT, env=ENV)
        txt = (p.stdout + p.stderr).decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "crash -d 1: timeout"
    lines = [l for l in txt.splitlines() if l.strip()]
    return "\n".join(lines[-4:])


def main():
    argv = sys.argv[1:]
    modes = MODES
    if argv[:1] == ["--mode"]:
        modes = [m for m in MODES if m[0] == argv[1]]
        if not modes:
            sys.exit("crash-ref.py: unknown mode " + argv[1])
        argv = argv[2:]
    vmlinux, cmds_file, out_file = argv[:3]
    dumps = argv[3:]
    entries = [e if isinstance(e, dict) else {"cmd": e} for e in json.load(open(cmds_file))]
    t_start = time.time()
    res = {"tool": "crash", "crash_version": subprocess.run(["crash", "-v"], capture_output=True, text=True,
                                                             env=ENV).stdout.split("\n")[0].strip(),
           "vmlinux": vmlinux, "dumpfiles": dumps, "opens": False, "mode": None, "crash_args": None,
           "open_error": None, "attempts": [], "startup": None, "commands": []}

    # 1. find a mode in which crash reaches its prompt
    cr = None
    for mode, extra in modes:
        args = extra + [vmlinux] + dumps
        c = Crash(args)
        out, dt, st = c.run(None, START_TIMEOUT)
        att = {"mode": mode, "crash_args": args, "opens": st == "ok", "seconds": round(dt, 2)}
        if st == "ok":
            res.update(opens=True, mode=mode, crash_args=args, startup={"output": out, "seconds": round(dt, 2)})
            res["attempts"].append(att)
            cr = c
            break
        c.kill()
        att["output"] = out.strip()[-2000:]
        # crash -s says nothing when it dies early: only then is a second start with -d 1 worth it
        att["error_d1"] = None if att["output"] else open_error_d1(args)
        att["status"] = st
        res["attempts"].append(att)
    if cr is None:
        a = res["attempts"]
        res["open_error"] = "; ".join("%s: %s" % (x["mode"], (x["output"] or x["error_d1"] or x["status"]).strip())
                                      for x in a)
        res["commands"] = [entry(e, e["cmd"], None, None, "not-run") for e in entries]
    else:
        # 2. the commands, restarting a session that hung or died
        restarts = 0
        panic_task = None
        replay = []
        for e in entries:
            cmd = e["cmd"]
            if "skip" in e:
                res["commands"].append(entry(e, cmd, None, None, "skipped", e["skip"]))
                continue
            if PANIC_TASK in cmd:
                if not panic_task:
                    res["commands"].append(entry(e, cmd, None, None, "skipped", "no panic task in the bt output"))
                    continue
                cmd = cmd.replace(PANIC_TASK, panic_task)
            if cr is None:
                if restarts >= MAX_RESTARTS or time.time() - t_start > TOTAL_TIMEOUT:
                    res["commands"].append(entry(e, cmd, None, None, "not-run"))
                    continue
                restarts += 1
                cr = Crash(res["crash_args"])
                out, dt, st = cr.run(None, START_TIMEOUT)
                for r in replay if st == "ok" else []:
                    out, dt, st = cr.run(r, CMD_TIMEOUT)
                    res.setdefault("replayed", []).append({"cmd": r, "status": st, "before": cmd})
                    if st != "ok":
                        break
                if st != "ok":
                    cr.kill()
                    cr = None
                    res["commands"].append(entry(e, cmd, None, None, "not-run",
                                                 "crash did not restart: " + out.strip()[-300:]))
                    continue
            left = max(10.0, min(CMD_TIMEOUT, TOTAL_TIMEOUT - (time.time() - t_start)))
            out, dt, st = cr.run(cmd, left)
            res["commands"].append(entry(e, cmd, out.lstrip("\n"), round(dt, 3), st))
            if e.get("replay") and st == "ok":
                replay.append(cmd)
            if cmd == "bt":
                m = re.search(r"PID:\s+\d+\s+TASK:\s+([0-9a-f]+)", out)
                if m:
                    panic_task = m.group(1)
            if st != "ok":
                cr.kill()
                cr = None
        if cr:
            cr.close()
        res["restarts"] = restarts
        res["panic_task"] = panic_task
    res["total_seconds"] = round(time.time() - t_start, 2)
    tmp = out_file + ".tmp"
    json.dump(res, open(tmp, "w"), indent=1)
    os.rename(tmp, out_file)
    n_ok = sum(1 for c in res["commands"] if c["status"] == "ok")
    print("%s: opens=%s mode=%s ok=%d/%d %.1fs" % (" ".join(dumps), res["opens"], res["mode"], n_ok,
                                                 len(res["commands"]), res["total_seconds"]))


if __name__ == "__main__":
    main()
