/* Streaming heatshrink (LZSS) decoder, see ota_heatshrink.h and docs/delta.md. Pure: no I/O, no
 * allocation; the window is the caller's. Written from the format's description (heatshrink by
 * Scott Vokes, as used by detools); bit-compatible with heatshrink_decoder.c. */
#include "formats/ota_heatshrink.h"

#include <string.h>

#include "ota/ota_err.h"

enum {
    ST_TAG = 0, /* next: 1 tag bit */
    ST_LITERAL, /* next: 8 literal bits */
    ST_INDEX,   /* next: W bits of distance - 1 */
    ST_COUNT,   /* next: L bits of length - 1 */
    ST_COPY,    /* outputting a back-reference */
};

bool ota_hs_params_valid(unsigned window_bits, unsigned lookahead_bits)
{
    return window_bits >= OTA_HS_MIN_WINDOW_BITS && window_bits <= OTA_HS_MAX_WINDOW_BITS &&
           lookahead_bits >= OTA_HS_MIN_LOOKAHEAD_BITS && lookahead_bits < window_bits;
}

int ota_hs_decoder_init(ota_hs_decoder_t *d, uint8_t *window, unsigned window_bits, unsigned lookahead_bits)
{
    if (d == NULL || window == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_hs_params_valid(window_bits, lookahead_bits)) {
        return OTA_ERR_DELTA_HS_PARAMS;
    }
    memset(d, 0, sizeof *d);
    d->window_bits = (uint8_t)window_bits;
    d->lookahead_bits = (uint8_t)lookahead_bits;
    d->state = ST_TAG;
    memset(window, 0, (size_t)1 << window_bits);
    return OTA_OK;
}

int ota_hs_decoder_sink(ota_hs_decoder_t *d, const uint8_t *in, size_t len, size_t *consumed)
{
    if (d == NULL || consumed == NULL || (in == NULL && len > 0) || d->in_pos > d->in_len ||
        d->in_len > OTA_HS_INPUT_SIZE) {
        return OTA_ERR_INVALID_ARG;
    }
    if (d->in_pos == d->in_len) {
        d->in_pos = d->in_len = 0;
    } else if (d->in_pos > 0) {
        memmove(d->input, d->input + d->in_pos, (size_t)(d->in_len - d->in_pos));
        d->in_len = (uint8_t)(d->in_len - d->in_pos);
        d->in_pos = 0;
    }
    size_t room = OTA_HS_INPUT_SIZE - d->in_len;
    size_t n = len < room ? len : room;
    if (n > 0) {
        memcpy(d->input + d->in_len, in, n);
    }
    d->in_len = (uint8_t)(d->in_len + n);
    d->total_in += n;
    *consumed = n;
    return OTA_OK;
}

/* The next @p n bits (n <= 15) as a number, or -1 when the input holds fewer: then nothing is
 * consumed, so a field is never split between two polls' views of it (heatshrink's rule too). */
static int32_t get_bits(ota_hs_decoder_t *d, unsigned n)
{
    while (d->bit_count < n) {
        if (d->in_pos >= d->in_len) {
            return -1;
        }
        d->bit_buf = (d->bit_buf << 8) | d->input[d->in_pos++];
        d->bit_count = (uint8_t)(d->bit_count + 8);
    }
    d->bit_count = (uint8_t)(d->bit_count - n);
    return (int32_t)((d->bit_buf >> d->bit_count) & ((1u << n) - 1u));
}

int ota_hs_decoder_poll(ota_hs_decoder_t *d, uint8_t *window, uint8_t *out, size_t cap, size_t *produced)
{
    if (d == NULL || window == NULL || produced == NULL || (out == NULL && cap > 0) ||
        !ota_hs_params_valid(d->window_bits, d->lookahead_bits) || d->in_pos > d->in_len ||
        d->in_len > OTA_HS_INPUT_SIZE || d->bit_count > 24) {
        return OTA_ERR_INVALID_ARG; /* also a restored state that is not one of ours */
    }
    const uint16_t mask = (uint16_t)((1u << d->window_bits) - 1u);
    size_t n = 0;
    int32_t v;
    while (n < cap) {
        switch (d->state) {
        case ST_TAG:
            if ((v = get_bits(d, 1)) < 0) {
                goto out;
            }
            d->state = v ? ST_LITERAL : ST_INDEX;
            break;
        case ST_LITERAL:
            if ((v = get_bits(d, 8)) < 0) {
                goto out;
            }
            window[d->head++ & mask] = (uint8_t)v;
            out[n++] = (uint8_t)v;
            d->state = ST_TAG;
            break;
        case ST_INDEX:
            if ((v = get_bits(d, d->window_bits)) < 0) {
                goto out;
            }
            d->distance = (uint16_t)(v + 1);
            d->state = ST_COUNT;
            break;
        case ST_COUNT:
            if ((v = get_bits(d, d->lookahead_bits)) < 0) {
                goto out;
            }
            d->copy_left = (uint16_t)(v + 1);
            d->state = ST_COPY;
            break;
        case ST_COPY: {
            size_t k = cap - n < d->copy_left ? cap - n : d->copy_left;
            uint16_t src = (uint16_t)(d->head - d->distance);
            for (size_t i = 0; i < k; i++) {
                uint8_t c = window[src++ & mask];
                window[d->head++ & mask] = c;
                out[n++] = c;
            }
            d->copy_left = (uint16_t)(d->copy_left - k);
            if (d->copy_left == 0) {
                d->state = ST_TAG;
            }
            break;
        }
        default: return OTA_ERR_INVALID_ARG;
        }
    }
out:
    d->head &= mask;
    d->total_out += n;
    *produced = n;
    return OTA_OK;
}

size_t ota_hs_decoder_pending_input(const ota_hs_decoder_t *d)
{
    return (size_t)(d->in_len - d->in_pos) + d->bit_count / 8u;
}

int ota_hs_decoder_finish(const ota_hs_decoder_t *d)
{
    if (d->state == ST_COPY && d->copy_left > 0) {
        return OTA_ERR_DELTA_CORRUPT;
    }
    if (ota_hs_decoder_pending_input(d) > 0) {
        return OTA_ERR_DELTA_TRAILING_DATA;
    }
    return OTA_OK;
}
