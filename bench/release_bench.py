"""Section 8 of `make bench`: a release installed as one (include/ota/ota_release.h).

Called by bench.py (`run(b)` with its Bench object); adds rows to the one table, details and
commands. Python standard library only. What it measures:

 1. device time (the emulator's W25Q32 model, the same as section 4) of a release of a 1 MiB app,
    the tone image and a second data partition installed by ota_service_set_release + ota_service_run
    (`ota_bench release`): every flash operation charged to the partition it addresses, so each
    item's cost is the operations on the partition it was written to (its OTA slot, its data twin),
    and the release's own records are the otadata operations;
 2. against the floor: each item's bytes written once on the same partition (cheapest erase cover
    of the item + page programs, no reads; bench_devtime.c floor_strategy): goal data items
    <= 2.10x (a copy staged elsewhere and copied into place would write twice);
 3. against today's update of the same item alone (ESP-ADF's example list, `ota run`'s
    procedures), same device: goal app item unchanged;
 4. a data-only release of a small item (18% of its twin): where the ratio to the floor stands when a
    twin full of older bytes is erased to its end, and the threshold the timing model gives;
 5. the flash the mechanism needs per partition table (`ota_bench space`): one twin per data
    partition a release can name, from the CSVs of the shared testdata (each checked against the
    .bin gen_esp32part.py made from it) and the ESP-IDF example's table.
"""
import glob
import hashlib
import os
import re
import struct

import bench as h

SEC = "8 release"
# The release device: the ESP-ADF example's partitions, each data partition with its twin, and a
# second data partition (a DSP firmware blob, as ESP-ADF's korvo_du1906 board's dsp_bin) with its
# twin; 8 MiB of flash (with the twins the example's table no longer fits 4 MiB: see the space table).
TABLE = """# Name,     Type, SubType, Offset,  Size, Flags
nvs,          data, nvs,     0x9000,  0x4000,
otadata,      data, ota,     0xd000,  0x2000,
phy_init,     data, phy,     0xf000,  0x1000,
ota_0,        app,  ota_0,   0x10000, 1M,
ota_1,        app,  ota_1,   ,        1M,
flash_tone,   data, 0xff,    ,        1M,
flash_tone_b, data, 0xff,    ,        1M,
dsp_bin,      data, 36,      ,        512K,
dsp_bin_b,    data, 36,      ,        512K,
"""
DSP_OLD, DSP_NEW, DSP_SMALL = 300_000, 384_000, 96_000
LIMIT_DATA = 2.10
FLASH_SIZES = [m * h.MIB for m in (1, 2, 4, 8, 16, 32, 64, 128)]


def blob(path, n, seed, major):
    """n reproducible bytes of a raw data image with ESP-ADF's 4-byte packed semver header (major.0.0,
    little-endian (major << 16): esp_ota_service_version_pack_semver), which is not a tone image."""
    out, i = bytearray(struct.pack("<I", major << 16)), 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}:{i}".encode()).digest()
        i += 1
    with open(path, "wb") as f:
        f.write(out[:n])


def secs(ns):
    return f"{ns / 1e9:.3f} s"


def run(b):
    ota, r = b.ota, b.rec
    work = os.path.join(b.work, "release")
    os.makedirs(work, exist_ok=True)
    table = os.path.join(work, "table_release.csv")
    with open(table, "w") as f:
        f.write(TABLE)
    dev = os.path.join(work, "dev8r.pristine.bin")
    r.run([ota, "flash", "create", "--table", table, "--size", "8MB", dev], "release setup: device")
    # the release the device runs: an app in ota_0 (booted), a tone image and a DSP blob in place
    old_app, old_dsp = os.path.join(work, "app_1.0.0.bin"), os.path.join(work, "dsp_old.bin")
    r.run([ota, "image", "make", "--version", "1.0.0", "--project", "bench", "--size", "256K", "--seed", "50",
           old_app], "release setup: image")
    blob(old_dsp, DSP_OLD, "old", 1)
    for label, path in (("ota_0", old_app), ("flash_tone", os.path.join(b.testdata, "esp-adf", "tone_fmt1_mixer.bin")),
                        ("dsp_bin", old_dsp)):
        r.run([ota, "partition", "write", dev, label, path], "release setup: partition write")
    r.run([ota, "boot", dev], "release setup: boot")
    with open(dev + ".state") as f:
        if "running=ota_0" not in f.read():
            h.die("the release device did not boot ota_0")
    # the new release: a 1 MiB app (the size of section 4's app row), the tone image of section 4,
    # a new DSP blob; the manifest names them by absolute file:// URIs
    app, tone, dsp = (os.path.join(work, n) for n in ("app_2.0.0.bin", "flash_tone_fmt0.bin", "dsp_new.bin"))
    r.run([ota, "image", "make", "--version", "2.0.0", "--project", "bench", "--size", str(h.MIB), "--seed", "51",
           app], "release setup: image")
    with open(b.tone, "rb") as src, open(tone, "wb") as dst:
        dst.write(src.read())
    blob(dsp, DSP_NEW, "new", 2)
    manifest = os.path.join(work, "release.json")
    r.run([ota, "release", "make", "--sequence", "1", "--app", app, "--data", f"flash_tone={tone}",
           "--data", f"dsp_bin={dsp}", "--data-version", "flash_tone=2.0.0",
           "--data-version", "dsp_bin=header", "--uri-base", f"file://{work}/",
           manifest], "release setup: manifest")
    ob = os.path.join(b.build, "bench", "ota_bench")
    out = r.jsonl([ob, "release", "--device", dev, "--running", "ota_0", manifest], "ota_bench release")
    report(b, out)
    check_rows(b, out)
    # a data-only release of a small item (its COMMIT record is the commit point): where the floor
    # ratio stands when the item fills little of a twin full of older bytes
    small = os.path.join(work, "dsp_small.bin")
    blob(small, DSP_SMALL, "small", 2)
    manifest2 = os.path.join(work, "release_data_only.json")
    r.run([ota, "release", "make", "--sequence", "1", "--data", f"dsp_bin={small}", "--data-version", "dsp_bin=header",
           "--uri-base", f"file://{work}/", manifest2], "release setup: manifest (data only)")
    out2 = r.jsonl([ob, "release", "--device", dev, "--running", "ota_0", manifest2], "ota_bench release (data only)")
    small_rows(b, out2, out)
    tables = sorted(p for p in glob.glob(os.path.join(b.testdata, "partitions", "*.csv")))
    tables += [os.path.join(b.testdata, "esp-adf", "du1906_partitions.csv"),
               os.path.join(h.ROOT, "examples", "esp-idf", "ota_example", "partitions.csv")]
    space(b, r.jsonl([ob, "space", *tables], "ota_bench space"))


def report(b, out):
    ops = {}  # run -> label -> record
    for x in (x for x in out if x["cmd"] == "release_ops"):
        ops.setdefault(x["run"], {})[x["label"]] = x
    floors = {(x["item"], x["cover"]): x for x in out if x["cmd"] == "release_floor"}
    items = [(x["item"], x) for x in out if x["cmd"] == "release_floor" and x["cover"] == "item"]
    rel = ops.get("release")
    zero = {"sim_ns": 0, "sector_erases": 0, "block_erases": 0, "program_pages": 0, "read_bytes": 0,
            "program_ops": 0, "read_ops": 0, "erase_bytes": 0, "program_bytes": 0}

    def on(run, label):
        return ops.get(run, {}).get(label, {"flash": zero})["flash"]

    b.release = {"ops": ops, "floors": floors}
    floor_sum = sum(f["flash"]["sim_ns"] for _, f in items)
    data_ns = 0
    for item, f in items:
        fl, whole = f["flash"]["sim_ns"], floors[(item, "partition")]["flash"]["sim_ns"]
        single_run = "single:app" if f["type"] == "app" else f"single:{item}"
        single_label = f["target"] if f["type"] == "app" else item
        single = on(single_run, single_label)["sim_ns"]
        what = (f"1 MiB app item → {f['target']}" if f["type"] == "app" else
                f"data item {item} ({h.fmt_int(f['bytes'])} B) → its twin {f['target']} "
                f"({h.size_name(f['target_size'])})")
        if rel is None:
            b.row(SEC, f"release (app + 2 data items): {what}", "not measured: ota_service_set_release is not "
                  "in this build", f"floor {secs(fl)}; the item alone today {secs(single)}", "",
                  "≤ 2.10×" if f["type"] == "data" else "unchanged (≤ 1.000×)", "not measured")
            continue
        got = on("release", f["target"])["sim_ns"]
        if f["type"] == "data":
            data_ns += got
            ratio = got / fl
            prev = on("release:previous", f["target"])["sim_ns"]
            for ns, state in ((got, "the twin full of older bytes (worst case)"),
                              (prev, "the twin holding the previous release's item, erased after it")):
                ratio = ns / fl
                b.row(SEC, f"release (app + 2 data items): {what}, device time on the twin, {state}", secs(ns),
                      f"floor (the item written once) {secs(fl)}", f"{ratio:.3f}×", "≤ 2.10×",
                      "met" if ratio <= LIMIT_DATA else "MISSED")
                if ratio > LIMIT_DATA:
                    b.misses.append(("release_data", (item, ratio)))
            b.row(SEC, f"… the same item updated alone today (the default data procedure into {item} itself, "
                  "which holds the running release's item)", secs(single),
                  f"floor with the partition's stale rest erased {secs(whole)}",
                  f"release (previous item in the twin) {prev / single:.3f}× today", "", "")
        else:
            ratio = got / single
            b.row(SEC, f"release (app + 2 data items): {what}, device time on the slot", secs(got),
                  f"today's app update, same device: {secs(single)} (floor {secs(fl)})", f"{ratio:.3f}×",
                  "unchanged (≤ 1.000×)", "met" if got <= single else "MISSED")
            if got > single:
                b.misses.append(("release_app", (got, single)))
    if rel is None:
        b.notes_new.append("**Release device time not measured**: this build has no ota_service_set_release "
                           "(the engine side of include/ota/ota_release.h is not merged); the floors and "
                           "today's single-item updates are.")
    else:
        summary_rows(b, ops, on, rel, data_ns, floor_sum)
    details(b, ops, floors, items)
    if rel is not None:
        notes(b, ops, floors, items)


def small_rows(b, out, main_out):
    """The data-only release of a small item: device time on the twin against the item written once."""
    ops = {}
    for x in (x for x in out if x["cmd"] == "release_ops"):
        ops.setdefault(x["run"], {})[x["label"]] = x["flash"]
    f = next(x for x in out if x["cmd"] == "release_floor" and x["cover"] == "item")
    fl = f["flash"]["sim_ns"]
    what = (f"data-only release, a small item: {f['item']} ({h.fmt_int(f['bytes'])} B, "
            f"{100 * f['bytes'] / f['target_size']:.0f}% of its twin) → {f['target']}")
    for run, state in (("release", "the twin full of older bytes (worst case)"),
                       ("release:previous", "the twin holding the previous release's item, erased after it")):
        if run not in ops:
            continue
        ratio = ops[run][f["target"]]["sim_ns"] / fl
        b.row(SEC, f"{what}, device time on the twin, {state}", secs(ops[run][f["target"]]["sim_ns"]),
              f"floor (the item written once) {secs(fl)}", f"{ratio:.3f}×", "≤ 2.10×",
              "met" if ratio <= LIMIT_DATA else "MISSED")
        if ratio > LIMIT_DATA:
            b.misses.append(("release_data", (f["item"], ratio)))
    if "release" in ops:
        od = ops["release"].get("otadata", {"sim_ns": 0, "program_pages": 0, "sector_erases": 0})
        b.row(SEC, "data-only release: otadata (BEGIN and COMMIT records; no switch)", secs(od["sim_ns"]),
              f"{od['program_pages']} page programs, {od['sector_erases']} sector erases", "", "", "")
    for x in (x for x in out if x["cmd"] == "release_check" and x["run"] == "release"):
        b.row(SEC, "data-only release (twin full of older bytes), then a restart: the device runs the new release",
              f"yes (booted {x['booted']}, sequence {x['sequence']})" if x["ok"] else f"no: {x['why']}", "", "",
              "installed as one", "met" if x["ok"] else "MISSED")
        if not x["ok"]:
            b.misses.append(("release_check", x))
    # where the worst case crosses the goal, from the timing model: per 64 KiB of twin a block erase E,
    # per 64 KiB of item 256 page programs W; twin P, item n: (E P + W n) / ((E + W) n) <= L
    t = f["timing"]
    e, w = t["block_erase_us"], 256 * t["page_program_us"]
    frac = e / (LIMIT_DATA * (e + w) - w)
    b.notes_new.append(
        f"Release data items and stale twins (section 8): a release's data item erases only what its bytes need in "
        f"the twin (the manifest binds its size; the twin's older bytes after the item stay, docs/releases.md "
        f"\"Installed as one\"), so the ratio to the item written once does not depend on how much of the twin the "
        f"item fills: the data-only release of {h.fmt_int(f['bytes'])} B into {h.size_name(f['target_size'])} costs "
        f"the same with the twin full of older bytes as with the twin holding the previous release's item (here "
        f"{h.fmt_int(DSP_OLD)} B). Today's data update of a partition erases it to its end, as ESP-ADF does; from "
        f"the timing model (block erase {e / 1000:.0f} ms per 64 KiB, {w / 1000:.1f} ms of page programs per "
        f"64 KiB) that would keep the goal of {LIMIT_DATA:.2f}× only while the item fills at least {100 * frac:.0f}% "
        f"of its twin.")


def check_rows(b, out):
    """After each release run ota_bench boots the device (not counted): it must run the new release."""
    for x in (x for x in out if x["cmd"] == "release_check"):
        state = "twins full of older bytes" if x["run"] == "release" else "twins holding the previous items"
        b.row(SEC, f"release ({state}), then a restart: the device runs the new release (booted slot, "
              "ota_release_installed(), each label's partition = the twin holding the item's SHA-256)",
              f"yes (booted {x['booted']}, sequence {x['sequence']})" if x["ok"] else f"no: {x['why']}", "", "",
              "installed as one", "met" if x["ok"] else "MISSED")
        if not x["ok"]:
            b.misses.append(("release_check", x))
    bad = [x for x in out if x["cmd"] == "release_check" and not x["ok"]]
    if bad:
        b.notes_new.append(f"**The release is not installed as one after the restart** (section 8): {bad[0]['why']}. "
                           "The items were written where the release puts them (ota_bench checks each target's "
                           "SHA-256), but the device does not resolve its data to them: the device-time rows count "
                           "the item writes, not a committed release.")


def summary_rows(b, ops, on, rel, data_ns, floor_sum):
    total = rel["(total)"]["flash"]["sim_ns"]
    od_rel, od_app = on("release", "otadata"), on("single:app", "otadata")
    b.row(SEC, "release (app + 2 data items): otadata (BEGIN and COMMIT records, the switch)", secs(od_rel["sim_ns"]),
          f"today's app update: {secs(od_app['sim_ns'])}", f"+{(od_rel['sim_ns'] - od_app['sim_ns']) / 1e6:.1f} ms",
          "", "")
    app_whole = total - data_ns
    single_app_total = ops["single:app"]["(total)"]["flash"]["sim_ns"]
    sec4 = getattr(b, "dev_results", {}).get("1 MiB app")
    sec4 = f" (section 4's app row: {secs(sec4[0]['service']['flash']['sim_ns'])})" if sec4 else ""
    b.row(SEC, "release (app + 2 data items): everything but the data items (app slot, otadata, reads of the "
          "running app)", secs(app_whole), f"today's whole app update: {secs(single_app_total)}{sec4}",
          f"{app_whole / single_app_total:.4f}×", "", "")
    b.row(SEC, "release (app + 2 data items): whole release", secs(total),
          f"floor (each item written once) {secs(floor_sum)}", f"{total / floor_sum:.3f}×", "", "")


def details(b, ops, floors, items):
    """Operations per partition, per run."""
    lines = ["| run | partition | sim time | sector erases | block erases | page programs | program calls | reads "
             "| bytes read |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    names = {"release": "the release (ota_service_set_release), twins full of older bytes",
             "release:previous": "the release, twins holding the previous release's items"}
    for run, by in ops.items():
        for label, x in sorted(by.items(), key=lambda kv: (kv[0] == "(total)", kv[1]["offset"])):
            fl = x["flash"]
            lines.append(f"| {names.get(run, run.replace('single:', 'alone today: '))} | {label} | {secs(fl['sim_ns'])} "
                         f"| {fl['sector_erases']} | {fl['block_erases']} | {h.fmt_int(fl['program_pages'])} | "
                         f"{h.fmt_int(fl['program_ops'])} | {h.fmt_int(fl['read_ops'])} | {h.fmt_int(fl['read_bytes'])} |")
    for (item, cover), x in floors.items():
        fl = x["flash"]
        lines.append(f"| floor, {'the item' if cover == 'item' else 'the item + the stale rest'} ({item}) | "
                     f"{x['target']} | {secs(fl['sim_ns'])} | {fl['sector_erases']} | {fl['block_erases']} | "
                     f"{h.fmt_int(fl['program_pages'])} | {h.fmt_int(fl['program_ops'])} | 0 | 0 |")
    t = items[0][1]["timing"]
    lines += ["", "Release device: the ESP-ADF example's partitions with a twin per data partition and a second data "
              "partition (dsp_bin, 512 KiB, data subtype 36 as ESP-ADF's korvo_du1906 table) with its twin, 8 MiB; "
              "ota_0 runs app 1.0.0, flash_tone holds tone_fmt1_mixer.bin, dsp_bin a 300,000 B raw data image (version 1.0.0 in ESP-ADF's packed semver header); the twins "
              "either full of older bytes to their end (as section 4's data partition: the worst case) or holding the "
              "previous release's item erased after it (a copy of the live partition: the steady state). The release (sequence 1, unsigned, `ota release make`): app 2.0.0 "
              f"(1,048,576 B), flash_tone_fmt0.bin, a {h.fmt_int(DSP_NEW)} B raw data image for dsp_bin (version 2.0.0 in its header). Every flash operation "
              "is charged to the partition holding its address (ota_bench's wrapper around the emulator; the "
              "emulator's own counters before and after the operation). After the release ota_bench restarts the "
              "device into the simulated bootloader (not counted) and checks that it boots ota_1, "
              "ota_release_installed() gives sequence 1 and ota_release_data_partition() of each label is the twin "
              "holding the item's bytes (SHA-256). Timing model as section 4: sector erase "
              f"{t['sector_erase_us']} µs, block erase {t['block_erase_us']} µs, page program {t['page_program_us']} µs."]
    b.details.append(("Release installed as one: device time per partition (RAM emulator, ota_bench release)",
                      "\n".join(lines)))


def notes(b, ops, floors, items):
    parts = []
    for item, f in items:
        if f["type"] != "data":
            continue
        got, prev = ops["release"][f["target"]]["flash"], ops["release:previous"][f["target"]]["flash"]
        fl, whole = f["flash"], floors[(item, "partition")]["flash"]
        parts.append(f"{item} {got['sim_ns'] / fl['sim_ns']:.3f}× with the twin full of older bytes "
                     f"({got['block_erases']} blocks + {got['sector_erases']} sectors erased, "
                     f"{h.fmt_int(got['program_pages'])} page programs, against {fl['block_erases']} + "
                     f"{fl['sector_erases']} and {h.fmt_int(fl['program_pages'])} for the item alone; "
                     f"{got['sim_ns'] / whole['sim_ns']:.3f}× the floor that also erases the twin's stale rest) and "
                     f"{prev['sim_ns'] / fl['sim_ns']:.3f}× with the twin holding the previous release's item "
                     f"({prev['block_erases']} + {prev['sector_erases']} erased)")
    b.notes_new.append(
        "Release installed as one (section 8): each data item is written once, into its twin, so against the "
        "item written once it costs " + "; ".join(parts) + ". What it costs beyond the item's own bytes: the install "
        "journal (sector 0 erased twice) and the read-back verification; the twin's bytes after the item are not "
        "erased (today's data update of the same bytes erases whatever the partition still holds after them, the "
        "\"floor with the partition's stale rest erased\" rows); a copy staged elsewhere and copied into place would program every byte twice and erase "
        "both areas.")


def smallest_flash(n):
    return next((s for s in FLASH_SIZES if s >= n), None)


def space(b, out):
    lines = ["| partition table | data partitions a release can name (size) | twins | extra flash | partitions end "
             "(smallest flash) | with the twins appended (smallest flash) | otadata / OTA slots |",
             "|---|---|---:|---:|---:|---:|---|"]
    for x in out:
        name = os.path.relpath(x["table"], h.ROOT) if x["table"].startswith(h.ROOT) else \
            os.path.join("../shared/testdata", os.path.relpath(x["table"], b.testdata))
        data = ", ".join(f"{d['label']} ({h.size_name(d['size'])})"
                         + ("" if d["twin_fits_label"] else ": label too long for a twin's") for d in x["data"]) or "none"
        f0, f1 = smallest_flash(x["end"]), smallest_flash(x["end_with_twins"])
        grow = "" if f0 == f1 else " **larger flash**"
        note = (f"{'yes' if x['otadata'] else 'no otadata: no release can be recorded'} / {x['ota_slots']}")
        extra = f" ({h.size_name(x['extra_bytes'])})" if x["extra_bytes"] else ""
        lines.append(f"| `{name}`{' (checked against its .bin)' if x['checked_against'] == 'bin' else ''} | {data} | "
                     f"{x['twins']} | {h.fmt_int(x['extra_bytes'])} B{extra} | "
                     f"{hex(x['end'])} ({h.size_name(f0) if f0 else '?'}) | {hex(x['end_with_twins'])} "
                     f"({h.size_name(f1) if f1 else '?'}){grow} | {note} |")
    lines += ["", "A twin has its partition's type, subtype and size and the label + `_b`; the release records live "
              "in otadata's spare bytes and take no partition. A release can name any data partition but ESP-IDF's "
              "own (otadata, phy, nvs, nvs_keys, coredump, efuse: the device's state, not a release's); the column "
              "lists those of each table, and the extra flash is the sum of their sizes (a release that names fewer "
              "needs fewer twins). \"With the twins appended\": each twin after the table's last partition on a 4 KiB "
              "boundary; \"smallest flash\": the smallest of 1, 2, 4 ... 128 MiB that holds it. Computed by "
              "`ota_bench space` from each CSV with the library's gen_esp32part.py parser; where the shared testdata "
              "has the .bin gen_esp32part.py made from it, the two must give the same entries."]
    b.details.append(("Release installed as one: the flash the twins need, per partition table (ota_bench space)",
                      "\n".join(lines)))
    ex = next((x for x in out if x["table"].endswith(os.path.join("ota_example", "partitions.csv"))), None)
    if ex:
        b.row(SEC, "flash the twins need: the ESP-IDF example's table (ESP-ADF's examples/ota/partitions.csv)",
              f"{h.fmt_int(ex['extra_bytes'])} B", f"partitions end {hex(ex['end'])} → {hex(ex['end_with_twins'])}",
              "", "", "")


# -- putting section 8 of an `--only release` run into an existing BENCHMARKS.md ---------------

NOTE_PREFIXES = ("- Release installed as one (section 8)", "- Release data items and stale twins (section 8)",
                 "- **The release is not installed as one",
                 "- **Release device time not measured**")
DETAIL_TITLE = "## Release installed as one"
COMMAND_KINDS = ("- release setup", "- ota_bench release", "- ota_bench space:")
HEADER_MARK = " Section 8 (a release installed as one) comes from a later run"


def splice(only_md, target, when):
    """Replace section 8 (rows, analysis notes, detail blocks, commands) of `target` by those of the
    `--only release` output `only_md`; every other line of `target` stays as it is. Idempotent."""
    with open(only_md) as f:
        new = f.read().split("\n")
    with open(target) as f:
        old = f.read().split("\n")

    def section_block(lines, k):
        j = k + 1
        while j < len(lines) and not lines[j].startswith("## ") and not lines[j].startswith("<!--"):
            j += 1
        return j

    # drop the old section 8
    out, k = [], 0
    while k < len(old):
        line = old[k]
        if line.startswith(DETAIL_TITLE):
            k = section_block(old, k)
            continue
        if line.startswith("| 8 release |") or line.startswith(NOTE_PREFIXES) or line.startswith(COMMAND_KINDS) \
                or line.startswith("- 8 release: "):
            k += 1
            continue
        out.append(line.split(HEADER_MARK)[0] if line.startswith("Written by `make bench`") else line)
        k += 1
    rows = [x for x in new if x.startswith("| 8 release |")]
    notes = [x for x in new if x.startswith(NOTE_PREFIXES)]
    blocks, k = [], 0
    while k < len(new):
        if new[k].startswith(DETAIL_TITLE):
            j = section_block(new, k)
            blocks += new[k:j]
            k = j
        else:
            k += 1
    cmds = [x for x in new if x.startswith(COMMAND_KINDS)]
    which = [x for x in new if x.startswith("- 8 release: ")]
    # rows after the last row of the results table
    last = max(k for k, x in enumerate(out) if re.match(r"\| \d+ [a-z][a-z0-9 ]* \| ", x))
    out[last + 1:last + 1] = rows
    # notes at the end of the analysis
    a = out.index("## Analysis")
    k, end = a + 1, a + 1
    while not out[k].startswith("## "):
        if out[k].startswith("- "):
            end = k + 1
        k += 1
    out[end:end] = notes
    c = out.index("## Commands")
    out[c:c] = blocks
    w = max(k for k, x in enumerate(out) if re.match(r"- \d+ [a-z]", x) and ": " in x)
    out[w + 1:w + 1] = which
    m = next((k for k, x in enumerate(out) if x.startswith("<!--")), len(out))
    e = m - 1
    while out[e] == "":
        e -= 1
    out[e + 1:e + 1] = cmds
    h = next(k for k, x in enumerate(out) if x.startswith("Written by `make bench`"))
    out[h] = out[h].replace("issue 13 (section 7).", "issue 13 (section 7), the release design (section 8).")
    out[h] += (f"{HEADER_MARK} on the same build, `bench/run.sh build/release --only release --into BENCHMARKS.md` "
               f"on {when}; its figures are simulated device time and partition-table arithmetic, which do not "
               "depend on the machine's load.")
    with open(target, "w") as f:
        f.write("\n".join(out))
