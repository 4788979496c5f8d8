"""`ota flash create` and `ota partition list|convert|read|write` against gen_esp32part.py's output.

Expected tables come from ../shared/testdata: the .bin files gen_esp32part.py v6.0.2 made (decoded
here with struct, independently of the C code), du1906_partitions.csv, and the reference tool's
messages listed in testdata/README.md.
"""
import hashlib
import os
import re
import struct
import sys
import unittest

# ota_add_script_test's PYTHONPATH names tests/integration/support; find tests/support either way.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import run, run_json, tempdir, testdata  # noqa: E402

MIB = 1024 * 1024
TABLE = 0x8000
TYPES = {0: "app", 1: "data", 2: "bootloader", 3: "partition_table"}
SUBTYPES = {
    0: {0x00: "factory", 0x20: "test", 0x30: "tee_0", 0x31: "tee_1",
        **{0x10 + n: f"ota_{n}" for n in range(16)}},
    1: {0x00: "ota", 0x01: "phy", 0x02: "nvs", 0x03: "coredump", 0x04: "nvs_keys", 0x05: "efuse",
        0x06: "undefined", 0x80: "esphttpd", 0x81: "fat", 0x82: "spiffs", 0x83: "littlefs", 0x90: "tee_ota"},
}


def decode_table(blob):
    """Entries of a binary table (gen_esp32part's '<2sBBLL16sL'), up to the MD5 entry / end marker."""
    entries = []
    for pos in range(0, len(blob), 32):
        magic, ptype, subtype, offset, size, label, flags = struct.unpack("<2sBBLL16sL", blob[pos:pos + 32])
        if magic != b"\xaa\x50":
            break
        entries.append(dict(label=label.split(b"\0")[0].decode(), type=ptype, subtype=subtype,
                            offset=offset, size=size, flags=flags))
    return entries


def read(path):
    with open(path, "rb") as f:
        return f.read()


def size_text(n):
    for unit, suffix in ((MIB, "M"), (1024, "K")):
        if n % unit == 0:
            return f"{n // unit}{suffix}"
    return hex(n)


def flags_text(flags):
    return ":".join(name for bit, name in ((1, "encrypted"), (2, "readonly")) if flags & bit)


def image_with_table(path, table_bin, size):
    """A device image of @size bytes, erased, with @table_bin at 0x8000 (what esptool would flash)."""
    img = bytearray(b"\xff" * size)
    img[TABLE:TABLE + len(table_bin)] = table_bin
    with open(path, "wb") as f:
        f.write(img)


def testdata_tables():
    d = testdata("partitions")
    names = sorted(n[:-4] for n in os.listdir(d) if n.endswith(".csv"))
    assert len(names) >= 8, names
    return [(os.path.join(d, n + ".csv"), os.path.join(d, n + ".bin")) for n in names]


def csv_rows(path):
    """The partition rows of a gen_esp32part CSV: lines that are neither blank nor comments."""
    lines = read(path).decode().splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


def readme_messages():
    """{file name: reference message} from testdata/README.md's invalid/ list."""
    text = read(testdata("README.md")).decode()
    return dict(re.findall(r'`([\w.]+\.csv)`: "([^"]+)"', text))


class FlashCreate(unittest.TestCase):
    def test_default_table_is_the_ota_example(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            p = run(["flash", "create", dev], expect=0)
            self.assertEqual(len(p.stdout.strip().splitlines()), 1, p.stdout)
            img = read(dev)
            self.assertEqual(len(img), 4 * MIB)
            expected = read(testdata("partitions", "seed_ota_example.bin"))
            self.assertEqual(img[TABLE:TABLE + 0xC00], expected)
            self.assertEqual(img[:TABLE], b"\xff" * TABLE)
            self.assertEqual(img[TABLE + 0xC00:], b"\xff" * (len(img) - TABLE - 0xC00))

    def test_table_and_size(self):
        with tempdir() as d:
            dev = os.path.join(d, "big.bin")
            du1906 = testdata("esp-adf", "du1906_partitions.csv")
            run(["flash", "create", "--table", du1906, "--size", "16MB", dev], expect=0)
            img = read(dev)
            self.assertEqual(len(img), 16 * MIB)
            self.assertEqual(img[TABLE:TABLE + 0xC00], read(testdata("esp-adf", "du1906_partitions.bin")))
            for csv, binary in testdata_tables():
                run(["flash", "create", "-t", csv, "-s", "4M", dev], expect=0)
                self.assertEqual(read(dev)[TABLE:TABLE + 0xC00], read(binary), csv)

    def test_no_md5(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", "--no-md5", dev], expect=0)
            expected = read(testdata("partitions", "seed_ota_example.bin"))
            table = read(dev)[TABLE:TABLE + 0xC00]
            self.assertEqual(table[:6 * 32], expected[:6 * 32])
            self.assertEqual(table[6 * 32:], b"\xff" * (0xC00 - 6 * 32))
            listed = run_json(["partition", "list", dev])
            self.assertEqual(len(listed), 6)

    def test_table_that_does_not_fit_is_refused(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            du1906 = testdata("esp-adf", "du1906_partitions.csv")
            p = run(["flash", "create", "--table", du1906, dev], expect=1)
            self.assertIn("does not fit in configured flash size 4MB", p.stderr)
            self.assertFalse(os.path.exists(dev))

    def test_bad_table_and_usage(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            bad_csv = testdata("partitions", "invalid", "unknown_type.csv")
            p = run(["flash", "create", "--table", bad_csv, dev], expect=1)
            self.assertIn("Error at line 1: Value 'bogus' is not valid", p.stderr)
            self.assertFalse(os.path.exists(dev))
            p = run(["flash", "create", "--table", os.path.join(d, "missing.csv"), dev], expect=1)
            self.assertIn("missing.csv", p.stderr)
            for bad in (["--size", "3K", dev], ["--size", "32MB", dev], ["--size", "lots", dev], [],
                        ["--bogus", dev], [dev, "extra"]):
                p = run(["flash", "create"] + bad, expect=2)
                self.assertTrue(p.stderr.startswith("ota: error: "), p.stderr)
            p = run(["flash", "create", "--help"], expect=0)
            self.assertIn("Usage: ota flash create", p.stdout)
            self.assertEqual(p.stderr, "")


class PartitionList(unittest.TestCase):
    def test_du1906_image_lists_like_its_csv(self):
        with tempdir() as d:
            dev = os.path.join(d, "du1906.bin")
            image_with_table(dev, read(testdata("esp-adf", "du1906_partitions.bin")), 16 * MIB)
            expected_csv = read(testdata("esp-adf", "du1906_partitions.csv")).decode()
            p = run(["partition", "list", dev, "--csv"], expect=0)
            self.assertEqual(p.stdout, expected_csv)
            # human table: the same fields as the CSV rows (its offsets are hex, sizes K, subtypes decimal)
            rows = [line.split(",") for line in expected_csv.splitlines() if not line.startswith("#")]
            p = run(["partition", "list", dev], expect=0)
            lines = p.stdout.splitlines()
            self.assertEqual(lines[0].split(), ["Label", "Type", "SubType", "Offset", "Size", "Flags"])
            for row, line in zip(rows, lines[1:]):
                self.assertEqual(line.split(), row[:5] + ([row[5]] if row[5] else []))
            self.assertIn("8 partitions", lines[len(rows) + 1])

    def test_every_testdata_table(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            for csv, binary in testdata_tables():
                blob = read(binary)
                expected = decode_table(blob)
                image_with_table(dev, blob, 4 * MIB)
                listed = run_json(["partition", "list", dev])
                self.assertEqual(len(listed), len(expected), csv)
                for got, exp in zip(listed, expected):
                    self.assertEqual(got["label"], exp["label"])
                    self.assertEqual((got["type"], got["subtype"]), (exp["type"], exp["subtype"]))
                    self.assertEqual((got["offset"], got["size"]), (exp["offset"], exp["size"]))
                    self.assertEqual(got["type_name"], TYPES.get(exp["type"]))
                    self.assertEqual(got["subtype_name"], SUBTYPES.get(exp["type"], {}).get(exp["subtype"]))
                    self.assertEqual(got["flags"], [f for f in flags_text(exp["flags"]).split(":") if f])
                    self.assertEqual(got["readonly"], bool(exp["flags"] & 2))
                # human form: keyword names where they exist, sizes as gen_esp32part writes them
                lines = run(["partition", "list", dev], expect=0).stdout.splitlines()
                for exp, line in zip(expected, lines[1:]):
                    cells = line.split()
                    self.assertEqual(cells[0], exp["label"])
                    self.assertEqual(cells[1], TYPES.get(exp["type"], str(exp["type"])))
                    subtype = SUBTYPES.get(exp["type"], {}).get(exp["subtype"], str(exp["subtype"]))
                    self.assertEqual(cells[2], subtype)
                    self.assertEqual(int(cells[3], 16), exp["offset"])
                    self.assertEqual(cells[4], size_text(exp["size"]))
                    self.assertEqual(cells[5:], [flags_text(exp["flags"])] if exp["flags"] else [])
                # --csv converts back to the very same binary
                out_csv = os.path.join(d, "listed.csv")
                with open(out_csv, "w") as f:
                    f.write(run(["partition", "list", dev, "--csv"], expect=0).stdout)
                out_bin = os.path.join(d, "listed.bin")
                run(["partition", "convert", out_csv, out_bin], expect=0)
                self.assertEqual(read(out_bin), blob, csv)

    def test_errors(self):
        with tempdir() as d:
            p = run(["partition", "list", os.path.join(d, "missing.bin")], expect=1)
            self.assertIn("missing.bin", p.stderr)
            self.assertIn("no such file", p.stderr)
            odd = os.path.join(d, "odd.bin")
            with open(odd, "wb") as f:
                f.write(b"\0" * 100)
            p = run(["partition", "list", odd], expect=1)
            self.assertIn("not a flash image", p.stderr)
            blank = os.path.join(d, "blank.bin")
            image_with_table(blank, b"", 1 * MIB)
            p = run(["partition", "list", blank], expect=1)
            self.assertIn("no valid partition table at 0x8000", p.stderr)
            err = run_json(["partition", "list", blank], expect=1)
            self.assertEqual(err["error"], "OTA_ERR_PT_BAD_MAGIC")
            # a corrupted MD5 is refused
            blob = bytearray(read(testdata("partitions", "seed_ota_example.bin")))
            blob[3 * 32 + 8] ^= 1
            bad = os.path.join(d, "bad.bin")
            image_with_table(bad, bytes(blob), 4 * MIB)
            p = run(["partition", "list", bad], expect=1)
            self.assertIn("MD5 checksums don't match!", p.stderr)
            # a table reaching past the end of the flash
            small = os.path.join(d, "small.bin")
            image_with_table(small, read(testdata("esp-adf", "du1906_partitions.bin")), 4 * MIB)
            p = run(["partition", "list", small], expect=1)
            self.assertIn("past the end of the flash", p.stderr)
            for bad_args in ([], ["--csv", "--json", blank], ["--offset", "0x8001", blank], ["--nope", blank],
                             [blank, blank]):
                run(["partition", "list"] + bad_args, expect=2)
            p = run(["partition", "list", "--help"], expect=0)
            self.assertIn("Usage: ota partition list", p.stdout)
            run(["partition", "bogus"], expect=2)
            p = run(["partition", "--help"], expect=0)
            for sub in ("list", "convert", "read", "write"):
                self.assertIn(sub, p.stdout)


class PartitionConvert(unittest.TestCase):
    def test_csv_to_binary_is_byte_identical(self):
        with tempdir() as d:
            out = os.path.join(d, "out.bin")
            for csv, binary in testdata_tables() + [(testdata("esp-adf", "du1906_partitions.csv"),
                                                     testdata("esp-adf", "du1906_partitions.bin"))]:
                run(["partition", "convert", csv, out], expect=0)
                self.assertEqual(read(out), read(binary), csv)

    def test_binary_to_csv(self):
        with tempdir() as d:
            out = os.path.join(d, "out.csv")
            run(["partition", "convert", testdata("esp-adf", "du1906_partitions.bin"), out], expect=0)
            self.assertEqual(read(out), read(testdata("esp-adf", "du1906_partitions.csv")))
            p = run(["partition", "convert", testdata("esp-adf", "du1906_partitions.bin"), "-"], expect=0)
            self.assertEqual(p.stdout.encode(), read(testdata("esp-adf", "du1906_partitions.csv")))
            back = os.path.join(d, "back.bin")
            for csv, binary in testdata_tables():
                run(["partition", "convert", binary, out], expect=0)
                run(["partition", "convert", out, back], expect=0)
                self.assertEqual(read(back), read(binary), binary)

    def test_no_md5_and_flash_size(self):
        with tempdir() as d:
            out = os.path.join(d, "out.bin")
            src = testdata("partitions", "idf_partitions_two_ota.csv")
            expected = read(testdata("partitions", "idf_partitions_two_ota.bin"))
            for opt in ("--no-md5", "--disable-md5sum"):
                run(["partition", "convert", opt, src, out], expect=0)
                self.assertEqual(read(out), expected[:6 * 32] + b"\xff" * (0xC00 - 6 * 32))
            p = run(["partition", "convert", "--flash-size", "2MB", src, out], expect=1)
            self.assertIn("Partitions tables occupies 3.1MB of flash (3211264 bytes)", p.stderr)
            run(["partition", "convert", "--flash-size", "4MB", src, out], expect=0)
            # gen_esp32part --disable-md5sum reads an MD5 entry as an entry with bad magic
            with_md5 = testdata("partitions", "idf_partitions_two_ota.bin")
            p = run(["partition", "convert", "--disable-md5sum", with_md5, os.path.join(d, "x.csv")],
                    expect=1)
            self.assertIn("Invalid magic bytes", p.stderr)

    def test_invalid_tables_fail_with_the_reference_message(self):
        messages = readme_messages()
        invalid = sorted(n for n in os.listdir(testdata("partitions", "invalid")) if n.endswith(".csv"))
        self.assertGreaterEqual(len(invalid), 5)
        with tempdir() as d:
            out = os.path.join(d, "out.bin")
            for name in invalid:
                p = run(["partition", "convert", testdata("partitions", "invalid", name), out], expect=1)
                self.assertIn(name, messages, "testdata/README.md has no message for it")
                self.assertIn(messages[name], p.stderr)
                self.assertRegex(p.stderr, r"line \d+")
                self.assertFalse(os.path.exists(out))

    def test_json(self):
        with tempdir() as d:
            out_bin, out_csv = os.path.join(d, "out.bin"), os.path.join(d, "out.csv")
            for csv, binary in testdata_tables():
                with self.subTest(csv):
                    doc = run_json(["partition", "convert", csv, out_bin])
                    self.assertEqual(read(out_bin), read(binary))
                    self.assertEqual(doc, {"input": csv, "output": out_bin, "input_format": "csv",
                                           "output_format": "binary", "md5_entry": True,
                                           "partitions": len(csv_rows(csv)), "bytes": 0xC00})
                    doc = run_json(["partition", "convert", binary, out_csv])
                    self.assertEqual(doc, {"input": binary, "output": out_csv, "input_format": "binary",
                                           "output_format": "csv", "md5_entry": None,
                                           "partitions": len(decode_table(read(binary))),
                                           "bytes": os.path.getsize(out_csv)})
                    self.assertEqual(len(csv_rows(out_csv)), len(csv_rows(csv)))
            du1906 = testdata("esp-adf", "du1906_partitions.csv")
            rows = len(csv_rows(du1906))
            doc = run_json(["partition", "convert", "--no-md5", du1906, out_bin])
            self.assertEqual((doc["md5_entry"], doc["partitions"]), (False, rows))
            self.assertEqual(read(out_bin)[rows * 32:], b"\xff" * (0xC00 - rows * 32))
            # OUT '-' would mix the table and the JSON document on stdout: a usage error
            p = run(["partition", "convert", "--json", du1906, "-"], expect=2)
            self.assertEqual(p.stdout, "")
            self.assertIn("--json", p.stderr)

    def test_json_errors(self):
        """A failure prints the JSON error object, with the exit status of the plain command."""
        messages = readme_messages()
        with tempdir() as d:
            out = os.path.join(d, "out.bin")
            name = "unknown_type.csv"
            src = testdata("partitions", "invalid", name)
            run(["partition", "convert", src, out], expect=1)
            doc = run_json(["partition", "convert", src, out], expect=1)
            self.assertTrue(doc["error"].startswith("OTA_ERR_PT_"), doc)
            self.assertLess(doc["code"], 0)
            self.assertIn(messages[name], doc["message"])
            self.assertFalse(os.path.exists(out))
            missing = os.path.join(d, "missing.csv")
            run(["partition", "convert", missing, out], expect=1)
            doc = run_json(["partition", "convert", missing, out], expect=1)
            self.assertEqual(doc["error"], "OTA_ERR_NOT_FOUND")
            self.assertFalse(os.path.exists(out))
            p = run(["partition", "convert", "--json", "only-one"], expect=2)
            self.assertEqual(p.stdout, "")
            self.assertIn("--json", run(["partition", "convert", "--help"], expect=0).stdout)

    def test_usage(self):
        with tempdir() as d:
            for bad in ([], ["only-one"], ["a", "b", "c"], ["--secure", "v3", "a", "b"],
                        ["--flash-size", "big", "a", "b"]):
                run(["partition", "convert"] + bad, expect=2)
            p = run(["partition", "convert", os.path.join(d, "missing.csv"), os.path.join(d, "o")], expect=1)
            self.assertIn("missing.csv", p.stderr)
            p = run(["partition", "convert", "--help"], expect=0)
            self.assertIn("Usage: ota partition convert", p.stdout)


class PartitionReadWrite(unittest.TestCase):
    def test_round_trip_and_neighbours(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", dev], expect=0)
            seed = read(testdata("partitions", "seed_ota_example.bin"))
            parts = {e["label"]: e for e in decode_table(seed)}
            contents = {}
            for i, label in enumerate(("ota_0", "ota_1", "flash_tone")):
                data = os.urandom(parts[label]["size"] - 1000 * i)
                contents[label] = data
                src = os.path.join(d, label + ".in")
                with open(src, "wb") as f:
                    f.write(data)
                p = run(["partition", "write", dev, label, src], expect=0)
                self.assertIn(label, p.stdout)
            # rewrite the middle one with a short file: erased first, neighbours kept
            short = os.urandom(5000)
            src = os.path.join(d, "short.in")
            with open(src, "wb") as f:
                f.write(short)
            run(["partition", "write", dev, "ota_1", src], expect=0)
            img = read(dev)
            o0, o1, ft = parts["ota_0"], parts["ota_1"], parts["flash_tone"]
            self.assertEqual(img[o0["offset"]:o0["offset"] + o0["size"]], contents["ota_0"])
            self.assertEqual(img[o1["offset"]:o1["offset"] + o1["size"]],
                             short + b"\xff" * (o1["size"] - 5000))
            tone = contents["flash_tone"]
            self.assertEqual(img[ft["offset"]:ft["offset"] + len(tone)], tone)
            self.assertEqual(img[TABLE:TABLE + 0xC00], seed)
            # read gives the whole partition
            out = os.path.join(d, "ota_1.out")
            run(["partition", "read", dev, "ota_1", out], expect=0)
            self.assertEqual(read(out), short + b"\xff" * (o1["size"] - 5000))
            run(["partition", "read", dev, "ota_0", out], expect=0)
            self.assertEqual(read(out), contents["ota_0"])

    def test_refusals_leave_the_device_untouched(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", dev], expect=0)
            before = hashlib.sha256(read(dev)).hexdigest()
            big = os.path.join(d, "big.in")
            with open(big, "wb") as f:
                f.write(b"\x11" * (0x2000 + 1))
            p = run(["partition", "write", dev, "otadata", big], expect=1)
            self.assertIn("larger than partition 'otadata'", p.stderr)
            p = run(["partition", "write", dev, "nope", big], expect=1)
            self.assertIn("no partition 'nope'", p.stderr)
            self.assertIn("nvs, otadata, phy_init, ota_0, ota_1, flash_tone", p.stderr)
            p = run(["partition", "read", dev, "nope", os.path.join(d, "x")], expect=1)
            self.assertIn("known labels", p.stderr)
            p = run(["partition", "write", dev, "ota_0", os.path.join(d, "missing.in")], expect=1)
            self.assertIn("missing.in", p.stderr)
            self.assertEqual(hashlib.sha256(read(dev)).hexdigest(), before)
            for bad in ([dev, "ota_0"], [dev], ["--nope", dev, "ota_0", big]):
                run(["partition", "write"] + bad, expect=2)
                run(["partition", "read"] + bad, expect=2)
            p = run(["partition", "read", os.path.join(d, "missing.bin"), "ota_0", big], expect=1)
            self.assertIn("no such file", p.stderr)
            for sub in ("read", "write"):
                p = run(["partition", sub, "--help"], expect=0)
                self.assertIn(f"Usage: ota partition {sub}", p.stdout)

    def test_json(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", dev], expect=0)
            seed = read(testdata("partitions", "seed_ota_example.bin"))
            o1 = next(e for e in decode_table(seed) if e["label"] == "ota_1")
            data = os.urandom(12345)
            src = os.path.join(d, "app.in")
            with open(src, "wb") as f:
                f.write(data)
            doc = run_json(["partition", "write", dev, "ota_1", src])
            where = {"device": dev, "label": "ota_1", "offset": o1["offset"], "size": o1["size"]}
            self.assertEqual(doc, {**where, "bytes": len(data), "file": src,
                                   "sha256": hashlib.sha256(data).hexdigest()})
            self.assertEqual(read(dev)[o1["offset"]:o1["offset"] + len(data)], data)
            out = os.path.join(d, "ota_1.out")
            doc = run_json(["partition", "read", dev, "ota_1", out])
            whole = data + b"\xff" * (o1["size"] - len(data))
            self.assertEqual(read(out), whole)
            self.assertEqual(doc, {**where, "file": out, "sha256": hashlib.sha256(read(out)).hexdigest()})
            self.assertEqual(doc["sha256"], hashlib.sha256(whole).hexdigest())
            for sub in ("read", "write"):
                self.assertIn("--json", run(["partition", sub, "--help"], expect=0).stdout)

    def test_json_errors(self):
        """A failure prints the JSON error object, with the exit status of the plain command."""
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", dev], expect=0)
            before = read(dev)
            src = os.path.join(d, "small.in")
            with open(src, "wb") as f:
                f.write(b"\x5a" * 100)
            big = os.path.join(d, "big.in")
            with open(big, "wb") as f:
                f.write(b"\x11" * (0x2000 + 1))  # otadata is 0x2000 bytes (seed_ota_example.csv)
            out = os.path.join(d, "x.out")
            cases = ((["read", dev, "nope", out], "OTA_ERR_NOT_FOUND"),
                     (["write", dev, "nope", src], "OTA_ERR_NOT_FOUND"),
                     (["write", dev, "ota_0", os.path.join(d, "missing.in")], "OTA_ERR_NOT_FOUND"),
                     (["read", os.path.join(d, "missing.bin"), "ota_0", out], "OTA_ERR_NOT_FOUND"),
                     (["write", dev, "otadata", big], "OTA_ERR_INVALID_SIZE"))
            for args, error in cases:
                with self.subTest(args=args):
                    run(["partition"] + args, expect=1)
                    doc = run_json(["partition"] + args, expect=1)
                    self.assertEqual(doc["error"], error)
                    self.assertLess(doc["code"], 0)
                    self.assertEqual((doc["device"], doc["label"], doc["file"]), tuple(args[1:]))
            self.assertEqual(read(dev), before)
            self.assertFalse(os.path.exists(out))
            for sub in ("read", "write"):
                p = run(["partition", sub, "--json", dev, "ota_0"], expect=2)
                self.assertEqual(p.stdout, "")

    def test_readonly_partition(self):
        with tempdir() as d:
            dev = os.path.join(d, "dev.bin")
            run(["flash", "create", "--table", testdata("partitions", "tricky_valid.csv"), dev], expect=0)
            data = os.path.join(d, "data.in")
            with open(data, "wb") as f:
                f.write(b"\x42" * 4096)
            before = read(dev)
            p = run(["partition", "write", dev, "storage", data], expect=1)
            self.assertIn("readonly", p.stderr)
            self.assertEqual(read(dev), before)
            run(["partition", "write", "--ignore-readonly", dev, "storage", data], expect=0)
            storage = next(e for e in decode_table(read(testdata("partitions", "tricky_valid.bin")))
                           if e["label"] == "storage")
            self.assertEqual(read(dev)[storage["offset"]:storage["offset"] + 4096], b"\x42" * 4096)


if __name__ == "__main__":
    otatest.main()
