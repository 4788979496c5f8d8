/**
 * @file ota_crypto_keys.h
 * @brief Host-only key handling for the CLI: load/generate signing keys, sign digests, encrypt
 * images (esp_enc_img_gen.py's side). Implemented by the OpenSSL backend only; a device never
 * signs or encrypts, it only verifies and decrypts (ota_crypto.h).
 */
#ifndef OTA_CRYPTO_KEYS_H
#define OTA_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_sig_block.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A public or private key (opaque; OpenSSL's EVP_PKEY). */
typedef struct ota_key ota_key_t;

/**
 * Load a PEM key: private (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#8) or public
 * (SubjectPublicKeyInfo, PKCS#1).
 * @return OTA_OK, OTA_ERR_INVALID_ARG (NULL pem or out), OTA_ERR_KEY_PARSE (not a PEM key),
 * OTA_ERR_KEY_UNSUPPORTED (not RSA-3072 / P-256 / P-384), OTA_ERR_NO_MEM.
 */
int ota_key_load_pem(const void *pem, size_t len, ota_key_t **out);
void ota_key_free(ota_key_t *key);
/** The Secure Boot V2 scheme the key belongs to. */
ota_sig_scheme_t ota_key_scheme(const ota_key_t *key);
bool ota_key_is_private(const ota_key_t *key);

/**
 * Fill the key fields of a signature block (scheme, digest_len, and n, e, rinv = 2^6144 mod n,
 * M' = -n^-1 mod 2^32 for RSA, or the point for ECDSA).
 * @return OTA_OK, OTA_ERR_INVALID_ARG (NULL key or block), OTA_ERR_CRYPTO.
 */
int ota_key_to_block(const ota_key_t *key, ota_sig_block_t *b);

/**
 * Sign the image digest already in b->digest (as espsecure does: RSA-PSS SHA-256 salt 32 /
 * ECDSA, the digest taken as pre-hashed) and put the signature into @p b (big-endian; ECDSA
 * r||s).
 * @return OTA_OK, OTA_ERR_INVALID_ARG (no private key, wrong digest length), OTA_ERR_CRYPTO.
 */
int ota_key_sign_block(const ota_key_t *key, ota_sig_block_t *b);

/** New key for @p scheme.
 *  @return OTA_OK, OTA_ERR_INVALID_ARG (unknown scheme, NULL out), OTA_ERR_CRYPTO, OTA_ERR_NO_MEM. */
int ota_key_generate(ota_sig_scheme_t scheme, ota_key_t **out);

/**
 * The key as PEM text (malloc'ed, NUL-terminated; caller frees, wiping a private one):
 * private in espsecure's form (PKCS#1 for RSA, SEC1 for EC) or the public
 * SubjectPublicKeyInfo.
 * @return OTA_OK, OTA_ERR_INVALID_ARG (no private part), OTA_ERR_NO_MEM, OTA_ERR_CRYPTO.
 */
int ota_key_to_pem(const ota_key_t *key, bool private_part, char **pem, size_t *len);

/** Fill @p out with cryptographically random bytes.
 *  @return OTA_OK or OTA_ERR_CRYPTO. */
int ota_crypto_random(uint8_t *out, size_t len);

/**
 * RSA PKCS#1 v1.5 encryption to the RSA key in @p key (public or private); @p out gets
 * ota-key-size bytes (384 for RSA-3072).
 * @return OTA_OK, OTA_ERR_INVALID_ARG (not RSA), OTA_ERR_BUFFER_TOO_SMALL, OTA_ERR_CRYPTO.
 */
int ota_key_rsa_encrypt(const ota_key_t *key, const uint8_t *in, size_t in_len, uint8_t *out, size_t out_cap,
                        size_t *out_len);

/** The public point of a P-256 key.
 *  @return OTA_OK, OTA_ERR_INVALID_ARG (another kind of key), OTA_ERR_CRYPTO. */
int ota_key_p256_point(const ota_key_t *key, uint8_t x[32], uint8_t y[32]);

/** A fresh P-256 key pair as a raw scalar and point (ECIES ephemeral key).
 *  @return OTA_OK or OTA_ERR_CRYPTO. */
int ota_ec_p256_generate(uint8_t priv[32], uint8_t x[32], uint8_t y[32]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CRYPTO_KEYS_H */
