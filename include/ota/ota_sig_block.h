/**
 * @file ota_sig_block.h
 * @brief Secure Boot V2 signature sector and signature blocks (the byte format).
 *
 * A signed image (espsecure `sign_data --version 2`) is the data, padded with 0xFF to a 4 KiB
 * boundary, followed by one 4096-byte signature sector. The sector holds up to 3 blocks of 1216
 * bytes, the rest is 0xFF. Each block (little-endian):
 *
 *  RSA-3072, version 0x02          | ECDSA, version 0x03
 *  0 magic 0xE7, 1 version, 2..3 0 | 0 magic, 1 version, 2 SHA version (0 SHA-256, 1 SHA-384), 3 0
 *  4 SHA-256 digest (32)           | 4 digest (32 or 48)
 *  36 n (384, LE), 420 e (4),      | then curve id (1 B: 2 P-256, 3 P-384), point X||Y, signature
 *  424 rinv (384, LE), 808 M' (4)  | r||s, every coordinate little-endian
 *  812 signature (384, LE)         |
 *  1196 CRC32 (zlib) of bytes 0..1195, 1200..1215 zero
 *
 * This module is pure: no I/O, no allocation, no crypto except the CRC and SHA-256 of
 * ota_crypto.h. Numbers in ota_sig_block_t are big-endian (what crypto libraries take); parse
 * and serialise do the byte reversal. Verification lives in ota_sig_verify.h.
 */
#ifndef OTA_SIG_BLOCK_H
#define OTA_SIG_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_SIG_SECTOR_SIZE      4096u
#define OTA_SIG_BLOCK_SIZE       1216u
#define OTA_SIG_MAX_BLOCKS       3u
#define OTA_SIG_BLOCK_MAGIC      0xE7u
#define OTA_SIG_VERSION_RSA      0x02u
#define OTA_SIG_VERSION_ECDSA    0x03u
/** Bytes of a block covered by its CRC. */
#define OTA_SIG_BLOCK_CRC_OFFSET 1196u
#define OTA_SIG_KEY_DIGEST_LEN   32u
#define OTA_SIG_MAX_DIGEST_LEN   48u
#define OTA_SIG_RSA_LEN          384u
#define OTA_SIG_MAX_COORD_LEN    48u

typedef enum {
    OTA_SIG_SCHEME_NONE = 0,
    OTA_SIG_SCHEME_RSA3072 = 1,    /**< RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 */
    OTA_SIG_SCHEME_ECDSA_P256 = 2, /**< ECDSA over P-256 with SHA-256 */
    OTA_SIG_SCHEME_ECDSA_P384 = 3, /**< ECDSA over P-384 with SHA-384 */
} ota_sig_scheme_t;

/** Curve ids as ESP-IDF writes them in an ECDSA block. */
#define OTA_SIG_CURVE_P192 1u
#define OTA_SIG_CURVE_P256 2u
#define OTA_SIG_CURVE_P384 3u

/** One signature block, decoded. Big-endian numbers. */
typedef struct {
    ota_sig_scheme_t scheme;
    uint8_t version;                        /**< 0x02 RSA, 0x03 ECDSA */
    uint8_t digest[OTA_SIG_MAX_DIGEST_LEN]; /**< image digest, digest_len bytes */
    size_t digest_len;                      /**< 32 (SHA-256) or 48 (SHA-384) */
    /* RSA-3072 */
    uint8_t rsa_n[OTA_SIG_RSA_LEN];    /**< modulus */
    uint32_t rsa_e;                    /**< public exponent */
    uint8_t rsa_rinv[OTA_SIG_RSA_LEN]; /**< 2^6144 mod n (the ROM's Montgomery helper) */
    uint32_t rsa_mprime;               /**< -n^-1 mod 2^32 */
    /* ECDSA */
    uint8_t ec_x[OTA_SIG_MAX_COORD_LEN]; /**< public point X, coord_len bytes */
    uint8_t ec_y[OTA_SIG_MAX_COORD_LEN]; /**< public point Y */
    /** RSA: the signature (384 bytes). ECDSA: r || s (2 * coord_len). */
    uint8_t signature[OTA_SIG_RSA_LEN];
    size_t signature_len;
    uint32_t crc; /**< as stored (parse checked it) */
} ota_sig_block_t;

/** Digest length of @p scheme (32, or 48 for P-384), 0 for an unknown scheme. */
size_t ota_sig_scheme_digest_len(ota_sig_scheme_t scheme);
/** Coordinate length (32 P-256, 48 P-384), 0 for RSA or unknown. */
size_t ota_sig_scheme_coord_len(ota_sig_scheme_t scheme);
/** "RSA-3072", "ECDSA-P256", "ECDSA-P384" or "none". */
const char *ota_sig_scheme_name(ota_sig_scheme_t scheme);
/** espsecure's word for the block type: "RSA" or "ECDSA". */
const char *ota_sig_scheme_family(ota_sig_scheme_t scheme);

/**
 * Decode one 1216-byte block. Checks in this order so each tampered field has its own reason:
 * magic (OTA_ERR_SIG_BAD_MAGIC), version (OTA_ERR_SIG_BAD_VERSION), CRC (OTA_ERR_SIG_BAD_CRC),
 * ECDSA curve / SHA version (OTA_ERR_SIG_BAD_SCHEME). OTA_OK fills @p out. A block of all 0xFF
 * (absent) is OTA_ERR_SIG_BAD_MAGIC.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL); OTA_ERR_SIG_BAD_MAGIC; OTA_ERR_SIG_BAD_VERSION;
 *         OTA_ERR_SIG_BAD_CRC; OTA_ERR_SIG_BAD_SCHEME.
 */
int ota_sig_block_parse(const uint8_t raw[OTA_SIG_BLOCK_SIZE], ota_sig_block_t *out);

/**
 * Encode @p b into 1216 bytes exactly as espsecure writes them (CRC computed here, the stored
 * b->crc is ignored; padding zero).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL, an unknown scheme or wrong lengths).
 */
int ota_sig_block_serialise(const ota_sig_block_t *b, uint8_t raw[OTA_SIG_BLOCK_SIZE]);

/**
 * The public key digest (espsecure digest_sbv2_public_key, what eFuse holds): SHA-256 of the key
 * material as it sits in the block: RSA n||e||rinv||M' (776 bytes), ECDSA curve||X||Y (65 or 97).
 * Only the scheme and key fields of @p b are used.
 * @return OTA_OK or OTA_ERR_INVALID_ARG (NULL, unknown scheme).
 */
int ota_sig_block_key_digest(const ota_sig_block_t *b, uint8_t out[OTA_SIG_KEY_DIGEST_LEN]);

/** The same key digest straight from a raw block (no validation beyond the version byte).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL); OTA_ERR_SIG_BAD_VERSION (neither RSA nor ECDSA). */
int ota_sig_block_raw_key_digest(const uint8_t raw[OTA_SIG_BLOCK_SIZE], uint8_t out[OTA_SIG_KEY_DIGEST_LEN]);

/** True when both blocks hold the same public key (scheme and key fields). */
bool ota_sig_block_same_key(const ota_sig_block_t *a, const ota_sig_block_t *b);

/**
 * The blocks of a sector as ESP-IDF and espsecure read them: block i is only looked at when
 * blocks 0..i-1 parsed. Fills blocks[0..n-1]; *first_err (may be NULL) gets the parse error of
 * the first block that did not parse (ota_sig_block_parse's codes; OTA_OK when all 3 did). A
 * sector whose block 0 does not parse is "not signed".
 * @return n, the number of blocks that parsed (0..3); never negative.
 */
int ota_sig_sector_parse(const uint8_t sector[OTA_SIG_SECTOR_SIZE],
                         ota_sig_block_t blocks[OTA_SIG_MAX_BLOCKS], int *first_err);

/**
 * Where the signature sector of an app image starts: the image length (with its appended
 * SHA-256) rounded up to 4 KiB. Everything before it is the signed data.
 */
uint64_t ota_sig_sector_offset_for_image(uint64_t image_len);

/**
 * Where the signature sector of a signed data partition / signed file of @p total_len bytes
 * starts (ESP-IDF v6.1 signed data partitions, and a file written by sign_data): total_len
 * rounded down to 4 KiB, minus 4096. Returns UINT64_MAX when total_len < 4096.
 */
uint64_t ota_sig_sector_offset_for_data(uint64_t total_len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SIG_BLOCK_H */
