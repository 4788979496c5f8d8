/* ota_bench source and sha: a source read alone, SHA-256 alone (the same backend). */
#include "ota_bench.h"

/* ---- a source alone ----------------------------------------------------------------------- */

__attribute__((noinline)) int bench_source_run(const char *uri, const ota_source_config_t *cfg, uint8_t *buf,
                                               size_t len, uint64_t *bytes);
__attribute__((noinline)) int bench_source_run(const char *uri, const ota_source_config_t *cfg, uint8_t *buf,
                                               size_t len, uint64_t *bytes)
{
    ota_source_t *src = NULL;
    int err = ota_source_open(NULL, cfg, uri, 0, NULL, &src, NULL);
    if (err != OTA_OK) {
        return err;
    }
    *bytes = 0;
    for (;;) {
        int n = ota_source_read(src, buf, len);
        if (n <= 0) {
            err = n;
            break;
        }
        *bytes += (uint64_t)n;
    }
    ota_source_close(src);
    return err;
}

int cmd_source(const options_t *o)
{
    if (o->uri == NULL) {
        die("source needs --uri%s", "", 0);
    }
    ota_source_posix_config_t posix = {.ca_file = o->cacert, .proxy = ""};
    ota_source_config_t cfg = {.transport = &posix};
    uint8_t *buf = malloc(o->buffer);
    for (int r = 0; r < o->repeat; r++) {
        uint64_t bytes = 0;
        ota_mem_stats_t m0, m1;
        bench_malloc_stats_t p0, p1;
        ota_mem_reset_peak();
        bench_malloc_reset_peak();
        ota_mem_get_stats(&m0);
        bench_malloc_get(&p0);
        uint64_t t0 = now_ns();
        int err = bench_source_run(o->uri, &cfg, buf, o->buffer, &bytes);
        uint64_t t1 = now_ns();
        ota_mem_get_stats(&m1);
        bench_malloc_get(&p1);
        if (err != OTA_OK) {
            die("reading %s failed", o->uri, err);
        }
        printf("{\"cmd\":\"source\",\"uri\":\"%s\",\"bytes\":%llu,\"repeat\":%d,\"ns\":%llu,"
               "\"ota_mem\":{\"peak\":%zu,\"allocations\":%llu},\"malloc\":{\"available\":%s,\"peak\":%zu,"
               "\"allocations\":%llu}}\n",
               o->uri, (unsigned long long)bytes, r, (unsigned long long)(t1 - t0),
               m1.peak_bytes - m0.current_bytes, (unsigned long long)(m1.allocations - m0.allocations),
               bench_malloc_available() ? "true" : "false", p1.peak_bytes - p0.current_bytes,
               (unsigned long long)(p1.allocations - p0.allocations));
        fflush(stdout);
    }
    free(buf);
    return 0;
}

/* ---- SHA-256 alone ------------------------------------------------------------------------ */

__attribute__((noinline)) void bench_sha_run(const uint8_t *data, size_t len, size_t chunk, uint8_t out[32]);
__attribute__((noinline)) void bench_sha_run(const uint8_t *data, size_t len, size_t chunk, uint8_t out[32])
{
    ota_sha256_ctx_t ctx;
    ota_sha256_init(&ctx);
    for (size_t off = 0; off < len; off += chunk) {
        ota_sha256_update(&ctx, data + off, len - off < chunk ? len - off : chunk);
    }
    ota_sha256_final(&ctx, out);
}

int cmd_sha(const options_t *o)
{
    if (o->image == NULL) {
        die("sha needs a FILE%s", "", 0);
    }
    size_t len;
    uint8_t *data = read_file(o->image, &len);
    for (int r = 0; r < o->repeat; r++) {
        uint8_t digest[32];
        uint64_t t0 = now_ns();
        bench_sha_run(data, len, o->chunk, digest);
        uint64_t t1 = now_ns();
        char hex[65];
        for (int i = 0; i < 32; i++) {
            snprintf(hex + 2 * i, 3, "%02x", digest[i]);
        }
        printf("{\"cmd\":\"sha\",\"bytes\":%zu,\"chunk\":%zu,\"repeat\":%d,\"ns\":%llu,\"sha256\":\"%s\","
               "\"backend\":\"%s\"}\n",
               len, o->chunk, r, (unsigned long long)(t1 - t0), hex, ota_crypto_backend());
    }
    free(data);
    return 0;
}
