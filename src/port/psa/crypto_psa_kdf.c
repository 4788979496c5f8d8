/* ota_crypto.h on PSA Crypto: esp_encrypted_img's key handling — RSA PKCS#1 v1.5 decryption of the
 * GCM key, P-256 ECDH and point derivation, HKDF-SHA256 and PBKDF2-HMAC-SHA256. */
#include <stdlib.h>
#include <string.h>

#include "crypto_psa_internal.h"
#include "formats/key_der.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

#define P256_KEY_PAIR PSA_KEY_TYPE_ECC_KEY_PAIR(PSA_ECC_FAMILY_SECP_R1)

int ota_rsa_pkcs1_decrypt_pem(const char *pem, size_t pem_len, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    if (pem == NULL || in == NULL || out == NULL || out_len == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    uint8_t *der = malloc(pem_len > 0 ? pem_len : 1);
    if (der == NULL) {
        return OTA_ERR_NO_MEM;
    }
    size_t der_len = 0;
    int err = ota_pem_rsa_private_der(pem, pem_len, der, &der_len);
    psa_key_id_t key = 0;
    if (err == OTA_OK) {
        psa_status_t st = ota_psa_import(PSA_KEY_TYPE_RSA_KEY_PAIR, 0, PSA_KEY_USAGE_DECRYPT,
                                         PSA_ALG_RSA_PKCS1V15_CRYPT, der, der_len, &key);
        if (st != PSA_SUCCESS) {
            err = st == PSA_ERROR_INSUFFICIENT_MEMORY ? OTA_ERR_NO_MEM : OTA_ERR_KEY_PARSE;
        }
    }
    ota_psa_wipe(der, pem_len > 0 ? pem_len : 1);
    free(der);
    if (err != OTA_OK) {
        return err;
    }
    uint8_t tmp[512]; /* a message is shorter than the 4096-bit modulus, PSA's largest */
    size_t n = 0;
    psa_status_t st =
        psa_asymmetric_decrypt(key, PSA_ALG_RSA_PKCS1V15_CRYPT, in, in_len, NULL, 0, tmp, sizeof tmp, &n);
    (void)psa_destroy_key(key);
    if (st == PSA_ERROR_INVALID_PADDING || st == PSA_ERROR_INVALID_ARGUMENT) {
        err = OTA_ERR_ENC_WRONG_KEY; /* padding check failed, or the input does not fit this key */
    } else if (st != PSA_SUCCESS) {
        err = ota_psa_err(st);
    } else if (n > out_cap) {
        err = OTA_ERR_BUFFER_TOO_SMALL;
    } else {
        memcpy(out, tmp, n);
        *out_len = n;
    }
    ota_psa_wipe(tmp, sizeof tmp);
    return err;
}

/* PBKDF2 (RFC 8018 5.2) over PSA's HMAC. PSA_ALG_PBKDF2_HMAC exists in TF-PSA-Crypto but not in
 * Mbed TLS 2.28, and ESP-IDF's PSA configuration need not enable it; HMAC-SHA256 is always there,
 * so one implementation runs on both and is the one the host tests check. */
static psa_status_t pbkdf2_block(psa_key_id_t key, const uint8_t *salt, size_t salt_len, uint32_t index,
                                 unsigned iterations, uint8_t t[32])
{
    const psa_algorithm_t alg = PSA_ALG_HMAC(PSA_ALG_SHA_256);
    uint8_t be[4] = {(uint8_t)(index >> 24), (uint8_t)(index >> 16), (uint8_t)(index >> 8), (uint8_t)index};
    uint8_t u[32];
    size_t n = 0;
    psa_mac_operation_t op = psa_mac_operation_init();
    psa_status_t st = psa_mac_sign_setup(&op, key, alg);
    if (st == PSA_SUCCESS) {
        st = psa_mac_update(&op, salt, salt_len);
    }
    if (st == PSA_SUCCESS) {
        st = psa_mac_update(&op, be, sizeof be);
    }
    if (st == PSA_SUCCESS) {
        st = psa_mac_sign_finish(&op, u, sizeof u, &n);
    }
    if (st != PSA_SUCCESS) {
        (void)psa_mac_abort(&op);
        return st;
    }
    memcpy(t, u, 32);
    for (unsigned i = 1; i < iterations && st == PSA_SUCCESS; i++) {
        st = psa_mac_compute(key, alg, u, sizeof u, u, sizeof u, &n);
        for (size_t j = 0; j < 32; j++) {
            t[j] ^= u[j];
        }
    }
    ota_psa_wipe(u, sizeof u);
    return st;
}

int ota_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len)
{
    if (password == NULL || salt == NULL || out == NULL || iterations == 0 || out_len == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    /* PSA will not import an empty key; HMAC pads its key with zeros to the block size, so the
     * empty key and the single zero byte are the same key */
    static const uint8_t zero = 0;
    psa_key_id_t key = 0;
    psa_status_t st =
        ota_psa_import(PSA_KEY_TYPE_HMAC, 0, PSA_KEY_USAGE_SIGN_MESSAGE, PSA_ALG_HMAC(PSA_ALG_SHA_256),
                       password_len > 0 ? password : &zero, password_len > 0 ? password_len : 1, &key);
    if (st != PSA_SUCCESS) {
        return ota_psa_err(st);
    }
    uint8_t t[32];
    for (uint32_t i = 1; st == PSA_SUCCESS && out_len > 0; i++) {
        st = pbkdf2_block(key, salt, salt_len, i, iterations, t);
        size_t take = out_len < 32 ? out_len : 32;
        memcpy(out, t, take);
        out += take;
        out_len -= take;
    }
    ota_psa_wipe(t, sizeof t);
    (void)psa_destroy_key(key);
    return ota_psa_err(st);
}

int ota_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
    if (ikm == NULL || out == NULL || out_len == 0 || (salt == NULL && salt_len) ||
        (info == NULL && info_len)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    static const uint8_t none = 0;
    psa_key_derivation_operation_t op = psa_key_derivation_operation_init();
    psa_status_t st = psa_key_derivation_setup(&op, PSA_ALG_HKDF(PSA_ALG_SHA_256));
    /* an absent salt is HashLen zeros (RFC 5869 2.2), which HMAC treats like the empty key: the
     * salt step is simply left out */
    if (st == PSA_SUCCESS && salt_len > 0) {
        st = psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SALT, salt, salt_len);
    }
    if (st == PSA_SUCCESS) {
        st = psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_SECRET, ikm_len ? ikm : &none,
                                            ikm_len);
    }
    if (st == PSA_SUCCESS) {
        st = psa_key_derivation_input_bytes(&op, PSA_KEY_DERIVATION_INPUT_INFO, info_len ? info : &none,
                                            info_len);
    }
    if (st == PSA_SUCCESS) {
        st = psa_key_derivation_output_bytes(&op, out, out_len);
    }
    (void)psa_key_derivation_abort(&op);
    if (st == PSA_ERROR_INSUFFICIENT_DATA) {
        return OTA_ERR_INVALID_ARG; /* more than 255 * 32 bytes asked */
    }
    return ota_psa_err(st);
}

/* The P-256 private scalar as a PSA key; OTA_ERR_INVALID_ARG when it is 0 or >= the group order. */
static int import_p256(const uint8_t priv[32], psa_key_id_t *key)
{
    if (ota_psa_ready() != OTA_OK) {
        return OTA_ERR_CRYPTO;
    }
    psa_status_t st = ota_psa_import(P256_KEY_PAIR, 256, PSA_KEY_USAGE_DERIVE, PSA_ALG_ECDH, priv, 32, key);
    if (st == PSA_ERROR_INVALID_ARGUMENT) {
        return OTA_ERR_INVALID_ARG;
    }
    return ota_psa_err(st);
}

int ota_ecdh_p256(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
                  uint8_t secret[32])
{
    if (priv == NULL || peer_x == NULL || peer_y == NULL || secret == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    psa_key_id_t key = 0;
    int err = import_p256(priv, &key);
    if (err != OTA_OK) {
        return err;
    }
    uint8_t peer[OTA_EC_POINT_MAX];
    size_t peer_len = ota_ec_point_uncompressed(peer, peer_x, peer_y, 32);
    size_t n = 0;
    /* raw ECDH output is the x coordinate of the shared point, as esp_encrypted_img uses it */
    psa_status_t st = psa_raw_key_agreement(PSA_ALG_ECDH, key, peer, peer_len, secret, 32, &n);
    (void)psa_destroy_key(key);
    if (st == PSA_ERROR_INVALID_ARGUMENT) {
        return OTA_ERR_INVALID_ARG; /* the peer point is not on the curve */
    }
    if (st == PSA_SUCCESS && n != 32) {
        return OTA_ERR_CRYPTO;
    }
    return ota_psa_err(st);
}

int ota_ec_p256_public(const uint8_t priv[32], uint8_t x[32], uint8_t y[32])
{
    if (priv == NULL || x == NULL || y == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    psa_key_id_t key = 0;
    int err = import_p256(priv, &key);
    if (err != OTA_OK) {
        return err;
    }
    uint8_t pt[OTA_EC_POINT_MAX];
    size_t n = 0;
    psa_status_t st = psa_export_public_key(key, pt, sizeof pt, &n);
    (void)psa_destroy_key(key);
    return st != PSA_SUCCESS ? ota_psa_err(st) : ota_ec_point_split(pt, n, 32, x, y);
}
