"""`ota image info|make`, `ota boot|set-boot|confirm|rollback|info` end to end.

Expected values come from ../shared/testdata (du1906_app.image_info.txt is esptool v4.9.1's report
of du1906_app.bin), from reference/esp-idf-formats.md (otadata CRC, states, selection rules), and
from the image and otadata decoders in otatest.py (struct + hashlib + binascii, independent of the
C code).
"""
import json
import os
import re
import shutil
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import (OTA_IMG_STATES, otadata_crc, parse_esp_image, read_otadata, run, run_json,  # noqa: E402
                     tempdir, testdata)

DU1906 = testdata("esp-adf", "du1906_app.bin")
DU1906_INFO = testdata("esp-adf", "du1906_app.image_info.txt")
OTA_0, OTA_1 = 0x10000, 0x110000   # the ESP-ADF OTA example table `ota flash create` writes by default
NEW, PENDING_VERIFY, VALID, INVALID, ABORTED = 0, 1, 2, 3, 4
# Flash-mapped (DROM, IROM) ranges: ESP-IDF soc.h SOC_DROM/IROM_LOW/HIGH (reference §3.2)
MAPPED = {
    "esp32": [(0x3F400000, 0x3F800000), (0x400D0000, 0x40400000)],
    "esp32s2": [(0x3F000000, 0x3FF80000), (0x40080000, 0x40800000)],
    "esp32s3": [(0x3C000000, 0x3E000000), (0x42000000, 0x44000000)],
    "esp32c3": [(0x3C000000, 0x3C800000), (0x42000000, 0x42800000)],
    "esp32c6": [(0x42000000, 0x43000000)],
}


def read(path):
    with open(path, "rb") as f:
        return f.read()


def clean(line):
    """esptool v4.9.1 printed the app description fields with their NUL padding."""
    return re.sub(r"\s+", " ", line.replace("\0", "")).strip()


def make_image(path, version, size="64K", seed=1, chip=None, secure_version=0, project="itest"):
    args = ["image", "make", "--version", version, "--project", project, "--size", size, "--seed", seed,
            "--secure-version", secure_version]
    if chip:
        args += ["--chip", chip]
    run(args + [path], expect=0)
    return path


class ImageInfo(unittest.TestCase):
    def test_du1906_prints_every_value_of_esptool(self):
        out = run(["image", "info", DU1906], expect=0).stdout
        got = {clean(line) for line in out.splitlines()}
        with open(DU1906_INFO, encoding="latin-1") as f:
            expected = [clean(line) for line in f if line.strip() and not line.startswith("esptool.py")]
        self.assertGreater(len(expected), 30)
        missing = [line for line in expected if line not in got]
        self.assertEqual(missing, [], f"lines of image_info.txt not in the output:\n{out}")

    def test_esp32c6_and_esp32_print_every_line_of_esptool(self):
        """Issue 10, class 9: esptool v4.9.1's section titles ("ESP32C6 image header") and segment
        names ("DROM, IROM": on the ESP32-C6 both windows start at 0x42000000)."""
        for name in ("app_esp32c6", "app_esp32"):
            # the reports were made with esptool --chip (test_image_info_esptool.py)
            out = run(["image", "info", "--chip", name[4:], testdata("secure", name + ".bin")], expect=0).stdout
            got = {clean(line) for line in out.splitlines()}
            with open(testdata("secure", name + ".image_info.txt"), encoding="latin-1") as f:
                expected = [clean(line) for line in f if line.strip() and not line.startswith("esptool.py")]
            self.assertGreater(len(expected), 25)
            missing = [line for line in expected if line not in got]
            self.assertEqual(missing, [], f"{name}: lines of image_info.txt not in the output:\n{out}")

    def test_du1906_json_matches_independent_decode(self):
        doc = run_json(["image", "info", DU1906])
        img = parse_esp_image(read(DU1906))
        self.assertTrue(doc["valid"])
        self.assertIsNone(doc["error"])
        self.assertEqual(doc["file_size"], os.path.getsize(DU1906))
        self.assertEqual(doc["image_len"], img["length"])
        h = doc["header"]
        self.assertEqual(h["entry_addr"], 0x40081998)
        self.assertEqual((h["flash_size"], h["flash_freq"], h["flash_mode"]), ("8MB", "80m", "DIO"))
        self.assertEqual((h["chip_id"], h["chip"], h["legacy_min_rev"]), (0, "ESP32", 3))
        self.assertEqual([(s["length"], s["load_addr"], s["file_offset"]) for s in doc["segments"]],
                         [(s["length"], s["addr"], s["file_offs"]) for s in img["segments"]])
        self.assertEqual(doc["segments"][1]["memory_types"], "BYTE_ACCESSIBLE, DRAM")
        self.assertEqual(doc["checksum"], {"stored": 0xA1, "calculated": img["checksum_calc"], "valid": True})
        self.assertEqual(img["checksum_calc"], 0xA1)
        self.assertEqual(doc["hash"]["calculated"], img["hash_calc"])
        self.assertEqual(doc["hash"]["stored"], img["hash_stored"])
        self.assertEqual(doc["hash"]["calculated"],
                         "880ab723c17d1df0206af2191b7e09413f35088bcf97744bce91a1c6ed8eeaa9")
        d = doc["app_desc"]
        self.assertEqual((d["project_name"], d["version"], d["idf_ver"]),
                         ("korvo_du1906", "v1.4.0", "v3.3.1-276-g606dd2b62-dirty"))
        self.assertEqual(d["elf_sha256"], "eb35f2ff1b6b3a4e6e992295c802b6d8fa55915475c4b73c363eb8a69aee3fdd")
        self.assertEqual(d["secure_version"], 0)

    def test_invalid_images_exit_1_with_the_reason(self):
        data = bytearray(read(DU1906))
        img = parse_esp_image(bytes(data))
        with tempdir() as d:
            bad = os.path.join(d, "bad.bin")
            data[0x100000] ^= 0x04
            with open(bad, "wb") as f:
                f.write(data)
            proc = run(["image", "info", bad], expect=1)
            self.assertIn("Checksum failed. Calculated 0x%x read 0xa1" % (0xA1 ^ 0x04), proc.stderr)
            # esptool v4.9.1 cmds.py: "invalid - calculated {:02x}" (no 0x)
            self.assertIn("Checksum: 0xa1 (invalid - calculated %02x)" % (0xA1 ^ 0x04), proc.stdout)
            self.assertIn("Project name: korvo_du1906", proc.stdout)  # what could be decoded is shown
            doc = run_json(["image", "info", bad], expect=1)
            self.assertFalse(doc["valid"])
            self.assertEqual(doc["error"]["error"], "OTA_ERR_IMG_CHECKSUM")
            self.assertFalse(doc["hash"]["valid"])  # checked anyway

            cut = os.path.join(d, "cut.bin")
            with open(cut, "wb") as f:
                f.write(read(DU1906)[:img["length"] - 5])
            doc = run_json(["image", "info", cut], expect=1)
            self.assertEqual(doc["error"]["error"], "OTA_ERR_IMG_TRUNCATED")
            self.assertEqual(doc["error"]["offset"], img["length"] - 5)
            cut2 = os.path.join(d, "cut2.bin")
            with open(cut2, "wb") as f:
                f.write(read(DU1906)[:0x100000])
            doc = run_json(["image", "info", cut2], expect=1)
            self.assertEqual(doc["error"]["error"], "OTA_ERR_IMG_SEGMENT_PAST_END")
            self.assertEqual(doc["error"]["segment"], 2)

            junk = os.path.join(d, "junk.bin")
            with open(junk, "wb") as f:
                f.write(b"\xff" * 4096)
            proc = run(["image", "info", junk], expect=1)
            self.assertIn("invalid magic byte", proc.stderr)
            run(["image", "info", os.path.join(d, "missing.bin")], expect=1)
            run(["image", "info"], expect=2)
            run(["image", "info", "--bogus", DU1906], expect=2)
            self.assertIn("Usage: ota image info", run(["image", "info", "--help"], expect=0).stdout)


class ImageMake(unittest.TestCase):
    def test_made_images_are_valid_for_each_chip(self):
        with tempdir() as d:
            for chip in ("esp32", "esp32s2", "esp32s3", "esp32c3", "esp32c6"):
                for size in (4096, 200000, 1 << 20):
                    path = make_image(os.path.join(d, f"{chip}_{size}.bin"), "v9.8.7", size=str(size),
                                      seed=size, chip=chip, secure_version=4)
                    data = read(path)
                    self.assertEqual(len(data), size & ~15)
                    img = parse_esp_image(data)
                    self.assertEqual(img["magic"], 0xE9)
                    self.assertEqual(img["checksum_stored"], img["checksum_calc"])
                    self.assertEqual(img["hash_stored"], img["hash_calc"])
                    self.assertEqual(img["length"], len(data))
                    self.assertEqual(img["app_desc"]["magic"], 0xABCD5432)
                    self.assertEqual(img["app_desc"]["version"], "v9.8.7")
                    self.assertEqual(img["app_desc"]["secure_version"], 4)
                    mapped = [s for s in img["segments"]
                              if any(lo <= s["addr"] < hi for lo, hi in MAPPED[chip])]
                    self.assertEqual(mapped[0], img["segments"][0])  # DROM first: app description at 0x20
                    self.assertEqual(len(mapped), 2 if size >= 128 * 1024 else 1)  # + IROM when big enough
                    for s in mapped:  # esptool's rule: file offset of the data == vaddr mod 64 KiB
                        self.assertEqual((s["file_offs"] + 8) % 0x10000, s["addr"] % 0x10000, (chip, size, s))
                    doc = run_json(["image", "info", path])
                    self.assertTrue(doc["valid"], doc["error"])
                    self.assertEqual(doc["header"]["chip"], chip.upper().replace("ESP32", "ESP32-").rstrip("-"))

    def test_deterministic(self):
        with tempdir() as d:
            a = make_image(os.path.join(d, "a.bin"), "1.0", size="300K", seed=5)
            b = make_image(os.path.join(d, "b.bin"), "1.0", size="300K", seed=5)
            c = make_image(os.path.join(d, "c.bin"), "1.0", size="300K", seed=6)
            self.assertEqual(read(a), read(b))
            self.assertNotEqual(read(a), read(c))
            proc = run(["image", "make", "--version", "1", "--project", "p", "--size", "1000001",
                        os.path.join(d, "odd.bin")], expect=0)
            self.assertIn("1000000 bytes", proc.stdout)
            self.assertEqual(os.path.getsize(os.path.join(d, "odd.bin")), 1000000)

    def test_usage_errors(self):
        with tempdir() as d:
            out = os.path.join(d, "x.bin")
            run(["image", "make", "--project", "p", out], expect=2)                   # no --version
            run(["image", "make", "--version", "1", "--project", "p", "--chip", "esp8266", out], expect=2)
            run(["image", "make", "--version", "1", "--project", "p", "--size", "10", out], expect=2)
            run(["image", "make", "--version", "x" * 32, "--project", "p", out], expect=2)
            self.assertFalse(os.path.exists(out))
            self.assertIn("--secure-version", run(["image", "make", "--help"], expect=0).stdout)


class Device(unittest.TestCase):
    """The issue's "Done when", and the rollback state machine through the CLI."""

    def setUp(self):
        self._tmp = tempdir()
        self.dir = self._tmp.__enter__()
        self.dev = os.path.join(self.dir, "dev.bin")
        run(["flash", "create", self.dev], expect=0)
        self.v1 = make_image(os.path.join(self.dir, "v1.bin"), "v1.0", size="200K", seed=1)
        self.v2 = make_image(os.path.join(self.dir, "v2.bin"), "v2.0", size="300K", seed=2)

    def tearDown(self):
        self._tmp.__exit__(None, None, None)

    def write(self, label, image):
        run(["partition", "write", self.dev, label, image], expect=0)

    def boot(self, expect=0):
        return run(["boot", self.dev], expect=expect)

    def state(self):
        with open(self.dev + ".state") as f:
            return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))

    def corrupt(self, offset):
        with open(self.dev, "r+b") as f:
            f.seek(offset)
            b = f.read(1)
            f.seek(offset)
            f.write(bytes([b[0] ^ 0x01]))

    def test_done_when_boot_switch_and_fallback(self):
        self.write("ota_0", self.v1)
        out = self.boot().stdout
        self.assertIn("I (", out)
        self.assertIn("boot: ## Label            Usage          Type ST Offset   Length", out)
        self.assertIn("boot:  3 ota_0            OTA app          00 10 00010000 00100000", out)
        self.assertIn("boot: Loaded app from partition at offset 0x10000", out)
        self.assertIn("boot: Set actual ota_seq=1 in otadata[0]", out)
        # `ota image make`'s default ESP-IDF is v5.5.4: from v5.3 the app's block is app_init's
        # (components/esp_app_format/esp_app_desc.c, init_show_app_info, at v5.5.4)
        self.assertIn("app_init: Project name:     itest", out)
        self.assertIn("app_init: App version:      v1.0", out)
        self.assertIn("app_init: ESP-IDF:          v5.5.4", out)
        elf = parse_esp_image(read(self.v1))["app_desc"]["elf_sha256"]
        self.assertIn("app_init: ELF file SHA256:  %s..." % elf[:16], out)
        self.assertNotIn("cpu_start:", out)
        e = read_otadata(self.dev)
        self.assertEqual((e[0]["seq"], e[0]["state"], e[0]["crc"]), (1, VALID, 0x4743989A))
        self.assertEqual(e[1]["seq"], 0xFFFFFFFF)
        self.assertEqual(self.state()["running"], "ota_0")

        self.write("ota_1", self.v2)
        proc = run(["set-boot", self.dev, "ota_1"], expect=0)
        self.assertIn("ota_1", proc.stdout)
        e = read_otadata(self.dev)
        self.assertEqual((e[1]["seq"], e[1]["state"], e[1]["crc"]), (2, NEW, otadata_crc(2)))
        self.assertEqual(e[1]["crc"], 0x55F63774)
        out = self.boot().stdout
        self.assertIn("boot: Loaded app from partition at offset 0x110000", out)
        self.assertIn("App version:      v2.0", out)
        self.assertEqual(read_otadata(self.dev)[1]["state"], PENDING_VERIFY)
        run(["confirm", self.dev], expect=0)
        self.assertEqual(read_otadata(self.dev)[1]["state"], VALID)
        self.assertEqual(self.state()["efuse_secure_version"], "0")  # v2 has secure_version 0

        # corrupt ota_1 (a payload byte): the bootloader falls back to ota_0
        self.corrupt(OTA_1 + 0x2000)
        out = self.boot().stdout
        self.assertIn("esp_image: Checksum failed.", out)
        self.assertIn("boot: OTA app partition slot 1 is not bootable", out)
        self.assertIn("boot: Loaded app from partition at offset 0x10000", out)
        self.assertEqual(self.state()["running"], "ota_0")
        info = run_json(["info", self.dev])
        apps = {a["label"]: a for a in info["apps"]}
        self.assertTrue(apps["ota_0"]["valid"])
        self.assertFalse(apps["ota_1"]["valid"])
        self.assertEqual(apps["ota_1"]["error"]["error"], "OTA_ERR_IMG_CHECKSUM")
        self.assertEqual(info["next_boot"]["label"], "ota_0")
        self.assertTrue(info["next_boot"]["fell_back"])

    def test_reboot_without_confirm_aborts(self):
        self.write("ota_0", self.v1)
        self.boot()
        self.write("ota_1", self.v2)
        run(["set-boot", self.dev, "ota_1"], expect=0)
        self.assertIn("offset 0x110000", self.boot().stdout)
        info = run_json(["info", self.dev])
        self.assertEqual(info["running"], "ota_1")
        self.assertEqual(info["otadata"][1]["state"], "PENDING_VERIFY")
        self.assertEqual(info["next_boot"]["label"], "ota_0")  # what the next reset will do
        out = self.boot().stdout
        self.assertIn("offset 0x10000", out)
        e = read_otadata(self.dev)
        self.assertEqual(OTA_IMG_STATES[e[1]["state"]], "ABORTED")
        self.assertEqual(OTA_IMG_STATES[e[0]["state"]], "VALID")

    def test_rollback(self):
        self.write("ota_0", self.v1)
        self.boot()
        proc = run(["rollback", self.dev], expect=1)  # nothing to go back to
        self.assertIn("rollback not possible", proc.stderr)
        self.write("ota_1", self.v2)
        run(["set-boot", self.dev, "ota_1"], expect=0)
        self.boot()
        out = run(["rollback", self.dev], expect=0).stdout
        self.assertIn("boot: Loaded app from partition at offset 0x10000", out)
        self.assertIn("App version:      v1.0", out)
        e = read_otadata(self.dev)
        self.assertEqual((e[1]["seq"], e[1]["state"]), (2, INVALID))
        self.assertTrue(e[1]["crc_ok"])
        self.assertEqual(self.state()["running"], "ota_0")
        doc = run_json(["rollback", self.dev], expect=1)
        self.assertEqual(doc["error"]["error"], "OTA_ERR_ROLLBACK_FAILED")

    def test_anti_rollback_refuses_older_image(self):
        self.write("ota_0", self.v1)
        self.boot()
        v3 = make_image(os.path.join(self.dir, "v3.bin"), "v3.0", size="100K", seed=3, secure_version=1)
        self.write("ota_1", v3)
        run(["set-boot", self.dev, "ota_1"], expect=0)
        self.boot()
        run(["confirm", self.dev], expect=0)
        self.assertEqual(self.state()["efuse_secure_version"], "1")
        proc = run(["set-boot", self.dev, "ota_0"], expect=1)
        self.assertIn("anti-rollback", proc.stderr)
        with open(self.dev, "rb") as f:
            f.seek(OTA_0)
            self.assertEqual(f.read(4096), b"\xff" * 4096)  # erased, as esp_ota_set_boot_partition does

    def test_json_and_errors(self):
        proc = self.boot(expect=1)                     # an empty device
        self.assertIn("nothing can boot", proc.stderr)
        self.assertIn("No bootable app partitions in the partition table", proc.stdout)
        self.write("ota_0", self.v1)
        proc = run(["boot", self.dev, "--json"], expect=0)
        doc = json.loads(proc.stdout)                  # stdout is only the JSON document
        self.assertEqual((doc["booted"], doc["offset"], doc["index"]), ("ota_0", OTA_0, 0))
        self.assertEqual(doc["app"]["version"], "v1.0")
        self.assertIn("Loaded app from partition at offset 0x10000", proc.stderr)
        info = run_json(["info", self.dev])
        self.assertEqual((info["chip"], info["chip_revision"], info["efuse_secure_version"]), ("esp32", "v3.0", 0))
        self.assertTrue(info["rollback"] and info["anti_rollback"])
        self.assertEqual([p["label"] for p in info["partitions"]],
                         ["nvs", "otadata", "phy_init", "ota_0", "ota_1", "flash_tone"])
        self.assertEqual(info["otadata"][0]["seq"], 1)
        self.assertTrue(info["otadata"][0]["crc_valid"] and info["otadata"][0]["active"])
        self.assertEqual(info["otadata"][0]["slot"], "ota_0")
        self.assertTrue(info["otadata"][1]["blank"])
        text = run(["info", self.dev], expect=0).stdout
        self.assertIn("Running: ota_0", text)
        self.assertIn("Next boot: ota_0", text)
        # an image in a partition of the device
        doc = run_json(["image", "info", self.dev, "--partition", "ota_0"])
        self.assertTrue(doc["valid"])
        self.assertEqual(doc["partition"], {"label": "ota_0", "offset": OTA_0, "size": 0x100000})
        self.assertEqual(doc["image_len"], os.path.getsize(self.v1))
        run(["image", "info", self.dev, "--partition", "nope"], expect=1)
        run(["image", "info", self.dev, "--partition", "ota_1"], expect=1)  # erased
        run(["set-boot", self.dev, "nope"], expect=1)
        run(["set-boot", self.dev, "nvs"], expect=1)
        run(["set-boot", self.dev, "ota_1"], expect=1)  # nothing there
        run(["set-boot", self.dev], expect=2)
        run(["confirm", self.dev, "extra"], expect=2)
        for cmd in ("boot", "set-boot", "confirm", "rollback", "info"):
            self.assertIn("Usage: ota " + cmd, run([cmd, "--help"], expect=0).stdout)
        # a device that has not booted cannot confirm
        os.remove(self.dev + ".state")
        self.assertIn("ota boot", run(["confirm", self.dev], expect=1).stderr)
        # hardware state from the sidecar: another chip refuses the ESP32 image
        with open(self.dev + ".state", "w") as f:
            f.write("chip=esp32s3\n")
        proc = self.boot(expect=1)
        self.assertIn("mismatch chip ID", proc.stdout)


if __name__ == "__main__":
    otatest.main()
