#!/usr/bin/env python3
"""The `ota` CLI links nothing from examples/ (issue 21 §3): examples/ are programs over the
libraries, not code the libraries' users link. Reads the link closure of the `ota` target that
tests/unit/core/CMakeLists.txt writes at configure time (each target `ota` links, transitively:
the folder it is defined in and its sources) and fails on any of them under examples/.

Usage: check_cli_links.py SOURCE_DIR CLOSURE_FILE"""
import os
import sys


def main():
    root, closure = sys.argv[1], sys.argv[2]
    examples = os.path.join(os.path.realpath(root), "examples") + os.sep
    targets, bad = [], []
    with open(closure) as f:
        for line in f:
            kind, target, path = line.rstrip("\n").split(" ", 2)
            if kind == "target":
                targets.append(target)
            if os.path.realpath(path).startswith(examples) or os.path.realpath(path) + os.sep == examples:
                bad.append("%s %s: %s" % (kind, target, os.path.relpath(path, root)))
    if "ota" not in targets or "otaservice" not in targets:
        print("FAIL: the closure does not hold ota and otaservice: %s" % ", ".join(targets))
        return 1
    for b in bad:
        print("FAIL: the CLI links examples/: " + b)
    print("ota links %d targets (%s): %s" % (len(targets), ", ".join(targets),
                                             "none from examples/" if not bad else "%d from examples/" % len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
