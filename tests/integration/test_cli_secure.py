"""`ota image sign|verify-signature|encrypt|decrypt|info`, `ota keys ...` against Espressif's vectors.

Expected values: ../shared/testdata/secure (made by espsecure v4.9.1 and esp_enc_img_gen.py; the
*.signature_info.txt files are what espsecure signature_info_v2 printed, digest_*.bin what
digest_sbv2_public_key wrote), the block layout of reference/esp-secure-formats.md decoded here
with struct/zlib/hashlib, and the `openssl` command line as an independent verifier of the
signatures `ota image sign` makes.
"""
import hashlib
import json
import os
import stat
import struct
import subprocess
import sys
import unittest
import zlib

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import read_file as read, run, run_json, tempdir, testdata, write_file as write  # noqa: E402


def S(name):
    return testdata("secure", name)


SIGNED = {  # image: (scheme, key, pub, digest files of the blocks)
    "app_esp32_rsa3072.bin": ("rsa3072", "key_rsa3072.pem", "pub_rsa3072.pem", ["digest_rsa3072.bin"]),
    "app_esp32c6_rsa3072.bin": ("rsa3072", "key_rsa3072.pem", "pub_rsa3072.pem", ["digest_rsa3072.bin"]),
    "app_esp32c6_ecdsa256.bin": ("ecdsa256", "key_ecdsa256.pem", "pub_ecdsa256.pem", ["digest_ecdsa256.bin"]),
    "app_esp32c6_ecdsa384.bin": ("ecdsa384", "key_ecdsa384.pem", "pub_ecdsa384.pem", ["digest_ecdsa384.bin"]),
    "app_esp32c6_rsa3072_two_keys.bin": ("rsa3072", "key_rsa3072.pem", "pub_rsa3072.pem",
                                         ["digest_rsa3072.bin", "digest_rsa3072_b.bin"]),
}

# Per scheme: (digest length, key material range, signature range) inside a block (reference).
LAYOUT = {
    "rsa3072": (32, (36, 812), (812, 1196)),
    "ecdsa256": (32, (36, 101), (101, 165)),
    "ecdsa384": (48, (52, 149), (149, 245)),
}


def block(data, i=0):
    sector = data[-4096:]
    return sector[i * 1216:(i + 1) * 1216]


def key_digest_of_block(blk, scheme):
    a, b = LAYOUT[scheme][1]
    return hashlib.sha256(blk[a:b]).digest()


def fix_crc(blk):
    return blk[:1196] + struct.pack("<I", zlib.crc32(blk[:1196]) & 0xFFFFFFFF) + blk[1200:]


def replace_block(data, blk, i=0):
    off = len(data) - 4096 + i * 1216
    return data[:off] + blk + data[off + 1216:]


def flip(data, off, mask=0x40):
    return data[:off] + bytes([data[off] ^ mask]) + data[off + 1:]


def der_int(v):
    b = v.to_bytes((v.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + bytes([len(b)]) + b


def openssl_verify(tmp, data, scheme, pub):
    """Verify block 0 of a signed file with the openssl command line (independent of ota)."""
    blk = block(data)
    dlen, _, (a, b) = LAYOUT[scheme]
    digest = blk[4:4 + dlen]
    assert digest == (hashlib.sha384 if dlen == 48 else hashlib.sha256)(data[:-4096]).digest()
    raw = blk[a:b]
    if scheme == "rsa3072":
        sig = raw[::-1]
        opts = ["-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32", "-pkeyopt", "digest:sha256"]
    else:
        c = (b - a) // 2
        r, s = int.from_bytes(raw[:c], "little"), int.from_bytes(raw[c:], "little")
        body = der_int(r) + der_int(s)
        sig = b"\x30" + bytes([len(body)]) + body
        opts = []
    write(os.path.join(tmp, "dgst.bin"), digest)
    write(os.path.join(tmp, "sig.bin"), sig)
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", pub, "-in",
                           os.path.join(tmp, "dgst.bin"), "-sigfile", os.path.join(tmp, "sig.bin")] + opts,
                          capture_output=True, text=True)
    return proc.returncode == 0 and "Signature Verified Successfully" in proc.stdout


class Info(unittest.TestCase):
    def test_signed_vectors_valid_and_listed_as_signature_info_v2(self):
        for name, (scheme, _, _, digests) in SIGNED.items():
            with self.subTest(name):
                out = run(["image", "info", S(name)], expect=0).stdout
                lines = out.splitlines()
                start = next(i for i, line in enumerate(lines) if line.startswith("Signature block 0"))
                expected = read(S(name.replace(".bin", ".signature_info.txt"))).decode().splitlines()
                self.assertEqual(lines[start:start + len(expected)], expected)
                self.assertIn("Image is valid", out)
                doc = run_json(["image", "info", S(name)], expect=0)
                self.assertTrue(doc["valid"])
                self.assertEqual([b["key_digest"] for b in doc["signature"]["blocks"]],
                                 [read(S(d)).hex() for d in digests])
                self.assertEqual(doc["signature"]["sector_offset"], os.path.getsize(S(name)) - 4096)

    def test_unsigned_image_has_no_signature(self):
        doc = run_json(["image", "info", S("app_esp32c6.bin")], expect=0)
        self.assertIsNone(doc["signature"])

    def test_bytes_after_a_signature_sector_refused(self):
        # Issue 19 class 7: bytes after an unsigned image are padding (esptool image_info: valid;
        # test_padded_images.py); after a signature sector they are covered by no signature
        with tempdir() as tmp:
            plain = read(S("app_esp32c6.bin"))
            for i, data in enumerate([plain + b"\x00" * 100, plain + b"\xff" * 4096]):
                p = write(os.path.join(tmp, f"p{i}.bin"), data)
                doc = run_json(["image", "info", p], expect=0)
                self.assertIsNone(doc["signature"])
            signed = read(S("app_esp32c6_ecdsa256.bin"))
            for i, data in enumerate([signed + b"\xff" * 4096, signed + b"\x00" * 100]):
                p = write(os.path.join(tmp, f"t{i}.bin"), data)
                doc = run_json(["image", "info", p], expect=1)
                self.assertEqual(doc["error"]["error"], "OTA_ERR_IMG_TRAILING_DATA", doc["error"])

    def test_tampered_signed_image_is_not_valid(self):
        with tempdir() as tmp:
            data = read(S("app_esp32c6_ecdsa256.bin"))
            p = write(os.path.join(tmp, "t.bin"), replace_block(data, fix_crc(flip(block(data), 120))))
            doc = run_json(["image", "info", p], expect=1)
            self.assertFalse(doc["valid"])
            self.assertEqual(doc["signature"]["blocks"][0]["error"]["error"], "OTA_ERR_SIG_INVALID")


    def test_signed_app_in_a_device_partition(self):
        with tempdir() as tmp:
            dev = os.path.join(tmp, "dev.bin")
            run(["flash", "create", dev], expect=0)
            run(["partition", "write", dev, "ota_0", S("app_esp32c6_ecdsa384.bin")], expect=0)
            run(["partition", "write", dev, "ota_1", S("app_esp32c6.bin")], expect=0)
            doc = run_json(["image", "info", dev, "--partition", "ota_0"], expect=0)
            self.assertEqual(doc["signature"]["blocks"][0]["key_digest"], read(S("digest_ecdsa384.bin")).hex())
            self.assertIsNone(run_json(["image", "info", dev, "--partition", "ota_1"], expect=0)["signature"])
            # one byte of the slot's image changed: the block's digest no longer matches
            data = bytearray(read(dev))
            data[0x10000 + 5000] ^= 0x01
            write(dev, bytes(data))
            doc = run_json(["image", "info", dev, "--partition", "ota_0"], expect=1)
            self.assertFalse(doc["valid"])


class VerifySignature(unittest.TestCase):
    def test_every_vector_verifies_with_keyfile_and_pubkey(self):
        for name, (_, key, pub, digests) in SIGNED.items():
            for opt, f in (("--keyfile", key), ("--pubkey", pub)):
                with self.subTest(name=name, opt=opt):
                    doc = run_json(["image", "verify-signature", opt, S(f), S(name)], expect=0)
                    self.assertTrue(doc["verified"])
                    self.assertEqual(doc["block"], 0)
                    self.assertEqual(doc["key_digest"], read(S(digests[0])).hex())
        doc = run_json(["image", "verify-signature", "--pubkey", S("pub_rsa3072_b.pem"),
                        S("app_esp32c6_rsa3072_two_keys.bin")], expect=0)
        self.assertEqual(doc["block"], 1)
        run(["image", "verify-signature", "--pubkey", S("pub_ecdsa256.pem"), S("flash_tone_fmt0_ecdsa256.bin")],
            expect=0)

    def test_other_key_refused(self):
        proc = run(["image", "verify-signature", "--pubkey", S("pub_rsa3072_b.pem"), S("app_esp32c6_rsa3072.bin")],
                   expect=1)
        self.assertIn("signature block holds another key", proc.stderr)

    def refused(self, tmp, data, pub, expect, text=False):
        p = write(os.path.join(tmp, "t.bin"), data)
        doc = run_json(["image", "verify-signature", "--pubkey", pub, p], expect=1)
        self.assertFalse(doc["verified"])
        self.assertEqual(doc["error"]["error"], expect)
        if text:
            proc = run(["image", "verify-signature", "--pubkey", pub, p], expect=1)
            self.assertTrue(proc.stderr.startswith("ota: error: "), proc.stderr)

    def test_each_tampered_field_refused_with_its_reason(self):
        vectors = {"rsa3072": "app_esp32c6_rsa3072.bin", "ecdsa256": "app_esp32c6_ecdsa256.bin",
                   "ecdsa384": "app_esp32c6_ecdsa384.bin"}
        with tempdir() as tmp:
            for scheme, name in vectors.items():
                data = read(S(name))
                pub = S(SIGNED[name][2])
                blk = block(data)
                _, (ka, kb), (sa, sb) = LAYOUT[scheme]
                cases = {
                    "magic": (replace_block(data, flip(blk, 0)), "OTA_ERR_SIG_BAD_MAGIC"),
                    "version": (replace_block(data, flip(blk, 1)), "OTA_ERR_SIG_BAD_VERSION"),
                    "crc": (replace_block(data, flip(blk, 1197)), "OTA_ERR_SIG_BAD_CRC"),
                    # an attacker recomputes the CRC: digest, key and signature each say why
                    "digest": (replace_block(data, fix_crc(flip(blk, 8))), "OTA_ERR_SIG_DIGEST_MISMATCH"),
                    "key": (replace_block(data, fix_crc(flip(blk, (ka + kb) // 2))), "OTA_ERR_KEY_MISMATCH"),
                    "signature": (replace_block(data, fix_crc(flip(blk, (sa + sb) // 2))), "OTA_ERR_SIG_INVALID"),
                    "image byte": (flip(data, 1000), "OTA_ERR_SIG_DIGEST_MISMATCH"),
                    "erased sector": (data[:-4096] + b"\xff" * 4096, "OTA_ERR_SIG_UNSIGNED"),
                }
                for field, (bad, expect) in cases.items():
                    with self.subTest(scheme=scheme, field=field):
                        self.refused(tmp, bad, pub, expect)

    def test_padding_byte_tampered(self):
        with tempdir() as tmp:
            data = read(S("flash_tone_fmt0_ecdsa256.bin"))  # 434,756 bytes of tone, 0xFF to 438,272
            self.assertEqual(data[434756:438272], b"\xff" * (438272 - 434756))
            self.refused(tmp, flip(data, 436000, 0x01), S("pub_ecdsa256.pem"), "OTA_ERR_SIG_DIGEST_MISMATCH",
                         text=True)


class SignAndKeys(unittest.TestCase):
    def test_generate_sign_verify_round_trip_three_schemes(self):
        with tempdir() as tmp:
            for scheme in ("rsa3072", "ecdsa256", "ecdsa384"):
                with self.subTest(scheme):
                    key = os.path.join(tmp, f"{scheme}.pem")
                    proc = run(["keys", "generate", "--scheme", scheme, key], expect=0)
                    self.assertNotIn("PRIVATE", proc.stdout + proc.stderr)
                    self.assertEqual(stat.S_IMODE(os.stat(key).st_mode), 0o600)
                    self.assertIn("PRIVATE KEY-----", read(key).decode())
                    run(["keys", "generate", "--scheme", scheme, key], expect=1)  # no silent overwrite
                    pub = os.path.join(tmp, f"{scheme}.pub.pem")
                    run(["keys", "extract-public", key, pub], expect=0)
                    out = os.path.join(tmp, f"{scheme}.signed.bin")
                    run(["image", "sign", "--keyfile", key, S("app_esp32c6.bin"), out], expect=0)
                    data = read(out)
                    self.assertEqual(data[:65536], read(S("app_esp32c6.bin")))
                    blk = block(data)
                    digest = os.path.join(tmp, f"{scheme}.digest")
                    run(["keys", "digest", key, digest], expect=0)
                    self.assertEqual(read(digest), key_digest_of_block(blk, scheme))
                    self.assertEqual(struct.unpack("<I", blk[1196:1200])[0], zlib.crc32(blk[:1196]) & 0xFFFFFFFF)
                    self.assertTrue(openssl_verify(tmp, data, scheme, pub))
                    run(["image", "verify-signature", "--pubkey", pub, out], expect=0)
                    run(["image", "verify-signature", "--keyfile", key, out], expect=0)

    def test_espsecure_layout_byte_for_byte_but_the_signature(self):
        with tempdir() as tmp:
            for name, key, scheme in (("app_esp32c6_rsa3072.bin", "key_rsa3072.pem", "rsa3072"),
                                      ("app_esp32c6_ecdsa256.bin", "key_ecdsa256.pem", "ecdsa256"),
                                      ("app_esp32c6_ecdsa384.bin", "key_ecdsa384.pem", "ecdsa384")):
                with self.subTest(scheme):
                    out = os.path.join(tmp, "o.bin")
                    run(["image", "sign", "--keyfile", S(key), S("app_esp32c6.bin"), out], expect=0)
                    ours, theirs = read(out), read(S(name))
                    self.assertEqual(len(ours), len(theirs))
                    sa, sb = LAYOUT[scheme][2]
                    sig_lo, sig_hi = len(ours) - 4096 + sa, len(ours) - 4096 + 1200  # signature + CRC
                    self.assertEqual(ours[:sig_lo], theirs[:sig_lo])
                    self.assertEqual(ours[sig_hi:], theirs[sig_hi:])
                    self.assertNotEqual(ours[sig_lo:len(ours) - 4096 + sb], theirs[sig_lo:len(ours) - 4096 + sb])

    def test_two_keys_and_append(self):
        with tempdir() as tmp:
            two = os.path.join(tmp, "two.bin")
            run(["image", "sign", "--keyfile", S("key_rsa3072.pem"), "--keyfile", S("key_rsa3072_b.pem"),
                 S("app_esp32c6.bin"), two], expect=0)
            one = os.path.join(tmp, "one.bin")
            run(["image", "sign", "--keyfile", S("key_rsa3072.pem"), S("app_esp32c6.bin"), one], expect=0)
            appended = os.path.join(tmp, "appended.bin")
            run(["image", "sign", "--append-signatures", "--keyfile", S("key_rsa3072_b.pem"), one, appended],
                expect=0)
            ref = read(S("app_esp32c6_rsa3072_two_keys.bin"))
            for path in (two, appended):
                data = read(path)
                self.assertEqual(len(data), len(ref))
                for i in (0, 1):
                    a, b = block(data, i), block(ref, i)
                    self.assertEqual(a[:812], b[:812])        # magic, version, digest, key
                    self.assertEqual(a[1200:], b[1200:])
                self.assertEqual(data[-4096 + 2432:], ref[-4096 + 2432:])  # 0xFF after the blocks
                doc = run_json(["image", "info", path], expect=0)
                self.assertEqual([b["key_digest"] for b in doc["signature"]["blocks"]],
                                 [read(S("digest_rsa3072.bin")).hex(), read(S("digest_rsa3072_b.bin")).hex()])
                for pub in ("pub_rsa3072.pem", "pub_rsa3072_b.pem"):
                    run(["image", "verify-signature", "--pubkey", S(pub), path], expect=0)
            self.assertEqual(block(read(appended), 0), block(read(one), 0))
            # at most 3 blocks
            proc = run(["image", "sign", "--append-signatures", "--keyfile", S("key_ecdsa256.pem"), "--keyfile",
                        S("key_ecdsa384.pem"), two, os.path.join(tmp, "x.bin")], expect=1)
            self.assertIn("exceed", proc.stderr)

    def test_unaligned_input_padded_with_ff(self):
        with tempdir() as tmp:
            src = write(os.path.join(tmp, "data.bin"), bytes(range(256)) * 20)  # 5120 bytes
            out = os.path.join(tmp, "signed.bin")
            doc = run_json(["image", "sign", "--keyfile", S("key_ecdsa256.pem"), src, out], expect=0)
            self.assertEqual(doc["padding"], 8192 - 5120)
            data = read(out)
            self.assertEqual(len(data), 8192 + 4096)
            self.assertEqual(data[5120:8192], b"\xff" * 3072)
            self.assertTrue(openssl_verify(tmp, data, "ecdsa256", S("pub_ecdsa256.pem")))

    def test_unparsable_key_file_one_error_line(self):
        # A key file that is no PEM key: one "ota: error:" naming the file and why, for image sign
        # and release sign alike (image sign once added "cannot sign" with the same reason again),
        # nothing written, nothing on stdout (text or --json: no result document).
        with tempdir() as tmp:
            src = write(os.path.join(tmp, "data.bin"), bytes(range(256)) * 16)
            manifest = write(os.path.join(tmp, "m.json"), json.dumps({  # docs/releases.md's fields
                "format": "ota-release-1", "sequence": 1, "items": [{
                    "type": "app", "uri": "app.bin", "size": 4096, "sha256": "ab" * 32, "version": "v1"}]}).encode())
            bad = write(os.path.join(tmp, "bad.pem"), b"not a key\n")
            for cmd, infile in (("image", src), ("release", manifest)):
                for extra in ([], ["--json"]):
                    out = os.path.join(tmp, f"{cmd}.out")
                    proc = run([cmd, "sign", "--keyfile", bad, infile, out] + extra, expect=1)
                    errors = [l for l in proc.stderr.splitlines() if l.startswith("ota: error:")]
                    self.assertEqual(len(errors), 1, proc.stderr)
                    self.assertIn(bad, errors[0])
                    self.assertEqual(proc.stdout, "")
                    self.assertFalse(os.path.exists(out))

    def test_keys_digest_equals_espsecure(self):
        with tempdir() as tmp:
            for k in ("rsa3072", "rsa3072_b", "ecdsa256", "ecdsa384"):
                for f in (f"key_{k}.pem", f"pub_{k}.pem"):
                    out = os.path.join(tmp, "d.bin")
                    doc = run_json(["keys", "digest", S(f), out], expect=0)
                    self.assertEqual(read(out), read(S(f"digest_{k}.bin")), f)
                    self.assertEqual(doc["key_digest"], read(S(f"digest_{k}.bin")).hex())

    def test_extract_public_json(self):
        """--json names the files, the scheme and the key digest espsecure computed; never key bytes."""
        names = {"rsa3072": ("RSA", "3072"), "rsa3072_b": ("RSA", "3072"), "ecdsa256": ("ECDSA", "256"),
                 "ecdsa384": ("ECDSA", "384")}
        with tempdir() as tmp:
            for k, (family, bits) in names.items():
                for f in (f"key_{k}.pem", f"pub_{k}.pem"):
                    with self.subTest(f):
                        out = os.path.join(tmp, f"{k}.pub.pem")
                        proc = run(["keys", "extract-public", "--json", S(f), out], expect=0)
                        doc = json.loads(proc.stdout)
                        self.assertEqual(sorted(doc), ["key_digest", "keyfile", "output", "scheme"])
                        self.assertEqual(doc["keyfile"], S(f))
                        self.assertEqual(doc["output"], out)
                        self.assertEqual(doc["key_digest"], read(S(f"digest_{k}.bin")).hex())
                        self.assertIn(family, doc["scheme"])
                        self.assertIn(bits, doc["scheme"])
                        self.assertEqual(read(out), read(S(f"pub_{k}.pem")))  # espsecure's PEM, byte for byte
                        # no key material on stdout: neither PEM armour nor any base64 line of the files
                        self.assertNotIn("-----", proc.stdout)
                        for line in (read(S(f)) + read(out)).decode().splitlines():
                            # (a short last line could match a path or the digest by chance)
                            if not line.startswith("-----") and len(line) >= 16:
                                self.assertNotIn(line, proc.stdout)
                        os.remove(out)

    def test_extract_public_json_errors(self):
        """A failure prints the JSON error object, with the exit status of the plain command."""
        with tempdir() as tmp:
            out = os.path.join(tmp, "out.pem")
            missing = os.path.join(tmp, "missing.pem")
            cases = ((missing, out, "missing.pem"),                     # no key file
                     (S("digest_ecdsa256.bin"), out, "digest_ecdsa256.bin"),  # not a key
                     (S("key_ecdsa256.pem"), os.path.join(tmp, "no", "dir.pem"), "dir.pem"))  # OUT unwritable
            for key, dest, named in cases:
                with self.subTest(key=key, out=dest):
                    plain = run(["keys", "extract-public", key, dest], expect=1)
                    self.assertIn(named, plain.stderr)
                    doc = run_json(["keys", "extract-public", key, dest], expect=1)
                    self.assertTrue(doc["error"].startswith("OTA_ERR_"), doc)
                    self.assertLess(doc["code"], 0)
                    self.assertTrue(doc["message"])
                    self.assertEqual((doc["keyfile"], doc["output"]), (key, dest))
                    self.assertFalse(os.path.exists(dest))
            self.assertEqual(run_json(["keys", "extract-public", S("digest_ecdsa256.bin"), out],
                                      expect=1)["error"], "OTA_ERR_KEY_PARSE")
            # usage errors stay usage errors: exit 2, nothing on stdout
            for bad in ([S("key_ecdsa256.pem")], ["--json=1", S("key_ecdsa256.pem"), out]):
                proc = run(["keys", "extract-public", "--json"] + bad, expect=2)
                self.assertEqual(proc.stdout, "")
        self.assertIn("--json", run(["keys", "extract-public", "--help"], expect=0).stdout)

    def test_generate_and_digest_json_errors(self):
        """keys generate / keys digest: a failure prints the JSON error object too, with the exit
        status of the plain command and nothing written."""
        with tempdir() as tmp:
            missing = os.path.join(tmp, "missing.pem")
            unwritable = os.path.join(tmp, "no", "dir.bin")
            out = os.path.join(tmp, "digest.bin")
            for key, dest in ((missing, out), (S("digest_ecdsa256.bin"), out), (S("key_ecdsa256.pem"), unwritable)):
                with self.subTest(key=key, out=dest):
                    run(["keys", "digest", key, dest], expect=1)
                    doc = run_json(["keys", "digest", key, dest], expect=1)
                    self.assertTrue(doc["error"].startswith("OTA_ERR_"), doc)
                    self.assertLess(doc["code"], 0)
                    self.assertEqual((doc["keyfile"], doc["output"]), (key, dest))
                    self.assertFalse(os.path.exists(dest))
            self.assertEqual(run_json(["keys", "digest", S("digest_ecdsa256.bin"), out], expect=1)["error"],
                             "OTA_ERR_KEY_PARSE")
            # generate: an existing file without --force, and an unwritable path
            existing = os.path.join(tmp, "existing.pem")
            write(existing, b"keep me")
            for dest in (existing, os.path.join(tmp, "no", "dir.pem")):
                with self.subTest(out=dest):
                    doc = run_json(["keys", "generate", "--scheme", "ecdsa256", dest], expect=1)
                    self.assertEqual(doc["error"], "OTA_ERR_IO")
                    self.assertEqual(doc["file"], dest)
                    self.assertNotIn("PRIVATE KEY", json.dumps(doc))
            self.assertEqual(read(existing), b"keep me")

    def test_help_and_usage(self):
        for cmd in (["image", "sign"], ["image", "verify-signature"], ["image", "encrypt"], ["image", "decrypt"],
                    ["keys", "generate"], ["keys", "digest"], ["keys", "extract-public"]):
            self.assertIn("Usage: ota " + " ".join(cmd), run(cmd + ["--help"], expect=0).stdout)
            run(cmd, expect=2)


class EncryptDecrypt(unittest.TestCase):
    CASES = [("app_esp32_rsa3072.enc_rsa.bin", "enc_rsa3072_priv.pem", "app_esp32_rsa3072.bin", "rsa3072"),
             ("app_esp32c6.enc_ecc.bin", "enc_ecc_device_hmac_key.bin", "app_esp32c6.bin", "ecies-p256")]

    def test_vectors_decrypt_byte_identical(self):
        with tempdir() as tmp:
            for enc, key, plain, scheme in self.CASES:
                out = os.path.join(tmp, "out.bin")
                doc = run_json(["image", "decrypt", S(enc), S(key), out], expect=0)
                self.assertEqual(doc["scheme"], scheme)
                self.assertEqual(read(out), read(S(plain)))

    def failure(self, tmp, data, key, expect_text, expect_code=None):
        src = write(os.path.join(tmp, "in.bin"), data)
        out = os.path.join(tmp, "never.bin")
        proc = run(["image", "decrypt", src, key, out], expect=1)
        self.assertIn(expect_text, proc.stderr)
        self.assertFalse(os.path.exists(out), "unauthenticated plaintext left behind")
        if expect_code:
            doc = run_json(["image", "decrypt", src, key, out], expect=1)
            self.assertEqual(doc["error"]["error"], expect_code)

    def test_each_failure_its_own_error(self):
        with tempdir() as tmp:
            for enc, key, _, _ in self.CASES:
                data = read(S(enc))
                with self.subTest(enc):
                    self.failure(tmp, flip(data, 0), S(key), "header magic is not 0x0788B6CF")
                    self.failure(tmp, data[:-1], S(key), "stream ends before the declared size")
                    self.failure(tmp, data[:300], S(key), "stream ends before the declared size")
                    self.failure(tmp, flip(data, 20000, 0x01), S(key), "GCM authentication tag mismatch",
                                 "OTA_ERR_ENC_AUTH")
                    self.failure(tmp, data + b"\0", S(key), "data after the declared size")
            self.failure(tmp, read(S("app_esp32_rsa3072.enc_rsa.bin")), S("key_rsa3072.pem"),
                         "does not decrypt with this key")
            other = write(os.path.join(tmp, "other_hmac.bin"), bytes(32))
            self.failure(tmp, read(S("app_esp32c6.enc_ecc.bin")), other, "GCM authentication tag mismatch")

    def test_encrypt_round_trip_both_schemes(self):
        with tempdir() as tmp:
            for pub, key, scheme in (("enc_rsa3072_pub.pem", "enc_rsa3072_priv.pem", "rsa3072"),
                                     ("enc_ecc_device_pub.pem", "enc_ecc_device_hmac_key.bin", "ecies-p256")):
                with self.subTest(scheme):
                    enc = os.path.join(tmp, "e.bin")
                    doc = run_json(["image", "encrypt", S("app_esp32c6_ecdsa256.bin"), S(pub), enc], expect=0)
                    self.assertEqual(doc["scheme"], scheme)
                    data = read(enc)
                    plain = read(S("app_esp32c6_ecdsa256.bin"))
                    self.assertEqual(len(data), len(plain) + 512)
                    magic, = struct.unpack_from("<I", data, 0)
                    size, = struct.unpack_from("<I", data, 404)
                    self.assertEqual((magic, size), (0x0788B6CF, len(plain)))
                    self.assertEqual(data[424:512], bytes(88))
                    if scheme == "ecies-p256":
                        self.assertEqual(data[4 + 96:388], bytes(288))
                    else:
                        # the AES key decrypts with openssl (PKCS#1 v1.5), independent of ota
                        write(os.path.join(tmp, "k.enc"), data[4:388])
                        proc = subprocess.run(["openssl", "pkeyutl", "-decrypt", "-inkey", S(key), "-in",
                                               os.path.join(tmp, "k.enc")], capture_output=True)
                        self.assertEqual(proc.returncode, 0)
                        self.assertEqual(len(proc.stdout), 32)
                    out = os.path.join(tmp, "d.bin")
                    run(["image", "decrypt", enc, S(key), out], expect=0)
                    self.assertEqual(read(out), plain)
                    run(["image", "verify-signature", "--pubkey", S("pub_ecdsa256.pem"), out], expect=0)
            proc = run(["image", "encrypt", "--scheme", "rsa3072", S("app_esp32c6.bin"), S("enc_ecc_device_pub.pem"),
                        os.path.join(tmp, "x.bin")], expect=1)
            self.assertIn("cannot encrypt", proc.stderr)


if __name__ == "__main__":
    otatest.main()
