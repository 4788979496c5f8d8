/**
 * @file ota_delta.h
 * @brief Streaming applier of esp_delta_ota / detools sequential patches (heatshrink compressed).
 *
 * A patch is, in order (docs/delta.md):
 *  - the esp_delta_ota header, 64 bytes: magic 0xFCCDDE10 (little-endian), the SHA-256 the base
 *    image carries (esptool's appended validation hash), 28 reserved bytes. Absent in a "bare"
 *    detools patch, which is accepted only when the caller allows it;
 *  - the detools header: one byte (bits 6..4 patch type, 0 = sequential; bits 3..0 compression,
 *    4 = heatshrink), the new image's size as a detools size (first byte [more][sign][6 bits],
 *    then [more][7 bits] little-endian groups), one heatshrink byte (W-4)<<4 | (L-3);
 *  - the heatshrink stream of: data-format size (0), then chunks until the new size is reached:
 *    diff size, diff bytes (added to the old image's bytes byte by byte), extra size, extra bytes,
 *    signed adjustment of the old-image position.
 *
 * Streaming and bounded: patch bytes go in in chunks of any size (ota_delta_feed), new-image
 * bytes come out through a callback as soon as they are known, the old image is read through a
 * random-access callback (on the device: the running slot through the flash interface). RAM is
 * this struct (376 bytes on x86-64) plus the heatshrink window (2^W bytes, 256 for esp_delta_ota's
 * 8/7) in its trailing array: no image-sized buffer.
 *
 * Checkpoints: the struct holds everything (header, decoder bits and window, positions in patch,
 * old and new image, the chunk being applied) and no pointers. Between two calls,
 * memcpy(copy, d, ota_delta_state_size(d)) is a checkpoint; after restoring it, feed the patch
 * again from ota_delta_patch_offset() - the output resumes at ota_delta_new_offset(),
 * byte-identically.
 */
#ifndef OTA_DELTA_H
#define OTA_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/ota_heatshrink.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_DELTA_ESP_MAGIC              0xFCCDDE10u
#define OTA_DELTA_ESP_HEADER_LEN         64u
#define OTA_DELTA_SHA256_LEN             32u
/** detools' numbers: patch type "sequential" and compression "heatshrink". */
#define OTA_DELTA_PATCH_TYPE_SEQUENTIAL  0u
#define OTA_DELTA_COMPRESSION_HEATSHRINK 4u
/** Patch bytes enough to hold every header field (ota_delta_parse_header). */
#define OTA_DELTA_HEADER_MAX             (OTA_DELTA_ESP_HEADER_LEN + 1u + 10u + 1u)

/** Bytes an ota_delta_t needs for a window of 2^W bytes (W from the patch's heatshrink byte). */
#define OTA_DELTA_STATE_SIZE(window_bits) (sizeof(ota_delta_t) + ((size_t)1 << (window_bits)))

/** The headers of a patch. */
typedef struct {
    bool esp_header;                           /**< the 64-byte esp_delta_ota header is present */
    uint8_t base_sha256[OTA_DELTA_SHA256_LEN]; /**< base image's validation hash (esp_header only) */
    uint8_t patch_type;                        /**< detools patch type (0 sequential) */
    uint8_t compression;                       /**< detools compression (4 heatshrink) */
    uint64_t new_size;                         /**< size of the image the patch makes */
    uint8_t window_bits;                       /**< heatshrink W (0 if the patch makes 0 bytes) */
    uint8_t lookahead_bits;                    /**< heatshrink L */
    uint32_t header_len;                       /**< patch bytes before the compressed stream */
} ota_delta_header_t;

/** Caller's choices; zero-initialised means "ESP header required, nothing else checked". */
typedef struct {
    bool allow_bare; /**< accept a detools patch without the esp_delta_ota header */
    /** Bytes the patch may read as the old image (reads past it fail); 0 = unknown: any. On the
     *  device the running *partition*'s size, not the image's: esp_delta_ota reads the base
     *  through esp_partition_read of the running partition, so a patch may copy padding or a
     *  signature sector after the image. */
    uint64_t old_size;
    bool check_base;                           /**< compare the header's base hash with base_sha256 */
    uint8_t base_sha256[OTA_DELTA_SHA256_LEN]; /**< the running app's validation hash */
    uint64_t expected_new_size;                /**< refuse a patch making another size; 0 = any */
} ota_delta_config_t;

/** Where the applier reads the old image and writes the new one. */
typedef struct {
    /** Read @p len bytes of the old image at @p offset (always inside old_size when known). */
    int (*read_old)(void *ctx, uint64_t offset, uint8_t *buf, size_t len);
    /** Append @p len bytes to the new image (they follow the previous ones). */
    int (*write_new)(void *ctx, const uint8_t *buf, size_t len);
    void *ctx;
} ota_delta_io_t;

/** Patch statistics, counted while applying. */
typedef struct {
    uint64_t chunks;          /**< chunks applied */
    uint64_t diff_bytes;      /**< new bytes made from old bytes + difference */
    uint64_t extra_bytes;     /**< new bytes taken from the patch */
    uint64_t zero_diff_bytes; /**< diff bytes equal to 0 (copied unchanged) */
    int64_t min_adjustment;
    int64_t max_adjustment;
    uint64_t old_end; /**< old image bytes the diffs reached: highest offset read + 1 (0 = none) */
} ota_delta_stats_t;

/** The applier's whole state (plain data: save/restore with memcpy, see above). */
typedef struct {
    uint32_t magic;      /**< identifies an initialised state (checked on every call) */
    uint32_t state_size; /**< bytes of this state including the window capacity */
    int32_t error;       /**< sticky error once failed */
    uint8_t phase;       /**< which field comes next (private) */
    uint8_t hdr_len;     /**< ESP header bytes collected */
    uint8_t var_shift;   /**< size field being read: bits collected */
    uint8_t var_neg;     /**< size field being read: sign */
    uint8_t reserved[2]; /**< zero (kept so that the state's layout does not move) */
    uint64_t var_value;  /**< size field being read: value so far */
    uint8_t hdr[OTA_DELTA_ESP_HEADER_LEN];
    ota_delta_config_t cfg;
    ota_delta_header_t header;
    uint64_t patch_offset; /**< patch bytes consumed */
    uint64_t new_offset;   /**< new-image bytes written */
    int64_t old_offset;    /**< where the next diff reads the old image */
    uint64_t chunk_left;   /**< bytes left of the current diff or extra part */
    ota_delta_stats_t stats;
    ota_hs_decoder_t hs;
    uint32_t window_capacity; /**< bytes of window[] */
    uint8_t window[];         /**< the heatshrink window, 2^W bytes used */
} ota_delta_t;

/**
 * Parse the headers from the first @p len bytes of a patch (OTA_DELTA_HEADER_MAX suffice).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL patch or out); OTA_ERR_DELTA_TRUNCATED if more
 *         bytes are needed; OTA_ERR_DELTA_BAD_MAGIC; OTA_ERR_DELTA_BARE_NOT_ALLOWED (a bare patch
 *         without @p allow_bare); OTA_ERR_DELTA_BAD_HEADER; OTA_ERR_DELTA_PATCH_TYPE;
 *         OTA_ERR_DELTA_COMPRESSION; OTA_ERR_DELTA_HS_PARAMS.
 */
int ota_delta_parse_header(const uint8_t *patch, size_t len, bool allow_bare, ota_delta_header_t *out);

/**
 * Does the patch apply to the running app?
 * @return OTA_OK if @p running_sha256 (the running app's validation hash,
 *         esp_partition_get_sha256) equals the patch's base hash; OTA_ERR_DELTA_BASE_MISMATCH if
 *         not or if the patch is bare; OTA_ERR_INVALID_ARG (NULL argument).
 */
int ota_delta_base_matches(const ota_delta_header_t *header,
                           const uint8_t running_sha256[OTA_DELTA_SHA256_LEN]);

/**
 * The validation hash of the app image at the start of @p image (@p len bytes: an image file, or
 * a partition read back, image followed by padding or a signature sector): the SHA-256 esptool
 * appends, checked against the image's bytes. What esptool image_info prints as "Validation
 * Hash: ... (valid)" (esp_delta_ota_patch_gen.py writes it into the header) and what
 * esp_partition_get_sha256() returns for an app partition on the device (ESP-IDF v6.0.2
 * bootloader_common.c bootloader_common_get_sha256_of_partition: the digest appended after the
 * image, verified over the image up to it; never a signature sector or padding).
 * @p image_len (may be NULL) gets the image's length up to and including that hash.
 * @return OTA_OK; OTA_ERR_DELTA_NO_BASE_HASH (not an app image, no appended hash, or a hash that
 *         does not match); OTA_ERR_INVALID_ARG.
 */
int ota_delta_validation_hash(const uint8_t *image, size_t len, uint8_t out[OTA_DELTA_SHA256_LEN],
                              uint32_t *image_len);

/**
 * Initialise @p d in @p storage_size bytes (at least sizeof(ota_delta_t); the rest is the
 * window: OTA_DELTA_STATE_SIZE(W) bytes take windows up to 2^W). @p cfg may be NULL.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL @p d, or @p storage_size below sizeof(ota_delta_t)
 *         or above 4 GiB).
 */
int ota_delta_init(ota_delta_t *d, size_t storage_size, const ota_delta_config_t *cfg);

/**
 * Apply the next @p len patch bytes: new-image bytes go to io->write_new as they are decoded.
 * Errors are sticky (every later call returns the same). Data after the patch's end is
 * OTA_ERR_DELTA_TRAILING_DATA.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (not initialised, NULL io or patch); the header's codes
 *         (as ota_delta_parse_header, and OTA_ERR_DELTA_BASE_MISMATCH with cfg.check_base,
 *         OTA_ERR_DELTA_SIZE_MISMATCH against cfg.expected_new_size,
 *         OTA_ERR_DELTA_WINDOW_TOO_LARGE for the state's window); the stream's:
 *         OTA_ERR_DELTA_CORRUPT, OTA_ERR_DELTA_DATA_FORMAT, OTA_ERR_DELTA_NEW_OVERFLOW,
 *         OTA_ERR_DELTA_OLD_RANGE, OTA_ERR_DELTA_NO_PROGRESS, OTA_ERR_DELTA_TRAILING_DATA;
 *         io->read_old's or io->write_new's negative code, as is (OTA_ERR_IO if one returns a
 *         positive value); OTA_ERR_INVALID_STATE (a state restored in an impossible phase).
 */
int ota_delta_feed(ota_delta_t *d, const ota_delta_io_t *io, const uint8_t *patch, size_t len);

/**
 * The patch has ended.
 * @return OTA_OK if the new image is complete; OTA_ERR_DELTA_TRUNCATED (it stopped inside a
 *         header or a chunk); OTA_ERR_DELTA_SIZE_MISMATCH (it stopped between two chunks before
 *         the declared size); the sticky error of ota_delta_feed; OTA_ERR_INVALID_ARG (not
 *         initialised).
 */
int ota_delta_finish(ota_delta_t *d);

/** Bytes of @p d to save for a checkpoint (state_size), 0 if @p d is not initialised. */
size_t ota_delta_state_size(const ota_delta_t *d);
/** Check a restored checkpoint (magic, size, phase) before using it.
 *  @return OTA_OK or OTA_ERR_SVC_CHECKPOINT. */
int ota_delta_state_check(const ota_delta_t *d, size_t storage_size);
/** Patch bytes consumed / new bytes written / headers known yet / done (the last two are false
 *  for a state that is not initialised). */
uint64_t ota_delta_patch_offset(const ota_delta_t *d);
uint64_t ota_delta_new_offset(const ota_delta_t *d);
bool ota_delta_header_known(const ota_delta_t *d);
bool ota_delta_done(const ota_delta_t *d);

/** Encode @p value as a detools header size (first byte holds a sign bit); bytes written (<= 10). */
size_t ota_delta_put_size(uint8_t *out, int64_t value);

#ifdef __cplusplus
}
#endif
#endif /* OTA_DELTA_H */
