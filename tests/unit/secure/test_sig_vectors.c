/* Secure Boot V2 signature blocks and their verification against Espressif's vectors, and the
 * known answers of the primitives they use (see secure_vectors.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_enc_img.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"
#include "secure_vectors.h"

/* --- known answers for the new primitives -------------------------------------------------- */

void test_sha384_fips(void **state)
{
    (void)state;
    uint8_t out[48];
    char text[97];
    ota_sha384("abc", 3, out);
    hexstr(out, 48, text);
    assert_string_equal(text, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded163"
                              "1a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
    ota_sha384_ctx_t c;
    ota_sha384_init(&c);
    ota_sha384_update(&c, "a", 1);
    ota_sha384_update(&c, "bc", 2);
    uint8_t out2[48];
    ota_sha384_final(&c, out2);
    assert_memory_equal(out, out2, 48);
}

void test_hkdf_rfc5869(void **state)
{
    (void)state;
    uint8_t ikm[22], salt[13], info[10], okm[42];
    memset(ikm, 0x0b, sizeof ikm);
    for (int i = 0; i < 13; i++) {
        salt[i] = (uint8_t)i;
    }
    for (int i = 0; i < 10; i++) {
        info[i] = (uint8_t)(0xf0 + i);
    }
    assert_int_equal(ota_hkdf_sha256(ikm, sizeof ikm, salt, sizeof salt, info, sizeof info, okm, sizeof okm),
                     OTA_OK);
    char text[85];
    hexstr(okm, sizeof okm, text);
    assert_string_equal(
        text, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

void test_pbkdf2_rfc7914(void **state)
{
    (void)state;
    uint8_t out[64];
    assert_int_equal(
        ota_pbkdf2_hmac_sha256((const uint8_t *)"passwd", 6, (const uint8_t *)"salt", 4, 1, out, 64), OTA_OK);
    char text[129];
    hexstr(out, 64, text);
    assert_string_equal(text, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
                              "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
}

/* --- signature blocks ------------------------------------------------------------------------ */

static const struct {
    const char *image;
    const char *digest[2]; /* key digest of block 0 (and 1) */
    ota_sig_scheme_t scheme;
} SIGNED[] = {
    {"app_esp32_rsa3072.bin", {"digest_rsa3072.bin", NULL}, OTA_SIG_SCHEME_RSA3072},
    {"app_esp32c6_rsa3072.bin", {"digest_rsa3072.bin", NULL}, OTA_SIG_SCHEME_RSA3072},
    {"app_esp32c6_ecdsa256.bin", {"digest_ecdsa256.bin", NULL}, OTA_SIG_SCHEME_ECDSA_P256},
    {"app_esp32c6_ecdsa384.bin", {"digest_ecdsa384.bin", NULL}, OTA_SIG_SCHEME_ECDSA_P384},
    {"app_esp32c6_rsa3072_two_keys.bin",
     {"digest_rsa3072.bin", "digest_rsa3072_b.bin"},
     OTA_SIG_SCHEME_RSA3072},
    {"flash_tone_fmt0_ecdsa256.bin", {"digest_ecdsa256.bin", NULL}, OTA_SIG_SCHEME_ECDSA_P256},
};

static void digests_of(const blob_t *img, uint8_t d256[32], uint8_t d384[48])
{
    ota_sha256(img->data, img->len - OTA_SIG_SECTOR_SIZE, d256);
    ota_sha384(img->data, img->len - OTA_SIG_SECTOR_SIZE, d384);
}

void test_vectors_parse_digest_verify(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof SIGNED / sizeof SIGNED[0]; i++) {
        blob_t img = load(SIGNED[i].image);
        const uint8_t *sector = img.data + img.len - OTA_SIG_SECTOR_SIZE;
        assert_int_equal(ota_sig_sector_offset_for_data(img.len), img.len - OTA_SIG_SECTOR_SIZE);
        ota_sig_block_t blocks[3];
        int perr = 0;
        int n = ota_sig_sector_parse(sector, blocks, &perr);
        int want = SIGNED[i].digest[1] != NULL ? 2 : 1;
        assert_int_equal(n, want);
        assert_int_equal(perr, OTA_ERR_SIG_BAD_MAGIC); /* the next block is erased */
        ota_sig_trust_t trust = {.count = 0};
        for (int b = 0; b < want; b++) {
            assert_int_equal(blocks[b].scheme, SIGNED[i].scheme);
            blob_t kd = load(SIGNED[i].digest[b]);
            uint8_t dig[32];
            assert_int_equal(ota_sig_block_key_digest(&blocks[b], dig), OTA_OK);
            assert_memory_equal(dig, kd.data, 32);
            assert_int_equal(ota_sig_block_raw_key_digest(sector + b * OTA_SIG_BLOCK_SIZE, dig), OTA_OK);
            assert_memory_equal(dig, kd.data, 32);
            memcpy(trust.digest[trust.count++], kd.data, 32);
            free(kd.data);
            /* serialising the decoded block gives espsecure's bytes back */
            uint8_t raw[OTA_SIG_BLOCK_SIZE];
            assert_int_equal(ota_sig_block_serialise(&blocks[b], raw), OTA_OK);
            assert_memory_equal(raw, sector + b * OTA_SIG_BLOCK_SIZE, OTA_SIG_BLOCK_SIZE);
        }
        uint8_t d256[32], d384[48];
        digests_of(&img, d256, d384);
        ota_sig_report_t rep;
        assert_int_equal(ota_sig_verify_sector(sector, d256, d384, NULL, &rep), OTA_OK);
        for (int b = 0; b < want; b++) {
            assert_int_equal(rep.result[b], OTA_OK);
        }
        assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &trust, &rep), OTA_OK);
        assert_int_equal(rep.verified, 0);
        if (want == 2) {
            /* trusting only the second key: block 1 carries the image */
            ota_sig_trust_t only_b = {.count = 1};
            memcpy(only_b.digest[0], trust.digest[1], 32);
            assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &only_b, &rep), OTA_OK);
            assert_int_equal(rep.verified, 1);
            /* ... and revoked: nothing else signed it */
            only_b.revoked[0] = true;
            assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &only_b, &rep),
                             OTA_ERR_SIG_KEY_REVOKED);
            /* signed-without-secure-boot looks at block 0 only */
            only_b.revoked[0] = false;
            only_b.block0_only = true;
            assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &only_b, &rep),
                             OTA_ERR_SIG_NO_TRUSTED_KEY);
        }
        free(img.data);
    }
}

/* Tamper with one byte at @p off of block 0 (fixing the CRC when @p fix_crc) and check the reason. */
static void expect_tamper(const char *image, size_t off, int fix_crc, const ota_sig_trust_t *trust,
                          int expect)
{
    blob_t img = load(image);
    uint8_t *sector = img.data + img.len - OTA_SIG_SECTOR_SIZE;
    sector[off] ^= 0x40;
    if (fix_crc) {
        put_le32(sector + OTA_SIG_BLOCK_CRC_OFFSET, ota_crc32_le(0, sector, OTA_SIG_BLOCK_CRC_OFFSET));
    }
    uint8_t d256[32], d384[48];
    digests_of(&img, d256, d384);
    int err = ota_sig_verify_sector(sector, d256, d384, trust, NULL);
    if (err != expect) {
        fprintf(stderr, "%s offset %zu: got %s, expected %s\n", image, off, ota_err_name(err),
                ota_err_name(expect));
    }
    assert_int_equal(err, expect);
    free(img.data);
}

static ota_sig_trust_t trust_of(const char *digest_file)
{
    ota_sig_trust_t t = {.count = 1};
    blob_t d = load(digest_file);
    memcpy(t.digest[0], d.data, 32);
    free(d.data);
    return t;
}

void test_tampered_blocks(void **state)
{
    (void)state;
    ota_sig_trust_t rsa = trust_of("digest_rsa3072.bin");
    ota_sig_trust_t p256 = trust_of("digest_ecdsa256.bin");
    ota_sig_trust_t p384 = trust_of("digest_ecdsa384.bin");
    const char *r = "app_esp32c6_rsa3072.bin", *e2 = "app_esp32c6_ecdsa256.bin",
               *e3 = "app_esp32c6_ecdsa384.bin";
    /* magic, version, CRC: the block does not even parse */
    expect_tamper(r, 0, 0, &rsa, OTA_ERR_SIG_BAD_MAGIC);
    expect_tamper(r, 1, 0, &rsa, OTA_ERR_SIG_BAD_VERSION);
    expect_tamper(r, 1196, 0, &rsa, OTA_ERR_SIG_BAD_CRC);
    expect_tamper(r, 10, 0, &rsa, OTA_ERR_SIG_BAD_CRC);      /* digest changed, CRC not fixed */
    expect_tamper(e2, 36, 1, &p256, OTA_ERR_SIG_BAD_SCHEME); /* curve id */
    /* an attacker fixes the CRC: digest, key, signature each have their reason */
    expect_tamper(r, 10, 1, &rsa, OTA_ERR_SIG_DIGEST_MISMATCH);
    expect_tamper(r, 100, 1, &rsa, OTA_ERR_SIG_NO_TRUSTED_KEY);
    expect_tamper(r, 100, 1, NULL, OTA_ERR_SIG_INVALID);
    expect_tamper(r, 900, 1, &rsa, OTA_ERR_SIG_INVALID);
    expect_tamper(e2, 10, 1, &p256, OTA_ERR_SIG_DIGEST_MISMATCH);
    expect_tamper(e2, 50, 1, &p256, OTA_ERR_SIG_NO_TRUSTED_KEY);
    expect_tamper(e2, 120, 1, &p256, OTA_ERR_SIG_INVALID);
    expect_tamper(e3, 40, 1, &p384, OTA_ERR_SIG_DIGEST_MISMATCH);
    expect_tamper(e3, 60, 1, &p384, OTA_ERR_SIG_NO_TRUSTED_KEY);
    expect_tamper(e3, 200, 1, &p384, OTA_ERR_SIG_INVALID);
    /* another key's digest trusted */
    expect_tamper(r, 1210, 0, &p256, OTA_ERR_SIG_NO_TRUSTED_KEY); /* (padding: not covered by the CRC) */
    ota_sig_trust_t revoked = rsa;
    revoked.revoked[0] = true;
    expect_tamper(r, 1210, 0, &revoked, OTA_ERR_SIG_KEY_REVOKED);
}

/* The chip's rule in the trust (ota_chip_sbv2_t, filled by ota_image_sig_trust): a scheme it does
 * not take fails with OTA_ERR_SIG_CHIP_SCHEME, and with max_blocks 1 (ESP32, ESP32-C2:
 * SECURE_BOOT_NUM_BLOCKS 1 in ESP-IDF v6.0.2 esp_rom/<chip>/include/<chip>/rom/secure_boot.h) a
 * trusted block 1 does not count. Espressif's two-key ESP32-C6 image: block 1 = key_rsa3072_b. */
void test_chip_rule_in_trust(void **state)
{
    (void)state;
    blob_t img = load("app_esp32c6_rsa3072_two_keys.bin");
    const uint8_t *sector = img.data + img.len - OTA_SIG_SECTOR_SIZE;
    uint8_t d256[32], d384[48];
    digests_of(&img, d256, d384);
    ota_sig_trust_t t = trust_of("digest_rsa3072_b.bin");
    ota_sig_report_t rep;
    assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &t, &rep), OTA_OK);
    assert_int_equal(rep.verified, 1);
    t.max_blocks = 1; /* block 0 only */
    assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &t, &rep), OTA_ERR_SIG_NO_TRUSTED_KEY);
    assert_int_equal(rep.blocks, 1);
    t.max_blocks = 3;
    t.schemes = 1u << OTA_SIG_SCHEME_ECDSA_P256; /* an ESP32-C2 / -C61: ECDSA only */
    assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &t, &rep), OTA_ERR_SIG_CHIP_SCHEME);
    assert_int_equal(rep.result[0], OTA_ERR_SIG_CHIP_SCHEME);
    assert_int_equal(rep.result[1], OTA_ERR_SIG_CHIP_SCHEME);
    t.schemes = (1u << OTA_SIG_SCHEME_RSA3072) | (1u << OTA_SIG_SCHEME_ECDSA_P256);
    assert_int_equal(ota_sig_verify_sector(sector, d256, d384, &t, &rep), OTA_OK);
    free(img.data);
    /* P-384 on a chip without SOC_ECDSA_SUPPORT_CURVE_P384 (ESP32-C6), even with its key trusted */
    img = load("app_esp32c6_ecdsa384.bin");
    digests_of(&img, d256, d384);
    t = trust_of("digest_ecdsa384.bin");
    assert_int_equal(ota_sig_verify_sector(img.data + img.len - OTA_SIG_SECTOR_SIZE, d256, d384, &t, NULL),
                     OTA_OK);
    t.schemes = (1u << OTA_SIG_SCHEME_RSA3072) | (1u << OTA_SIG_SCHEME_ECDSA_P256);
    assert_int_equal(ota_sig_verify_sector(img.data + img.len - OTA_SIG_SECTOR_SIZE, d256, d384, &t, NULL),
                     OTA_ERR_SIG_CHIP_SCHEME);
    free(img.data);
}

void test_tampered_image_and_padding(void **state)
{
    (void)state;
    ota_sig_trust_t p256 = trust_of("digest_ecdsa256.bin");
    /* the tone image: 434,756 bytes, 0xFF padding to 438,272, then the sector */
    size_t offsets[] = {100, 434755, 434756, 438271};
    for (size_t i = 0; i < 4; i++) {
        blob_t img = load("flash_tone_fmt0_ecdsa256.bin");
        assert_int_equal(img.data[434756], 0xFF);
        img.data[offsets[i]] ^= 0x20;
        uint8_t d256[32], d384[48];
        digests_of(&img, d256, d384);
        assert_int_equal(
            ota_sig_verify_sector(img.data + img.len - OTA_SIG_SECTOR_SIZE, d256, d384, &p256, NULL),
            OTA_ERR_SIG_DIGEST_MISMATCH);
        free(img.data);
    }
    /* an unsigned image: where the sector would be, erased flash */
    uint8_t erased[OTA_SIG_SECTOR_SIZE];
    memset(erased, 0xFF, sizeof erased);
    uint8_t d[48] = {0};
    assert_int_equal(ota_sig_verify_sector(erased, d, d, &p256, NULL), OTA_ERR_SIG_UNSIGNED);
}

/* The streaming verifier over the vectors in odd chunk sizes, both layouts. */
static int stream_verify(const blob_t *img, ota_sig_layout_t layout, uint64_t image_len,
                         ota_sig_scheme_t scheme, const ota_sig_trust_t *trust, size_t chunk)
{
    ota_sig_verifier_t *v = malloc(sizeof *v);
    assert_non_null(v);
    assert_int_equal(ota_sig_verifier_init(v, layout, scheme), OTA_OK);
    if (image_len) {
        ota_sig_verifier_set_image_len(v, image_len);
    }
    for (size_t off = 0; off < img->len; off += chunk) {
        size_t n = img->len - off < chunk ? img->len - off : chunk;
        ota_sig_verifier_feed(v, img->data + off, n);
    }
    uint64_t signed_len = 0;
    int err = ota_sig_verifier_finish(v, trust, NULL, &signed_len);
    if (err == OTA_OK) {
        assert_int_equal(signed_len, img->len - (layout == OTA_SIG_LAYOUT_DATA ? img->len % 4096 : 0) - 4096);
    }
    free(v);
    return err;
}

void test_streaming_verifier(void **state)
{
    (void)state;
    ota_sig_trust_t p256 = trust_of("digest_ecdsa256.bin");
    ota_sig_trust_t p384 = trust_of("digest_ecdsa384.bin");
    blob_t tone = load("flash_tone_fmt0_ecdsa256.bin");
    size_t chunks[] = {1, 4095, 4097, 8193, 65537};
    for (size_t i = 1; i < 5; i++) {
        assert_int_equal(
            stream_verify(&tone, OTA_SIG_LAYOUT_DATA, 0, OTA_SIG_SCHEME_ECDSA_P256, &p256, chunks[i]),
            OTA_OK);
    }
    /* trailing bytes less than a sector after a signed data image are ignored (rounded down) */
    blob_t more = {realloc(tone.data, tone.len + 1000), tone.len + 1000};
    memset(more.data + tone.len, 0xAA, 1000);
    assert_int_equal(stream_verify(&more, OTA_SIG_LAYOUT_DATA, 0, OTA_SIG_SCHEME_NONE, &p256, 3000), OTA_OK);
    free(more.data);

    blob_t app = load("app_esp32c6_ecdsa384.bin");
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(
            stream_verify(&app, OTA_SIG_LAYOUT_APP, 65536, OTA_SIG_SCHEME_ECDSA_P384, &p384, chunks[i]),
            OTA_OK);
    }
    assert_int_equal(stream_verify(&app, OTA_SIG_LAYOUT_APP, 65536, OTA_SIG_SCHEME_NONE, NULL, 777), OTA_OK);
    /* unsigned: the plain app ends where the sector would start */
    blob_t plain = load("app_esp32c6.bin");
    assert_int_equal(stream_verify(&plain, OTA_SIG_LAYOUT_APP, 65536, OTA_SIG_SCHEME_NONE, &p384, 4096),
                     OTA_ERR_SIG_UNSIGNED);
    free(plain.data);
    free(app.data);
}

void test_sector_offsets_and_bad_input(void **state)
{
    (void)state;
    /* reference: app sector at the image length rounded up to 4 KiB; data: rounded down, - 4096 */
    assert_int_equal(ota_sig_sector_offset_for_image(0), 0);
    assert_int_equal(ota_sig_sector_offset_for_image(1), 4096);
    assert_int_equal(ota_sig_sector_offset_for_image(65536), 65536);
    assert_int_equal(ota_sig_sector_offset_for_image(65537), 69632);
    assert_int_equal(ota_sig_sector_offset_for_data(4095), UINT64_MAX);
    assert_int_equal(ota_sig_sector_offset_for_data(4096), 0);
    assert_int_equal(ota_sig_sector_offset_for_data(438272 + 4096 + 100), 438272);
    ota_sig_block_t b;
    memset(&b, 0, sizeof b);
    uint8_t raw[OTA_SIG_BLOCK_SIZE];
    assert_int_equal(ota_sig_block_serialise(&b, raw), OTA_ERR_INVALID_ARG); /* no scheme */
    b.scheme = OTA_SIG_SCHEME_ECDSA_P256;
    b.digest_len = 32;
    b.signature_len = 96; /* P-256 signatures are 64 bytes */
    assert_int_equal(ota_sig_block_serialise(&b, raw), OTA_ERR_INVALID_ARG);
    /* version 3 with SHA version 2: no such scheme */
    blob_t img = load("app_esp32c6_ecdsa256.bin");
    uint8_t *blk = img.data + img.len - OTA_SIG_SECTOR_SIZE;
    blk[2] = 2;
    put_le32(blk + OTA_SIG_BLOCK_CRC_OFFSET, ota_crc32_le(0, blk, OTA_SIG_BLOCK_CRC_OFFSET));
    assert_int_equal(ota_sig_block_parse(blk, &b), OTA_ERR_SIG_BAD_SCHEME);
    free(img.data);
    /* a pre-encrypted header with another magic */
    uint8_t hdr[OTA_ENC_IMG_HEADER_SIZE] = {0};
    ota_enc_img_header_t h;
    assert_int_equal(ota_enc_img_header_parse(hdr, &h), OTA_ERR_ENC_BAD_MAGIC);
}
