/* libFuzzer harness: the esp_delta_ota / detools patch reader (src/formats/delta_patch.c) on an
 * arbitrary patch against a fixed pseudo-random old image. Byte 0 picks the piece size and
 * whether bare patches are allowed. Checks: no crash or out-of-bounds (ASan/UBSan), no old-image
 * read outside it, no write past the declared new size, errors in the delta block, and the same
 * result when fed in other pieces with a save/restore of the state in between (the same output
 * prefix when the new image is larger than OUT_MAX: the seeds declare 600 KB images, and decoding
 * all of it twice per input made the run crawl without reaching new code).
 * Built and run by the harness framework (fuzz/harnesses.cmake, docs/fuzzing.md). */
#include "fuzz.h"

#include "formats/ota_delta.h"
#include "ota/ota_err.h"

OTA_FUZZ_QUIET_INIT

#define OLD_SIZE 4096
#define OUT_MAX  (1u << 16)

static uint8_t g_old[OLD_SIZE];

typedef struct {
    uint8_t *out;
    size_t len;
    uint64_t declared;
} sink_t;

static int rd(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
    (void)ctx;
    if (off > OLD_SIZE || len > OLD_SIZE - off) {
        abort(); /* the applier must check ranges before reading */
    }
    memcpy(buf, g_old + off, len);
    return OTA_OK;
}

static int wr(void *ctx, const uint8_t *buf, size_t len)
{
    sink_t *s = ctx;
    if (s->len + len > OUT_MAX) {
        return OTA_ERR_NO_MEM; /* big declared sizes: stop politely */
    }
    memcpy(s->out + s->len, buf, len);
    s->len += len;
    return OTA_OK;
}

static int apply(const uint8_t *p, size_t n, size_t step, bool bare, bool checkpoint, sink_t *s)
{
    size_t size = OTA_DELTA_STATE_SIZE(OTA_HS_MAX_WINDOW_BITS);
    ota_delta_t *d = malloc(size), *copy = malloc(size);
    ota_delta_config_t cfg = {.allow_bare = bare, .old_size = OLD_SIZE};
    ota_delta_init(d, size, &cfg);
    ota_delta_io_t io = {.read_old = rd, .write_new = wr, .ctx = s};
    int err = OTA_OK;
    for (size_t pos = 0; pos < n && err == OTA_OK; pos += step) {
        err = ota_delta_feed(d, &io, p + pos, n - pos < step ? n - pos : step);
        if (checkpoint) {
            memcpy(copy, d, size);
            memset(d, 0xEE, size);
            memcpy(d, copy, size);
            if (ota_delta_state_check(d, size) != OTA_OK) {
                abort();
            }
        }
    }
    if (err == OTA_OK) {
        err = ota_delta_finish(d);
    }
    if (ota_delta_header_known(d) && s->len > d->header.new_size) {
        abort(); /* wrote past the declared size */
    }
    free(d);
    free(copy);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    if (g_old[1] == 0) {
        for (size_t i = 0; i < OLD_SIZE; i++) {
            g_old[i] = (uint8_t)(i * 131u + (i >> 5));
        }
    }
    bool bare = data[0] & 1;
    size_t step = 1u + (data[0] >> 1);
    static uint8_t out_a[OUT_MAX], out_b[OUT_MAX];
    sink_t a = {.out = out_a}, b = {.out = out_b};
    int ea = apply(data + 1, size - 1, step, bare, false, &a);
    int eb = apply(data + 1, size - 1, 4096, bare, true, &b);
    if (ea != OTA_OK && ea != OTA_ERR_NO_MEM && (ea > -1100 || ea <= -1200)) {
        abort(); /* every refusal is a delta error */
    }
    if (ea != OTA_ERR_NO_MEM && eb != OTA_ERR_NO_MEM &&
        (ea != eb || a.len != b.len || memcmp(out_a, out_b, a.len) != 0)) {
        abort(); /* piece sizes and checkpoints must not change the result */
    }
    if (memcmp(out_a, out_b, a.len < b.len ? a.len : b.len) != 0) {
        abort(); /* nor the bytes written before one of the runs stopped at OUT_MAX */
    }
    return 0;
}
