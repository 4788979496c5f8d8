#!/usr/bin/env python3
"""Every code of include/ota/ota_err.h is returned somewhere (issue 12 point 7).

A code that no code path returns is a promise the library does not keep: a caller writes a
branch for it that never runs. This fails when a code is referenced by no C source or internal
header under src/, tools/ or examples/ (ota_err.h and src/core/err.c, which only list the codes,
do not count; nor do the public headers' comments or the tests). Codes kept for a documented
reason are in ALLOWED below, each with that reason.

Usage: check_err_codes_used.py REPO_ROOT
"""
import pathlib
import re
import sys

# Codes with no return path in this tree, kept on purpose.
ALLOWED = {
    # The rejection code for a custom ota_verifier_t (ota_verifier.h): user code returns it,
    # the library only passes it on (tests/unit/service/test_path.c uses it that way).
    "OTA_ERR_IMG_SIGNATURE": "returned by user verifiers (ota_verifier.h)",
}


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    header = (root / "include/ota/ota_err.h").read_text()
    codes = re.findall(r"^\s*X\((OTA_\w+),\s*(-?\d+)", header, re.M)
    if len(codes) < 50:
        print(f"only {len(codes)} codes parsed from ota_err.h: parser broken?")
        return 1
    texts = []
    for sub in ("src", "tools", "examples"):
        for path in (root / sub).rglob("*"):
            if path.suffix in (".c", ".h") and path.name != "err.c" and path.is_file():
                texts.append(path.read_text(errors="replace"))
    blob = "\n".join(texts)
    used = set(re.findall(r"\bOTA_(?:OK|ERR_\w+)\b", blob))
    bad = []
    for name, value in codes:
        if name == "OTA_OK" or name in used:
            if name in ALLOWED:
                bad.append(f"{name} ({value}) is allow-listed but now used: drop it from ALLOWED")
            continue
        if name not in ALLOWED:
            bad.append(f"{name} ({value}) is never returned: use it, remove it, or allow-list it with a reason")
    for name in ALLOWED:
        if name not in dict(codes):
            bad.append(f"{name} is allow-listed but not in ota_err.h")
    for line in bad:
        print(line)
    print(f"{len(codes)} codes, {len(ALLOWED)} allow-listed, {len(bad)} problem(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
