"""One run directory and what the reference generators need from it."""
import hashlib
import json
import os
import random
import re
import struct

# format name -> files relative to the run dir (the order is the order in index.json)
FORMATS = [
    ("elf", ["kdump/vmcore.elf"]),
    ("kdump-lzo", ["kdump/vmcore.kdump-lzo"]),
    ("kdump-zlib", ["kdump/vmcore.kdump-zlib"]),
    ("kdump-lzo-d23", ["kdump/vmcore.kdump-lzo-d23"]),
    ("flat-lzo", ["kdump/vmcore.flat-lzo"]),
    ("elf-d31", ["kdump/vmcore.elf-d31"]),
    ("split-lzo", ["kdump/vmcore.split-lzo.1", "kdump/vmcore.split-lzo.2"]),
    ("qemu-elf", ["host/vmcore.qemu-elf"]),
    ("qemu-elf-paging", ["host/vmcore.qemu-elf-paging"]),
    ("qemu-kdump-zlib", ["host/vmcore.qemu-kdump-zlib"]),
    ("qemu-kdump-zlib.R", ["host/vmcore.qemu-kdump-zlib.R"]),
]
FORMAT_FILES = dict(FORMATS)
PY = "/usr/bin/python3"          # drgn is a Debian package: use the system python


def load(path):
    with open(path) as f:
        return json.load(f)


def dump_atomic(obj, path, indent=1):
    """Write JSON beside the target and rename it in: readers never see half a file."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=indent)
    os.rename(tmp, path)


class Run:
    def __init__(self, d, tb=None):
        self.dir = os.path.abspath(d)
        parts = self.dir.split(os.sep)
        self.kver = parts[-2]
        self.name = parts[-1].split(".")[0]            # staging dirs are NAME.PID
        self.id = "%s/%s" % (self.kver, self.name)
        self.tb = tb or os.environ.get("TB") or os.sep.join(parts[:-3])
        k = os.path.join(self.tb, "kernels", self.kver)
        self.vmlinux = os.path.realpath(os.path.join(k, "vmlinux"))
        self.system_map = os.path.realpath(os.path.join(k, "System.map"))
        self.debug_modules = os.path.realpath(os.path.join(k, "dbg", "usr", "lib", "debug", "lib", "modules",
                                                           self.kver))
        self.build = os.path.join(self.tb, "build", self.kver)
        major, minor = (int(x) for x in re.match(r"(\d+)\.(\d+)", self.kver).groups())
        self.version = (major, minor)
        self._cache = {}

    def path(self, *rel):
        return os.path.join(self.dir, *rel)

    def json(self, rel):
        if rel not in self._cache:
            self._cache[rel] = load(self.path(rel))
        return self._cache[rel]

    @property
    def addresses(self):
        return self.json("addresses.json")

    @property
    def analysis(self):
        return self.json("analysis.json")

    def truth(self):
        return load(self.path("ref/truth/drgn.json"))      # not cached: the truth family rewrites it

    def symbols(self):
        return load(self.path("ref/truth/symbols.json"))

    def files(self, fmt):
        return FORMAT_FILES[fmt]

    def rng(self, salt):
        """A random generator seeded by the run id: the same picks every time for a run."""
        seed = hashlib.sha256(("%s/%s" % (self.id, salt)).encode()).digest()
        return random.Random(int.from_bytes(seed[:8], "little"))

    # ------------------------------------------------------------ the base references
    def base_entry(self, fmt, manifest):
        fam = manifest.get("families", {}).get("base", {})
        return fam.get("formats", {}).get(fmt, {})

    def base_ref(self, fmt, manifest):
        e = self.base_entry(fmt, manifest)
        p = e.get("crash_ref")
        return load(self.path(p)) if p and os.path.exists(self.path(p)) else None

    def crash_visible_tasks(self, fmt, manifest):
        """The tasks crash's `ps` listed on this format in the base session (on 6.1 only the
        active ones: see README), as dicts pid, task, cpu, comm, active."""
        ref = self.base_ref(fmt, manifest)
        if not ref:
            return []
        out = next((c["output"] for c in ref["commands"] if c["cmd"] == "ps" and c["status"] == "ok"), "") or ""
        tasks = []
        for line in out.splitlines():
            m = re.match(r"^(>?)\s+(\d+)\s+(-?\d+)\s+(\d+)\s+([0-9a-f]{16})\s+(\S+)\s+\S+\s+\d+\s+\d+\s+(.*)$", line)
            if m:
                tasks.append({"active": m.group(1) == ">", "pid": int(m.group(2)), "ppid": int(m.group(3)),
                              "cpu": int(m.group(4)), "task": m.group(5), "state": m.group(6),
                              "comm": m.group(7).strip()})
        return tasks

    def panic_rip(self, manifest):
        """The faulting instruction (an exception frame's RIP) or, for a plain panic, frame #0
        of the panic task, from crash's `bt` on the ELF dump; None if crash had none."""
        ref = self.base_ref("elf", manifest)
        if not ref:
            return None
        bt = next((c["output"] for c in ref["commands"] if c["cmd"] == "bt" and c["status"] == "ok"), "") or ""
        m = re.search(r"\[exception RIP: [^\]]+\]\s*\n\s*RIP: ([0-9a-f]{16})", bt)
        if m:
            return "0x" + m.group(1)
        m = re.search(r"#0 \[[0-9a-f]+\] \S+ at ([0-9a-f]{16})", bt)
        return "0x" + m.group(1) if m else None


def vmcoreinfo(elf_path):
    """The VMCOREINFO note of an ELF vmcore, as a dict (e.g. KERNELOFFSET)."""
    with open(elf_path, "rb") as f:
        h = f.read(64)
        phoff, = struct.unpack_from("<Q", h, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", h, 0x36)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, _, off, _, _, filesz, _ = struct.unpack("<IIQQQQQ", f.read(48))
            if p_type != 4:          # PT_NOTE
                continue
            f.seek(off)
            notes = f.read(filesz)
            pos = 0
            while pos + 12 <= len(notes):
                namesz, descsz, _ = struct.unpack_from("<III", notes, pos)
                name = notes[pos + 12:pos + 12 + namesz].rstrip(b"\0")
                dpos = pos + 12 + ((namesz + 3) & ~3)
                desc = notes[dpos:dpos + descsz]
                pos = dpos + ((descsz + 3) & ~3)
                if name == b"VMCOREINFO":
                    return dict(l.split("=", 1) for l in desc.decode(errors="replace").splitlines() if "=" in l)
    return {}
