"""Network-fault sweep (issue 6): break the app download of `ota run` at >= 200 points.

Each point is one run of the ESP-ADF example's app item (`ota run DEV --app-uri URL --data-uri ''
--json`) on a fresh copy of a device that runs v_old from ota_0 and holds an unrelated app in
ota_1, against tests/support/fault_server.py, which breaks that one request as the URL's query says:
connection closed (FIN) or reset (RST) at offsets spread over the image — inside the 288 bytes read
before anything is erased, at sector/block boundaries, at the very end —, stalls past the stall
timeout, bodies shorter than announced, 200 answered to a Range request, the ETag or length
changing between requests, 206 for another range, error statuses during a resume, chunked bodies,
weak ETags, flipped bytes, and faults that persist over every retry.

For every point the outcome must be exactly one of:
  * completed: exit 0, ota_1 holds the image byte for byte (hashlib of the file served), the
    fault server's request log shows the resume request (Range from the right offset, If-Range with
    the served ETag, 206) and nothing more, and after `ota confirm` the device boots it;
  * failed with the expected reason: exit 1, the JSON result's reason is the one this fault must
    give (and, for a corrupt image, the detail names the checksum the test computed), no restart,
    otadata byte-identical to before, ota_1 untouched when the fault hit the first 288 bytes.
and in every case (the invariants, checked on the device file with otatest's independent decoders):
  * ota_0 (the running slot) byte-identical, every slot an otadata entry names as bootable holds an
    image that verifies (checksum and SHA-256 recomputed here), and `ota boot --json` boots a valid
    app: the new one after a completed run, the old one otherwise.

`ota run` has no option for the source's stall timeout, retries or back-off (`ota fetch` has them);
the stall points and the quick persistent-fault points therefore run through the two_devices
helper (the same example list, host model and source, with --stall-timeout/--retries/--retry-backoff).

Bounded by default (CI, ~250 points); `--full` (or OTA_NETFAULT_FULL=1) sweeps ~1000 points.
OTA_NETFAULT_SEED picks the random offsets (printed in the summary); OTA_NETFAULT_WORKERS the pool.
"""
import dataclasses
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import threading
import time
import traceback
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import (app_image_verifies, bootable_otadata_slots, copy_device, device_slice, make_app,  # noqa: E402
                     otadata_selected_slot, parse_esp_image, run)

FULL = os.environ.get("OTA_NETFAULT_FULL", "") not in ("", "0") or "--full" in sys.argv
if "--full" in sys.argv:
    sys.argv.remove("--full")
SEED = int(os.environ.get("OTA_NETFAULT_SEED", "6"))
WORKERS = int(os.environ.get("OTA_NETFAULT_WORKERS", "2"))

RUNNING = "v2.2-252-g62edbd26"
NEW = "v2.2-260-g1f0e2d3c"
PEEK = 24 + 8 + 256          # image header + first segment header + app description: read before any erase
HELPER_FAST = ["--stall-timeout", "1000", "--retry-backoff", "20", "--connect-timeout", "3000"]


@dataclasses.dataclass
class Point:
    name: str
    params: dict                 # fault server query
    expect: str                  # "ok", or the JSON result reason of the failure
    requests: int                # requests the fault server must see for this URL
    resume: str = "exact"        # ok points: "exact" (Range from `at`), "upto" (<= at), "none"
    at: int = 0                  # where the first response broke
    if_range: bool = True        # the resume carries If-Range (strong ETag known)
    second_status: int = 0       # failures: status of the 2nd response (0: not checked)
    pre_erase: bool = False      # failure must come before anything is erased: ota_1 unchanged
    detail: str = ""             # failures: text the result's detail must contain
    helper: list = None          # run through two_devices with these options instead of `ota run`


class Sweep(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._tmp = otatest.tempdir()
        cls.dir = d = cls._tmp.__enter__()
        cls.www = os.path.join(d, "www")
        os.mkdir(cls.www)
        cls.app_path = os.path.join(cls.www, "app.bin")
        cls.new = make_app(cls.app_path, NEW, size="320K", seed=2)
        cls.size = len(cls.new)
        cls.img = parse_esp_image(cls.new)
        cls.running = make_app(os.path.join(d, "running.bin"), RUNNING, size="200K", seed=1)
        cls.previous = make_app(os.path.join(d, "previous.bin"), "v2.2-100-g00aa11bb", size="240K", seed=3)
        cls.template = os.path.join(d, "template.bin")
        run(["flash", "create", cls.template], expect=0)
        run(["partition", "write", cls.template, "ota_0", os.path.join(d, "running.bin")], expect=0)
        run(["partition", "write", cls.template, "ota_1", os.path.join(d, "previous.bin")], expect=0)
        run(["boot", cls.template], expect=0)
        cls.t_ota0 = device_slice(cls.template, "ota_0")
        cls.t_ota1 = device_slice(cls.template, "ota_1")
        cls.t_otadata = device_slice(cls.template, "otadata")
        st = os.stat(cls.app_path)
        cls.etag = '"%x-%x"' % (int(st.st_mtime), cls.size)   # fault_server.py's strong ETag
        cls._fs = otatest.FaultServer(cls.www)
        cls.fs = cls._fs.__enter__()
        cls.helper_bin = otatest.TWO_DEVICES
        if not cls.helper_bin or not os.path.exists(cls.helper_bin):
            raise AssertionError(f"two_devices helper not found (OTA_TWO_DEVICES={cls.helper_bin!r})")

    @classmethod
    def tearDownClass(cls):
        cls._fs.__exit__(None, None, None)
        cls._tmp.__exit__(None, None, None)

    # --- the points --------------------------------------------------------------------------

    def flip_expectation(self, at):
        """(reason, detail, before-erase) for the byte at @at XOR 0xFF, from the image layout
        decoded here: ESP-IDF's checks (magic, segment count, chip id, app description magic
        before erasing; checksum over segment data; SHA-256 over everything before the hash)."""
        img = self.img
        stored = img["checksum_stored"]
        ck = img["checksum_end"] - 1
        if at == 0:
            return "OTA_ERR_IMG_BAD_MAGIC", "", True
        if at == 1:
            return "OTA_ERR_IMG_TOO_MANY_SEGMENTS", "", True
        if at in (12, 13):
            return "OTA_ERR_IMG_WRONG_CHIP", "", True
        if 32 <= at < 36:
            return "OTA_ERR_IMG_APP_DESC", "", True
        if 36 <= at < 40:
            # secure_version (0 here) XOR 0xFF.. is at least 255: more than the ESP32's 32-bit
            # anti-rollback eFuse holds, refused before erasing (issue 10, class 4)
            return "OTA_ERR_SECURE_VERSION_RANGE", "does not fit the chip's 32-bit eFuse", True
        if at == ck:
            return "OTA_ERR_IMG_CHECKSUM", "Checksum failed. Calculated 0x%x read 0x%x" % (stored, stored ^ 0xFF), False
        for s in img["segments"]:
            if s["file_offs"] + 8 <= at < s["file_offs"] + 8 + s["length"]:
                return ("OTA_ERR_IMG_CHECKSUM", "Checksum failed. Calculated 0x%x read 0x%x" % (stored ^ 0xFF, stored),
                        False)
        if img["unpadded"] <= at < ck or at >= img["checksum_end"]:
            return "OTA_ERR_IMG_HASH", "Image hash failed - image is corrupt", False
        return None

    def points(self):
        S = self.size
        rnd = random.Random(SEED)
        scale = 8 if FULL else 1

        def spread(n, lo=1, hi=None):
            hi = S - 1 if hi is None else hi
            return sorted(rnd.sample(range(lo, hi), n))

        pts = []
        # connection closed (FIN) once at `at`: resumed from exactly `at`
        edges = [1, 2, 8, 23, 24, 31, 32, 33, 100, 255, 256, 287, 288, 289, 290, 511, 512, 1023, 1024, 2048,
                 4095, 4096, 4097, 8192, 16383, 16384, 16385, 32768, 65535, 65536, 65537, 131072, S // 2,
                 S - 4096, S - 289, S - 288, S - 33, S - 32, S - 31, S - 2, S - 1]
        for at in sorted(set(edges + spread(40 * scale))):
            pts.append(Point(f"close@{at}", dict(fault="close", at=at, times=1), "ok", 2, "exact", at))
        pts.append(Point("close@0", dict(fault="close", at=0, times=1), "ok", 2, "none", 0))
        # connection reset (RST): what was in flight may be lost, resumed from <= `at`
        for at in sorted(set([1, 100, 288, 4096, 65536, S // 3, S - 1] + spread(20 * scale))):
            pts.append(Point(f"reset@{at}", dict(fault="reset", at=at, times=1), "ok", 2, "upto", at))
        # stalled (no byte for longer than the stall timeout), then resumed from `at`
        for at in sorted(set([1, 288, 4096, S // 2, S - 1] + spread(10 * scale))):
            pts.append(Point(f"stall@{at}", dict(fault="stall", at=at, times=1, hold=5), "ok", 2, "exact", at,
                             helper=HELPER_FAST))
        # body shorter than its Content-Length
        for cut in sorted(set([1, 2, 16, 31, 32, 33, 288, 1000, 4096, 65536, S - 300, S - 1] + spread(3 * scale))):
            pts.append(Point(f"short-{cut}", dict(fault="short", cut=cut, times=1), "ok", 2, "exact", S - cut))
        # chunked body (no length) closed once; weak ETag (no If-Range) closed once
        for at in sorted(set([1, 288, 70000, S - 1] + spread(2 * scale))):
            pts.append(Point(f"chunked-close@{at}", dict(fault="chunked,close", at=at, times=1), "ok", 2, "exact", at))
        for at in [5, 288, S // 2]:
            pts.append(Point(f"weak-etag-close@{at}", dict(fault="weak-etag", fault1="close,weak-etag", at=at),
                             "ok", 2, "exact", at, if_range=False))
        # a server error answering the resume is retried (503), a client error is final (404)
        for at in [100, 4096, S - 10]:
            pts.append(Point(f"close@{at}+503", dict(fault1="close", at1=at, fault2="status", status2=503),
                             "ok", 3, "exact", at))
            pts.append(Point(f"close@{at}+404", dict(fault1="close", at1=at, fault2="status", status2=404),
                             "OTA_ERR_SRC_HTTP_STATUS", 2, second_status=404, pre_erase=at < PEEK,
                             detail="404"))
        # the resource is not the same any more: never appended, the download fails
        for at in sorted(set([1, 287, 288, 4096, S // 2, S - 1] + spread(9 * scale))):
            pts.append(Point(f"ignore-range@{at}", dict(fault="close,ignore-range", at=at),
                             "OTA_ERR_SRC_RESOURCE_CHANGED", 2, second_status=200, pre_erase=at < PEEK))
        for at in sorted(set([1, 200, 4096, S - 1] + spread(6 * scale))):
            pts.append(Point(f"etag-change@{at}", dict(fault="close,etag-change", at=at),
                             "OTA_ERR_SRC_RESOURCE_CHANGED", 2, second_status=200, pre_erase=at < PEEK))
        for at in sorted(set([1, 4096, S - 1] + spread(5 * scale))):
            pts.append(Point(f"etag-change-no-if-range@{at}", dict(fault="close,etag-change,no-if-range", at=at),
                             "OTA_ERR_SRC_RESOURCE_CHANGED", 2, second_status=206, pre_erase=at < PEEK))
        for at in [10, 5000, S // 2, S - 1]:
            pts.append(Point(f"length-change@{at}", dict(fault="close,length-change,no-etag", at=at),
                             "OTA_ERR_SRC_RESOURCE_CHANGED", 2, second_status=206, pre_erase=at < PEEK))
        for at, shift in [(5000, -100), (5000, 100), (200000, -1), (200000, 1), (150, 1), (S - 1, -1)]:
            pts.append(Point(f"range-shift{shift:+d}@{at}", dict(fault1="close", at=at, fault2="range-shift",
                                                                 shift=shift),
                             "OTA_ERR_SRC_RESOURCE_CHANGED", 2, second_status=206, pre_erase=at < PEEK))
        # faults that persist over every retry
        for at in [1, 288, S // 2, S - 1]:
            pts.append(Point(f"close-always@{at}", dict(fault="close", at=at), "OTA_ERR_SRC_TRUNCATED", 4,
                             pre_erase=at < PEEK))
            pts.append(Point(f"close-always@{at}/1-retry", dict(fault="close", at=at), "OTA_ERR_SRC_TRUNCATED", 2,
                             pre_erase=at < PEEK, helper=HELPER_FAST + ["--retries", "1"]))
        for at in [1, 200, 5000, S - 1]:
            pts.append(Point(f"reset-always@{at}", dict(fault="reset", at=at), "OTA_ERR_SRC_READ", 3,
                             pre_erase=at < PEEK, helper=HELPER_FAST + ["--retries", "2"]))
        for at in [100, 100000, S - 1]:
            pts.append(Point(f"stall-always@{at}", dict(fault="stall", at=at, hold=5), "OTA_ERR_SRC_STALLED", 2,
                             pre_erase=at < PEEK, helper=HELPER_FAST + ["--retries", "1"]))
        for cut in [1, 5000]:
            pts.append(Point(f"short-always-{cut}", dict(fault="short", cut=cut), "OTA_ERR_SRC_TRUNCATED", 4))
        pts.append(Point("no-retries-close@5000", dict(fault="close", at=5000, times=1), "OTA_ERR_SRC_TRUNCATED", 1,
                         helper=HELPER_FAST + ["--retries", "-1"]))
        # flipped bytes: delivered as served, caught by the image checks (before erasing if they can)
        img = self.img
        seg_data = [s["file_offs"] + 8 + k for s in img["segments"] for k in (0, s["length"] // 2, s["length"] - 1)]
        flips = [0, 1, 12, 13, 32, 35, 36, 40, 287, 288, 4096, 65536, img["checksum_end"] - 1,
                 img["checksum_end"], img["checksum_end"] + 31, S - 1] + seg_data
        if img["unpadded"] < img["checksum_end"] - 1:
            flips.append(img["unpadded"])
        # random flips avoid the app description's text fields (0x30..0x120: version, project, time,
        # date, IDF version), which are printed; test_ota_run checks that case on its own
        flips += [a for a in spread(12 * scale, 0x120, img["unpadded"]) if self.flip_expectation(a) is not None]
        for at in sorted(set(flips)):
            exp = self.flip_expectation(at)
            self.assertIsNotNone(exp, at)
            reason, detail, before = exp
            pts.append(Point(f"flip@{at}", dict(fault="flip", at=at), reason, 1, pre_erase=before, detail=detail))
        return pts

    # --- one point ---------------------------------------------------------------------------

    def invariants(self, dev):
        """DESIGN.md §4 on the device file, independently of the C code: the problems found."""
        problems = []
        if device_slice(dev, "ota_0") != self.t_ota0:
            problems.append("the running slot ota_0 was written")
        for slot in bootable_otadata_slots(dev):
            if not app_image_verifies(device_slice(dev, slot)):
                problems.append(f"otadata names {slot} as bootable but its image does not verify")
        return problems

    def run_point(self, i, p):
        problems = []
        wdir = os.path.join(self.dir, f"pt{i}")
        os.mkdir(wdir)
        dev = os.path.join(wdir, "dev.bin")
        copy_device(self.template, dev)
        url = self.fs.url("app.bin", pt=i, **p.params)
        if p.helper is None:
            cmd = [otatest.OTA, "run", dev, "--app-uri", url, "--data-uri", "", "--json"]
        else:
            cmd = [self.helper_bin] + p.helper + [dev, url, ""]
        t0 = time.monotonic()
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            shutil.rmtree(wdir, ignore_errors=True)
            return dict(ok=False, resumed=False, problems=["timed out"], seconds=time.monotonic() - t0)
        seconds = time.monotonic() - t0
        # The log may quote bytes of a corrupt image; the JSON stream must be UTF-8 whatever comes.
        proc.stderr = proc.stderr.decode("utf-8", "backslashreplace")
        try:
            proc.stdout = proc.stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            proc.stdout = proc.stdout.decode("utf-8", "backslashreplace")
            problems.append(f"stdout is not UTF-8 ({e})")
        try:
            problems += self.check_point(p, dev, url, proc)
        except Exception:  # a crash of the checker is a violation too, with its traceback
            problems.append("checker error:\n" + traceback.format_exc())
        if problems:
            tail = "\n".join(proc.stderr.splitlines()[-15:])
            problems.append(f"command: {' '.join(cmd)}\nexit {proc.returncode}\n--- stdout ---\n{proc.stdout}"
                            f"--- stderr (tail) ---\n{tail}")
        shutil.rmtree(wdir, ignore_errors=True)
        return dict(ok=p.expect == "ok", resumed=p.expect == "ok" and p.requests > 1, problems=problems,
                    seconds=seconds)

    def check_point(self, p, dev, url, proc):
        problems = []

        def expect(cond, what):
            if not cond:
                problems.append(what)
            return cond

        evs = otatest.events(proc.stdout)
        results = [e for e in evs if e.get("event") == "result"]
        if not expect(len(results) == 1, f"{len(results)} result events"):
            return problems + self.invariants(dev)
        res = results[0]
        log = self.fs.log(url)
        expect(len(log) == p.requests, f"{len(log)} requests, expected {p.requests}: {log}")
        fin = [e for e in evs if e.get("event") == "finish"]
        if p.expect == "ok":
            expect(proc.returncode == 0, f"exit {proc.returncode}, expected 0")
            expect((res["result"], res["reason"]) == ("success", "OTA_OK"), f"result {res}")
            expect(fin and fin[0]["restart"], "no restart after a success")
            ota1 = device_slice(dev, "ota_1")
            expect(hashlib.sha256(ota1[:self.size]).digest() == hashlib.sha256(self.new).digest(),
                   "ota_1 does not hold the image byte for byte")
            expect(otadata_selected_slot(dev) == "ota_1", "otadata does not select ota_1")
            if len(log) >= 2:
                second = log[1]
                if p.resume == "none" or (p.resume == "upto" and second["range"] is None):
                    expect(second["range"] is None and second["status"] == 200, f"restart request {second}")
                else:
                    start = int(second["range"].removeprefix("bytes=").rstrip("-")) if second["range"] else -1
                    if p.resume == "exact":
                        expect(start == p.at, f"resumed from {start}, expected {p.at}")
                    else:
                        expect(0 < start <= p.at, f"resumed from {start}, expected 1..{p.at}")
                    expect(log[-1]["status"] == 206, f"resume answered {log[-1]['status']}")
                    expect(second["if_range"] == (self.etag if p.if_range else None),
                           f"If-Range {second['if_range']!r}")
                    expect(log[0]["sent"] >= start, f"resumed past what was sent: {log}")
            run(["confirm", dev], expect=0)
            boot = json.loads(run(["boot", dev, "--json"], expect=0).stdout)
            expect((boot["booted"], boot["app"]["version"]) == ("ota_1", NEW), f"booted {boot.get('booted')}")
        else:
            expect(proc.returncode == 1, f"exit {proc.returncode}, expected 1")
            expect((res["result"], res["reason"]) == ("failed", p.expect),
                   f"result {res['result']} {res['reason']}, expected failed {p.expect}")
            if p.detail:
                expect(p.detail in res.get("detail", ""), f"detail {res.get('detail')!r}, expected {p.detail!r} in it")
            if p.second_status:
                expect(len(log) >= 2 and log[1]["status"] == p.second_status, f"second response {log[1:2]}")
            expect(fin and not fin[0]["restart"] and evs[-1]["event"] == "finish", "restarted after a failure")
            expect(device_slice(dev, "otadata") == self.t_otadata, "otadata changed after a failure")
            if p.pre_erase:
                expect(device_slice(dev, "ota_1") == self.t_ota1, "ota_1 changed although refused before erasing")
            boot = json.loads(run(["boot", dev, "--json"], expect=0).stdout)
            expect((boot["booted"], boot["app"]["version"]) == ("ota_0", RUNNING), f"booted {boot.get('booted')}")
        expect(app_image_verifies(device_slice(dev, boot["booted"])), f"booted {boot['booted']} does not verify")
        return problems + self.invariants(dev)

    # --- the tests ---------------------------------------------------------------------------

    def test_invariant_checks_can_fail(self):
        # the harness must be able to see a violation: otadata naming a corrupt slot, a written ota_0
        dev = os.path.join(self.dir, "tamper.bin")
        copy_device(self.template, dev)
        self.assertEqual(self.invariants(dev), [])
        with open(dev, "r+b") as f:
            f.seek(0x10000 + 0x3000)
            b = f.read(1)
            f.seek(0x10000 + 0x3000)
            f.write(bytes([b[0] ^ 1]))
        found = self.invariants(dev)
        self.assertIn("the running slot ota_0 was written", found)
        self.assertIn("otadata names ota_0 as bootable but its image does not verify", found)
        self.assertFalse(app_image_verifies(self.new[:-1] + bytes([self.new[-1] ^ 1])))
        self.assertFalse(app_image_verifies(self.new[:self.size // 2]))
        self.assertTrue(app_image_verifies(self.new))

    def test_sweep(self):
        pts = self.points()
        self.assertGreaterEqual(len(pts), 200)
        self.assertEqual(len({p.name for p in pts}), len(pts))
        results = [None] * len(pts)
        lock = threading.Lock()
        t0 = time.monotonic()

        def work(i):
            r = self.run_point(i, pts[i])
            with lock:
                results[i] = r

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(work, range(len(pts))))
        elapsed = time.monotonic() - t0
        bad = [(pts[i], r) for i, r in enumerate(results) if r["problems"]]
        resumed = sum(1 for r in results if not r["problems"] and r["ok"])
        failed = sum(1 for r in results if not r["problems"] and not r["ok"])
        slowest = max(results, key=lambda r: r["seconds"])["seconds"]
        print(f"\nnetfault: {len(pts)} points, {resumed} resumed byte-identical, {failed} failed with the expected "
              f"reason, {len(bad)} violations ({elapsed:.1f} s, {WORKERS} workers, slowest point {slowest:.1f} s, "
              f"seed {SEED}{', full' if FULL else ''})", flush=True)
        for p, r in bad[:5]:
            print(f"--- violation at {p.name} ({p.params}):\n" + "\n".join(r["problems"]), flush=True)
        self.assertEqual([p.name for p, _ in bad], [])


if __name__ == "__main__":
    otatest.main()
