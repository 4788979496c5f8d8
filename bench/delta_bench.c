/* Delta decoder figures for bench/delta_bench.py: state size (device RAM) and host throughput of
 * the applier on a patch, in memory (no file I/O in the timed loop).
 *   delta_bench OLD PATCH [REPEAT]  ->  one JSON line (throughput in new-image bytes per CPU second) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "formats/ota_delta.h"
#include "ota/ota_err.h"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *p = malloc(n > 0 ? (size_t)n : 1);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

typedef struct {
    const uint8_t *old;
    size_t old_len;
    uint64_t out;
    uint32_t sum;
} ctx_t;

static int rd(void *c, uint64_t off, uint8_t *buf, size_t len)
{
    ctx_t *x = c;
    memcpy(buf, x->old + off, len);
    return OTA_OK;
}

static int wr(void *c, const uint8_t *buf, size_t len)
{
    ctx_t *x = c;
    x->out += len;
    x->sum += buf[0] + buf[len - 1]; /* keep the output observable */
    return OTA_OK;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: delta_bench OLD PATCH [REPEAT]\n");
        return 2;
    }
    size_t old_len, patch_len;
    uint8_t *old = slurp(argv[1], &old_len), *patch = slurp(argv[2], &patch_len);
    int repeat = argc > 3 ? atoi(argv[3]) : 20;
    if (old == NULL || patch == NULL) {
        fprintf(stderr, "cannot read input\n");
        return 1;
    }
    ota_delta_header_t h;
    if (ota_delta_parse_header(patch, patch_len, true, &h) != OTA_OK) {
        fprintf(stderr, "bad patch\n");
        return 1;
    }
    size_t size = OTA_DELTA_STATE_SIZE(h.window_bits);
    ota_delta_t *d = malloc(size);
    ctx_t x = {.old = old, .old_len = old_len};
    ota_delta_io_t io = {.read_old = rd, .write_new = wr, .ctx = &x};
    ota_delta_config_t cfg = {.allow_bare = true, .old_size = old_len};
    struct timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0); /* CPU time: the machine is shared */
    for (int r = 0; r < repeat; r++) {
        ota_delta_init(d, size, &cfg);
        for (size_t pos = 0; pos < patch_len; pos += 4096) {
            size_t n = patch_len - pos < 4096 ? patch_len - pos : 4096;
            if (ota_delta_feed(d, &io, patch + pos, n) != OTA_OK) {
                fprintf(stderr, "apply failed\n");
                return 1;
            }
        }
        if (ota_delta_finish(d) != OTA_OK) {
            fprintf(stderr, "apply failed\n");
            return 1;
        }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf(
        "{\"state_bytes\": %zu, \"window_bytes\": %zu, \"decoder_bytes\": %zu, \"stack_buffers\": 512, "
        "\"new_bytes\": %llu, \"patch_bytes\": %zu, \"seconds\": %.6f, \"mb_per_s\": %.1f, \"check\": %u}\n",
        sizeof(ota_delta_t), (size_t)1 << h.window_bits, sizeof(ota_hs_decoder_t), (unsigned long long)x.out,
        patch_len, s, (double)x.out / s / 1e6, x.sum);
    free(d);
    free(old);
    free(patch);
    return 0;
}
