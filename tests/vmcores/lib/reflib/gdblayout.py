"""Struct/union layouts from gdb's `ptype /o` (the system gdb, not crash's embedded one).

crash 8.0.2 cannot print a single type on 6.12 (its gdb dies with a segmentation
violation); the system gdb 13 reads the same DWARF fine.  One gdb run per kernel and
type list (about a minute for the 590 MB vmlinux), cached in $TB/build/KVER/.
"""
import hashlib
import json
import os
import re
import subprocess

from .rundata import dump_atomic, load

PARSER_VERSION = 2
LINE = re.compile(r"^/\*\s*(?:(\d+)(?::\s*(\d+))?\s*\|)?\s*(\d+) \*/( *)(.*)$")   # union members: no offset
MARK = "__KDX_TYPE__ "


def run_gdb(binary, names, timeout=1800, command="ptype /o %s"):
    """{name: raw output} of `command % name` (default: ptype /o) for each name."""
    args = ["gdb", "-batch", "-nx", "-ex", "set width 0", "-ex", "set height 0", "-ex", "set max-value-size unlimited"]
    for n in names:
        args += ["-ex", "echo %s%s\\n" % (MARK, n), "-ex", command % n]
    args.append(binary)
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    text = p.stdout
    res = {}
    cur = None
    for line in text.splitlines():
        if line.startswith(MARK):
            cur = line[len(MARK):].strip()
            res[cur] = []
        elif cur is not None:
            res[cur].append(line)
    return {n: "\n".join(v) for n, v in res.items()}


def decl_name(decl):
    d = re.sub(r"\s*:\s*\d+\s*;?$", "", decl.rstrip(";")).strip()
    m = re.search(r"\(\s*\*+\s*(\w+)\s*\)", d)          # function pointer: (*name)(...)
    if m:
        return m.group(1), (d[:m.start(1)] + d[m.end(1):]).replace("(*)", "(*)")
    m = re.search(r"(\w+)\s*((?:\[[^\]]*\])*)$", d)
    if not m:
        return None, d
    return m.group(1), (d[:m.start(1)].rstrip() + (" " + m.group(2) if m.group(2) else "")).strip()


def parse(text):
    """{"size", "members": [{"name", "offset", "size", "type", "bit_position"?, "bit_size"?}]}
    with anonymous structs/unions opened in place (crash's struct -o shape)."""
    lines = text.splitlines()
    if not lines or "type =" not in lines[0]:
        return {"error": (text.strip().splitlines() or ["no output"])[-1]}
    root = {"children": [], "offset": 0, "indent": -1}
    stack = [root]
    total = None
    for line in lines[1:]:
        m = LINE.match(line)
        if m:
            off, bit, size, ind, decl = m.group(1), m.group(2), int(m.group(3)), len(m.group(4)), m.group(5)
            parent = stack[-1]
            node = {"offset": int(off) if off is not None else parent["offset"], "size": size, "decl": decl,
                    "indent": ind, "children": []}
            if bit is not None:
                node["bit"] = int(bit)
            parent["children"].append(node)
            if decl.endswith("{"):
                stack.append(node)
            continue
        s = line.strip()
        if s.startswith("}") and len(stack) > 1:
            node = stack.pop()
            node["closer"] = s[1:].strip().rstrip(";").strip()
        elif s.startswith("/* total size") and len(stack) == 1:
            total = int(re.search(r"(\d+)", s).group(1))
    if total is None:
        return {"error": "no total size in gdb output"}

    def flat(node):
        out = []
        for c in node["children"]:
            if c["decl"].endswith("{"):
                name = c.get("closer") or None
                if not name:
                    out += flat(c)
                    continue
                out.append({"name": name, "offset": c["offset"], "size": c["size"], "type": c["decl"][:-1].strip()})
                continue
            name, typ = decl_name(c["decl"])
            e = {"name": name, "offset": c["offset"], "size": c["size"], "type": typ}
            bm = re.search(r":\s*(\d+)\s*;$", c["decl"])
            if bm:
                e["bit_size"] = int(bm.group(1))
                e["bit_position"] = c["offset"] * 8 + c.get("bit", 0)
            out.append(e)
        return out
    return {"size": total, "members": flat(root)}


def layouts(run, structs, unions, vmlab_types, commands=()):
    """gdb layouts of the kernel types (cached per kernel) and of vmlab.ko's types, and the
    output of `commands` (whatis/ptype lines: "vmlab" ones on vmlab.ko, the rest on the vmlinux)."""
    names = ["struct " + s for s in structs if s not in vmlab_types] + ["union " + u for u in unions]
    kcmds = [c for c in commands if "vmlab" not in c]
    ver = subprocess.run(["gdb", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    key = hashlib.sha256(json.dumps([PARSER_VERSION, ver, run.vmlinux, names, kcmds]).encode()).hexdigest()[:16]
    cache = os.path.join(run.build, "gdb-layouts-%s.json" % key)
    if os.path.exists(cache):
        kernel = load(cache)
    else:
        both = run_gdb(run.vmlinux, ["ptype /o " + n for n in names] + kcmds, command="%s")   # one 590 MB read
        raw = {n: both.get("ptype /o " + n, "") for n in names}
        raw_cmds = {c: both.get(c, "") for c in kcmds}
        kernel = {"tool": ver, "binary": run.vmlinux,
                  "types": {n: dict(parse(raw.get(n, "")), text=raw.get(n, "")) for n in names},
                  "commands": {c: raw_cmds.get(c, "") for c in kcmds}}
        os.makedirs(run.build, exist_ok=True)
        for old in os.listdir(run.build):
            if old.startswith("gdb-layouts-") and old.endswith(".json"):
                os.unlink(os.path.join(run.build, old))
        dump_atomic(kernel, cache)
    raw = run_gdb(run.path("vmlab.ko"), ["struct " + s for s in vmlab_types], timeout=300)
    mod = {n: dict(parse(t), text=t) for n, t in raw.items()}
    mcmds = [c for c in commands if "vmlab" in c]
    mod_cmds = run_gdb(run.path("vmlab.ko"), mcmds, timeout=300, command="%s") if mcmds else {}
    cmds = dict(kernel.get("commands", {}), **mod_cmds)
    return {"tool": kernel["tool"], "vmlinux": run.vmlinux, "module": "vmlab.ko (in the run directory)",
            "types": dict(kernel["types"], **mod), "commands": {c: cmds.get(c, "") for c in commands}}
