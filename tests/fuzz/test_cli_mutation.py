"""Command-line mutation run: mutated devices and state files through `ota info`, `ota boot`,
`ota set-boot` and `ota run` (issue 10, "Fuzzing, in the repo").

A realistic device is made once with the CLI itself (table, two installed apps, a tone image,
otadata with two entries, a state file with the running app). Each mutation copies it and changes
bytes where the parsers look — the partition table (its MD5 entry re-computed half of the time so
the table is loaded), both otadata entries (CRC re-computed half of the time), app headers and
descriptions, the tone header and table — or the state file's text (out-of-range and malformed
values, long lines, garbage). Then one command runs on it. Every run must end with exit status 0
or 1 — never a signal, a sanitizer report (`make check` builds `ota` with ASan + UBSan and
-fno-sanitize-recover) or a hang — and a failure names its cause on stderr as `ota: error: ...`.

The generator is seeded (OTA_MUTATION_SEED, default fixed) so a failure is reproducible: it prints
the index, and the failing device and state are kept under OTA_BUILD_DIR/cli-mutation-failures/.
OTA_MUTATIONS sets the count (`make check`: 240; `make fuzz`: FUZZ_CLI_MUTATIONS).
"""
import hashlib
import os
import random
import shutil
import struct
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import run, tempdir  # noqa: E402

COUNT = int(os.environ.get("OTA_MUTATIONS", "240"))
SEED = int(os.environ.get("OTA_MUTATION_SEED", "20261130"))
TIMEOUT = 60
# The default table of `ota flash create` (ESP-ADF's OTA example)
TABLE, OTADATA, OTA_0, OTA_1, TONE = 0x8000, 0xD000, 0x10000, 0x110000, 0x210000
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:",
                   "Segmentation fault", "Aborted")
INTERESTING32 = [0, 1, 0x7F, 0x80, 0xFF, 0x100, 0x1000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000,
                 0xFFFFFFFE, 0xFFFFFFFF, 0x400000, 0x3FFFFF, 0x8000, 0xE9, 0x50AA, 0xABCD5432]
STATE_VALUES = ["", "-1", "0", "1", "2", "65535", "65536", "4294967295", "4294967296",
                "99999999999999999999999", "0x", "0xFFFFFFFF", "0x1FFFFFFFF", "v0.0", "v3.1", "v99.99", "v1.100",
                "v655.36", "v42949673.0", "3.", ".5", "v", "esp32", "esp32c3", "esp32c6", "esp32p4", "ESP32S3",
                "bogus", "true", "yes", "off", "2", "none", "ota_0", "ota_1", "factory", "nvs", "flash_tone",
                "ota_15", "x" * 17, "x" * 600, "\u00e9", "a=b", " ota_0 ", "\t1\t", "#", "\\"]
STATE_KEYS = ["chip", "chip_revision", "efuse_secure_version", "rollback", "anti_rollback", "running", "unknown"]


def ota(args):
    """(exit status, stderr): bytes, since a mutated label may print bytes that are not UTF-8."""
    try:
        p = subprocess.run([otatest.OTA] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return "timeout", f"no exit within {TIMEOUT} s"
    return p.returncode, p.stderr.decode("utf-8", "replace")


def md5_fixup(dev):
    """Re-compute the table's MD5 entry (0xEBEB + 14 x 0xFF + MD5 of the entries before it)."""
    for off in range(0, 0xC00, 32):
        entry = dev[TABLE + off:TABLE + off + 32]
        if entry[:2] == b"\xeb\xeb":
            dev[TABLE + off + 16:TABLE + off + 32] = hashlib.md5(bytes(dev[TABLE:TABLE + off])).digest()
            return


def otadata_fixup(dev, sector):
    base = OTADATA + sector * 0x1000
    seq = struct.unpack_from("<I", dev, base)[0]
    struct.pack_into("<I", dev, base + 28, zlib.crc32(struct.pack("<I", seq)))


class Mutator:
    def __init__(self, rnd, app_len):
        self.r = rnd
        self.regions = [  # (start, length, fix-up)
            (TABLE, 0x200, "md5"), (TABLE, 0xC00, "md5"), (OTADATA, 32, "ota0"), (OTADATA + 0x1000, 32, "ota1"),
            (OTA_0, 0x140, None), (OTA_1, 0x140, None), (OTA_0 + app_len - 48, 48, None),
            (OTA_1 + 0x120, 0x100, None), (TONE, 0x200, None), (0x1000, 0x40, None),
        ]

    def device(self, dev):
        r = self.r
        start, length, fix = r.choice(self.regions)
        for _ in range(r.randint(1, 4)):
            at = start + r.randrange(length)
            op = r.randrange(5)
            if op == 0:
                dev[at] ^= 1 << r.randrange(8)
            elif op == 1:
                dev[at] = r.randrange(256)
            elif op == 2 and at + 4 <= start + length:
                struct.pack_into("<I", dev, at, r.choice(INTERESTING32))
            elif op == 3:
                n = r.randint(1, 32)
                dev[at:at + n] = bytes([r.choice([0x00, 0xFF])]) * n
            else:  # a copy of other bytes of the region (e.g. a duplicate table entry)
                src = start + r.randrange(length)
                n = min(r.choice([4, 16, 32]), start + length - max(at, src))
                if n > 0:
                    dev[at:at + n] = dev[src:src + n]
        if fix == "md5" and r.random() < 0.5:
            md5_fixup(dev)
        elif fix in ("ota0", "ota1") and r.random() < 0.5:
            otadata_fixup(dev, 0 if fix == "ota0" else 1)
        return f"device bytes at 0x{start:x}+0x{length:x}"

    def state(self, text):
        r = self.r
        lines = text.split("\n")
        for _ in range(r.randint(1, 3)):
            op = r.randrange(6)
            if op <= 2:
                lines.append(f"{r.choice(STATE_KEYS)}={r.choice(STATE_VALUES)}")
            elif op == 3 and lines:
                del lines[r.randrange(len(lines))]
            elif op == 4:
                lines.insert(r.randrange(len(lines) + 1), "".join(chr(r.randrange(1, 128)) for _ in range(r.randint(1, 40))))
            else:
                lines.append(r.choice(STATE_KEYS) + r.choice(["", " ", "==", "= "]) + r.choice(STATE_VALUES))
        return "\n".join(lines) + r.choice(["", "\n", "\r\n"])


class CliMutation(unittest.TestCase):
    def test_mutated_devices_and_state_files(self):
        with tempdir() as d:
            app0, app1, dev = (os.path.join(d, n) for n in ("app0.bin", "app1.bin", "base.bin"))
            run(["image", "make", "--version", "v1.0.0", "--project", "mut", "--size", "64K", app0], expect=0)
            run(["image", "make", "--version", "v1.0.1", "--project", "mut", "--size", "64K", "--seed", "2", app1],
                expect=0)
            for name, body in (("a.mp3", b"ID3mut"), ("b.wav", b"RIFF....WAVEfmt ")):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(body)
            tone = os.path.join(d, "tone.bin")
            env = dict(os.environ, SOURCE_DATE_EPOCH="0")
            run(["tone", "make", os.path.join(d, "a.mp3"), os.path.join(d, "b.wav"), tone], expect=0, env=env)
            run(["flash", "create", dev], expect=0)
            run(["partition", "write", dev, "ota_0", app0], expect=0)
            run(["partition", "write", dev, "flash_tone", tone], expect=0)
            run(["set-boot", dev, "ota_0"], expect=0)
            run(["boot", dev], expect=0)
            run(["run", dev, "--app-uri", "file://" + app1, "--data-uri", ""], expect=0)
            with open(dev, "rb") as f:
                base = f.read()
            with open(dev + ".state") as f:
                base_state = f.read()
            self.assertIn("running=ota_1", base_state)  # the base is the realistic state it should be

            rnd = random.Random(SEED)
            mut = Mutator(rnd, os.path.getsize(app0))
            work = os.path.join(d, "dev.bin")
            failures, exits, per_cmd = [], {}, {}
            for i in range(COUNT):
                data, state, what = bytearray(base), base_state, []
                kind = rnd.random()
                if kind < 0.7:
                    what.append(mut.device(data))
                if kind >= 0.55:
                    state = mut.state(state)
                    what.append("state file")
                with open(work, "wb") as f:
                    f.write(data)
                with open(work + ".state", "w", encoding="utf-8", errors="surrogateescape") as f:
                    f.write(state)
                cmd = ["info", "boot", "set-boot", "run"][i % 4]
                args = {"info": ["info", work] + (["--json"] if rnd.random() < 0.5 else []),
                        "boot": ["boot", work],
                        "set-boot": ["set-boot", work, rnd.choice(["ota_0", "ota_1", "factory", "nvs", "flash_tone"])],
                        "run": ["run", work, "--app-uri", "file://" + rnd.choice([app0, app1]),
                                "--data-uri", rnd.choice(["", "file://" + tone])]}[cmd]
                rc, err = ota(args)
                per_cmd[cmd] = per_cmd.get(cmd, 0) + 1
                exits[rc] = exits.get(rc, 0) + 1
                bad = [m for m in SANITIZER_MARKS if m in err]
                problem = None
                if rc not in (0, 1):
                    problem = f"exit status {rc}"
                elif bad:
                    problem = f"sanitizer report ({bad[0]})"
                elif rc == 1 and "ota: error:" not in err:
                    problem = "exit 1 without an 'ota: error:' line on stderr"
                if problem:
                    keep = os.path.join(otatest.BUILD_DIR or d, "cli-mutation-failures", str(i))
                    os.makedirs(keep, exist_ok=True)
                    shutil.copy(work, os.path.join(keep, "dev.bin"))
                    shutil.copy(work + ".state", os.path.join(keep, "dev.bin.state"))
                    failures.append(f"mutation {i} (seed {SEED}; {', '.join(what)}): ota {' '.join(args[:1] + args[2:])}"
                                    f": {problem}; kept in {keep}\n{err[-1500:]}")
            summary = (f"cli-mutation: {COUNT} mutations (seed {SEED}), commands "
                       + ", ".join(f"{k} {v}" for k, v in sorted(per_cmd.items()))
                       + "; exit status " + ", ".join(f"{k}: {v}" for k, v in sorted(exits.items(), key=str))
                       + f"; findings {len(failures)}")
            print(summary)
            self.assertEqual(failures[:5], [], summary)
            # The mutations reach both outcomes: not every input is refused, not every one passes.
            self.assertGreater(exits.get(0, 0), 0, summary)
            self.assertGreater(exits.get(1, 0), 0, summary)


if __name__ == "__main__":
    otatest.main()
