#!/usr/bin/env python3
"""`ota delta make|apply|info` (issue 13) against Espressif's patches and images.

Expected bytes come from Espressif's artifacts (../shared/testdata/delta and its README's
SHA-256 list) or from an independent computation: a small heatshrink decoder and detools
sequential-patch reader written here in Python from the format's description, used to check
that patches made by `ota delta make` follow the format (so detools and esp_delta_ota apply them).
"""
import hashlib
import os
import unittest

import otatest
from otatest import run, run_json, testdata, sha256_file

D = "delta"
# ../shared/testdata/delta/README.md
README_SHA = {
    "app_a.bin": "6815282e070a80141d1922b87aaaeba2b1b5ee848400619edaf552a7c00ceab1",
    "app_a_edit.bin": "52c0cc0ffc30631fe6da2aba49d935b9fef271933bb50fada6aa76d199020209",
    "app_a_version.bin": "c2b0e6483f65d689bca0274c8002aed43631ba15e104c3cf31ece4f74444f457",
    "esp_test_new.bin": "48badd6d8e12ed62fc3215f8562511997a08ecef20e3ea8b20306d50db89d8b8",
    "releases/du1906_v1.4.0.bin": "dfb374f088819a37d9b53974c4b824f77c577559afe3036053717005c631d62c",
}
PAIRS = [  # old, patch, new, has the ESP header
    ("esp_test_base.bin", "esp_test_patch.bin", "esp_test_new.bin", False),
    ("app_a.bin", "app_a_to_version.patch", "app_a_version.bin", True),
    ("app_a.bin", "app_a_to_edit.patch", "app_a_edit.bin", True),
]


def td(name):
    return testdata(D, name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# --- an independent reader of the format (docs/delta.md; detools, heatshrink) -----------------

def unpack_size(data, pos):
    """detools size: [more][sign][6 bits] then [more][7 bits] groups, little-endian."""
    b = data[pos]
    pos += 1
    value, shift, neg = b & 0x3F, 6, bool(b & 0x40)
    while b & 0x80:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        shift += 7
    return (-value if neg else value), pos


def heatshrink_decode(data, w, l):
    bits = "".join(f"{b:08b}" for b in data)
    out = bytearray()
    i = 0
    while True:
        if i + 1 > len(bits):
            break
        if bits[i] == "1":
            if i + 9 > len(bits):
                break
            out.append(int(bits[i + 1:i + 9], 2))
            i += 9
        else:
            if i + 1 + w + l > len(bits):
                break
            dist = int(bits[i + 1:i + 1 + w], 2) + 1
            count = int(bits[i + 1 + w:i + 1 + w + l], 2) + 1
            i += 1 + w + l
            for _ in range(count):
                out.append(out[-dist] if dist <= len(out) else 0)
    return bytes(out), len(bits) - i


def python_apply(old, patch):
    """Apply a patch the way detools describes it; returns (new, header facts, chunks)."""
    pos = 0
    facts = {"esp": False}
    if patch[:4] == bytes.fromhex("10decdfc"):
        facts["esp"] = True
        facts["base"] = patch[4:36]
        facts["reserved"] = patch[36:64]
        pos = 64
    facts["type_byte"] = patch[pos]
    new_size, pos = unpack_size(patch, pos + 1)
    facts["new_size"] = new_size
    hs = patch[pos]
    w, l = (hs >> 4) + 4, (hs & 15) + 3
    facts["w"], facts["l"] = w, l
    stream, pad_bits = heatshrink_decode(patch[pos + 1:], w, l)
    facts["pad_bits"] = pad_bits
    dfsize, p = unpack_size(stream, 0)
    assert dfsize == 0
    new = bytearray()
    old_pos = 0
    chunks = 0
    empty_run = facts["max_empty_run"] = 0
    while len(new) < new_size:
        start = len(new)
        n, p = unpack_size(stream, p)
        new += bytes((stream[p + k] + old[old_pos + k]) & 0xFF for k in range(n))
        p += n
        old_pos += n
        n, p = unpack_size(stream, p)
        new += stream[p:p + n]
        p += n
        adj, p = unpack_size(stream, p)
        old_pos += adj
        chunks += 1
        empty_run = empty_run + 1 if len(new) == start else 0
        facts["max_empty_run"] = max(facts["max_empty_run"], empty_run)
    facts["rest"] = len(stream) - p
    return bytes(new), facts, chunks


class DeltaApply(unittest.TestCase):
    def test_espressif_patches_apply_byte_identically(self):
        with otatest.tempdir() as tmp:
            for old, patch, new, esp in PAIRS:
                out = os.path.join(tmp, new)
                args = ["delta", "apply"] + ([] if esp else ["--bare"]) + [td(old), td(patch), out]
                run(args, expect=0)
                self.assertEqual(sha256_file(out), README_SHA[new], patch)
                self.assertEqual(read(out), read(td(new)))

    def test_real_release_patch(self):
        # issue 19: Espressif's patch between two shipped korvo_du1906 releases (README of
        # ../shared/testdata/delta/releases): several empty chunks in a row, as detools' C applier
        # (eerimoq/detools c/detools.c) takes them; it makes v1.4.0 byte for byte
        old, patch = td("releases/du1906_v1.2.2.bin"), td("releases/du1906_v1.2.2_to_v1.4.0.patch")
        data = read(old)
        _, facts, chunks = python_apply(data, read(patch))
        self.assertGreaterEqual(facts["max_empty_run"], 2)
        with otatest.tempdir() as tmp:
            out = os.path.join(tmp, "v1.4.0.bin")
            j = run_json(["delta", "apply", old, patch, out])
            self.assertEqual(sha256_file(out), README_SHA["releases/du1906_v1.4.0.bin"])
            self.assertEqual(j["chunks"], chunks)
            self.assertTrue(j["base_checked"])
            # the base hash: SHA-256 of the image up to its appended digest (hashlib, here)
            self.assertEqual(j["base_sha256"], hashlib.sha256(data[:-32]).hexdigest())
            text = run(["delta", "apply", old, patch, out], expect=0).stdout
            self.assertIn("base: validation hash " + hashlib.sha256(data[:-32]).hexdigest(), text)
        info = run_json(["delta", "info", patch])
        self.assertEqual(info["chunks"], chunks)
        self.assertEqual(info["base_sha256"], hashlib.sha256(data[:-32]).hexdigest())

    def test_bare_patch_needs_bare(self):
        with otatest.tempdir() as tmp:
            out = os.path.join(tmp, "o.bin")
            p = run(["delta", "apply", td("esp_test_base.bin"), td("esp_test_patch.bin"), out], expect=1)
            self.assertIn("bare detools patch", p.stderr)
            self.assertFalse(os.path.exists(out))

    def test_wrong_base_is_refused_before_writing(self):
        with otatest.tempdir() as tmp:
            out = os.path.join(tmp, "o.bin")
            # app_a_version.bin is not the base of app_a_to_edit.patch: its hash differs
            p = run(["delta", "apply", td("app_a_version.bin"), td("app_a_to_edit.patch"), out], expect=1)
            self.assertIn("patch base mismatch", p.stderr)
            self.assertIn("new image offset 0", p.stderr)
            self.assertFalse(os.path.exists(out))
            j = run_json(["delta", "apply", td("app_a_version.bin"), td("app_a_to_edit.patch"), out], expect=1)
            self.assertEqual(j["error"], "OTA_ERR_DELTA_BASE_MISMATCH")

    def test_espressif_bad_patch_applies_to_other_bytes(self):
        # ESP's own test: the bad patch applies, but not to esp_test_new.bin (the SHA-256 check
        # after the write catches it).
        with otatest.tempdir() as tmp:
            out = os.path.join(tmp, "o.bin")
            run(["delta", "apply", "--bare", td("esp_test_base.bin"), td("esp_test_bad_patch.bin"), out], expect=0)
            self.assertNotEqual(sha256_file(out), README_SHA["esp_test_new.bin"])

    def test_truncated_and_corrupt_patches(self):
        patch = read(td("app_a_to_edit.patch"))
        with otatest.tempdir() as tmp:
            out = os.path.join(tmp, "o.bin")
            cases = [
                (patch[:5000], "patch truncated"),
                (patch[:60], "patch truncated"),
                (b"\x11" + patch[1:], "bad magic"),
                (patch[:64] + b"\x14" + patch[65:], "unsupported patch type"),
                (patch[:64] + b"\x01" + patch[65:], "unsupported compression"),
                (patch[:68] + b"\xf4" + patch[69:], "impossible heatshrink"),
                (patch + b"\x00", "data after the end"),
            ]
            for data, message in cases:
                bad = os.path.join(tmp, "bad.patch")
                with open(bad, "wb") as f:
                    f.write(data)
                p = run(["delta", "apply", td("app_a.bin"), bad, out], expect=1)
                self.assertIn(message, p.stderr)
                self.assertTrue(p.stderr.startswith("ota: error: "), p.stderr)
                self.assertFalse(os.path.exists(out))

    def test_usage(self):
        self.assertIn("Usage: ota delta apply", run(["delta", "apply", "--help"], expect=0).stdout)
        self.assertIn("Usage: ota delta make", run(["delta", "make", "--help"], expect=0).stdout)
        self.assertIn("Usage: ota delta info", run(["delta", "info", "--help"], expect=0).stdout)
        run(["delta", "apply", "a"], expect=2)
        run(["delta", "make", "--bare", "--esp-header", "a", "b", "c"], expect=2)
        run(["delta", "info", "--frobnicate", "x"], expect=2)
        run(["delta", "nosuch"], expect=2)


class DeltaInfo(unittest.TestCase):
    def test_info_of_espressif_patches(self):
        for old, patch, new, esp in PAIRS:
            j = run_json(["delta", "info", td(patch)])
            self.assertEqual(j["esp_header"], esp)
            self.assertEqual(j["new_size"], os.path.getsize(td(new)))
            self.assertEqual(j["patch_size"], os.path.getsize(td(patch)))
            self.assertEqual((j["window_bits"], j["lookahead_bits"]), (8, 7))
            self.assertEqual((j["patch_type"], j["compression"]), ("sequential", "heatshrink"))
            self.assertEqual(j["diff_bytes"] + j["extra_bytes"], j["new_size"])
            _, facts, chunks = python_apply(read(td(old)), read(td(patch)))
            self.assertEqual(j["chunks"], chunks)
            if esp:
                # the base is named by its validation hash: the last 32 bytes of app_a.bin
                self.assertEqual(j["base_sha256"], read(td(old))[-32:].hex())
            else:
                self.assertIsNone(j["base_sha256"])
        text = run(["delta", "info", td("app_a_to_version.patch")], expect=0).stdout
        self.assertIn("New size:         601808 bytes", text)
        self.assertIn("heatshrink window 8 lookahead 7", text)


class DeltaMake(unittest.TestCase):
    def check_patch(self, old_path, new_path, patch_path, esp):
        """Our patch, read by the independent Python reader: the format's every field."""
        old, new, patch = read(old_path), read(new_path), read(patch_path)
        got, facts, _ = python_apply(old, patch)
        self.assertEqual(got, new)
        self.assertEqual(facts["esp"], esp)
        if esp:
            self.assertEqual(facts["base"], old[-32:])
            self.assertEqual(facts["reserved"], bytes(28))
        self.assertEqual(facts["type_byte"], 0x04)  # sequential, heatshrink
        self.assertEqual((facts["w"], facts["l"]), (8, 7))
        self.assertEqual(facts["new_size"], len(new))
        self.assertLess(facts["pad_bits"], 8)
        self.assertEqual(facts["rest"], 0)

    def roundtrip(self, tmp, old, new, esp=True, name="p"):
        patch = os.path.join(tmp, name + ".patch")
        out = os.path.join(tmp, name + ".out")
        j = run_json(["delta", "make", "--esp-header" if esp else "--bare", old, new, patch])
        self.assertEqual(j["patch_size"], os.path.getsize(patch))
        run(["delta", "apply"] + ([] if esp else ["--bare"]) + [old, patch, out], expect=0)
        self.assertEqual(read(out), read(new))
        return patch

    def test_esp_header_needs_a_validation_hash(self):
        # esp_delta_ota_patch_gen.py (idf-extra-components esp_delta_ota/examples/https_delta_ota/
        # tools) takes the base hash from esptool image_info's "Validation Hash: ... (valid)" and
        # makes no patch without one: esp_test_base.bin is no app image
        with otatest.tempdir() as tmp:
            patch = os.path.join(tmp, "p.patch")
            p = run(["delta", "make", td("esp_test_base.bin"), td("esp_test_new.bin"), patch], expect=1)
            self.assertIn("validation hash", p.stderr)
            self.assertFalse(os.path.exists(patch))

    def test_round_trip_every_testdata_pair(self):
        with otatest.tempdir() as tmp:
            for i, (old, theirs, new, esp) in enumerate(PAIRS):
                for with_header in (True, False) if esp else (False,):
                    patch = self.roundtrip(tmp, td(old), td(new), with_header, f"p{i}{with_header}")
                    self.check_patch(td(old), td(new), patch, with_header)
                    # at most 5 % larger than Espressif's generator's (detools) patch
                    size = os.path.getsize(patch) - (64 if with_header else 0)
                    ref = os.path.getsize(td(theirs)) - (64 if esp else 0)
                    self.assertLessEqual(size, ref * 1.05, (old, new, size, ref))

    def test_round_trip_generated_releases(self):
        with otatest.tempdir() as tmp:
            a = os.path.join(tmp, "a.bin")
            b = os.path.join(tmp, "b.bin")
            run(["image", "make", "--version", "v1.0.0", "--project", "delta", "--size", "512K", a], expect=0)
            run(["image", "make", "--version", "v1.0.1-rebuilt", "--project", "delta", "--size", "512K",
                 "--time", "12:34:56", b], expect=0)
            patch = self.roundtrip(tmp, a, b, True, "version")
            self.assertLess(os.path.getsize(patch), os.path.getsize(b) // 20)
            self.check_patch(a, b, patch, True)
            # a few bytes and a "function" changed, a block inserted
            data = bytearray(read(b))
            data[70000:70004] = b"\x12\x34\x56\x78"
            data[200000:200000] = bytes(range(256)) * 3
            data[300000:300400] = bytes(400)
            c = os.path.join(tmp, "c.bin")
            with open(c, "wb") as f:
                f.write(data)
            patch = self.roundtrip(tmp, b, c, True, "edit")
            self.check_patch(b, c, patch, True)
            self.roundtrip(tmp, a, c, False, "both")
            empty = os.path.join(tmp, "empty.bin")
            open(empty, "wb").close()
            self.roundtrip(tmp, empty, a, False, "from-empty")


if __name__ == "__main__":
    otatest.main()
