#!/usr/bin/env python3
"""`ota run --app-uri http://.../x.patch` (issue 13, points 1 and 2): an esp_delta_ota patch is
installed like an app image, applied while it streams against the running app read from flash.

Expected bytes are Espressif's: the testdata pairs (../shared/testdata/delta, README) made by
esp_delta_ota_patch_gen.py; the new images' SHA-256 from that README.
"""
import hashlib
import os
import shutil
import unittest

from otatest import (HttpServer, class_workdir, device_slice, json_lines, main, read_file, run, run_json,
                     testdata)

# ../shared/testdata/delta/README.md
README_SHA = {
    "app_a.bin": "6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1",
    "app_a_edit.bin": "52c0cc0ffc30631fe6da2aba49d935b9fef271933bb50fada6aa76d199020209",
    "app_a_version.bin": "c2b0e6483f65d689bca0274c8002aed43631ba15e104c3cf31ece4f74444f457",
}
PAIRS = [("app_a_to_version.patch", "app_a_version.bin"), ("app_a_to_edit.patch", "app_a_edit.bin")]


def td(name):
    return testdata("delta", name)


class DeltaRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        for name in ("app_a_to_version.patch", "app_a_to_edit.patch"):
            shutil.copyfile(td(name), os.path.join(cls.www, name))
        # a device running app_a (ota_0) and one running app_a_version (the wrong base)
        for dev, app in (("base_a.bin", "app_a.bin"), ("base_v.bin", "app_a_version.bin")):
            run(["flash", "create", os.path.join(cls.dir, dev)], expect=0)
            run(["partition", "write", os.path.join(cls.dir, dev), "ota_0", td(app)], expect=0)
        cls.server = HttpServer(cls.www).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def device(self, base, name):
        dev = os.path.join(self.dir, name)
        shutil.copyfile(os.path.join(self.dir, base), dev)
        return dev

    def ota_run(self, dev, uri, *extra, expect):
        return run(["run", dev, "--app-uri", uri, "--data-uri", "", "--json", *extra], expect=expect)

    def assert_boots(self, out, label):
        boots = [e for e in json_lines(out.stdout) if e.get("event") == "boot"]
        self.assertTrue(boots, "no boot event")
        self.assertEqual(boots[-1]["partition"], label)

    def test_patches_install_byte_identically(self):
        for patch, new in PAIRS:
            with self.subTest(patch=patch):
                dev = self.device("base_a.bin", f"ok_{patch}.bin")
                out = self.ota_run(dev, self.server.url(patch), expect=0)
                results = [e for e in json_lines(out.stdout) if e.get("event") == "result"]
                self.assertEqual([r["result"] for r in results], ["success"])
                self.assert_boots(out, "ota_1")
                size = os.path.getsize(td(new))
                slot = device_slice(dev, "ota_1")
                self.assertEqual(hashlib.sha256(slot[:size]).hexdigest(), README_SHA[new])
                # the rest of the slot is erased: nothing past the image was written
                self.assertEqual(slot[size:size + 4096], b"\xff" * 4096)
                self.assertIn("esp_delta_ota patch of %d bytes" % os.path.getsize(td(patch)), out.stderr)

    def test_wrong_base_refused_before_any_erase(self):
        dev = self.device("base_v.bin", "wrong_base.bin")
        before = read_file(dev)
        out = self.ota_run(dev, self.server.url("app_a_to_edit.patch"), expect=1)
        self.assertIn("patch base mismatch", out.stderr)
        result = [e for e in json_lines(out.stdout) if e.get("event") == "result"][0]
        self.assertEqual(result["result"], "failed")
        after = read_file(dev)
        ota_1 = (0x110000, 0x210000)
        self.assertEqual(after[ota_1[0]:ota_1[1]], before[ota_1[0]:ota_1[1]], "ota_1 was touched")
        # (the first boot of the device writes otadata's ota_seq, so otadata is compared by meaning)
        self.assertEqual(run_json(["info", dev])["next_boot"]["label"], "ota_0")
        self.assert_boots(out, "ota_0")

    def slot_device(self, name, running, in_update_slot):
        dev = os.path.join(self.dir, name)
        run(["flash", "create", dev], expect=0)
        run(["partition", "write", dev, "ota_0", td(running)], expect=0)
        run(["partition", "write", dev, "ota_1", td(in_update_slot)], expect=0)
        return dev

    def test_base_in_update_slot_is_a_mismatch(self):
        """Running app_a_version in ota_0, app_a (the patch's base) kept in ota_1: the patch is for
        the app the device does not run (e.g. a newer app that was rolled back) - refused, naming
        both slots, nothing erased; it is not "up to date"."""
        dev = self.slot_device("base_in_slot.bin", "app_a_version.bin", "app_a.bin")
        before = read_file(dev)
        out = self.ota_run(dev, self.server.url("app_a_to_edit.patch"), expect=1)
        self.assertRegex(out.stderr, r"patch base mismatch: the patch is for the app in ota_1 \(.*\), not "
                                     r"running; the device runs .* in ota_0")
        result = [e for e in json_lines(out.stdout) if e.get("event") == "result"][0]
        self.assertEqual((result["result"], result["reason"]), ("failed", "OTA_ERR_DELTA_BASE_MISMATCH"))
        ota_1 = (0x110000, 0x210000)
        self.assertEqual(read_file(dev)[ota_1[0]:ota_1[1]], before[ota_1[0]:ota_1[1]], "ota_1 was touched")
        self.assert_boots(out, "ota_0")

    def test_already_updated_by_the_patch_is_up_to_date(self):
        """Running app_a_edit (what the patch makes), its base app_a in the update slot: the device
        was updated by this patch already - skipped as up to date, nothing erased."""
        dev = self.slot_device("already.bin", "app_a_edit.bin", "app_a.bin")
        before = read_file(dev)
        out = self.ota_run(dev, self.server.url("app_a_to_edit.patch"), expect=0)
        result = [e for e in json_lines(out.stdout) if e.get("event") == "result"][0]
        self.assertEqual((result["result"], result["reason"]), ("skipped", "OTA_ERR_SVC_UP_TO_DATE"))
        self.assertIn("already updated", out.stderr)
        ota_1 = (0x110000, 0x210000)
        self.assertEqual(read_file(dev)[ota_1[0]:ota_1[1]], before[ota_1[0]:ota_1[1]], "ota_1 was touched")
        self.assert_boots(out, "ota_0")

    def refused_and_old_app_boots(self, name, data):
        with open(os.path.join(self.www, name), "wb") as f:
            f.write(data)
        dev = self.device("base_a.bin", name + ".dev")
        out = self.ota_run(dev, self.server.url(name), expect=1)
        result = [e for e in json_lines(out.stdout) if e.get("event") == "result"][0]
        self.assertEqual(result["result"], "failed")
        self.assert_boots(out, "ota_0")
        info = run_json(["info", dev])
        self.assertEqual(info["next_boot"]["label"], "ota_0")
        self.assertFalse(next(a for a in info["apps"] if a["label"] == "ota_1")["valid"])
        return out

    def test_truncated_patch_fails_nothing_committed(self):
        data = read_file(td("app_a_to_edit.patch"))
        for cut in (70, len(data) // 2, len(data) - 1):
            with self.subTest(cut=cut):
                out = self.refused_and_old_app_boots(f"cut{cut}.patch", data[:cut])
                self.assertRegex(out.stderr, r"delta: patch (truncated|ended before the declared new size)")

    def test_flipped_byte_fails_nothing_committed(self):
        data = read_file(td("app_a_to_edit.patch"))
        tried = 0
        for off in (64 + 5, 200, len(data) // 2, len(data) - 40):
            flipped = bytearray(data)
            flipped[off] ^= 0x10
            path = os.path.join(self.dir, f"flip{off}.patch")
            with open(path, "wb") as f:
                f.write(flipped)
            # the host applier says whether this flip is detectable at all (some are harmless)
            res = run(["delta", "apply", td("app_a.bin"), path, path + ".out"])
            if res.returncode == 0 and \
                    hashlib.sha256(read_file(path + ".out")).hexdigest() == README_SHA["app_a_edit.bin"]:
                continue
            tried += 1
            with self.subTest(offset=off):
                self.refused_and_old_app_boots(f"flip{off}.patch", bytes(flipped))
        self.assertGreaterEqual(tried, 3)

    def test_bare_patch_only_when_allowed(self):
        bare = os.path.join(self.www, "bare.patch")
        run(["delta", "make", "--bare", td("app_a.bin"), td("app_a_version.bin"), bare], expect=0)
        out = self.refused_and_old_app_boots("bare.patch", read_file(bare))
        self.assertNotIn("esp_delta_ota", out.stderr)
        dev = self.device("base_a.bin", "bare_ok.bin")
        out = self.ota_run(dev, self.server.url("bare.patch"), "--bare-delta", expect=0)
        self.assert_boots(out, "ota_1")
        size = os.path.getsize(td("app_a_version.bin"))
        self.assertEqual(hashlib.sha256(device_slice(dev, "ota_1")[:size]).hexdigest(),
                         README_SHA["app_a_version.bin"])

    def test_real_release_patch_installs(self):
        # issue 19: Espressif's patch between two shipped korvo_du1906 releases (several empty
        # chunks in a row) installs v1.4.0 on a device running v1.2.2, with the board's own
        # partition table (../shared/testdata/esp-adf/du1906_partitions.csv: 2752K app slots)
        rel = lambda n: testdata("delta", "releases", n)  # noqa: E731
        shutil.copyfile(rel("du1906_v1.2.2_to_v1.4.0.patch"), os.path.join(self.www, "du1906.patch"))
        dev = os.path.join(self.dir, "du1906.bin")
        run(["flash", "create", "--size", "8MB", "--table", testdata("esp-adf", "du1906_partitions.csv"), dev],
            expect=0)
        run(["partition", "write", dev, "ota_0", rel("du1906_v1.2.2.bin")], expect=0)
        out = self.ota_run(dev, self.server.url("du1906.patch"), expect=0)
        results = [e for e in json_lines(out.stdout) if e.get("event") == "result"]
        self.assertEqual([r["result"] for r in results], ["success"], out.stderr)
        self.assert_boots(out, "ota_1")
        new = read_file(rel("du1906_v1.4.0.bin"))
        with open(dev, "rb") as f:
            f.seek(0x2C0000)  # ota_1 in du1906_partitions.csv
            slot = f.read(len(new) + 4096)
        # ../shared/testdata/delta/README.md
        self.assertEqual(hashlib.sha256(slot[:len(new)]).hexdigest(),
                         "dfb374f088819a37d9b53974c4b824f77c577559afe3036053717005c631d62c")
        self.assertEqual(slot[len(new):], b"\xff" * 4096)


if __name__ == "__main__":
    main()
