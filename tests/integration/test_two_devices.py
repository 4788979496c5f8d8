"""Two devices updated in one process (issue 5): tests/integration/two_devices.c opens two device
images and runs one OTA service per device, both started (ota_service_start) before either is
waited for. The devices differ — project, versions, tone image, tone source (file:// vs http://) —
so a mix-up of state between the services shows as a wrong byte on one of them.

Expected bytes are the images this test made (hashlib) and the tone images of ../shared/testdata.
"""
import hashlib
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import device_slice, events, make_app, read_file, read_partition, run, run_json  # noqa: E402

SLOT = 0x100000
TONE_FMT0 = otatest.testdata("esp-adf", "flash_tone_fmt0.bin")
TONE_FMT1 = otatest.testdata("esp-adf", "tone_fmt1_mixer.bin")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def helper(args, expect, timeout=120):
    binary = otatest.TWO_DEVICES
    if not binary or not os.path.exists(binary):
        raise AssertionError(f"two_devices helper not found (OTA_TWO_DEVICES={binary!r})")
    proc = subprocess.run([binary] + [str(a) for a in args], capture_output=True, text=True, timeout=timeout)
    if proc.returncode != expect:
        raise AssertionError(f"two_devices {' '.join(map(str, args))}: exit {proc.returncode}, expected {expect}\n"
                             f"--- stdout ---\n{proc.stdout}\n--- stderr ---\n{proc.stderr}")
    return proc


class TwoDevices(unittest.TestCase):
    def setUp(self):
        self._tmp = otatest.tempdir()
        self.dir = d = self._tmp.__enter__()
        self.www = os.path.join(d, "www")
        self.sdcard = os.path.join(d, "sdcard")
        os.makedirs(self.www)
        os.makedirs(self.sdcard)
        p = lambda n: os.path.join(d, n)  # noqa: E731
        w = lambda n: os.path.join(self.www, n)  # noqa: E731
        # device A: the ESP-ADF example's app; device B: another project with dotted versions
        self.a = {"project": "play_mp3_control", "old": "v2.2-252-g62edbd26", "new": "v2.2-260-g1f0e2d3c"}
        self.b = {"project": "pipeline_b", "old": "v1.0.0", "new": "v1.1.0"}
        self.a["old_bin"] = make_app(p("a_old.bin"), self.a["old"], self.a["project"], "300K", seed=21)
        self.a["new_bin"] = make_app(w("a.bin"), self.a["new"], self.a["project"], "400K", seed=22)
        self.b["old_bin"] = make_app(p("b_old.bin"), self.b["old"], self.b["project"], "250K", seed=31)
        self.b["new_bin"] = make_app(w("b.bin"), self.b["new"], self.b["project"], "520K", seed=32)
        self.a["tone"] = read_file(TONE_FMT0)
        self.b["tone"] = read_file(TONE_FMT1)
        with open(os.path.join(self.sdcard, "flash_tone.bin"), "wb") as f:
            f.write(self.a["tone"])
        with open(w("mixer.bin"), "wb") as f:
            f.write(self.b["tone"])
        for name, dev in (("a", self.a), ("b", self.b)):
            dev["path"] = p(f"{name}.bin")
            run(["flash", "create", dev["path"]], expect=0)
            run(["partition", "write", dev["path"], "ota_0", p(f"{name}_old.bin")], expect=0)
        run(["boot", self.a["path"]], expect=0)   # A has booted before; B is powered on by the helper

    def tearDown(self):
        self._tmp.__exit__(None, None, None)

    def part(self, dev, label):
        return read_partition(dev["path"], label, os.path.join(self.dir, f"{os.path.basename(dev['path'])}.{label}"))

    def assert_holds(self, dev, label, data):
        got = self.part(dev, label)
        self.assertEqual(sha(got[:len(data)]), sha(data), f"{dev['path']}: {label}")
        self.assertEqual(got[len(data):], b"\xff" * (SLOT - len(data)), f"{dev['path']}: {label} tail")

    def assert_updated(self, dev, evs, index):
        mine = [e for e in evs if e["device"] == index]
        res = [e for e in mine if e["event"] == "result"]
        self.assertEqual([(r["id"], r["result"]) for r in res], [(0, "success"), (1, "success")])
        vc = [e for e in mine if e["event"] == "version_check" and e["id"] == 1][0]
        self.assertEqual((vc["running"], vc["incoming"]), (dev["old"], dev["new"]))
        boot = mine[-1]
        self.assertEqual((boot["event"], boot["partition"], boot["project"], boot["version"]),
                         ("boot", "ota_1", dev["project"], dev["new"]))
        self.assert_holds(dev, "ota_1", dev["new_bin"])
        self.assert_holds(dev, "flash_tone", dev["tone"])
        self.assert_holds(dev, "ota_0", dev["old_bin"])
        info = run_json(["info", dev["path"]])
        self.assertEqual(info["running"], "ota_1")
        run(["confirm", dev["path"]], expect=0)
        doc = run_json(["boot", dev["path"]])
        self.assertEqual((doc["booted"], doc["app"]["project_name"], doc["app"]["version"]),
                         ("ota_1", dev["project"], dev["new"]))

    def test_two_devices_in_one_process(self):
        with otatest.FaultServer(self.www) as fs:
            # both app responses wait 2 s before their headers: the downloads overlap in time
            url_a = fs.url("a.bin", fault="delay", delay=2)
            url_b = fs.url("b.bin", fault="delay", delay=2)
            tone_b = fs.url("mixer.bin")
            proc = helper(["--sdcard", self.sdcard, self.a["path"], url_a, "file://sdcard/flash_tone.bin",
                           self.b["path"], url_b, tone_b], expect=0)
            evs = events(proc.stdout)
            self.assertEqual({e["device"] for e in evs}, {0, 1})
            self.assert_updated(self.a, evs, 0)
            self.assert_updated(self.b, evs, 1)
            # B was powered on first (nothing ran); A had booted before: no power-on boot
            boots = [(e["device"], e["partition"]) for e in evs if e["event"] == "boot"]
            self.assertEqual(sorted(boots), [(0, "ota_1"), (1, "ota_0"), (1, "ota_1")])
            # concurrency: each app item began before the other device's app item ended
            idx = {(e["device"], e["event"], e.get("id")): i for i, e in enumerate(evs)
                   if e["event"] in ("item_begin", "result")}
            self.assertLess(idx[(0, "item_begin", 1)], idx[(1, "result", 1)])
            self.assertLess(idx[(1, "item_begin", 1)], idx[(0, "result", 1)])
            self.assertEqual((fs.requests(url_a), fs.requests(url_b), fs.requests(tone_b)), (1, 1, 1))

    def test_a_failure_on_one_device_does_not_touch_the_other(self):
        with otatest.FaultServer(self.www) as fs:
            url_a = fs.url("a.bin", fault="delay", delay=0.5)
            url_b = fs.url("missing.bin")              # 404 for B's app
            proc = helper(["--sdcard", self.sdcard, self.a["path"], url_a, "file://sdcard/flash_tone.bin",
                           self.b["path"], url_b, fs.url("mixer.bin")], expect=1)
            evs = events(proc.stdout)
            self.assert_updated(self.a, evs, 0)
            res_b = [e for e in evs if e["device"] == 1 and e["event"] == "result"]
            self.assertEqual([(r["id"], r["result"]) for r in res_b], [(0, "success"), (1, "failed")])
            self.assertEqual(res_b[1]["reason"], "OTA_ERR_SRC_HTTP_STATUS")
            self.assertEqual([e["event"] for e in evs if e["device"] == 1][-1], "finish")   # no restart
            self.assert_holds(self.b, "flash_tone", self.b["tone"])
            self.assert_holds(self.b, "ota_0", self.b["old_bin"])
            self.assertEqual(device_slice(self.b["path"], "ota_1"), b"\xff" * SLOT)
            otadata_b = otatest.read_otadata(self.b["path"])
            self.assertEqual((otadata_b[0]["seq"], otadata_b[1]["seq"]), (1, 0xFFFFFFFF))
            doc = run_json(["boot", self.b["path"]])
            self.assertEqual((doc["booted"], doc["app"]["version"]), ("ota_0", self.b["old"]))

    def test_helper_usage(self):
        self.assertIn("Usage: two_devices", helper(["--help"], expect=0).stdout)
        helper([], expect=2)
        helper([self.a["path"], "x"], expect=2)
        helper(["--stall-timeout", "0", self.a["path"], "x", ""], expect=2)
        before = read_file(self.a["path"])
        helper([self.a["path"], "", ""], expect=1)          # an empty list: nothing to do, nothing done
        self.assertEqual(read_file(self.a["path"]), before)


if __name__ == "__main__":
    otatest.main()
