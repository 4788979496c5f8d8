/**
 * @file ota_delta_make.h
 * @brief Host side of delta updates (`ota delta make`): the heatshrink encoder and the
 * bsdiff-style patch maker. Allocates with malloc; part of the simulation library
 * (src/sim/host/delta_make.c, ota-service-sim), not of the device library.
 */
#ifndef OTA_SIM_DELTA_MAKE_H
#define OTA_SIM_DELTA_MAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Heatshrink-compress @p in (window 2^W, lookahead 2^L) into a malloc'ed *@p out. Optimal parse:
 * every back-reference costs 1+W+L bits and a literal 9, so the cheapest sequence is chosen.
 * @return OTA_OK, OTA_ERR_DELTA_HS_PARAMS or OTA_ERR_NO_MEM.
 */
int delta_hs_encode(const uint8_t *in, size_t len, unsigned window_bits, unsigned lookahead_bits,
                    uint8_t **out, size_t *out_len);

typedef struct {
    bool esp_header; /**< prepend the 64-byte esp_delta_ota header naming the base's validation hash */
    /** The base's validation hash for that header; NULL = the one of the app image at the start
     *  of @p old (ota_delta_validation_hash: old may be a partition read back, the image followed
     *  by padding or a signature sector), OTA_ERR_DELTA_NO_BASE_HASH if old has none. */
    const uint8_t *base_sha256;
    unsigned window_bits;    /**< 0 = 8 (esp_delta_ota's) */
    unsigned lookahead_bits; /**< 0 = 7 */
} delta_make_options_t;

typedef struct {
    uint64_t chunks;
    uint64_t diff_bytes;
    uint64_t extra_bytes;
    uint64_t uncompressed_bytes; /**< size of the chunk stream before heatshrink */
} delta_make_stats_t;

/**
 * Make a detools sequential patch (heatshrink) turning @p old into @p new: bsdiff matching over
 * a suffix array of @p old (libdivsufsort). *@p patch is malloc'ed. @p stats may be NULL.
 * @return OTA_OK; OTA_ERR_DELTA_HS_PARAMS (window or lookahead out of range);
 *         OTA_ERR_INVALID_SIZE (an input too large for the suffix array); OTA_ERR_NO_MEM; with
 *         esp_header and no base_sha256, the codes of ota_delta_validation_hash on @p old
 *         (OTA_ERR_DELTA_NO_BASE_HASH when it has none).
 */
int delta_make(const uint8_t *old, size_t old_len, const uint8_t *new_img, size_t new_len,
               const delta_make_options_t *opt, uint8_t **patch, size_t *patch_len,
               delta_make_stats_t *stats);

#endif /* OTA_SIM_DELTA_MAKE_H */
