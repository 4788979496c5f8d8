#!/usr/bin/env python3
"""Issue 19, class 7: an app file with bytes after the image (0xFF padding to a sector, arbitrary
bytes, a whole slot read back from a device) is what esptool and ESP-IDF accept.

- esptool v4.9.1 `image_info` calls such an image valid: the expected lines are the
  `*.image_info.txt` esptool printed for the unpadded image in testdata/secure, with the
  "File size" line being the padded file's size (esptool prints the file's size).
- esp_https_ota (ESP-IDF v6.0.2 components/esp_https_ota/src/esp_https_ota.c) writes the whole
  stream with esp_ota_write, then esp_ota_end (components/app_update/esp_ota_ops.c) verifies the
  image part only (esp_image_verify): the file installs and boots, all its bytes in the slot.
- A signed file keeps the signature rules (test_signed_bytes.py).
"""
import hashlib
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import device_slice, events, read_file, run, run_json, testdata, write_file  # noqa: E402


def sha(data):
    return hashlib.sha256(data).hexdigest()


def clean(line):
    """esptool v4.9.1 printed the app description fields with their NUL padding."""
    return re.sub(r"\s+", " ", line.replace("\0", "")).strip()


class Fixture:
    def __init__(self, d):
        self.dir = d
        self.www = os.path.join(d, "sdcard")
        os.makedirs(self.www)
        p = lambda n: os.path.join(d, n)  # noqa: E731
        run(["image", "make", "--project", "pad", "--version", "v1.0.0", "--size", "300K", "--seed", "1",
             p("run.bin")], expect=0)
        # 200,000 bytes: the image does not end on a sector
        run(["image", "make", "--project", "pad", "--version", "v1.1.0", "--size", "200000", "--seed", "2",
             self.sd("new.bin")], expect=0)
        self.new = read_file(self.sd("new.bin"))
        assert len(self.new) == 200000
        write_file(self.sd("new_ff.bin"), self.new + b"\xff" * (0x40000 - len(self.new)))
        # arbitrary bytes; at the 4 KiB boundary after the image (byte 704 of them) not the
        # signature block magic 0xE7, so no signature sector is looked for there
        write_file(self.sd("new_junk.bin"), self.new + (bytes(range(256)) * 4)[:1000])
        self.device = p("dev.bin")
        run(["flash", "create", self.device], expect=0)
        run(["partition", "write", self.device, "ota_0", p("run.bin")], expect=0)
        run(["boot", self.device], expect=0)

    def sd(self, name):
        return os.path.join(self.www, name)


FIX = None


def setUpModule():
    global FIX
    FIX, _ = otatest.module_fixture(Fixture)


class PaddedApps(otatest.DeviceCopyCase):
    def install(self, dev, name, expect=0):
        proc = run(["run", dev, "--sdcard", FIX.www, "--json", "--data-uri", "",
                    "--app-uri", f"file://sdcard/{name}"], expect=expect)
        res = [e for e in events(proc.stdout) if e.get("event") == "result"]
        self.assertEqual(len(res), 1, proc.stdout + proc.stderr)
        return res[0], proc

    def assert_installed(self, dev, data):
        run(["confirm", dev], expect=0)
        doc = run_json(["boot", dev])
        self.assertEqual((doc["booted"], doc["app"]["version"]), ("ota_1", "v1.1.0"))
        slot = device_slice(dev, "ota_1")
        # every byte of the stream is in the slot (esp_https_ota writes it all), then erased flash
        self.assertEqual(sha(slot[:len(data)]), sha(data))
        self.assertEqual(slot[len(data):], b"\xff" * (len(slot) - len(data)))

    def test_trailing_bytes_install_and_boot(self):
        for name in ("new_ff.bin", "new_junk.bin"):
            with self.subTest(name):
                dev = self.copy_device(FIX.device)
                res, _ = self.install(dev, name)
                self.assertEqual(res["result"], "success", res)
                self.assert_installed(dev, read_file(FIX.sd(name)))
                doc = run_json(["image", "info", dev, "--partition", "ota_1"])
                self.assertTrue(doc["valid"], doc)
                self.assertEqual(doc["app_desc"]["version"], "v1.1.0")

    def test_partition_read_back_installs_again(self):
        dev = self.copy_device(FIX.device)
        res, _ = self.install(dev, "new.bin")
        self.assertEqual(res["result"], "success", res)
        back = FIX.sd(f"readback{self.n}.bin")
        run(["partition", "read", dev, "ota_1", back], expect=0)
        data = read_file(back)
        self.assertEqual(len(data), len(device_slice(dev, "ota_1")))  # the whole slot
        self.assertEqual(data[:len(FIX.new)], FIX.new)
        other = self.copy_device(FIX.device)
        res, _ = self.install(other, os.path.basename(back))
        self.assertEqual(res["result"], "success", res)
        self.assert_installed(other, data)

    def test_larger_than_the_slot_refused_before_erasing(self):
        dev = self.copy_device(FIX.device)
        size = len(device_slice(dev, "ota_1"))
        write_file(FIX.sd("too_big.bin"), FIX.new + b"\xff" * (size + 1 - len(FIX.new)))
        before = device_slice(dev, "ota_1")
        res, _ = self.install(dev, "too_big.bin", expect=1)
        self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_IMG_TOO_LARGE"), res)
        self.assertEqual(device_slice(dev, "ota_1"), before)


class PaddedImageInfo(unittest.TestCase):
    def test_padded_espressif_images_print_esptool_lines(self):
        # the image_info.txt files were made with `esptool --chip CHIP image_info` (their "ESP32C6 image
        # header" wording), so the same --chip is given here
        for folder, name, chip in (("secure", "app_esp32c6", "esp32c6"), ("secure", "app_esp32", "esp32"),
                                   ("esp-adf", "du1906_app", "esp32")):
            orig = read_file(testdata(folder, name + ".bin"))
            with open(testdata(folder, name + ".image_info.txt"), encoding="latin-1") as f:
                expected = [clean(line) for line in f if line.strip() and not line.startswith("esptool.py")]
            for tail in (b"\xff" * (0x10000 - len(orig) % 0x10000 or 0x10000), os.urandom(777)):
                with self.subTest(name=name, tail=len(tail)), otatest.tempdir() as d:
                    path = os.path.join(d, "padded.bin")
                    write_file(path, orig + tail)
                    out = run(["image", "info", "--chip", chip, path], expect=0).stdout
                    got = {clean(line) for line in out.splitlines()}
                    # esptool prints the file's size: the padded one
                    want = [f"File size: {len(orig) + len(tail)} (bytes)" if line.startswith("File size:")
                            else line for line in expected]
                    missing = [line for line in want if line not in got]
                    self.assertEqual(missing, [], f"{name}: lines of image_info.txt not in the output:\n{out}")
                    doc = run_json(["image", "info", path])
                    self.assertTrue(doc["valid"], doc)
                    self.assertIsNone(doc["signature"])


if __name__ == "__main__":
    otatest.main()
