/**
 * @file ota_crypto.h
 * @brief Digests, signature verification and decryption the core uses, provided by a backend.
 *
 * Three backends implement this header with the same test vectors (tests/unit/port):
 * OpenSSL libcrypto on the host (SHA-NI speed), Mbed TLS for microcontrollers (ESP-IDF 5), and
 * PSA Crypto (src/port/psa: ESP-IDF 6's TF-PSA-Crypto; host-tested on Mbed TLS 2.28's PSA). CRC-32 is zlib's on the host. The context is a fixed-size opaque block so the core
 * never allocates for hashing; each backend checks at compile time that its state fits.
 */
#ifndef OTA_CRYPTO_H
#define OTA_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SHA256_LEN 32
#define OTA_MD5_LEN    16

/* The backend's SHA-256 state lives in this opaque block. 128 bytes hold OpenSSL's and Mbed TLS's
 * (the host and bare-metal builds). PSA Crypto's psa_hash_operation_t holds any of its hashes (232
 * bytes in Mbed TLS 2.28), so a build on the PSA backend (the ESP-IDF component, the PSA tests)
 * defines OTA_SHA256_CTX_SIZE=256 for every file; src/port/psa/crypto_psa.c asserts that it fits.
 * The size is kept per backend because the service embeds these contexts: 256 everywhere would add
 * to the heap and RAM figures of the builds that do not need it. */
#ifndef OTA_SHA256_CTX_SIZE
#define OTA_SHA256_CTX_SIZE 128
#endif
typedef struct {
    _Alignas(8) unsigned char opaque[OTA_SHA256_CTX_SIZE];
} ota_sha256_ctx_t;

void ota_sha256_init(ota_sha256_ctx_t *ctx);
void ota_sha256_update(ota_sha256_ctx_t *ctx, const void *data, size_t len);
void ota_sha256_final(ota_sha256_ctx_t *ctx, uint8_t out[OTA_SHA256_LEN]);
/** One-shot SHA-256. */
void ota_sha256(const void *data, size_t len, uint8_t out[OTA_SHA256_LEN]);

/** One-shot MD5 (the partition table's checksum entry). */
void ota_md5(const void *data, size_t len, uint8_t out[OTA_MD5_LEN]);

/* Streaming MD5 (ESP-ADF esp_ota_service's MD5 verifier, the manifest's "md5" field). MD5 is no
 * defence against a forger: it only catches corruption in transit. The state is the same opaque
 * size as SHA-256's: each backend's MD5 state (OpenSSL's MD5_CTX, Mbed TLS's context, PSA's
 * psa_hash_operation_t) fits where its SHA-256 state does, checked at compile time. */
typedef struct {
    _Alignas(8) unsigned char opaque[OTA_SHA256_CTX_SIZE];
} ota_md5_ctx_t;

void ota_md5_init(ota_md5_ctx_t *ctx);
void ota_md5_update(ota_md5_ctx_t *ctx, const void *data, size_t len);
void ota_md5_final(ota_md5_ctx_t *ctx, uint8_t out[OTA_MD5_LEN]);

/**
 * CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320) with zlib's crc32() semantics: start with
 * crc = 0, feed chunks by passing the previous result. ESP-IDF's esp_rom_crc32_le(x, ...) equals
 * this function with the same x; the otadata CRC is ota_crc32_le(0xFFFFFFFF, &seq, 4).
 */
uint32_t ota_crc32_le(uint32_t crc, const void *data, size_t len);

/** Name and version of the backend, e.g. "OpenSSL 3.0.19". */
const char *ota_crypto_backend(void);

/* ---- SHA-384 (ECDSA-P384 signature blocks) -------------------------------------------------- */

#define OTA_SHA384_LEN 48

typedef struct {
    _Alignas(8) unsigned char opaque[256];
} ota_sha384_ctx_t;

void ota_sha384_init(ota_sha384_ctx_t *ctx);
void ota_sha384_update(ota_sha384_ctx_t *ctx, const void *data, size_t len);
void ota_sha384_final(ota_sha384_ctx_t *ctx, uint8_t out[OTA_SHA384_LEN]);
/** One-shot SHA-384. */
void ota_sha384(const void *data, size_t len, uint8_t out[OTA_SHA384_LEN]);

/* Every function below may also return OTA_ERR_NOT_SUPPORTED: the hash-only port of the
 * microcontroller builds (src/port/mbedtls/crypto_mbedtls_hash_only.c) has no public-key or GCM
 * code, so signature checks and decryption fail closed there. */

/* ---- Signature verification (Secure Boot V2 blocks) ------------------------------------------
 * Numbers are big-endian byte strings (ota_sig_block_t holds them so). The hash is the image
 * digest itself: ESP-IDF signs the digest as a pre-hashed value. */

/**
 * RSASSA-PSS verify (SHA-256, MGF1-SHA-256, salt length 32) of @p hash (32 bytes) with the key
 * (n, e).
 * @return OTA_OK, OTA_ERR_SIG_INVALID (signature does not verify), OTA_ERR_INVALID_ARG
 * (NULL, empty n, sig_len != n_len), OTA_ERR_CRYPTO (backend could not build the key),
 * OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_rsa_pss_verify_sha256(const uint8_t *n, size_t n_len, uint32_t e, const uint8_t hash[OTA_SHA256_LEN],
                              const uint8_t *sig, size_t sig_len);

/** Curves for ota_ecdsa_verify / ECDH. */
typedef enum {
    OTA_EC_P256 = 256,
    OTA_EC_P384 = 384,
} ota_ec_curve_t;

/**
 * ECDSA verify of @p hash (any length; 32 for SHA-256, 48 for SHA-384) with the public point
 * (x, y) on @p curve (coordinates of 32 / 48 bytes) and signature r||s (2 x coordinate length).
 * @return OTA_OK, OTA_ERR_SIG_INVALID (does not verify, or the point is not on the curve),
 * OTA_ERR_INVALID_ARG (NULL, unknown curve), OTA_ERR_CRYPTO (backend failure),
 * OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_ecdsa_verify(ota_ec_curve_t curve, const uint8_t *x, const uint8_t *y, const uint8_t *hash,
                     size_t hash_len, const uint8_t *r, const uint8_t *s);

/* ---- AES-256-GCM, streaming (esp_encrypted_img) ---------------------------------------------
 * update() takes any length, in any pieces: the backend buffers a partial block when its
 * library needs whole ones, so output can lag input by up to 15 bytes; finish() flushes it. The
 * context may own library memory: end every init with finish_*() or ota_aes_gcm_free(). */

#define OTA_AES256_KEY_LEN 32
#define OTA_GCM_TAG_LEN    16

typedef struct {
    _Alignas(16) unsigned char opaque[640];
} ota_aes_gcm_ctx_t;

/**
 * Start encrypting (@p encrypt true) or decrypting with @p key and an IV of any length (the
 * esp_encrypted_img IV is 16 bytes), no associated data.
 * @return OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_NO_MEM / OTA_ERR_CRYPTO (backend),
 * OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_aes_gcm_init(ota_aes_gcm_ctx_t *ctx, int encrypt, const uint8_t key[OTA_AES256_KEY_LEN],
                     const uint8_t *iv, size_t iv_len);
/**
 * Process @p len bytes of @p in; writes the result to @p out and returns how many bytes it wrote
 * (0..len+15, see above: out must have room for len + 15).
 * @return the byte count; OTA_ERR_INVALID_STATE (context not started or already finished);
 * OTA_ERR_CRYPTO; OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_aes_gcm_update(ota_aes_gcm_ctx_t *ctx, const uint8_t *in, size_t len, uint8_t *out);
/**
 * End of a decryption: writes the last buffered bytes (0..15, returned count) to @p out and
 * checks @p tag. Frees the context.
 * @return the byte count, OTA_ERR_ENC_AUTH when the tag does not match (the plaintext given out
 * must then be thrown away), OTA_ERR_INVALID_STATE (not started), OTA_ERR_CRYPTO,
 * OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_aes_gcm_finish_decrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, const uint8_t tag[OTA_GCM_TAG_LEN]);
/** End of an encryption: last bytes to @p out and the tag. Frees the context.
 *  @return the byte count; OTA_ERR_INVALID_STATE (not started); OTA_ERR_CRYPTO;
 *  OTA_ERR_NOT_SUPPORTED (hash-only port). */
int ota_aes_gcm_finish_encrypt(ota_aes_gcm_ctx_t *ctx, uint8_t *out, uint8_t tag[OTA_GCM_TAG_LEN]);
/** Drop a context without finishing it (safe on a zeroed or finished context). */
void ota_aes_gcm_free(ota_aes_gcm_ctx_t *ctx);

/* ---- Key agreement and derivation (esp_encrypted_img) ---------------------------------------- */

/**
 * RSA PKCS#1 v1.5 decryption with the private key in @p pem (PEM, PKCS#1 or PKCS#8; need not be
 * NUL-terminated).
 * @return OTA_OK and *out_len, OTA_ERR_INVALID_ARG, OTA_ERR_KEY_PARSE (not an RSA private key),
 * OTA_ERR_KEY_UNSUPPORTED (another key type), OTA_ERR_ENC_WRONG_KEY (padding check failed: the
 * data was not encrypted to this key), OTA_ERR_BUFFER_TOO_SMALL, OTA_ERR_NO_MEM, OTA_ERR_CRYPTO,
 * OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_rsa_pkcs1_decrypt_pem(const char *pem, size_t pem_len, const uint8_t *in, size_t in_len, uint8_t *out,
                              size_t out_cap, size_t *out_len);

/** PBKDF2-HMAC-SHA256.
 *  @return OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (hash-only port). */
int ota_pbkdf2_hmac_sha256(const uint8_t *password, size_t password_len, const uint8_t *salt, size_t salt_len,
                           unsigned iterations, uint8_t *out, size_t out_len);

/** HKDF-SHA256 (RFC 5869, extract + expand).
 *  @return OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (hash-only port). */
int ota_hkdf_sha256(const uint8_t *ikm, size_t ikm_len, const uint8_t *salt, size_t salt_len,
                    const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len);

/**
 * P-256 ECDH: the x coordinate of priv * (peer_x, peer_y), 32 bytes big-endian.
 * @return OTA_OK, OTA_ERR_INVALID_ARG (peer point not on the curve, private scalar out of
 * range), OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (hash-only port).
 */
int ota_ecdh_p256(const uint8_t priv[32], const uint8_t peer_x[32], const uint8_t peer_y[32],
                  uint8_t secret[32]);

/** The public point of the P-256 private scalar @p priv.
 *  @return OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (hash-only port). */
int ota_ec_p256_public(const uint8_t priv[32], uint8_t x[32], uint8_t y[32]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CRYPTO_H */
