/* ota_bench update: one update through the service per repeat, timed per phase (--phases), with
 * the library's and the process's memory figures. */
#include "ota_bench.h"

/* ---- source with wall-clock accounting (--phases) ----------------------------------------- */

typedef struct {
    ota_source_t base; /* first member */
    ota_source_t *inner;
    bool used;
} timed_source_t;

static timed_source_t g_tsrc[2]; /* a resume opens the new source before closing the old */
static uint64_t g_source_ns;

static int ts_read(ota_source_t *src, void *buf, size_t len)
{
    timed_source_t *t = (timed_source_t *)src;
    uint64_t t0 = now_ns();
    int n = ota_source_read(t->inner, buf, len);
    g_source_ns += now_ns() - t0;
    t->base.info = t->inner->info;
    return n;
}

static void ts_close(ota_source_t *src)
{
    timed_source_t *t = (timed_source_t *)src;
    uint64_t t0 = now_ns();
    ota_source_close(t->inner);
    g_source_ns += now_ns() - t0;
    t->used = false;
}

static const ota_source_ops_t k_timed_source_ops = {.read = ts_read, .close = ts_close};

static int timed_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                      const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    timed_source_t *t = !g_tsrc[0].used ? &g_tsrc[0] : !g_tsrc[1].used ? &g_tsrc[1] : NULL;
    if (t == NULL) {
        return OTA_ERR_NO_MEM;
    }
    uint64_t t0 = now_ns();
    ota_source_t *inner = NULL;
    int err = ota_source_open(NULL, cfg, uri, offset, expect, &inner, diag);
    g_source_ns += now_ns() - t0;
    if (err != OTA_OK) {
        return err;
    }
    t->base.ops = &k_timed_source_ops;
    t->base.info = inner->info;
    t->inner = inner;
    t->used = true;
    *out = &t->base;
    return OTA_OK;
}

/* ---- the service run ---------------------------------------------------------------------- */

static void on_restart(void *arg)
{
    run_ctx_t *rc = arg;
    uint64_t t0 = now_ns();
    ota_device_set_running(rc->dev, NULL);
    ota_boot_result_t boot;
    rc->boot_err = ota_bootloader_run(rc->dev, &boot);
    rc->boot_ns += now_ns() - t0;
}

/* Everything the service does for one update: create, list, run, destroy. */
__attribute__((noinline)) int bench_service_run(run_ctx_t *rc);
__attribute__((noinline)) int bench_service_run(run_ctx_t *rc)
{
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = rc->dev,
        .work_buffer_size = rc->buffer,
        .source = {.transport = &rc->source},
        .open_source = rc->phases ? timed_open : NULL,
        .restart = rc->boot ? on_restart : NULL,
        .restart_ctx = rc,
    };
    ota_service_t *svc = NULL;
    int err = ota_service_create(&cfg, &svc);
    if (err != OTA_OK) {
        return err;
    }
    ota_example_config_t ex = {
        .firmware_upgrade_uri = rc->data_label ? NULL : rc->uri,
        .data_upgrade_uri = rc->data_label ? rc->uri : NULL,
        .data_partition_label = rc->data_label,
    };
    ota_upgrade_ops_t list[2];
    int count = ota_example_make_upgrade_list(&ex, list);
    err = ota_service_set_upgrade_list(svc, list, count);
    if (err == OTA_OK) {
        err = ota_service_run(svc, &rc->summary);
    }
    ota_service_destroy(svc);
    return err;
}

void print_flash_stats(const ota_flash_emu_stats_t *s)
{
    printf("\"flash\":{\"read_ops\":%llu,\"read_bytes\":%llu,\"program_ops\":%llu,\"program_bytes\":%llu,"
           "\"program_pages\":%llu,\"sector_erases\":%llu,\"block_erases\":%llu,\"erase_bytes\":%llu,"
           "\"sim_ns\":%llu}",
           (unsigned long long)s->read_ops, (unsigned long long)s->read_bytes,
           (unsigned long long)s->program_ops, (unsigned long long)s->program_bytes,
           (unsigned long long)s->program_pages, (unsigned long long)s->sector_erases,
           (unsigned long long)s->block_erases, (unsigned long long)s->erase_bytes,
           (unsigned long long)s->sim_time_ns);
}

void print_timing(const ota_flash_emu_config_t *cfg)
{
    const ota_flash_timing_t *t = &cfg->timing;
    printf("\"timing\":{\"sector_erase_us\":%u,\"block_erase_us\":%u,\"page_program_us\":%u,"
           "\"read_clock_hz\":%u,\"read_bus_width\":%u,\"read_setup_clocks\":%u}",
           t->sector_erase_us, t->block_erase_us, t->page_program_us, t->read_clock_hz, t->read_bus_width,
           t->read_setup_clocks);
}

static int64_t uri_size(const char *uri, const ota_source_config_t *cfg)
{
    ota_source_t *src = NULL;
    int err = ota_source_open(NULL, cfg, uri, 0, NULL, &src, NULL);
    if (err != OTA_OK) {
        die("cannot open %s", uri, err);
    }
    int64_t total = ota_source_get_info(src)->total_size;
    ota_source_close(src);
    return total;
}

int cmd_update(const options_t *o)
{
    if (o->device == NULL || o->uri == NULL) {
        die("update needs --device and --uri%s", "", 0);
    }
    bench_device_t d = {.pristine_path = o->device,
                        .file_device = o->file_device,
                        .running = o->running,
                        .phases = o->phases};
    if (o->security != NULL && (d.security_text = (char *)read_file(o->security, &d.security_len)) == NULL) {
        die("cannot read %s", o->security, 0);
    }
    if (o->decrypt_key != NULL) {
        bool rsa = strncmp(o->decrypt_key, "rsa3072:", 8) == 0;
        const char *path = strchr(o->decrypt_key, ':');
        size_t klen = 0;
        uint8_t *k = path != NULL ? read_file(path + 1, &klen) : NULL;
        if (k == NULL) {
            die("--decrypt-key %s: rsa3072:PEM or ecies:KEY.bin", o->decrypt_key, 0);
        }
        d.decrypt_key = (ota_enc_img_key_t){
            .scheme = rsa ? OTA_ENC_SCHEME_RSA3072 : OTA_ENC_SCHEME_ECIES_P256, .data = k, .len = klen};
    }
    device_load(&d);
    ota_source_posix_config_t src = {.ca_file = o->cacert, .proxy = ""};
    ota_source_config_t core = {.transport = &src};
    int64_t total = uri_size(o->uri, &core);
    for (int r = 0; r < o->repeat; r++) {
        device_reset(&d);
        run_ctx_t rc = {.dev = d.dev,
                        .uri = o->uri,
                        .data_label = o->data_label,
                        .source = src,
                        .buffer = o->buffer,
                        .boot = o->boot,
                        .phases = o->phases};
        g_source_ns = 0;
        ota_mem_stats_t m0, m1;
        bench_malloc_stats_t p0, p1;
        ota_mem_reset_peak();
        bench_malloc_reset_peak();
        ota_mem_get_stats(&m0);
        bench_malloc_get(&p0);
        bench_malloc_trace(true);
        uint64_t t0 = now_ns();
        int err = bench_service_run(&rc);
        uint64_t t1 = now_ns();
        bench_malloc_trace(false);
        ota_mem_get_stats(&m1);
        bench_malloc_get(&p1);
        ota_flash_emu_stats_t fs;
        ota_flash_emu_get_stats(device_emu(&d), &fs);
        const ota_flash_emu_config_t *fcfg = ota_flash_emu_config(device_emu(&d));
        if (err != OTA_OK || rc.summary.succeeded != 1 || (o->boot && rc.boot_err != OTA_OK)) {
            fprintf(stderr, "ota_bench: update failed: %s (succeeded %d, boot %s)\n", ota_strerror(err),
                    rc.summary.succeeded, ota_strerror(rc.boot_err));
            return 1;
        }
        printf("{\"cmd\":\"update\",\"uri\":\"%s\",\"bytes\":%lld,\"device\":\"%s\",\"repeat\":%d,"
               "\"ns\":%llu,\"boot_ns\":%llu,",
               o->uri, (long long)total, o->file_device ? "file" : "ram", r, (unsigned long long)(t1 - t0),
               (unsigned long long)rc.boot_ns);
        if (o->phases) {
            printf("\"phases\":{\"source_ns\":%llu,\"flash_read_ns\":%llu,\"flash_program_ns\":%llu,"
                   "\"flash_erase_ns\":%llu},",
                   (unsigned long long)g_source_ns, (unsigned long long)d.timed.read_ns,
                   (unsigned long long)d.timed.program_ns, (unsigned long long)d.timed.erase_ns);
        }
        printf("\"ota_mem\":{\"peak\":%zu,\"allocations\":%llu,\"frees\":%llu,\"leaked\":%lld},",
               m1.peak_bytes - m0.current_bytes, (unsigned long long)(m1.allocations - m0.allocations),
               (unsigned long long)(m1.frees - m0.frees),
               (long long)m1.current_bytes - (long long)m0.current_bytes);
        printf("\"malloc\":{\"available\":%s,\"peak\":%zu,\"allocations\":%llu,\"sizes\":[",
               bench_malloc_available() ? "true" : "false", p1.peak_bytes - p0.current_bytes,
               (unsigned long long)(p1.allocations - p0.allocations));
        const size_t *sizes;
        size_t nsizes = bench_malloc_traced(&sizes);
        for (size_t i = 0; i < nsizes; i++) {
            printf("%s%zu", i ? "," : "", sizes[i]);
        }
        printf("]},");
        print_flash_stats(&fs);
        putchar(',');
        print_timing(fcfg);
        printf("}\n");
        fflush(stdout);
        device_close(&d);
    }
    ota_flash_emu_destroy(d.emu);
    free(d.pristine);
    free(d.security_text);
    free((void *)d.decrypt_key.data);
    return 0;
}
