"""`ota run` (issue 5's "Done when") end to end: ESP-ADF's OTA example list on an emulated ESP32,
against real servers on 127.0.0.1 (python3 -m http.server as in the ESP-ADF README, nginx over
HTTPS with a CA made here, and the fault server where a request count is needed).

Every expected value comes from the files this test made (hashlib over the images it built with
`ota image make`, the tone images in ../shared/testdata read in place), from the partition table
documented by `ota flash create --help`, from ESP-IDF's otadata format decoded in otatest.py, or
from the ESP-ADF README's log lines (reference/esp-adf-ota-service.md) — never from the output of
the run under test.
"""
import hashlib
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import (copy_device, device_slice, events, make_app, parse_esp_image, read_file,  # noqa: E402
                     read_otadata, read_partition, run, run_json, testdata)

OTA_0, OTA_1, TONE = 0x10000, 0x110000, 0x210000
SLOT = 0x100000
PENDING_VERIFY, VALID = 1, 2

PROJECT = "play_mp3_control"
RUNNING = "v2.2-252-g62edbd26"          # the ESP-ADF README's running firmware
NEW = "v2.2-260-g1f0e2d3c"              # same tag, more commits: newer
# The README's board ran ESP-IDF v4.2.2-1-g379ca2123: the example's images are of that era, so the
# log is that version's (cpu_start, "Writing to partition subtype 17 ..."; ota_idf_console.h).
README_IDF = "v4.2.2-1-g379ca2123"
OLDER = "v2.2-237-g2a1c4e8d"            # the README's incoming one: older
TONE_FMT0 = testdata("esp-adf", "flash_tone_fmt0.bin")
TONE_FMT1 = testdata("esp-adf", "tone_fmt1_mixer.bin")
EXAMPLE_DATA_URI = "file://sdcard/flash_tone.bin"


def sha(data):
    return hashlib.sha256(data).hexdigest()


def flip(data, offset, mask=0x01):
    b = bytearray(data)
    b[offset] ^= mask
    return bytes(b)


def ordered(test, text, needles):
    """Assert the @needles appear in @text in this order; returns their positions."""
    pos, found = 0, []
    for n in needles:
        i = text.find(n, pos)
        test.assertNotEqual(i, -1, f"{n!r} missing (or out of order) after position {pos} in:\n{text}")
        found.append(i)
        pos = i + len(n)
    return found


def by_event(evs, name, **match):
    return [e for e in evs if e.get("event") == name and all(e.get(k) == v for k, v in match.items())]


class Fixture:
    """Images, the sdcard, a www root, template devices: made once for the module."""

    def __init__(self, d):
        self.dir = d
        self.www = os.path.join(d, "www")
        self.sdcard = os.path.join(d, "sdcard")
        os.makedirs(self.www)
        os.makedirs(os.path.join(self.sdcard, "tones"))
        w = lambda n: os.path.join(self.www, n)  # noqa: E731
        self.running = make_app(os.path.join(d, "running.bin"), RUNNING, size="300K", seed=1, idf=README_IDF)
        self.new = make_app(w("play_mp3_control.bin"), NEW, size="400K", seed=2, idf=README_IDF)
        self.older = make_app(w("older.bin"), OLDER, size="350K", seed=3)
        self.same = make_app(w("same.bin"), RUNNING, size="320K", seed=4)   # same version, other bytes
        self.filler = make_app(os.path.join(d, "filler.bin"), "v1.0.0", project="filler", size="200K", seed=9)
        self.big = make_app(w("big.bin"), "v2.3.0", size="1100K", seed=5)
        img = parse_esp_image(self.new)
        seg = img["segments"][2]
        self.corrupt = {
            # (file, reason, detail or None)
            "segment": (flip(self.new, seg["file_offs"] + 8 + 1000), "OTA_ERR_IMG_CHECKSUM",
                        "Checksum failed. Calculated 0x%x read 0x%x" % (img["checksum_stored"] ^ 0x01,
                                                                        img["checksum_stored"])),
            "checksum": (flip(self.new, img["checksum_end"] - 1), "OTA_ERR_IMG_CHECKSUM",
                         "Checksum failed. Calculated 0x%x read 0x%x" % (img["checksum_stored"],
                                                                         img["checksum_stored"] ^ 0x01)),
            "hash": (flip(self.new, img["checksum_end"] + 7), "OTA_ERR_IMG_HASH", None),
        }
        for name, (data, _, _) in self.corrupt.items():
            with open(w(f"corrupt_{name}.bin"), "wb") as f:
                f.write(data)
        self.tone0 = read_file(TONE_FMT0)
        self.tone1 = read_file(TONE_FMT1)
        shutil.copyfile(TONE_FMT0, os.path.join(self.sdcard, "flash_tone.bin"))
        shutil.copyfile(TONE_FMT1, os.path.join(self.sdcard, "tones", "mixer.bin"))
        shutil.copyfile(TONE_FMT1, w("mixer.bin"))
        # a fresh device: the example's table, the running app in ota_0, never booted
        self.fresh = os.path.join(d, "fresh.bin")
        run(["flash", "create", self.fresh], expect=0)
        run(["partition", "write", self.fresh, "ota_0", os.path.join(d, "running.bin")], expect=0)
        # the same, booted once (otadata[0] = ota_0 VALID, running ota_0), ota_1 holding an
        # unrelated app that otadata does not name: "nothing erased" can be seen
        self.booted = os.path.join(d, "booted.bin")
        copy_device(self.fresh, self.booted)
        run(["partition", "write", self.booted, "ota_1", os.path.join(d, "filler.bin")], expect=0)
        run(["boot", self.booted], expect=0)


FIX = None
HTTP = None


def setUpModule():
    global FIX, HTTP
    FIX, HTTP = otatest.module_fixture(Fixture)


class RunCase(otatest.DeviceCopyCase):
    """Each test works on its own copies of the template devices."""

    def device(self, template="booted", ota_1=None, tone=None):
        path = self.copy_device(FIX.fresh if template == "fresh" else FIX.booted)
        for label, data in (("ota_1", ota_1), ("flash_tone", tone)):
            if data is not None:
                src = os.path.join(self.dir, f"{label}{self.n}.img")
                with open(src, "wb") as f:
                    f.write(data)
                run(["partition", "write", path, label, src], expect=0)
        return path

    def ota_run(self, dev, *args, expect, json=False, sdcard=None, **kw):
        argv = ["run", dev, "--sdcard", sdcard or FIX.sdcard] + list(args) + (["--json"] if json else [])
        return run(argv, expect=expect, **kw)

    def part(self, dev, label):
        self.n += 1
        return read_partition(dev, label, os.path.join(self.dir, f"read{self.n}.{label}"))

    def assert_partition_holds(self, dev, label, data):
        """The partition (read with `ota partition read`) is @data then erased flash (0xFF)."""
        got = self.part(dev, label)
        self.assertEqual(len(got), SLOT)
        self.assertEqual(sha(got[:len(data)]), sha(data), f"{label} does not hold the expected image")
        self.assertEqual(got[len(data):], b"\xff" * (SLOT - len(data)), f"{label}: bytes after the image")

    def assert_boots(self, dev, label, version, confirm=False):
        """`ota boot` (after `ota confirm` when the app is PENDING_VERIFY) boots @label."""
        if confirm:
            run(["confirm", dev], expect=0)
        doc = run_json(["boot", dev])
        self.assertEqual((doc["booted"], doc["offset"]), (label, {"ota_0": OTA_0, "ota_1": OTA_1}[label]))
        self.assertEqual(doc["app"]["version"], version)
        return doc

    def assert_nothing_changed(self, before, dev):
        self.assertEqual(sha(read_file(dev)), sha(before), "the device's flash changed")

    def result(self, evs, item_id):
        res = by_event(evs, "result", id=item_id)
        self.assertEqual(len(res), 1, evs)
        return res[0]


class ExampleList(RunCase):
    """The ESP-ADF example list succeeding, read like the README."""

    def test_example_list_over_http_server(self):
        dev = self.device("fresh")
        proc = self.ota_run(dev, "--app-uri", HTTP.url("play_mp3_control.bin"), expect=0)
        out = proc.stdout
        ordered(self, out, [
            "boot: Loaded app from partition at offset 0x10000",        # power on: the running app
            f"cpu_start: App version:      {RUNNING}",
            "HTTPS_OTA_EXAMPLE: [2.0] Create OTA service",
            "HTTPS_OTA_EXAMPLE: [2.1] Set upgrade list",
            "HTTPS_OTA_EXAMPLE: [2.2] Start OTA service",
            "OTA_DEFAULT: data upgrade uri file://sdcard/flash_tone.bin",
            "HTTPS_OTA_EXAMPLE: format 0 : 0",
            "OTA_DEFAULT: write_offset 0, size 8",
            "OTA_DEFAULT: partition flash_tone upgrade successes",
            "HTTPS_OTA_EXAMPLE: List id: 0, OTA success",
            "esp_https_ota: Starting OTA...",                            # the README's order: begin,
            "esp_https_ota: Writing to partition subtype 17 at offset 0x110000",
            f"OTA_DEFAULT: Running firmware version: {RUNNING}, the incoming firmware version {NEW}",  # then need_upgrade
            f"OTA_DEFAULT: Image bytes read: {len(FIX.new)}",
            "esp_https_ota: Connection closed",
            "esp_image: segment 0: paddr=0x00110020 vaddr=0x3f400020",  # esp_ota_end's verify
            "esp_image: segment 0: paddr=0x00110020 vaddr=0x3f400020",  # esp_ota_set_boot_partition's
            "HTTPS_OTA_EXAMPLE: List id: 1, OTA success",
            "OTA_SERVICE: OTA_END!",
            "OTA_SERVICE: restart!",
            "boot: ESP-IDF v4.2.2-1-g379ca2123 2nd stage bootloader",   # the restart's boot log
            "boot: compile time ",
            "boot: chip revision: 3",
            "esp_image: segment 0: paddr=0x00110020 vaddr=0x3f400020",
            "boot: Loaded app from partition at offset 0x110000",
            f"cpu_start: Project name:     {PROJECT}",
            f"cpu_start: App version:      {NEW}",
        ])
        self.assertRegex(out, r"(?m)^I \(\d+\) HTTPS_OTA_EXAMPLE: List id: 1, OTA success$")
        # ESP-IDF v4.2.2's lines, as in the README: INFO "Connection closed" (DEBUG from v4.4), segments
        # with "0x" (none from v4.3), no "app_init" (v5.3) and no "<ota_1>" (v5.4)
        self.assertRegex(out, r"(?m)^I \(\d+\) esp_https_ota: Connection closed$")
        self.assertNotIn("app_init", out)
        self.assertNotIn("efuse_init", out)
        self.assertNotIn("Writing to <", out)
        self.assertNotIn("Chip rev:", out)
        self.assertRegex(out, r"(?m)^W \(\d+\) OTA_SERVICE: OTA_END!$")
        self.assertRegex(out, r"(?m)^W \(\d+\) OTA_SERVICE: restart!$")
        # as on the device, nothing of the old app prints after esp_restart()
        self.assertNotIn("[2.3] Finish OTA service", out)
        self.assertEqual(proc.stderr, "")

        self.assert_partition_holds(dev, "ota_1", FIX.new)
        self.assert_partition_holds(dev, "flash_tone", FIX.tone0)
        self.assert_partition_holds(dev, "ota_0", FIX.running)   # the running slot is never written
        e = read_otadata(dev)
        self.assertEqual((e[1]["seq"], e[1]["crc_ok"]), (2, True))   # seq 2 -> slot (2-1) % 2 = ota_1
        self.assertEqual(e[1]["state"], PENDING_VERIFY)              # rollback on: the new app must confirm
        self.assertEqual((e[0]["seq"], e[0]["state"]), (1, VALID))
        info = run_json(["info", dev])
        self.assertEqual(info["running"], "ota_1")
        apps = {a["label"]: a for a in info["apps"]}
        self.assertTrue(apps["ota_1"]["valid"])
        self.assertEqual(apps["ota_1"]["app_desc"]["version"], NEW)
        self.assertEqual(apps["ota_1"]["app_desc"]["elf_sha256"], parse_esp_image(FIX.new)["app_desc"]["elf_sha256"])
        # the new app confirms itself; from then on every reset boots it
        run(["confirm", dev], expect=0)
        out = run(["boot", dev], expect=0).stdout
        self.assertIn("boot: Loaded app from partition at offset 0x110000", out)
        self.assertIn(f"App version:      {NEW}", out)
        self.assert_boots(dev, "ota_1", NEW)

    def test_json_event_stream(self):
        dev = self.device("fresh")
        app_url = HTTP.url("play_mp3_control.bin")
        proc = self.ota_run(dev, "--app-uri", app_url, expect=0, json=True)
        evs = events(proc.stdout)
        self.assertNotRegex(proc.stdout, r"(?m)^[IWE] \(")       # the log went to stderr
        self.assertIn("OTA_SERVICE: OTA_END!", proc.stderr)
        names = [e["event"] for e in evs if e["event"] != "progress"]
        self.assertEqual(names, ["boot", "item_begin", "result", "item_begin", "version_check", "result",
                                 "finish", "boot"])
        self.assertEqual({k: evs[0][k] for k in ("ok", "partition", "offset", "version")},
                         {"ok": True, "partition": "ota_0", "offset": OTA_0, "version": RUNNING})
        begin = by_event(evs, "item_begin")
        self.assertEqual([(b["id"], b["type"], b["uri"]) for b in begin],
                         [(0, "data", EXAMPLE_DATA_URI), (1, "app", app_url)])
        self.assertEqual(begin[0]["label"], "flash_tone")
        vc = by_event(evs, "version_check")[0]
        self.assertEqual((vc["id"], vc["running"], vc["incoming"], vc["enforced"], vc["decision"]),
                         (1, RUNNING, NEW, False, "upgrade"))
        for item_id, size in ((0, len(FIX.tone0)), (1, len(FIX.new))):
            prog = by_event(evs, "progress", id=item_id)
            self.assertGreaterEqual(len(prog), 1)
            counts = [p["bytes"] for p in prog]
            self.assertEqual(counts, sorted(counts))
            self.assertEqual({p["total"] for p in prog}, {size})
            self.assertEqual(counts[-1], size)
            res = self.result(evs, item_id)
            self.assertEqual((res["result"], res["reason"], res["code"]), ("success", "OTA_OK", 0))
            # events of an item lie between its item_begin and its result
            first = evs.index(begin[item_id])
            self.assertTrue(all(first < evs.index(p) < evs.index(res) for p in prog))
        fin = by_event(evs, "finish")[0]
        self.assertEqual({k: fin[k] for k in ("succeeded", "skipped", "failed", "not_run", "restart")},
                         {"succeeded": 2, "skipped": 0, "failed": 0, "not_run": 0, "restart": True})
        last = evs[-1]
        self.assertEqual({k: last[k] for k in ("ok", "partition", "offset", "fell_back", "project", "version")},
                         {"ok": True, "partition": "ota_1", "offset": OTA_1, "fell_back": False,
                          "project": PROJECT, "version": NEW})
        self.assert_partition_holds(dev, "ota_1", FIX.new)
        self.assert_partition_holds(dev, "flash_tone", FIX.tone0)

    def test_already_running_device_and_second_update(self):
        # a booted device: no power-on boot event; then the new app (PENDING_VERIFY) confirms
        # itself at the next run and the next update goes back to ota_0
        dev = self.device("booted")
        evs = events(self.ota_run(dev, "--app-uri", HTTP.url("play_mp3_control.bin"), "--data-uri", "",
                                  expect=0, json=True).stdout)
        self.assertEqual([e["event"] for e in evs if e["event"] != "progress"],
                         ["item_begin", "version_check", "result", "finish", "boot"])
        self.assertEqual((evs[-1]["partition"], evs[-1]["version"]), ("ota_1", NEW))
        proc = self.ota_run(dev, "--app-uri", HTTP.url("older.bin"), "--data-uri", "", expect=0, json=True)
        self.assertIn("ota_1 passed its self-test", proc.stderr)
        evs = events(proc.stdout)
        self.assertEqual((evs[-1]["event"], evs[-1]["partition"], evs[-1]["offset"], evs[-1]["version"]),
                         ("boot", "ota_0", OTA_0, OLDER))
        self.assert_partition_holds(dev, "ota_0", FIX.older)
        self.assert_partition_holds(dev, "ota_1", FIX.new)
        e = read_otadata(dev)
        self.assertEqual([(x["seq"], x["state"]) for x in e], [(3, PENDING_VERIFY), (2, VALID)])

    def test_https_nginx_with_cacert(self):
        pki = otatest.make_test_pki(os.path.join(self.dir, "pki"))
        with otatest.NginxServer(FIX.www, pki, os.path.join(self.dir, "nginx")) as nginx:
            url = nginx.url("https", "play_mp3_control.bin")
            dev = self.device()
            proc = self.ota_run(dev, "--app-uri", url, "--cacert", pki.ca, expect=0, json=True)
            evs = events(proc.stdout)
            self.assertEqual(self.result(evs, 1)["result"], "success")
            self.assertEqual((evs[-1]["event"], evs[-1]["partition"], evs[-1]["version"]), ("boot", "ota_1", NEW))
            self.assert_partition_holds(dev, "ota_1", FIX.new)
            self.assert_partition_holds(dev, "flash_tone", FIX.tone0)
            self.assert_boots(dev, "ota_1", NEW, confirm=True)

            # without the CA the server is not trusted: the app item fails, nothing switches
            dev = self.device()
            otadata = device_slice(dev, "otadata")
            proc = self.ota_run(dev, "--app-uri", url, "--data-uri", "", expect=1, json=True)
            res = self.result(events(proc.stdout), 0)
            self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_SRC_TLS_VERIFY"))
            self.assertEqual(device_slice(dev, "otadata"), otadata)
            self.assert_partition_holds(dev, "ota_1", FIX.filler)
            self.assert_boots(dev, "ota_0", RUNNING)

    def test_default_sdcard_is_dot_sdcard(self):
        # the example's layout: run from the directory that holds sdcard/flash_tone.bin
        dev = self.device()
        work = os.path.join(self.dir, "cwd")
        os.makedirs(os.path.join(work, "sdcard"))
        shutil.copyfile(TONE_FMT1, os.path.join(work, "sdcard", "flash_tone.bin"))
        run(["run", dev, "--app-uri", HTTP.url("play_mp3_control.bin")], expect=0, cwd=work)
        self.assert_partition_holds(dev, "flash_tone", FIX.tone1)
        self.assert_partition_holds(dev, "ota_1", FIX.new)


class VersionCheck(RunCase):
    """CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER: older and same apps are skipped, not installed."""

    def assert_skipped(self, dev, before, proc, incoming):
        evs = events(proc.stdout)
        vc = by_event(evs, "version_check")
        self.assertEqual(len(vc), 1)
        self.assertEqual((vc[0]["running"], vc[0]["incoming"], vc[0]["enforced"], vc[0]["decision"]),
                         (RUNNING, incoming, True, "skip"))
        res = self.result(evs, 0)
        self.assertEqual((res["result"], res["reason"]), ("skipped", "OTA_ERR_VERSION_NOT_NEWER"))
        fin = by_event(evs, "finish")[0]
        self.assertEqual((fin["skipped"], fin["failed"], fin["restart"]), (1, 0, False))
        self.assertEqual(evs[-1]["event"], "finish")               # no restart, no boot
        self.assertNotIn("progress", [e["event"] for e in evs])     # nothing downloaded past the header
        self.assertIn(f"Running firmware version: {RUNNING}, the incoming firmware version {incoming}", proc.stderr)
        self.assertIn("List id: 0, OTA skipped", proc.stderr)
        self.assertIn("OTA_END!", proc.stderr)
        self.assertNotIn("restart!", proc.stderr)
        self.assert_nothing_changed(before, dev)                    # nothing erased, otadata as it was
        self.assert_boots(dev, "ota_0", RUNNING)

    def test_older_and_same_are_skipped(self):
        for name, version in (("older.bin", OLDER), ("same.bin", RUNNING)):
            with self.subTest(name=name):
                dev = self.device()
                before = read_file(dev)
                proc = self.ota_run(dev, "--app-uri", HTTP.url(name), "--data-uri", "", "--force-version-check",
                                    expect=0, json=True)
                self.assert_skipped(dev, before, proc, version)

    def test_config_file_turns_the_check_on(self):
        dev = self.device()
        before = read_file(dev)
        cfg = os.path.join(self.dir, "sdkconfig")
        with open(cfg, "w") as f:
            f.write(f'CONFIG_FIRMWARE_UPGRADE_URI="{HTTP.url("older.bin")}"\n'
                    'CONFIG_DATA_UPGRADE_URI=""\n'
                    "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER=y\n")
        proc = self.ota_run(dev, "--config", cfg, expect=0, json=True)
        self.assert_skipped(dev, before, proc, OLDER)

    def test_newer_is_installed_with_the_check(self):
        dev = self.device()
        evs = events(self.ota_run(dev, "--app-uri", HTTP.url("play_mp3_control.bin"), "--data-uri", "",
                                  "--force-version-check", expect=0, json=True).stdout)
        vc = by_event(evs, "version_check")[0]
        self.assertEqual((vc["enforced"], vc["decision"]), (True, "upgrade"))
        self.assertEqual(self.result(evs, 0)["result"], "success")
        self.assert_partition_holds(dev, "ota_1", FIX.new)

    def test_without_the_check_an_older_app_is_installed(self):
        # ESP-ADF's default (and its README log: v2.2-237 over v2.2-252)
        dev = self.device()
        evs = events(self.ota_run(dev, "--app-uri", HTTP.url("older.bin"), "--data-uri", "", expect=0,
                                  json=True).stdout)
        vc = by_event(evs, "version_check")[0]
        self.assertEqual((vc["enforced"], vc["decision"]), (False, "upgrade"))
        self.assertEqual((evs[-1]["event"], evs[-1]["partition"], evs[-1]["version"]), ("boot", "ota_1", OLDER))
        self.assert_partition_holds(dev, "ota_1", FIX.older)


class ToneVersion(RunCase):
    """The example's own need_upgrade for the tone partition: a format-1 image replaces an installed
    format-1 image only when its version is newer (ESP-ADF's vA.B.C rule)."""

    def test_format1_version_rule(self):
        files = os.path.join(self.dir, "files")
        run(["tone", "info", TONE_FMT1, "--extract", files], expect=0)
        sd = os.path.join(self.dir, "sd-versions")
        os.mkdir(sd)
        env = otatest.no_proxy_env(SOURCE_DATE_EPOCH="1767225600")
        tones = {}
        for v in ("v1.0.0", "v1.1.0", "v1.2.0"):
            out = os.path.join(sd, f"{v}.bin")
            run(["tone", "make", "--format", "1", "--version", v, files, out], expect=0, env=env)
            tones[v] = read_file(out)
        dev = self.device(tone=tones["v1.1.0"])
        for v in ("v1.0.0", "v1.1.0"):
            with self.subTest(incoming=v):
                before = read_file(dev)
                proc = self.ota_run(dev, "--app-uri", "", "--data-uri", f"file://sdcard/{v}.bin", expect=0,
                                    json=True, sdcard=sd)
                res = self.result(events(proc.stdout), 0)
                self.assertEqual((res["result"], res["reason"]), ("skipped", "OTA_ERR_VERSION_NOT_NEWER"))
                self.assertIn(f"current version v1.1.0, incoming version {v}", proc.stderr)
                self.assert_nothing_changed(before, dev)
        proc = self.ota_run(dev, "--app-uri", "", "--data-uri", "file://sdcard/v1.2.0.bin", expect=0, json=True,
                            sdcard=sd)
        self.assertEqual(self.result(events(proc.stdout), 0)["result"], "success")
        self.assert_partition_holds(dev, "flash_tone", tones["v1.2.0"])


class Failures(RunCase):
    """Every failure leaves the device booting its old app, and says why."""

    def assert_not_switched(self, dev, otadata, proc):
        self.assertEqual(device_slice(dev, "otadata"), otadata, "otadata changed")
        self.assertNotIn("restart!", proc.stdout + proc.stderr)
        self.assert_partition_holds(dev, "ota_0", FIX.running)
        info = run_json(["info", dev])
        self.assertEqual(info["next_boot"]["label"], "ota_0")
        self.assert_boots(dev, "ota_0", RUNNING)

    def test_corrupt_app_over_http(self):
        for kind, (data, reason, detail) in FIX.corrupt.items():
            with self.subTest(kind=kind):
                dev = self.device()
                otadata = device_slice(dev, "otadata")
                proc = self.ota_run(dev, "--app-uri", HTTP.url(f"corrupt_{kind}.bin"), expect=1, json=True)
                evs = events(proc.stdout)
                self.assertEqual(self.result(evs, 0)["result"], "success")     # the tone item
                res = self.result(evs, 1)
                self.assertEqual((res["result"], res["reason"]), ("failed", reason))
                if detail:
                    self.assertEqual(res["detail"], detail)
                fin = by_event(evs, "finish")[0]
                self.assertEqual((fin["succeeded"], fin["failed"], fin["restart"]), (1, 1, False))
                self.assertEqual(evs[-1]["event"], "finish")
                self.assertIn("List id: 1, OTA failed", proc.stderr)
                self.assertIn("ota: error: 1 of 2 items failed", proc.stderr)
                self.assert_not_switched(dev, otadata, proc)
                info = run_json(["info", dev])
                self.assertFalse({a["label"]: a for a in info["apps"]}["ota_1"]["valid"])
                self.assert_partition_holds(dev, "flash_tone", FIX.tone0)

    def test_404(self):
        dev = self.device()
        otadata = device_slice(dev, "otadata")
        url = HTTP.url("no-such-firmware.bin")
        proc = self.ota_run(dev, "--app-uri", url, expect=1, json=True)
        evs = events(proc.stdout)
        self.assertEqual(self.result(evs, 0)["result"], "success")
        res = self.result(evs, 1)
        self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_SRC_HTTP_STATUS"))
        self.assertIn("404", proc.stderr)
        self.assert_partition_holds(dev, "ota_1", FIX.filler)
        self.assert_not_switched(dev, otadata, proc)

    def test_404_result_carries_the_status(self):
        # ota_service.h: RESULT has http_status, "last HTTP status of the item's source", and
        # detail "HTTP 404 from http://..."; `ota run --json` prints http_status when non-zero.
        dev = self.device()
        proc = self.ota_run(dev, "--app-uri", HTTP.url("no-such-firmware.bin"), "--data-uri", "", expect=1,
                            json=True)
        res = self.result(events(proc.stdout), 0)
        self.assertEqual(res.get("http_status"), 404, res)
        self.assertIn("404", res["detail"])

    def test_json_stays_utf8_when_the_image_carries_other_bytes(self):
        # A byte of the app description's version string corrupted in transit (0x80 set): the
        # version is printed in the version_check event; the stream must stay UTF-8 JSON (RFC 8259).
        at = 0x20 + 0x10 + 9                                    # version[9], inside segment 0
        path = os.path.join(FIX.www, "corrupt_version.bin")
        with open(path, "wb") as f:
            f.write(flip(FIX.new, at, 0x80))
        dev = self.device()
        proc = subprocess.run([otatest.OTA, "run", dev, "--app-uri", HTTP.url("corrupt_version.bin"), "--data-uri",
                               "", "--json"], capture_output=True, timeout=120)
        self.assertEqual(proc.returncode, 1, proc.stderr.decode("utf-8", "replace"))
        try:
            text = proc.stdout.decode("utf-8")
        except UnicodeDecodeError as e:
            self.fail(f"`ota run --json` wrote invalid UTF-8 ({e}): {proc.stdout!r}")
        evs = events(text)
        self.assertTrue(by_event(evs, "version_check")[0]["incoming"].startswith(NEW[:9]))
        self.assertEqual(self.result(evs, 0)["reason"], "OTA_ERR_IMG_CHECKSUM")

    def test_missing_sdcard_file_break_after_fail_off(self):
        empty = os.path.join(self.dir, "empty-sdcard")
        os.mkdir(empty)
        with otatest.FaultServer(FIX.www) as fs:
            url = fs.url("play_mp3_control.bin", case="off")
            dev = self.device(tone=FIX.tone1)
            proc = self.ota_run(dev, "--app-uri", url, expect=1, json=True, sdcard=empty)
            evs = events(proc.stdout)
            res = self.result(evs, 0)
            self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_SRC_FILE_NOT_FOUND"))
            self.assertEqual(self.result(evs, 1)["result"], "success")      # the app item still runs
            fin = by_event(evs, "finish")[0]
            self.assertEqual((fin["succeeded"], fin["failed"], fin["not_run"], fin["restart"]), (1, 1, 0, True))
            self.assertEqual((evs[-1]["event"], evs[-1]["partition"], evs[-1]["version"]), ("boot", "ota_1", NEW))
            self.assertEqual(fs.requests(url), 1)
            self.assert_partition_holds(dev, "ota_1", FIX.new)
            self.assert_partition_holds(dev, "flash_tone", FIX.tone1)      # untouched

    def test_missing_sdcard_file_break_after_fail_on(self):
        empty = os.path.join(self.dir, "empty-sdcard")
        os.mkdir(empty)
        with otatest.FaultServer(FIX.www) as fs:
            url = fs.url("play_mp3_control.bin", case="on")
            dev = self.device(tone=FIX.tone1)
            before = read_file(dev)
            proc = self.ota_run(dev, "--app-uri", url, "--break-after-fail", expect=1, json=True, sdcard=empty)
            evs = events(proc.stdout)
            self.assertEqual(self.result(evs, 0)["reason"], "OTA_ERR_SRC_FILE_NOT_FOUND")
            self.assertEqual([b["id"] for b in by_event(evs, "item_begin")], [0])   # item 1 never begins
            fin = by_event(evs, "finish")[0]
            self.assertEqual((fin["succeeded"], fin["failed"], fin["not_run"], fin["restart"]), (0, 1, 1, False))
            self.assertIn("break the update list", proc.stderr)
            self.assertEqual(fs.requests(url), 0)                          # the app was never fetched
            self.assert_nothing_changed(before, dev)
            self.assert_boots(dev, "ota_0", RUNNING)

    def test_tone_with_a_bad_tag(self):
        for offset in (0, 1):
            with self.subTest(offset=offset):
                sd = os.path.join(self.dir, f"sd-badtag{offset}")
                os.mkdir(sd)
                with open(os.path.join(sd, "flash_tone.bin"), "wb") as f:
                    f.write(flip(FIX.tone0, offset, 0x10))
                dev = self.device(tone=FIX.tone1)                            # a valid tone image now
                proc = self.ota_run(dev, "--app-uri", HTTP.url("play_mp3_control.bin"), expect=1, json=True,
                                    sdcard=sd)
                evs = events(proc.stdout)
                res = self.result(evs, 0)
                self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_TONE_BAD_TAG"))
                self.assertIn("not audio tone bin", proc.stderr)
                self.assertEqual(self.result(evs, 1)["result"], "success")  # break_after_fail off
                self.assert_partition_holds(dev, "flash_tone", FIX.tone1)   # unchanged, byte for byte

    def test_app_larger_than_the_slot_is_refused_before_erasing(self):
        dev = self.device()
        before = read_file(dev)
        proc = self.ota_run(dev, "--app-uri", HTTP.url("big.bin"), "--data-uri", "", expect=1, json=True)
        evs = events(proc.stdout)
        res = self.result(evs, 0)
        self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_IMG_TOO_LARGE"))
        self.assertIn(f"image of {len(FIX.big)} bytes larger than partition ota_1 ({SLOT} bytes)", res["detail"])
        self.assertNotIn("progress", [e["event"] for e in evs])
        self.assert_nothing_changed(before, dev)                           # ota_1 (filler) not erased
        self.assert_partition_holds(dev, "ota_1", FIX.filler)
        self.assert_boots(dev, "ota_0", RUNNING)

    def test_app_larger_than_the_slot_without_content_length(self):
        # chunked: the size is known only when a segment header says so; refused then, and the
        # boot partition is never switched (ota_1 may hold the interrupted install)
        with otatest.FaultServer(FIX.www) as fs:
            dev = self.device()
            otadata = device_slice(dev, "otadata")
            proc = self.ota_run(dev, "--app-uri", fs.url("big.bin", fault="chunked"), "--data-uri", "", expect=1,
                                json=True)
            res = self.result(events(proc.stdout), 0)
            self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_IMG_TOO_LARGE"))
            self.assert_not_switched(dev, otadata, proc)


class Config(RunCase):
    """The example's sdkconfig keys; flags override them."""

    def write_cfg(self, text):
        path = os.path.join(self.dir, "sdkconfig")
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_sdkconfig_file(self):
        app_url = HTTP.url("play_mp3_control.bin")
        cfg = self.write_cfg(
            "#\n# Automatically generated file. DO NOT EDIT.\n#\n"
            "# OTA App Configuration\n"
            'CONFIG_WIFI_SSID="myssid"\n'
            'CONFIG_WIFI_PASSWORD="pa#ss \\"word\\""\n'
            f'CONFIG_FIRMWARE_UPGRADE_URI="{app_url}"\n'
            "CONFIG_DATA_UPGRADE_URI=\"file://sdcard/tones/mixer.bin\"\n"
            'CONFIG_DATA_PARTITION_LABEL="flash_tone"\n'
            "# CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER is not set\n"
            "CONFIG_ESP_TLS_INSECURE=y\n")
        dev = self.device()
        proc = self.ota_run(dev, "--config", cfg, expect=0, json=True)
        evs = events(proc.stdout)
        self.assertEqual([(b["id"], b["type"], b["uri"]) for b in by_event(evs, "item_begin")],
                         [(0, "data", "file://sdcard/tones/mixer.bin"), (1, "app", app_url)])
        self.assertFalse(by_event(evs, "version_check")[0]["enforced"])
        self.assertNotIn("myssid", proc.stdout + proc.stderr)
        self.assert_partition_holds(dev, "flash_tone", FIX.tone1)
        self.assert_partition_holds(dev, "ota_1", FIX.new)

    def test_flags_override_the_file(self):
        cfg = self.write_cfg(f'CONFIG_FIRMWARE_UPGRADE_URI="{HTTP.url("no-such.bin")}"\n'
                             'CONFIG_DATA_UPGRADE_URI="file://sdcard/no-such.bin"\n'
                             'CONFIG_DATA_PARTITION_LABEL="nope"\n')
        dev = self.device()
        evs = events(self.ota_run(dev, "--config", cfg, "--app-uri", HTTP.url("play_mp3_control.bin"),
                                  "--data-uri", "file://sdcard/tones/mixer.bin", "--data-label", "flash_tone",
                                  expect=0, json=True).stdout)
        self.assertEqual([self.result(evs, i)["result"] for i in (0, 1)], ["success", "success"])
        self.assert_partition_holds(dev, "flash_tone", FIX.tone1)
        self.assert_partition_holds(dev, "ota_1", FIX.new)

    def test_empty_data_uri_gives_an_app_only_list(self):
        cfg = self.write_cfg(f'CONFIG_FIRMWARE_UPGRADE_URI="{HTTP.url("play_mp3_control.bin")}"\n'
                             'CONFIG_DATA_UPGRADE_URI="file://sdcard/flash_tone.bin"\n')
        dev = self.device(tone=FIX.tone1)
        proc = self.ota_run(dev, "--config", cfg, "--data-uri", "", expect=0, json=True)
        evs = events(proc.stdout)
        self.assertEqual([(b["id"], b["type"]) for b in by_event(evs, "item_begin")], [(0, "app")])
        self.assertEqual(by_event(evs, "finish")[0]["succeeded"], 1)
        self.assertIn("List id: 0, OTA success", proc.stderr)
        self.assert_partition_holds(dev, "flash_tone", FIX.tone1)     # untouched
        self.assert_partition_holds(dev, "ota_1", FIX.new)

    def test_empty_app_uri_gives_a_data_only_list(self):
        dev = self.device()
        proc = self.ota_run(dev, "--app-uri", "", "--data-uri", "file://sdcard/tones/mixer.bin", expect=0,
                            json=True)
        evs = events(proc.stdout)
        self.assertEqual([(b["id"], b["type"]) for b in by_event(evs, "item_begin")], [(0, "data")])
        self.assertFalse(by_event(evs, "finish")[0]["restart"])       # only the app item reboots
        self.assert_partition_holds(dev, "flash_tone", FIX.tone1)
        self.assert_partition_holds(dev, "ota_1", FIX.filler)

    def test_unknown_data_label(self):
        dev = self.device()
        cfg = self.write_cfg('CONFIG_DATA_PARTITION_LABEL="nope"\n')
        evs = events(self.ota_run(dev, "--config", cfg, "--app-uri", "", expect=1, json=True).stdout)
        res = self.result(evs, 0)
        self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_NOT_FOUND"))
        self.assertIn("nope", res["detail"])

    def test_config_errors_are_usage_errors(self):
        dev = self.device()
        before = read_file(dev)
        cfg = self.write_cfg('# ok\nCONFIG_FIRMWARE_UPGRADE_URI="http://127.0.0.1:1/x.bin\n')
        proc = self.ota_run(dev, "--config", cfg, expect=2)
        self.assertRegex(proc.stderr, r"ota: error: .*sdkconfig:2:")
        proc = self.ota_run(dev, "--config", os.path.join(self.dir, "missing"), "--app-uri", "x", expect=2)
        self.assertIn("ota: error:", proc.stderr)
        self.assert_nothing_changed(before, dev)


class Usage(RunCase):
    def test_help(self):
        proc = run(["run", "--help"], expect=0)
        self.assertTrue(proc.stdout.startswith("Usage: ota run DEVICE.bin"))
        for opt in ("--config", "--app-uri", "--data-uri", "--data-label", "--sdcard", "--force-version-check",
                    "--cacert", "--break-after-fail", "--json"):
            self.assertIn(opt, proc.stdout)
        self.assertEqual(proc.stderr, "")

    def test_usage_errors(self):
        dev = self.device()
        before = read_file(dev)
        for args in ([], ["--app-uri", "x"], [dev], [dev, dev, "--app-uri", "x"], [dev, "--bogus", "--app-uri", "x"],
                     [dev, "--app-uri"]):
            with self.subTest(args=args):
                proc = run(["run"] + args, expect=2)
                self.assertIn("ota: error:", proc.stderr)
                self.assertEqual(proc.stdout, "")
        self.assertIn("no firmware URI", run(["run", dev], expect=2).stderr)
        self.assert_nothing_changed(before, dev)

    def test_missing_device_fails(self):
        proc = run(["run", os.path.join(self.dir, "none.bin"), "--app-uri", "x"], expect=1)
        self.assertIn("ota: error:", proc.stderr)
        self.assertIn("none.bin", proc.stderr)


if __name__ == "__main__":
    otatest.main()
