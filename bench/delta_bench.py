#!/usr/bin/env python3
"""Delta update figures (issue 13), printed as one table with the commands that made them.

    python3 bench/delta_bench.py [--build build/release] [--work DIR]

 1. patch size of `ota delta make` against the patches Espressif's generator (detools) made for
    the same pairs (../shared/testdata/delta): goal <= 1.05x;
 2. time and peak RSS of `ota delta make` for 2 MiB image pairs (/usr/bin/time -v): goal <= 2 s,
    <= 64 MiB;
 3. decoder RAM: sizeof(ota_delta_t) + the heatshrink window (bench/delta_bench): goal <= 2 KiB;
 4. host decode throughput of the applier, new-image bytes per second: goal >= 50 MB/s;
 5. device side: simulated flash time, bytes downloaded and service RAM of an app update with the
    patch (the delta stage in the app path) against the full image, same device (bench/ota_bench).

Needs a build without sanitizers (cmake -DCMAKE_BUILD_TYPE=Release; targets ota, delta_bench).
Python standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TESTDATA = os.path.join(os.path.dirname(ROOT), "shared", "testdata", "delta")
PAIRS = [  # old, Espressif's patch, new, esp header
    ("app_a.bin", "app_a_to_version.patch", "app_a_version.bin", True),
    ("app_a.bin", "app_a_to_edit.patch", "app_a_edit.bin", True),
    ("esp_test_base.bin", "esp_test_patch.bin", "esp_test_new.bin", False),
]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def timed(cmd):
    """Run under /usr/bin/time -v: (wall seconds, CPU seconds, max RSS KiB)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, check=True)
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    secs = (int(el.group(1) or 0) * 3600 + int(el.group(2)) * 60 + float(el.group(3)))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ("User", "System"))
    return secs, cpu, rss


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "release"))
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    ota = os.path.join(args.build, "tools", "ota", "ota")
    dbench = os.path.join(args.build, "bench", "delta_bench")
    for exe in (ota, dbench):
        if not os.access(exe, os.X_OK):
            sys.exit(f"delta_bench: {exe} missing (build targets ota and delta_bench)")
    work = args.work or tempfile.mkdtemp(prefix="delta-bench-")
    os.makedirs(work, exist_ok=True)
    rows = []

    print("1. patch size, ota delta make vs Espressif's generator (detools), same pairs")
    worst = 0.0
    for old, theirs, new, esp in PAIRS:
        out = os.path.join(work, theirs + ".ours")
        sh([ota, "delta", "make", "--esp-header" if esp else "--bare",
            os.path.join(TESTDATA, old), os.path.join(TESTDATA, new), out])
        ours, ref = os.path.getsize(out), os.path.getsize(os.path.join(TESTDATA, theirs))
        worst = max(worst, ours / ref)
        print(f"   {old} -> {new}: ours {ours} B, Espressif's {ref} B, ratio {ours / ref:.4f}")
    rows.append(("patch size vs detools (worst pair)", f"{worst:.4f}x", "<= 1.05x", worst <= 1.05))

    print("2. ota delta make on 2 MiB image pairs (/usr/bin/time -v)")
    a = os.path.join(work, "a2m.bin")
    b = os.path.join(work, "b2m.bin")
    c = os.path.join(work, "c2m.bin")
    sh([ota, "image", "make", "--version", "v2.0.0", "--project", "bench", "--size", "2M", a])
    sh([ota, "image", "make", "--version", "v2.0.1", "--project", "bench", "--size", "2M",
        "--time", "12:00:00", b])
    data = bytearray(open(b, "rb").read())
    for k in range(40):  # 40 "functions" changed, a 4 KiB block inserted
        off = 100000 + k * 45000
        data[off:off + 64] = bytes((x * 7 + k) & 0xFF for x in range(64))
    data[1000000:1000000] = bytes(range(256)) * 16
    open(c, "wb").write(data)
    worst_t, worst_rss = 0.0, 0
    for name, old, new in (("version string", a, b), ("40 edits + 4 KiB inserted", a, c)):
        patch = os.path.join(work, os.path.basename(new) + ".patch")
        cmd = [ota, "delta", "make", old, new, patch]
        secs, cpu, rss = timed(cmd)
        worst_t, worst_rss = max(worst_t, secs), max(worst_rss, rss)
        print(f"   {name}: {secs:.2f} s wall ({cpu:.2f} s CPU), {rss / 1024:.1f} MiB peak RSS, patch {os.path.getsize(patch)} B "
              f"({100 * os.path.getsize(patch) / os.path.getsize(new):.2f} % of {os.path.getsize(new)} B)")
        print(f"     $ /usr/bin/time -v {' '.join(cmd)}")
    rows.append(("make time, 2 MiB pair (worst)", f"{worst_t:.2f} s", "<= 2 s", worst_t <= 2.0))
    rows.append(("make peak RSS, 2 MiB pair (worst)", f"{worst_rss / 1024:.1f} MiB", "<= 64 MiB",
                 worst_rss <= 64 * 1024))

    print("3./4. decoder RAM and host decode throughput (bench/delta_bench, patch in memory)")
    results = []
    for old, patch, reps in ((a, os.path.join(work, "c2m.bin.patch"), 20),
                             (os.path.join(TESTDATA, "app_a.bin"), os.path.join(TESTDATA, "app_a_to_edit.patch"), 50)):
        cmd = [dbench, old, patch, str(reps)]
        r = json.loads(sh(cmd).stdout)
        results.append(r)
        print(f"   {os.path.basename(patch)}: {r['mb_per_s']:.1f} MB/s of new image "
              f"({r['new_bytes']} B in {r['seconds']:.3f} s); state {r['state_bytes']} B + window "
              f"{r['window_bytes']} B (+ {r['stack_buffers']} B stack while feeding)")
        print(f"     $ {' '.join(cmd)}")
    ram = results[0]["state_bytes"] + results[0]["window_bytes"]
    rows.append(("decoder RAM (state + window, 8/7)", f"{ram} B", "<= 2048 B", ram <= 2048))
    tput = min(r["mb_per_s"] for r in results)
    rows.append(("host decode throughput (worst)", f"{tput:.1f} MB/s", ">= 50 MB/s", tput >= 50))

    print("5. device side: one app update through the service (bench/ota_bench update, RAM flash with the")
    print("   emulator's W25Q32 timings), device running app_a.bin in ota_0: the patch against the full image")
    dev = os.path.join(work, "dev_app_a.bin")
    sh([ota, "flash", "create", dev])
    sh([ota, "partition", "write", dev, "ota_0", os.path.join(TESTDATA, "app_a.bin")])
    obench = os.path.join(args.build, "bench", "ota_bench")
    link = 1e6 / 8  # bytes per second of a 1 Mbit/s radio link, for the download time column
    for patch, new in (("app_a_to_version.patch", "app_a_version.bin"), ("app_a_to_edit.patch", "app_a_edit.bin")):
        got = {}
        for what, name in (("delta", patch), ("full", new)):
            cmd = [obench, "update", "--device", dev, "--running", "ota_0", "--uri",
                   "file://" + os.path.join(TESTDATA, name)]
            r = json.loads(sh(cmd).stdout)
            got[what] = r
            f = r["flash"]
            print(f"   {what:5} {name}: {r['bytes']} B downloaded ({r['bytes'] / link:.2f} s at 1 Mbit/s), "
                  f"{f['sim_ns'] / 1e9:.3f} s simulated flash time (read {f['read_bytes']} B, erase "
                  f"{f['erase_bytes']} B, program {f['program_bytes']} B), service RAM peak {r['ota_mem']['peak']} B")
            print(f"     $ {' '.join(cmd)}")
        d, fu = got["delta"], got["full"]
        dev_d = d["flash"]["sim_ns"] / 1e9 + d["bytes"] / link
        dev_f = fu["flash"]["sim_ns"] / 1e9 + fu["bytes"] / link
        print(f"   {patch}: downloads {d['bytes'] / fu['bytes']:.2%} of the full image; flash time "
              f"{d['flash']['sim_ns'] / fu['flash']['sim_ns']:.3f}x the full update's; flash + 1 Mbit/s link "
              f"{dev_d:.2f} s vs {dev_f:.2f} s")
        rows.append((f"delta/full bytes, {patch[6:-6]}", f"{d['bytes'] / fu['bytes']:.4f}", "", True))
        rows.append((f"delta/full device s, {patch[6:-6]}", f"{dev_d:.2f}/{dev_f:.2f}", "1 Mbit/s", True))

    print()
    print(f"| {'figure':<38} | {'measured':>12} | {'goal':>11} | met |")
    print(f"|{'-' * 40}|{'-' * 14}|{'-' * 13}|-----|")
    for name, value, goal, ok in rows:
        print(f"| {name:<38} | {value:>12} | {goal:>11} | {'yes' if ok else 'NO':<3} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
