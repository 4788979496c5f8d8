"""The option and operand handling every `ota` command shares (docs/CONVENTIONS.md, CLI).

Every subcommand: an unknown option, a missing option value, an unexpected value and extra
operands are usage errors (exit 2) that name the cause on stderr as "ota: error: ...", and nothing
else (no getopt message of its own); `--opt=value` and `--opt value` are the same; `--` ends the
options; `--help` prints a usage with an "Exit status" section on stdout and exits 0. The list of
commands is taken from `ota --help` and `ota GROUP --help`, so a new command without an entry
here fails. `--slot` is an option of `efuse burn-key-digest` only; `--json` is an option exactly
of the commands whose --help lists it.

Expected values: the conventions above (exit status 0/1/2, "ota: error:" lines), the files'
own formats decoded here (ESP app image header + esp_app_desc_t, the gen_esp32part.py binary
table's 0xAA 0x50 magic), and file sizes given on the command line.
"""
import concurrent.futures
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import read_file as read, run, run_json, tempdir, testdata, write_file as write  # noqa: E402

# Per command: an option taking a value, a value it refuses, and what the error then says (which
# proves the value reached the option's own parser); None for commands whose only options are
# flags or whose values are not checked before the operands are.
VALUE_OPTIONS = {
    "flash create": ("--size", "3", "invalid --size '3'"),
    "partition list": ("--offset", "0x123", "invalid --offset '0x123'"),
    "partition convert": ("--flash-size", "zz", "invalid --flash-size 'zz'"),
    "partition read": ("--offset", "0x123", "invalid --offset '0x123'"),
    "partition write": ("--offset", "0x123", "invalid --offset '0x123'"),
    "image info": ("--partition", None, None),
    "image make": ("--secure-version", "x", "--secure-version 'x'"),
    "image sign": ("--keyfile", None, None),
    "image verify-signature": ("--pubkey", None, None),
    "image encrypt": ("--scheme", "bogus", "--scheme 'bogus'"),
    "image decrypt": ("--scheme", "bogus", "--scheme 'bogus'"),
    "tone info": ("--extract", None, None),
    "tone make": ("--format", "7", "invalid --format '7'"),
    "info": None,
    "boot": None,
    "set-boot": None,
    "confirm": None,
    "rollback": None,
    "fetch": ("--stall-timeout", "0", "invalid --stall-timeout '0'"),
    "run": ("--retries", "x", "invalid --retries 'x'"),
    "keys generate": ("--scheme", "bogus", "--scheme 'bogus'"),
    "keys digest": None,
    "keys extract-public": None,
    "efuse burn-key-digest": ("--slot", "7", "--slot"),
    "efuse revoke-key": None,
    "efuse enable-secure-boot": None,
    "config set": None,
    "delta make": None,
    "delta apply": None,
    "delta info": None,
}

# Commands that take any number of operands (no "too many arguments").
UNBOUNDED = {"tone make"}

USAGE_LINE = re.compile(r"^(ota: error: .+|Try 'ota [a-z -]+--help'\.)$")


def listed_commands(text):
    """The command names of a help text's "Commands:" list."""
    names, on = [], False
    for line in text.splitlines():
        if line.strip() == "Commands:":
            on = True
        elif on and line.startswith("  ") and line.strip():
            names.append(line.split()[0])
        elif on and not line.strip() and names:
            on = False
    return names


def all_commands():
    top = run(["--help"], expect=0).stdout
    out = []
    for name in listed_commands(top):
        proc = run([name, "--help"], expect=0)
        subs = listed_commands(proc.stdout) if proc.stdout.startswith(f"Usage: ota {name} COMMAND") else []
        out += [f"{name} {s}" for s in subs] if subs else [name]
    return out


def cases():
    """Every (test, command, args) this module runs through `ota` for CliOptions."""
    out = []
    for cmd, spec in VALUE_OPTIONS.items():
        c = cmd.split()
        out += [("help", cmd, c + ["--help"]),
                ("unknown", cmd, c + ["--no-such-option=1", "a"]),
                ("unknown_short", cmd, c + ["a", "-Z"]),  # after an operand: options are permuted
                ("flag_value", cmd, c + ["--help=1", "a"]),
                ("no_operands", cmd, c),
                ("json", cmd, c + ["--json"]),
                ("double_dash", cmd, c + ["--", "--no-such-option"])]
        if cmd not in UNBOUNDED:
            extra = {"keys generate": ["--scheme", "ecdsa256"], "image sign": ["--keyfile", "k.pem"],
                     "image verify-signature": ["--pubkey", "k.pem"]}.get(cmd, [])
            out.append(("too_many", cmd, c + extra + ["a", "b", "c", "d", "e"]))
        if spec is not None:
            out.append(("missing_value", cmd, c + [spec[0]]))
            if spec[1] is not None:
                out += [("joined", cmd, c + [f"{spec[0]}={spec[1]}", "a", "b"]),
                        ("split", cmd, c + [spec[0], spec[1], "a", "b"])]
    return out


class CliOptions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # a few hundred short runs of a sanitizer build: concurrently, or this takes minutes
        todo = cases()
        tmp = tempdir()
        cls.dir = tmp.__enter__()  # the cwd of every case: `flash create -- --x` writes ./--x
        cls.addClassCleanup(tmp.__exit__, None, None, None)

        def run_case(case):
            cwd = os.path.join(cls.dir, case[0], case[1].replace(" ", "_"))
            os.makedirs(cwd)
            return run(case[2], cwd=cwd)

        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            procs = list(pool.map(run_case, todo))
        cls.results = {(kind, cmd): (args, proc) for (kind, cmd, args), proc in zip(todo, procs)}

    def each(self, kind):
        """(command, args, CompletedProcess) of every case of this kind."""
        return [(cmd, args, proc) for (k, cmd), (args, proc) in self.results.items() if k == kind]

    def assert_usage_error(self, args, proc, *fragments):
        """Exit 2 and a stderr that is a usage error naming each fragment, and only that."""
        self.assertEqual(proc.returncode, 2, f"{args}: exit {proc.returncode}: {proc.stderr!r}")
        lines = proc.stderr.splitlines()
        self.assertTrue(lines and lines[0].startswith("ota: error: "), f"{args}: stderr {proc.stderr!r}")
        for line in lines:
            self.assertRegex(line, USAGE_LINE, f"{args}: a stray stderr line: {proc.stderr!r}")
        for f in fragments:
            self.assertIn(f, lines[0], f"{args}: the error does not name {f!r}: {proc.stderr!r}")
        self.assertEqual(proc.stdout, "", f"{args}: stdout on a usage error")

    def test_every_command_has_an_entry(self):
        self.assertEqual(sorted(all_commands()), sorted(VALUE_OPTIONS))

    def test_help(self):
        for cmd, args, proc in self.each("help"):
            with self.subTest(cmd=cmd, args=args):
                self.assertEqual(proc.returncode, 0)
                self.assertTrue(proc.stdout.startswith(f"Usage: ota {cmd} "), proc.stdout[:80])
                self.assertIn("Exit status", proc.stdout)
                self.assertIn("2 usage error", " ".join(proc.stdout.split()))
                self.assertEqual(proc.stderr, "")

    def test_short_help_and_help_after_operands(self):
        for args in (["flash", "create", "-h"], ["partition", "list", "x", "--help"], ["run", "x", "-h"],
                     ["efuse", "revoke-key", "x", "y", "--help"], ["image", "make", "x", "-h"]):
            with self.subTest(args=args):
                proc = run(args, expect=0)
                self.assertTrue(proc.stdout.startswith("Usage: ota "), proc.stdout[:80])
                self.assertIn("Exit status", proc.stdout)

    def test_unknown_option(self):
        for cmd, args, proc in self.each("unknown"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, "unknown option", "'--no-such-option=1'")
        for cmd, args, proc in self.each("unknown_short"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, "unknown option", "'-Z'")

    def test_unknown_short_option_in_a_group(self):
        for args, name in ((["fetch", "-Zq", "a", "b"], "'-Z'"), (["fetch", "-qZ", "a", "b"], "'-Z'"),
                           (["run", "-vZ", "d"], "'-Z'")):
            with self.subTest(args=args):
                proc = run(args)
                self.assert_usage_error(args, proc, "unknown option", name)

    def test_flag_with_a_value(self):
        for cmd, args, proc in self.each("flag_value"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, "option '--help' takes no value")

    def test_missing_value(self):
        for cmd, args, proc in self.each("missing_value"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, f"option '{args[-1]}' needs a value")

    def test_value_forms(self):
        """--opt=value and --opt value reach the option's parser alike (it names the bad value)."""
        for cmd, args, proc in self.each("joined"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, VALUE_OPTIONS[cmd][2])
                self.assertEqual(proc.stderr, self.results[("split", cmd)][1].stderr)

    def test_operands(self):
        for cmd, args, proc in self.each("no_operands"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc)
        for cmd, args, proc in self.each("too_many"):
            with self.subTest(cmd=cmd, args=args):
                self.assert_usage_error(args, proc, "too many arguments")

    def test_json_where_help_says(self):
        """`--json` is an option exactly of the commands whose --help lists it (conventions: `--json`
        where a command prints results), so a help that omits or invents it fails here."""
        for cmd, args, proc in self.each("json"):
            with self.subTest(cmd=cmd, args=args):
                listed = "--json" in self.results[("help", cmd)][1].stdout
                self.assert_usage_error(args, proc)  # no operands: a usage error either way
                self.assertEqual("unknown option '--json'" not in proc.stderr, listed, proc.stderr)
        accepted = {cmd for cmd, _, proc in self.each("json") if "unknown option" not in proc.stderr}
        self.assertTrue({"partition convert", "partition read", "partition write",
                         "keys extract-public"} <= accepted, sorted(accepted))

    def test_double_dash_ends_options(self):
        """After `--` an argument that looks like an option is an operand: no error about it."""
        for cmd, args, proc in self.each("double_dash"):
            with self.subTest(cmd=cmd, args=args):
                self.assertNotIn("unknown option", proc.stderr)
                self.assertNotIn("Usage:", proc.stdout)
        # flash create made the device its operand names
        self.assertEqual(os.path.getsize(os.path.join(self.dir, "double_dash", "flash_create", "--no-such-option")), 4 << 20)


class ValueFormsWork(unittest.TestCase):
    """--opt=value does what --opt value does, checked on the files the commands write."""

    def test_flash_create_size(self):
        with tempdir() as tmp:
            for form in (["--size=4MB", "--offset=0x6000"], ["--size", "4MB", "--offset", "0x6000"]):
                dev = os.path.join(tmp, "dev.bin")
                run(["flash", "create"] + form + [dev], expect=0)
                data = read(dev)
                self.assertEqual(len(data), 4 << 20)
                self.assertEqual(data[0x6000:0x6002], b"\xaa\x50")  # gen_esp32part entry magic
                self.assertEqual(data[0x8000:0x9000], b"\xff" * 0x1000)

    def test_image_make(self):
        with tempdir() as tmp:
            a, b = os.path.join(tmp, "a.bin"), os.path.join(tmp, "b.bin")
            run(["image", "make", "--version=1.2.3", "--project=proj", "--size=64K", "--chip=esp32c3", a],
                expect=0)
            run(["image", "make", "--version", "1.2.3", "--project", "proj", "--size", "64K", "--chip",
                 "esp32c3", b], expect=0)
            data = read(a)
            self.assertEqual(data, read(b))
            self.assertEqual(len(data), 64 * 1024)
            self.assertEqual(data[0], 0xE9)
            self.assertEqual(int.from_bytes(data[12:14], "little"), 5)  # extended header chip id: C3
            # esp_app_desc_t at the start of the first segment (24-byte header + 8-byte segment header)
            self.assertEqual(data[32:36], (0xABCD5432).to_bytes(4, "little"))
            self.assertEqual(data[48:48 + 6], b"1.2.3\0")
            self.assertEqual(data[80:85], b"proj\0")

    def test_fetch_sdcard(self):
        with tempdir() as tmp:
            os.mkdir(os.path.join(tmp, "card"))
            write(os.path.join(tmp, "card", "f.bin"), b"0123456789" * 100)
            out = os.path.join(tmp, "out.bin")
            run(["fetch", "-q", f"--sdcard={os.path.join(tmp, 'card')}", "--retries=0",
                 "file://sdcard/f.bin", out], expect=0)
            self.assertEqual(read(out), b"0123456789" * 100)

    def test_tone_info_extract(self):
        with tempdir() as tmp:
            src = testdata("secure", "flash_tone_fmt0_ecdsa256.bin")
            for form in (["--extract=" + os.path.join(tmp, "x1")], ["--extract", os.path.join(tmp, "x2")]):
                run(["tone", "info"] + form + [src], expect=0)
            self.assertEqual(sorted(os.listdir(os.path.join(tmp, "x1"))), sorted(os.listdir(os.path.join(tmp, "x2"))))
            self.assertTrue(os.listdir(os.path.join(tmp, "x1")))


class SlotOption(unittest.TestCase):
    """--slot is eFuse KEY_DIGESTn of `efuse burn-key-digest`; nowhere else does it mean anything."""

    def test_slot_only_where_it_applies(self):
        with tempdir() as tmp:
            dev = os.path.join(tmp, "dev.bin")
            # an ESP32-S3 has KEY_DIGEST0..2 (an ESP32 only one: docs/security.md)
            run(["flash", "create", "--chip", "esp32s3", dev], expect=0)
            digest = testdata("secure", "digest_rsa3072.bin")
            for args in (["efuse", "revoke-key", "--slot", "0", dev, "0"],
                         ["efuse", "revoke-key", "--slot=0", dev, "0"],
                         ["efuse", "enable-secure-boot", "--slot", "1", dev],
                         ["config", "set", "--slot", "1", dev, "signed-apps-no-secure-boot", "on"]):
                with self.subTest(args=args):
                    proc = run(args, expect=2)
                    self.assertIn("--slot", proc.stderr.splitlines()[0])
                    self.assertTrue(proc.stderr.startswith("ota: error: "))
            # nothing of the refused commands reached the device
            info = run_json(["info", dev])
            self.assertFalse(any(k["revoked"] for k in info["security"]["key_digests"]))
            self.assertFalse(info["security"]["signed_apps_no_secure_boot"])
            # and where it applies, both forms work: the digest lands in the slot named
            run(["efuse", "burn-key-digest", "--slot=2", dev, digest], expect=0)
            run(["efuse", "burn-key-digest", "--slot", "1", dev, digest], expect=0)
            keys = run_json(["info", dev])["security"]["key_digests"]
            want = read(digest).hex()
            self.assertEqual([k["digest"] for k in keys], [None, want, want])


if __name__ == "__main__":
    otatest.main()
