#!/usr/bin/env python3
"""A delta install killed (SIGKILL) in the middle resumes from the install journal's checkpoint
(issue 13, point 3): the delta stage's state (decoder window and bits, patch/old/new positions,
its overflow bytes) is in the stage record beside the checkpoint; the next `ota run` asks the
server for sector 0 of the patch, then for the patch from the record's source offset, and the
slot ends byte-identical to Espressif's new image (README SHA-256).

The fault server stalls the first response of each trial's URL at a random patch byte; the test
waits until the journal stops growing (the download hangs there), then kills the process.
"""
import hashlib
import os
import random
import shutil
import signal
import subprocess
import time
import unittest
import zlib

from otatest import OTA, FaultServer, device_slice, json_lines, main, run, tempdir, testdata

NEW_SHA = "52c0cc0ffc30631fe6da2aba49d935b9fef271933bb50fada6aa76d199020209"  # app_a_edit.bin
PATCH = "app_a_to_edit.patch"
OTA_1 = 0x110000
SECTOR = 4096
RECORDS = 128   # ota_install_journal.h: 48-byte slots from offset 128 of sector 0
SLOT = 48


def journal(dev):
    """(bytes_written, source_offset) of the last checkpoint whose stage record precedes it, read
    from ota_1's first sector as ota_install_journal.h lays it out; (0, 0) if none."""
    with open(dev, "rb") as f:
        f.seek(OTA_1)
        sector = f.read(SECTOR)
    if sector[:4] != b"OTAJ":
        return 0, 0
    last, stage_src, stage_at = (0, 0), None, None
    for off in range(RECORDS, SECTOR - SLOT + 1, SLOT):
        rec = sector[off:off + SLOT]
        if rec == b"\xff" * SLOT:
            break
        if zlib.crc32(rec[:44]) != int.from_bytes(rec[44:48], "little"):
            continue
        if rec[:4] == b"CKPS":
            stage_at = int.from_bytes(rec[4:8], "little")
            stage_src = int.from_bytes(rec[8:12], "little")
        elif rec[:4] == b"CKPT":
            at = int.from_bytes(rec[4:8], "little")
            if stage_at == at:
                last = (at, stage_src)
    return last


class DeltaResumeAfterKill(unittest.TestCase):
    def test_killed_delta_install_resumes(self):
        with tempdir() as d:
            www = os.path.join(d, "www")
            os.mkdir(www)
            shutil.copyfile(testdata("delta", PATCH), os.path.join(www, PATCH))
            size = os.path.getsize(testdata("delta", PATCH))
            new_len = os.path.getsize(testdata("delta", "app_a_edit.bin"))
            run(["flash", "create", f"{d}/base.bin"], expect=0)
            run(["partition", "write", f"{d}/base.bin", "ota_0", testdata("delta", "app_a.bin")], expect=0)
            rng = random.Random(20261130)
            resumed_runs = 0
            with FaultServer(www) as fs:
                for trial in range(4):
                    at = rng.randrange(2000, size - 500)
                    dev = f"{d}/dev{trial}.bin"
                    shutil.copyfile(f"{d}/base.bin", dev)
                    url = fs.url(PATCH, fault="stall", at=at, hold=30, times=1, trial=trial)
                    proc = subprocess.Popen([OTA, "run", dev, "--app-uri", url, "--data-uri", "", "--json"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    seen, since = None, time.monotonic()
                    deadline = since + 60
                    while proc.poll() is None and time.monotonic() < deadline:
                        now = journal(dev)
                        if now != seen:
                            seen, since = now, time.monotonic()
                        elif now[0] > 0 and time.monotonic() - since > 1.5:
                            break
                        time.sleep(0.05)
                    self.assertIsNone(proc.poll(), "ota run ended before it could be killed")
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(timeout=30)
                    cp_at, cp_src = journal(dev)
                    self.assertGreater(cp_at, 0, "no checkpoint before the stall")
                    self.assertLessEqual(cp_src, at)

                    second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                    results = [e for e in json_lines(second.stdout) if e.get("event") == "result"]
                    self.assertEqual([r["result"] for r in results], ["success"])
                    boots = [e for e in json_lines(second.stdout) if e.get("event") == "boot"]
                    self.assertEqual(boots[-1]["partition"], "ota_1")
                    slot = device_slice(dev, "ota_1")
                    self.assertEqual(hashlib.sha256(slot[:new_len]).hexdigest(), NEW_SHA)
                    self.assertIn("resumed at byte %d of the stream" % cp_src, second.stderr)
                    log = sorted(fs.log(url), key=lambda e: e["n"])
                    self.assertEqual(len(log), 3, log)
                    self.assertEqual(log[1]["range"], "bytes=0-4095")
                    self.assertEqual(log[2]["range"].split("=")[1].split("-")[0], str(cp_src))
                    self.assertEqual(log[2]["sent"], size - cp_src)
                    resumed_runs += 1
                    print(f"  killed at patch byte {at}: resumed at patch byte {cp_src} "
                          f"(output {cp_at} of {new_len})")
            self.assertEqual(resumed_runs, 4)


if __name__ == "__main__":
    main()
