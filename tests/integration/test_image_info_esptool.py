"""Issue 19, class 8: `ota image info` prints esptool's exact words.

Every *.image_info.txt in ../shared/testdata (esp-adf, secure, bootloaders) is what esptool v4.9.1
`--chip CHIP image_info --version 2` printed for its .bin (no "Detected image type" line: the chip
was given). `ota image info --chip CHIP` must print it byte for byte (NUL padding of the app
description included), and `ota image info` without --chip what esptool prints with its default
`--chip auto` (esptool v4.9.1 esptool/cmds.py image_info: "Detected image type: {CHIP_NAME}" after
the file size, and the section titles "{args.chip.upper()} image header" with args.chip =
CHIP_NAME). An image without an appended hash has no "Validation hash" line (cmds.py prints it
under `if image.append_digest`).

Chip names: esptool v4.9.1 esptool/targets/<chip>.py CHIP_NAME and IMAGE_CHIP_ID, and the
--chip spellings of esptool/targets/__init__.py CHIP_DEFS, as read at tag v4.9.1 (below); the
chips we have no image of are checked with app_esp32c6.bin given their chip id (header bytes
12..13, the appended SHA-256 recomputed with hashlib).
"""
import glob
import hashlib
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import parse_esp_image, read_file, run, tempdir, testdata, write_file  # noqa: E402

# esptool v4.9.1 esptool/targets/*.py: IMAGE_CHIP_ID -> (CHIP_DEFS key, CHIP_NAME), the release chips
# (the beta targets esp32s3beta2 (4), esp32c6beta (7), esp32h2beta1 (10), esp32h2beta2 (14) and
# esp32c5beta3 (17) are not chips of our table).
ESPTOOL_CHIPS = {
    0: ("esp32", "ESP32"),
    2: ("esp32s2", "ESP32-S2"),
    5: ("esp32c3", "ESP32-C3"),
    9: ("esp32s3", "ESP32-S3"),
    12: ("esp32c2", "ESP32-C2"),
    13: ("esp32c6", "ESP32-C6"),
    16: ("esp32h2", "ESP32-H2"),
    18: ("esp32p4", "ESP32-P4"),
    20: ("esp32c61", "ESP32-C61"),
    23: ("esp32c5", "ESP32-C5"),
    25: ("esp32h21", "ESP32-H21"),
    28: ("esp32h4", "ESP32-H4"),
}
# ESP32-S31 (image chip id 32, ESP-IDF esp_app_format.h ESP_CHIP_ID_ESP32S31) is no target of
# esptool v4.9.1: image_info prints "Chip ID: 32 (Unknown ID)".
UNKNOWN_TO_ESPTOOL = 32

REPORTS = sorted(glob.glob(testdata("*", "*.image_info.txt")))


def esptool_text(report):
    """The report's bytes without esptool's version banner (printed by main, not image_info)."""
    return b"".join(line for line in read_file(report).splitlines(keepends=True)
                    if not line.startswith(b"esptool.py v"))


def chip_of(text):
    m = re.search(rb"^Chip ID: (\d+) \(", text, re.M)
    return ESPTOOL_CHIPS[int(m.group(1))]


def as_auto(text, key, name):
    """What esptool prints with --chip auto: the detected line, titles with CHIP_NAME."""
    out = []
    for line in text.decode("latin-1").splitlines(keepends=True):
        for what in ("image header", "extended image header", "image footer"):
            if line == f"{key.upper()} {what}\n":
                line = f"{name} {what}\n"
                out.append(line)
                break
        else:
            if out and re.fullmatch(r"=+\n", line) and out[-1].startswith(name + " "):
                line = "=" * (len(out[-1]) - 1) + "\n"
            out.append(line)
            if line.startswith("File size: "):
                out.append(f"Detected image type: {name}\n")
    return "".join(out).encode("latin-1")


def retarget(data, chip_id):
    data = bytearray(data)
    data[12:14] = chip_id.to_bytes(2, "little")
    end = parse_esp_image(bytes(data))["length"]
    data[end - 32:end] = hashlib.sha256(bytes(data[:end - 32])).digest()
    return bytes(data)


class ImageInfoEsptool(unittest.TestCase):
    def test_every_report_line_for_line_with_chip(self):
        self.assertEqual(len(REPORTS), 6, REPORTS)  # esp-adf 1, secure 2, bootloaders 3
        for report in REPORTS:
            with self.subTest(report=os.path.relpath(report, testdata("."))):
                want = esptool_text(report)
                key, _ = chip_of(want)
                got = self.info(["--chip", key], report.replace(".image_info.txt", ".bin"))
                self.assertEqual(got.splitlines(), want.splitlines())
                self.assertEqual(got, want)

    def test_every_report_line_for_line_auto(self):
        for report in REPORTS:
            with self.subTest(report=os.path.relpath(report, testdata("."))):
                esptool = esptool_text(report)
                key, name = chip_of(esptool)
                want = as_auto(esptool, key, name)
                self.assertIn(f"\n{name} image header\n".encode(), want)
                got = self.info([], report.replace(".image_info.txt", ".bin"))
                self.assertEqual(got.splitlines(), want.splitlines())

    def test_no_hash_line_without_appended_hash(self):
        # app_esp32c6.bin with hash_appended = 0 (header byte 23) and its 32 hash bytes cut:
        # esptool's report loses the "Validation hash" line and nothing else (file size aside)
        src = testdata("secure", "app_esp32c6.bin")
        data = bytearray(read_file(src))
        end = parse_esp_image(bytes(data))["length"]
        data[23] = 0
        data = bytes(data[:end - 32])
        want = esptool_text(testdata("secure", "app_esp32c6.image_info.txt"))
        want = re.sub(rb"File size: \d+", b"File size: %d" % len(data), want)
        want = re.sub(rb"Validation hash: .*\n", b"", want)
        with tempdir() as d:
            path = os.path.join(d, "nohash.bin")
            write_file(path, data)
            got = self.info(["--chip", "esp32c6"], path, expect=None)
        self.assertNotIn(b"Validation hash", got)
        self.assertEqual(got.splitlines(), want.splitlines())

    def test_chip_names_are_esptools(self):
        base = read_file(testdata("secure", "app_esp32c6.bin"))
        with tempdir() as d:
            for chip_id, (key, name) in sorted(ESPTOOL_CHIPS.items()) + [(UNKNOWN_TO_ESPTOOL, (None, None))]:
                with self.subTest(chip_id=chip_id):
                    path = os.path.join(d, f"chip{chip_id}.bin")
                    write_file(path, retarget(base, chip_id))
                    got = self.info([], path, expect=None).decode("latin-1")
                    shown = name if name is not None else "Unknown ID"
                    self.assertIn(f"\nChip ID: {chip_id} ({shown})\n", got)
                    if name is not None:
                        self.assertIn(f"\nDetected image type: {name}\n", got)
                        self.assertIn(f"\n{name} image header\n{'=' * len(name + ' image header')}\n", got)
                        got = self.info(["--chip", key], path, expect=None).decode("latin-1")
                        self.assertIn(f"\n{key.upper()} image header\n", got)

    def test_chip_option_refuses_another_chip(self):
        proc = run(["image", "info", "--chip", "esp32s2", testdata("secure", "app_esp32c6.bin")], expect=1)
        self.assertIn("the image is for ESP32-C6 (chip id 13), not esp32s2", proc.stderr)
        run(["image", "info", "--chip", "esp8266", testdata("secure", "app_esp32c6.bin")], expect=2)

    def info(self, opts, path, expect=0):
        """stdout as bytes: esptool printed the description fields' NUL padding."""
        proc = subprocess.run([otatest.OTA, "image", "info"] + opts + [path], capture_output=True, timeout=120)
        if expect is not None:
            self.assertEqual(proc.returncode, expect, proc.stderr.decode("latin-1"))
        return proc.stdout


if __name__ == "__main__":
    otatest.main()
