"""`ota tone info|make` on Espressif's tone images (shared/testdata/esp-adf).

Every expected value comes from an independent parse of the bytes written here with struct and
zlib, following reference/esp-adf-ota-service.md §7 and mk_audio_tone.py's packing.
"""
import os
import random
import struct
import sys
import zlib

# PYTHONPATH from ota_add_script_test points at tests/integration/support; find tests/support here.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import read_file as read, run, run_json, write_file as write  # noqa: E402

FMT0 = otatest.testdata("esp-adf", "flash_tone_fmt0.bin")
FMT1 = otatest.testdata("esp-adf", "tone_fmt1_mixer.bin")


def cstr(raw):
    return raw.split(b"\0", 1)[0].decode("ascii")


def parse_tone(data):
    """Independent reader of a tone image: header, description, table, CRC, tail."""
    tag, count, fmt = struct.unpack_from("<HHI", data, 0)
    assert tag == 0x2053 and fmt in (0, 1)
    desc_len = 256 if fmt == 1 else 0
    image = {"format": fmt, "count": count, "table_offset": 8 + desc_len, "files": []}
    if fmt == 1:
        magic, secure = struct.unpack_from("<II", data, 8)
        version, project, t, d = struct.unpack_from("<32s32s16s16s", data, 8 + 16)
        image["desc"] = {"magic_word": magic, "secure_version": secure, "version": cstr(version),
                         "project_name": cstr(project), "time": cstr(t), "date": cstr(d)}
    for i in range(count):
        ftag, idx, ftype, ver, adr, length = struct.unpack_from("<BBBBII", data, 8 + desc_len + 64 * i)
        image["files"].append({"index": idx, "type": ftype, "address": adr, "length": length,
                               "tag": ftag, "ver": ver})
    last = image["files"][-1]
    end = last["address"] + last["length"] + (4 - last["length"] % 4) % 4
    image["data_end"] = end
    image["size"] = end + (6 if fmt == 1 else 0)
    if fmt == 1:
        image["crc"] = struct.unpack_from("<I", data, end)[0]
        image["crc_computed"] = zlib.crc32(data[:end]) & 0xFFFFFFFF
        image["tail"] = struct.unpack_from("<H", data, end + 4)[0]
    return image


def mk_audio_tone(files, fmt=1, version="v1.0", t="00:00:00", d="2000-01-01"):
    """mk_audio_tone.py v1.2's packing of (name, bytes) pairs, already in order."""
    out = struct.pack("<HHI", 0x2053, len(files), fmt)
    if fmt == 1:
        out += struct.pack("<I", 0xF55F9876) + struct.pack("<I", 0) + struct.pack("<2I", 0, 0)
        out += struct.pack("<32s", version.encode()) + struct.pack("<32s", b"ESP_TONE_BIN")
        out += struct.pack("<16s", t.encode()) + struct.pack("<16s", d.encode())
        out += struct.pack("<32s", b"") + b"\0" * 32 + struct.pack("<20I", *([0] * 20))
    addr = len(out) + 64 * len(files)
    for i, (name, blob) in enumerate(files):
        ftype = {"mp3": 0, "wav": 1}[name.split(".")[-1].lower()]
        out += struct.pack("<BBBBII", 0x28, i, ftype, 0, addr, len(blob)) + struct.pack("<12I", *([0] * 12))
        out += struct.pack("<I", 0)
        addr += len(blob) + (4 - len(blob) % 4) % 4
    for _, blob in files:
        out += blob + b"\xff" * ((4 - len(blob) % 4) % 4)
    if fmt == 1:
        out += struct.pack("<I", zlib.crc32(out) & 0xFFFFFFFF) + struct.pack("<H", 0xDFAC)
    return out


def table_rows(stdout):
    """(index, type, address, length) rows of `tone info` text output."""
    rows = []
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].isdigit() and parts[2].startswith("0x"):
            rows.append((int(parts[0]), parts[1], int(parts[2], 16), int(parts[3])))
    return rows


class ToneInfo(otatest.unittest.TestCase):
    def check_text(self, path, expect_count, expect_size):
        data = read(path)
        ref = parse_tone(data)
        self.assertEqual(ref["count"], expect_count)
        self.assertEqual(len(data), expect_size)
        self.assertEqual(ref["size"], expect_size)
        proc = run(["tone", "info", path], expect=0)
        self.assertIn(f"format:      {ref['format']}", proc.stdout)
        self.assertIn(f"files:       {expect_count}", proc.stdout)
        self.assertIn(f"image size:  {expect_size} bytes", proc.stdout)
        self.assertIn("status:      valid", proc.stdout)
        expected_rows = [(f["index"], "mp3" if f["type"] == 0 else "wav", f["address"], f["length"])
                         for f in ref["files"]]
        self.assertEqual(table_rows(proc.stdout), expected_rows)
        return ref, proc

    def test_info_format0_21_files(self):
        ref, proc = self.check_text(FMT0, 21, 434756)
        self.assertEqual(ref["files"][0]["address"], 8 + 64 * 21)
        self.assertNotIn("crc32", proc.stdout)

    def test_info_format1_2_files(self):
        ref, proc = self.check_text(FMT1, 2, 54398)
        self.assertEqual(ref["crc"], ref["crc_computed"])
        self.assertEqual(ref["tail"], 0xDFAC)
        self.assertIn(f"version:     {ref['desc']['version']}", proc.stdout)
        self.assertIn("project:     ESP_TONE_BIN", proc.stdout)
        self.assertIn(f"date:        {ref['desc']['date']}", proc.stdout)
        self.assertIn(f"time:        {ref['desc']['time']}", proc.stdout)
        self.assertIn(f"crc32:       0x{ref['crc']:08x} (valid)", proc.stdout)
        self.assertIn("tail:        0xdfac (valid)", proc.stdout)

    def test_info_json(self):
        for path in (FMT0, FMT1):
            ref = parse_tone(read(path))
            doc = run_json(["tone", "info", path])
            self.assertTrue(doc["valid"])
            self.assertEqual(doc["format"], ref["format"])
            self.assertEqual(doc["total_num"], ref["count"])
            self.assertEqual(doc["image_size"], ref["size"])
            self.assertEqual(doc["file_size"], os.path.getsize(path))
            self.assertEqual(doc["table_offset"], ref["table_offset"])
            self.assertEqual([(f["index"], f["file_type"], f["address"], f["length"]) for f in doc["files"]],
                             [(f["index"], f["type"], f["address"], f["length"]) for f in ref["files"]])
            if ref["format"] == 1:
                for key, value in ref["desc"].items():
                    self.assertEqual(doc["desc"][key], value, key)
                self.assertEqual(doc["crc"], {"stored": ref["crc"], "computed": ref["crc_computed"], "valid": True})
                self.assertEqual(doc["tail"], {"value": 0xDFAC, "valid": True})
            else:
                self.assertNotIn("desc", doc)
                self.assertNotIn("crc", doc)

    def test_partition_dump_with_erased_rest(self):
        with otatest.tempdir() as tmp:
            dump = os.path.join(tmp, "flash_tone_partition.bin")
            data = read(FMT1)
            write(dump, data + b"\xff" * (0x100000 - len(data)))
            doc = run_json(["tone", "info", dump])
            self.assertTrue(doc["valid"])
            self.assertEqual(doc["image_size"], len(data))
            self.assertEqual(doc["file_size"], 0x100000)


class ToneErrors(otatest.unittest.TestCase):
    def corrupt(self, tmp, source, offset, value, name="bad.bin"):
        data = bytearray(read(source))
        data[offset] = value
        path = os.path.join(tmp, name)
        write(path, bytes(data))
        return path

    def expect_invalid(self, path, error):
        proc = run(["tone", "info", path], expect=1)
        self.assertIn("ota: error:", proc.stderr)
        doc = run_json(["tone", "info", path], expect=1)
        self.assertFalse(doc["valid"])
        self.assertEqual(doc["error"], error)
        return proc, doc

    def test_each_corruption_class(self):
        ref1 = parse_tone(read(FMT1))
        with otatest.tempdir() as tmp:
            self.expect_invalid(self.corrupt(tmp, FMT0, 0, 0x54), "OTA_ERR_TONE_BAD_TAG")
            self.expect_invalid(self.corrupt(tmp, FMT0, 4, 2), "OTA_ERR_TONE_BAD_FORMAT")
            _, doc = self.expect_invalid(self.corrupt(tmp, FMT0, 8 + 64 * 5 + 1, 9), "OTA_ERR_TONE_BAD_TABLE")
            self.assertEqual(doc["diag"]["field"], "song_index")
            self.assertEqual(doc["diag"]["index"], 5)
            self.expect_invalid(self.corrupt(tmp, FMT0, 8 + 64 * 2 + 20, 1), "OTA_ERR_TONE_BAD_TABLE")
            self.expect_invalid(self.corrupt(tmp, FMT1, 8, 0), "OTA_ERR_TONE_BAD_MAGIC")
            self.expect_invalid(self.corrupt(tmp, FMT1, 8 + 48, ord("X")), "OTA_ERR_TONE_BAD_PROJECT")
            _, doc = self.expect_invalid(self.corrupt(tmp, FMT1, 1000, 0x5A), "OTA_ERR_TONE_BAD_CRC")
            self.assertFalse(doc["crc"]["valid"])
            self.assertEqual(doc["crc"]["stored"], ref1["crc"])
            # the listing is still shown for an image whose table is sound
            self.assertEqual(len(doc["files"]), 2)
            end = ref1["data_end"]
            self.expect_invalid(self.corrupt(tmp, FMT1, end, 0), "OTA_ERR_TONE_BAD_CRC")
            proc, doc = self.expect_invalid(self.corrupt(tmp, FMT1, end + 5, 0xFF), "OTA_ERR_TONE_BAD_TAIL")
            self.assertIn("tail", proc.stderr)
            self.assertFalse(doc["tail"]["valid"])

    def test_truncated_and_torn(self):
        data = read(FMT0)
        with otatest.tempdir() as tmp:
            for cut in (0, 5, 8, 1000, 1352, len(data) - 1):
                path = os.path.join(tmp, f"cut{cut}.bin")
                write(path, data[:cut])
                proc, _ = self.expect_invalid(path, "OTA_ERR_TONE_TRUNCATED")
                self.assertIn("truncated", proc.stderr)
            # header torn by a power cut: the target with extra 1-bits, rest complete
            for offset, value in ((2, 21 | 0x40), (3, 0x01), (4, 0x01), (7, 0x10), (1, 0x20 | 0x04)):
                path = self.corrupt(tmp, FMT0, offset, value, f"torn{offset}.bin")
                proc = run(["tone", "info", path], expect=1)
                self.assertIn("ota: error:", proc.stderr)
            # an erased partition is not a tone image
            path = os.path.join(tmp, "erased.bin")
            write(path, b"\xff" * 65536)
            self.expect_invalid(path, "OTA_ERR_TONE_BAD_TAG")

    def test_usage_and_io_errors(self):
        with otatest.tempdir() as tmp:
            run(["tone", "info"], expect=2)
            run(["tone", "info", FMT0, FMT1], expect=2)
            run(["tone", "info", "--nope", FMT0], expect=2)
            run(["tone", "info", os.path.join(tmp, "missing.bin")], expect=1)
            run(["tone", "frobnicate"], expect=2)
            self.assertIn("Usage: ota tone info", run(["tone", "info", "--help"], expect=0).stdout)
            self.assertIn("Usage: ota tone make", run(["tone", "make", "--help"], expect=0).stdout)
            self.assertIn("info", run(["tone", "--help"], expect=0).stdout)
            mp3 = os.path.join(tmp, "a.mp3")
            write(mp3, b"abc")
            out = os.path.join(tmp, "out.bin")
            run(["tone", "make", out], expect=2)
            run(["tone", "make", "--format", "2", mp3, out], expect=2)
            run(["tone", "make", "--time", "1:2:3", mp3, out], expect=2)
            run(["tone", "make", "--date", "2024-02-30x", mp3, out], expect=2)
            run(["tone", "make", "--date", "2023-02-29", mp3, out], expect=2)
            run(["tone", "make", "--version", "v" * 33, mp3, out], expect=2)
            txt = os.path.join(tmp, "notes.txt")
            write(txt, b"x")
            run(["tone", "make", txt, out], expect=2)
            run(["tone", "make", os.path.join(tmp, "missing.mp3"), out], expect=1)
            empty = os.path.join(tmp, "empty")
            os.mkdir(empty)
            run(["tone", "make", empty, out], expect=1)
            self.assertFalse(os.path.exists(out))
            many = os.path.join(tmp, "many")
            os.mkdir(many)
            for i in range(257):
                write(os.path.join(many, f"{i:03d}.mp3"), b"x")
            proc = run(["tone", "make", many, out], expect=1)
            self.assertIn("256", proc.stderr)


class ToneMake(otatest.unittest.TestCase):
    def test_extract_and_rebuild_format0(self):
        original = read(FMT0)
        ref = parse_tone(original)
        with otatest.tempdir() as tmp:
            x = os.path.join(tmp, "x")
            proc = run(["tone", "info", FMT0, "--extract", x], expect=0)
            self.assertIn("extracted", proc.stdout)
            names = sorted(os.listdir(x))
            self.assertEqual(names, [f"{i:03d}.mp3" for i in range(21)])
            for f in ref["files"]:
                self.assertEqual(read(os.path.join(x, f"{f['index']:03d}.mp3")),
                                 original[f["address"]:f["address"] + f["length"]])
            out = os.path.join(tmp, "rebuilt.bin")
            run(["tone", "make", "--format", "0", x, out], expect=0)
            self.assertEqual(otatest.sha256_file(out), otatest.sha256_file(FMT0))
            # files named on the command line in any order are sorted by name, like the tool
            shuffled = [os.path.join(x, n) for n in names]
            random.Random(5).shuffle(shuffled)
            out2 = os.path.join(tmp, "rebuilt2.bin")
            doc = run_json(["tone", "make", "-F", "0"] + shuffled + [out2])
            self.assertEqual([os.path.basename(f["source"]) for f in doc["files"]], names)
            self.assertEqual(read(out2), original)
            # --keep-order indexes them in argument order instead
            out3 = os.path.join(tmp, "reversed.bin")
            run(["tone", "make", "-F", "0", "--keep-order"] + [os.path.join(x, n) for n in reversed(names)]
                + [out3], expect=0)
            rev = parse_tone(read(out3))
            self.assertEqual([f["length"] for f in rev["files"]], [f["length"] for f in reversed(ref["files"])])
            self.assertNotEqual(read(out3), original)

    def test_extract_and_rebuild_format1(self):
        original = read(FMT1)
        desc = parse_tone(original)["desc"]
        with otatest.tempdir() as tmp:
            x = os.path.join(tmp, "x")
            doc = run_json(["tone", "info", FMT1, "-x", x])
            self.assertEqual(doc["extracted_to"], x)
            self.assertEqual([os.path.basename(f["path"]) for f in doc["files"]], ["000.mp3", "001.mp3"])
            out = os.path.join(tmp, "rebuilt.bin")
            run(["tone", "make", "--version", desc["version"], "--time", desc["time"], "--date", desc["date"],
                 x, out], expect=0)
            self.assertEqual(read(out), original)

    def test_layout_against_independent_packer(self):
        with otatest.tempdir() as tmp:
            res = os.path.join(tmp, "res")
            os.mkdir(res)
            rng = random.Random(7)
            contents = {}
            for name, size in (("wake.mp3", 5), ("Alarm.wav", 4), ("b_beep.mp3", 7), ("a.wav", 0),
                               ("zz.mp3", 1023), ("10_x.mp3", 2), ("9_x.mp3", 3)):
                blob = bytes(rng.randrange(256) for _ in range(size))
                contents[name] = blob
                write(os.path.join(res, name), blob)
            write(os.path.join(res, "readme.txt"), b"not packed")
            write(os.path.join(res, "LOUD.MP3"), b"not packed: the tool's filter is case-sensitive")
            order = sorted(contents)  # Python's sort of the names: mk_audio_tone.py's order
            for fmt in (0, 1):
                out = os.path.join(tmp, f"fmt{fmt}.bin")
                doc = run_json(["tone", "make", "--format", str(fmt), "--version", "v2.2-252-g62edbd26-dirty",
                                "--time", "08:09:10", "--date", "2026-07-24", res, out])
                self.assertEqual([os.path.basename(f["source"]) for f in doc["files"]], order)
                expected = mk_audio_tone([(n, contents[n]) for n in order], fmt, "v2.2-252-g62edbd26-dirty",
                                         "08:09:10", "2026-07-24")
                self.assertEqual(read(out), expected)
                self.assertEqual(doc["size"], len(expected))
                info = run_json(["tone", "info", out])
                self.assertTrue(info["valid"])
                self.assertEqual([f["type"] for f in info["files"]],
                                 ["wav" if n.endswith(".wav") else "mp3" for n in order])

    def test_default_time_and_version(self):
        with otatest.tempdir() as tmp:
            mp3 = os.path.join(tmp, "a.mp3")
            write(mp3, b"12345")
            out = os.path.join(tmp, "out.bin")
            env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")  # 2023-11-14 22:13:20 UTC
            run(["tone", "make", mp3, out], expect=0, env=env)
            ref = parse_tone(read(out))
            self.assertEqual(ref["format"], 1)
            self.assertEqual(ref["desc"]["version"], "v1.0")
            self.assertEqual(ref["desc"]["date"], "2023-11-14")
            self.assertEqual(ref["desc"]["time"], "22:13:20")
            self.assertEqual(read(out), mk_audio_tone([("a.mp3", b"12345")], 1, "v1.0", "22:13:20", "2023-11-14"))
            # without it: now, as HH:MM:SS and YYYY-MM-DD
            env.pop("SOURCE_DATE_EPOCH")
            run(["tone", "make", mp3, out], expect=0, env=env)
            desc = parse_tone(read(out))["desc"]
            self.assertRegex(desc["time"], r"^\d\d:\d\d:\d\d$")
            self.assertRegex(desc["date"], r"^\d{4}-\d\d-\d\d$")


if __name__ == "__main__":
    otatest.main()
