/* libFuzzer harness: the heatshrink decoder (src/formats/heatshrink.c) on arbitrary input.
 * Byte 0 picks W/L (any of the 16x16 nibble pairs: impossible ones must be refused), byte 1 the
 * sink/poll piece sizes; the rest is the stream. Checks: no crash or out-of-bounds (ASan/UBSan),
 * output bounded by 2^L bytes per 1+W+L input bits, save/restore mid-stream changes nothing.
 * Output is decoded up to one window plus 4 KiB (the window wraps for every W): a few input bytes
 * can declare megabytes of repeats, and decoding them byte by byte only repeats the same code.
 * Built and run by the harness framework (fuzz/harnesses.cmake, docs/fuzzing.md). */
#include "fuzz.h"

#include "ota/ota_err.h"
#include "formats/ota_heatshrink.h"

OTA_FUZZ_QUIET_INIT

static size_t run(ota_hs_decoder_t *d, uint8_t *window, const uint8_t *in, size_t len, size_t step,
                  size_t cap, uint8_t *out, size_t out_max, int restore_at)
{
    size_t pos = 0, total = 0;
    int calls = 0;
    ota_hs_decoder_t saved;
    uint8_t saved_window[1u << OTA_HS_MAX_WINDOW_BITS];
    for (;;) {
        size_t took = 0;
        if (pos < len) {
            size_t k = len - pos < step ? len - pos : step;
            if (ota_hs_decoder_sink(d, in + pos, k, &took) != OTA_OK) {
                abort();
            }
            pos += took;
        }
        size_t got;
        do {
            size_t want = cap < out_max - total ? cap : out_max - total;
            if (ota_hs_decoder_poll(d, window, out + total, want, &got) != OTA_OK) {
                abort();
            }
            total += got;
            if (calls++ == restore_at) {
                /* a checkpoint: the bytes of the state and window are all there is */
                memcpy(&saved, d, sizeof saved);
                memcpy(saved_window, window, (size_t)1 << d->window_bits);
                memset(d, 0xA5, sizeof *d);
                memset(window, 0x5A, (size_t)1 << saved.window_bits);
                memcpy(d, &saved, sizeof saved);
                memcpy(window, saved_window, (size_t)1 << saved.window_bits);
            }
        } while (got == cap && total < out_max);
        if (total >= out_max || (pos == len && took == 0 && got < cap)) {
            break;
        }
    }
    (void)ota_hs_decoder_finish(d);
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) {
        return 0;
    }
    unsigned w = (unsigned)(data[0] >> 4) + 4u, l = (unsigned)(data[0] & 15u) + 3u;
    size_t step = 1u + (data[1] & 15u) * 5u, cap = 1u + (data[1] >> 4) * 17u;
    static uint8_t window[1u << OTA_HS_MAX_WINDOW_BITS];
    ota_hs_decoder_t d;
    int err = ota_hs_decoder_init(&d, window, w, l);
    if (!ota_hs_params_valid(w, l)) {
        if (err != OTA_ERR_DELTA_HS_PARAMS) {
            abort();
        }
        return 0;
    }
    if (err != OTA_OK) {
        abort();
    }
    const uint8_t *in = data + 2;
    size_t len = size - 2;
    /* Each reference is at least 1+W+L bits for at most 2^L bytes (a literal, 9 bits for 1 byte,
     * yields less): bound the output. Under the cap, decoding goes one byte further to check it. */
    size_t bound = (len * 8u / (1u + w + l) + 1u) << l, out_cap = ((size_t)1 << w) + 4096u;
    size_t out_max = bound < out_cap ? bound + 1u : out_cap;
    uint8_t *a = malloc(out_max), *b = malloc(out_max);
    size_t na = run(&d, window, in, len, step, cap, a, out_max, -1);
    OTA_FUZZ_CHECK(bound >= out_cap || na <= bound);
    ota_hs_decoder_init(&d, window, w, l);
    size_t nb = run(&d, window, in, len, 1 + step / 2, cap + 3, b, out_max, (int)(len % 7));
    if (na != nb || memcmp(a, b, na) != 0) {
        abort(); /* piece sizes and a save/restore must not change the output */
    }
    free(a);
    free(b);
    return 0;
}
