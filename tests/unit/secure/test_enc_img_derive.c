/*
 * The decryptor's key derivation hook (ota_enc_img_dec_set_derive): the hook's key is the one
 * GCM uses, its errors are the decryptor's, and it is called once per image. Espressif's ECIES
 * vector (../shared/testdata/secure) decrypts through a hook that keeps the device scalar
 * (ota_enc_img_ecies_device_key once) and caches ota_enc_img_ecies_aes_key() per key field.
 * ota_enc_img_dec_restart() resumes with the key the decryptor already derived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_enc_img.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_err.h"
#include "ts_file.h"

typedef ts_blob_t blob_t;

static blob_t load(const char *name)
{
    return ts_blob_at(OTA_TESTDATA_DIR "/secure/", name);
}

typedef struct {
    unsigned calls;
    int fail_with;    /* returned instead of deriving when non-zero */
    uint8_t flip;     /* XORed into the derived key's first byte */
    uint8_t priv[32]; /* the device scalar, derived once */
    bool have;        /* a cached key */
    uint8_t key_field[OTA_ENC_IMG_KEY_FIELD_SIZE];
    uint8_t aes_key[32];
} hook_t;

static int hook(void *ctx, const ota_enc_img_key_t *key, const ota_enc_img_header_t *h, uint8_t aes_key[32])
{
    hook_t *c = ctx;
    c->calls++;
    if (c->fail_with != 0) {
        return c->fail_with;
    }
    if (!c->have || memcmp(c->key_field, h->key_field, sizeof c->key_field) != 0) {
        int err = ota_enc_img_ecies_aes_key(c->priv, h, c->aes_key);
        if (err != OTA_OK) {
            return err;
        }
        /* the split derivation is the whole one */
        uint8_t whole[32];
        assert_int_equal(ota_enc_img_derive_key(key, h, whole), OTA_OK);
        assert_memory_equal(whole, c->aes_key, 32);
        memcpy(c->key_field, h->key_field, sizeof c->key_field);
        c->have = true;
    }
    memcpy(aes_key, c->aes_key, 32);
    aes_key[0] ^= c->flip;
    return OTA_OK;
}

/* Decrypt the ECIES vector with @p c as hook; OTA_OK and the plaintext length, or the error. */
static int decrypt(const blob_t *enc, const blob_t *hmac, hook_t *c, size_t *produced)
{
    ota_enc_img_decryptor_t d;
    ota_enc_img_key_t k = {OTA_ENC_SCHEME_ECIES_P256, hmac->data, hmac->len};
    assert_int_equal(ota_enc_img_dec_init(&d, &k), OTA_OK);
    assert_int_equal(ota_enc_img_dec_set_derive(&d, hook, c), OTA_OK);
    uint8_t *out = malloc(enc->len + OTA_ENC_IMG_OUT_SLACK);
    int n = ota_enc_img_dec_update(&d, enc->data, 100, out, enc->len);
    if (n >= 0) {
        /* the header is complete after the next piece: too late to change the hook */
        n = ota_enc_img_dec_update(&d, enc->data + 100, enc->len - 100, out,
                                   enc->len + OTA_ENC_IMG_OUT_SLACK);
        if (n >= 0) {
            assert_int_equal(ota_enc_img_dec_set_derive(&d, NULL, NULL), OTA_ERR_INVALID_STATE);
        }
    }
    int tail = n >= 0 ? ota_enc_img_dec_finish(&d, out + n) : n;
    ota_enc_img_dec_abort(&d);
    free(out);
    *produced = n >= 0 && tail >= 0 ? (size_t)n + (size_t)tail : 0;
    return tail < 0 ? tail : OTA_OK;
}

static void test_derive_hook(void **state)
{
    (void)state;
    blob_t enc = load("app_esp32c6.enc_ecc.bin"), plain = load("app_esp32c6.bin");
    blob_t hmac = load("enc_ecc_device_hmac_key.bin");
    size_t produced = 0;
    hook_t c = {0};
    assert_int_equal(ota_enc_img_ecies_device_key(hmac.data, hmac.len, c.priv), OTA_OK);
    /* the cached key decrypts Espressif's image, derived once for two images */
    assert_int_equal(decrypt(&enc, &hmac, &c, &produced), OTA_OK);
    assert_int_equal(produced, plain.len);
    assert_int_equal(decrypt(&enc, &hmac, &c, &produced), OTA_OK);
    assert_int_equal(c.calls, 2);
    assert_true(c.have);
    /* the hook's key is the one used: one wrong bit fails the tag */
    c.flip = 1;
    assert_int_equal(decrypt(&enc, &hmac, &c, &produced), OTA_ERR_ENC_AUTH);
    /* the hook's error is the decryptor's */
    c.flip = 0;
    c.fail_with = OTA_ERR_ENC_BAD_HEADER;
    assert_int_equal(decrypt(&enc, &hmac, &c, &produced), OTA_ERR_ENC_BAD_HEADER);
    assert_int_equal(c.calls, 4);
    /* a server point off the curve */
    ota_enc_img_header_t h;
    assert_int_equal(ota_enc_img_header_parse(enc.data, &h), OTA_OK);
    h.key_field[10] ^= 0x40;
    uint8_t aes[32];
    assert_int_equal(ota_enc_img_ecies_aes_key(c.priv, &h, aes), OTA_ERR_ENC_BAD_HEADER);
    free(enc.data);
    free(plain.data);
    free(hmac.data);
}

/* Resume with the same decryptor (ota_enc_img_dec_restart): back to the image's start with the
 * key already derived (the hook is not called again), the plaintext prefix re-encrypted by
 * advance(), then the rest of the ciphertext: the tag of Espressif's image still matches and the
 * rest decrypts to Espressif's plaintext. A wrong prefix byte (a torn flash write) fails the tag. */
static int restart_run(const blob_t *enc, const blob_t *plain, const blob_t *hmac, hook_t *c, size_t cut,
                       bool flip)
{
    ota_enc_img_decryptor_t d;
    ota_enc_img_key_t k = {OTA_ENC_SCHEME_ECIES_P256, hmac->data, hmac->len};
    assert_int_equal(ota_enc_img_dec_init(&d, &k), OTA_OK);
    assert_int_equal(ota_enc_img_dec_set_derive(&d, hook, c), OTA_OK);
    uint8_t *out = malloc(enc->len + OTA_ENC_IMG_OUT_SLACK);
    /* not before the header is complete */
    assert_int_equal(ota_enc_img_dec_update(&d, enc->data, 200, out, OTA_ENC_IMG_OUT_SLACK), 0);
    assert_int_equal(ota_enc_img_dec_restart(&d), OTA_ERR_INVALID_STATE);
    int n = ota_enc_img_dec_update(&d, enc->data + 200, OTA_ENC_IMG_HEADER_SIZE - 200 + cut, out,
                                   cut + OTA_ENC_IMG_OUT_SLACK);
    assert_true(n >= 0);
    assert_int_equal(ota_enc_img_dec_restart(&d), OTA_OK);
    uint8_t *prefix = malloc(cut);
    memcpy(prefix, plain->data, cut);
    if (flip) {
        prefix[cut / 2] ^= 0x01;
    }
    /* in uneven pieces, as flash reads may come */
    size_t first = cut / 3;
    assert_int_equal(ota_enc_img_dec_advance(&d, prefix, first), OTA_OK);
    assert_int_equal(ota_enc_img_dec_advance(&d, prefix + first, cut - first), OTA_OK);
    size_t rest = enc->len - OTA_ENC_IMG_HEADER_SIZE - cut;
    n = ota_enc_img_dec_update(&d, enc->data + OTA_ENC_IMG_HEADER_SIZE + cut, rest, out,
                               rest + OTA_ENC_IMG_OUT_SLACK);
    assert_true(n >= 0);
    int tail = ota_enc_img_dec_finish(&d, out + n);
    if (tail >= 0) {
        assert_int_equal((size_t)n + (size_t)tail, plain->len - cut);
        assert_memory_equal(out, plain->data + cut, plain->len - cut);
        /* finished: the key is gone, no restart */
        assert_int_equal(ota_enc_img_dec_restart(&d), OTA_ERR_INVALID_STATE);
    }
    ota_enc_img_dec_abort(&d);
    free(prefix);
    free(out);
    return tail < 0 ? tail : OTA_OK;
}

static void test_restart(void **state)
{
    (void)state;
    blob_t enc = load("app_esp32c6.enc_ecc.bin"), plain = load("app_esp32c6.bin");
    blob_t hmac = load("enc_ecc_device_hmac_key.bin");
    hook_t c = {0};
    assert_int_equal(ota_enc_img_ecies_device_key(hmac.data, hmac.len, c.priv), OTA_OK);
    assert_true(plain.len > 4096 + 1000);
    assert_int_equal(restart_run(&enc, &plain, &hmac, &c, 4096, false), OTA_OK);
    assert_int_equal(c.calls, 1); /* restart kept the derived key */
    assert_int_equal(restart_run(&enc, &plain, &hmac, &c, 1000, false), OTA_OK); /* mid-block cut */
    assert_int_equal(restart_run(&enc, &plain, &hmac, &c, 4096, true), OTA_ERR_ENC_AUTH);
    assert_int_equal(c.calls, 3);
    free(enc.data);
    free(plain.data);
    free(hmac.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_hook),
        cmocka_unit_test(test_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
