/* The public-key and AES-GCM half of ota_crypto.h for a build whose Mbed TLS holds hash modules only
 * (the bare-metal firmware of examples/mcu_ota and the 32-bit unit tests: Mbed TLS compiled from
 * Debian's source with SHA-256/SHA-512/MD5, see their mbedtls_config.h). Such a port cannot check
 * a Secure Boot V2 signature nor decrypt an esp_encrypted_img image, so every operation fails
 * closed with OTA_ERR_NOT_SUPPORTED: a device configured to require signatures refuses every
 * update and the bootloader refuses to boot an app it cannot verify - never the other way round.
 * A port that needs them links crypto_mbedtls_pk.c with Mbed TLS's bignum/RSA/ECP/GCM modules. */
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

int ota_rsa_pss_verify_sha256(const uint8_t *n, size_t n_len, uint32_t e, const uint8_t hash[OTA_SHA256_LEN],
                              const uint8_t *sig, size_t sig_len)
{
    (void)n, (void)n_len, (void)e, (void)hash, (void)sig, (void)sig_len;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_ecdsa_verify(ota_ec_curve_t curve, const uint8_t *x, const uint8_t *y, const uint8_t *hash,
                     size_t hash_len, const uint8_t *r, const uint8_t *s)
{
    (void)curve, (void)x, (void)y, (void)hash, (void)hash_len, (void)r, (void)s;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_init(ota_aes_gcm_ctx_t *ctx, int encrypt, const uint8_t key[OTA_AES256_KEY_LEN],
                     const uint8_t *iv, size_t iv_len)
{
    (void)encrypt, (void)key, (void)iv, (void)iv_len;
    if (ctx != NULL) {
        memset(ctx, 0, sizeof *ctx);
    }
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out)
{
    (void)ctx, (void)in, (void)len, (void)out;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN])
{
    (void)ctx, (void)out, (void)tag;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN])
{
    (void)ctx, (void)out, (void)tag;
    return OTA_ERR_NOT_SUPPORTED;
}

void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx)
{
    (void)ctx;
}

int ota_rsa_pkcs1_decrypt_pem(const char *pem, size_t pem_len, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    (void)pem, (void)pem_len, (void)in, (void)in_len, (void)out, (void)out_cap;
    if (out_len != NULL) {
        *out_len = 0;
    }
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len)
{
    (void)password, (void)password_len, (void)salt, (void)salt_len, (void)iterations, (void)out,
        (void)out_len;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    (void)ikm, (void)ikm_len, (void)salt, (void)salt_len, (void)info, (void)info_len, (void)out,
        (void)out_len;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_ecdh_p256(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
                  uint8_t secret[32])
{
    (void)priv, (void)peer_x, (void)peer_y, (void)secret;
    return OTA_ERR_NOT_SUPPORTED;
}

int ota_ec_p256_public(const uint8_t priv[32], uint8_t x[32], uint8_t y[32])
{
    (void)priv, (void)x, (void)y;
    return OTA_ERR_NOT_SUPPORTED;
}
