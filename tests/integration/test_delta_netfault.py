#!/usr/bin/env python3
"""Network faults during a delta download (issue 13, point 3): a subset of the network-fault sweep
(test_netfault_sweep.py) over an esp_delta_ota patch served by tests/support/fault_server.py.

A connection closed (FIN) or reset (RST) at points spread over the patch — inside the 64-byte ESP
header, inside the detools header, in the compressed stream, at the last byte — is resumed by the
source (Range from the break, If-Range): the slot ends byte-identical to Espressif's new image
(README SHA-256) and the device boots it. A fault that persists over every retry fails the item:
exit 1, otadata still boots the old app, ota_0 byte-identical.
"""
import hashlib
import os
import shutil
import unittest

from otatest import FaultServer, class_workdir, device_slice, json_lines, main, run, run_json, testdata

NEW_SHA = "52c0cc0ffc30631fe6da2aba49d935b9fef271933bb50fada6aa76d199020209"  # app_a_edit.bin
PATCH = "app_a_to_edit.patch"


class DeltaNetFault(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        shutil.copyfile(testdata("delta", PATCH), os.path.join(cls.www, PATCH))
        cls.size = os.path.getsize(testdata("delta", PATCH))
        cls.new_len = os.path.getsize(testdata("delta", "app_a_edit.bin"))
        cls.new_sha = NEW_SHA
        run(["flash", "create", f"{cls.dir}/base.bin"], expect=0)
        run(["partition", "write", f"{cls.dir}/base.bin", "ota_0", testdata("delta", "app_a.bin")], expect=0)
        cls.ota_0 = device_slice(f"{cls.dir}/base.bin", "ota_0")

    def device(self, name):
        dev = f"{self.dir}/{name}"
        shutil.copyfile(f"{self.dir}/base.bin", dev)
        if os.path.exists(f"{self.dir}/base.bin.state"):  # eFuses (Secure Boot)
            shutil.copyfile(f"{self.dir}/base.bin.state", dev + ".state")
        return dev

    def test_breaks_are_resumed(self):
        points = [1, 4, 40, 64, 66, 70, 500, 2048, 4096, 4097, self.size // 2, self.size - 1]
        with FaultServer(self.www) as fs:
            for i, at in enumerate(points):
                for fault in ("close", "reset"):
                    with self.subTest(fault=fault, at=at):
                        dev = self.device(f"{fault}{at}.bin")
                        url = fs.url(PATCH, fault=fault, at=at, times=1, trial=i)
                        out = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                        boots = [e for e in json_lines(out.stdout) if e.get("event") == "boot"]
                        self.assertEqual(boots[-1]["partition"], "ota_1")
                        slot = device_slice(dev, "ota_1")
                        self.assertEqual(hashlib.sha256(slot[:self.new_len]).hexdigest(), self.new_sha)
                        log = sorted(fs.log(url), key=lambda e: e["n"])
                        self.assertEqual(len(log), 2, log)
                        self.assertEqual(log[1]["range"], f"bytes={at}-")
                        self.assertTrue(log[1].get("if_range"))
                        self.assertEqual(log[1]["status"], 206)
                        self.assertEqual(device_slice(dev, "ota_0"), self.ota_0)

    def test_persistent_fault_fails_old_app_boots(self):
        with FaultServer(self.www) as fs:
            for at in (30, 3000):
                with self.subTest(at=at):
                    dev = self.device(f"persist{at}.bin")
                    url = fs.url(PATCH, fault="close", at=at, trial=f"p{at}")
                    out = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=1)
                    results = [e for e in json_lines(out.stdout) if e.get("event") == "result"]
                    self.assertEqual([r["result"] for r in results], ["failed"])
                    self.assertEqual(run_json(["info", dev])["next_boot"]["label"], "ota_0")
                    self.assertEqual(device_slice(dev, "ota_0"), self.ota_0)


class SignedSecureBootDeltaNetFault(DeltaNetFault):
    """Issue 19: the same faults for a delta between two signed apps (ESP32-C6, ECDSA P-256, the
    testdata key) on a device with Secure Boot V2 on and the key's digest burned: the patch names
    the old app's validation hash and copies its signature sector (read through the partition)."""

    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        d = cls.dir
        for version, name in (("v1.0.0", "old"), ("v1.1.0", "new")):
            run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", version, "--size", "300K",
                 "--seed", "4", f"{d}/{name}.bin"], expect=0)
            run(["image", "sign", "--keyfile", testdata("secure", "key_ecdsa256.pem"), f"{d}/{name}.bin",
                 f"{d}/{name}_s.bin"], expect=0)
        run(["delta", "make", f"{d}/old_s.bin", f"{d}/new_s.bin", os.path.join(cls.www, PATCH)], expect=0)
        cls.size = os.path.getsize(os.path.join(cls.www, PATCH))
        with open(f"{d}/new_s.bin", "rb") as f:
            new = f.read()
        cls.new_len, cls.new_sha = len(new), hashlib.sha256(new).hexdigest()
        base = f"{d}/base.bin"
        run(["flash", "create", "--chip", "esp32c6", base], expect=0)
        run(["partition", "write", base, "ota_0", f"{d}/old_s.bin"], expect=0)
        run(["efuse", "burn-key-digest", base, testdata("secure", "digest_ecdsa256.bin")], expect=0)
        run(["efuse", "enable-secure-boot", base], expect=0)
        cls.ota_0 = device_slice(base, "ota_0")


if __name__ == "__main__":
    main()
