#!/usr/bin/python3
"""run-scenario.py KVER SCENARIO OUTDIR

(Adapted from the vmcore lab.)  Results go to OUTDIR (setup.sh passes a
staging directory and publishes it by rename afterwards).

Boot kernel KVER under QEMU/TCG with crashkernel= reserved, let its /init load
the kdump kernel (kexec -p), start a workload and trigger SCENARIO.

  * When the crashing kernel reaches machine_kexec(), vmlab.ko's kprobe pokes
    the pvpanic port and QEMU pauses the VM (-action panic=pause).  We then take
    the host-side dumps with QMP dump-guest-memory (ELF paging=false, ELF
    paging=true, kdump-zlib) and send "cont".
  * The guest jumps into the capture kernel, whose /init writes the in-guest
    dumps (plain /proc/vmcore copy, makedumpfile lzo / zlib / flattened /
    filtered ELF, dmesg) onto an ext4 virtio disk and powers off.
  * We extract the files from the disk image with debugfs (no mount needed).

Environment: TB (test-bed cache root, required), MEM (512M), SMP (2),
CRASHKERNEL (192M), CPU (max,la57=off; "max" gives 5-level paging),
KDUMP (1; 0 = no kdump, host dumps only), DUMPLEVEL (31),
HOSTFORMATS (elf,elf-paging,kdump-zlib), TIMEOUT_PANIC (600), TIMEOUT_CAPTURE (900).
"""
import json, os, select, shutil, socket, subprocess, sys, time

KVER, SCEN, OUT = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
TB = os.environ["TB"]
MEM = os.environ.get("MEM", "512M")
SMP = os.environ.get("SMP", "2")
CK = os.environ.get("CRASHKERNEL", "192M")
CPU = os.environ.get("CPU", "max,la57=off")
KDUMP = os.environ.get("KDUMP", "1") == "1"
DL = os.environ.get("DUMPLEVEL", "31")
HOSTFORMATS = os.environ.get("HOSTFORMATS", "elf,elf-paging,kdump-zlib").split(",")
T_PANIC = float(os.environ.get("TIMEOUT_PANIC", "600"))   # generous: TCG on a busy 2-core host
T_CAPTURE = float(os.environ.get("TIMEOUT_CAPTURE", "900"))

K = os.path.join(TB, "kernels", KVER)
B = os.path.join(TB, "build", KVER)
WORK = os.path.join(TB, "work", "run-%d" % os.getpid())   # disk image, QMP socket

# Extra kernel parameters per scenario (the rest is set with sysctl by /init).
SCEN_APPEND = {
    "sysrq": "", "panic": "",
    "oops": "oops=panic", "null": "oops=panic", "bug": "oops=panic",
    "softlockup": "softlockup_panic=1 watchdog_thresh=5",
    "irqnull": "",
}

def log(*a):
    print("[%s %s %s %s]" % (time.strftime("%H:%M:%S"), KVER, SCEN, CPU), *a, flush=True)

class QMP:
    """Minimal QMP client: line-buffered reads with select() timeouts; events are queued."""
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.connect(path)
        self.buf = b""
        self.events = []
        self._read()                           # greeting
        self.cmd("qmp_capabilities")
    def _read(self, timeout=None):
        end = None if timeout is None else time.time() + timeout
        while b"\n" not in self.buf:
            left = None if end is None else max(0, end - time.time())
            if not select.select([self.s], [], [], left)[0]:
                return None
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("QMP closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)
    def send(self, msg):
        self.s.sendall((json.dumps(msg) + "\n").encode())
    def cmd(self, name, **args):
        msg = {"execute": name}
        if args: msg["arguments"] = args
        self.send(msg)
        while True:
            r = self._read()
            if "event" in r: self.events.append(r); continue
            return r
    def wait_event(self, names, timeout):
        """Return the first event in names (already queued or arriving within timeout)."""
        end = time.time() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e["event"] in names:
                    return self.events.pop(i)
            left = end - time.time()
            if left <= 0: return None
            try:
                r = self._read(min(left, 1.0))
            except EOFError:
                return {"event": "QMP-EOF"}
            if r and "event" in r: self.events.append(r)

def console_has(text):
    try:
        return text in open(os.path.join(OUT, "console.log"), errors="replace").read()
    except FileNotFoundError:
        return False

def main():
    shutil.rmtree(OUT, ignore_errors=True); shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(OUT); os.makedirs(WORK)
    os.makedirs(os.path.join(OUT, "host")); os.makedirs(os.path.join(OUT, "kdump"))
    info = {"kernel": KVER, "scenario": SCEN, "mem": MEM, "smp": SMP,
            "crashkernel": CK, "cpu": CPU, "kdump": KDUMP, "dumplevel": DL, "host_dumps": {}}

    # The "boot + /var/crash" disk: ext4 filesystem made from a directory by mke2fs -d
    # (no mount or loop device needed); the first kernel reads vmlinuz/initrd from it
    # for kexec -p, the capture kernel writes its dumps into /crash on it.
    stage = os.path.join(WORK, "stage")
    os.makedirs(os.path.join(stage, "boot")); os.makedirs(os.path.join(stage, "crash"))
    shutil.copy(os.path.realpath(os.path.join(K, "vmlinuz")), os.path.join(stage, "boot", "vmlinuz"))
    shutil.copy(os.path.join(B, "initrd.img"), os.path.join(stage, "boot", "initrd.img"))
    disk = os.path.join(WORK, "disk.img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-O", "^has_journal", "-L", "vmlab",
                    "-d", stage, disk, "2G"], check=True)

    append = " ".join(filter(None, [
        "console=ttyS0,115200", "crashkernel=" + CK if KDUMP else "",
        "vmlab.scenario=" + SCEN, "vmlab.kdump=" + ("1" if KDUMP else "0"),
        "vmlab.dumplevel=" + DL, SCEN_APPEND.get(SCEN, ""), os.environ.get("APPEND", "")]))
    qmp_sock = os.path.join(WORK, "qmp.sock")
    cmd = ["qemu-system-x86_64",
           "-machine", "q35,accel=tcg", "-cpu", CPU, "-smp", SMP, "-m", MEM,
           "-nodefaults", "-display", "none", "-no-reboot",
           "-kernel", os.path.realpath(os.path.join(K, "vmlinuz")),
           "-initrd", os.path.join(B, "initrd.img"),
           "-append", append,
           "-serial", "file:" + os.path.join(OUT, "console.log"),
           "-drive", "file=%s,format=raw,if=none,id=vmlab,cache=unsafe" % disk,
           "-device", "virtio-blk-pci,drive=vmlab",
           "-device", "vmcoreinfo",
           "-device", "pvpanic", "-action", "panic=pause",
           "-qmp", "unix:%s,server=on,wait=off" % qmp_sock]
    info["qemu_cmdline"] = cmd
    open(os.path.join(OUT, "qemu-cmdline.txt"), "w").write(" ".join(cmd) + "\n")
    log("starting QEMU")
    t0 = time.time()
    q = subprocess.Popen(cmd, stdout=open(os.path.join(WORK, "qemu.out"), "w"), stderr=subprocess.STDOUT)
    for _ in range(200):
        if os.path.exists(qmp_sock): break
        time.sleep(0.05)
    qmp = QMP(qmp_sock)

    # ---- wait for the crash (pause by vmlab.ko), or for a plain panic message ----
    paused = False
    while time.time() - t0 < T_PANIC:
        e = qmp.wait_event(("STOP", "GUEST_PANICKED", "SHUTDOWN", "QMP-EOF"), 1.0)
        if e and e["event"] in ("STOP", "GUEST_PANICKED"):
            paused = True; break
        if e and e["event"] in ("SHUTDOWN", "QMP-EOF"):
            break
        if console_has("end Kernel panic"):          # no kdump and no pause: stop it ourselves
            time.sleep(1); qmp.cmd("stop"); paused = True; break
    info["t_boot_to_crash_s"] = round(time.time() - t0, 1)
    if not paused:
        log("ERROR: no crash within %ss" % T_PANIC)
        info["error"] = "no crash"
        q.kill(); q.wait()
        json.dump(info, open(os.path.join(OUT, "run.json"), "w"), indent=1)
        sys.exit(1)
    time.sleep(0.5)
    info["status_at_pause"] = qmp.cmd("query-status")["return"]["status"]
    log("guest paused after %.1fs (%s)" % (info["t_boot_to_crash_s"], info["status_at_pause"]))

    # ---- host-side dumps of the crashed kernel ----
    for fmt in HOSTFORMATS:
        qfmt, paging = {"elf": ("elf", False), "elf-paging": ("elf", True),
                        "kdump-zlib": ("kdump-zlib", False), "kdump-lzo": ("kdump-lzo", False),
                        "kdump-snappy": ("kdump-snappy", False)}[fmt]
        path = os.path.join(OUT, "host", "vmcore.qemu-" + fmt)
        t1 = time.time()
        r = qmp.cmd("dump-guest-memory", paging=paging, protocol="file:" + path, format=qfmt)
        dt = time.time() - t1
        size = os.path.getsize(path) if os.path.exists(path) else None
        if os.path.exists(path): os.chmod(path, 0o644)
        info["host_dumps"][fmt] = {"seconds": round(dt, 2), "bytes": size, "qmp": r}
        log("host dump %s: %s %.1fs %s" % (fmt, "ok" if "return" in r else r, dt, size))

    if not KDUMP:
        qmp.cmd("quit"); q.wait()
        os.rmdir(os.path.join(OUT, "kdump"))
    else:
        # ---- let the guest continue into the capture kernel ----
        t2 = time.time()
        qmp.events.clear()        # the STOP + GUEST_PANICKED pair from the pause is still queued
        r = qmp.cmd("cont")
        log("cont: %s; waiting for the capture kernel" % r)
        while time.time() - t2 < T_CAPTURE and q.poll() is None:
            e = qmp.wait_event(("SHUTDOWN", "QMP-EOF", "STOP", "GUEST_PANICKED"), 2.0)
            if e and e["event"] in ("STOP", "GUEST_PANICKED"):
                log("WARNING: guest stopped again (%s) - capture kernel crashed?" % e["event"])
                qmp.cmd("quit"); break
            if e and e["event"] in ("SHUTDOWN", "QMP-EOF"):
                break
        info["t_capture_s"] = round(time.time() - t2, 1)
        try:
            q.wait(timeout=60)      # SHUTDOWN arrives a moment before QEMU exits
        except subprocess.TimeoutExpired:
            pass
        if q.poll() is None:
            log("ERROR: capture kernel did not finish in %ss" % T_CAPTURE)
            info["error"] = "capture timeout"
            try: qmp.cmd("quit")
            except Exception: q.kill()
        q.wait()
        log("QEMU exited after capture (%.1fs); CAPTURE DONE seen: %s" % (info["t_capture_s"], console_has("CAPTURE DONE")))
        # ---- extract /crash from the ext4 image ----
        kd = os.path.join(OUT, "kdump")
        shutil.rmtree(kd)
        subprocess.run(["debugfs", "-R", "rdump /crash %s" % OUT, disk], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.rename(os.path.join(OUT, "crash"), kd)
        for f in os.listdir(kd): os.chmod(os.path.join(kd, f), 0o644)
    info["t_total_s"] = round(time.time() - t0, 1)
    json.dump(info, open(os.path.join(OUT, "run.json"), "w"), indent=1)
    shutil.rmtree(WORK, ignore_errors=True)
    log("done in %.1fs" % info["t_total_s"])
    subprocess.run("ls -la %s/host %s/kdump" % (OUT, OUT), shell=True)

if __name__ == "__main__":
    main()
