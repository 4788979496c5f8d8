"""A device whose partition table is not at 0x8000 (ESP-IDF's CONFIG_PARTITION_TABLE_OFFSET, e.g.
0x9000 for a bigger bootloader) works with every device command: info, boot, run, set-boot,
confirm, rollback, partition read|write (issue 10, class 5).

Expected values are computed here, independently of the C code: the partition layout from
gen_esp32part.py's placement rules (reference esp-idf-formats.md §1.6: the first partition follows
the table sector, data aligned to 4 KiB, apps to 64 KiB) applied to ESP-IDF's own
partitions_two_ota.csv, the table bytes decoded by otatest.decode_partition_table (struct + hashlib, MD5 entry), otadata
decoded by otatest.read_otadata at the otadata partition's offset.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import (HttpServer, decode_partition_table, make_app, read_file, read_otadata, run,  # noqa: E402
                     run_json, tempdir, testdata)

TABLE = 0x9000
CSV = testdata("partitions", "idf_partitions_two_ota.csv")
PENDING_VERIFY, VALID = 1, 2


def expected_layout(table_offset):
    """partitions_two_ota.csv placed by gen_esp32part's rules after a table at @table_offset."""
    rows = [("nvs", 1, 0x4000), ("otadata", 1, 0x2000), ("phy_init", 1, 0x1000),
            ("factory", 0, 0x100000), ("ota_0", 0, 0x100000), ("ota_1", 0, 0x100000)]
    out, pos = {}, table_offset + 0x1000
    for name, ptype, size in rows:
        align = 0x10000 if ptype == 0 else 0x1000
        pos = (pos + align - 1) & ~(align - 1)
        out[name] = (pos, size)
        pos += size
    return out


LAYOUT = expected_layout(TABLE)


class TableOffset(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = tempdir()
        cls.dir = cls._tmp.__enter__()
        p = lambda n: os.path.join(cls.dir, n)  # noqa: E731
        cls.app1 = make_app(p("factory.bin"), "v1.0.0", project="offset", size="100K", seed=1)
        cls.app2 = make_app(p("app2.bin"), "v2.0.0", project="offset", size="120K", seed=2)
        cls.www = p("www")
        os.makedirs(cls.www)
        cls.app3 = make_app(os.path.join(cls.www, "app3.bin"), "v3.0.0", project="offset", size="140K", seed=3)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.__exit__(None, None, None)

    def setUp(self):
        self.dev = os.path.join(self.dir, f"{self._testMethodName}.bin")

    def create(self, keep_state=True):
        run(["flash", "create", "--offset", hex(TABLE), "--table", CSV, self.dev], expect=0)
        if not keep_state and os.path.exists(self.dev + ".state"):
            os.remove(self.dev + ".state")   # as a device flashed by ESP-IDF's own tools: no sidecar

    def slice(self, label, n=None):
        off, size = LAYOUT[label]
        return read_file(self.dev)[off:off + (size if n is None else n)]

    def test_table_bytes_where_esp_idf_puts_them(self):
        self.create()
        flash = read_file(self.dev)
        self.assertEqual(flash[0x8000:0x9000], b"\xff" * 0x1000)  # nothing at the default offset
        entries, md5_ok = decode_partition_table(flash[TABLE:TABLE + 0xC00])
        self.assertTrue(md5_ok)
        self.assertEqual(entries, LAYOUT)
        self.assertIn("table_offset=0x9000", read_file(self.dev + ".state").decode())

    def every_command(self):
        """info, partition write|read|list, boot, set-boot, confirm, run, rollback on the device."""
        info = run_json(["info", self.dev])
        self.assertEqual(info["table_offset"], TABLE)
        self.assertEqual({p["label"]: (p["offset"], p["size"]) for p in info["partitions"]}, LAYOUT)

        # partition write / read / list, without --offset
        run(["partition", "write", self.dev, "factory", os.path.join(self.dir, "factory.bin")], expect=0)
        self.assertEqual(self.slice("factory", len(self.app1)), self.app1)
        run(["partition", "write", self.dev, "ota_0", os.path.join(self.dir, "app2.bin")], expect=0)
        self.assertEqual(self.slice("ota_0", len(self.app2)), self.app2)
        back = otatest.read_partition(self.dev, "ota_0", os.path.join(self.dir, "back.bin"))
        self.assertEqual(back, self.slice("ota_0"))
        self.assertIn("table at 0x9000", run(["partition", "list", self.dev], expect=0).stdout)

        # boot: otadata (at 0xe000 here) blank -> factory
        boot = run_json(["boot", self.dev])
        self.assertEqual(boot["booted"], "factory")
        self.assertEqual(boot["offset"], LAYOUT["factory"][0])

        # set-boot ota_0 writes otadata at this table's otadata partition, then boot + confirm
        run(["set-boot", self.dev, "ota_0"], expect=0)
        od = read_otadata(self.dev, LAYOUT["otadata"][0])
        self.assertTrue(od[0]["crc_ok"])
        self.assertEqual(od[0]["seq"], 1)
        self.assertEqual(run_json(["boot", self.dev])["booted"], "ota_0")
        run(["confirm", self.dev], expect=0)
        od = read_otadata(self.dev, LAYOUT["otadata"][0])
        self.assertEqual(od[0]["state"], VALID)

        # run: the app over HTTP into the other slot, restart, the next boot runs it
        with HttpServer(self.www) as http:
            run(["run", self.dev, "--app-uri", http.url("app3.bin"), "--data-uri", ""], expect=0)
        self.assertEqual(self.slice("ota_1", len(self.app3)), self.app3)
        od = read_otadata(self.dev, LAYOUT["otadata"][0])
        self.assertEqual(max(e["seq"] for e in od if e["crc_ok"]), 2)   # slot (2 - 1) % 2 = ota_1
        state = read_file(self.dev + ".state").decode()
        self.assertIn("running=ota_1", state)
        self.assertIn("table_offset=0x9000", state)

        # rollback from the new, unconfirmed app goes back to ota_0
        run(["rollback", self.dev], expect=0)
        self.assertEqual(run_json(["boot", self.dev])["booted"], "ota_0")
        info = run_json(["info", self.dev])
        self.assertEqual(info["running"], "ota_0")

    def test_every_command_with_the_offset_in_the_state_file(self):
        self.create(keep_state=True)
        self.every_command()

    def test_every_command_with_the_offset_found_by_scanning(self):
        self.create(keep_state=False)
        self.every_command()

    def test_offset_without_md5_is_kept_in_the_state_file(self):
        run(["flash", "create", "--offset", hex(TABLE), "--no-md5", "--table", CSV, self.dev], expect=0)
        self.assertEqual(run_json(["info", self.dev])["table_offset"], TABLE)
        os.remove(self.dev + ".state")
        # no MD5 and no sidecar: a scan must not guess, and says where it looked
        proc = run(["info", self.dev], expect=1)
        self.assertIn("no valid partition table at 0x8000", proc.stderr)
        self.assertIn("0x9000", proc.stderr)


if __name__ == "__main__":
    otatest.main()
