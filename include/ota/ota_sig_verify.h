/**
 * @file ota_sig_verify.h
 * @brief Secure Boot V2 signature verification: one block, a sector, and a streaming verifier.
 *
 * What verifies (ESP-IDF secure_boot_v2 / esp_image_verify): a block whose magic, version and
 * CRC are right (ota_sig_block_parse), whose image digest equals the digest of every byte
 * before the signature sector, whose signature verifies with the block's own key, and whose key
 * digest is trusted and not revoked. The streaming verifier computes the digest while the image
 * passes through (the data path's verifier stage) and checks the sector at the end.
 */
#ifndef OTA_SIG_VERIFY_H
#define OTA_SIG_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_sig_block.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The keys a device trusts (Secure Boot V2 eFuse key digests, or the running app's key). */
typedef struct {
    uint8_t digest[OTA_SIG_MAX_BLOCKS][OTA_SIG_KEY_DIGEST_LEN]; /**< public key digests */
    bool revoked[OTA_SIG_MAX_BLOCKS];                           /**< KEY_REVOKEn */
    unsigned count;                                             /**< 0..3 */
    /**
     * Only block 0 counts ("signed apps without secure boot": the new image's block 0 must
     * verify with the running app's block-0 key).
     */
    bool block0_only;
    /**
     * The chip's rule (ota_chip_sbv2_t, filled by ota_image_sig_trust): schemes it takes, as bits
     * 1 << ota_sig_scheme_t (0: any), and how many blocks from block 0 it reads (0: all 3). A
     * block of another scheme fails with OTA_ERR_SIG_CHIP_SCHEME; blocks past max_blocks are not
     * read, as on the chip.
     */
    uint8_t schemes;
    uint8_t max_blocks;
    uint16_t chip_id;  /**< for the refusal's text (ota_chip_sbv2_rule), with chip_rev */
    uint16_t chip_rev; /**< major * 100 + minor */
} ota_sig_trust_t;

/** What ota_sig_verify_sector found, block by block. */
typedef struct {
    unsigned blocks;                           /**< blocks that parsed (0..3) */
    int parse_err;                             /**< why block `blocks` did not parse (OTA_OK if 3 did) */
    ota_sig_block_t block[OTA_SIG_MAX_BLOCKS]; /**< the parsed blocks */
    int result[OTA_SIG_MAX_BLOCKS];            /**< per parsed block: OTA_OK or why it fails */
    uint8_t key_digest[OTA_SIG_MAX_BLOCKS][OTA_SIG_KEY_DIGEST_LEN];
    int verified; /**< index of the block that verified, or -1 */
} ota_sig_report_t;

/**
 * Verify one parsed block against the image digest (@p digest of @p digest_len bytes: SHA-256,
 * or SHA-384 for ECDSA-P384).
 * @return OTA_OK, OTA_ERR_SIG_DIGEST_MISMATCH, OTA_ERR_SIG_INVALID, OTA_ERR_INVALID_ARG (NULL,
 * unknown scheme), OTA_ERR_CRYPTO, OTA_ERR_NOT_SUPPORTED (the hash-only crypto port of the
 * microcontroller builds).
 */
int ota_sig_verify_block(const ota_sig_block_t *b, const uint8_t *digest, size_t digest_len);

/**
 * Verify a signature sector against the signed data's digests (@p sha384 may be NULL when no
 * P-384 block is expected). With @p trust NULL every parsed block is checked with its own key
 * (what espsecure signature_info_v2 reports); with @p trust only blocks whose key digest is
 * trusted count. @p rep (may be NULL) gets the details.
 * @return OTA_OK when a block verified, else the most telling reason: OTA_ERR_INVALID_ARG (NULL
 * sector or sha256), OTA_ERR_SIG_UNSIGNED (sector erased / absent), OTA_ERR_SIG_BAD_MAGIC /
 * OTA_ERR_SIG_BAD_VERSION / OTA_ERR_SIG_BAD_CRC / OTA_ERR_SIG_BAD_SCHEME (block 0 unreadable),
 * OTA_ERR_SIG_DIGEST_MISMATCH or OTA_ERR_SIG_INVALID (a trusted block failed),
 * OTA_ERR_SIG_KEY_REVOKED (only revoked keys signed it), OTA_ERR_SIG_CHIP_SCHEME (a block's scheme
 * is not one of trust->schemes), OTA_ERR_SIG_NO_TRUSTED_KEY. A block
 * whose check failed for another reason (OTA_ERR_CRYPTO; OTA_ERR_NOT_SUPPORTED with the
 * hash-only crypto port) counts as not verified: the verdict is then
 * OTA_ERR_SIG_NO_TRUSTED_KEY and the block's own code is in rep->result[].
 */
int ota_sig_verify_sector(const uint8_t sector[OTA_SIG_SECTOR_SIZE], const uint8_t sha256[OTA_SHA256_LEN],
                          const uint8_t *sha384, const ota_sig_trust_t *trust, ota_sig_report_t *rep);

/** What a verification found, without the blocks themselves (for a caller that only reports). */
typedef struct {
    unsigned blocks;                             /**< blocks that parsed (0..3) */
    int parse_err;                               /**< why block `blocks` did not parse (OTA_OK if 3 did) */
    ota_sig_scheme_t scheme[OTA_SIG_MAX_BLOCKS]; /**< per parsed block */
    int result[OTA_SIG_MAX_BLOCKS];              /**< per parsed block: OTA_OK or why it fails */
    int verified;                                /**< index of the block that verified, or -1 */
} ota_sig_summary_t;

/** Reads @p len bytes at @p offset of the signed image (e.g. from flash). */
typedef int (*ota_sig_read_fn)(void *arg, uint32_t offset, void *buf, size_t len);

/** Scratch ota_sig_verify_read needs: one parsed block and one raw block (aligned as a pointer). */
#define OTA_SIG_VERIFY_SCRATCH (sizeof(ota_sig_block_t) + OTA_SIG_BLOCK_SIZE)

/**
 * ota_sig_verify_sector for a sector that is not in RAM: its blocks are read through @p read at
 * @p sector_off one at a time, so memory is @p scratch (OTA_SIG_VERIFY_SCRATCH bytes, suitably
 * aligned for ota_sig_block_t), not a sector and a report. @p sum gets what the report would
 * say apart from the blocks.
 * @return the codes of ota_sig_verify_sector (OTA_OK, OTA_ERR_INVALID_ARG, OTA_ERR_SIG_UNSIGNED,
 *         OTA_ERR_SIG_BAD_MAGIC, OTA_ERR_SIG_BAD_VERSION, OTA_ERR_SIG_BAD_CRC, OTA_ERR_SIG_BAD_SCHEME,
 *         OTA_ERR_SIG_DIGEST_MISMATCH, OTA_ERR_SIG_INVALID, OTA_ERR_SIG_KEY_REVOKED,
 *         OTA_ERR_SIG_CHIP_SCHEME, OTA_ERR_SIG_NO_TRUSTED_KEY; OTA_ERR_CRYPTO / OTA_ERR_NOT_SUPPORTED of a block count as not
 *         verified), or @p read's error as it returned it.
 */
int ota_sig_verify_read(ota_sig_read_fn read, void *arg, uint64_t sector_off,
                        const uint8_t sha256[OTA_SHA256_LEN], const uint8_t *sha384,
                        const ota_sig_trust_t *trust, ota_sig_summary_t *sum, void *scratch);

/** Where the signature sector is in the stream. */
typedef enum {
    /** App image: at the image length rounded up to 4 KiB (ota_sig_verifier_set_image_len). */
    OTA_SIG_LAYOUT_APP = 0,
    /** Signed data / signed file: the last whole 4 KiB sector of the stream. */
    OTA_SIG_LAYOUT_DATA = 1,
} ota_sig_layout_t;

/**
 * Streaming verifier: feed the image as it is written, then finish. It hashes every byte before
 * the sector (SHA-256, and SHA-384 when asked) and keeps the last 4..8 KiB unhashed until it
 * knows where the sector is. Memory: this struct (~8.5 KiB), no allocation. For a resume, feed
 * the bytes already on flash again first.
 */
typedef struct {
    ota_sig_layout_t layout;
    bool want_sha256, want_sha384;
    ota_sha256_ctx_t sha256;
    ota_sha384_ctx_t sha384;
    uint64_t pos;        /**< bytes fed */
    uint64_t hashed;     /**< bytes hashed: hold[0] is at this offset */
    uint64_t sector_off; /**< UINT64_MAX until known */
    size_t hold_len;
    uint8_t hold[2 * OTA_SIG_SECTOR_SIZE];
} ota_sig_verifier_t;

/**
 * Start. @p scheme picks the digest (ECDSA-P384: SHA-384, else SHA-256); OTA_SIG_SCHEME_NONE
 * computes both (when the device does not fix the scheme).
 * @return OTA_OK or OTA_ERR_INVALID_ARG (NULL @p v, unknown layout).
 */
int ota_sig_verifier_init(ota_sig_verifier_t *v, ota_sig_layout_t layout, ota_sig_scheme_t scheme);
/** App layout: the image length with its appended hash (from the image validator), any time before finish. */
void ota_sig_verifier_set_image_len(ota_sig_verifier_t *v, uint64_t image_len);
/** Feed the next @p len bytes.
 *  @return OTA_OK, always (the verdict comes from finish). */
int ota_sig_verifier_feed(ota_sig_verifier_t *v, const void *data, size_t len);
/**
 * Verdict. @p signed_len (may be NULL) gets the signed data length (the sector offset).
 * @return ota_sig_verify_sector's codes, plus OTA_ERR_SIG_UNSIGNED when the stream ends before a
 * whole sector past the signed data, OTA_ERR_INVALID_STATE when the app length came too late
 * (more than 8 KiB past the sector had been hashed already).
 */
int ota_sig_verifier_finish(ota_sig_verifier_t *v, const ota_sig_trust_t *trust, ota_sig_report_t *rep,
                            uint64_t *signed_len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SIG_VERIFY_H */
