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
    """(bytes_written, source_offset) of the last checkpoint that has its stage record, read from
    ota_1 as ota_install_journal.h lays it out; (0, 0) if none. The records are in sector 0 before
    their checkpoints, or (header flag bit 0, "spill") in the two sectors after the output bound
    (the header's total_size)."""
    with open(dev, "rb") as f:
        f.seek(OTA_1)
        sector = f.read(SECTOR)
        if sector[:4] != b"OTAJ":
            return 0, 0
        spill_at = int.from_bytes(sector[8:12], "little") if sector[6] & 1 else None
        spill = b""
        if spill_at is not None:
            f.seek(OTA_1 + spill_at)
            spill = f.read(2 * SECTOR)

    def slots(data, start, end):
        for off in range(start, end - SLOT + 1, SLOT):
            rec = data[off:off + SLOT]
            if zlib.crc32(rec[:44]) == int.from_bytes(rec[44:48], "little"):
                yield rec

    stages = {}  # bytes_written -> source_offset (any record for a point describes the same cut)
    for half in range(2):
        for rec in slots(spill, half * SECTOR, (half + 1) * SECTOR):
            if rec[:4] == b"CKPS":
                stages[int.from_bytes(rec[4:8], "little")] = int.from_bytes(rec[8:12], "little")
    last, stage_at, stage_src = (0, 0), None, None
    for rec in slots(sector, RECORDS, SECTOR):
        if rec[:4] == b"CKPS":
            stage_at = int.from_bytes(rec[4:8], "little")
            stage_src = int.from_bytes(rec[8:12], "little")
        elif rec[:4] == b"CKPT":
            at = int.from_bytes(rec[4:8], "little")
            if spill_at is not None and at in stages:
                last = (at, stages[at])
            elif spill_at is None and stage_at == at:
                last = (at, stage_src)
    return last


def frontier(dev, new):
    """Output bytes on ota_1 beyond sector 0: where the slot stops matching the new image."""
    slot = device_slice(dev, "ota_1")
    n = SECTOR
    while n < len(new) and slot[n] == new[n]:
        n += 1
    return n


class DeltaResumeAfterKill(unittest.TestCase):
    def kill_and_resume(self, fs, d, base, url, at, size, new_len):
        """Stall the download at patch byte @at, SIGKILL the install once the journal stops
        growing, run again: returns (checkpoint output offset, its source offset, output frontier
        at the kill) after checking the resumed install."""
        dev = f"{d}/dev{at}.bin"
        shutil.copyfile(base, dev)
        if os.path.exists(base + ".state"):  # eFuses (Secure Boot) and settings
            shutil.copyfile(base + ".state", dev + ".state")
        proc = subprocess.Popen([OTA, "run", dev, "--app-uri", url, "--data-uri", "", "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        seen, since = None, time.monotonic()
        deadline = since + 60
        while proc.poll() is None and time.monotonic() < deadline:
            now = (journal(dev), frontier(dev, self.new))
            if now != seen:
                seen, since = now, time.monotonic()
            elif now[0][0] > 0 and time.monotonic() - since > 1.5:
                break
            time.sleep(0.05)
        self.assertIsNone(proc.poll(), "ota run ended before it could be killed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        cp_at, cp_src = journal(dev)
        reached = frontier(dev, self.new)
        self.assertGreater(cp_at, 0, "no checkpoint before the stall")
        self.assertLessEqual(cp_src, at)

        second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
        results = [e for e in json_lines(second.stdout) if e.get("event") == "result"]
        self.assertEqual([r["result"] for r in results], ["success"])
        boots = [e for e in json_lines(second.stdout) if e.get("event") == "boot"]
        self.assertEqual(boots[-1]["partition"], "ota_1")
        slot = device_slice(dev, "ota_1")
        self.assertEqual(hashlib.sha256(slot[:new_len]).hexdigest(), self.new_sha)
        self.assertIn("resumed at byte %d of the stream" % cp_src, second.stderr)
        if getattr(self, "secure_boot", False):  # the bootloader checked the new app's signature
            self.assertIn("secure_boot_v2: Signature verified successfully!", second.stderr)
        log = sorted(fs.log(url), key=lambda e: e["n"])
        self.assertEqual(len(log), 3, log)
        self.assertEqual(log[1]["range"], "bytes=0-4095")
        self.assertEqual(log[2]["range"].split("=")[1].split("-")[0], str(cp_src))
        self.assertEqual(log[2]["sent"], size - cp_src)
        # nothing but the image in the slot: the journal's spill sectors were erased at the commit
        self.assertEqual(slot[(new_len + SECTOR - 1) // SECTOR * SECTOR:], b"\xff" * (len(slot) - (new_len + SECTOR - 1) // SECTOR * SECTOR))
        return cp_at, cp_src, reached

    def setUp(self):
        with open(testdata("delta", "app_a_edit.bin"), "rb") as f:
            self.new = f.read()
        self.new_sha = NEW_SHA
        self.patch_src = testdata("delta", PATCH)

    def make_base(self, base):
        """The device before the update: app_a.bin running in ota_0."""
        run(["flash", "create", base], expect=0)
        run(["partition", "write", base, "ota_0", testdata("delta", "app_a.bin")], expect=0)

    def test_killed_delta_install_resumes(self):
        with tempdir() as d:
            www = os.path.join(d, "www")
            os.mkdir(www)
            shutil.copyfile(self.patch_src, os.path.join(www, PATCH))
            size = os.path.getsize(self.patch_src)
            new_len = len(self.new)
            self.make_base(f"{d}/base.bin")
            rng = random.Random(20261130)
            resumed_runs = 0
            with FaultServer(www) as fs:
                for trial in range(4):
                    at = rng.randrange(2000, size - 500)
                    url = fs.url(PATCH, fault="stall", at=at, hold=30, times=1, trial=trial)
                    cp_at, cp_src, _ = self.kill_and_resume(fs, d, f"{d}/base.bin", url, at, size, new_len)
                    resumed_runs += 1
                    print(f"  killed at patch byte {at}: resumed at patch byte {cp_src} "
                          f"(output {cp_at} of {new_len})")
            self.assertEqual(resumed_runs, 4)

    def test_late_kill_resumes_within_one_interval(self):
        """Killed late in the image (> 75 % of the output on flash): the resume starts at a
        checkpoint at most one interval (64 KiB: checkpoints continue for the whole image) before
        the output that was on flash, and downloads only the patch from that checkpoint on."""
        interval = 0x10000
        with tempdir() as d:
            www = os.path.join(d, "www")
            os.mkdir(www)
            shutil.copyfile(self.patch_src, os.path.join(www, PATCH))
            size = os.path.getsize(self.patch_src)
            new_len = len(self.new)
            self.make_base(f"{d}/base.bin")
            with FaultServer(www) as fs:
                for trial, at in enumerate((size - 60, size - 1500)):
                    url = fs.url(PATCH, fault="stall", at=at, hold=30, times=1, trial=100 + trial)
                    cp_at, cp_src, reached = self.kill_and_resume(fs, d, f"{d}/base.bin", url, at, size, new_len)
                    print(f"  killed at patch byte {at}, output {reached} of {new_len} on flash: resumed at "
                          f"patch byte {cp_src}, output {cp_at}")
                    if trial == 0:
                        self.assertGreater(reached, new_len * 3 // 4, "the cut is not late in the image")
                    self.assertGreaterEqual(cp_at, reached - interval - SECTOR)
                    self.assertLessEqual(cp_at, reached)


class SignedSecureBootDeltaResume(DeltaResumeAfterKill):
    """Issue 19: the same kills and resumes for a delta between two signed apps (ESP32-C6, ECDSA
    P-256, the testdata key) on a device with Secure Boot V2 on and that key's digest burned. The
    patch (`ota delta make` of the signed files) names the old app's validation hash and copies its
    signature sector (esp_delta_ota reads the base through the running partition); the resumed
    install ends byte-identical to the signed new app, whose signature the bootloader verifies."""

    def setUp(self):
        self.secure_boot = True
        self.tmp = tempdir()
        d = self.tmp.__enter__()
        self.addCleanup(self.tmp.__exit__, None, None, None)
        self.d = d
        for version, name in (("v1.0.0", "old"), ("v1.1.0", "new")):
            run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", version, "--size", "600K",
                 "--seed", "3", f"{d}/{name}.bin"], expect=0)
            run(["image", "sign", "--keyfile", testdata("secure", "key_ecdsa256.pem"), f"{d}/{name}.bin",
                 f"{d}/{name}_s.bin"], expect=0)
        with open(f"{d}/new_s.bin", "rb") as f:
            self.new = f.read()
        self.new_sha = hashlib.sha256(self.new).hexdigest()
        self.patch_src = f"{d}/signed.patch"
        run(["delta", "make", f"{d}/old_s.bin", f"{d}/new_s.bin", self.patch_src], expect=0)
        with open(f"{d}/old.bin", "rb") as f:
            old = f.read()
        with open(self.patch_src, "rb") as f:
            self.assertEqual(f.read()[4:36], hashlib.sha256(old[:-32]).digest())  # the validation hash

    def make_base(self, base):
        run(["flash", "create", "--chip", "esp32c6", base], expect=0)
        run(["partition", "write", base, "ota_0", f"{self.d}/old_s.bin"], expect=0)
        run(["efuse", "burn-key-digest", base, testdata("secure", "digest_ecdsa256.bin")], expect=0)
        run(["efuse", "enable-secure-boot", base], expect=0)


class EncryptedDeltaResume(unittest.TestCase):
    """An esp_encrypted_img-wrapped patch (`ota image encrypt` of a patch from `ota delta make`,
    the testdata RSA-3072 device key): decrypt -> delta. Killed late, it resumes: the delta stage
    restores its state from the stage record, the decrypt stage (GCM) reads the stream again up to
    the record's source offset, dropping what it decrypts; the slot ends byte-identical."""

    def test_killed_encrypted_delta_install_resumes(self):
        key = testdata("secure", "enc_rsa3072_priv.pem")
        with open(testdata("delta", "app_a_edit.bin"), "rb") as f:
            new = f.read()
        with tempdir() as d:
            www = os.path.join(d, "www")
            os.mkdir(www)
            patch = os.path.join(d, "edit.patch")
            run(["delta", "make", testdata("delta", "app_a.bin"), testdata("delta", "app_a_edit.bin"), patch],
                expect=0)
            run(["image", "encrypt", "--scheme", "rsa3072", patch, testdata("secure", "enc_rsa3072_pub.pem"),
                 os.path.join(www, "edit.patch.enc")], expect=0)
            size = os.path.getsize(os.path.join(www, "edit.patch.enc"))
            base = f"{d}/base.bin"
            run(["flash", "create", base], expect=0)
            run(["partition", "write", base, "ota_0", testdata("delta", "app_a.bin")], expect=0)
            run(["config", "set", base, "decrypt-key", "rsa3072:" + key], expect=0)
            with FaultServer(www) as fs:
                at = size - 80
                url = fs.url("edit.patch.enc", fault="stall", at=at, hold=30, times=1, trial=7)
                dev = f"{d}/dev.bin"
                shutil.copyfile(base, dev)
                shutil.copyfile(base + ".state", dev + ".state")
                proc = subprocess.Popen([OTA, "run", dev, "--app-uri", url, "--data-uri", "", "--json"],
                                        stdout=subprocess.DEVNULL, stderr=open(f"{d}/first.log", "w"))
                seen, since = None, time.monotonic()
                deadline = since + 60
                while proc.poll() is None and time.monotonic() < deadline:
                    now = (journal(dev), frontier(dev, new))
                    if now != seen:
                        seen, since = now, time.monotonic()
                    elif now[0][0] > 0 and time.monotonic() - since > 1.5:
                        break
                    time.sleep(0.05)
                if proc.poll() is not None:
                    print(open(f"{d}/first.log").read()[-3000:])
                self.assertIsNone(proc.poll(), "ota run ended before it could be killed")
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=30)
                cp_at, cp_src = journal(dev)
                reached = frontier(dev, new)
                self.assertGreater(reached, len(new) * 3 // 4, "the cut is not late in the image")
                self.assertGreaterEqual(cp_at, reached - 0x10000 - SECTOR)
                self.assertGreater(cp_src, 512)  # past the esp_encrypted_img header

                second = run(["run", dev, "--app-uri", url, "--data-uri", "", "--json"], expect=0)
                results = [e for e in json_lines(second.stdout) if e.get("event") == "result"]
                self.assertEqual([r["result"] for r in results], ["success"])
                slot = device_slice(dev, "ota_1")
                self.assertEqual(hashlib.sha256(slot[:len(new)]).hexdigest(), NEW_SHA)
                self.assertIn("resumed at byte %d of the stream" % cp_src, second.stderr)
                self.assertIn("%d bytes of output were already on flash" % (cp_at - SECTOR), second.stderr)
                log = sorted(fs.log(url), key=lambda e: e["n"])
                self.assertEqual(log[-1]["range"].split("=")[1].split("-")[0], str(cp_src))
                self.assertEqual(log[-1]["sent"], size - cp_src)
                print(f"  killed at stream byte {at} of {size}, output {reached} on flash: resumed at stream "
                      f"byte {cp_src}, output {cp_at}; requests {[e.get('range') for e in log]}")


if __name__ == "__main__":
    main()
