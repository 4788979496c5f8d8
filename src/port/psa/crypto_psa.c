/* ota_crypto.h on PSA Crypto (ESP-IDF 6 ships Mbed TLS 4 / TF-PSA-Crypto, where PSA is the crypto
 * API and ESP-IDF routes it to the SHA/AES/MPI accelerators): digests and the backend name.
 * Runs on the host against Mbed TLS 2.28's PSA implementation (tests/unit/port and tests/unit/secure, *_psa tests).
 * CRC-32 comes from the platform (ROM on ESP32, zlib on the host), as for the Mbed TLS backend. */
#include "ota/port/ota_crypto.h"

#include <string.h>

#include "crypto_psa_internal.h"
#include "ota/ota_err.h"

/* The core keeps hash states in fixed blocks and copies them by assignment to take a digest of
 * the bytes so far (app_image_validator.c, app_proc.c, data_proc.c). A psa_hash_operation_t of
 * the built-in implementation holds no pointers, so a copy is a valid clone; PSA's API proper for
 * this is psa_hash_clone(). With a hardware SHA driver (ESP-IDF's, not available here) that is an
 * assumption this project could not check. */
_Static_assert(sizeof(psa_hash_operation_t) <= sizeof(((ota_sha256_ctx_t *)0)->opaque),
               "ota_sha256_ctx_t too small for psa_hash_operation_t");
_Static_assert(sizeof(psa_hash_operation_t) <= sizeof(((ota_sha384_ctx_t *)0)->opaque),
               "ota_sha384_ctx_t too small for psa_hash_operation_t");
_Static_assert(sizeof(psa_hash_operation_t) <= sizeof(((ota_md5_ctx_t *)0)->opaque),
               "ota_md5_ctx_t too small for psa_hash_operation_t");
_Static_assert(_Alignof(psa_hash_operation_t) <= 8, "hash context alignment");

int ota_psa_ready(void)
{
    return psa_crypto_init() == PSA_SUCCESS ? OTA_OK : OTA_ERR_CRYPTO;
}

int ota_psa_err(psa_status_t st)
{
    switch (st) {
    case PSA_SUCCESS: return OTA_OK;
    case PSA_ERROR_INSUFFICIENT_MEMORY: return OTA_ERR_NO_MEM;
    case PSA_ERROR_NOT_SUPPORTED: return OTA_ERR_NOT_SUPPORTED;
    default: return OTA_ERR_CRYPTO;
    }
}

psa_status_t ota_psa_import(psa_key_type_t type, size_t bits, psa_key_usage_t usage, psa_algorithm_t alg,
                            const uint8_t *data, size_t len, psa_key_id_t *id)
{
    psa_key_attributes_t attr = PSA_KEY_ATTRIBUTES_INIT;
    psa_set_key_type(&attr, type);
    psa_set_key_bits(&attr, bits);
    psa_set_key_usage_flags(&attr, usage);
    psa_set_key_algorithm(&attr, alg);
    psa_status_t st = psa_import_key(&attr, data, len, id);
    psa_reset_key_attributes(&attr);
    return st;
}

void ota_psa_wipe(void *p, size_t len)
{
    volatile unsigned char *v = p;
    while (len-- > 0) {
        *v++ = 0;
    }
}

/* Hashing has no error return in ota_crypto.h (the other backends' cannot fail either). If PSA
 * could not start, the operation stays inactive: update is ignored and finish fails, so the
 * digest is left as all zeros, which matches no image, and the check that uses it fails closed. */
static void hash_setup(psa_hash_operation_t *op, psa_algorithm_t alg)
{
    *op = psa_hash_operation_init();
    if (ota_psa_ready() == OTA_OK) {
        (void)psa_hash_setup(op, alg);
    }
}

static void hash_finish(psa_hash_operation_t *op, uint8_t *out, size_t len)
{
    size_t n = 0;
    if (psa_hash_finish(op, out, len, &n) != PSA_SUCCESS || n != len) {
        memset(out, 0, len);
        (void)psa_hash_abort(op);
    }
}

static void hash_once(psa_algorithm_t alg, const void *data, size_t len, uint8_t *out, size_t out_len)
{
    size_t n = 0;
    if (ota_psa_ready() != OTA_OK || psa_hash_compute(alg, data, len, out, out_len, &n) != PSA_SUCCESS ||
        n != out_len) {
        memset(out, 0, out_len);
    }
}

static psa_hash_operation_t *op256(ota_sha256_ctx_t *ctx)
{
    return (psa_hash_operation_t *)(void *)ctx->opaque;
}

static psa_hash_operation_t *op384(ota_sha384_ctx_t *ctx)
{
    return (psa_hash_operation_t *)(void *)ctx->opaque;
}

void ota_sha256_init(ota_sha256_ctx_t *ctx)
{
    hash_setup(op256(ctx), PSA_ALG_SHA_256);
}

void ota_sha256_update(ota_sha256_ctx_t *ctx, const void *data, size_t len)
{
    (void)psa_hash_update(op256(ctx), data, len);
}

void ota_sha256_final(ota_sha256_ctx_t *ctx, uint8_t out[OTA_SHA256_LEN])
{
    hash_finish(op256(ctx), out, OTA_SHA256_LEN);
}

void ota_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN])
{
    hash_once(PSA_ALG_SHA_256, data, len, out, OTA_SHA256_LEN);
}

void ota_sha384_init(ota_sha384_ctx_t *ctx)
{
    hash_setup(op384(ctx), PSA_ALG_SHA_384);
}

void ota_sha384_update(ota_sha384_ctx_t *ctx, const void *data, size_t len)
{
    (void)psa_hash_update(op384(ctx), data, len);
}

void ota_sha384_final(ota_sha384_ctx_t *ctx, uint8_t out[OTA_SHA384_LEN])
{
    hash_finish(op384(ctx), out, OTA_SHA384_LEN);
}

void ota_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN])
{
    hash_once(PSA_ALG_SHA_384, data, len, out, OTA_SHA384_LEN);
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    /* the partition table's MD5 entry; ESP-IDF 6 keeps PSA_WANT_ALG_MD5 for it */
    hash_once(PSA_ALG_MD5, data, len, out, OTA_MD5_LEN);
}

static psa_hash_operation_t *op_md5(ota_md5_ctx_t *ctx)
{
    return (psa_hash_operation_t *)(void *)ctx->opaque;
}

void ota_md5_init(ota_md5_ctx_t *ctx)
{
    hash_setup(op_md5(ctx), PSA_ALG_MD5);
}

void ota_md5_update(ota_md5_ctx_t *ctx, const void *data, size_t len)
{
    (void)psa_hash_update(op_md5(ctx), data, len);
}

void ota_md5_final(ota_md5_ctx_t *ctx, uint8_t out[OTA_MD5_LEN])
{
    hash_finish(op_md5(ctx), out, OTA_MD5_LEN);
}

const char *ota_crypto_backend(void)
{
    return "PSA Crypto (" OTA_PSA_IMPL_NAME ")";
}
