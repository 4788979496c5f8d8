"""Section 7 of `make bench`: delta updates (issue 13).

Called by bench.py (`run(b)` with its Bench object); adds rows to the one table, details and
commands. Python standard library only. What it measures:

 1. patch size of `ota delta make` against the patches Espressif's generator (detools) made for the
    same pairs (../shared/testdata/delta): goal <= 1.05x per pair;
 2. release pairs built here with `ota image make` (a 2 MiB app rebuilt with a new version string;
    the same with four functions rewritten, checksum and SHA-256 fixed so the image is valid): our
    patch size. detools is not run on them: it is not packaged in Debian (bookworm) and this machine
    reaches nothing but 127.0.0.1, so there is no detools figure to compare with;
 3. time and peak RSS of `ota delta make` for those 2 MiB pairs (/usr/bin/time -v, median of 3):
    goal <= 2 s, <= 64 MiB;
 4. decoder RAM: sizeof(ota_delta_t) + the heatshrink window (bench/delta_bench): goal <= 2 KiB;
 5. host decode throughput of the applier, new-image bytes per CPU second: goal >= 50 MB/s;
 6. device side: simulated flash time, bytes downloaded and service RAM of an app update with the
    patch (the delta stage in the app path) against the full image, same device (bench/ota_bench).
"""
import hashlib
import os
import re
import statistics
import struct
import subprocess

import bench as h

SEC = "7 delta"
PAIRS = [  # old, Espressif's patch, new, esp header
    ("app_a.bin", "app_a_to_version.patch", "app_a_version.bin", True),
    ("app_a.bin", "app_a_to_edit.patch", "app_a_edit.bin", True),
    ("esp_test_base.bin", "esp_test_patch.bin", "esp_test_new.bin", False),
]
LINK = 1e6 / 8  # bytes per second of a 1 Mbit/s radio link, for the download-time column


def timed(b, cmd, kind):
    """Run under /usr/bin/time -v: (wall seconds, CPU seconds, max RSS KiB)."""
    b.rec.note(kind, ["/usr/bin/time", "-v"] + cmd)
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=b.rec.env)
    if p.returncode != 0:
        h.die(f"{' '.join(cmd)} exited {p.returncode}: {p.stderr[-1500:]}")
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    secs = int(el.group(1) or 0) * 3600 + int(el.group(2)) * 60 + float(el.group(3))
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    cpu = sum(float(re.search(rf"{k} time \(seconds\): ([\d.]+)", p.stderr).group(1)) for k in ("User", "System"))
    return secs, cpu, rss


def edit_functions(data, edits):
    """Rewrite `edits` (where in the largest segment's data, as a fraction of it; length) of an ESP app image in place,
    as a rebuild with a few functions changed would, then fix the XOR checksum and the appended
    SHA-256 so the image stays valid (esptool's format: 24-byte header, segments of 8-byte header +
    data, zero padding to 16 with the checksum in the last byte, SHA-256 of all that)."""
    data = bytearray(data)
    off, segs = 24, []
    for _ in range(data[1]):
        _, ln = struct.unpack_from("<II", data, off)
        segs.append((off + 8, ln))
        off += 8 + ln
    ck = off + 15 - off % 16
    start, ln = max(segs, key=lambda s: s[1])
    for k, (frac, n) in enumerate(edits):
        at = int(frac * (ln - n))
        for i in range(n):
            data[start + at + i] = (data[start + at + i] * 5 + 17 * k + i) & 0xFF
    x = 0xEF
    for s, n in segs:
        for byte in data[s:s + n]:
            x ^= byte
    data[ck] = x
    if data[23] == 1:
        data[ck + 1:ck + 33] = hashlib.sha256(bytes(data[:ck + 1])).digest()
    return bytes(data)


def run(b):
    ota, r = b.ota, b.rec
    td = os.path.join(b.testdata, "delta")
    dbench = os.path.join(b.build, "bench", "delta_bench")
    work = os.path.join(b.work, "delta")
    os.makedirs(work, exist_ok=True)
    lines = ["| pair | new image | our patch | Espressif's (detools) patch | ratio |", "|---|---:|---:|---:|---:|"]

    # 1. the testdata pairs against Espressif's patches
    for old, theirs, new, esp in PAIRS:
        out = os.path.join(work, theirs + ".ours")
        r.run([ota, "delta", "make", "--esp-header" if esp else "--bare", os.path.join(td, old),
               os.path.join(td, new), out], "delta make (testdata pair)")
        back = out + ".applied"
        r.run([ota, "delta", "apply"] + ([] if esp else ["--bare"]) + [os.path.join(td, old), out, back],
              "delta apply (round trip)")
        with open(back, "rb") as f1, open(os.path.join(td, new), "rb") as f2:
            if f1.read() != f2.read():
                h.die(f"ota delta apply of our {old} -> {new} patch does not give {new}")
        ours, ref = os.path.getsize(out), os.path.getsize(os.path.join(td, theirs))
        ratio = ours / ref
        b.row(SEC, f"patch size, {old} → {new} (testdata), `ota delta make` vs Espressif's {theirs}",
              f"{h.fmt_int(ours)} B", f"detools: {h.fmt_int(ref)} B", f"{ratio:.3f}×", "≤ 1.05×",
              "met" if ratio <= 1.05 else "MISSED")
        if ratio > 1.05:
            b.misses.append(("delta_size", (old, new, ratio)))
        lines.append(f"| {old} → {new} | {h.fmt_int(os.path.getsize(os.path.join(td, new)))} B | {h.fmt_int(ours)} B "
                     f"| {h.fmt_int(ref)} B | {ratio:.3f}× |")

    # 2./3. release pairs built with our own `ota image make`, 2 MiB
    a = os.path.join(work, "rel_v2.0.0.bin")
    v = os.path.join(work, "rel_v2.0.1.bin")
    f = os.path.join(work, "rel_v2.0.1_edit.bin")
    s = os.path.join(work, "rel_v2.0.1_insert.bin")
    r.run([ota, "image", "make", "--version", "v2.0.0", "--project", "bench", "--size", "2M", a],
          "delta setup: release image")
    r.run([ota, "image", "make", "--version", "v2.0.1", "--project", "bench", "--size", "2M", v])
    with open(v, "rb") as fh:
        vdata = fh.read()
    edits = [(0.02, 300), (0.25, 180), (0.55, 420), (0.9, 250)]
    with open(f, "wb") as fh:
        fh.write(edit_functions(vdata, edits))
    r.run([ota, "image", "info", f], "delta setup: the edited image is valid")
    data = bytearray(vdata)  # a stress pair for the matcher: 40 scattered edits and 4 KiB inserted
    for k in range(40):
        off = 100_000 + k * 45_000
        data[off:off + 64] = bytes((x * 7 + k) & 0xFF for x in range(64))
    data[1_000_000:1_000_000] = bytes(range(256)) * 16
    with open(s, "wb") as fh:
        fh.write(data)
    rel = (("2 MiB app, new version string (v2.0.0 → v2.0.1)", v),
           (f"2 MiB app, new version string + {len(edits)} functions rewritten "
            f"({', '.join(str(n) for _, n in edits)} B)", f),
           ("2 MiB, 40 scattered 64 B edits + 4 KiB inserted (not a valid image: the matcher's stress case)", s))
    worst_t = worst_rss = 0
    reps = 1 if b.quick else 3
    for label, new in rel:
        patch = new + ".patch"
        runs = [timed(b, [ota, "delta", "make", a, new, patch], "delta make (2 MiB, timed)") for _ in range(reps)]
        wall = statistics.median(x[0] for x in runs)
        cpu = statistics.median(x[1] for x in runs)
        rss = max(x[2] for x in runs)
        worst_t, worst_rss = max(worst_t, wall), max(worst_rss, rss)
        r.run([ota, "delta", "apply", a, patch, patch + ".applied"], "delta apply (round trip)")
        with open(patch + ".applied", "rb") as f1, open(new, "rb") as f2:
            if f1.read() != f2.read():
                h.die(f"ota delta apply does not reproduce {new}")
        size, nsz = os.path.getsize(patch), os.path.getsize(new)
        b.row(SEC, f"patch size, {label}", f"{h.fmt_int(size)} B ({100 * size / nsz:.2f}% of the image)",
              "detools: not available here", "", "≤ 1.05× detools", "not compared")
        # the verdict is on wall-clock time, as the goal states it; the CPU time is printed next to it
        # because on the shared machine the wall clock also counts waiting for a core
        ok = wall <= 2.0 and rss <= 64 * 1024
        b.row(SEC, f"`ota delta make` time / peak RSS, {label} (/usr/bin/time -v, median of {reps})",
              f"{wall:.2f} s wall ({cpu:.2f} s CPU) / {rss / 1024:.1f} MiB", "", "",
              "≤ 2 s / ≤ 64 MiB", "met" if ok else
              ("MISSED (wall clock; CPU time within)" if cpu <= 2.0 and rss <= 64 * 1024 else "MISSED"))
        if wall > 2.0 or rss > 64 * 1024:
            b.misses.append(("delta_make", (label, wall, cpu, rss)))
        lines.append(f"| {label} | {h.fmt_int(nsz)} B | {h.fmt_int(size)} B | not available (detools is not "
                     "packaged in Debian; no network) | — |")
    b.delta = {"worst_make_s": worst_t, "worst_make_rss_kib": worst_rss}

    # 4./5. decoder RAM and host decode throughput
    results = []
    for old, patch, reps in ((a, f + ".patch", 20), (a, s + ".patch", 20),
                             (os.path.join(td, "app_a.bin"), os.path.join(td, "app_a_to_edit.patch"), 50)):
        reps = reps if not b.quick else 5
        res = r.jsonl([dbench, old, patch, str(reps)], "delta_bench")[0]
        results.append((os.path.basename(patch), res, reps))
    res0 = results[0][1]
    ram = res0["state_bytes"] + res0["window_bytes"]
    b.row(SEC, "decoder RAM: sizeof(ota_delta_t) + heatshrink window (2^8)", f"{h.fmt_int(ram)} B",
          f"+ {res0['stack_buffers']} B of stack while feeding", f"{ram / 2048:.2f}× limit", "≤ 2 KiB",
          "met" if ram <= 2048 else "MISSED")
    for name, res, reps in results:
        b.row(SEC, f"host decode throughput, {name} (bench/delta_bench, patch in memory, thread CPU time)",
              f"{res['mb_per_s']:.0f} MB/s", f"{h.fmt_int(res['new_bytes'] // reps)} B of new image, decoded "
              f"{reps} times", "",
              "≥ 50 MB/s", "met" if res["mb_per_s"] >= 50 else "MISSED")
        if res["mb_per_s"] < 50:
            b.misses.append(("delta_tput", (name, res)))

    # 6. device side: the delta update against the full one, same device running app_a.bin
    dev = os.path.join(work, "dev_app_a.bin")
    r.run([ota, "flash", "create", dev], "delta setup: device")
    r.run([ota, "partition", "write", dev, "ota_0", os.path.join(td, "app_a.bin")], "delta setup: base app")
    heaps = []
    for patch, new in (("app_a_to_version.patch", "app_a_version.bin"), ("app_a_to_edit.patch", "app_a_edit.bin")):
        got = {}
        for what, name in (("delta", patch), ("full", new)):
            cmd = [b.ob, "update", "--device", dev, "--running", "ota_0", "--uri", "file://" + os.path.join(td, name)]
            got[what] = r.jsonl(cmd, "ota_bench update (delta / full)")[0]
        d, fu = got["delta"], got["full"]
        dev_d = d["flash"]["sim_ns"] / 1e9 + d["bytes"] / LINK
        dev_f = fu["flash"]["sim_ns"] / 1e9 + fu["bytes"] / LINK
        heaps.append((d["ota_mem"]["peak"], fu["ota_mem"]["peak"]))
        b.row(SEC, f"device: {new} from app_a.bin as a delta update vs the full image (ota_bench, RAM flash, "
              "W25Q32 timings)", f"{h.fmt_int(d['bytes'])} B downloaded, {d['flash']['sim_ns'] / 1e9:.3f} s "
              f"flash, service heap {h.fmt_int(d['ota_mem']['peak'])} B",
              f"full: {h.fmt_int(fu['bytes'])} B, {fu['flash']['sim_ns'] / 1e9:.3f} s, heap "
              f"{h.fmt_int(fu['ota_mem']['peak'])} B",
              f"{d['bytes'] / fu['bytes']:.3f}× bytes; with a 1 Mbit/s link {dev_d:.2f} s vs {dev_f:.2f} s", "", "")
    dh, fh = max(heaps)
    b.notes_new.append(
        f"Delta updates (section 7): `ota delta make` on the 2 MiB pairs took at most {worst_t:.2f} s of wall-clock "
        f"time and {worst_rss / 1024:.1f} MiB peak RSS (goal ≤ 2 s, ≤ 64 MiB; the CPU time, printed next to it, is what "
        "the tool costs, the wall clock adds the wait for a core on the shared machine). The device-side rows "
        "count the simulated flash time of the W25Q32 model plus the download at 1 Mbit/s; a delta update reads the "
        "running app back from flash as it decodes, hence its flash time is a little above the full update's. The "
        f"service's heap during a delta update is {h.fmt_int(dh)} B against {h.fmt_int(fh)} B for the full image: "
        "the delta stage (decoder state and window, within its ≤ 2 KiB goal, plus its buffers) comes on top of the "
        "service's budget.")
    b.details.append(("Delta patch sizes (issue 13)", "\n".join(lines) + "\n\n" +
                      "detools (Espressif's generator behind esp_delta_ota_patch_gen.py) is on PyPI but not "
                      "packaged in Debian bookworm, and this machine reaches only 127.0.0.1, so it is not run "
                      "here: the testdata rows compare with the patches Espressif made, the release pairs built "
                      "here have no detools figure. Every patch of ours is applied back with `ota delta apply` "
                      "and compared byte for byte."))
