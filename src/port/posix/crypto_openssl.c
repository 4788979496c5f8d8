/* ota_crypto.h on OpenSSL libcrypto. ota_crc32_le is zlib's, in src/port/mbedtls/crc32_zlib.c: one
 * file for both host backends (the library links it beside this one).
 *
 * The low-level SHA256_* calls are deprecated in OpenSSL 3 in favour of EVP, but EVP allocates a
 * context per digest and adds a method dispatch per update; the low-level state is a plain struct
 * we can embed, and it runs the same SHA-NI/AVX2 block function. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "ota/port/ota_crypto.h"

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/opensslv.h>
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((ota_sha256_ctx_t *)0)->opaque),
               "ota_sha256_ctx_t too small for SHA256_CTX");
_Static_assert(sizeof(MD5_CTX) <= sizeof(((ota_md5_ctx_t *)0)->opaque),
               "ota_md5_ctx_t too small for MD5_CTX");
_Static_assert(sizeof(SHA512_CTX) <= sizeof(((ota_sha384_ctx_t *)0)->opaque),
               "ota_sha384_ctx_t too small for SHA512_CTX");

void ota_sha256_init(ota_sha256_ctx_t *ctx)
{
    SHA256_Init((SHA256_CTX *)ctx->opaque);
}

void ota_sha256_update(ota_sha256_ctx_t *ctx, const void *data, size_t len)
{
    SHA256_Update((SHA256_CTX *)ctx->opaque, data, len);
}

void ota_sha256_final(ota_sha256_ctx_t *ctx, uint8_t out[OTA_SHA256_LEN])
{
    SHA256_Final(out, (SHA256_CTX *)ctx->opaque);
}

void ota_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN])
{
    SHA256(data, len, out);
}

void ota_sha384_init(ota_sha384_ctx_t *ctx)
{
    SHA384_Init((SHA512_CTX *)ctx->opaque);
}

void ota_sha384_update(ota_sha384_ctx_t *ctx, const void *data, size_t len)
{
    SHA384_Update((SHA512_CTX *)ctx->opaque, data, len);
}

void ota_sha384_final(ota_sha384_ctx_t *ctx, uint8_t out[OTA_SHA384_LEN])
{
    SHA384_Final(out, (SHA512_CTX *)ctx->opaque);
}

void ota_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN])
{
    SHA384(data, len, out);
}

void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN])
{
    MD5(data, len, out);
}

void ota_md5_init(ota_md5_ctx_t *ctx)
{
    MD5_Init((MD5_CTX *)ctx->opaque);
}

void ota_md5_update(ota_md5_ctx_t *ctx, const void *data, size_t len)
{
    MD5_Update((MD5_CTX *)ctx->opaque, data, len);
}

void ota_md5_final(ota_md5_ctx_t *ctx, uint8_t out[OTA_MD5_LEN])
{
    MD5_Final(out, (MD5_CTX *)ctx->opaque);
}

const char *ota_crypto_backend(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}
