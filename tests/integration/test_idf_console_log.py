"""The boot and update log is that of the ESP-IDF recorded in the images (issue 19, class 9).

`ota boot` prints the second-stage bootloader's lines in the bootloader's ESP-IDF (its
esp_bootloader_desc_t from v5.2, the strings of an older bootloader image, else the app flashed
with it) and the app's startup block in the app's own idf_ver; `ota run` prints esp_https_ota's and
esp_image's lines in the running app's (the updating firmware's) idf_ver. Every expected line is an
ESP-IDF format string at the tag named, filled in by hand:

- app block: components/esp32/cpu_start.c (v3.3..v4.2.x), components/esp_system/startup.c
  (v4.3..v5.2.x), tag cpu_start; components/esp_app_format/esp_app_desc.c init_show_app_info (v5.3+),
  tag app_init; chip revision lines: startup.c (v5.0.1..v5.2.x, tag cpu_start),
  components/efuse/src/esp_efuse_startup.c (v5.3+, tag efuse_init)
- bootloader: components/bootloader_support/src/bootloader_init.c ("ESP-IDF %s 2nd stage
  bootloader", "compile time " __TIME__ until v5.0.x, __DATE__ " " __TIME__ v5.1, the description's
  date_time from v5.2; "chip revision: %d" v4.1..v4.4.3, "v%d.%d" from v5.0)
- esp_image: components/bootloader_support/src/esp_image_format.c process_segment ("0x" until v4.2.x)
- esp_https_ota: components/esp_https_ota/src/esp_https_ota.c ("Writing to partition subtype %d at
  offset 0x%x" until v5.3.x, "Writing to <%s> partition at offset 0x%x" from v5.4; "Connection
  closed" at INFO v4.0.1..v4.3.x, DEBUG from v4.4)
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import make_app, parse_esp_image, read_file, run, testdata  # noqa: E402

V4 = "v4.2.2-1-g379ca2123"      # the ESP-ADF example README's board
V52 = "v5.2.3"
V53 = "v5.3.1"
V55 = "v5.5.4"
DU1906 = testdata("esp-adf", "du1906_app.bin")                  # idf_ver v3.3.1-276-g606dd2b62-dirty
RELEASE_122 = testdata("delta", "releases", "du1906_v1.2.2.bin")  # v3.3.1-203-g0c1859a5a-dirty
BOOTLOADERS = testdata("bootloaders")
OTA_0, OTA_1 = 0x10000, 0x110000
CHIP_REV = "v3.0"               # `ota flash create`'s ESP32: revision v3.0 (ECO3)


def lines(text):
    """The log's messages as "L TAG: message" (the uptime dropped)."""
    return [re.sub(r"^([EWIDV]) \(\d+\) ", r"\1 ", ln) for ln in text.splitlines() if re.match(r"^[EWIDV] \(", ln)]


def rev(full):
    return "v%d.%d" % (full // 100, full % 100)


def app_block(tag, app, idf, chip_tag=None):
    """An app's startup block as ESP-IDF prints it (the order is the same in every version)."""
    d = app["app_desc"]
    out = [f"I {tag}: Application information:",
           f"I {tag}: Project name:     {d['project_name']}",
           f"I {tag}: App version:      {d['version']}",
           # `ota flash create`'s device has anti-rollback on: CONFIG_BOOTLOADER_APP_SECURE_VERSION
           f"I {tag}: Secure version:   {d['secure_version']}"]
    if d["date"] or d["time"]:
        out.append(f"I {tag}: Compile time:     {d['date']} {d['time']}")
    out += [f"I {tag}: ELF file SHA256:  {d['elf_sha256'][:16]}...",
            f"I {tag}: ESP-IDF:          {idf}"]
    if chip_tag:
        out += [f"I {chip_tag}: Min chip rev:     {rev(app['min_rev_full'])}",
                f"I {chip_tag}: Max chip rev:     {rev(app['max_rev_full'])} ",
                f"I {chip_tag}: Chip rev:         {CHIP_REV}"]
    return out


class Case(unittest.TestCase):
    def setUp(self):
        self._tmp = otatest.tempdir()
        self.dir = self._tmp.__enter__()
        self.n = 0

    def tearDown(self):
        self._tmp.__exit__(None, None, None)

    def path(self, name):
        return os.path.join(self.dir, name)

    def app(self, idf, version="v1.0", seed=1):
        self.n += 1
        return make_app(self.path(f"app{self.n}.bin"), version, project="idf_era", size="200K", seed=seed,
                        idf=idf)

    def device(self, ota_0, bootloader=None):
        dev = self.path(f"dev{self.n}.bin")
        # the bootloaders in testdata say 2MB: the example table needs 4MB
        run(["flash", "create", dev] + (["--bootloader", bootloader, "--size", "4MB"] if bootloader else []), expect=0)
        src = self.path(f"ota0_{self.n}.bin")
        with open(src, "wb") as f:
            f.write(ota_0)
        run(["partition", "write", dev, "ota_0", src], expect=0)
        return dev

    def assert_block(self, log, expected, absent=()):
        """@expected appear as consecutive lines of @log; nothing of @absent appears."""
        got = lines(log)
        first = [i for i, ln in enumerate(got) if ln == expected[0]]
        self.assertTrue(first, f"{expected[0]!r} missing in:\n{log}")
        self.assertEqual(got[first[0]:first[0] + len(expected)], expected, log)
        for a in absent:
            self.assertNotIn(a, log)


class BootLog(Case):
    """`ota boot`: the bootloader's lines and the app's block of each era."""

    def boot(self, image, bootloader=None):
        return run(["boot", self.device(image, bootloader)], expect=0).stdout

    def test_v4_2_readme_era(self):
        img = self.app(V4)
        app = parse_esp_image(img)
        out = self.boot(img)
        # no bootloader image in this flash: the bootloader is the app's build (v4.2.2), whose header
        # (DIO, 40m, 4MB) it shares; the README's board log, line for line (its compile time aside)
        self.assert_block(out, [f"I boot: ESP-IDF {V4} 2nd stage bootloader",
                                f"I boot: compile time {app['app_desc']['time']}",
                                "I boot: chip revision: 3",
                                "I boot_comm: chip revision: 3, min. bootloader chip revision: 0",
                                "I boot.esp32: SPI Speed      : 40MHz",
                                "I boot.esp32: SPI Mode       : DIO",
                                "I boot.esp32: SPI Flash Size : 4MB",
                                "I boot: Enabling RNG early entropy source...",
                                "I boot: Partition Table:"])
        got = lines(out)
        i = got.index("I boot_comm: chip revision: 3, min. application chip revision: 0")
        self.assertTrue(got[i + 1].startswith("I esp_image: segment 0: "), got)
        self.assert_block(out, ["I boot: Loaded app from partition at offset 0x10000",
                                "I boot: Set actual ota_seq=1 in otadata[0]",
                                "I boot: Disabling RNG early entropy source...",
                                "I cpu_start: Application information:"])
        self.assertIn("I esp_image: segment 0: paddr=0x00010020 vaddr=0x3f400020 size=0x", "\n".join(lines(out)))
        self.assert_block(out, app_block("cpu_start", app, V4),
                          absent=["app_init", "efuse_init", "Chip rev:", "chip revision: v", "paddr=000"])

    def test_v5_2_cpu_start_with_revision_lines(self):
        img = self.app(V52)
        app = parse_esp_image(img)
        out = self.boot(img)
        d = app["app_desc"]
        self.assert_block(out, [f"I boot: ESP-IDF {V52} 2nd stage bootloader",
                                f"I boot: compile time {d['date']} {d['time']}",
                                "I boot: Multicore bootloader",
                                f"I boot: chip revision: {CHIP_REV}"], absent=["boot_comm"])
        self.assertIn("I esp_image: segment 0: paddr=00010020 vaddr=3f400020 size=", "\n".join(lines(out)))
        self.assert_block(out, app_block("cpu_start", app, V52, chip_tag="cpu_start"),
                          absent=["app_init", "efuse_init", "paddr=0x"])

    def test_v5_3_and_later_app_init(self):
        for idf in (V53, V55):
            with self.subTest(idf=idf):
                img = self.app(idf)
                out = self.boot(img)
                d = parse_esp_image(img)["app_desc"]
                # "Multicore bootloader" from v5.1, no boot_comm line from v5.0.1
                self.assert_block(out, [f"I boot: ESP-IDF {idf} 2nd stage bootloader",
                                        f"I boot: compile time {d['date']} {d['time']}",
                                        "I boot: Multicore bootloader",
                                        f"I boot: chip revision: {CHIP_REV}",
                                        "I boot.esp32: SPI Speed      : 40MHz",
                                        "I boot.esp32: SPI Mode       : DIO",
                                        "I boot.esp32: SPI Flash Size : 4MB",
                                        "I boot: Enabling RNG early entropy source..."], absent=["boot_comm"])
                self.assert_block(out, app_block("app_init", parse_esp_image(img), idf, chip_tag="efuse_init"),
                                  absent=["cpu_start", "paddr=0x"])

    def test_real_du1906_v3_3(self):
        """du1906_app.bin (ESP-ADF korvo_du1906, ESP-IDF v3.3.1): cpu_start, no Compile time line (its
        description has no date or time: CONFIG_APP_COMPILE_TIME_DATE off), no revision lines."""
        app = parse_esp_image(read_file(DU1906))
        idf = app["app_desc"]["idf_ver"]
        self.assertEqual(idf, "v3.3.1-276-g606dd2b62-dirty")
        dev = self.path("du.bin")
        run(["flash", "create", "--table", testdata("esp-adf", "du1906_partitions.csv"), "--size", "16MB", dev],
            expect=0)
        run(["partition", "write", dev, "ota_0", DU1906], expect=0)
        out = run(["boot", dev], expect=0).stdout
        self.assert_block(out, app_block("cpu_start", app, idf),
                          absent=["app_init", "efuse_init", "Chip rev:", "Compile time:", "chip revision:"])
        self.assertIn(f"I boot: ESP-IDF {idf} 2nd stage bootloader", lines(out))
        self.assertRegex(out, r"(?m)^I \(\d+\) esp_image: segment 0: paddr=0x[0-9a-f]{8} vaddr=0x")

    def test_bootloader_description_v5_2(self):
        """bootloader_esp32_v5_2.bin's esp_bootloader_desc_t (v5.2-dev-254-g1950b15, Apr 25 2023
        00:13:32: bootloader_esp32_v5_2.image_info.txt) names the bootloader's lines, whatever the app's."""
        img = self.app(V4)
        out = self.boot(img, os.path.join(BOOTLOADERS, "bootloader_esp32_v5_2.bin"))
        # its own strings hold "Multicore bootloader" and no boot_comm revision note
        blob = read_file(os.path.join(BOOTLOADERS, "bootloader_esp32_v5_2.bin"))
        self.assertIn(b"%s: Multicore bootloader", blob)
        self.assertNotIn(b"min. %s chip revision", blob)
        # the header of bootloader_esp32_v5_2.bin: DOUT, 40m, 2MB (bootloader_esp32_v5_2.image_info.txt)
        self.assert_block(out, ["I boot: ESP-IDF v5.2-dev-254-g1950b15 2nd stage bootloader",
                                "I boot: compile time Apr 25 2023 00:13:32",
                                "I boot: Multicore bootloader",
                                f"I boot: chip revision: {CHIP_REV}",
                                "I boot.esp32: SPI Speed      : 40MHz",
                                "I boot.esp32: SPI Mode       : DOUT",
                                "I boot.esp32: SPI Flash Size : 2MB",
                                "I boot: Enabling RNG early entropy source..."], absent=["boot_comm"])
        self.assertIn("I esp_image: segment 0: paddr=00010020 vaddr=3f400020", "\n".join(lines(out)))
        # the app is still v4.2.2's
        self.assert_block(out, app_block("cpu_start", parse_esp_image(img), V4), absent=["app_init"])

    def test_bootloader_without_description(self):
        """bootloader_esp32c3.bin (ESP-IDF v4.3-dev, no description) holds IDF_VER and "compile time
        17:46:22"; its own format strings say "chip revision: %d" and "paddr=0x%08x"."""
        blob = read_file(os.path.join(BOOTLOADERS, "bootloader_esp32c3.bin"))
        for s in (b"\x00v4.3-dev-334-g16e95d0-dirty\x00", b"compile time 17:46:22", b"chip revision: %d\x1b",
                  b"paddr=0x%08x vaddr=0x%08x size=0x%05x (%6d) %s"):
            self.assertIn(s, blob)
        img = self.path("c3.bin")
        run(["image", "make", "--chip", "esp32c3", "--project", "idf_era", "--version", "v1.0", "--size", "200K",
             "--idf-version", V55, img], expect=0)
        dev = self.path("c3dev.bin")
        run(["flash", "create", "--bootloader", os.path.join(BOOTLOADERS, "bootloader_esp32c3.bin"), "--size", "4MB",
             dev], expect=0)
        run(["partition", "write", dev, "ota_0", img], expect=0)
        out = run(["boot", dev], expect=0).stdout
        self.assert_block(out, ["I boot: ESP-IDF v4.3-dev-334-g16e95d0-dirty 2nd stage bootloader",
                                "I boot: compile time 17:46:22",
                                "I boot: chip revision: 0"])
        self.assertRegex(out, r"(?m)^I \(\d+\) esp_image: segment 0: paddr=0x00010020 vaddr=0x")
        self.assertIn("I app_init: ESP-IDF:          " + V55, lines(out))


class UpdateLog(Case):
    """`ota run`: esp_https_ota's and esp_image's lines in the running app's ESP-IDF, then the new app's
    block in its own."""

    def run_update(self, running_idf, incoming_idf):
        running = self.app(running_idf, version="v1.0", seed=1)
        dev = self.device(running)
        run(["boot", dev], expect=0)
        www = self.path(f"www{self.n}")
        os.makedirs(www)
        new = make_app(os.path.join(www, "new.bin"), "v2.0", project="idf_era", size="300K", seed=2,
                       idf=incoming_idf)
        with otatest.HttpServer(www) as http:
            out = run(["run", dev, "--app-uri", http.url("new.bin"), "--data-uri", ""], expect=0).stdout
        head, sep, after = out.partition("OTA_SERVICE: restart!")
        self.assertTrue(sep, out)
        return head, after, parse_esp_image(new)

    def test_running_v4_2_incoming_v5_5(self):
        head, after, new = self.run_update(V4, V55)
        got = lines(head)
        self.assertIn("I esp_https_ota: Writing to partition subtype 17 at offset 0x110000", got)
        self.assertIn("I esp_https_ota: Connection closed", got)
        # esp_ota_end and esp_ota_set_boot_partition each verify: the segments twice, never "load"
        seg0 = [ln for ln in got if ln.startswith("I esp_image: segment 0: ")]
        self.assertEqual(len(seg0), 2, head)
        self.assertTrue(seg0[0].startswith("I esp_image: segment 0: paddr=0x00110020 vaddr=0x3f400020 size=0x"), seg0)
        self.assertNotIn(" load", "\n".join(ln for ln in got if "esp_image" in ln))
        self.assertNotIn("Writing to <", head)
        self.assertNotIn("boot_comm", head)     # v4.2: the note is the bootloader's only
        # after the restart the new app prints v5.5.4's block
        self.assert_block(after, app_block("app_init", new, V55, chip_tag="efuse_init"), absent=["cpu_start"])

    def test_running_v5_3_incoming_v4_2(self):
        head, after, new = self.run_update(V53, V4)
        got = lines(head)
        self.assertIn("I esp_https_ota: Writing to partition subtype 17 at offset 0x110000", got)
        self.assertNotIn("Connection closed", head)     # DEBUG from v4.4
        self.assertTrue([ln for ln in got if ln.startswith("I esp_image: segment 0: paddr=00110020 vaddr=3f400020")])
        self.assert_block(after, app_block("cpu_start", new, V4), absent=["app_init", "efuse_init"])

    def test_running_v5_5_label_wording(self):
        head, after, new = self.run_update(V55, V55)
        got = lines(head)
        self.assertIn("I esp_https_ota: Writing to <ota_1> partition at offset 0x110000", got)
        self.assertNotIn("Writing to partition subtype", head)
        self.assertNotIn("Connection closed", head)
        self.assert_block(after, app_block("app_init", new, V55, chip_tag="efuse_init"))

    def test_file_uri_is_esp_adf_esp_fs_ota(self):
        """A file:// app goes through ESP-ADF's own esp_fs_ota (components/ota_service/esp_fs_ota.c, the
        same wording from 5d6d1d8f, 2020, to today), not esp_https_ota: its lines whatever the ESP-IDF."""
        running = self.app(V55, version="v1.0", seed=1)
        dev = self.device(running)
        run(["boot", dev], expect=0)
        sd = self.path("sdcard")
        os.makedirs(sd)
        make_app(os.path.join(sd, "new.bin"), "v2.0", project="idf_era", size="300K", seed=2, idf=V55)
        out = run(["run", dev, "--app-uri", "file://sdcard/new.bin", "--data-uri", "", "--sdcard", sd],
                  expect=0).stdout
        head = out.partition("OTA_SERVICE: restart!")[0]
        self.assert_block(head, ["I esp_fs_ota: Starting OTA...",
                                 "I esp_fs_ota: Writing to partition subtype 17 at offset 0x110000"])
        self.assertNotIn("esp_https_ota", head)
        self.assertNotIn("Connection closed", head)

    def test_real_release_v3_3_running(self):
        """The real du1906 v1.2.2 release (ESP-IDF v3.3.1-203) running: v3.3.1's esp_https_ota says
        "Connection closed, all data received" (v3.3.2 dropped the tail)."""
        app = parse_esp_image(read_file(RELEASE_122))
        self.assertEqual(app["app_desc"]["idf_ver"], "v3.3.1-203-g0c1859a5a-dirty")
        dev = self.path("rel.bin")
        run(["flash", "create", "--table", testdata("esp-adf", "du1906_partitions.csv"), "--size", "16MB", dev],
            expect=0)
        run(["partition", "write", dev, "ota_0", RELEASE_122], expect=0)
        run(["boot", dev], expect=0)
        www = self.path("www_rel")
        os.makedirs(www)
        make_app(os.path.join(www, "new.bin"), "v2.0", project="korvo_du1906", size="300K", seed=2, idf=V55)
        with otatest.HttpServer(www) as http:
            out = run(["run", dev, "--app-uri", http.url("new.bin"), "--data-uri", ""], expect=0).stdout
        got = lines(out.partition("OTA_SERVICE: restart!")[0])
        self.assertIn("I esp_https_ota: Connection closed, all data received", got)
        # v3.3.1..v4.0.x apps print bootloader_common_check_chip_validity's note in their own
        # esp_image_verify (no #ifdef BOOTLOADER_BUILD until v4.1): before each of the two segment lists
        notes = [i for i, ln in enumerate(got) if ln == "I boot_comm: chip revision: 3, min. application chip revision: 0"]
        self.assertEqual(len(notes), 2, got)
        for i in notes:
            self.assertTrue(got[i + 1].startswith("I esp_image: segment 0: paddr=0x002c0020 "), got)
        self.assertTrue([ln for ln in got if re.match(r"I esp_https_ota: Writing to partition subtype 1[0-9] at", ln)],
                        got)


if __name__ == "__main__":
    otatest.main()
