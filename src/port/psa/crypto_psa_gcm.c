/* ota_crypto.h on PSA Crypto: AES-256-GCM, streaming (esp_encrypted_img), on PSA's multi-part AEAD
 * operation. Mbed TLS 2.28 declares that API but does not implement it: built there, these
 * functions return OTA_ERR_NOT_SUPPORTED (decryption fails closed) and the decryption tests of the
 * PSA backend do not run on the host (tests/unit/port/CMakeLists.txt says so). */
#include <string.h>

#include "crypto_psa_internal.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

#if OTA_PSA_HAS_MULTIPART_AEAD

typedef struct {
    psa_aead_operation_t op;
    psa_key_id_t key;
    int encrypt;
    int active;
} gcm_state_t;

_Static_assert(sizeof(gcm_state_t) <= sizeof(((ota_aes_gcm_ctx_t *)0)->opaque),
               "ota_aes_gcm_ctx_t too small");
_Static_assert(_Alignof(gcm_state_t) <= 16, "GCM context alignment");

static gcm_state_t *gcm(ota_aes_gcm_ctx_t *ctx)
{
    return (gcm_state_t *)(void *)ctx->opaque;
}

int ota_aes_gcm_init(ota_aes_gcm_ctx_t *ctx, int encrypt, const uint8_t key[OTA_AES256_KEY_LEN],
                     const uint8_t *iv, size_t iv_len)
{
    if (ctx == NULL || key == NULL || iv == NULL || iv_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(ctx, 0, sizeof *ctx);
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    gcm_state_t *st = gcm(ctx);
    st->op = psa_aead_operation_init();
    st->encrypt = encrypt ? 1 : 0;
    psa_status_t s =
        ota_psa_import(PSA_KEY_TYPE_AES, 256, st->encrypt ? PSA_KEY_USAGE_ENCRYPT : PSA_KEY_USAGE_DECRYPT,
                       PSA_ALG_GCM, key, OTA_AES256_KEY_LEN, &st->key);
    if (s != PSA_SUCCESS) {
        return ota_psa_err(s);
    }
    st->active = 1;
    s = st->encrypt ? psa_aead_encrypt_setup(&st->op, st->key, PSA_ALG_GCM)
                    : psa_aead_decrypt_setup(&st->op, st->key, PSA_ALG_GCM);
    if (s == PSA_SUCCESS) {
        /* GCM takes any nonce length (a 16-byte one goes through GHASH, as in esp_encrypted_img) */
        s = psa_aead_set_nonce(&st->op, iv, iv_len);
    }
    if (s != PSA_SUCCESS) {
        ota_aes_gcm_free(ctx);
        return ota_psa_err(s);
    }
    return OTA_OK;
}

int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active) {
        return OTA_ERR_INVALID_STATE;
    }
    if (len == 0) {
        return 0;
    }
    size_t n = 0;
    /* the caller's buffer has len + 15 bytes (ota_crypto.h); an implementation may hold back a
     * partial block, which the contract allows */
    psa_status_t s = psa_aead_update(&st->op, in, len, out, len + 15, &n);
    return s == PSA_SUCCESS ? (int)n : ota_psa_err(s);
}

int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active || st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    uint8_t tail[PSA_AEAD_VERIFY_OUTPUT_MAX_SIZE > 16 ? PSA_AEAD_VERIFY_OUTPUT_MAX_SIZE : 16];
    size_t n = 0;
    psa_status_t s = psa_aead_verify(&st->op, tail, sizeof tail, &n, tag, OTA_GCM_TAG_LEN);
    int rc;
    if (s == PSA_ERROR_INVALID_SIGNATURE) {
        rc = OTA_ERR_ENC_AUTH;
    } else if (s != PSA_SUCCESS || n > 15) {
        rc = s == PSA_SUCCESS ? OTA_ERR_CRYPTO : ota_psa_err(s);
    } else {
        memcpy(out, tail, n);
        rc = (int)n;
    }
    ota_psa_wipe(tail, sizeof tail);
    ota_aes_gcm_free(ctx);
    return rc;
}

int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    gcm_state_t *st = gcm(ctx);
    if (!st->active || !st->encrypt) {
        return OTA_ERR_INVALID_STATE;
    }
    uint8_t tail[PSA_AEAD_FINISH_OUTPUT_MAX_SIZE > 16 ? PSA_AEAD_FINISH_OUTPUT_MAX_SIZE : 16];
    size_t n = 0, tag_len = 0;
    psa_status_t s = psa_aead_finish(&st->op, tail, sizeof tail, &n, tag, OTA_GCM_TAG_LEN, &tag_len);
    int rc;
    if (s != PSA_SUCCESS || n > 15 || tag_len != OTA_GCM_TAG_LEN) {
        rc = s == PSA_SUCCESS ? OTA_ERR_CRYPTO : ota_psa_err(s);
    } else {
        memcpy(out, tail, n);
        rc = (int)n;
    }
    ota_aes_gcm_free(ctx);
    return rc;
}

void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx)
{
    if (ctx != NULL && gcm(ctx)->active) {
        (void)psa_aead_abort(&gcm(ctx)->op);
        (void)psa_destroy_key(gcm(ctx)->key);
        ota_psa_wipe(ctx, sizeof *ctx);
    }
}

#else /* no multi-part AEAD in this PSA implementation */

int ota_aes_gcm_init(ota_aes_gcm_ctx_t *ctx, int encrypt, const uint8_t key[OTA_AES256_KEY_LEN],
                     const uint8_t *iv, size_t iv_len)
{
    (void)encrypt;
    if (ctx == NULL || key == NULL || iv == NULL || iv_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(ctx, 0, sizeof *ctx);
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
    (void)ctx;
    (void)in;
    (void)len;
    (void)out;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN])
{
    (void)ctx;
    (void)out;
    (void)tag;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    (void)ctx;
    (void)out;
    (void)tag;
    return OTA_ERR_NOT_SUPPORTED;
}

void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx)
{
    (void)ctx;
}

#endif
