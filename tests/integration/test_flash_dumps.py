"""Real flash dumps (issue 10): a flash read back with `esptool read_flash 0 ALL` or made with
`esptool merge_bin` starts with the second-stage bootloader (0x1000 on ESP32, 0x0 on ESP32-C3).
With NO state file, the chip and flash size come from that bootloader's header and the table from
the standard offset; `ota info` shows the bootloader; `ota boot` boots the app and `ota run`
updates it. `ota flash create --chip/--bootloader` make such a device from scratch.

The merged images are built here, byte by byte, as merge_bin lays them out (gaps 0xFF): Espressif's
bootloaders from ../shared/testdata/bootloaders (read in place), a table made by
`ota partition convert` and checked with otatest.decode_partition_table (struct + hashlib), and apps from `ota image make --chip`.
The bootloader facts expected from `ota info` are read from esptool's own reports
(*.image_info.txt), never from the code under test.
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import (HttpServer, decode_partition_table, read_file, read_otadata, run, run_json,  # noqa: E402
                     tempdir, testdata)

BOOTLOADERS = {  # file -> (chip, offset of the bootloader in flash: reference / bootloaders README)
    "bootloader_esp32.bin": ("esp32", 0x1000),
    "bootloader_esp32_v5_2.bin": ("esp32", 0x1000),
    "bootloader_esp32c3.bin": ("esp32c3", 0x0),
}
FLASH_2MB = 0x200000
# A two-slot table that fits the 2 MB flash these bootloaders' headers name.
CSV = """# Name,   Type, SubType, Offset,   Size, Flags
nvs,      data, nvs,     0x9000,   0x4000,
otadata,  data, ota,     0xd000,   0x2000,
phy_init, data, phy,     0xf000,   0x1000,
ota_0,    app,  ota_0,   0x10000,  0xF0000,
ota_1,    app,  ota_1,   0x100000, 0xF0000,
"""
OTA_0, OTA_1, OTADATA = 0x10000, 0x100000, 0xD000


def image_info(name):
    """The facts esptool v4.9.1's image_info printed for a bootloader (its .image_info.txt)."""
    # esptool printed the description's strings with their NUL padding
    text = read_file(testdata("bootloaders", name.replace(".bin", ".image_info.txt"))).decode("latin-1")
    text = text.replace("\0", "")
    field = lambda key: re.search(rf"^{key}: (.*?)\s*$", text, re.M)  # noqa: E731
    facts = dict(chip_id=int(field("Chip ID").group(1).split()[0]), flash_size=field("Flash size").group(1),
                 flash_mode=field("Flash mode").group(1), flash_freq=field("Flash freq").group(1),
                 entry=int(field("Entry point").group(1), 16))
    idf = field("ESP-IDF")
    facts["idf_ver"] = idf.group(1) if idf else None
    if idf:
        facts["date_time"] = field("Compile time").group(1)
        facts["version"] = int(field("Bootloader version").group(1))
    return facts


def merge(parts, fill_to=None):
    """esptool merge_bin: each (offset, bytes) in place, gaps 0xFF; --fill-flash-size pads the end."""
    end = max(off + len(data) for off, data in parts)
    out = bytearray(b"\xff" * (fill_to or end))
    for off, data in parts:
        out[off:off + len(data)] = data
    return bytes(out)


class Fixture:
    def __init__(self, d):
        self.dir = d
        csv = os.path.join(d, "table.csv")
        with open(csv, "w") as f:
            f.write(CSV)
        self.table_bin = os.path.join(d, "table.bin")
        run(["partition", "convert", csv, self.table_bin], expect=0)
        self.table = read_file(self.table_bin)
        entries, md5_ok = decode_partition_table(self.table)
        assert md5_ok and entries["ota_0"] == (OTA_0, 0xF0000) and entries["otadata"] == (OTADATA, 0x2000), entries
        self.www = os.path.join(d, "www")
        os.makedirs(self.www)
        self.apps = {}
        for chip in ("esp32", "esp32c3"):
            old = os.path.join(d, f"{chip}_v1.bin")
            new = os.path.join(self.www, f"{chip}_v2.bin")
            for path, version, seed in ((old, "v1.0.0", 1), (new, "v2.0.0", 2)):
                run(["image", "make", "--chip", chip, "--version", version, "--project", "dump", "--size", "150K",
                     "--seed", seed, path], expect=0)
            self.apps[chip] = (read_file(old), read_file(new))

    def device(self, name, bootloader, fill=True):
        """A merged image: bootloader + table at 0x8000 + the v1 app at ota_0; no state file."""
        chip, offset = BOOTLOADERS[bootloader]
        bl = read_file(testdata("bootloaders", bootloader))
        data = merge([(offset, bl), (0x8000, self.table), (OTA_0, self.apps[chip][0])],
                     fill_to=FLASH_2MB if fill else None)
        path = os.path.join(self.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        assert not os.path.exists(path + ".state")
        return path


FIX = None


def setUpModule():
    global FIX, _TMP
    _TMP = tempdir()
    FIX = Fixture(_TMP.__enter__())


def tearDownModule():
    _TMP.__exit__(None, None, None)


class Info(unittest.TestCase):
    def test_info_shows_the_bootloader_as_esptool_does(self):
        for name, (chip, offset) in BOOTLOADERS.items():
            with self.subTest(bootloader=name):
                dev = FIX.device("info_" + name, name)
                before = read_file(dev)
                want = image_info(name)
                info = run_json(["info", dev])
                bl = info["bootloader"]
                self.assertEqual(info["chip"], chip)            # from the bootloader, no state file
                self.assertEqual(bl["chip"], chip)
                self.assertEqual(bl["chip_id"], want["chip_id"])
                self.assertEqual(bl["offset"], offset)
                self.assertEqual(bl["flash_size"], int(want["flash_size"].rstrip("MB")) << 20)
                self.assertEqual(bl["flash_mode"], want["flash_mode"])
                self.assertEqual(bl["flash_freq"], want["flash_freq"])
                self.assertEqual(bl["entry"], want["entry"])
                self.assertEqual(bl["idf_ver"], want["idf_ver"])
                if want["idf_ver"]:
                    self.assertEqual(bl["date_time"], want["date_time"])
                    self.assertEqual(bl["version"], want["version"])
                self.assertEqual(info["table_offset"], 0x8000)
                text = run(["info", dev], expect=0).stdout
                self.assertIn(f"Bootloader: {'ESP32-C3' if chip == 'esp32c3' else 'ESP32'} image at {hex(offset)}",
                              text)
                if want["idf_ver"]:
                    self.assertIn(want["idf_ver"], text)
                self.assertEqual(read_file(dev), before)              # info changes nothing
                self.assertFalse(os.path.exists(dev + ".state"))

    def test_merge_bin_output_shorter_than_the_flash(self):
        dev = FIX.device("short_c3.bin", "bootloader_esp32c3.bin", fill=False)
        size = os.path.getsize(dev)
        self.assertLess(size, FLASH_2MB)
        info = run_json(["info", dev])
        self.assertEqual(info["chip"], "esp32c3")
        self.assertEqual(info["flash_size"], FLASH_2MB)
        self.assertEqual(os.path.getsize(dev), size)                  # read-only: file untouched
        back = otatest.read_partition(dev, "ota_0", os.path.join(FIX.dir, "short_ota_0.bin"))
        old = FIX.apps["esp32c3"][0]
        self.assertEqual(back, old + b"\xff" * (0xF0000 - len(old)))   # the tail reads erased
        self.assertEqual(os.path.getsize(dev), size)
        run(["partition", "write", dev, "ota_1", os.path.join(FIX.www, "esp32c3_v2.bin")], expect=0)
        self.assertEqual(os.path.getsize(dev), FLASH_2MB)             # a write makes it a whole flash
        self.assertEqual(read_file(dev)[OTA_1:OTA_1 + len(FIX.apps["esp32c3"][1])], FIX.apps["esp32c3"][1])


class BootAndRun(unittest.TestCase):
    def boot_and_update(self, dev, chip):
        old, new = FIX.apps[chip]
        boot = run_json(["boot", dev])
        self.assertIsNone(boot["error"])
        self.assertEqual(boot["booted"], "ota_0")
        self.assertEqual(boot["app"]["version"], "v1.0.0")
        with HttpServer(FIX.www) as http:
            run(["run", dev, "--app-uri", http.url(f"{chip}_v2.bin"), "--data-uri", ""], expect=0)
        flash = read_file(dev)
        self.assertEqual(len(flash), FLASH_2MB)
        self.assertEqual(flash[OTA_1:OTA_1 + len(new)], new)
        od = read_otadata(dev, OTADATA)
        best = max((e for e in od if e["crc_ok"] and e["seq"] != 0xFFFFFFFF), key=lambda e: e["seq"])
        self.assertEqual((best["seq"] - 1) % 2, 1)                     # otadata selects ota_1
        self.assertEqual(run_json(["info", dev])["running"], "ota_1")  # the restart booted it
        run(["confirm", dev], expect=0)
        boot = run_json(["boot", dev])                                  # and so does the next boot
        self.assertEqual(boot["booted"], "ota_1")
        self.assertEqual(boot["app"]["version"], "v2.0.0")
        state = read_file(dev + ".state").decode()
        self.assertIn(f"chip={chip}\n", state)

    def test_esp32c3_merged_image_boots_and_updates_without_state(self):
        self.boot_and_update(FIX.device("c3.bin", "bootloader_esp32c3.bin"), "esp32c3")

    def test_esp32c3_merge_bin_output_boots_and_updates(self):
        self.boot_and_update(FIX.device("c3_short.bin", "bootloader_esp32c3.bin", fill=False), "esp32c3")

    def test_esp32_dump_boots_and_updates_without_state(self):
        self.boot_and_update(FIX.device("e32.bin", "bootloader_esp32_v5_2.bin"), "esp32")

    def test_an_esp32_app_does_not_boot_on_the_esp32c3_dump(self):
        dev = FIX.device("c3_wrong.bin", "bootloader_esp32c3.bin")
        wrong = os.path.join(FIX.dir, "wrong.bin")
        with open(wrong, "wb") as f:
            f.write(FIX.apps["esp32"][0])
        run(["partition", "write", dev, "ota_0", wrong], expect=0)
        boot = run_json(["boot", dev], expect=1)
        self.assertIsNotNone(boot["error"])


class FlashCreate(unittest.TestCase):
    def test_bootloader_placed_at_the_chips_offset(self):
        for name, (chip, offset) in BOOTLOADERS.items():
            with self.subTest(bootloader=name):
                dev = os.path.join(FIX.dir, "create_" + name)
                csv = os.path.join(FIX.dir, "table.csv")
                run(["flash", "create", "--bootloader", testdata("bootloaders", name), "--table", csv, dev], expect=0)
                flash = read_file(dev)
                bl = read_file(testdata("bootloaders", name))
                self.assertEqual(len(flash), FLASH_2MB)               # the header's flash size
                self.assertEqual(flash[offset:offset + len(bl)], bl)
                self.assertEqual(flash[0x8000:0x8000 + len(FIX.table)], FIX.table)
                os.remove(dev + ".state")                             # the flash alone says it all
                info = run_json(["info", dev])
                self.assertEqual((info["chip"], info["bootloader"]["offset"]), (chip, offset))

    def test_chip_without_bootloader(self):
        dev = os.path.join(FIX.dir, "chip_only.bin")
        csv = os.path.join(FIX.dir, "table.csv")
        run(["flash", "create", "--chip", "esp32c3", "--size", "2MB", "--table", csv, dev], expect=0)
        self.assertIn("chip=esp32c3\n", read_file(dev + ".state").decode())
        self.assertIsNone(run_json(["info", dev])["bootloader"])
        app = os.path.join(FIX.dir, "esp32c3_v1.bin")
        run(["partition", "write", dev, "ota_0", app], expect=0)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")

    def test_refusals(self):
        dev = os.path.join(FIX.dir, "refused.bin")
        c3 = testdata("bootloaders", "bootloader_esp32c3.bin")
        proc = run(["flash", "create", "--chip", "esp32", "--bootloader", c3, dev], expect=1)
        self.assertIn("ESP32-C3", proc.stderr)
        proc = run(["flash", "create", "--bootloader", FIX.table_bin, dev], expect=1)
        self.assertIn("not a second-stage bootloader", proc.stderr)
        proc = run(["flash", "create", "--chip", "esp8266", dev], expect=2)
        self.assertIn("esp8266", proc.stderr)
        # ESP32-C3's bootloader at 0x0 is 17,744 bytes: a table at 0x4000 would overwrite it
        proc = run(["flash", "create", "--bootloader", c3, "--offset", "0x4000", dev], expect=1)
        self.assertIn("reaches the partition table", proc.stderr)


if __name__ == "__main__":
    otatest.main()
