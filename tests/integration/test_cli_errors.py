#!/usr/bin/env python3
"""Errors that point the way (issue 20, point 5).

- `ota partition list TABLE.bin` lists a binary partition table (gen_esp32part's output, as
  `idf.py build` leaves it) instead of "not a flash image"; other partition commands given a table
  file say what to run instead.
- `ota info` shows a slot holding an interrupted install (the install journal of
  src/formats/ota_install_journal.h) as "interrupted install (run again to finish)", not
  "invalid magic byte (nothing flashed here?)".
- A run's summary names the real reason of the first failed item, not only its code's words.
"""
import os
import signal
import subprocess
import sys
import time
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import (OTA, FaultServer, class_workdir, decode_partition_table, main, no_proxy_env,  # noqa: E402
                     run, run_json, testdata)

OTA_1 = 0x110000
SECTOR = 4096


def last_checkpoint(dev):
    """bytes_written of the last whole checkpoint in ota_1's journal, decoded here from the layout
    in src/formats/ota_install_journal.h ("OTAJ" header, 48-byte "CKPT" records from offset 128
    with a CRC-32 of their first 44 bytes); -1 when there is no journal."""
    with open(dev, "rb") as f:
        f.seek(OTA_1)
        sector = f.read(SECTOR)
    if sector[:4] != b"OTAJ":
        return -1
    last = 0
    for off in range(128, SECTOR - 48 + 1, 48):
        rec = sector[off:off + 48]
        if rec == b"\xff" * 48:
            break
        if rec[:4] == b"CKPT" and zlib.crc32(rec[:44]) == int.from_bytes(rec[44:48], "little"):
            last = int.from_bytes(rec[4:8], "little")
    return last


class TableFiles(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)

    def test_partition_list_lists_a_binary_table(self):
        for name in ("idf_partitions_two_ota.bin", "seed_ota_example.bin", "du1906_partitions.bin"):
            with self.subTest(table=name):
                path = testdata("esp-adf" if name.startswith("du1906") else "partitions", name)
                with open(path, "rb") as f:
                    want, md5_ok = decode_partition_table(f.read())
                proc = run(["partition", "list", path], expect=0)
                self.assertNotIn("not a flash image", proc.stderr)
                for label, (off, _size) in want.items():
                    self.assertRegex(proc.stdout, rf"(?m)^{label}\s.*\s{hex(off)}\s")
                self.assertIn(f"{len(want)} partitions, binary table", proc.stdout)
                doc = run_json(["partition", "list", path])
                self.assertEqual({p["label"]: (p["offset"], p["size"]) for p in doc}, want)

    def test_partition_list_of_a_corrupt_binary_table(self):
        with open(testdata("partitions", "idf_partitions_two_ota.bin"), "rb") as f:
            data = bytearray(f.read())
        data[0x14] ^= 1
        bad = os.path.join(self.dir, "bad_table.bin")
        with open(bad, "wb") as f:
            f.write(data)
        proc = run(["partition", "list", bad], expect=1)
        self.assertIn("not a valid binary partition table", proc.stderr)
        self.assertIn("MD5", proc.stderr.upper())

    def test_other_commands_point_to_what_to_run(self):
        table = testdata("partitions", "idf_partitions_two_ota.bin")
        proc = run(["partition", "read", table, "ota_0", os.path.join(self.dir, "out.bin")], expect=1)
        self.assertIn("is a binary partition table, not a flash image", proc.stderr)
        self.assertIn(f"'ota partition list {table}'", proc.stderr)
        self.assertIn(f"'ota flash create --table {table} DEVICE.bin'", proc.stderr)
        csv = testdata("partitions", "idf_partitions_two_ota.csv")
        proc = run(["partition", "list", csv], expect=1)
        self.assertIn("partition table CSV, not a flash image", proc.stderr)
        self.assertIn(f"'ota partition convert {csv} TABLE.bin'", proc.stderr)


class InterruptedInstall(unittest.TestCase):
    APP_SIZE = 600000

    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        d = cls.dir
        cls.dev = os.path.join(d, "dev.bin")
        run(["flash", "create", cls.dev], expect=0)
        run(["image", "make", "--version", "v1.0", "--project", "ota_example", "--size", "200000",
             "--seed", "1", f"{d}/old.bin"], expect=0)
        run(["partition", "write", cls.dev, "ota_0", f"{d}/old.bin"], expect=0)
        run(["image", "make", "--version", "v2.0", "--project", "ota_example", "--size",
             str(cls.APP_SIZE), "--seed", "2", os.path.join(cls.www, "app.bin")], expect=0)

    def test_info_shows_an_interrupted_install(self):
        with FaultServer(self.www) as fs:
            url = fs.url("app.bin", fault="stall", at=300000, hold=60, times=1)
            proc = subprocess.Popen([OTA, "run", self.dev, "--app-uri", url, "--data-uri", "", "--json"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=no_proxy_env())
            try:
                deadline = time.monotonic() + 60
                while last_checkpoint(self.dev) < 0x40000 and proc.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                self.assertGreaterEqual(last_checkpoint(self.dev), 0x40000, "the download did not get far")
            finally:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
        written = last_checkpoint(self.dev)
        text = run(["info", self.dev], expect=0).stdout
        line = next(l for l in text.splitlines() if l.strip().startswith("ota_1"))
        self.assertIn(f"interrupted install (run again to finish): {written} of {self.APP_SIZE} bytes", line)
        self.assertNotIn("invalid magic byte", line)
        info = run_json(["info", self.dev])
        ota_1 = next(a for a in info["apps"] if a["label"] == "ota_1")
        self.assertFalse(ota_1["valid"])
        self.assertEqual(ota_1["interrupted_install"], {"bytes_written": written, "total_size": self.APP_SIZE})
        ota_0 = next(a for a in info["apps"] if a["label"] == "ota_0")
        self.assertIsNone(ota_0["interrupted_install"])


class RunSummary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)

    def test_summary_names_the_reason(self):
        """A device with ESP-IDF's single-app table has no OTA slot: the service refuses the app
        item (esp_ota_get_next_update_partition finds none), and the summary says so."""
        d = self.dir
        dev = os.path.join(d, "single.bin")
        run(["flash", "create", "--table", testdata("partitions", "idf_partitions_singleapp.csv"), dev], expect=0)
        run(["image", "make", "--version", "v1.0", "--project", "ota_example", "--size", "200000",
             "--seed", "1", f"{d}/factory.bin"], expect=0)
        run(["partition", "write", dev, "factory", f"{d}/factory.bin"], expect=0)
        run(["image", "make", "--version", "v2.0", "--project", "ota_example", "--size", "200000",
             "--seed", "2", f"{d}/new.bin"], expect=0)
        proc = run(["run", dev, "--app-uri", f"file://{d}/new.bin", "--data-uri", ""], expect=1)
        last = proc.stderr.strip().splitlines()[-1]
        self.assertTrue(last.startswith("ota: error: 1 of 1 items failed"), last)
        self.assertIn("no OTA app partition to update", last)
        self.assertIn("item 0, app", last)


if __name__ == "__main__":
    main()
