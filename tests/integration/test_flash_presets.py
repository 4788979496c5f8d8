#!/usr/bin/env python3
"""`ota flash create --preset NAME` (issue 20, point 9) and `--table` with a binary table (point 5).

Each preset must be byte-identical to what ESP-IDF's gen_esp32part.py makes of the preset's
original CSV: against the .bin Espressif's tool made (../shared/testdata/partitions, see its
README) where one exists, else against `ota partition convert` of the CSV text quoted here from its
source (the converter is tested byte-identical to gen_esp32part in test_cli_partition.py). The
list of presets is read from `ota flash create --help`, so a preset added without an expected
table here fails.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import class_workdir, decode_partition_table, main, run, run_json, testdata  # noqa: E402

TABLE = slice(0x8000, 0x8000 + 0xC00)

# espressif/esp-adf examples/ota/partitions.csv at commit e232c763f2501569822835f9628adc0427f34bb1
# (2 Jan 2024, "ota_service: Accelerate ota upgrades using dram"; the head of release/v2.x; the
# slots were 1M in 5d6d1d8f (2020), 0x110000 in d73218cb (July 2023)). Verbatim, without the final
# newline, as in the repository.
ADF_OTA_CSV = (
    "# Name,   Type, SubType, Offset,   Size, Flags\n"
    "# Note: if you change the phy_init or app partition offset, make sure to change the offset in "
    "Kconfig.projbuild\n"
    "nvs,        data, nvs,     ,        0x4000,\n"
    "otadata,    data, ota,     ,        0x2000,\n"
    "phy_init,   data, phy,     ,        0x1000,\n"
    "ota_0,      app,  ota_0,   ,        0x120000,\n"
    "ota_1,      app,  ota_1,   ,        0x120000,\n"
    "flash_tone, data, 0xff,    ,        1M,")

# preset -> the gen_esp32part.py output Espressif's tool made (../shared/testdata/partitions/)
ESPRESSIF_BIN = {
    "adf-ota-2020": "seed_ota_example.bin",
    "idf-two-ota": "idf_partitions_two_ota.bin",
    "idf-two-ota-large": "idf_partitions_two_ota_large.bin",
    "idf-singleapp": "idf_partitions_singleapp.bin",
}
CONVERTED_CSV = {"adf-ota": ADF_OTA_CSV}


def presets_from_help():
    text = run(["flash", "create", "--help"], expect=0).stdout
    section = text.split("Presets (--preset NAME):\n", 1)[1].split("\n\n", 1)[0]
    return [m.group(1) for m in re.finditer(r"^  (\S+)\s", section, re.M)]


class Presets(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)

    def table_of(self, dev):
        with open(dev, "rb") as f:
            return f.read()[TABLE]

    def expected(self, name):
        if name in ESPRESSIF_BIN:
            with open(testdata("partitions", ESPRESSIF_BIN[name]), "rb") as f:
                return f.read()
        csv = os.path.join(self.dir, name + ".csv")
        with open(csv, "w") as f:
            f.write(CONVERTED_CSV[name])
        out = os.path.join(self.dir, name + ".conv.bin")
        run(["partition", "convert", csv, out], expect=0)
        with open(out, "rb") as f:
            return f.read()

    def test_every_preset_is_gen_esp32part_output_of_its_csv(self):
        names = presets_from_help()
        self.assertGreaterEqual(len(names), 3)
        for want in ("adf-ota-2020", "adf-ota", "idf-two-ota"):
            self.assertIn(want, names)
        for name in names:
            with self.subTest(preset=name):
                self.assertIn(name, set(ESPRESSIF_BIN) | set(CONVERTED_CSV), "a preset nobody checks")
                dev = os.path.join(self.dir, name + ".dev.bin")
                doc = run_json(["flash", "create", "--preset", name, dev])
                self.assertEqual(doc["preset"], name)
                self.assertIsNone(doc["table"])
                expected = self.expected(name)
                self.assertEqual(len(expected), 0xC00)
                self.assertEqual(self.table_of(dev), expected)

    def test_adf_ota_layout(self):
        """Independently of the converter: gen_esp32part places auto offsets after the previous
        entry, apps aligned to 0x10000, so the 0x120000 slots sit at 0x10000 and 0x130000."""
        dev = os.path.join(self.dir, "adf.bin")
        run(["flash", "create", "--preset", "adf-ota", dev], expect=0)
        entries, md5_ok = decode_partition_table(self.table_of(dev))
        self.assertTrue(md5_ok)
        self.assertEqual(entries, {"nvs": (0x9000, 0x4000), "otadata": (0xD000, 0x2000),
                                   "phy_init": (0xF000, 0x1000), "ota_0": (0x10000, 0x120000),
                                   "ota_1": (0x130000, 0x120000), "flash_tone": (0x250000, 0x100000)})

    def test_default_is_the_seed_table(self):
        dev = os.path.join(self.dir, "default.bin")
        proc = run(["flash", "create", dev], expect=0)
        self.assertIn("preset adf-ota-2020", proc.stdout)
        with open(testdata("partitions", "seed_ota_example.bin"), "rb") as f:
            self.assertEqual(self.table_of(dev), f.read())

    def test_preset_usage_errors(self):
        dev = os.path.join(self.dir, "usage.bin")
        proc = run(["flash", "create", "--preset", "nope", dev], expect=2)
        self.assertIn("unknown --preset 'nope'", proc.stderr)
        proc = run(["flash", "create", "--preset", "adf-ota", "--table",
                    testdata("partitions", "seed_ota_example.csv"), dev], expect=2)
        self.assertIn("--table and --preset", proc.stderr)
        self.assertFalse(os.path.exists(dev))


class BinaryTable(unittest.TestCase):
    """`flash create --table table.bin` takes gen_esp32part's binary output (build/partition_table/
    partition-table.bin) as it is: before, "line 1: not valid UTF-8 text"."""

    @classmethod
    def setUpClass(cls):
        class_workdir(cls)

    def test_binary_tables_are_written_as_they_are(self):
        for name in ("idf_partitions_two_ota.bin", "seed_ota_example.bin", "tricky_valid.bin"):
            with self.subTest(table=name):
                dev = os.path.join(self.dir, name + ".dev")
                proc = run(["flash", "create", "--table", testdata("partitions", name), dev], expect=0)
                self.assertNotIn("UTF-8", proc.stderr)
                with open(testdata("partitions", name), "rb") as f:
                    want = f.read()
                with open(dev, "rb") as f:
                    self.assertEqual(f.read()[TABLE], want[:0xC00])

    def test_corrupt_binary_table_is_refused_by_its_md5(self):
        with open(testdata("partitions", "idf_partitions_two_ota.bin"), "rb") as f:
            data = bytearray(f.read())
        data[0x14] ^= 0x01  # a size byte of the first entry; the MD5 entry no longer matches
        bad = os.path.join(self.dir, "bad.bin")
        with open(bad, "wb") as f:
            f.write(data)
        proc = run(["flash", "create", "--table", bad, os.path.join(self.dir, "bad.dev")], expect=1)
        self.assertIn("MD5", proc.stderr.upper())
        self.assertNotIn("UTF-8", proc.stderr)


if __name__ == "__main__":
    main()
