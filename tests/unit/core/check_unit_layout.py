#!/usr/bin/env python3
"""tests/unit/<dir> mirrors src/<layer> (docs/CONVENTIONS.md "Tests"): the test of a module sits
in the folder of the module's layer, so a newcomer finds it next to its layer.

Every folder directly under tests/unit/ must be a folder of src/, or tests/unit/cli/ for the CLI's
own modules (tools/ota/: its output layer). Under
tests/unit/port/, every folder must be a port of src/port/. Every folder holding tests registers
them (has a CMakeLists.txt).

usage: check_unit_layout.py ROOT    exit 0 ok, 1 a folder that is no layer (listed on stderr)
"""
import os
import sys

# test folders of code outside src/: the CLI (tools/ota)
OUTSIDE_SRC = {"cli": os.path.join("tools", "ota")}


def subdirs(path):
    if not os.path.isdir(path):
        return set()
    return {d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d)) and not d.startswith((".", "_"))}


def check(root):
    """Returns the list of problems (empty: the layout mirrors src/)."""
    problems = []
    unit = os.path.join(root, "tests", "unit")
    layers = subdirs(os.path.join(root, "src")) | {d for d, path in OUTSIDE_SRC.items()
                                                   if os.path.isdir(os.path.join(root, path))}
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
        print("check_unit_layout: every tests/unit/<dir> is a layer of src/ (or tests/unit/cli/ of tools/ota)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
