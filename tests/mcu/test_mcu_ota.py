#!/usr/bin/env python3
"""The ESP-ADF OTA example on a microcontroller in QEMU (issue 12), against the host.

One device image (the `ota flash create` table, app v2.2-252 in ota_0) and one new app, made with
`ota`; the tone partition is Espressif's flash_tone_fmt0.bin from the ESP-ADF example. `ota run`
updates one copy on the host; the firmware of examples/mcu_ota updates another in QEMU (the core
compiled for the target, flash = the NOR emulator over RAM, files over semihosting) and writes its
final flash back. The two must be byte for byte the same, and the new app must be in ota_1 and the
tone image in flash_tone (checked against the input files themselves). Then the firmware runs
again with the power cut in the middle of the update (clean, and torn later on), powers on, boots
and re-runs: the same bytes again.

OTA_MCU_INFO names the build's mcu_target.txt (target, QEMU command line, ELF)."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import otatest

OTA_1 = 0x110000      # the default table's ota_1 (ota flash create)
FLASH_TONE = 0x210000  # and its flash_tone partition


def target_info():
    with open(os.environ["OTA_MCU_INFO"]) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line)


class McuOtaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.info = target_info()
        cls.tmp = tempfile.mkdtemp(prefix="ota-mcu-")
        t = cls.tmp
        os.mkdir(os.path.join(t, "sdcard"))
        shutil.copyfile(otatest.testdata("esp-adf", "flash_tone_fmt0.bin"), os.path.join(t, "sdcard", "flash_tone.bin"))
        otatest.run(["flash", "create", os.path.join(t, "dev.bin")], expect=0)
        otatest.run(["image", "make", "--project", "play_mp3_control", "--version", "v2.2-252-g62edbd26-dirty",
                     os.path.join(t, "app-old.bin")], expect=0)
        otatest.run(["partition", "write", os.path.join(t, "dev.bin"), "ota_0", os.path.join(t, "app-old.bin")], expect=0)
        otatest.run(["image", "make", "--project", "play_mp3_control", "--version", "v2.2-253-g0d3f2a11", "--seed", "2",
                     os.path.join(t, "app.bin")], expect=0)
        cls.app_uri = "file://" + os.path.join(t, "app.bin")
        shutil.copyfile(os.path.join(t, "dev.bin"), os.path.join(t, "host.bin"))
        otatest.run(["run", os.path.join(t, "host.bin"), "--sdcard", os.path.join(t, "sdcard"),
                     "--app-uri", cls.app_uri], expect=0, cwd=t)
        with open(os.path.join(t, "host.bin"), "rb") as f:
            cls.host = f.read()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_firmware(self, out, *extra):
        """Run the firmware on a fresh copy of dev.bin; returns (exit status, log)."""
        args = ["mcu_ota", "dev.bin", "sdcard", self.app_uri, out, *extra]
        semi = "enable=on,target=native," + ",".join("arg=" + a for a in args)
        cmd = self.info["qemu"].split() + ["-nographic", "-monitor", "none", "-serial", "none",
                                           "-semihosting-config", semi, "-kernel", self.info["elf"]]
        proc = subprocess.run(cmd, cwd=self.tmp, capture_output=True, text=True, timeout=120)
        return proc.returncode, proc.stdout + proc.stderr

    def final_flash(self, out):
        with open(os.path.join(self.tmp, out), "rb") as f:
            return f.read()

    def assert_same_as_host(self, out, log):
        data = self.final_flash(out)
        self.assertEqual(len(data), len(self.host), log)
        if data != self.host:
            first = next(i for i in range(len(data)) if data[i] != self.host[i])
            self.fail(f"{out}: first difference from the host's flash at 0x{first:x}\n{log}")

    def test_1_update_matches_host(self):
        status, log = self.run_firmware("mcu.bin")
        # Kept beside the build for the footprint table (heap and painted stack of this run).
        with open(os.path.join(os.path.dirname(os.environ["OTA_MCU_INFO"]), "mcu_run.log"), "w") as f:
            f.write(log)
        self.assertEqual(status, 0, log)
        self.assertIn("OTA_DEFAULT: partition flash_tone upgrade successes", log)
        self.assertIn("boot: Loaded app from partition at offset 0x110000", log)
        self.assertIn("App version:      v2.2-253-g0d3f2a11", log)
        self.assert_same_as_host("mcu.bin", log)
        # Independently of the host: the new app and the tone image are where they belong.
        data = self.final_flash("mcu.bin")
        with open(os.path.join(self.tmp, "app.bin"), "rb") as f:
            app = f.read()
        with open(os.path.join(self.tmp, "sdcard", "flash_tone.bin"), "rb") as f:
            tone = f.read()
        self.assertEqual(data[OTA_1:OTA_1 + len(app)], app)
        self.assertEqual(data[FLASH_TONE:FLASH_TONE + len(tone)], tone)
        ops = int(re.search(r"flash operations: (\d+)", log).group(1))
        type(self).ops = ops
        self.assertGreater(ops, 100, log)

    def test_0_links_no_feature_it_does_not_use(self):
        """The firmware's list has no encrypted image, so no decryption code may be linked: a
        linker script that KEEPs a section every static C function named start() also gets
        (.text.start with -ffunction-sections) once linked ota_enc_img_* this way."""
        nm = subprocess.run([self.info["tool_prefix"] + "nm", self.info["elf"]], check=True,
                            stdout=subprocess.PIPE, text=True).stdout
        linked = sorted(set(re.findall(r"\b(ota_enc_img_\w+|ota_stage_decrypt\w*)\b", nm)))
        self.assertEqual(linked, [])
        self.assertRegex(nm, r"\sT main\n")  # the symbol table was read

    def test_0_links_no_stage_driver_without_a_stage(self):
        """No feature that inserts a stage (decryption, delta) is linked, so neither is the stage
        driver (src/pipeline/stages.c, stages_resume.c): the loop refers to it by weak reference
        only (path.h). The firmware with every feature (mcu_ota_all.elf) does link it."""
        def defined(elf):
            nm = subprocess.run([self.info["tool_prefix"] + "nm", elf], check=True,
                                stdout=subprocess.PIPE, text=True).stdout
            self.assertRegex(nm, r"\sT main\n")  # the symbol table was read
            return sorted(set(re.findall(r"\s[Tt] (ota_stages_\w+)\n", nm)))
        self.assertEqual(defined(self.info["elf"]), [])
        linked = defined(self.info["elf"][:-len(".elf")] + "_all.elf")
        for name in ("ota_stages_next", "ota_stages_restore", "ota_stages_record"):
            self.assertIn(name, linked)

    def test_2_power_cut_then_rerun_matches_host(self):
        ops = getattr(type(self), "ops", 0)
        self.assertGreater(ops, 0, "the clean run must have passed first")
        for n, mode in ((ops // 2, "clean"), ((ops * 3) // 4, "torn")):
            with self.subTest(cut=n, mode=mode):
                out = f"cut-{n}.bin"
                status, log = self.run_firmware(out, str(n), mode)
                self.assertIn(f"power lost after {n} flash operations", log)
                self.assertEqual(status, 0, log)
                self.assert_same_as_host(out, log)


if __name__ == "__main__":
    otatest.main()
