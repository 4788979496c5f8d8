"""The ESP-IDF flash port on ESP-IDF's own Linux-target esp_partition (tests/esp-idf).

1. The ESP-ADF example's upgrade list (tone data from the SD card folder, the app over HTTP from
   python3 -m http.server on 127.0.0.1) through `idf_flash_run run` (core + the port on ESP-IDF's
   partition.c / partition_linux.c) and through `ota run` (core + the host's flash file), on copies
   of one device: the two flash files and their state sidecars must be byte-identical, and the
   update must have happened (ota boot: the new app).
2. `idf_flash_run sweep`: ESP-IDF's power-off emulation (esp_partition_fail_after) half way
   through every program/erase call of that run; after each, a reset must boot the old or the new
   app, and a second run must end with the new one.
"""
import json
import os
import subprocess
import sys
import time
import unittest

import otatest

RUNNER = os.environ.get("OTA_IDF_FLASH_RUN", "")
OLD = "v2.2-252-g62edbd26-dirty"
NEW = "v2.2-253-g0d3f2a11"


class EspPartitionPort(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        otatest.class_workdir(cls)
        d = cls.dir
        otatest.run(["flash", "create", f"{d}/device.bin"], expect=0)
        otatest.run(["image", "make", "--project", "play_mp3_control", "--version", OLD, "--seed", "252",
                     "--size", "200K", f"{d}/old.bin"], expect=0)
        otatest.run(["partition", "write", f"{d}/device.bin", "ota_0", f"{d}/old.bin"], expect=0)
        os.makedirs(f"{d}/sdcard/tones", exist_ok=True)
        tones = []
        for i in range(5):
            p = f"{d}/sdcard/tones/tone_{i:02d}.mp3"
            otatest.make_file(p, 3000 + 1000 * i, seed=i + 1)
            tones.append(p)
        otatest.run(["tone", "make", "--format", "0"] + tones + [f"{d}/sdcard/flash_tone.bin"], expect=0)
        otatest.run(["image", "make", "--project", "play_mp3_control", "--version", NEW, "--seed", "253",
                     "--size", "230K", f"{d}/www/app.bin"], expect=0)
        cls.port = otatest.free_port()
        cls.server = subprocess.Popen([sys.executable, "-m", "http.server", str(cls.port), "--bind",
                                       "127.0.0.1", "--directory", f"{d}/www"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        otatest.wait_for_port(cls.port, proc=cls.server)
        cls.uri = f"http://127.0.0.1:{cls.port}/app.bin"

    @classmethod
    def tearDownClass(cls):
        cls.server.terminate()
        cls.server.wait(timeout=10)

    def runner(self, *args):
        env = otatest.no_proxy_env()
        t = time.monotonic()
        p = subprocess.run([RUNNER] + [str(a) for a in args], capture_output=True, text=True, env=env,
                           timeout=800)
        print(f"idf_flash_run {args[0]}: exit {p.returncode} in {time.monotonic() - t:.1f} s", flush=True)
        self.assertEqual(p.returncode, 0, f"idf_flash_run {args}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        return p.stdout

    def test_0_port_selftest(self):
        d = self.dir
        otatest.copy_device(f"{d}/device.bin", f"{d}/self.bin")
        self.runner("selftest", f"{d}/self.bin")

    def test_1_same_flash_as_ota_run(self):
        d = self.dir
        otatest.copy_device(f"{d}/device.bin", f"{d}/a.bin")
        otatest.copy_device(f"{d}/device.bin", f"{d}/b.bin")
        otatest.run(["run", f"{d}/a.bin", "--sdcard", f"{d}/sdcard", "--app-uri", self.uri], expect=0,
                    env=otatest.no_proxy_env())
        self.runner("run", f"{d}/b.bin", f"{d}/sdcard", self.uri)
        a, b = otatest.read_file(f"{d}/a.bin"), otatest.read_file(f"{d}/b.bin")
        self.assertEqual(len(a), len(b))
        self.assertNotEqual(a, otatest.read_file(f"{d}/device.bin"), "the update changed nothing")
        diff = next((i for i in range(len(a)) if a[i] != b[i]), None) if a != b else None
        self.assertIsNone(diff, f"flash differs from `ota run`'s first at 0x{diff or 0:x}")
        self.assertEqual(otatest.read_file(f"{d}/a.bin.state"), otatest.read_file(f"{d}/b.bin.state"))
        # the tone partition holds the SD card's file; the app went to ota_1, which otadata now
        # selects and which ran after the restart (PENDING_VERIFY until it confirms itself, so a
        # plain reset now would roll back, as ESP-IDF's bootloader does)
        tone = otatest.read_file(f"{d}/sdcard/flash_tone.bin")
        self.assertEqual(otatest.device_slice(f"{d}/b.bin", "flash_tone")[:len(tone)], tone)
        app = otatest.read_file(f"{d}/www/app.bin")
        self.assertEqual(otatest.device_slice(f"{d}/b.bin", "ota_1")[:len(app)], app)
        self.assertEqual(otatest.otadata_selected_slot(f"{d}/b.bin"), "ota_1")
        self.assertIn("running=ota_1", otatest.read_file(f"{d}/b.bin.state").decode())

    def test_2_power_off_sweep(self):
        d = self.dir
        os.makedirs(f"{d}/sweep", exist_ok=True)
        out = self.runner("sweep", f"{d}/device.bin", f"{d}/sdcard", self.uri, OLD, NEW, f"{d}/sweep")
        counts = json.loads(out.strip().splitlines()[-1])
        print("sweep:", counts, flush=True)
        self.assertGreater(counts["points"], 50)
        self.assertEqual(counts["points"], counts["boot_old"] + counts["boot_new"])
        self.assertGreater(counts["boot_old"], 0)
        self.assertGreater(counts["boot_new"], 0)
        self.assertEqual(counts["violations"], 0)
        self.assertEqual(counts["rerun_violations"], 0)
        self.assertEqual(counts["not_reached"], 0)


if __name__ == "__main__":
    otatest.main()
