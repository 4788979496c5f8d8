#!/usr/bin/env python3
"""The tree's shape check (issue 21, DESIGN.md §2, docs/CONVENTIONS.md), run by `make check` as the
CTest entry test_check_tree and usable by hand. It fails on:

  cycle   a call cycle between files of src/: a file whose object references an undefined symbol
          that another file's object defines depends on that file (read with `nm` from the
          objects of a build, e.g. build/check). One entry per call edge inside a cycle, printed
          with the shortest chain of files it closes and the symbols that make every edge.
  layer   a call that goes up DESIGN.md §2's one-way layers (LAYERS below), file to file.
  long    a .c/.h file over 600 lines in src/, include/, tools/, tests/, bench/, examples/, fuzz/,
          components/.
  format  a C file that `clang-format --dry-run --Werror` would change (`make format` fixes it).

It is a ratchet: scripts/check_tree_baseline.txt lists the violations the tree had when the check
came in, one per line with a note. A violation not in the baseline fails, and so does a baseline
entry that no longer occurs (remove it: the list only shrinks). After merging work that adds a
violation on purpose, `--write-baseline` rewrites the file (keeping the notes of the entries that
remain); review its diff before committing it.

Usage: check_tree.py [--root DIR] [--build DIR | --objects OBJ...] [--baseline FILE]
                     [--write-baseline] [--no-format] [--nm NM] [--clang-format EXE]
Exit status: 0 clean (only baselined violations), 1 a new violation or a stale baseline entry,
2 usage error (no objects found, a tool missing)."""
import argparse
import glob
import os
import re
import subprocess
import sys

MAX_LINES = 600
LINE_DIRS = ("src", "include", "tools", "tests", "bench", "examples", "fuzz", "components")
# DESIGN.md §2, bottom (0) to top: a file may call files of its own folder and of lower layers.
#   core, port  - error codes, log, heap accounting; the port implements what the core is written
#                 against (ota_port.h, ota_crypto.h) and may log, so the two share the bottom.
#   formats     - pure: bytes in, structs out; calls nothing above the bottom.
#   flash       - the flash interface and partitions over it ("flash below boot/service").
#   secure, source - the pipeline's verifiers/decryption and sources.
#   boot        - otadata/boot selection (esp_ota_ops), the bootloader.
#   pipeline    - one item's data path (source -> stages -> checker -> verifiers -> target), the
#                 partition writer, the built-in stages and verifiers; reports through the events
#                 its driver gives it, never by calling the service (issue 21 §1).
#   service     - the engine and the default procedures (the pipelines' factories).
#   sim         - the simulation library (src/sim/, issue 21 §3: flash emulator, simulated
#                 bootloader, builders, CSV, sdkconfig, the file-backed device): above every layer
#                 of the core, so it may call all of it and nothing of the core may call it.
# "Only port touches the OS" is checked on the objects by tests/unit/core/check_core_portable.py.
LAYERS = {"core": 0, "port": 0, "formats": 1, "flash": 2, "secure": 3, "source": 3, "boot": 4, "pipeline": 5,
          "service": 6, "sim": 10}
# The port sits below the flash interface (DESIGN.md §2) but plugs in beside the core: it may use
# the pure parsers (formats) and the source layer's URI/HTTP rules for the transports it provides
# (file, curl). What it may not call is the flash layer, boot or the service (a port that does is
# host simulation: the state file, the emulator - those live in src/sim/).
EXTRA_ALLOWED = {"port": {"formats", "source"}}
DEFINED = set("TDBRCGSVWiu")  # global definitions in `nm -P` (upper case, plus GNU unique/indirect)


def rel_source_of_object(obj):
    """CMakeFiles/<target>.dir/src/service/service.c.o -> src/service/service.c (None: not from src/)."""
    norm = obj.replace(os.sep, "/")
    m = re.search(r"\.dir/(src/.*\.c)\.o(bj)?$", norm)
    return m.group(1) if m else None


def find_objects(build):
    objs = glob.glob(os.path.join(build, "CMakeFiles", "*.dir", "src", "**", "*.c.o"), recursive=True)
    # One object per source: a source built into two targets (it is not here today) counts once.
    seen = {}
    for o in sorted(objs):
        seen.setdefault(rel_source_of_object(o), o)
    return [o for k, o in sorted(seen.items()) if k]


def read_symbols(nm, objects):
    """{file: (defined set, undefined set)} keyed by the src/ path of each object."""
    table = {}
    for obj in objects:
        src = rel_source_of_object(obj)
        if src is None:
            continue
        out = subprocess.run([nm, "-P", obj], check=True, capture_output=True, text=True).stdout
        defined, undefined = set(), set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) < 2:
                continue
            name, kind = parts[0], parts[1]
            if kind in ("U", "w", "v"):
                undefined.add(name)
            elif kind in DEFINED:
                defined.add(name)
        d, u = table.setdefault(src, (set(), set()))
        d |= defined
        u |= undefined
    return table


def call_graph(table):
    """{caller: {callee: sorted symbols}}: caller references a symbol that callee defines."""
    owner = {}
    for f, (defined, _) in table.items():
        for s in defined:
            owner.setdefault(s, []).append(f)
    graph = {f: {} for f in table}
    for f, (_, undefined) in table.items():
        for s in undefined:
            for g in owner.get(s, ()):
                if g != f:
                    graph[f].setdefault(g, []).append(s)
    for f in graph:
        for g in graph[f]:
            graph[f][g].sort()
    return graph


def sccs(graph):
    """Tarjan's strongly connected components (iterative)."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def shortest_path(graph, members, src, dst):
    """The shortest chain src -> ... -> dst inside one component (breadth first, sorted: stable)."""
    prev, todo = {src: None}, [src]
    while todo:
        nxt = []
        for v in todo:
            for w in sorted(graph[v]):
                if w in members and w not in prev:
                    prev[w] = v
                    nxt.append(w)
        todo = nxt
    chain, v = [], dst
    while v is not None:
        chain.append(v)
        v = prev[v]
    return chain[::-1]


def layer_of(path):
    parts = path.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "src" else None


def tree_files(root, dirs):
    """The .c/.h files of the given top folders: git's tracked and untracked-not-ignored files when
    root is a git work tree (so build/ and scratch files are out), else a walk skipping build*."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-co", "--exclude-standard", "--"] + list(dirs),
                             check=True, capture_output=True, text=True).stdout.split("\n")
        if subprocess.run(["git", "-C", root, "rev-parse", "--show-toplevel"], capture_output=True,
                          text=True).stdout.strip() == os.path.realpath(root):
            return sorted(f for f in out if f.endswith((".c", ".h")) and os.path.isfile(os.path.join(root, f)))
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d in dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, d)):
            dirnames[:] = [x for x in dirnames if not x.startswith("build")]
            for fn in filenames:
                if fn.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(dirpath, fn), root).replace(os.sep, "/"))
    return sorted(files)


def check_lines(root, files):
    out = {}
    for f in files:
        with open(os.path.join(root, f), "rb") as fh:
            n = fh.read().count(b"\n")
        if n > MAX_LINES:
            out["long " + f] = f"{n} lines (limit {MAX_LINES})"
    return out


def check_format(root, files, exe):
    out = {}
    for i in range(0, len(files), 200):
        chunk = files[i:i + 200]
        r = subprocess.run([exe, "--dry-run", "--Werror", "--style=file"] + chunk, cwd=root,
                           capture_output=True, text=True)
        for f in chunk:
            if re.search(r"^" + re.escape(f) + r":\d+:\d+: (error|warning)", r.stderr, re.M):
                out["format " + f] = "clang-format would change it (make format)"
        if r.returncode != 0 and not any(k[len("format "):] in chunk for k in out):
            sys.exit(f"check_tree: {exe} failed: {r.stderr.strip()[:500]}")
    return out


def check_calls(table):
    """Cycles and upward edges; {key: note} plus the printed detail of each."""
    graph = call_graph(table)
    found, detail = {}, {}
    # One entry per call edge inside a cycle (a strongly connected component of files): a new
    # back edge is a new entry, and removing one edge forces its entry out. Each is shown with the
    # shortest cycle it closes, the symbols on every edge of that chain.
    for comp in sccs(graph):
        if len(comp) < 2:
            continue
        members = set(comp)
        for a in comp:
            for b in sorted(g for g in graph[a] if g in members):
                chain = [a] + shortest_path(graph, members, b, a)
                key = f"cycle {a} -> {b}"
                found[key] = f"closes {' -> '.join(chain)}; {len(comp)} files in the cycle"
                lines = []
                for x, y in zip(chain, chain[1:]):
                    syms = graph[x][y]
                    more = f" (+{len(syms) - 4} more)" if len(syms) > 4 else ""
                    lines.append(f"    {x} -> {y}: {', '.join(syms[:4])}{more}")
                detail[key] = "\n".join(lines)
    # A new folder of src/ (issue 21's sim/) needs its place in LAYERS first.
    for f in sorted(graph):
        if layer_of(f) is not None and layer_of(f) not in LAYERS:
            found[f"layer src/{layer_of(f)}/ has no rank"] = "add it to LAYERS in scripts/check_tree.py"
    for a in sorted(graph):
        la = layer_of(a)
        for b in sorted(graph[a]):
            lb = layer_of(b)
            if la is None or lb is None or la == lb or la not in LAYERS or lb not in LAYERS:
                continue
            if lb in EXTRA_ALLOWED.get(la, ()):
                continue
            if LAYERS[lb] > LAYERS[la] or (LAYERS[lb] == LAYERS[la] and LAYERS[la] > 0):
                key = f"layer {a} -> {b}"
                found[key] = f"{la} calls up into {lb}"
                detail[key] = f"    {a} -> {b}: {', '.join(graph[a][b])}"
    return found, detail


def read_baseline(path):
    entries = {}
    if not os.path.exists(path):
        return entries
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, note = line.partition("  # ")
            entries[key.strip()] = note.strip()
    return entries


def write_baseline(path, found, old):
    header = ("# Known violations of scripts/check_tree.py (issue 21): the check fails on any violation\n"
              "# not listed here and on an entry that no longer occurs, so this list only shrinks.\n"
              "# Format: <kind> <subject>  # note. Regenerate with scripts/check_tree.py --write-baseline\n"
              "# (keeps the notes of remaining entries) and review the diff.\n")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(header)
        for key in sorted(found):
            fh.write(f"{key}  # {old.get(key) or found[key]}\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--build", help="a CMake build folder whose CMakeFiles/*.dir/src/**.c.o are read")
    ap.add_argument("--objects", nargs="*", help="the objects to read (instead of --build)")
    ap.add_argument("--baseline")
    ap.add_argument("--write-baseline", action="store_true")
    ap.add_argument("--no-format", action="store_true", help="skip the clang-format check")
    ap.add_argument("--nm", default="nm")
    ap.add_argument("--clang-format", default="clang-format")
    a = ap.parse_args(argv)
    root = os.path.abspath(a.root)
    baseline_path = a.baseline or os.path.join(root, "scripts", "check_tree_baseline.txt")

    objects = a.objects if a.objects else find_objects(a.build or os.path.join(root, "build", "check"))
    # A source removed since the build left its object behind: read only objects of existing files.
    objects = [o for o in objects if rel_source_of_object(o) and os.path.isfile(os.path.join(root, rel_source_of_object(o)))]
    if not objects:
        print("check_tree: no objects of src/ found (build first, or give --build/--objects)", file=sys.stderr)
        return 2
    found, detail = check_calls(read_symbols(a.nm, objects))
    files = tree_files(root, LINE_DIRS)
    found.update(check_lines(root, files))
    if not a.no_format:
        found.update(check_format(root, files, a.clang_format))

    old = read_baseline(baseline_path)
    if a.no_format:  # not checked this time: neither new nor stale
        if a.write_baseline:
            print("check_tree: --write-baseline needs the format check (drop --no-format)", file=sys.stderr)
            return 2
        old = {k: v for k, v in old.items() if not k.startswith("format ")}
    if a.write_baseline:
        write_baseline(baseline_path, found, old)
        print(f"check_tree: wrote {len(found)} entries to {baseline_path}")
        return 0
    new = sorted(k for k in found if k not in old)
    stale = sorted(k for k in old if k not in found)
    for k in sorted(found):
        tag = "baseline" if k in old else "NEW"
        print(f"[{tag}] {k}  ({found[k]})")
        if k in detail:
            print(detail[k])
    for k in stale:
        print(f"[STALE] {k}: fixed - remove it from {os.path.relpath(baseline_path, root)}")
    print(f"check_tree: {len(objects)} objects, {len(files)} C files; {len(found)} violations, "
          f"{len(found) - len(new)} of them in the baseline; {len(old)} baseline entries "
          f"({len(old) - len(stale)} remain, {len(stale)} stale); {len(new)} new")
    if new or stale:
        print("check_tree: FAIL (fix the new violations; remove stale entries from the baseline)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
