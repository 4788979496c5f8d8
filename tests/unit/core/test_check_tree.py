#!/usr/bin/env python3
"""scripts/check_tree.py can fail (issue 21): on a synthetic tree with a call cycle between two
files, a call up the layers (formats -> service, pipeline -> service), a src/ folder without a layer
rank, a file over 600 lines and an unformatted file, it
reports each of them and nothing else; with those in a baseline it passes; a baseline entry
that no longer occurs and a new violation each make it fail again. On a second tree: the
simulation (src/sim/) may call every layer of the core, and a core file calling src/sim/ is a
layer violation (issue 21 §3).

The objects are compiled here with cc into a CMake-like object folder, so the symbol reading (nm)
is the real one. Needs cc, nm and clang-format (scripts/install-deps.sh test)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, "scripts", "check_tree.py")

SOURCES = {
    # x.c and y.c call each other: a cycle
    "src/service/x.c": "int y_fn(int v);\nint x_fn(int v);\n\nint x_fn(int v)\n{\n    return v > 0 ? y_fn(v - 1) : 0;\n}\n",
    "src/service/y.c": "int x_fn(int v);\nint y_fn(int v);\n\nint y_fn(int v)\n{\n    return x_fn(v) + 1;\n}\n",
    # a pure format calling the service: upward
    "src/service/s.c": "int svc_fn(void);\n\nint svc_fn(void)\n{\n    return 7;\n}\n",
    "src/formats/f.c": "int svc_fn(void);\nint fmt_fn(void);\n\nint fmt_fn(void)\n{\n    return svc_fn();\n}\n",
    # the service calling down into formats and core: allowed
    "src/service/ok.c": ("int fmt_fn(void);\nint core_fn(void);\nint ok_fn(void);\n\nint ok_fn(void)\n{\n"
                         "    return fmt_fn() + core_fn();\n}\n"),
    "src/core/c.c": "int core_fn(void);\n\nint core_fn(void)\n{\n    return 1;\n}\n",
    # the pipeline calling the service that drives it: upward (it reports through its events)
    "src/pipeline/p.c": "int svc_fn(void);\nint pipe_fn(void);\n\nint pipe_fn(void)\n{\n    return svc_fn();\n}\n",
    # the service calling down into the pipeline: allowed
    "src/service/drive.c": ("int pipe_fn(void);\nint drive_fn(void);\n\nint drive_fn(void)\n{\n"
                            "    return pipe_fn();\n}\n"),
    # a folder the layer table does not know
    "src/misc/m.c": "int misc_fn(void);\n\nint misc_fn(void)\n{\n    return 2;\n}\n",
    # 601 lines, formatted
    "src/core/long.c": "".join(f"int v{i};\n" for i in range(601)),
    # exactly 600 lines: allowed
    "tools/t/at_limit.c": "".join(f"int w{i};\n" for i in range(600)),
    # clang-format would change it
    "src/core/ugly.c": "int ugly_fn( void ){return 0;}\n",
}
EXPECTED = {
    "cycle src/service/x.c -> src/service/y.c",
    "cycle src/service/y.c -> src/service/x.c",
    "layer src/formats/f.c -> src/service/s.c",
    "layer src/pipeline/p.c -> src/service/s.c",
    "layer src/misc/ has no rank",
    "long src/core/long.c",
    "format src/core/ugly.c",
}

# The simulation library on top of the core: sim -> service/formats/port is allowed, service -> sim
# is not (the core never calls the simulation).
SIM_SOURCES = {
    "src/service/s.c": "int svc_fn(void);\n\nint svc_fn(void)\n{\n    return 7;\n}\n",
    "src/port/pt.c": "int port_fn(void);\n\nint port_fn(void)\n{\n    return 3;\n}\n",
    "src/sim/sim.c": ("int svc_fn(void);\nint port_fn(void);\nint sim_fn(void);\n\nint sim_fn(void)\n{\n"
                      "    return svc_fn() + port_fn();\n}\n"),
    "src/sim/host/file.c": ("int sim_fn(void);\nint svc_fn(void);\nint file_fn(void);\n\nint file_fn(void)\n{\n"
                            "    return sim_fn() + svc_fn();\n}\n"),
    "src/service/usesim.c": "int sim_fn(void);\nint use_fn(void);\n\nint use_fn(void)\n{\n    return sim_fn();\n}\n",
}
SIM_EXPECTED = {"layer src/service/usesim.c -> src/sim/sim.c"}

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(tree, *extra):
    r = subprocess.run([sys.executable, SCRIPT, "--root", tree, "--build", os.path.join(tree, "build"),
                        "--baseline", os.path.join(tree, "baseline.txt")] + list(extra),
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def reported(out, tag):
    return {m.group(1) for m in re.finditer(r"^\[" + tag + r"\] (.+?)  \(", out, re.M)}


def make_tree(tree, sources):
    shutil.copy(os.path.join(ROOT, ".clang-format"), tree)
    for rel, text in sources.items():
        path = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
        if rel.startswith("src/"):
            obj = os.path.join(tree, "build", "CMakeFiles", "t.dir", rel + ".o")
            os.makedirs(os.path.dirname(obj), exist_ok=True)
            subprocess.run(["cc", "-c", "-O1", path, "-o", obj], check=True)


def main():
    for tool in ("cc", "nm", "clang-format"):
        if shutil.which(tool) is None:
            print(f"FAIL {tool} not found (scripts/install-deps.sh test installs it)")
            return 1
    with tempfile.TemporaryDirectory() as tree:
        make_tree(tree, SOURCES)

        code, out = run(tree)
        print(out)
        check(code == 1, "no baseline: exit 1")
        check(reported(out, "NEW") == EXPECTED, f"exactly the expected violations (the cycle as its two edges) are new: {sorted(reported(out, 'NEW'))}")
        check("closes src/service/x.c -> src/service/y.c -> src/service/x.c" in out, "the cycle's chain of files")
        check(re.search(r"^    src/service/x.c -> src/service/y.c: y_fn$", out, re.M) is not None and
              re.search(r"^    src/service/y.c -> src/service/x.c: x_fn$", out, re.M) is not None,
              "the cycle names the symbol of each edge")
        check("src/formats/f.c -> src/service/s.c: svc_fn" in out, "the upward edge names its symbol")
        check("601 lines" in out, "the long file's length is reported")

        code, out = run(tree, "--write-baseline")
        check(code == 0, "--write-baseline: exit 0")
        with open(os.path.join(tree, "baseline.txt")) as fh:
            entries = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
        check(len(entries) == 7 and all("  # " in ln for ln in entries), "baseline: seven entries, each with a note")

        code, out = run(tree)
        check(code == 0, "everything in the baseline: exit 0")
        check("7 baseline entries (7 remain, 0 stale)" in out, "the summary counts the remaining entries")

        # fixing a violation without removing its entry fails: the list can only shrink
        with open(os.path.join(tree, "src/core/ugly.c"), "w") as fh:
            fh.write("int ugly_fn(void)\n{\n    return 0;\n}\n")
        code, out = run(tree)
        check(code == 1 and "[STALE] format src/core/ugly.c" in out, "a fixed violation still in the baseline: exit 1")

        # a new violation beside the baselined ones fails
        with open(os.path.join(tree, "tools/t/at_limit.c"), "a") as fh:
            fh.write("int w600;\n")
        code, out = run(tree, "--no-format")
        check(code == 1 and "long tools/t/at_limit.c" in reported(out, "NEW"), "a new file over 600 lines: exit 1")

    with tempfile.TemporaryDirectory() as tree:
        make_tree(tree, SIM_SOURCES)
        code, out = run(tree)
        print(out)
        check(code == 1, "sim tree: the core calling the simulation fails")
        check(reported(out, "NEW") == SIM_EXPECTED,
              f"sim tree: only service -> sim is a violation (sim -> service, port and sim/host -> sim are not): "
              f"{sorted(reported(out, 'NEW'))}")
        check("src/service/usesim.c -> src/sim/sim.c: sim_fn" in out, "sim tree: the upward edge names its symbol")

    print(f"test_check_tree: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
