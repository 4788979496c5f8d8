#!/usr/bin/env python3
"""`ota run --manifest URI` and `ota info`'s release lines (docs/releases.md, "Installing a release
with `ota run`").

A device made from the shipped table with twins (examples/release/partitions_twins.csv) runs app
v1 from ota_0 and tone v1.0 from flash_tone; release 2 (app v2, tone v2.0) is served by python3's
http.server on 127.0.0.1 and as a file. After the run the new app runs from ota_1, the new tone is
in flash_tone_b, and `ota info` says so; ota_0 and flash_tone are untouched (read back here by
offset from the table, not through `ota`).

Every refusal goes through the CLI: exit status 1, the error's OTA_ERR_* name on stderr, and the
device file byte for byte as it was for those refused before anything is written (older sequence,
item on the running slot, no twin, unsigned manifest on a device that requires signed updates,
truncated or oversized manifest, a server that is down). An item whose bytes differ from the
manifest (SHA-256, size) is found while it is written into the partition the running release does
not use: then the running release's partitions and the otadata entry that boots are unchanged and
`ota info` still shows the old release.

--json output is validated against docs/json.md's `ota run` and `ota info` schemas (the validator
of test_cli_json.py).
"""
import json
import os
import shutil
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
import otatest  # noqa: E402
from otatest import (SOURCE_DIR, HttpServer, class_workdir, copy_device, decode_partition_table,  # noqa: E402
                     events, free_port, main, no_proxy_env, read_file, run, write_file)
import test_cli_json  # noqa: E402  (docs/json.md's schemas and their validator)

CSV = os.path.join(SOURCE_DIR, "examples", "release", "partitions_twins.csv")


def table(device):
    """{label: (offset, size)} read from the device's partition table at 0x8000."""
    with open(device, "rb") as f:
        f.seek(0x8000)
        raw = f.read(0xC00)
    return decode_partition_table(raw)[0]


def part(device, label, length=None):
    off, size = table(device)[label]
    with open(device, "rb") as f:
        f.seek(off)
        return f.read(size if length is None else length)


class ReleaseRun(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        p = cls.p
        # the device: app v1 in ota_0, tone v1.0 in flash_tone, booted
        run(["flash", "create", "--table", CSV, p("tmpl.bin")], expect=0)
        run(["image", "make", "--project", "play_mp3_control", "--version", "v1.0", "--size", "300K",
             p("app1.bin")], expect=0)
        os.mkdir(p("tones1"))
        os.mkdir(p("tones2"))
        write_file(p("tones1/a.mp3"), b"\x01" * 3000)
        write_file(p("tones2/a.mp3"), b"\x02" * 5000)
        write_file(p("tones2/b.wav"), b"\x03" * 7000)
        run(["tone", "make", "--version", "v1.0", p("tones1"), p("tone1.bin")], expect=0)
        run(["partition", "write", p("tmpl.bin"), "ota_0", p("app1.bin")], expect=0)
        run(["partition", "write", p("tmpl.bin"), "flash_tone", p("tone1.bin")], expect=0)
        run(["boot", p("tmpl.bin")], expect=0)
        # release 2 in www/ (item URIs relative to the manifest), and variants
        run(["image", "make", "--project", "play_mp3_control", "--version", "v2.0", "--size", "300K",
             "--seed", "2", os.path.join(cls.www, "app.bin")], expect=0)
        run(["tone", "make", "--version", "v2.0", p("tones2"), os.path.join(cls.www, "tone.bin")], expect=0)
        cls.make("release.json", 2)
        cls.make("release1.json", 1)
        cls.make("release3.json", 3)
        run(["release", "make", "--sequence", "3", "--app", os.path.join(cls.www, "app.bin"), "--app-label",
             "ota_0", os.path.join(cls.www, "running.json")], expect=0)
        run(["keys", "generate", "--scheme", "ecdsa256", p("ec.pem")], expect=0)
        run(["keys", "digest", p("ec.pem"), p("ec.digest")], expect=0)
        run(["keys", "generate", "--scheme", "ecdsa256", p("other.pem")], expect=0)
        run(["release", "sign", "--keyfile", p("ec.pem"), os.path.join(cls.www, "release3.json"),
             os.path.join(cls.www, "release3.signed")], expect=0)
        run(["release", "sign", "--keyfile", p("other.pem"), os.path.join(cls.www, "release3.json"),
             os.path.join(cls.www, "release3.other")], expect=0)
        text = read_file(os.path.join(cls.www, "release3.json"))
        m = json.loads(text)
        bad_sha = json.loads(text)
        bad_sha["items"][1]["sha256"] = "00" * 32
        write_file(os.path.join(cls.www, "bad_sha.json"), json.dumps(bad_sha).encode())
        bad_size = json.loads(text)
        bad_size["items"][1]["size"] = m["items"][1]["size"] - 4
        write_file(os.path.join(cls.www, "bad_size.json"), json.dumps(bad_size).encode())
        write_file(os.path.join(cls.www, "truncated.json"), text[:len(text) // 2])
        write_file(os.path.join(cls.www, "huge.json"), b" " * 12289 + text)
        cls.server = HttpServer(cls.www)
        cls.server.__enter__()
        cls.addClassCleanup(cls.server.__exit__, None, None, None)
        cls.schemas, cls.defs, _ = test_cli_json.load_doc()
        cls.n = 0

    @classmethod
    def p(cls, name):
        return os.path.join(cls.dir, name)

    @classmethod
    def make(cls, name, seq):
        run(["release", "make", "--sequence", seq, "--app", os.path.join(cls.www, "app.bin"), "--data",
             "flash_tone=" + os.path.join(cls.www, "tone.bin"), os.path.join(cls.www, name)], expect=0)

    def fresh(self, template=None):
        type(self).n += 1
        path = self.p(f"dev{self.n}.bin")
        copy_device(template or self.p("tmpl.bin"), path)
        return path

    def ota_run(self, dev, uri, expect, *extra):
        return run(["run", dev, "--manifest", uri] + list(extra), expect=expect, env=no_proxy_env())

    def info(self, dev):
        doc = json.loads(run(["info", dev, "--json"], expect=0).stdout)
        errors = test_cli_json.validate(doc, self.schemas["info"], self.defs)
        self.assertEqual(errors, [], "ota info --json against docs/json.md")
        return doc["release"]

    def assert_installed(self, dev):
        www = self.www
        self.assertEqual(part(dev, "ota_1", 300 * 1024), read_file(os.path.join(www, "app.bin")))
        tone = read_file(os.path.join(www, "tone.bin"))
        self.assertEqual(part(dev, "flash_tone_b", len(tone)), tone)
        rel = self.info(dev)
        self.assertEqual(rel["installed"]["sequence"], 2)
        self.assertEqual(rel["installed"]["app"], "ota_1")
        self.assertEqual([(d["label"], d["partition"]) for d in rel["installed"]["data"]],
                         [("flash_tone", "flash_tone_b")])
        self.assertIsNone(rel["in_progress"])
        self.assertEqual(rel["floor"], 2)
        text = run(["info", dev], expect=0).stdout
        self.assertIn("Release: 2 installed", text)
        self.assertRegex(text, r"flash_tone\s+-> flash_tone_b")

    def assert_old_release_runs(self, before, dev):
        """The running release's partitions and otadata's booting entry as in @before."""
        for label in ("ota_0", "flash_tone", "nvs", "phy_init"):
            self.assertEqual(part(dev, label), part(before, label), label)
        info = json.loads(run(["info", dev, "--json"], expect=0).stdout)
        self.assertEqual(info["running"], "ota_0")
        self.assertEqual(info["next_boot"]["label"], "ota_0")
        self.assertIsNone(info["release"]["installed"])

    # --- installs --------------------------------------------------------------------------

    def test_install_over_http(self):
        dev = self.fresh()
        before = self.info(dev)
        self.assertIsNone(before["installed"])
        self.assertIsNone(before["in_progress"])
        self.assertIn("Release: none installed", run(["info", dev], expect=0).stdout)
        tmpl = read_file(self.p("tmpl.bin"))
        proc = self.ota_run(dev, self.server.url("release.json"), 0)
        self.assertIn("release 2 from http://", proc.stdout)
        self.assert_installed(dev)
        # the live partitions of the old release were not touched
        self.assertEqual(part(dev, "ota_0"), part(self.p("tmpl.bin"), "ota_0"))
        self.assertEqual(part(dev, "flash_tone"), part(self.p("tmpl.bin"), "flash_tone"))
        self.assertNotEqual(read_file(dev), tmpl)
        # the same manifest again: nothing to do, every item up to date
        proc = self.ota_run(dev, self.server.url("release.json"), 0)
        self.assertNotIn("failed", proc.stderr)
        self.assert_installed(dev)

    def test_install_from_file_uri_and_path(self):
        for uri in ("file://" + os.path.join(self.www, "release.json"), os.path.join(self.www, "release.json")):
            with self.subTest(uri=uri):
                dev = self.fresh()
                self.ota_run(dev, uri, 0)
                self.assert_installed(dev)

    def test_install_over_https_with_cacert(self):
        """nginx over TLS with a CA made here: the manifest and its items through --cacert; without
        it the manifest is not trusted and nothing is written."""
        pki = otatest.make_test_pki(self.p("pki"))
        with otatest.NginxServer(self.www, pki, self.p("nginx")) as nginx:
            url = nginx.url("https", "release.json")
            dev = self.fresh()
            before = read_file(dev)
            proc = self.ota_run(dev, url, 1)
            self.assertIn("OTA_ERR_SRC_TLS_VERIFY", proc.stderr)
            self.assertEqual(read_file(dev), before)
            self.ota_run(dev, url, 0, "--cacert", pki.ca)
            self.assert_installed(dev)

    def test_signed_manifest_on_a_device_without_keys(self):
        dev = self.fresh()
        proc = self.ota_run(dev, self.server.url("release3.signed"), 0, "--json")
        rel = [e for e in events(proc.stdout) if e["event"] == "release"][0]
        self.assertEqual((rel["signed"], rel["verified"]), (True, False))
        self.assertEqual(self.info(dev)["installed"]["sequence"], 3)

    def test_signed_manifest_checked_with_burned_key_digests(self):
        """A device with a key digest burned (no Secure Boot: unsigned manifests are taken) checks a
        signed manifest with it: the right key installs, another key is refused, nothing written."""
        dev = self.fresh()
        run(["efuse", "burn-key-digest", dev, self.p("ec.digest")], expect=0)
        tmpl = self.p(f"keyed{self.n}.bin")
        copy_device(dev, tmpl)
        self.assert_unchanged(dev, self.server.url("release3.other"), "OTA_ERR_SIG_")
        proc = self.ota_run(dev, self.server.url("release3.signed"), 0, "--json")
        self.assertIn("signed by a burned key", proc.stderr)
        rel = [e for e in events(proc.stdout) if e["event"] == "release"][0]
        self.assertEqual((rel["signed"], rel["verified"]), (True, True))
        self.assertEqual(self.info(dev)["installed"]["sequence"], 3)
        dev = self.fresh(tmpl)
        self.ota_run(dev, self.server.url("release3.json"), 0)
        self.assertEqual(self.info(dev)["installed"]["sequence"], 3)

    def test_json_events_match_the_schema(self):
        dev = self.fresh()
        proc = self.ota_run(dev, self.server.url("release.json"), 0, "--json")
        evs = events(proc.stdout)
        for e in evs:
            self.assertEqual(test_cli_json.validate(e, self.schemas["run"], self.defs), [], e)
        rel = [e for e in evs if e["event"] == "release"]
        self.assertEqual(len(rel), 1)
        self.assertEqual(rel[0]["sequence"], 2)
        self.assertFalse(rel[0]["signed"])
        self.assertFalse(rel[0]["verified"])
        self.assertEqual([i["type"] for i in rel[0]["items"]], ["app", "data"])
        boots = [e for e in evs if e["event"] == "boot"]
        self.assertEqual(boots[-1]["partition"], "ota_1")
        # a refusal: one release_refused event, valid too
        proc = self.ota_run(dev, self.server.url("release1.json"), 1, "--json")
        evs = events(proc.stdout)
        for e in evs:
            self.assertEqual(test_cli_json.validate(e, self.schemas["run"], self.defs), [], e)
        refused = [e for e in evs if e["event"] == "release_refused"]
        self.assertEqual(len(refused), 1)
        self.assertEqual(refused[0]["error"], "OTA_ERR_RELEASE_OLDER")
        self.assertEqual((refused[0]["sequence"], refused[0]["floor"]), (1, 2))

    def test_rollback_takes_the_data_back(self):
        """The new app never confirms: the rollback boots ota_0, and `ota info` shows the data of
        the old release (flash_tone) again."""
        dev = self.fresh()
        self.ota_run(dev, self.server.url("release.json"), 0)
        self.assert_installed(dev)
        run(["rollback", dev], expect=0)
        rel = self.info(dev)
        self.assertIsNone(rel["installed"])
        self.assertEqual(json.loads(run(["info", dev, "--json"], expect=0).stdout)["running"], "ota_0")

    # --- refusals --------------------------------------------------------------------------

    def refused(self, dev, uri, name, *extra):
        before = read_file(dev)
        proc = self.ota_run(dev, uri, 1, *extra)
        self.assertIn(name, proc.stderr)
        return before, proc

    def assert_unchanged(self, dev, uri, name, *extra):
        before, proc = self.refused(dev, uri, name, *extra)
        self.assertTrue(read_file(dev) == before, f"{uri}: {dev} changed")
        self.assertRegex(proc.stderr, r"nothing written|none of its items written")
        return proc

    def test_refused_older_sequence(self):
        dev = self.fresh()
        self.ota_run(dev, self.server.url("release.json"), 0)
        run(["confirm", dev], expect=0)  # else the next run's app confirms itself first (otadata)
        proc = self.assert_unchanged(dev, self.server.url("release1.json"), "OTA_ERR_RELEASE_OLDER")
        self.assertIn("manifest sequence 1, the device accepted 2", proc.stderr)
        self.assert_installed(dev)

    def test_refused_running_slot(self):
        self.assert_unchanged(self.fresh(), self.server.url("running.json"), "OTA_ERR_RELEASE_RUNNING_SLOT")

    def test_refused_no_twin(self):
        plain = self.p("plain.bin")
        run(["flash", "create", plain], expect=0)
        run(["partition", "write", plain, "ota_0", self.p("app1.bin")], expect=0)
        run(["boot", plain], expect=0)
        self.assert_unchanged(self.fresh(plain), self.server.url("release.json"), "OTA_ERR_RELEASE_NO_TWIN")

    def test_refused_unsigned_manifest_on_a_signed_device(self):
        dev = self.fresh()
        run(["config", "set", dev, "signed-apps-no-secure-boot", "on"], expect=0)
        self.assert_unchanged(dev, self.server.url("release.json"), "OTA_ERR_RELEASE_UNSIGNED")

    def test_refused_truncated_manifest(self):
        self.assert_unchanged(self.fresh(), self.server.url("truncated.json"), "OTA_ERR_MANIFEST_TRUNCATED")

    def test_refused_oversized_manifest(self):
        self.assert_unchanged(self.fresh(), self.server.url("huge.json"), "OTA_ERR_MANIFEST_TOO_LARGE")

    def test_refused_dead_server(self):
        dev = self.fresh()
        before = read_file(dev)
        proc = self.ota_run(dev, f"http://127.0.0.1:{free_port()}/release.json", 1)
        self.assertIn("OTA_ERR_SRC_CONNECT", proc.stderr)
        self.assertEqual(read_file(dev), before)

    def test_refused_missing_file(self):
        dev = self.fresh()
        before = read_file(dev)
        proc = self.ota_run(dev, self.p("no-such.json"), 1)
        self.assertIn("OTA_ERR_SRC_FILE_NOT_FOUND", proc.stderr)
        self.assertEqual(read_file(dev), before)

    def test_item_sha_or_size_mismatch_keeps_the_old_release(self):
        for name in ("bad_sha.json", "bad_size.json"):
            with self.subTest(manifest=name):
                dev = self.fresh()
                _, proc = self.refused(dev, self.server.url(name), "OTA_ERR_RELEASE_ITEM_MISMATCH")
                self.assertIn("the device runs its old release", proc.stderr)
                self.assert_old_release_runs(self.p("tmpl.bin"), dev)
                # begun, not committed: `ota info` says so
                rel = self.info(dev)
                self.assertEqual((rel["in_progress"]["sequence"], rel["floor"]), (3, 3))
                self.assertIn("Release in progress: 3", run(["info", dev], expect=0).stdout)
                # and the good release of that sequence installs afterwards
                self.ota_run(dev, self.server.url("release3.json"), 0)
                rel = self.info(dev)
                self.assertEqual(rel["installed"]["sequence"], 3)
                self.assertIsNone(rel["in_progress"])

    # --- usage -----------------------------------------------------------------------------

    def test_help_and_usage(self):
        self.assertIn("--manifest URI", run(["run", "--help"], expect=0).stdout)
        dev = self.fresh()
        proc = run(["run", dev, "--manifest", "x.json", "--app-uri", "file:///x"], expect=2)
        self.assertIn("--manifest names the items", proc.stderr)
        self.assertIn("empty URI", run(["run", dev, "--manifest", ""], expect=2).stderr)
        before = read_file(dev)
        self.assertIn("OTA_ERR_SRC_URI", self.ota_run(dev, "ftp://127.0.0.1/release.json", 1).stderr)
        self.assertEqual(read_file(dev), before)


if __name__ == "__main__":
    main()
