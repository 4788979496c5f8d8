#!/usr/bin/env python3
"""tests/unit/<dir> mirrors src/<layer> (docs/CONVENTIONS.md "Tests"): the test of a module sits
in the folder of the module's layer, so a newcomer finds it next to its layer.

Every folder directly under tests/unit/ must be a folder of src/, or one of the layers colleagues
are creating this round (sim: host-only simulation, issue 21 §3; pipeline: issue 21 §1). Under
tests/unit/port/, every folder must be a port of src/port/. Every folder holding tests registers
them (has a CMakeLists.txt).

usage: check_unit_layout.py ROOT    exit 0 ok, 1 a folder that is no layer (listed on stderr)
"""
import os
import sys

# layers that have their tests before (or while) their src/ folder comes in
PLANNED = {"sim", "pipeline"}


def subdirs(path):
    if not os.path.isdir(path):
        return set()
    return {d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)) and not d.startswith((".", "_"))}


def check(root):
    """Returns the list of problems (empty: the layout mirrors src/)."""
    problems = []
    unit = os.path.join(root, "tests", "unit")
    layers = subdirs(os.path.join(root, "src")) | PLANNED
    ports = subdirs(os.path.join(root, "src", "port"))
    for d in sorted(subdirs(unit)):
        if d not in layers:
            problems.append(f"tests/unit/{d}/: no layer src/{d}/ (layers: {', '.join(sorted(layers))})")
            continue
        if not os.path.exists(os.path.join(unit, d, "CMakeLists.txt")):
            problems.append(f"tests/unit/{d}/: no CMakeLists.txt registering its tests")
    for p in sorted(subdirs(os.path.join(unit, "port"))):
        if p not in ports:
            problems.append(f"tests/unit/port/{p}/: no port src/port/{p}/ (ports: {', '.join(sorted(ports))})")
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    problems = check(argv[1])
    for p in problems:
        print(f"check_unit_layout: {p}", file=sys.stderr)
    if not problems:
        print("check_unit_layout: every tests/unit/<dir> is a layer of src/ (or a planned one)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
