#!/usr/bin/env python3
"""A device file says what it is (issue 20, point 4).

`ota flash create DEV.bin` makes a new device: the RAM state of an earlier device of that name
(DEV.bin.state's running=) does not survive, nor its eFuses unless --keep-efuses asks for them;
and a device whose state file names a running app that is not in flash is not running (`ota info`
says so, the next `ota run` boots it first, as a real device at power-on).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import class_workdir, main, run, run_json  # noqa: E402

# the bootloader banner, whatever the ESP-IDF version it imitates ("boot: ESP-IDF v5.5.4 2nd stage
# bootloader" for the default images)
BOOT_BANNER = "2nd stage bootloader"


def read_state(dev):
    path = dev + ".state"
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line and not line.startswith("#"))


class NewDevice(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        d = cls.dir
        cls.old = os.path.join(d, "old.bin")
        run(["image", "make", "--version", "v1.0", "--project", "ota_example", "--size", "200000",
             "--seed", "1", cls.old], expect=0)
        cls.new = os.path.join(d, "new.bin")
        run(["image", "make", "--version", "v2.0", "--project", "ota_example", "--size", "200000",
             "--seed", "2", cls.new], expect=0)
        cls.key = os.path.join(d, "key.pem")
        run(["keys", "generate", "--scheme", "ecdsa256", cls.key], expect=0)
        cls.digest = os.path.join(d, "digest.bin")
        run(["keys", "digest", cls.key, cls.digest], expect=0)
        with open(cls.digest, "rb") as f:
            cls.digest_hex = f.read().hex()

    def booted_device(self, name):
        dev = os.path.join(self.dir, name)
        run(["flash", "create", dev], expect=0)
        run(["partition", "write", dev, "ota_0", self.old], expect=0)
        run(["boot", dev], expect=0)
        self.assertEqual(read_state(dev).get("running"), "ota_0")
        return dev

    def run_app(self, dev):
        return run(["run", dev, "--app-uri", "file://" + self.new, "--data-uri", ""], expect=0)

    def test_create_over_a_booted_device_starts_a_new_device(self):
        dev = self.booted_device("recreated.bin")
        run(["flash", "create", dev], expect=0)
        self.assertNotEqual(read_state(dev).get("running", ""), "ota_0")
        info = run_json(["info", dev])
        self.assertIsNone(info["running"])
        self.assertIsNone(info["running_not_in_flash"])
        # the same app flashed again: the next run boots the device before its update, as a
        # device does at power-on (before: it took ota_0 as running and skipped the boot)
        run(["partition", "write", dev, "ota_0", self.old], expect=0)
        out = self.run_app(dev).stdout
        start = out.index("[2.2] Start OTA service")
        self.assertIn(BOOT_BANNER, out[:start])
        self.assertIn("boot: Loaded app from partition at offset 0x10000", out[:start])

    def test_efuses_reset_unless_kept(self):
        dev = self.booted_device("efuses.bin")
        run(["efuse", "burn-key-digest", dev, self.digest], expect=0)
        self.assertEqual(read_state(dev).get("secure_boot_key_digest0"), self.digest_hex)
        run(["flash", "create", dev], expect=0)
        info = run_json(["info", dev])
        self.assertEqual([k["digest"] for k in info["security"]["key_digests"]], [None, None, None])

        dev2 = self.booted_device("kept.bin")
        run(["efuse", "burn-key-digest", dev2, self.digest], expect=0)
        run(["flash", "create", "--keep-efuses", dev2], expect=0)
        state = read_state(dev2)
        self.assertEqual(state.get("secure_boot_key_digest0"), self.digest_hex)
        self.assertEqual(state.get("running", ""), "")     # RAM state never survives
        info = run_json(["info", dev2])
        self.assertEqual(info["security"]["key_digests"][0]["digest"], self.digest_hex)
        self.assertIsNone(info["running"])

    def test_keep_efuses_of_another_chip_is_refused(self):
        dev = os.path.join(self.dir, "c3.bin")
        run(["flash", "create", "--chip", "esp32c3", dev], expect=0)
        self.assertEqual(read_state(dev).get("chip"), "esp32c3")
        proc = run(["flash", "create", "--keep-efuses", "--chip", "esp32", dev], expect=1)
        self.assertIn("--keep-efuses", proc.stderr)
        run(["flash", "create", "--keep-efuses", dev], expect=0)
        self.assertEqual(read_state(dev).get("chip"), "esp32c3")

    def test_state_naming_an_app_not_in_flash(self):
        """An old state file (as `flash create` left it before) says running=ota_0 on a blank flash."""
        dev = os.path.join(self.dir, "stale.bin")
        run(["flash", "create", dev], expect=0)
        with open(dev + ".state", "w") as f:
            f.write("chip=esp32\nrunning=ota_0\n")
        info = run_json(["info", dev])
        self.assertIsNone(info["running"])
        self.assertEqual(info["running_not_in_flash"], "ota_0")
        self.assertFalse(next(a for a in info["apps"] if a["label"] == "ota_0")["running"])
        text = run(["info", dev], expect=0).stdout
        self.assertIn("Running: nothing (", text)
        self.assertIn("said ota_0, which holds no valid app", text)
        run(["partition", "write", dev, "ota_0", self.old], expect=0)
        # the app is in ota_0 now; the state names ota_1, still blank: the run boots first
        with open(dev + ".state", "w") as f:
            f.write("chip=esp32\nrunning=ota_1\n")
        proc = self.run_app(dev)
        start = proc.stdout.index("[2.2] Start OTA service")
        self.assertIn(BOOT_BANNER, proc.stdout[:start])
        self.assertIn("running=ota_1, but ota_1 holds no valid app", proc.stdout + proc.stderr)


if __name__ == "__main__":
    main()
