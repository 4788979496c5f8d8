#!/usr/bin/env python3
"""`ota release make|sign|info|verify` (docs/releases.md, issue 23 section 2).

Interop with espsecure both ways without espsecure: a manifest `ota release sign` made is taken
apart here byte by byte as espsecure verify_signature --version 2 reads it (layout from
../shared/reference/esp-secure-formats.md, checked against espsecure's own signed data file
secure/flash_tone_fmt0_ecdsa256.bin), its signature checked by the openssl command; and a manifest
signed here by openssl, its block built in Python (zlib CRC), is verified by `ota release verify`.
Item sizes, hashes and versions come from hashlib and the testdata README, not from `ota`.
"""
import hashlib
import json
import os
import struct
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
import otatest  # noqa: E402
from otatest import read_file, run, run_json, tempdir, testdata, write_file  # noqa: E402

SECTOR = 4096
BLOCK = 1216


def openssl(*args, cwd=None, input=None):
    proc = subprocess.run(["openssl"] + list(args), capture_output=True, cwd=cwd, input=input)
    if proc.returncode != 0:
        raise AssertionError(f"openssl {' '.join(args)}: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def der_int(b):
    b = b.lstrip(b"\0") or b"\0"
    if b[0] & 0x80:
        b = b"\0" + b
    return b"\x02" + bytes([len(b)]) + b


def ecdsa_der(r, s):
    body = der_int(r) + der_int(s)
    return b"\x30" + bytes([len(body)]) + body


def ecdsa_from_der(der, n):
    """(r, s) big-endian n bytes each, from an ECDSA DER signature."""
    assert der[0] == 0x30
    i = 2
    out = []
    for _ in range(2):
        assert der[i] == 0x02
        ln = der[i + 1]
        out.append(der[i + 2:i + 2 + ln].lstrip(b"\0").rjust(n, b"\0"))
        i += 2 + ln
    return out


def ec_point(pem_path, cwd, n=32):
    """X, Y (big-endian, @n bytes each) of an EC key, from openssl's DER SubjectPublicKeyInfo
    (it ends in 04 || X || Y)."""
    der = openssl("ec", "-in", pem_path, "-pubout", "-outform", "DER", cwd=cwd)
    pt = der[-(2 * n + 1):]
    assert pt[0] == 4
    return pt[1:n + 1], pt[n + 1:]


def rsa_numbers(pem_path, cwd):
    mod = openssl("rsa", "-in", pem_path, "-noout", "-modulus", cwd=cwd).decode().strip()
    n = int(mod.split("=", 1)[1], 16)
    text = openssl("rsa", "-in", pem_path, "-noout", "-text", cwd=cwd).decode()
    e = int(text.split("publicExponent:")[1].split()[0])
    return n, e


class Release(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        tmp = tempdir()
        cls.dir = tmp.__enter__()
        cls.addClassCleanup(tmp.__exit__, None, None, None)
        d = cls.dir
        cls.app = write_file(os.path.join(d, "app.bin"), read_file(testdata("secure", "app_esp32c6.bin")))
        cls.tone = write_file(os.path.join(d, "tone.bin"), read_file(testdata("esp-adf", "tone_fmt1_mixer.bin")))
        cls.key = testdata("secure", "key_ecdsa256.pem")
        cls.digest = testdata("secure", "digest_ecdsa256.bin")

    def path(self, name):
        return os.path.join(self.dir, name)

    def make(self, out, *extra):
        run(["release", "make", "--sequence", "5", "--app", self.app, "--data", f"flash_tone={self.tone}",
             "--uri-base", "http://127.0.0.1:8070/", *extra, self.path(out)], expect=0)
        return self.path(out)

    def test_make_fields(self):
        m = json.loads(read_file(self.make("m.json")))
        self.assertEqual(m["format"], "ota-release-1")
        self.assertEqual(m["sequence"], 5)
        app, tone = m["items"]
        self.assertEqual(app["type"], "app")
        self.assertNotIn("label", app)
        self.assertEqual(app["uri"], "http://127.0.0.1:8070/app.bin")
        self.assertEqual(app["size"], os.path.getsize(self.app))
        self.assertEqual(app["sha256"], hashlib.sha256(read_file(self.app)).hexdigest())
        # the app description's version field: 32 bytes at image offset 0x20 + 16 (esp_app_desc_t)
        raw = read_file(self.app)[0x20 + 16:0x20 + 48]
        self.assertEqual(app["version"], raw.split(b"\0")[0].decode())
        self.assertEqual(tone, {"label": "flash_tone", "type": "data", "uri": "http://127.0.0.1:8070/tone.bin",
                                "size": 54398, "sha256": hashlib.sha256(read_file(self.tone)).hexdigest(),
                                "version": "v1.0"})  # testdata README: 54,398 B, mk_audio_tone's default -v
        # a data item that is no tone image needs its version; 'header' reads ESP-ADF's packed one
        blob = write_file(self.path("userdata.bin"), struct.pack("<I", (0 << 16) | (2 << 8) | 7) + b"\x55" * 100)
        p = run(["release", "make", "--sequence", "1", "--data", f"userdata={blob}", self.path("u.json")], expect=1)
        self.assertIn("--data-version userdata=VER", p.stderr)
        run(["release", "make", "--sequence", "1", "--data", f"userdata={blob}", "--data-version", "userdata=header",
             self.path("u.json")], expect=0)
        self.assertEqual(json.loads(read_file(self.path("u.json")))["items"][0]["version"], "0.2.7")
        # not an app image
        p = run(["release", "make", "--sequence", "1", "--app", self.tone, self.path("x.json")], expect=1)
        self.assertIn("not an app image", p.stderr)

    def test_signed_by_us_reads_as_espsecure_reads(self):
        """Our signed manifest, taken apart as espsecure verify_signature --version 2 does."""
        src = self.make("s.json")
        text = read_file(src)
        out = self.path("s.signed")
        run(["release", "sign", "--keyfile", self.key, src, out], expect=0)
        data = read_file(out)
        self.assertEqual(len(data) % SECTOR, 0)
        signed, sector = data[:-SECTOR], data[-SECTOR:]
        pad = (-len(text)) % SECTOR
        self.assertEqual(signed, text + b"\xff" * pad)
        # the layout espsecure wrote for its own signed data file: block 0, then 0xFF
        ref = read_file(testdata("secure", "flash_tone_fmt0_ecdsa256.bin"))[-SECTOR:]
        self.assertEqual(ref[BLOCK:], b"\xff" * (SECTOR - BLOCK))
        self.assertEqual(sector[BLOCK:], b"\xff" * (SECTOR - BLOCK))
        b = sector[:BLOCK]
        self.assertEqual(b[:4], bytes([0xE7, 0x03, 0x00, 0x00]))
        self.assertEqual(b[4:36], hashlib.sha256(signed).digest())
        self.assertEqual(b[36], 2)  # P-256
        self.assertEqual(b[165:1196], ref[165:1196])  # zero padding, as espsecure's
        self.assertEqual(struct.unpack("<I", b[1196:1200])[0], zlib.crc32(b[:1196]))
        self.assertEqual(b[1200:BLOCK], bytes(16))
        # the key: its digest is espsecure's digest_sbv2_public_key of the test key
        self.assertEqual(hashlib.sha256(b[36:101]).digest(), read_file(self.digest))
        x, y = ec_point(self.key, self.dir)
        self.assertEqual((b[37:69][::-1], b[69:101][::-1]), (x, y))
        # the signature, by openssl
        write_file(self.path("sig.der"), ecdsa_der(b[101:133][::-1], b[133:165][::-1]))
        write_file(self.path("signed.bin"), signed)
        out = openssl("dgst", "-sha256", "-verify", testdata("secure", "pub_ecdsa256.pem"), "-signature",
                      self.path("sig.der"), self.path("signed.bin"))
        self.assertIn(b"Verified OK", out)

    def test_rsa_signed_by_us_verifies_with_openssl(self):
        src = self.make("r.json")
        out = self.path("r.signed")
        key = testdata("secure", "key_rsa3072.pem")
        run(["release", "sign", "--keyfile", key, src, out], expect=0)
        data = read_file(out)
        signed, b = data[:-SECTOR], data[-SECTOR:-SECTOR + BLOCK]
        self.assertEqual(b[:4], bytes([0xE7, 0x02, 0x00, 0x00]))
        self.assertEqual(b[4:36], hashlib.sha256(signed).digest())
        n, e = rsa_numbers(key, self.dir)
        self.assertEqual(int.from_bytes(b[36:420], "little"), n)
        self.assertEqual(struct.unpack("<I", b[420:424])[0], e)
        self.assertEqual(int.from_bytes(b[424:808], "little"), pow(2, 6144, n))
        self.assertEqual(struct.unpack("<I", b[808:812])[0], (-pow(n, -1, 1 << 32)) % (1 << 32))
        self.assertEqual(hashlib.sha256(b[36:812]).digest(), read_file(testdata("secure", "digest_rsa3072.bin")))
        write_file(self.path("rsig.bin"), b[812:1196][::-1])
        write_file(self.path("rdigest.bin"), hashlib.sha256(signed).digest())
        write_file(self.path("rpub.pem"), openssl("rsa", "-in", key, "-pubout"))
        out = openssl("pkeyutl", "-verify", "-pubin", "-inkey", self.path("rpub.pem"), "-in",
                      self.path("rdigest.bin"), "-sigfile", self.path("rsig.bin"), "-pkeyopt", "digest:sha256",
                      "-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32")
        self.assertIn(b"Signature Verified Successfully", out)

    def openssl_signed(self, text, name, p384=False):
        """@text signed here in espsecure's layout with key_ecdsa256.pem (or key_ecdsa384.pem):
        openssl signs, Python packs the block."""
        data = text + b"\xff" * ((-len(text)) % SECTOR)
        write_file(self.path(name + ".data"), data)
        key, n, h = (self.key, 32, hashlib.sha256)
        if p384:
            key, n, h = testdata("secure", "key_ecdsa384.pem"), 48, hashlib.sha384
        der = openssl("dgst", "-sha384" if p384 else "-sha256", "-sign", key, self.path(name + ".data"))
        r, s = ecdsa_from_der(der, n)
        x, y = ec_point(key, self.dir, n)
        blk = bytes([0xE7, 0x03, 1 if p384 else 0, 0x00]) + h(data).digest() + bytes([3 if p384 else 2])
        blk += x[::-1] + y[::-1] + r[::-1] + s[::-1]
        blk += bytes(1196 - len(blk))
        blk += struct.pack("<I", zlib.crc32(blk)) + bytes(16)
        return write_file(self.path(name), data + blk + b"\xff" * (SECTOR - BLOCK))

    def test_p384_both_ways(self):
        src = self.make("p.json")
        digest = testdata("secure", "digest_ecdsa384.bin")
        signed = self.openssl_signed(read_file(src), "p384.signed", p384=True)
        j = run_json(["release", "verify", "--digest", digest, signed])
        self.assertTrue(j["verified"])
        run(["release", "verify", "--digest", self.digest, signed], expect=1)  # the P-256 key is not it
        # ours: block fields at the P-384 offsets (curve at 52, point 53..148, r||s 149..244)
        run(["release", "sign", "--keyfile", testdata("secure", "key_ecdsa384.pem"), src, self.path("p.signed")],
            expect=0)
        data = read_file(self.path("p.signed"))
        signed, b = data[:-SECTOR], data[-SECTOR:-SECTOR + BLOCK]
        self.assertEqual(b[:4], bytes([0xE7, 0x03, 0x01, 0x00]))
        self.assertEqual(b[4:52], hashlib.sha384(signed).digest())
        self.assertEqual(b[52], 3)
        self.assertEqual(hashlib.sha256(b[52:149]).digest(), read_file(digest))
        write_file(self.path("p.sig.der"), ecdsa_der(b[149:197][::-1], b[197:245][::-1]))
        write_file(self.path("p.data"), signed)
        out = openssl("dgst", "-sha384", "-verify", testdata("secure", "pub_ecdsa384.pem"), "-signature",
                      self.path("p.sig.der"), self.path("p.data"))
        self.assertIn(b"Verified OK", out)

    def test_signed_by_openssl_verifies(self):
        items = [{"type": "app", "uri": "app.bin", "size": os.path.getsize(self.app),
                  "sha256": hashlib.sha256(read_file(self.app)).hexdigest(), "version": "v9"},
                 {"label": "flash_tone", "type": "data", "uri": "http://127.0.0.1:8070/tone.bin", "size": 54398,
                  "sha256": hashlib.sha256(read_file(self.tone)).hexdigest(), "version": "v1.0"}]
        text = json.dumps({"format": "ota-release-1", "sequence": 42, "items": items}, indent=1).encode()
        signed = self.openssl_signed(text, "o.signed")
        p = run(["release", "verify", "--digest", self.digest, "--items", self.dir, signed], expect=0)
        self.assertIn("Signature block 0 verification successful", p.stdout)
        j = run_json(["release", "verify", "--pubkey", testdata("secure", "pub_ecdsa256.pem"), signed])
        self.assertTrue(j["verified"])
        self.assertEqual(j["block"], 0)
        self.assertEqual(j["manifest"]["sequence"], 42)
        self.assertEqual(j["manifest"]["items"][1]["label"], "flash_tone")
        info = run_json(["release", "info", signed])
        self.assertTrue(info["signed"])
        self.assertEqual(info["signed_len"], len(text) + (-len(text)) % SECTOR)
        self.assertEqual(info["blocks"][0]["key_digest"], read_file(self.digest).hex())
        # another key is not trusted; a changed byte, a changed item
        p = run(["release", "verify", "--keyfile", testdata("secure", "key_ecdsa384.pem"), signed], expect=1)
        self.assertIn("no block is signed with a trusted key", p.stderr)
        data = bytearray(read_file(signed))
        data[text.index(b"42")] = ord("3")
        write_file(self.path("t.signed"), data)
        p = run(["release", "verify", "--digest", self.digest, self.path("t.signed")], expect=1)
        self.assertIn("digest differs", p.stderr)
        os.makedirs(self.path("items"), exist_ok=True)
        write_file(self.path("items/app.bin"), read_file(self.app))
        tone = bytearray(read_file(self.tone))
        tone[100] ^= 1
        write_file(self.path("items/tone.bin"), tone)
        p = run(["release", "verify", "--digest", self.digest, "--items", self.path("items"), signed], expect=1)
        self.assertIn("item 1 (flash_tone)", p.stderr)
        self.assertIn("SHA-256 differs", p.stderr)
        write_file(self.path("items/tone.bin"), tone[:-1])
        j = run_json(["release", "verify", "--digest", self.digest, "--items", self.path("items"), signed], expect=1)
        self.assertFalse(j["verified"])
        self.assertEqual([i["ok"] for i in j["items"]], [True, False])
        self.assertEqual(j["error"]["error"], "OTA_ERR_INVALID_SIZE")

    def test_refusals_before_trust(self):
        # unsigned: verify refuses, info shows it as not signed
        src = self.make("plain.json")
        p = run(["release", "verify", "--digest", self.digest, src], expect=1)
        self.assertIn("not signed", p.stderr)
        self.assertIn("Not signed.", run(["release", "info", src], expect=0).stdout)
        # a signed manifest whose JSON is cut: the signature is good, the parser refuses it
        text = read_file(src)
        signed = self.openssl_signed(text[:len(text) // 2], "cut.signed")
        j = run_json(["release", "verify", "--digest", self.digest, signed], expect=1)
        self.assertEqual(j["error"]["error"], "OTA_ERR_MANIFEST_TRUNCATED")
        # a duplicate label, refused by sign (nothing is signed) and info
        m = json.loads(text)
        m["items"].append(dict(m["items"][1]))
        write_file(self.path("dup.json"), json.dumps(m).encode())
        p = run(["release", "sign", "--keyfile", self.key, self.path("dup.json"), self.path("dup.signed")], expect=1)
        self.assertIn("two items target the same partition", p.stderr)
        self.assertFalse(os.path.exists(self.path("dup.signed")))
        j = run_json(["release", "info", self.path("dup.json")], expect=1)
        self.assertEqual(j["error"], "OTA_ERR_MANIFEST_DUPLICATE")
        # signing twice
        run(["release", "sign", "--keyfile", self.key, src, self.path("once.signed")], expect=0)
        p = run(["release", "sign", "--keyfile", self.key, self.path("once.signed"), self.path("twice")], expect=1)
        self.assertIn("signed already", p.stderr)

    def test_esp_adf_manifest(self):
        """ESP-ADF esp_ota_service's manifest.json (espressif/esp-adf master af7b72fb2b73d4f513d3cede01c13518ab216735,
        components/esp_ota_service/tools/firmware_samples/README.md), its elided digests filled in."""
        text = ('{\n    "example": "http",\n    "project_name": "ota_http",\n    "version": "1.0.1",\n'
                '    "file": "ota_http_v1.0.1.bin",\n    "url": "http://10.0.0.42:18070/firmware.bin",\n'
                '    "size": 648496,\n    "sha256": "' + "ab" * 32 + '",\n    "md5": "' + "cd" * 16 + '",\n'
                '    "updated_at": "2026-04-21T09:00:00Z"\n}\n')
        write_file(self.path("adf.json"), text.encode())
        j = run_json(["release", "info", self.path("adf.json")])
        self.assertEqual(j["kind"], "esp-adf")
        self.assertEqual(j["sequence"], 0)
        it = j["items"][0]
        self.assertEqual((it["version"], it["project_name"], it["size"], it["uri"], it["sha256"], it["md5"]),
                         ("1.0.1", "ota_http", 648496, "http://10.0.0.42:18070/firmware.bin", "ab" * 32, "cd" * 16))
        self.assertFalse(j["signed"])
        # signed like a release, verified the same way
        run(["release", "sign", "--keyfile", self.key, self.path("adf.json"), self.path("adf.signed")], expect=0)
        run(["release", "verify", "--digest", self.digest, self.path("adf.signed")], expect=0)


if __name__ == "__main__":
    otatest.main()
