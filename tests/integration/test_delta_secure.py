#!/usr/bin/env python3
"""Issue 19, class 2: a delta between two signed apps on a Secure Boot device, through `ota run`.

What ESP-IDF does (read at the tags named):
- the patch header's base hash is the base's *validation hash*: esp_delta_ota_patch_gen.py
  (idf-extra-components esp_delta_ota/examples/https_delta_ota/tools) takes it from esptool
  image_info's "Validation Hash: ... (valid)", and the device compares it with
  esp_partition_get_sha256() of the running partition (same example, main.c), which for an app is
  the SHA-256 appended to the image, verified over the image up to it (ESP-IDF v6.0.2
  components/bootloader_support/src/bootloader_common.c, bootloader_common_get_sha256_of_partition)
  - never the last 32 bytes of a signed file (those are the signature sector's 0xFF padding);
- esp_delta_ota reads the base with esp_partition_read of the running partition at any offset
  (main.c read_cb), so a patch may copy the signature sector and the padding after it, up to the
  partition's end.

Expected values: the validation hash is computed here with hashlib over the unsigned image
`ota image make` wrote (its last 32 bytes are esptool's appended SHA-256); the new image is the
signed file itself, compared byte for byte.
"""
import hashlib
import os
import unittest

from otatest import (HttpServer, class_workdir, device_slice, json_lines, main, read_file, run, run_json,
                     testdata)

SEC = lambda n: testdata("secure", n)  # noqa: E731


def pack_size(v):
    """A detools size (docs/delta.md): [more][sign][6 bits], then [more][7 bits] groups."""
    neg, v = v < 0, abs(v)
    b, v, out = (v & 0x3F) | (0x40 if neg else 0), v >> 6, bytearray()
    while v:
        out.append(b | 0x80)
        b, v = v & 0x7F, v >> 7
    out.append(b)
    return bytes(out)


def heatshrink_literals(data):
    """A heatshrink stream of literals only (a 1 bit, then the byte), zero-padded: valid for any
    window/lookahead, as heatshrink's decoder reads it."""
    bits = "".join("1" + format(x, "08b") for x in data)
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big")


def reaching_patch(base_hash, partition, new):
    """An esp_delta_ota patch whose one chunk diffs the whole new image against the partition from
    offset 0: with a new image longer than the base, its copies reach the padding after the base's
    signature sector."""
    stream = pack_size(0) + pack_size(len(new))
    stream += bytes((n - o) & 0xFF for n, o in zip(new, partition))
    stream += pack_size(0) + pack_size(0)
    header = bytes.fromhex("10decdfc") + base_hash + bytes(28)
    return header + b"\x04" + pack_size(len(new)) + b"\x44" + heatshrink_literals(stream)


class DeltaSignedSecureBoot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        class_workdir(cls)
        p = lambda n: os.path.join(cls.dir, n)  # noqa: E731
        cls.p = staticmethod(p)
        # ESP32-C6: Secure Boot V2 with ECDSA P-256 (soc_caps), the testdata key and its digest
        run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", "v1.0.0", "--size", "300K",
             "--seed", "1", p("old.bin")], expect=0)
        run(["image", "make", "--chip", "esp32c6", "--project", "sec", "--version", "v1.1.0", "--size", "320K",
             "--seed", "1", p("new.bin")], expect=0)
        for n in ("old", "new"):
            run(["image", "sign", "--keyfile", SEC("key_ecdsa256.pem"), p(n + ".bin"), p(n + "_s.bin")], expect=0)
        cls.old_img, cls.old_s, cls.new_s = read_file(p("old.bin")), read_file(p("old_s.bin")), read_file(p("new_s.bin"))
        cls.base_hash = hashlib.sha256(cls.old_img[:-32]).digest()
        assert cls.base_hash == cls.old_img[-32:]  # esptool's appended SHA-256
        assert cls.old_s[-32:] == b"\xff" * 32  # the signed file ends in its sector's padding
        cls.dev = p("dev.bin")
        run(["flash", "create", "--chip", "esp32c6", cls.dev], expect=0)
        run(["partition", "write", cls.dev, "ota_0", p("old_s.bin")], expect=0)
        run(["efuse", "burn-key-digest", cls.dev, SEC("digest_ecdsa256.bin")], expect=0)
        run(["efuse", "enable-secure-boot", cls.dev], expect=0)
        run(["boot", cls.dev], expect=0)
        cls.partition = device_slice(cls.dev, "ota_0")
        with open(p("ota_0.bin"), "wb") as f:
            f.write(cls.partition)
        # ours, from the signed file; one from the base partition's bytes that reads past the file
        run(["delta", "make", p("old_s.bin"), p("new_s.bin"), os.path.join(cls.www, "ours.patch")], expect=0)
        with open(os.path.join(cls.www, "reach.patch"), "wb") as f:
            f.write(reaching_patch(cls.base_hash, cls.partition, cls.new_s))
        cls.server = HttpServer(cls.www).__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.server.__exit__(None, None, None)

    def install(self, patch):
        dev = self.p(patch + ".dev.bin")
        with open(dev, "wb") as f:
            f.write(read_file(self.dev))
        with open(dev + ".state", "wb") as f:
            f.write(read_file(self.dev + ".state"))
        out = run(["run", dev, "--app-uri", self.server.url(patch), "--data-uri", "", "--json"], expect=0)
        results = [e["result"] for e in json_lines(out.stdout) if e.get("event") == "result"]
        self.assertEqual(results, ["success"], out.stderr)
        boots = [e for e in json_lines(out.stdout) if e.get("event") == "boot"]
        self.assertEqual(boots[-1]["partition"], "ota_1")
        self.assertIn("Signature verified successfully!", out.stderr)
        slot = device_slice(dev, "ota_1")
        self.assertEqual(slot[:len(self.new_s)], self.new_s)
        # confirmed (the app marks itself valid), the next boot, a process reading only the
        # device, verifies its signature again and boots it
        run(["confirm", dev], expect=0)
        proc = run(["boot", dev], expect=0)
        self.assertIn("App version:      v1.1.0", proc.stderr + proc.stdout)
        return out

    def test_our_patch_names_the_validation_hash_and_installs(self):
        info = run_json(["delta", "info", os.path.join(self.www, "ours.patch")])
        self.assertEqual(info["base_sha256"], self.base_hash.hex())
        # it copies the base's signature sector: beyond the image, inside the signed file
        self.assertGreater(info["old_read_end"], len(self.old_img))
        self.install("ours.patch")

    def test_patch_reaching_past_the_signature_sector_installs(self):
        info = run_json(["delta", "info", os.path.join(self.www, "reach.patch")])
        self.assertEqual(info["old_read_end"], len(self.new_s))
        self.assertGreater(info["old_read_end"], len(self.old_s))
        self.install("reach.patch")

    def test_delta_apply_checks_the_validation_hash(self):
        out = self.p("apply.bin")
        # the signed file and the partition read back have one validation hash: the image's
        for old in ("old_s.bin", "ota_0.bin"):
            j = run_json(["delta", "apply", self.p(old), os.path.join(self.www, "ours.patch"), out])
            self.assertTrue(j["base_checked"])
            self.assertEqual(j["base_sha256"], self.base_hash.hex())
            self.assertEqual(read_file(out), self.new_s)
        j = run_json(["delta", "apply", self.p("ota_0.bin"), os.path.join(self.www, "reach.patch"), out])
        self.assertEqual(read_file(out), self.new_s)
        # against the signed file alone it reads past the base's bytes
        proc = run(["delta", "apply", self.p("old_s.bin"), os.path.join(self.www, "reach.patch"), out], expect=1)
        self.assertIn("patch reads past the old image", proc.stderr)
        # another app is not the base; the hashes named are the header's and OLD's validation hash
        proc = run(["delta", "apply", self.p("new_s.bin"), os.path.join(self.www, "ours.patch"), out], expect=1)
        self.assertIn("patch base mismatch", proc.stderr)
        self.assertIn(self.base_hash.hex(), proc.stderr)
        self.assertIn(hashlib.sha256(read_file(self.p("new.bin"))[:-32]).hexdigest(), proc.stderr)
        # ours, made by `delta make` from the partition's bytes, names the same base
        pp = self.p("from_partition.patch")
        j = run_json(["delta", "make", self.p("ota_0.bin"), self.p("new_s.bin"), pp])
        self.assertEqual(j["base_sha256"], self.base_hash.hex())
        self.assertEqual(read_file(pp)[4:36], self.base_hash)


if __name__ == "__main__":
    main()
