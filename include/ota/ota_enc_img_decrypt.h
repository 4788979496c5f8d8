/**
 * @file ota_enc_img_decrypt.h
 * @brief Streaming decryptor for pre-encrypted images (esp_encrypted_img), push style.
 *
 * Feed the encrypted file (512-byte header + ciphertext) in chunks of any size; plaintext comes
 * out as it is decrypted. Memory is the struct itself (caller-owned, ~1.4 KiB) plus the crypto
 * library's cipher state; there is no whole-image buffer. The GCM tag authenticates the whole
 * ciphertext and is only checked by ota_enc_img_dec_finish(): plaintext given out before that is
 * unauthenticated and must not become bootable before finish() returned OTA_OK.
 *
 * Both esp_encrypted_img schemes:
 *  - RSA-3072: the AES key is RSA PKCS#1 v1.5-decrypted with the device's private key (PEM);
 *  - ECIES-P256: device private key = PBKDF2-HMAC-SHA256(device HMAC key, fixed salt, 2048, 32);
 *    AES key = HKDF-SHA256(ECDH(device key, server point), header salt, "_esp_enc_img_ecc", 32).
 *
 * Resume. GCM's state after n ciphertext bytes is the counter (a function of the IV and n) and
 * GHASH over those n ciphertext bytes. The ciphertext is not kept, but the plaintext already on
 * flash re-encrypts to it: to resume at plaintext offset n, start a decryptor, feed it the
 * 512-byte header again (re-fetched, or saved with the checkpoint) — or, with the decryptor that
 * took the header in this run, ota_enc_img_dec_restart() — call
 * ota_enc_img_dec_advance() with the n plaintext bytes read back from flash (in pieces, any
 * size), then continue feeding ciphertext from file offset 512 + n. The tag at the end then
 * covers the whole image exactly as an uninterrupted run. If the flash prefix is wrong (torn
 * write), the tag fails: a resume can never make a bad image pass.
 */
#ifndef OTA_ENC_IMG_DECRYPT_H
#define OTA_ENC_IMG_DECRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_enc_img.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    OTA_ENC_SCHEME_RSA3072 = 1,    /**< key: RSA-3072 private key PEM */
    OTA_ENC_SCHEME_ECIES_P256 = 2, /**< key: the device's 32-byte HMAC key */
} ota_enc_scheme_t;

/** The device's decryption key. The bytes are borrowed: keep them alive while decrypting. */
typedef struct {
    ota_enc_scheme_t scheme;
    const uint8_t *data; /**< RSA: PEM text (need not be NUL-terminated); ECIES: HMAC key */
    size_t len;          /**< its length (ECIES: 32) */
} ota_enc_img_key_t;

/** The fixed PBKDF2 salt of esp_encrypted_img's ECIES scheme. */
extern const uint8_t OTA_ENC_IMG_ECIES_PBKDF2_SALT[32];
#define OTA_ENC_IMG_ECIES_PBKDF2_ITERATIONS 2048u
#define OTA_ENC_IMG_ECIES_HKDF_INFO         "_esp_enc_img_ecc"

/** Output can lag input by this many bytes (a partial AES block): size out buffers len + this. */
#define OTA_ENC_IMG_OUT_SLACK 16u

/**
 * Key derivation hook (ota_enc_img_dec_set_derive): computes the image's AES-256 key from the
 * decryptor's @p key and the parsed header @p h in place of ota_enc_img_derive_key(). For a device
 * key that is used where it lives (a peripheral, a secure element), or to reuse the key already
 * derived for the same header: the derivation depends on the device key and h->key_field only,
 * and costs PBKDF2 (2048 iterations) + ECDH + HKDF for ECIES, an RSA-3072 decryption for RSA.
 * Returns OTA_OK or an error of ota_enc_img_derive_key(), which the decryptor then returns.
 */
typedef int (*ota_enc_img_derive_fn)(void *ctx, const ota_enc_img_key_t *key, const ota_enc_img_header_t *h,
                                     uint8_t aes_key[32]);

typedef struct {
    ota_enc_img_key_t key;
    /* The raw header is only needed until it is parsed (into header), the re-encryption context
     * only from then on: they share the memory (a resume re-feeds the header with
     * ota_enc_img_header_serialise(&header)). */
    union {
        uint8_t header_raw[OTA_ENC_IMG_HEADER_SIZE]; /**< while the header arrives */
        ota_aes_gcm_ctx_t adv; /**< once parsed: encrypting known plaintext during advance() */
    };
    size_t header_have;
    /* What decrypting needs of the parsed header (once header_have == OTA_ENC_IMG_HEADER_SIZE).
     * The 384-byte key field is only needed to derive the key, so the derived key is kept instead:
     * ota_enc_img_dec_restart() starts over without deriving it again. */
    uint8_t iv[OTA_ENC_IMG_IV_SIZE];
    uint8_t tag[OTA_ENC_IMG_TAG_SIZE];
    uint32_t image_len;                  /**< plaintext (and ciphertext) length from the header */
    uint8_t aes_key[OTA_AES256_KEY_LEN]; /**< derived; wiped by finish(), abort() and errors */
    ota_aes_gcm_ctx_t gcm;               /**< decrypting */
    uint64_t consumed;                   /**< ciphertext bytes taken (advanced ones included) */
    uint64_t produced;                   /**< plaintext bytes given out (advanced ones included) */
    size_t discard;                      /**< advanced bytes the backend still holds (not to be output) */
    bool gcm_live;
    bool adv_live;
    bool keyed;                   /**< header parsed and AES key derived (stays true to the end) */
    int err;                      /**< sticky error */
    ota_enc_img_derive_fn derive; /**< NULL: ota_enc_img_derive_key() */
    void *derive_ctx;
} ota_enc_img_decryptor_t;

/** Set up @p d for @p key.
 *  @return OTA_OK or OTA_ERR_INVALID_ARG (unknown scheme, empty key, ECIES key not 32 B). */
int ota_enc_img_dec_init(ota_enc_img_decryptor_t *d, const ota_enc_img_key_t *key);

/**
 * Derive the AES key with @p fn (NULL: ota_enc_img_derive_key() again) for this decryptor.
 * @return OTA_OK (after init, before the header is complete), else OTA_ERR_INVALID_STATE.
 */
int ota_enc_img_dec_set_derive(ota_enc_img_decryptor_t *d, ota_enc_img_derive_fn fn, void *ctx);

/**
 * Feed @p len bytes of the encrypted file. Writes plaintext to @p out (room for
 * len + OTA_ENC_IMG_OUT_SLACK bytes).
 * @return how many bytes it wrote (0 while the header is arriving), or an error (sticky: later
 * calls return it again): OTA_ERR_INVALID_STATE (after finish), OTA_ERR_ENC_BAD_MAGIC,
 * OTA_ERR_ENC_WRONG_KEY (RSA: the AES key does not decrypt), OTA_ERR_ENC_BAD_HEADER (ECIES:
 * server point invalid), ota_enc_img_derive_key's other codes (OTA_ERR_KEY_PARSE for the PEM,
 * OTA_ERR_KEY_UNSUPPORTED, OTA_ERR_NO_MEM), OTA_ERR_ENC_TRAILING (more ciphertext than the
 * header's size), OTA_ERR_BUFFER_TOO_SMALL (@p out_cap), OTA_ERR_CRYPTO,
 * OTA_ERR_NOT_SUPPORTED (hash-only crypto port: no decryption on the targets).
 */
int ota_enc_img_dec_update(ota_enc_img_decryptor_t *d, const uint8_t *in, size_t len, uint8_t *out,
                           size_t out_cap);

/**
 * Resume: account for @p len bytes of plaintext already decrypted earlier (read back from
 * flash), see the file comment. Only after the header is complete and before any ciphertext
 * has been fed.
 * @return OTA_OK, OTA_ERR_INVALID_STATE (header incomplete, or ciphertext already fed),
 * OTA_ERR_ENC_TRAILING (beyond the image size), OTA_ERR_CRYPTO, or the sticky error.
 */
int ota_enc_img_dec_advance(ota_enc_img_decryptor_t *d, const uint8_t *plain, size_t len);

/**
 * Resume from the stream's start without the header again: back to ciphertext offset 0 with the
 * same header and the key already derived (no second RSA decryption or PBKDF2), ready for
 * ota_enc_img_dec_advance(). Only while decrypting: header parsed, not finished or aborted.
 * @return OTA_OK, the sticky error, OTA_ERR_INVALID_STATE (header incomplete, finished or
 * aborted), OTA_ERR_NO_MEM / OTA_ERR_CRYPTO (backend).
 */
int ota_enc_img_dec_restart(ota_enc_img_decryptor_t *d);

/**
 * End of the stream: writes the last 0..15 plaintext bytes to @p out (room for
 * OTA_ENC_IMG_OUT_SLACK), after checking the tag. Always releases the cipher state.
 * @return their count; OTA_ERR_ENC_TRUNCATED (header incomplete or fewer ciphertext bytes than
 * the header says), OTA_ERR_ENC_AUTH (tag mismatch: wrong ECIES key, altered ciphertext or
 * header), OTA_ERR_CRYPTO, or the sticky error of update()/advance().
 */
int ota_enc_img_dec_finish(ota_enc_img_decryptor_t *d, uint8_t *out);

/** Release the cipher state without finishing (abort). Safe to call twice. */
void ota_enc_img_dec_abort(ota_enc_img_decryptor_t *d);

/**
 * True once the header is parsed and the AES key derived, and from then on: also after finish()
 * or abort(), and after a later error (the header was good; ota_enc_img_dec_init() clears it).
 * False while the header is arriving and when it was refused (bad magic, wrong key...).
 */
bool ota_enc_img_dec_header_done(const ota_enc_img_decryptor_t *d);

/**
 * The AES key of an image from its header and the device key (used by the decryptor unless a
 * derive hook is set; public for the CLI and for hooks).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL argument, unknown scheme); RSA: the codes of
 *         ota_rsa_pkcs1_decrypt_pem (OTA_ERR_KEY_PARSE, OTA_ERR_KEY_UNSUPPORTED, OTA_ERR_NO_MEM,
 *         OTA_ERR_CRYPTO) with OTA_ERR_ENC_WRONG_KEY for a key that does not decrypt it;
 *         ECIES: OTA_ERR_ENC_BAD_HEADER (server point not on the curve), OTA_ERR_CRYPTO;
 *         OTA_ERR_NOT_SUPPORTED with the hash-only crypto port.
 */
int ota_enc_img_derive_key(const ota_enc_img_key_t *key, const ota_enc_img_header_t *h, uint8_t aes_key[32]);

/** The ECIES device private key (big-endian scalar) from the device's HMAC key (PBKDF2).
 *  @return ota_pbkdf2_hmac_sha256's: OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_CRYPTO,
 *          OTA_ERR_NOT_SUPPORTED (hash-only crypto port). */
int ota_enc_img_ecies_device_key(const uint8_t *hmac_key, size_t len, uint8_t priv[32]);

/**
 * ECIES, the part after the device key: the AES key from the device private scalar @p priv
 * (ota_enc_img_ecies_device_key) and the header (ECDH with its server point, HKDF with its salt).
 * For a derive hook that keeps the scalar instead of re-running PBKDF2 for every image.
 * @return OTA_OK, OTA_ERR_ENC_BAD_HEADER (server point not on the curve), OTA_ERR_INVALID_ARG,
 *         OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (hash-only crypto port).
 */
int ota_enc_img_ecies_aes_key(const uint8_t priv[32], const ota_enc_img_header_t *h, uint8_t aes_key[32]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_ENC_IMG_DECRYPT_H */
