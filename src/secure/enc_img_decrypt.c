/* Streaming decryption of esp_encrypted_img images; design and resume: ota_enc_img_decrypt.h. */
#include "ota/ota_enc_img_decrypt.h"

#include <string.h>

#include "ota/ota_err.h"

const uint8_t OTA_ENC_IMG_ECIES_PBKDF2_SALT[32] = {
    0x0e, 0x21, 0x60, 0x64, 0x2d, 0xae, 0x76, 0xd3, 0x34, 0x48, 0xe4, 0x3d, 0x77, 0x20, 0x12, 0x3d,
    0x9f, 0x3b, 0x1e, 0xce, 0xb8, 0x8e, 0x57, 0x3a, 0x4e, 0x8f, 0x7f, 0xb9, 0x4f, 0xf0, 0xc8, 0x69,
};

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--) {
        *v++ = 0;
    }
}

int ota_enc_img_ecies_device_key(const uint8_t *hmac_key, size_t len, uint8_t priv[32])
{
    return ota_pbkdf2_hmac_sha256(hmac_key, len, OTA_ENC_IMG_ECIES_PBKDF2_SALT,
                                  sizeof OTA_ENC_IMG_ECIES_PBKDF2_SALT, OTA_ENC_IMG_ECIES_PBKDF2_ITERATIONS,
                                  priv, 32);
}

int ota_enc_img_derive_key(const ota_enc_img_key_t *key, const ota_enc_img_header_t *h, uint8_t aes_key[32])
{
    if (key == NULL || h == NULL || aes_key == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (key->scheme == OTA_ENC_SCHEME_RSA3072) {
        uint8_t out[64];
        size_t n = 0;
        int err = ota_rsa_pkcs1_decrypt_pem((const char *)key->data, key->len, h->key_field,
                                            OTA_ENC_IMG_KEY_FIELD_SIZE, out, sizeof out, &n);
        if (err == OTA_ERR_BUFFER_TOO_SMALL || (err == OTA_OK && n != 32)) {
            err = OTA_ERR_ENC_WRONG_KEY; /* decrypted, but not a 32-byte AES key: not ours */
        }
        if (err == OTA_OK) {
            memcpy(aes_key, out, 32);
        }
        wipe(out, sizeof out);
        return err;
    }
    if (key->scheme != OTA_ENC_SCHEME_ECIES_P256) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t priv[32];
    int err = ota_enc_img_ecies_device_key(key->data, key->len, priv);
    if (err == OTA_OK) {
        err = ota_enc_img_ecies_aes_key(priv, h, aes_key);
    }
    wipe(priv, sizeof priv);
    return err;
}

int ota_enc_img_ecies_aes_key(const uint8_t priv[32], const ota_enc_img_header_t *h, uint8_t aes_key[32])
{
    if (priv == NULL || h == NULL || aes_key == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    uint8_t secret[32];
    int err = ota_ecdh_p256(priv, h->key_field, h->key_field + 32, secret);
    if (err == OTA_ERR_INVALID_ARG) {
        err = OTA_ERR_ENC_BAD_HEADER; /* the server point is not on the curve */
    }
    if (err == OTA_OK) {
        static const char info[] = OTA_ENC_IMG_ECIES_HKDF_INFO;
        err =
            ota_hkdf_sha256(secret, sizeof secret, h->key_field + OTA_ENC_IMG_ECIES_POINT_SIZE,
                            OTA_ENC_IMG_ECIES_SALT_SIZE, (const uint8_t *)info, sizeof info - 1, aes_key, 32);
    }
    wipe(secret, sizeof secret);
    return err;
}

int ota_enc_img_dec_init(ota_enc_img_decryptor_t *d, const ota_enc_img_key_t *key)
{
    if (d == NULL || key == NULL || key->data == NULL || key->len == 0 ||
        (key->scheme != OTA_ENC_SCHEME_RSA3072 && key->scheme != OTA_ENC_SCHEME_ECIES_P256) ||
        (key->scheme == OTA_ENC_SCHEME_ECIES_P256 && key->len != 32)) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(d, 0, sizeof *d);
    d->key = *key;
    return OTA_OK;
}

int ota_enc_img_dec_set_derive(ota_enc_img_decryptor_t *d, ota_enc_img_derive_fn fn, void *ctx)
{
    if (d == NULL || d->header_have == OTA_ENC_IMG_HEADER_SIZE || d->err != OTA_OK) {
        return OTA_ERR_INVALID_STATE; /* the key is derived when the header completes */
    }
    d->derive = fn;
    d->derive_ctx = ctx;
    return OTA_OK;
}

bool ota_enc_img_dec_header_done(const ota_enc_img_decryptor_t *d)
{
    return d->keyed;
}

static int fail(ota_enc_img_decryptor_t *d, int err)
{
    d->err = err;
    ota_enc_img_dec_abort(d);
    return err;
}

/* GCM for decrypting and, for advance(), the same key stream for re-encrypting known plaintext. */
static int start_gcm(ota_enc_img_decryptor_t *d)
{
    int err = ota_aes_gcm_init(&d->gcm, 0, d->aes_key, d->iv, OTA_ENC_IMG_IV_SIZE);
    d->gcm_live = err == OTA_OK;
    if (err == OTA_OK) {
        err = ota_aes_gcm_init(&d->adv, 1, d->aes_key, d->iv, OTA_ENC_IMG_IV_SIZE);
        d->adv_live = err == OTA_OK;
    }
    return err;
}

/* The header is complete: parse it, derive the key, start GCM. */
static int start(ota_enc_img_decryptor_t *d)
{
    /* parsed on the stack: the key field is needed only here (header_raw becomes adv below) */
    ota_enc_img_header_t h;
    int err = ota_enc_img_header_parse(d->header_raw, &h);
    if (err == OTA_OK) {
        err = d->derive != NULL ? d->derive(d->derive_ctx, &d->key, &h, d->aes_key)
                                : ota_enc_img_derive_key(&d->key, &h, d->aes_key);
    }
    if (err == OTA_OK) {
        memcpy(d->iv, h.iv, sizeof d->iv);
        memcpy(d->tag, h.tag, sizeof d->tag);
        d->image_len = h.image_len;
        err = start_gcm(d);
    }
    d->keyed = err == OTA_OK;
    return err == OTA_OK ? OTA_OK : fail(d, err);
}

int ota_enc_img_dec_restart(ota_enc_img_decryptor_t *d)
{
    if (d->err != OTA_OK) {
        return d->err;
    }
    if (!d->keyed || !d->gcm_live) {
        return OTA_ERR_INVALID_STATE; /* header incomplete, or finished / aborted (key wiped) */
    }
    if (d->adv_live) {
        ota_aes_gcm_free(&d->adv);
        d->adv_live = false;
    }
    ota_aes_gcm_free(&d->gcm);
    d->gcm_live = false;
    d->consumed = d->produced = 0;
    d->discard = 0;
    int err = start_gcm(d);
    return err == OTA_OK ? OTA_OK : fail(d, err);
}

/* The first ciphertext after advance(): flush the re-encryption's partial block into GCM. */
static int end_advance(ota_enc_img_decryptor_t *d)
{
    if (!d->adv_live) {
        return OTA_OK;
    }
    uint8_t tail[OTA_ENC_IMG_OUT_SLACK], plain[2 * OTA_ENC_IMG_OUT_SLACK], tag[OTA_GCM_TAG_LEN];
    d->adv_live = false;
    int n = ota_aes_gcm_finish_encrypt(&d->adv, tail, tag);
    if (n < 0) {
        return fail(d, n);
    }
    if (n > 0) {
        int m = ota_aes_gcm_update(&d->gcm, tail, (size_t)n, plain);
        if (m < 0) {
            return fail(d, OTA_ERR_CRYPTO);
        }
        d->discard += (size_t)(n - m);
    }
    return OTA_OK;
}

/* Plaintext of advanced bytes that the backend released only now is not output again. */
static int drop_advanced(ota_enc_img_decryptor_t *d, uint8_t *out, int n)
{
    size_t drop = d->discard < (size_t)n ? d->discard : (size_t)n;
    if (drop > 0) {
        memmove(out, out + drop, (size_t)n - drop);
        d->discard -= drop;
    }
    return n - (int)drop;
}

int ota_enc_img_dec_update(ota_enc_img_decryptor_t *d, const uint8_t *in, size_t len, uint8_t *out,
                           size_t out_cap)
{
    if (d->err != OTA_OK) {
        return d->err;
    }
    if (d->header_have < OTA_ENC_IMG_HEADER_SIZE) {
        size_t take = OTA_ENC_IMG_HEADER_SIZE - d->header_have;
        take = take < len ? take : len;
        memcpy(d->header_raw + d->header_have, in, take);
        d->header_have += take;
        in += take;
        len -= take;
        if (d->header_have < OTA_ENC_IMG_HEADER_SIZE) {
            return 0;
        }
        int err = start(d);
        if (err != OTA_OK) {
            return err;
        }
    }
    if (len == 0) {
        return 0;
    }
    if (!d->gcm_live) {
        return fail(d, OTA_ERR_INVALID_STATE); /* after finish() */
    }
    if (end_advance(d) != OTA_OK) {
        return d->err;
    }
    if (d->consumed + len > d->image_len) {
        return fail(d, OTA_ERR_ENC_TRAILING);
    }
    if (out_cap < len + OTA_ENC_IMG_OUT_SLACK || len > INT32_MAX) {
        return fail(d, OTA_ERR_BUFFER_TOO_SMALL);
    }
    int n = ota_aes_gcm_update(&d->gcm, in, len, out);
    if (n < 0) {
        return fail(d, n);
    }
    d->consumed += len;
    n = drop_advanced(d, out, n);
    d->produced += (uint64_t)n;
    return n;
}

int ota_enc_img_dec_advance(ota_enc_img_decryptor_t *d, const uint8_t *plain, size_t len)
{
    if (d->err != OTA_OK) {
        return d->err;
    }
    if (!d->gcm_live || !d->adv_live) {
        return OTA_ERR_INVALID_STATE; /* header not complete, or ciphertext already fed */
    }
    if (d->consumed + len > d->image_len) {
        return fail(d, OTA_ERR_ENC_TRAILING);
    }
    uint8_t cipher[1024 + OTA_ENC_IMG_OUT_SLACK], scratch[1024 + 2 * OTA_ENC_IMG_OUT_SLACK];
    for (size_t off = 0; off < len;) {
        size_t n = len - off < 1024 ? len - off : 1024;
        int c = ota_aes_gcm_update(&d->adv, plain + off, n, cipher);
        int m = c > 0 ? ota_aes_gcm_update(&d->gcm, cipher, (size_t)c, scratch) : 0;
        if (c < 0 || m < 0) {
            return fail(d, OTA_ERR_CRYPTO);
        }
        d->discard += (size_t)(c - m); /* held back by the backend: comes out with the next bytes */
        off += n;
    }
    wipe(scratch, sizeof scratch);
    d->consumed += len;
    d->produced += len;
    return OTA_OK;
}

int ota_enc_img_dec_finish(ota_enc_img_decryptor_t *d, uint8_t *out)
{
    if (d->err != OTA_OK) {
        ota_enc_img_dec_abort(d);
        return d->err;
    }
    if (!d->gcm_live || d->consumed < d->image_len) {
        return fail(d, OTA_ERR_ENC_TRUNCATED);
    }
    if (end_advance(d) != OTA_OK) {
        return d->err;
    }
    d->gcm_live = false;
    wipe(d->aes_key, sizeof d->aes_key);
    int n = ota_aes_gcm_finish_decrypt(&d->gcm, out, d->tag);
    if (n < 0) {
        d->err = n;
        return n;
    }
    n = drop_advanced(d, out, n);
    d->produced += (uint64_t)n;
    return n;
}

void ota_enc_img_dec_abort(ota_enc_img_decryptor_t *d)
{
    wipe(d->aes_key, sizeof d->aes_key);
    if (d->gcm_live) {
        ota_aes_gcm_free(&d->gcm);
        d->gcm_live = false;
    }
    if (d->adv_live) {
        ota_aes_gcm_free(&d->adv);
        d->adv_live = false;
    }
}
