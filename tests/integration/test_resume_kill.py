#!/usr/bin/env python3
"""Resume across restarts: `ota run` is killed (SIGKILL) in the middle of an app download; the
next `ota run` resumes from the checkpoint persisted in the target slot's install journal (on
the device's flash, not in a host file) instead of starting from zero, and the result is
byte-identical (DESIGN.md §4 invariant 5, issue 6).

The fault server stalls the first response of each trial's URL at a random byte, so the kill
lands at a known moment of the download; the second run gets the same URL served normally. What
the second run asked the server for (its Range requests) and how many body bytes the server sent
are read from the server's log.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from otatest import (OTA, FaultServer, class_workdir, json_lines, main, run, run_json,  # noqa: E402
                     sha256_file)

APP_SIZE = 917504           # 896 KiB: fits the example's 1 MiB ota_1
SECTOR = 4096
CHECKPOINT_EVERY = 0x10000  # the service checkpoints every 64 KiB of image


OTA_1 = 0x110000
JOURNAL_RECORDS = 128        # ota_install_journal.h: records at 128 + 48*i of sector 0
JOURNAL_RECORD = 48


def last_checkpoint(dev):
    """bytes_written of the last complete checkpoint in ota_1's install journal (0 if none),
    read straight from the device file: how far the killed run provably got."""
    with open(dev, "rb") as f:
        f.seek(OTA_1)
        sector = f.read(SECTOR)
    if sector[:4] != b"OTAJ":
        return 0
    last = 0
    for off in range(JOURNAL_RECORDS, SECTOR - JOURNAL_RECORD + 1, JOURNAL_RECORD):
        rec = sector[off:off + JOURNAL_RECORD]
        if rec == b"\xff" * JOURNAL_RECORD:
            break
        if rec[:4] == b"CKPT" and zlib.crc32(rec[:44]) == int.from_bytes(rec[44:48], "little"):
            last = int.from_bytes(rec[4:8], "little")
    return last


def requests_in_order(fs, url):
    """The server's log of @url in the order the requests arrived: an entry is logged when its
    response ends, and the killed run's stalled response may end after the next run's."""
    return sorted(fs.log(url), key=lambda e: e["n"])


def range_start(entry):
    r = entry.get("range") or ""
    if not r.startswith("bytes="):
        return 0
    return int(r[len("bytes="):].split("-")[0])


class ResumeAfterKill(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        d = cls.dir
        run(["flash", "create", f"{d}/base.bin"], expect=0)
        run(["image", "make", "--version", "v2.2-252-g62edbd26-dirty", "--project", "ota_example",
             "--size", "400000", "--seed", "1", f"{d}/old.bin"], expect=0)
        run(["partition", "write", f"{d}/base.bin", "ota_0", f"{d}/old.bin"], expect=0)
        cls.app = os.path.join(cls.www, "app.bin")
        run(["image", "make", "--version", "v2.2-253-g0000001", "--project", "ota_example",
             "--size", str(APP_SIZE), "--seed", "2", cls.app], expect=0)
        cls.app_sha = sha256_file(cls.app)

    def fresh_device(self, name):
        dev = os.path.join(self.dir, name)
        shutil.copyfile(os.path.join(self.dir, "base.bin"), dev)
        return dev

    def ota_1_sha(self, dev):
        """SHA-256 of ota_1's first len(app.bin) bytes (the image now on the server)."""
        out = dev + ".ota_1"
        run(["partition", "read", dev, "ota_1", out], expect=0)
        with open(out, "rb") as f:
            data = f.read()[:os.path.getsize(self.app)]
        import hashlib
        return hashlib.sha256(data).hexdigest()

    def kill_at(self, fs, dev, url, at):
        """Start `ota run`; once the device shows the last checkpoint before byte `at` (where the
        server stalls the download), kill -9."""
        proc = subprocess.Popen([OTA, "run", dev, "--app-uri", url, "--data-uri", "", "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        want = at // CHECKPOINT_EVERY * CHECKPOINT_EVERY
        deadline = time.monotonic() + 120
        while last_checkpoint(dev) < want and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(last_checkpoint(dev), want, "the download did not get to its stall point")
        self.assertIsNone(proc.poll(), "ota run ended before it could be killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        self.assertEqual(proc.returncode, -signal.SIGKILL)

    def test_killed_download_resumes_from_checkpoint(self):
        rng = random.Random(20261123)
        rows = []
        with FaultServer(self.www) as fs:
            for trial in range(6):
                at = rng.randrange(CHECKPOINT_EVERY + 2 * SECTOR, APP_SIZE - SECTOR)
                dev = self.fresh_device(f"dev{trial}.bin")
                url = fs.url("app.bin", fault="stall", at=at, hold=30, times=1, trial=trial)
                self.kill_at(fs, dev, url, at)
                # the killed run left an interrupted install in ota_1; otadata still names ota_0
                info = run_json(["info", dev])
                ota1 = next(a for a in info["apps"] if a["label"] == "ota_1")
                self.assertFalse(ota1["valid"])
                self.assertEqual(info["next_boot"]["label"], "ota_0")

                second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                events = json_lines(second.stdout)
                results = [e for e in events if e.get("event") == "result"]
                self.assertEqual([r["result"] for r in results], ["success"])
                boots = [e for e in events if e.get("event") == "boot"]
                self.assertEqual(boots[-1]["partition"], "ota_1")
                self.assertEqual(boots[-1]["offset"], 0x110000)
                self.assertEqual(self.ota_1_sha(dev), self.app_sha)

                log = requests_in_order(fs, url)
                self.assertEqual(len(log), 3, log)   # killed run: 1; resumed run: sector 0 + the rest
                first, resumed = log[1], log[2]
                # sector 0 only (it was never on flash), against the journal's ETag
                self.assertEqual(first["range"], "bytes=0-4095")
                self.assertTrue(first.get("if_range"))
                self.assertEqual(first["status"], 206)
                start = range_start(resumed)
                # resumed at the last 64 KiB checkpoint before the kill
                self.assertEqual(start, at // CHECKPOINT_EVERY * CHECKPOINT_EVERY)
                self.assertTrue(resumed.get("if_range"), "a resume must carry If-Range")
                self.assertEqual(resumed["status"], 206)
                self.assertIn("resumed at byte %d" % start, second.stderr)
                sent = first["sent"] + resumed["sent"]
                self.assertEqual(sent, SECTOR + APP_SIZE - start)
                rows.append((at, start, sent))
        total_sent = sum(r[2] for r in rows)
        restart = len(rows) * APP_SIZE
        print(f"resume-after-kill: {len(rows)} kills; the resumed runs downloaded {total_sent} bytes "
              f"where restarts from zero would download {restart} ({100 * total_sent / restart:.0f}%)")
        for at, start, sent in rows:
            print(f"  killed at byte {at:7d}: resumed at {start:7d}, downloaded {sent:7d} of {APP_SIZE}")
        self.assertLess(total_sent, restart)

    def replace_app(self, seed, size, keep_etag):
        """Put a different image at the same URL. With keep_etag, same size and mtime: the
        fault server's ETag ("mtime-size", like many servers') does not change."""
        st = os.stat(self.app)
        run(["image", "make", "--version", f"v2.2-{254 + seed}-g000000{seed}", "--project", "ota_example",
             "--size", str(size), "--seed", str(10 + seed), self.app], expect=0)
        if keep_etag:
            os.utime(self.app, ns=(st.st_atime_ns, st.st_mtime_ns))
        return sha256_file(self.app)

    def test_changed_image_is_not_resumed(self):
        """The image changed on the server between the two runs (a new ETag): the second run
        asks for sector 0 against the old ETag, is told the image changed (200 to If-Range) and
        installs the new image from zero."""
        with FaultServer(self.www) as fs:
            dev = self.fresh_device("changed.bin")
            url = fs.url("app.bin", fault="stall", at=300000, hold=30, times=1, trial="changed")
            self.kill_at(fs, dev, url, 300000)
            backup = self.app + ".orig"
            shutil.copy2(self.app, backup)
            try:
                new_sha = self.replace_app(1, APP_SIZE - 65536, keep_etag=False)
                second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                self.assertNotIn("resumed at byte", second.stderr)
                self.assertIn("changed since the interrupted install: starting over", second.stderr)
                log = requests_in_order(fs, url)
                self.assertEqual(len(log), 3, log)
                self.assertEqual(log[1]["range"], "bytes=0-4095")
                self.assertTrue(log[1]["if_range"])
                self.assertEqual(log[1]["status"], 200)
                self.assertFalse(log[2]["range"])
                self.assertEqual(log[2]["status"], 200)
                self.assertEqual(self.ota_1_sha(dev), new_sha)
            finally:
                shutil.move(backup, self.app)

    def test_changed_image_behind_the_same_etag(self):
        """The image changed but the server's ETag did not (same size, same mtime second): the
        bounded request is accepted, and the checkpoint's SHA-256 finds that the flash prefix
        belongs to the old image. The run installs the new image from zero: never a mix."""
        with FaultServer(self.www) as fs:
            dev = self.fresh_device("lying.bin")
            url = fs.url("app.bin", fault="stall", at=300000, hold=30, times=1, trial="lying")
            self.kill_at(fs, dev, url, 300000)
            backup = self.app + ".orig"
            shutil.copy2(self.app, backup)
            try:
                new_sha = self.replace_app(2, APP_SIZE, keep_etag=True)
                second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                self.assertIn("does not match the checkpoint", second.stderr)
                self.assertIn("from zero", second.stderr)
                log = requests_in_order(fs, url)
                self.assertEqual(log[1]["range"], "bytes=0-4095")
                self.assertEqual(log[1]["status"], 206)
                self.assertEqual(range_start(log[2]), SECTOR)   # the rest, from sector 1
                self.assertEqual(self.ota_1_sha(dev), new_sha)
            finally:
                shutil.move(backup, self.app)

if __name__ == "__main__":
    main()
