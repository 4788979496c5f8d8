#!/usr/bin/env python3
"""Output a CI log can trust (issue 20, point 3).

A CI job sends `ota`'s stdout and stderr to one file or pipe. stdio buffers stdout in blocks when
it is not a terminal, so before the fix the final "ota: error:" line (stderr) came first in such a
log, and an `ota run` killed by SIGKILL (a CI timeout) left an empty log. These tests read the
combined log the way a CI job does and check it is in the order things happened, and that a killed
run leaves every line up to the kill.
"""
import os
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import OTA, FaultServer, class_workdir, main, no_proxy_env, run  # noqa: E402


class CombinedLog(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        d = cls.dir
        cls.base = os.path.join(d, "base.bin")
        run(["flash", "create", cls.base], expect=0)
        run(["image", "make", "--version", "v1.0", "--project", "ota_example", "--size", "300000",
             "--seed", "1", f"{d}/old.bin"], expect=0)
        run(["partition", "write", cls.base, "ota_0", f"{d}/old.bin"], expect=0)
        cls.app = os.path.join(cls.www, "app.bin")
        run(["image", "make", "--version", "v2.0", "--project", "ota_example", "--size", "900000",
             "--seed", "2", cls.app], expect=0)

    def device(self, name):
        dev = os.path.join(self.dir, name)
        with open(self.base, "rb") as src, open(dev, "wb") as dst:
            dst.write(src.read())
        return dev

    def ota_to_file(self, args, name):
        """Run `ota ARGS >log 2>&1` as a shell would; returns (exit status, log lines)."""
        path = os.path.join(self.dir, name)
        with open(path, "wb") as log:
            proc = subprocess.run([OTA] + args, stdout=log, stderr=subprocess.STDOUT, timeout=300)
        with open(path, encoding="utf-8") as f:
            return proc.returncode, f.read().splitlines()

    def test_failed_run_error_line_comes_last_in_a_file(self):
        dev = self.device("fail.bin")
        missing = "file://" + os.path.join(self.dir, "missing.bin")
        rc, lines = self.ota_to_file(["run", dev, "--app-uri", missing, "--data-uri", ""], "fail.log")
        self.assertEqual(rc, 1)
        # the run booted the device (stdout), tried the item, logged its failure, then summed up
        # on stderr: the summary is the last line, after everything it sums up
        self.assertTrue(lines[-1].startswith("ota: error: 1 of 1 items failed"), lines[-3:])
        self.assertEqual(sum(1 for line in lines if line.startswith("ota: error:")), 1)
        first_boot = next(i for i, line in enumerate(lines) if "boot: Loaded app from partition" in line)
        failed = next(i for i, line in enumerate(lines) if "List id: 0, OTA failed" in line)
        self.assertLess(first_boot, failed)
        self.assertLess(failed, len(lines) - 1)

    def test_failed_run_error_line_comes_last_in_a_pipe(self):
        dev = self.device("pipe.bin")
        missing = "file://" + os.path.join(self.dir, "missing.bin")
        proc = subprocess.run([OTA, "run", dev, "--app-uri", missing, "--data-uri", ""],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
        self.assertEqual(proc.returncode, 1)
        lines = proc.stdout.decode().splitlines()
        self.assertTrue(lines[-1].startswith("ota: error: 1 of 1 items failed"), lines[-3:])
        self.assertTrue(lines[0].startswith("I ("), lines[0])

    def test_boot_of_blank_flash_error_line_comes_last(self):
        """Another command: `ota boot` of a blank flash prints the bootloader's log (stdout), then
        fails (stderr): the error is the last line, after the log lines that explain it."""
        dev = os.path.join(self.dir, "blank.bin")
        run(["flash", "create", dev], expect=0)
        rc, lines = self.ota_to_file(["boot", dev], "boot.log")
        self.assertEqual(rc, 1)
        self.assertTrue(lines[-1].startswith("ota: error:"), lines[-3:])
        self.assertIn("No bootable app partitions in the partition table", lines[-2])

    def test_killed_run_leaves_its_log_up_to_the_kill(self):
        """SIGKILL in the middle of a download (the server stalls it at a known byte): the log
        file holds the boot, the service start and the download start, each a whole line."""
        dev = self.device("killed.bin")
        log_path = os.path.join(self.dir, "killed.log")
        with FaultServer(self.www) as fs:
            url = fs.url("app.bin", fault="stall", at=400000, hold=60, times=1)
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([OTA, "run", dev, "--app-uri", url, "--data-uri", ""],
                                        stdout=log, stderr=subprocess.STDOUT, env=no_proxy_env())
                try:
                    deadline = time.monotonic() + 60
                    while fs.requests(url) < 1 and proc.poll() is None and time.monotonic() < deadline:
                        time.sleep(0.05)
                    self.assertEqual(fs.requests(url), 1, "the download did not start")
                    time.sleep(1.0)  # the server sends 400000 bytes, then stalls for 60 s
                    self.assertIsNone(proc.poll(), "ota run ended before it could be killed")
                finally:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
            self.assertEqual(proc.returncode, -signal.SIGKILL)
        with open(log_path, "rb") as f:
            text = f.read().decode()
        self.assertTrue(text.endswith("\n"), "the log ends in the middle of a line")
        lines = text.splitlines()
        # the running app is `ota image make`'s default, ESP-IDF v5.5.4: esp_https_ota's v5.4+ wording
        # (components/esp_https_ota/src/esp_https_ota.c, docs/images-and-boot.md)
        for want in ("boot: Loaded app from partition at offset 0x10000", "[2.2] Start OTA service",
                     "esp_https_ota: Starting OTA...", "esp_https_ota: Writing to <ota_1> partition at offset 0x110000"):
            self.assertTrue(any(want in line for line in lines), f"{want!r} not in the log:\n{text}")


if __name__ == "__main__":
    main()
