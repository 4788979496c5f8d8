#!/usr/bin/env python3
"""Headers by audience (issue 21 §4, docs/CONVENTIONS.md "Layout"):

  include/ota/        the application API        installed with libotaservice
  include/ota/port/   what a port implements     installed with libotaservice
  include/ota/sim/    the simulation's API       installed with libotaservice_sim
  src/<layer>/*.h     private                    never installed

Checks:
 1. no installed header includes a private one: every project include of a header under
    include/ota/ is "ota/..." (or <ota/...>) and names a file of include/ota/;
 2. a header of the application API or of port/ includes nothing of include/ota/sim/;
 3. the core library (ota_core's objects, and the POSIX port linked into libotaservice) compiles
    with only the application and port headers on its include path: each of its compile commands
    (compile_commands.json of the build) is run again, syntax only, with include/ replaced by a
    copy of include/ota/*.h + include/ota/port/ and src/ by a copy of src/ without src/sim/.

Usage: check_header_layout.py ROOT BUILD_DIR
Exit status: 0 all hold, 1 a violation, 2 usage error (no compile_commands.json, no core command)."""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def installed_headers(root):
    base = os.path.join(root, "include", "ota")
    out = []
    for dirpath, _, files in os.walk(base):
        for f in files:
            if f.endswith(".h"):
                out.append(os.path.relpath(os.path.join(dirpath, f), root).replace(os.sep, "/"))
    return sorted(out)


def check_includes(root, headers):
    bad = []
    names = set(headers)
    private = {os.path.relpath(os.path.join(d, f), os.path.join(root, "src")).replace(os.sep, "/")
               for d, _, fs in os.walk(os.path.join(root, "src")) for f in fs if f.endswith(".h")}
    for h in headers:
        text = open(os.path.join(root, h), encoding="utf-8").read()
        in_sim = h.startswith("include/ota/sim/")
        for m in INCLUDE_RE.finditer(text):
            inc = m.group(2)
            line = text.count("\n", 0, m.start()) + 1
            if inc.startswith("ota/"):
                if "include/" + inc not in names:
                    bad.append(f"{h}:{line}: includes {inc}, which is no installed header")
                elif inc.startswith("ota/sim/") and not in_sim:
                    bad.append(f"{h}:{line}: includes {inc}: the core's headers never name the simulation")
            elif inc in private or "/" in inc and m.group(1) == '"':
                bad.append(f"{h}:{line}: includes {inc}, a private header (src/), which is not installed")
    return bad


def stage(root, tmp):
    """tmp/include: include/ota/*.h + include/ota/port/; tmp/src: src/ without sim/."""
    inc = os.path.join(tmp, "include", "ota")
    os.makedirs(inc)
    for f in os.listdir(os.path.join(root, "include", "ota")):
        if f.endswith(".h"):
            shutil.copy(os.path.join(root, "include", "ota", f), inc)
    shutil.copytree(os.path.join(root, "include", "ota", "port"), os.path.join(inc, "port"))
    shutil.copytree(os.path.join(root, "src"), os.path.join(tmp, "src"),
                    ignore=lambda d, names: ["sim"] if os.path.samefile(d, os.path.join(root, "src")) else [])
    return os.path.join(tmp, "include"), os.path.join(tmp, "src")


def core_commands(build):
    path = os.path.join(build, "compile_commands.json")
    if not os.path.exists(path):
        return None
    out = []
    for e in json.load(open(path)):
        args = e.get("arguments") or shlex.split(e["command"])
        o = args[args.index("-o") + 1] if "-o" in args else ""
        if "/ota_core.dir/" in o or "/otaservice.dir/" in o:
            out.append((e["directory"], args, e["file"]))
    return out


def rewrite(args, root, inc, src, tmp):
    """The same command, syntax only, with the staged include/ and src/ (and the staged copy of the
    source file itself, so that its own directory holds no sim header either)."""
    real_inc, real_src = os.path.join(root, "include"), os.path.join(root, "src")
    out, skip = [], False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "-o":
            skip = True
            continue
        if a.startswith("-I"):
            d = a[2:]
            d = inc if os.path.realpath(d) == os.path.realpath(real_inc) else src if os.path.realpath(d) == os.path.realpath(real_src) else d
            a = "-I" + d
        if a.startswith(real_src + os.sep):
            a = os.path.join(src, os.path.relpath(a, real_src))
        out.append(a)
    return out + ["-fsyntax-only"]


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    root, build = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    headers = installed_headers(root)
    bad = check_includes(root, headers)
    cmds = core_commands(build)
    if not cmds:
        print(f"check_header_layout: no compile command of the core in {build}/compile_commands.json")
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        inc, src = stage(root, tmp)
        for directory, args, file in cmds:
            if not os.path.realpath(file).startswith(os.path.realpath(os.path.join(root, "src")) + os.sep):
                continue
            r = subprocess.run(rewrite(args, root, inc, src, tmp), cwd=directory, capture_output=True, text=True)
            if r.returncode != 0:
                first = next((ln for ln in r.stderr.splitlines() if "error" in ln), r.stderr.strip()[:300])
                bad.append(f"{os.path.relpath(file, root)}: does not compile with only include/ota/ and "
                           f"include/ota/port/ on its include path: {first}")
    for b in bad:
        print(b)
    print(f"check_header_layout: {len(headers)} installed headers, {len(cmds)} core sources compiled "
          f"against the application and port headers, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
