/* ota_crypto.h on PSA Crypto: Secure Boot V2 signature verification (RSA-PSS, ECDSA P-256/P-384).
 * The keys arrive as raw numbers from the signature block; PSA imports an RSA public key as the
 * DER RSAPublicKey and an EC public key as the uncompressed point, so both are built here. */
#include <string.h>

#include "crypto_psa_internal.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

/* Largest RSA modulus accepted: 4096 bits, PSA_VENDOR_RSA_MAX_KEY_BITS of Mbed TLS. */
#define RSA_MAX_N 512

/* DER length field; returns its size. */
static size_t der_len(uint8_t *p, size_t len)
{
    if (len < 0x80) {
        p[0] = (uint8_t)len;
        return 1;
    }
    if (len < 0x100) {
        p[0] = 0x81;
        p[1] = (uint8_t)len;
        return 2;
    }
    p[0] = 0x82;
    p[1] = (uint8_t)(len >> 8);
    p[2] = (uint8_t)len;
    return 3;
}

/* DER INTEGER of the unsigned big-endian number v (leading zeros dropped, a 0x00 put back when
 * the top bit is set); with p == NULL only the size. */
static size_t der_uint(uint8_t *p, const uint8_t *v, size_t n)
{
    while (n > 1 && v[0] == 0) {
        v++;
        n--;
    }
    size_t body = n + (v[0] & 0x80 ? 1 : 0);
    uint8_t hdr[4];
    size_t h = 1 + der_len(hdr + 1, body);
    if (p != NULL) {
        p[0] = 0x02;
        memcpy(p + 1, hdr + 1, h - 1);
        p[h] = 0;
        memcpy(p + h + body - n, v, n);
    }
    return h + body;
}

/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1) */
static size_t rsa_public_der(uint8_t *out, const uint8_t *n, size_t n_len, uint32_t e)
{
    uint8_t eb[4] = {(uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e};
    size_t body = der_uint(NULL, n, n_len) + der_uint(NULL, eb, sizeof eb);
    out[0] = 0x30;
    size_t h = 1 + der_len(out + 1, body);
    size_t off = h + der_uint(out + h, n, n_len);
    off += der_uint(out + off, eb, sizeof eb);
    return off;
}

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
    size_t der_size = rsa_public_der(der, n, n_len, e);
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
    size_t c = curve == OTA_EC_P256 ? 32 : curve == OTA_EC_P384 ? 48 : 0;
    if (c == 0 || x == NULL || y == NULL || hash == NULL || r == NULL || s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    uint8_t point[1 + 2 * 48];
    point[0] = 0x04;
    memcpy(point + 1, x, c);
    memcpy(point + 1 + c, y, c);
    /* PSA_ALG_ECDSA_ANY: the hash is signed as it is (ESP-IDF signs the image digest as a
     * pre-hashed value), whatever its length. */
    psa_key_id_t key = 0;
    psa_status_t st = ota_psa_import(PSA_KEY_TYPE_ECC_PUBLIC_KEY(PSA_ECC_FAMILY_SECP_R1), c * 8,
                                     PSA_KEY_USAGE_VERIFY_HASH, PSA_ALG_ECDSA_ANY, point, 1 + 2 * c, &key);
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
