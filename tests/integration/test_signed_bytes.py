#!/usr/bin/env python3
"""Issue 19, classes 4 and 6: signed means every byte; the version floor of a signed data
partition outlives an interrupted install.

Class 4. espsecure v4.9.1 verify_signature_v2 (espsecure/__init__.py) refuses a file whose size
is not a non-zero multiple of 4096 ("Data size should be non-zero & a multiple of 4096") and takes
its last 4096 bytes as the signature sector over everything before it. ESP-IDF v6.1-beta1
(components/app_update/esp_ota_ops.c, ota_verify_data_partition_signature) rounds the written size
down to 4 KiB, so bytes after the sector would be written and never checked: here a signed data
item must be whole sectors (refused before erasing when the size is known), and a signed app must
end with its sector (ESP-IDF v6.0.2 esp_image_format.c: the sector at the image length rounded up
to 4 KiB). Inputs: Espressif's signed tone image (testdata/secure/flash_tone_fmt0_ecdsa256.bin)
and an app signed with the ECDSA-P256 test key, with bytes appended.

Class 6. An attacker without the key streams an unsigned tone image with a higher version: it is
written, then refused at its signature, and leaves the partition as an interrupted install. The
next run must still refuse an older signed image: the floor (the version the partition held) is
kept in the install journal before the new content is written (ota_install_journal.h).
"""
import hashlib
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import device_slice, events, read_file, run, testdata, write_file  # noqa: E402

SEC = lambda n: testdata("secure", n)  # noqa: E731
SECTOR = 4096
TONE_TAG = b"\x53\x20"


def sha(data):
    return hashlib.sha256(data).hexdigest()


class Fixture:
    def __init__(self, d):
        self.dir = d
        self.sd = os.path.join(d, "sdcard")
        os.makedirs(self.sd)
        self.www = self.sd  # module_fixture serves it; the items here are read as file://sdcard/
        p = lambda n: os.path.join(d, n)  # noqa: E731
        key = SEC("key_ecdsa256.pem")
        run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", "v1.0.0", "--size", "300K", "--seed", "1",
             p("run.bin")], expect=0)
        run(["image", "sign", "--keyfile", key, p("run.bin"), p("run_signed.bin")], expect=0)
        run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", "v1.1.0", "--size", "200K", "--seed", "2",
             p("new.bin")], expect=0)
        run(["image", "sign", "--keyfile", key, p("new.bin"), self.sd_path("app_signed.bin")], expect=0)
        self.app_signed = read_file(self.sd_path("app_signed.bin"))
        # Espressif's signed tone image, clean and with bytes after its signature sector
        self.tone = read_file(SEC("flash_tone_fmt0_ecdsa256.bin"))
        write_file(self.sd_path("tone.bin"), self.tone)
        write_file(self.sd_path("tone_tail100.bin"), self.tone + os.urandom(100))
        write_file(self.sd_path("tone_tail_sector.bin"), self.tone + os.urandom(SECTOR))
        write_file(self.sd_path("tone_tail_ff.bin"), self.tone + b"\xff" * 10)
        write_file(self.sd_path("app_tail100.bin"), self.app_signed + os.urandom(100))
        write_file(self.sd_path("app_tail_sector.bin"), self.app_signed + os.urandom(SECTOR))
        # format-1 tone images of several versions ("V1.2.3": the form the example's need_upgrade
        # compares, ota_get_version_number), with the files of ESP-ADF's tone_fmt1_mixer.bin
        files = p("files")
        run(["tone", "info", testdata("esp-adf", "tone_fmt1_mixer.bin"), "--extract", files], expect=0)
        for ver in ("V1.0.0", "V2.0.0", "V3.0.0", "V9.0.0"):
            plain = p(f"tone_{ver}.bin")
            run(["tone", "make", "--keep-order", "--version", ver, "--time", "12:00:00", "--date", "2024-01-01"]
                + [os.path.join(files, f) for f in sorted(os.listdir(files))] + [plain], expect=0)
            run(["image", "sign", "--keyfile", key, plain, self.sd_path(f"signed_{ver}.bin")], expect=0)
        # the attacker's stream: V9.0.0 unsigned, padded to whole sectors, then a sector of garbage
        v9 = read_file(p("tone_V9.0.0.bin"))
        v9 += b"\xff" * (-len(v9) % SECTOR)
        write_file(self.sd_path("forged_V9.0.0.bin"), v9 + b"\x00" * SECTOR)
        # device: an ESP32-C6 (ECDSA P-256 is a Secure Boot V2 scheme there, not on an ESP32: soc_caps.h
        # v6.0.2), the signed app in ota_0, KEY_DIGEST0 = the P-256 test key, Secure Boot V2 on,
        # flash_tone a signed data partition
        self.device = p("dev.bin")
        run(["flash", "create", "--chip", "esp32c6", self.device], expect=0)
        run(["partition", "write", self.device, "ota_0", p("run_signed.bin")], expect=0)
        run(["efuse", "burn-key-digest", self.device, SEC("digest_ecdsa256.bin")], expect=0)
        run(["config", "set", self.device, "signed-data-partitions", "flash_tone"], expect=0)
        run(["efuse", "enable-secure-boot", self.device], expect=0)
        run(["boot", self.device], expect=0)

    def sd_path(self, name):
        return os.path.join(self.sd, name)


FIX = None


def setUpModule():
    global FIX
    FIX, _ = otatest.module_fixture(Fixture)


class Case(otatest.DeviceCopyCase):
    def device(self):
        return self.copy_device(FIX.device)

    def run_item(self, dev, data=None, app=None, expect=None):
        proc = run(["run", dev, "--sdcard", FIX.sd, "--json",
                    "--data-uri", f"file://sdcard/{data}" if data else "",
                    "--app-uri", f"file://sdcard/{app}" if app else ""], expect=expect)
        res = [e for e in events(proc.stdout) if e.get("event") == "result"]
        self.assertEqual(len(res), 1, proc.stdout + proc.stderr)
        return res[0], proc

    def assert_boots_old_app(self, dev):
        doc = otatest.run_json(["boot", dev])
        self.assertEqual((doc["booted"], doc["app"]["version"]), ("ota_0", "v1.0.0"))


class SignedMeansEveryByte(Case):
    def test_clean_tone_installs(self):
        dev = self.device()
        res, proc = self.run_item(dev, data="tone.bin", expect=0)
        self.assertEqual(res["result"], "success", res)
        part = device_slice(dev, "flash_tone")
        self.assertEqual(sha(part[:len(FIX.tone)]), sha(FIX.tone))

    def test_tone_with_bytes_after_its_sector_refused_before_erasing(self):
        # 100 random bytes, and 10 bytes of 0xFF: not whole sectors, known from the file size
        for name in ("tone_tail100.bin", "tone_tail_ff.bin"):
            with self.subTest(name):
                dev = self.device()
                self.run_item(dev, data="tone.bin", expect=0)
                before = device_slice(dev, "flash_tone")
                res, proc = self.run_item(dev, data=name, expect=1)
                self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_IMG_TRAILING_DATA"), res)
                self.assertIn("covered by no signature", proc.stderr)
                self.assertEqual(sha(device_slice(dev, "flash_tone")), sha(before), "partition changed")

    def test_tone_with_a_sector_after_its_sector_not_committed(self):
        # whole sectors: the last one is the garbage, which is no signature block
        dev = self.device()
        res, proc = self.run_item(dev, data="tone_tail_sector.bin", expect=1)
        self.assertEqual(res["result"], "failed", res)
        self.assertTrue(res["reason"].startswith("OTA_ERR_SIG_"), res)
        part = device_slice(dev, "flash_tone")
        self.assertNotEqual(part[:2], TONE_TAG, "a tone header was committed")
        self.assert_boots_old_app(dev)

    def test_tone_with_bytes_after_its_sector_unknown_size_not_committed(self):
        # chunked: the size is known only at the end, where the tail is refused before the commit
        dev = self.device()
        self.run_item(dev, data="tone.bin", expect=0)
        with otatest.FaultServer(FIX.sd) as fs:
            for name in ("tone_tail100.bin", "tone.bin"):
                proc = run(["run", dev, "--json", "--app-uri", "", "--data-uri",
                            fs.url(name, fault="chunked")], expect=None)
                res = [e for e in events(proc.stdout) if e.get("event") == "result"]
                self.assertEqual(len(res), 1, proc.stdout + proc.stderr)
                if name == "tone_tail100.bin":
                    self.assertEqual((res[0]["result"], res[0]["reason"]), ("failed", "OTA_ERR_IMG_TRAILING_DATA"))
                    self.assertIn("covered by no signature", proc.stderr)
                    self.assertNotEqual(device_slice(dev, "flash_tone")[:2], TONE_TAG, "committed")
                else:  # the clean image, chunked too, installs again
                    self.assertEqual(res[0]["result"], "success", res)
        self.assertEqual(device_slice(dev, "flash_tone")[:len(FIX.tone)], FIX.tone)

    def test_verify_signature_refuses_bytes_after_the_sector(self):
        pub = SEC("pub_ecdsa256.pem")
        run(["image", "verify-signature", "--pubkey", pub, FIX.sd_path("tone.bin")], expect=0)
        run(["image", "verify-signature", "--pubkey", pub, FIX.sd_path("app_signed.bin")], expect=0)
        for name in ("tone_tail100.bin", "tone_tail_ff.bin", "app_tail100.bin"):
            with self.subTest(name):
                proc = run(["image", "verify-signature", "--pubkey", pub, FIX.sd_path(name)], expect=1)
                self.assertIn("not a multiple of 4096", proc.stderr)
                doc = otatest.run_json(["image", "verify-signature", "--pubkey", pub, FIX.sd_path(name)],
                                       expect=1)
                self.assertFalse(doc["verified"])
        for name in ("tone_tail_sector.bin", "app_tail_sector.bin"):
            with self.subTest(name):
                proc = run(["image", "verify-signature", "--pubkey", pub, FIX.sd_path(name)], expect=1)
                self.assertIn("ota: error:", proc.stderr)

    def test_signed_app_with_bytes_after_its_sector_refused(self):
        for name in ("app_tail100.bin", "app_tail_sector.bin"):
            with self.subTest(name):
                dev = self.device()
                ota_0, otadata = device_slice(dev, "ota_0"), device_slice(dev, "otadata")
                res, proc = self.run_item(dev, app=name, expect=1)
                self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_IMG_TRAILING_DATA"), res)
                self.assertIn("after the signature sector", proc.stderr)
                self.assertEqual(sha(device_slice(dev, "ota_0")), sha(ota_0))
                self.assertEqual(sha(device_slice(dev, "otadata")), sha(otadata))
                self.assertNotEqual(device_slice(dev, "ota_1")[:1], b"\xe9", "an image header was committed")
                self.assert_boots_old_app(dev)
                proc = run(["image", "info", FIX.sd_path(name)], expect=1)
                self.assertIn("covered by no signature", proc.stderr)

    def test_clean_signed_app_installs(self):
        dev = self.device()
        res, _ = self.run_item(dev, app="app_signed.bin", expect=0)
        self.assertEqual(res["result"], "success", res)
        run(["confirm", dev], expect=0)
        doc = otatest.run_json(["boot", dev])
        self.assertEqual((doc["booted"], doc["app"]["version"]), ("ota_1", "v1.1.0"))


class VersionFloor(Case):
    def test_interrupted_install_keeps_the_floor(self):
        dev = self.device()
        res, _ = self.run_item(dev, data="signed_V2.0.0.bin", expect=0)
        self.assertEqual(res["result"], "success", res)
        v2 = read_file(FIX.sd_path("signed_V2.0.0.bin"))
        self.assertEqual(device_slice(dev, "flash_tone")[:len(v2)], v2)
        # an older signed image is not installed over V2.0.0
        res, _ = self.run_item(dev, data="signed_V1.0.0.bin", expect=None)
        self.assertNotEqual(res["result"], "success", res)
        self.assertEqual(device_slice(dev, "flash_tone")[:len(v2)], v2)
        # the attacker: unsigned V9.0.0, written, refused at its signature: an interrupted install
        res, _ = self.run_item(dev, data="forged_V9.0.0.bin", expect=1)
        self.assertEqual(res["result"], "failed", res)
        self.assertTrue(res["reason"].startswith("OTA_ERR_SIG_"), res)
        self.assertEqual(device_slice(dev, "flash_tone")[:4], b"OTAJ")
        # the floor is still V2.0.0: the older signed image is refused, before its commit
        res, proc = self.run_item(dev, data="signed_V1.0.0.bin", expect=None)
        self.assertNotEqual(res["result"], "success", res)
        self.assertEqual(res["reason"], "OTA_ERR_VERSION_NOT_NEWER", res)
        self.assertIn("version floor", proc.stderr)
        part = device_slice(dev, "flash_tone")
        self.assertNotEqual(part[:2], TONE_TAG, "V1.0.0 was committed")
        # ... and it stays so after one more refused attempt (the floor is carried on)
        res, _ = self.run_item(dev, data="signed_V1.0.0.bin", expect=None)
        self.assertEqual(res["reason"], "OTA_ERR_VERSION_NOT_NEWER", res)
        # a newer signed image installs
        res, _ = self.run_item(dev, data="signed_V3.0.0.bin", expect=0)
        self.assertEqual(res["result"], "success", res)
        v3 = read_file(FIX.sd_path("signed_V3.0.0.bin"))
        self.assertEqual(device_slice(dev, "flash_tone")[:len(v3)], v3)

    def test_same_version_after_interrupted_install_refused(self):
        dev = self.device()
        self.run_item(dev, data="signed_V2.0.0.bin", expect=0)
        self.run_item(dev, data="forged_V9.0.0.bin", expect=1)
        res, _ = self.run_item(dev, data="signed_V2.0.0.bin", expect=None)
        self.assertEqual(res["reason"], "OTA_ERR_VERSION_NOT_NEWER", res)

    def test_no_floor_on_an_empty_partition(self):
        # nothing installed before: an interrupted install keeps no floor, any version installs
        dev = self.device()
        self.run_item(dev, data="forged_V9.0.0.bin", expect=1)
        res, _ = self.run_item(dev, data="signed_V1.0.0.bin", expect=0)
        self.assertEqual(res["result"], "success", res)


if __name__ == "__main__":
    otatest.main()
