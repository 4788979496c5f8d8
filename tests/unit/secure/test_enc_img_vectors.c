/* esp_encrypted_img decryption against Espressif's pre-encrypted images (see secure_vectors.h). */
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

/* --- pre-encrypted images -------------------------------------------------------------------- */

typedef struct {
    const char *enc, *plain, *key;
    ota_enc_scheme_t scheme;
} enc_case_t;

static const enc_case_t ENC_RSA = {"app_esp32_rsa3072.enc_rsa.bin", "app_esp32_rsa3072.bin",
                                   "enc_rsa3072_priv.pem", OTA_ENC_SCHEME_RSA3072};
static const enc_case_t ENC_ECC = {"app_esp32c6.enc_ecc.bin", "app_esp32c6.bin",
                                   "enc_ecc_device_hmac_key.bin", OTA_ENC_SCHEME_ECIES_P256};

/* Decrypt @p enc with @p key in @p chunk pieces; returns the error or OTA_OK with *out filled. */
static int decrypt_all(const blob_t *enc, const blob_t *key, ota_enc_scheme_t scheme, size_t chunk,
                       blob_t *out)
{
    ota_enc_img_decryptor_t *d = malloc(sizeof *d);
    assert_non_null(d);
    ota_enc_img_key_t k = {scheme, key->data, key->len};
    assert_int_equal(ota_enc_img_dec_init(d, &k), OTA_OK);
    out->data = malloc(enc->len + 64);
    out->len = 0;
    uint8_t *buf = malloc(chunk + OTA_ENC_IMG_OUT_SLACK);
    int err = OTA_OK;
    for (size_t off = 0; off < enc->len && err == OTA_OK; off += chunk) {
        size_t n = enc->len - off < chunk ? enc->len - off : chunk;
        int got = ota_enc_img_dec_update(d, enc->data + off, n, buf, chunk + OTA_ENC_IMG_OUT_SLACK);
        if (got < 0) {
            err = got;
        } else {
            memcpy(out->data + out->len, buf, (size_t)got);
            out->len += (size_t)got;
        }
    }
    int got = ota_enc_img_dec_finish(d, buf);
    if (err == OTA_OK && got < 0) {
        err = got;
    } else if (err == OTA_OK) {
        memcpy(out->data + out->len, buf, (size_t)got);
        out->len += (size_t)got;
    }
    free(buf);
    free(d);
    return err;
}

void test_decrypt_vectors(void **state)
{
    (void)state;
    const enc_case_t *cases[] = {&ENC_RSA, &ENC_ECC};
    size_t chunks[] = {1, 13, 511, 4093, 65537, 1 << 20};
    for (size_t c = 0; c < 2; c++) {
        blob_t enc = load(cases[c]->enc), plain = load(cases[c]->plain), key = load(cases[c]->key);
        ota_enc_img_header_t h;
        assert_int_equal(ota_enc_img_header_parse(enc.data, &h), OTA_OK);
        assert_int_equal(h.image_len, plain.len);
        assert_int_equal(enc.len, plain.len + OTA_ENC_IMG_HEADER_SIZE);
        uint8_t raw[OTA_ENC_IMG_HEADER_SIZE];
        assert_int_equal(ota_enc_img_header_serialise(&h, raw), OTA_OK);
        assert_memory_equal(raw, enc.data, OTA_ENC_IMG_HEADER_SIZE);
        for (size_t i = c == 0 ? 1 : 0; i < 6; i++) { /* 1-byte pieces only on the small image */
            blob_t out;
            assert_int_equal(decrypt_all(&enc, &key, cases[c]->scheme, chunks[i], &out), OTA_OK);
            assert_int_equal(out.len, plain.len);
            assert_memory_equal(out.data, plain.data, plain.len);
            free(out.data);
        }
        free(enc.data);
        free(plain.data);
        free(key.data);
    }
}

static int decrypt_modified(const enc_case_t *c, const char *key_file, size_t flip_at, size_t cut)
{
    blob_t enc = load(c->enc), key = load(key_file);
    if (flip_at != SIZE_MAX) {
        enc.data[flip_at] ^= 0x01;
    }
    enc.len -= cut;
    blob_t out;
    int err = decrypt_all(&enc, &key, c->scheme, 4000, &out);
    free(out.data);
    free(enc.data);
    free(key.data);
    return err;
}

void test_decrypt_failures(void **state)
{
    (void)state;
    /* wrong key: RSA refuses at the header; ECIES derives another AES key, the tag catches it */
    assert_int_equal(decrypt_modified(&ENC_RSA, "key_rsa3072.pem", SIZE_MAX, 0), OTA_ERR_ENC_WRONG_KEY);
    assert_int_equal(decrypt_modified(&ENC_ECC, "digest_rsa3072.bin", SIZE_MAX, 0), OTA_ERR_ENC_AUTH);
    assert_int_equal(decrypt_modified(&ENC_RSA, "key_ecdsa256.pem", SIZE_MAX, 0), OTA_ERR_KEY_PARSE);
    const enc_case_t *cases[] = {&ENC_RSA, &ENC_ECC};
    for (size_t i = 0; i < 2; i++) {
        const enc_case_t *c = cases[i];
        assert_int_equal(decrypt_modified(c, c->key, 0, 0), OTA_ERR_ENC_BAD_MAGIC);
        assert_int_equal(decrypt_modified(c, c->key, SIZE_MAX, 1), OTA_ERR_ENC_TRUNCATED);
        assert_int_equal(decrypt_modified(c, c->key, SIZE_MAX, 60000), OTA_ERR_ENC_TRUNCATED);
        assert_int_equal(decrypt_modified(c, c->key, 5000, 0), OTA_ERR_ENC_AUTH); /* ciphertext */
        assert_int_equal(decrypt_modified(c, c->key, 410, 0), OTA_ERR_ENC_AUTH);  /* tag */
        assert_int_equal(decrypt_modified(c, c->key, 390, 0), OTA_ERR_ENC_AUTH);  /* IV */
    }
    /* a flipped point coordinate is (almost surely) off the curve */
    assert_int_equal(decrypt_modified(&ENC_ECC, ENC_ECC.key, 20, 0), OTA_ERR_ENC_BAD_HEADER);
    /* a flipped encrypted-key byte breaks the RSA padding */
    assert_int_equal(decrypt_modified(&ENC_RSA, ENC_RSA.key, 20, 0), OTA_ERR_ENC_WRONG_KEY);
}

/* ota_enc_img_dec_header_done() as its header comment says: false while the 512-byte header
 * arrives and when it is refused, true once it is parsed and the key derived, and still true after
 * finish() (the vector decrypts: the header was good) and after abort(). */
void test_decrypt_header_done(void **state)
{
    (void)state;
    blob_t enc = load(ENC_ECC.enc), key = load(ENC_ECC.key);
    ota_enc_img_key_t k = {ENC_ECC.scheme, key.data, key.len};
    ota_enc_img_decryptor_t *d = malloc(sizeof *d);
    uint8_t *out = malloc(enc.len + OTA_ENC_IMG_OUT_SLACK);
    assert_int_equal(ota_enc_img_dec_init(d, &k), OTA_OK);
    assert_false(ota_enc_img_dec_header_done(d));
    assert_int_equal(ota_enc_img_dec_update(d, enc.data, OTA_ENC_IMG_HEADER_SIZE - 1, out, enc.len), 0);
    assert_false(ota_enc_img_dec_header_done(d));
    assert_int_equal(ota_enc_img_dec_update(d, enc.data + OTA_ENC_IMG_HEADER_SIZE - 1, 1, out, enc.len), 0);
    assert_true(ota_enc_img_dec_header_done(d));
    size_t body = enc.len - OTA_ENC_IMG_HEADER_SIZE;
    int n = ota_enc_img_dec_update(d, enc.data + OTA_ENC_IMG_HEADER_SIZE, body, out,
                                   body + OTA_ENC_IMG_OUT_SLACK);
    assert_true(n >= 0);
    assert_true(ota_enc_img_dec_finish(d, out + n) >= 0);
    assert_true(ota_enc_img_dec_header_done(d));
    ota_enc_img_dec_abort(d);
    assert_true(ota_enc_img_dec_header_done(d));
    /* refused header (magic altered): never done */
    enc.data[0] ^= 0x01;
    assert_int_equal(ota_enc_img_dec_init(d, &k), OTA_OK);
    assert_int_equal(ota_enc_img_dec_update(d, enc.data, OTA_ENC_IMG_HEADER_SIZE, out, enc.len),
                     OTA_ERR_ENC_BAD_MAGIC);
    assert_false(ota_enc_img_dec_header_done(d));
    ota_enc_img_dec_abort(d);
    free(out);
    free(d);
    free(enc.data);
    free(key.data);
}

void test_decrypt_trailing(void **state)
{
    (void)state;
    blob_t enc = load(ENC_ECC.enc), key = load(ENC_ECC.key);
    blob_t longer = {realloc(enc.data, enc.len + 1), enc.len + 1};
    longer.data[enc.len] = 0;
    blob_t out;
    assert_int_equal(decrypt_all(&longer, &key, ENC_ECC.scheme, 3333, &out), OTA_ERR_ENC_TRAILING);
    free(out.data);
    free(longer.data);
    free(key.data);
}

/* Resume: decrypt up to an odd offset, then a fresh decryptor advances over the plaintext. */
void test_decrypt_resume(void **state)
{
    (void)state;
    const enc_case_t *cases[] = {&ENC_RSA, &ENC_ECC};
    size_t cuts[] = {0, 1, 12345, 16 * 1000, 65535};
    for (size_t c = 0; c < 2; c++) {
        blob_t enc = load(cases[c]->enc), plain = load(cases[c]->plain), key = load(cases[c]->key);
        for (size_t i = 0; i < 5; i++) {
            size_t cut = cuts[i];
            ota_enc_img_decryptor_t *d = malloc(sizeof *d);
            ota_enc_img_key_t k = {cases[c]->scheme, key.data, key.len};
            assert_int_equal(ota_enc_img_dec_init(d, &k), OTA_OK);
            uint8_t *out = malloc(enc.len + 64);
            /* advance before the header is complete is refused */
            assert_int_equal(ota_enc_img_dec_advance(d, plain.data, 1), OTA_ERR_INVALID_STATE);
            assert_int_equal(ota_enc_img_dec_update(d, enc.data, OTA_ENC_IMG_HEADER_SIZE, out, enc.len), 0);
            for (size_t off = 0; off < cut; off += 1000) { /* the flash read-back, in pieces */
                size_t n = cut - off < 1000 ? cut - off : 1000;
                assert_int_equal(ota_enc_img_dec_advance(d, plain.data + off, n), OTA_OK);
            }
            size_t rest = enc.len - OTA_ENC_IMG_HEADER_SIZE - cut;
            int got =
                ota_enc_img_dec_update(d, enc.data + OTA_ENC_IMG_HEADER_SIZE + cut, rest, out, rest + 16);
            assert_true(got >= 0);
            assert_int_equal(ota_enc_img_dec_advance(d, plain.data, 1), OTA_ERR_INVALID_STATE);
            int tail = ota_enc_img_dec_finish(d, out + got);
            if (tail < 0) {
                fprintf(stderr, "case %zu cut %zu: %s\n", c, cut, ota_err_name(tail));
            }
            assert_true(tail >= 0);
            assert_int_equal((size_t)got + (size_t)tail, plain.len - cut);
            assert_memory_equal(out, plain.data + cut, plain.len - cut);
            free(out);
            free(d);
        }
        /* a wrong byte in the flash prefix makes the tag fail */
        ota_enc_img_decryptor_t *d = malloc(sizeof *d);
        ota_enc_img_key_t k = {cases[c]->scheme, key.data, key.len};
        assert_int_equal(ota_enc_img_dec_init(d, &k), OTA_OK);
        uint8_t *out = malloc(enc.len + 64);
        assert_int_equal(ota_enc_img_dec_update(d, enc.data, OTA_ENC_IMG_HEADER_SIZE, out, enc.len), 0);
        plain.data[100] ^= 1;
        assert_int_equal(ota_enc_img_dec_advance(d, plain.data, 4096), OTA_OK);
        size_t rest = enc.len - OTA_ENC_IMG_HEADER_SIZE - 4096;
        assert_true(
            ota_enc_img_dec_update(d, enc.data + OTA_ENC_IMG_HEADER_SIZE + 4096, rest, out, rest + 16) >= 0);
        assert_int_equal(ota_enc_img_dec_finish(d, out), OTA_ERR_ENC_AUTH);
        free(out);
        free(d);
        free(enc.data);
        free(plain.data);
        free(key.data);
    }
}

/* base64 decoder for the one PEM this test reads */
static size_t b64(const char *in, uint8_t *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *in; in++) {
        const char *p = strchr(tbl, *in);
        if (p == NULL || *in == 0) {
            continue;
        }
        acc = acc << 6 | (uint32_t)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n;
}

void test_ecies_device_public_key(void **state)
{
    (void)state;
    blob_t hmac = load("enc_ecc_device_hmac_key.bin");
    blob_t pem = load("enc_ecc_device_pub.pem");
    pem.data[pem.len] = 0;
    char *body = strstr((char *)pem.data, "-----\n") + 6;
    *strstr(body, "-----END") = 0;
    uint8_t der[256];
    size_t n = b64(body, der);
    assert_true(n > 65);
    uint8_t priv[32], x[32], y[32];
    assert_int_equal(ota_enc_img_ecies_device_key(hmac.data, hmac.len, priv), OTA_OK);
    assert_int_equal(ota_ec_p256_public(priv, x, y), OTA_OK);
    assert_int_equal(der[n - 65], 0x04); /* SubjectPublicKeyInfo ends in the uncompressed point */
    assert_memory_equal(der + n - 64, x, 32);
    assert_memory_equal(der + n - 32, y, 32);
    free(hmac.data);
    free(pem.data);
}
