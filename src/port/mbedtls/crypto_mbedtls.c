/* ota_crypto.h on Mbed TLS (the microcontroller backend; ESP-IDF ships Mbed TLS). Built on the
 * host into a test of its own so both backends are checked with the same vectors. CRC-32 comes
 * from the platform (ROM on ESP32, zlib on the host), see crc32_zlib.c. */
#include "ota/port/ota_crypto.h"

#include <string.h>

#include <mbedtls/md5.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/version.h>

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((ota_sha256_ctx_t *)0)->opaque),
               "ota_sha256_ctx_t too small for mbedtls_sha256_context");
_Static_assert(sizeof(mbedtls_md5_context) <= sizeof(((ota_md5_ctx_t *)0)->opaque),
               "ota_md5_ctx_t too small for mbedtls_md5_context");
_Static_assert(sizeof(mbedtls_sha512_context) <= sizeof(((ota_sha384_ctx_t *)0)->opaque),
               "ota_sha384_ctx_t too small for mbedtls_sha512_context");

/* Mbed TLS 2.x names the error-returning calls *_ret; 3.x dropped the suffix. */
#if MBEDTLS_VERSION_MAJOR >= 3
#define SHA256_STARTS  mbedtls_sha256_starts
#define SHA256_UPDATE  mbedtls_sha256_update
#define SHA256_FINISH  mbedtls_sha256_finish
#define SHA256_ONESHOT mbedtls_sha256
#define MD5_ONESHOT    mbedtls_md5
#define MD5_STARTS     mbedtls_md5_starts
#define MD5_UPDATE     mbedtls_md5_update
#define MD5_FINISH     mbedtls_md5_finish
#define SHA512_STARTS  mbedtls_sha512_starts
#define SHA512_UPDATE  mbedtls_sha512_update
#define SHA512_FINISH  mbedtls_sha512_finish
#define SHA512_ONESHOT mbedtls_sha512
#else
#define SHA256_STARTS  mbedtls_sha256_starts_ret
#define SHA256_UPDATE  mbedtls_sha256_update_ret
#define SHA256_FINISH  mbedtls_sha256_finish_ret
#define SHA256_ONESHOT mbedtls_sha256_ret
#define MD5_ONESHOT    mbedtls_md5_ret
#define MD5_STARTS     mbedtls_md5_starts_ret
#define MD5_UPDATE     mbedtls_md5_update_ret
#define MD5_FINISH     mbedtls_md5_finish_ret
#define SHA512_STARTS  mbedtls_sha512_starts_ret
#define SHA512_UPDATE  mbedtls_sha512_update_ret
#define SHA512_FINISH  mbedtls_sha512_finish_ret
#define SHA512_ONESHOT mbedtls_sha512_ret
#endif

static mbedtls_sha256_context *state(ota_sha256_ctx_t *ctx)
{
    return (mbedtls_sha256_context *)(void *)ctx->opaque;
}

void ota_sha256_init(ota_sha256_ctx_t *ctx)
{
    mbedtls_sha256_init(state(ctx));
    (void)SHA256_STARTS(state(ctx), 0);
}

void ota_sha256_update(ota_sha256_ctx_t *ctx, const void *data, size_t len)
{
    (void)SHA256_UPDATE(state(ctx), data, len);
}

void ota_sha256_final(ota_sha256_ctx_t *ctx, uint8_t out[OTA_SHA256_LEN])
{
    (void)SHA256_FINISH(state(ctx), out);
    mbedtls_sha256_free(state(ctx));
}

void ota_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN])
{
    (void)SHA256_ONESHOT(data, len, out, 0);
}

static mbedtls_sha512_context *state384(ota_sha384_ctx_t *ctx)
{
    return (mbedtls_sha512_context *)(void *)ctx->opaque;
}

void ota_sha384_init(ota_sha384_ctx_t *ctx)
{
    mbedtls_sha512_init(state384(ctx));
    (void)SHA512_STARTS(state384(ctx), 1);
}

void ota_sha384_update(ota_sha384_ctx_t *ctx, const void *data, size_t len)
{
    (void)SHA512_UPDATE(state384(ctx), data, len);
}

void ota_sha384_final(ota_sha384_ctx_t *ctx, uint8_t out[OTA_SHA384_LEN])
{
    uint8_t full[64];
    (void)SHA512_FINISH(state384(ctx), full);
    memcpy(out, full, OTA_SHA384_LEN);
    mbedtls_sha512_free(state384(ctx));
}

void ota_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN])
{
    uint8_t full[64];
    (void)SHA512_ONESHOT(data, len, full, 1);
    memcpy(out, full, OTA_SHA384_LEN);
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    (void)MD5_ONESHOT(data, len, out);
}

static mbedtls_md5_context *state_md5(ota_md5_ctx_t *ctx)
{
    return (mbedtls_md5_context *)(void *)ctx->opaque;
}

void ota_md5_init(ota_md5_ctx_t *ctx)
{
    mbedtls_md5_init(state_md5(ctx));
    (void)MD5_STARTS(state_md5(ctx));
}

void ota_md5_update(ota_md5_ctx_t *ctx, const void *data, size_t len)
{
    (void)MD5_UPDATE(state_md5(ctx), data, len);
}

void ota_md5_final(ota_md5_ctx_t *ctx, uint8_t out[OTA_MD5_LEN])
{
    (void)MD5_FINISH(state_md5(ctx), out);
    mbedtls_md5_free(state_md5(ctx));
}

const char *ota_crypto_backend(void)
{
    return "Mbed TLS " MBEDTLS_VERSION_STRING;
}
