"""Issue 19, classes 3 and 5: each chip's Secure Boot V2 rules, and the trust edges.

Class 3: `ota efuse`, `ota boot` and `ota run` follow the chip table (docs/security.md), which
test_chip_sbv2 checks against ESP-IDF v6.0.2's soc_caps.h: an ESP32 has Secure Boot V2 from
revision v3.0 only (espefuse v4.9.1 espefuse/efuse/esp32/operations.py burn_key_digest refuses
below it as well), RSA-3072 only, one key digest, no revocation, only signature block 0 counts;
an ESP32-C6 takes RSA-3072 or ECDSA-P256, not P-384; an ESP32-C5 also P-384; an ESP32-C61 ECDSA
only; an ESP32-C2 one digest, no revocation. Every refusal names the chip's rule.

Class 5: `ota set-boot` verifies the signature first (ESP-IDF v6.0.2 app_update/esp_ota_ops.c:
esp_ota_set_boot_partition -> image_validate -> esp_image_verify, which checks the signature with
CONFIG_SECURE_SIGNED_ON_UPDATE); with signed apps without secure boot, only a *valid* block of
the running app is a trust anchor (secure_boot_v2/secure_boot_signatures_app.c:
calculate_image_public_key_digests skips blocks failing validate_signature_block: magic, CRC);
`ota run --trusted-key-digest` never overrides burned eFuses.

Inputs: Espressif's signed images and keys in ../shared/testdata/secure (README there); images
for other chips are app_esp32c6.bin with its chip id changed (header byte 12, the appended SHA-256
recomputed with hashlib) and signed here with `ota image sign`.
"""
import hashlib
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
import otatest  # noqa: E402
from otatest import device_slice, events, parse_esp_image, read_file, run, run_json, testdata, write_file  # noqa: E402

SEC = lambda n: testdata("secure", n)  # noqa: E731
SECTOR = 4096
# esptool IMAGE_CHIP_ID (esptool v4.9.1 esptool/targets/esp32c5.py, esp32c61.py)
CHIP_IDS = {"esp32c5": 23, "esp32c61": 20, "esp32c2": 12}

ESP32_V1 = "ESP32 (rev v1.0): Secure Boot V2 needs chip revision v3.0 or later"
ESP32_RULE = ("ESP32 (rev v3.0): Secure Boot V2 takes RSA-3072 signatures, 1 key digest, no key revocation, "
              "only signature block 0 counts")
C6_RULE = ("ESP32-C6 (rev v0.0): Secure Boot V2 takes RSA-3072 or ECDSA-P256 signatures, 3 key digests, "
           "revocable, signature blocks 0..2 count")
C2_RULE = ("ESP32-C2 (rev v0.0): Secure Boot V2 takes ECDSA-P256 signatures, 1 key digest, no key revocation, "
           "only signature block 0 counts")
C61_RULE = ("ESP32-C61 (rev v0.0): Secure Boot V2 takes ECDSA-P256 signatures, 3 key digests, revocable, "
            "signature blocks 0..2 count")


def retarget(src, dst, chip):
    """app_esp32c6.bin for another chip id: header bytes 12..13, then the appended SHA-256."""
    data = bytearray(read_file(src))
    data[12:14] = CHIP_IDS[chip].to_bytes(2, "little")
    img = parse_esp_image(bytes(data))
    end = img["length"]
    data[end - 32:end] = hashlib.sha256(bytes(data[:end - 32])).digest()
    write_file(dst, bytes(data))


class Fixture:
    def __init__(self, d):
        self.dir = d
        self.www = os.path.join(d, "www")
        os.makedirs(self.www)
        p = lambda n: os.path.join(d, n)  # noqa: E731
        # an ESP32 app signed with ECDSA-P384, and one whose block 0 is an untrusted RSA key and
        # block 1 the trusted one
        run(["image", "sign", "--keyfile", SEC("key_ecdsa384.pem"), SEC("app_esp32.bin"), p("esp32_p384.bin")],
            expect=0)
        shutil.copyfile(p("esp32_p384.bin"), os.path.join(self.www, "esp32_p384.bin"))
        run(["image", "sign", "--keyfile", SEC("key_rsa3072_b.pem"), "--keyfile", SEC("key_rsa3072.pem"),
             SEC("app_esp32.bin"), p("esp32_b_then_a.bin")], expect=0)
        for chip in CHIP_IDS:
            retarget(SEC("app_esp32c6.bin"), p(chip + ".bin"), chip)
        run(["image", "sign", "--keyfile", SEC("key_ecdsa384.pem"), p("esp32c5.bin"), p("esp32c5_p384.bin")],
            expect=0)
        run(["image", "sign", "--keyfile", SEC("key_rsa3072.pem"), p("esp32c61.bin"), p("esp32c61_rsa.bin")],
            expect=0)
        run(["image", "sign", "--keyfile", SEC("key_rsa3072.pem"), p("esp32c2.bin"), p("esp32c2_rsa.bin")],
            expect=0)
        run(["image", "sign", "--keyfile", SEC("key_ecdsa256.pem"), p("esp32c2.bin"), p("esp32c2_p256.bin")],
            expect=0)
        # a newer C6 app signed with the ECDSA-P256 test key, to install with `ota run`
        run(["image", "make", "--chip", "esp32c6", "--project", "rules", "--version", "v2.0.0", "--size", "200K",
             "--seed", "3", p("c6_new.bin")], expect=0)
        run(["image", "sign", "--keyfile", SEC("key_ecdsa256.pem"), p("c6_new.bin"),
             os.path.join(self.www, "c6_new_p256.bin")], expect=0)


FIX = None
HTTP = None


def setUpModule():
    global FIX, HTTP
    FIX, HTTP = otatest.module_fixture(Fixture)


class ChipRules(otatest.DeviceCopyCase):
    def make_device(self, chip, revision=None, app=None, digests=(), enable=False):
        dev = os.path.join(self.dir, f"{chip}_{len(os.listdir(self.dir))}.bin")
        run(["flash", "create", "--chip", chip, dev], expect=0)
        if revision is not None:
            state = read_file(dev + ".state").decode()
            write_file(dev + ".state", re.sub(r"chip_revision=\S+", "chip_revision=" + revision, state).encode())
        if app is not None:
            run(["partition", "write", dev, "ota_0", app], expect=0)
        for d in digests:
            run(["efuse", "burn-key-digest", dev, SEC(d)], expect=0)
        if enable:
            run(["efuse", "enable-secure-boot", dev], expect=0)
        return dev

    def assert_refused_naming(self, args, rule):
        proc = run(args, expect=1)
        self.assertIn(rule, proc.stdout + proc.stderr)
        return proc

    # --- ota efuse -----------------------------------------------------------------------------

    def test_esp32_v1_has_no_secure_boot_v2(self):
        dev = self.make_device("esp32", revision="v1.0")
        state = read_file(dev + ".state")
        for args in (["efuse", "burn-key-digest", dev, SEC("digest_rsa3072.bin")],
                     ["efuse", "revoke-key", dev, "0"],
                     ["efuse", "enable-secure-boot", dev]):
            with self.subTest(args=args[:2]):
                proc = run(args, expect=1)
                self.assertEqual(proc.stderr.strip(), "ota: error: " + ESP32_V1)
        self.assertEqual(read_file(dev + ".state"), state, "a refused command changed the eFuses")

    def test_esp32_one_digest_no_revocation(self):
        dev = self.make_device("esp32")
        self.assert_refused_naming(["efuse", "burn-key-digest", "--slot", "1", dev, SEC("digest_rsa3072.bin")],
                                   ESP32_RULE + ": there is no KEY_DIGEST1")
        run(["efuse", "burn-key-digest", dev, SEC("digest_rsa3072.bin")], expect=0)
        proc = run(["efuse", "burn-key-digest", dev, SEC("digest_rsa3072_b.bin")], expect=1)
        self.assertIn("all 1 key digest eFuse blocks are burned", proc.stderr)
        self.assert_refused_naming(["efuse", "revoke-key", dev, "0"], ESP32_RULE + ": there is no KEY_REVOKE0")
        keys = run_json(["info", dev])["security"]["key_digests"]
        self.assertEqual([k["digest"] is not None for k in keys], [True, False, False])
        self.assertFalse(any(k["revoked"] for k in keys))

    def test_esp32c2_one_digest_no_revocation(self):
        dev = self.make_device("esp32c2")
        self.assert_refused_naming(["efuse", "burn-key-digest", "--slot", "2", dev, SEC("digest_ecdsa256.bin")],
                                   C2_RULE + ": there is no KEY_DIGEST2")
        run(["efuse", "burn-key-digest", dev, SEC("digest_ecdsa256.bin")], expect=0)
        self.assert_refused_naming(["efuse", "revoke-key", dev, "0"], C2_RULE + ": there is no KEY_REVOKE0")

    # --- ota boot ------------------------------------------------------------------------------

    def test_esp32_boots_rsa_never_p384(self):
        # Espressif's RSA-signed ESP32 app boots (the rule does not refuse what the chip takes)
        dev = self.make_device("esp32", app=SEC("app_esp32_rsa3072.bin"), digests=["digest_rsa3072.bin"],
                               enable=True)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")
        # the P-384-signed one never boots, even with its key digest burned
        dev = self.make_device("esp32", app=os.path.join(FIX.dir, "esp32_p384.bin"),
                               digests=["digest_ecdsa384.bin"], enable=True)
        self.assert_refused_naming(["boot", dev], ESP32_RULE)

    def test_esp32_only_block_0_counts(self):
        # block 1 holds the trusted key: enough on an ESP32-C6 (Espressif's two-key image, block 1 =
        # key_rsa3072_b), never on an ESP32 (SECURE_BOOT_NUM_BLOCKS 1)
        dev = self.make_device("esp32c6", app=SEC("app_esp32c6_rsa3072_two_keys.bin"),
                               digests=["digest_rsa3072_b.bin"], enable=True)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")
        dev = self.make_device("esp32", app=os.path.join(FIX.dir, "esp32_b_then_a.bin"),
                               digests=["digest_rsa3072.bin"], enable=True)
        proc = run(["boot", dev], expect=1)
        self.assertIn("No bootable app partitions", proc.stdout)

    def test_esp32c6_takes_p256_not_p384(self):
        dev = self.make_device("esp32c6", app=SEC("app_esp32c6_ecdsa256.bin"), digests=["digest_ecdsa256.bin"],
                               enable=True)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")
        dev = self.make_device("esp32c6", app=SEC("app_esp32c6_ecdsa384.bin"), digests=["digest_ecdsa384.bin"],
                               enable=True)
        self.assert_refused_naming(["boot", dev], C6_RULE)

    def test_esp32c5_takes_p384(self):
        dev = self.make_device("esp32c5", app=os.path.join(FIX.dir, "esp32c5_p384.bin"),
                               digests=["digest_ecdsa384.bin"], enable=True)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")

    def test_esp32c2_takes_p256_not_rsa(self):
        dev = self.make_device("esp32c2", app=os.path.join(FIX.dir, "esp32c2_p256.bin"),
                               digests=["digest_ecdsa256.bin"], enable=True)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")
        dev = self.make_device("esp32c2", app=os.path.join(FIX.dir, "esp32c2_rsa.bin"),
                               digests=["digest_rsa3072.bin"], enable=True)
        self.assert_refused_naming(["boot", dev], C2_RULE)

    def test_esp32c61_takes_no_rsa(self):
        dev = self.make_device("esp32c61", app=os.path.join(FIX.dir, "esp32c61_rsa.bin"),
                               digests=["digest_rsa3072.bin"], enable=True)
        self.assert_refused_naming(["boot", dev], C61_RULE)

    # --- ota run -------------------------------------------------------------------------------

    def ota_run(self, dev, name, *extra, expect):
        proc = run(["run", dev, "--app-uri", HTTP.url(name), "--data-uri", "", "--json"] + list(extra),
                   expect=expect)
        res = [e for e in events(proc.stdout) if e.get("event") == "result"]
        self.assertEqual(len(res), 1, proc.stdout + proc.stderr)
        return res[0], proc

    def test_esp32_run_refuses_p384_naming_the_rule(self):
        dev = self.make_device("esp32", app=SEC("app_esp32_rsa3072.bin"), digests=["digest_rsa3072.bin"],
                               enable=True)
        run(["boot", dev], expect=0)
        ota_0 = device_slice(dev, "ota_0")
        res, proc = self.ota_run(dev, "esp32_p384.bin", expect=1)
        self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_SIG_CHIP_SCHEME"), res)
        self.assertIn("ECDSA-P384 signature: " + ESP32_RULE, proc.stdout + proc.stderr)
        self.assertEqual(device_slice(dev, "ota_0"), ota_0)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")

    def test_run_on_esp32_v1_with_trusted_key_option_names_the_rule(self):
        dev = self.make_device("esp32", revision="v1.0", app=SEC("app_esp32_rsa3072.bin"))
        proc = run(["run", dev, "--app-uri", HTTP.url("esp32_p384.bin"), "--data-uri", "",
                    "--trusted-key-digest", SEC("digest_rsa3072.bin")], expect=1)
        self.assertIn("--trusted-key-digest: " + ESP32_V1, proc.stderr)

    # --- class 5: trust edges ------------------------------------------------------------------

    def test_set_boot_verifies_the_signature(self):
        dev = self.make_device("esp32c6", app=SEC("app_esp32c6_ecdsa256.bin"), digests=["digest_ecdsa256.bin"],
                               enable=True)
        run(["boot", dev], expect=0)
        run(["partition", "write", dev, "ota_1", SEC("app_esp32c6.bin")], expect=0)  # unsigned
        otadata = device_slice(dev, "otadata")
        proc = run(["set-boot", dev, "ota_1"], expect=1)
        self.assertIn("cannot boot 'ota_1': signature: image is not signed", proc.stderr)
        self.assertEqual(device_slice(dev, "otadata"), otadata, "otadata changed")
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")
        # signed by the burned key: accepted
        run(["partition", "write", dev, "ota_1", os.path.join(FIX.www, "c6_new_p256.bin")], expect=0)
        run(["set-boot", dev, "ota_1"], expect=0)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_1")

    def test_signed_apps_trust_only_a_valid_block(self):
        good = read_file(SEC("app_esp32c6_ecdsa256.bin"))
        at = len(good) - SECTOR
        broken_magic = bytearray(good)
        broken_magic[at] ^= 0xFF
        broken_crc = bytearray(good)
        broken_crc[at + 1196] ^= 0x01
        for name, app, expect in (("valid", good, 0), ("magic", broken_magic, 1), ("crc", broken_crc, 1)):
            with self.subTest(block0=name):
                path = os.path.join(self.dir, f"running_{name}.bin")
                write_file(path, bytes(app))
                dev = self.make_device("esp32c6", app=path)
                run(["config", "set", dev, "signed-apps-no-secure-boot", "on"], expect=0)
                run(["boot", dev], expect=0)
                res, _ = self.ota_run(dev, "c6_new_p256.bin", expect=expect)
                if expect == 0:
                    self.assertEqual(res["result"], "success", res)
                else:
                    self.assertEqual((res["result"], res["reason"]), ("failed", "OTA_ERR_SIG_NO_TRUSTED_KEY"), res)
                    self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")

    def test_trusted_key_option_never_overrides_burned_efuses(self):
        # KEY_DIGEST0 = the RSA key; the option would trust the ECDSA key the update is signed with
        dev = self.make_device("esp32c6", app=SEC("app_esp32c6_rsa3072.bin"), digests=["digest_rsa3072.bin"],
                               enable=True)
        run(["boot", dev], expect=0)
        ota_1, state = device_slice(dev, "ota_1"), read_file(dev + ".state")
        proc = run(["run", dev, "--app-uri", HTTP.url("c6_new_p256.bin"), "--data-uri", "",
                    "--trusted-key-digest", SEC("digest_ecdsa256.bin")], expect=1)
        self.assertIn("--trusted-key-digest:", proc.stderr)
        self.assertIn("its boot trusts only those eFuses", proc.stderr)
        self.assertNotIn("OTA success", proc.stdout)
        self.assertEqual(device_slice(dev, "ota_1"), ota_1)
        self.assertEqual(read_file(dev + ".state"), state)
        self.assertEqual(run_json(["boot", dev])["booted"], "ota_0")


if __name__ == "__main__":
    otatest.main()
