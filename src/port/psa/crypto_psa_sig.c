/* ota_crypto.h on PSA Crypto: Secure Boot V2 signature verification (RSA-PSS, ECDSA P-256/P-384).
 * The keys arrive as raw numbers from the signature block; PSA imports an RSA public key as the
 * DER RSAPublicKey and an EC public key as the uncompressed point, both built by the core's key
 * encodings (src/formats/key_der.c). */
#include <string.h>

#include "crypto_psa_internal.h"
#include "formats/key_der.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

/* Largest RSA modulus accepted: 4096 bits, PSA_VENDOR_RSA_MAX_KEY_BITS of Mbed TLS. */
#define RSA_MAX_N 512

int ota_rsa_pss_verify_sha256(const uint8_t *n, size_t n_len, uint32_t e, const uint8_t hash[OTA_SHA256_LEN],
                              const uint8_t *sig, size_t sig_len)
{
    if (n == NULL || n_len == 0 || hash == NULL || sig == NULL || sig_len != n_len) {
        return OTA_ERR_INVALID_ARG;
    }
    if (n_len > RSA_MAX_N || ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    uint8_t der[RSA_MAX_N + 32];
    size_t der_size = ota_der_rsa_public(der, sizeof der, n, n_len, e);
    if (der_size == 0) {
        return OTA_ERR_CRYPTO;
    }
    /* PSA_ALG_RSA_PSS: salt length = hash length (32), what espsecure signs with. TF-PSA-Crypto
     * checks that salt length; Mbed TLS 2.28's PSA accepts any salt length here (it verifies
     * through mbedtls_rsa_rsassa_pss_verify, salt MBEDTLS_RSA_SALT_LEN_ANY). */
    const psa_algorithm_t alg = PSA_ALG_RSA_PSS(PSA_ALG_SHA_256);
    psa_key_id_t key = 0;
    psa_status_t st =
        ota_psa_import(PSA_KEY_TYPE_RSA_PUBLIC_KEY, 0, PSA_KEY_USAGE_VERIFY_HASH, alg, der, der_size, &key);
    if (st != PSA_SUCCESS) {
        return st == PSA_ERROR_INSUFFICIENT_MEMORY ? OTA_ERR_NO_MEM : OTA_ERR_CRYPTO;
    }
    st = psa_verify_hash(key, alg, hash, OTA_SHA256_LEN, sig, sig_len);
    (void)psa_destroy_key(key);
    /* every failure of the public operation on a well-formed key is a bad signature */
    if (st == PSA_ERROR_INSUFFICIENT_MEMORY) {
        return OTA_ERR_NO_MEM;
    }
    return st == PSA_SUCCESS ? OTA_OK : OTA_ERR_SIG_INVALID;
}

int ota_ecdsa_verify(ota_ec_curve_t curve, const uint8_t *x, const uint8_t *y, const uint8_t *hash,
                     size_t hash_len, const uint8_t *r, const uint8_t *s)
{
    size_t c = ota_ec_coord_len(curve);
    if (c == 0 || x == NULL || y == NULL || hash == NULL || r == NULL || s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    uint8_t point[OTA_EC_POINT_MAX];
    size_t point_len = ota_ec_point_uncompressed(point, x, y, c);
    /* PSA_ALG_ECDSA_ANY: the hash is signed as it is (ESP-IDF signs the image digest as a
     * pre-hashed value), whatever its length. */
    psa_key_id_t key = 0;
    psa_status_t st = ota_psa_import(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), c * 8,
                                     PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA_ANY, point, point_len, &key);
    if (st == PSA_ERROR_INSUFFICIENT_MEMORY) {
        return OTA_ERR_NO_MEM;
    }
    if (st != PSA_SUCCESS) {
        return st == PSA_ERROR_INVALID_ARGUMENT ? OTA_ERR_SIG_INVALID /* not a point of the curve */
                                                : OTA_ERR_CRYPTO;
    }
    uint8_t sig[2 * 48];
    memcpy(sig, r, c);
    memcpy(sig + c, s, c);
    st = psa_verify_hash(key, PSA_ALG_ECDSA_ANY, hash, hash_len, sig, 2 * c);
    (void)psa_destroy_key(key);
    if (st == PSA_ERROR_INSUFFICIENT_MEMORY) {
        return OTA_ERR_NO_MEM;
    }
    return st == PSA_SUCCESS ? OTA_OK : OTA_ERR_SIG_INVALID;
}
