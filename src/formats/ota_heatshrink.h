/**
 * @file ota_heatshrink.h
 * @brief Streaming heatshrink (LZSS) decoder: the compression of detools / esp_delta_ota patches.
 *
 * Bit format (MSB first within each byte): a 1 bit is followed by an 8-bit literal; a 0 bit by a
 * back-reference of W index bits (distance - 1) and L count bits (length - 1), W and L being the
 * window and lookahead sizes in bits. The window starts zero-filled, so a reference before the
 * first byte reads zeros (as heatshrink's own decoder). docs/delta.md has the details.
 *
 * The decoder is pure and bounded: its state is this plain struct (no pointers) plus a window of
 * 2^W bytes that the caller provides, so both can be saved and restored byte for byte at any call
 * boundary (resume checkpoints). Push style: sink() takes compressed bytes into a small input
 * buffer, poll() produces output until the output is full or the input runs dry. The encoder is
 * host-only (src/sim/host/delta_make.c, used by `ota delta make`).
 */
#ifndef OTA_HEATSHRINK_H
#define OTA_HEATSHRINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What heatshrink allows: window 2^4..2^15 bytes, lookahead 2^3 .. 2^(W-1). */
#define OTA_HS_MIN_WINDOW_BITS    4
#define OTA_HS_MAX_WINDOW_BITS    15
#define OTA_HS_MIN_LOOKAHEAD_BITS 3
/** Bytes sink() buffers before poll() must run. */
#define OTA_HS_INPUT_SIZE         32

typedef struct {
    uint8_t window_bits;    /**< W: window of 2^W bytes */
    uint8_t lookahead_bits; /**< L: back-references of up to 2^L bytes */
    uint8_t state;          /**< what the next bits are (private) */
    uint8_t bit_count;      /**< valid bits in bit_buf (0..31) */
    uint32_t bit_buf;       /**< input bits not yet decoded; the next is bit bit_count-1 */
    uint16_t head;          /**< window position of the next output byte (mod 2^W) */
    uint16_t distance;      /**< current back-reference's distance (1..2^W) */
    uint16_t copy_left;     /**< bytes of the current back-reference still to output */
    uint8_t in_pos;         /**< next unread byte of input[] */
    uint8_t in_len;         /**< bytes in input[] */
    uint8_t input[OTA_HS_INPUT_SIZE];
    uint64_t total_in;  /**< compressed bytes taken by sink() */
    uint64_t total_out; /**< bytes produced by poll() */
} ota_hs_decoder_t;

/** Whether W/L are parameters heatshrink can encode (4 <= W <= 15, 3 <= L < W). */
bool ota_hs_params_valid(unsigned window_bits, unsigned lookahead_bits);

/**
 * Reset @p d for a stream with window 2^@p window_bits and lookahead 2^@p lookahead_bits and
 * zero the window (@p window, 2^W bytes).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL d or window); OTA_ERR_DELTA_HS_PARAMS for impossible
 *         parameters.
 */
int ota_hs_decoder_init(ota_hs_decoder_t *d, uint8_t *window, unsigned window_bits, unsigned lookahead_bits);

/** Take up to @p len compressed bytes; *@p consumed says how many (0 when the buffer is full).
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL argument). */
int ota_hs_decoder_sink(ota_hs_decoder_t *d, const uint8_t *in, size_t len, size_t *consumed);

/**
 * Decode into @p out (at most @p cap bytes); *@p produced < @p cap means the decoder needs more
 * input. @p window is the buffer given to init (or its restored copy).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL argument, or a restored state that is not a
 *         decoder's). Corrupt input shows at ota_hs_decoder_finish, not here.
 */
int ota_hs_decoder_poll(ota_hs_decoder_t *d, uint8_t *window, uint8_t *out, size_t cap, size_t *produced);

/** Compressed bytes sunk but not decoded yet, counting whole bytes still in the bit buffer. */
size_t ota_hs_decoder_pending_input(const ota_hs_decoder_t *d);

/**
 * The stream may end here: no back-reference is half output and no whole input byte is left
 * (fewer than 8 padding bits).
 * @return OTA_OK, OTA_ERR_DELTA_CORRUPT (a reference runs past the end) or
 *         OTA_ERR_DELTA_TRAILING_DATA (input left over).
 */
int ota_hs_decoder_finish(const ota_hs_decoder_t *d);

#ifdef __cplusplus
}
#endif
#endif /* OTA_HEATSHRINK_H */
