/* ota_bench: the in-process measurements behind `make bench` (bench/bench.py drives it).
 *
 *   ota_bench update  --device DEV.bin --uri URI [options]   run an update through the service
 *   ota_bench source  --uri URI [--repeat N]                 read a resource through a source alone
 *   ota_bench sha     FILE [--repeat N] [--chunk N]          SHA-256 of a file (same backend)
 *   ota_bench devtime --device DEV.bin --image FILE [--data LABEL]
 *                                                            simulated flash time: service, floor,
 *                                                            ESP-ADF-like strategies
 *
 * Every command prints JSON objects, one per line, on stdout. The measured code runs inside a
 * noinline function of its own (bench_service_run, bench_source_run, bench_sha_run) so callgrind
 * can count exactly that with --toggle-collect=FUNCTION.
 *
 * update: DEV.bin is a pristine device image; with --file-device WORK.bin the update runs on a
 * copy of it opened like `ota run` does (file-backed, mmap), else on the RAM emulator loaded with
 * its bytes. The device is reset to the pristine bytes before every repeat (not timed). Memory
 * figures: the library's counters (ota_mem: everything the service and its sources allocate)
 * and a process-wide malloc counter (malloc_count.c: libcurl and OpenSSL included). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "malloc_count.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_device.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_log.h"
#include "ota/port/ota_log_posix.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_service.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_update_features.h"
#include "ota_example.h"

#define MAX_REPEAT 64

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, const char *a, int err)
{
    fprintf(stderr, "ota_bench: ");
    fprintf(stderr, fmt, a);
    if (err != 0) {
        fprintf(stderr, ": %s (%d)", ota_strerror(err), err);
    }
    fputc('\n', stderr);
    exit(1);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        die("cannot open %s", path, 0);
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        die("cannot stat %s", path, 0);
    }
    uint8_t *data = malloc((size_t)st.st_size + 1);
    if (data == NULL || fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        die("cannot read %s", path, 0);
    }
    fclose(f);
    *len = (size_t)st.st_size;
    return data;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    /* In place (no O_TRUNC): the blocks stay allocated, so the update's own I/O is not mixed with
     * the write-back of a fresh file (ext4 delayed allocation); see bench.py reset_device. */
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        die("cannot create %s", path, 0);
    }
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            die("cannot write %s", path, 0);
        }
        data += n;
        len -= (size_t)n;
    }
    close(fd);
}

/* ---- flash with per-operation wall-clock accounting (--phases) ---------------------------- */

typedef struct {
    ota_flash_t flash; /* first member: handed to the device */
    const ota_flash_t *inner;
    uint64_t read_ns, program_ns, erase_ns;
} timed_flash_t;

static int tf_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->read(t->inner->ctx, addr, buf, len);
    t->read_ns += now_ns() - t0;
    return err;
}

static int tf_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->program(t->inner->ctx, addr, buf, len);
    t->program_ns += now_ns() - t0;
    return err;
}

static int tf_erase(void *ctx, uint32_t addr, uint32_t len)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->erase(t->inner->ctx, addr, len);
    t->erase_ns += now_ns() - t0;
    return err;
}

/* A mapped range is read where it lies: the time the caller then spends on it is its own. */
static int tf_map(void *ctx, uint32_t addr, size_t len, const void **out)
{
    timed_flash_t *t = ctx;
    uint64_t t0 = now_ns();
    int err = t->inner->ops->map(t->inner->ctx, addr, len, out);
    t->read_ns += now_ns() - t0;
    return err;
}

static const ota_flash_ops_t k_timed_ops = {
    .read = tf_read, .program = tf_program, .erase = tf_erase, .map = tf_map};

static void timed_flash_wrap(timed_flash_t *t, const ota_flash_t *inner)
{
    memset(t, 0, sizeof *t);
    t->flash = *inner;
    t->flash.ops = &k_timed_ops;
    t->flash.ctx = t;
    t->inner = inner;
}

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

/* ---- device under test -------------------------------------------------------------------- */

typedef struct {
    const char *pristine_path;
    const char *file_device; /* NULL: RAM emulator */
    const char *running;     /* label of the running app, or NULL */
    uint8_t *pristine;
    size_t pristine_len;
    /* RAM mode */
    ota_flash_emu_t *emu;
    ota_device_t ram_dev;
    /* file mode */
    ota_device_file_t *file;
    /* the device the service sees */
    ota_device_t *dev;
    timed_flash_t timed;
    bool phases;
    /* issue 11: security settings as state-file lines (--security) and the decrypt key bytes */
    char *security_text;
    size_t security_len;
    ota_enc_img_key_t decrypt_key;
} bench_device_t;

static ota_flash_emu_t *device_emu(bench_device_t *d)
{
    return d->file != NULL ? ota_flash_file_emu(ota_device_file_flash(d->file)) : d->emu;
}

static void device_load(bench_device_t *d)
{
    d->pristine = read_file(d->pristine_path, &d->pristine_len);
    if (d->file_device == NULL) {
        ota_flash_emu_config_t cfg = {.size = (uint32_t)d->pristine_len, .strict = true};
        int err = ota_flash_emu_create(&cfg, NULL, &d->emu);
        if (err != OTA_OK) {
            die("cannot create a RAM flash of %s's size", d->pristine_path, err);
        }
    }
}

/* Put the pristine bytes back and open the device (not timed). */
static void device_reset(bench_device_t *d)
{
    const ota_flash_t *flash;
    if (d->file_device != NULL) {
        write_file(d->file_device, d->pristine, d->pristine_len);
        char state[4096];
        snprintf(state, sizeof state, "%s%s", d->file_device, OTA_DEVICE_STATE_SUFFIX);
        unlink(state);
        ota_device_file_options_t opts = {.emu = {.strict = true}};
        char diag[256] = "";
        int err = ota_device_file_open(d->file_device, &opts, &d->file, diag, sizeof diag);
        if (err != OTA_OK) {
            die("cannot open device %s", d->file_device, err);
        }
        d->dev = ota_device_file_device(d->file);
        flash = d->dev->flash;
    } else {
        memcpy(ota_flash_emu_memory(d->emu), d->pristine, d->pristine_len);
        flash = ota_flash_emu_flash(d->emu);
        ota_device_init(&d->ram_dev, flash, NULL);
        ota_partition_diag_t diag;
        int err = ota_device_load_table(&d->ram_dev, &diag);
        if (err != OTA_OK) {
            die("no partition table in %s", d->pristine_path, err);
        }
        d->dev = &d->ram_dev;
    }
    if (d->phases) {
        timed_flash_wrap(&d->timed, flash);
        d->dev->flash = &d->timed.flash;
    }
    ota_device_set_running(d->dev, NULL);
    if (d->running != NULL) {
        const ota_partition_info_t *p = ota_partition_find_by_label(&d->dev->table, d->running);
        if (p == NULL) {
            die("no partition %s", d->running, 0);
        }
        ota_device_set_running(d->dev, p);
    }
    if (d->security_text != NULL) {
        char diag[200] = "";
        int err = ota_device_state_parse(d->security_text, d->security_len, d->dev, diag, sizeof diag);
        if (err != OTA_OK) {
            die("--security: %s", diag, err);
        }
    }
    if (d->decrypt_key.data != NULL) {
        d->dev->security.decrypt_key = d->decrypt_key;
    }
    ota_flash_emu_reset_stats(device_emu(d));
}

static void device_close(bench_device_t *d)
{
    if (d->file != NULL) {
        ota_device_file_close(d->file);
        d->file = NULL;
    }
}

/* ---- the service run ---------------------------------------------------------------------- */

typedef struct {
    ota_device_t *dev;
    const char *uri;
    const char *data_label; /* NULL: app item */
    ota_source_posix_config_t source;
    size_t buffer;
    bool boot; /* restart hook runs the simulated bootloader (as `ota run`) */
    bool phases;
    uint64_t boot_ns;
    int boot_err;
    ota_service_summary_t summary;
} run_ctx_t;

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

static void print_flash_stats(const ota_flash_emu_stats_t *s)
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

static void print_timing(const ota_flash_emu_config_t *cfg)
{
    const ota_flash_timing_t *t = &cfg->timing;
    printf("\"timing\":{\"sector_erase_us\":%u,\"block_erase_us\":%u,\"page_program_us\":%u,"
           "\"read_clock_hz\":%u,\"read_bus_width\":%u,\"read_setup_clocks\":%u}",
           t->sector_erase_us, t->block_erase_us, t->page_program_us, t->read_clock_hz, t->read_bus_width,
           t->read_setup_clocks);
}

typedef struct {
    const char *device, *file_device, *uri, *running, *data_label, *cacert, *image;
    const char *security, *decrypt_key; /* state-file lines; rsa3072:PEM or ecies:KEY.bin */
    int repeat;
    size_t buffer, chunk;
    bool phases, boot;
} options_t;

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

static int cmd_update(const options_t *o)
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

static int cmd_source(const options_t *o)
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

static int cmd_sha(const options_t *o)
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

/* ---- device time -------------------------------------------------------------------------- */

static void print_devtime(const char *what, uint64_t bytes, const ota_flash_emu_t *emu)
{
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    const ota_flash_timing_t *t = &ota_flash_emu_config(emu)->timing;
    uint64_t erase_ns = (s.sector_erases * t->sector_erase_us + s.block_erases * t->block_erase_us) * 1000ull;
    uint64_t program_ns = s.program_pages * t->page_program_us * 1000ull;
    printf("{\"cmd\":\"devtime\",\"what\":\"%s\",\"bytes\":%llu,\"erase_ns\":%llu,\"program_ns\":%llu,"
           "\"read_ns\":%llu,",
           what, (unsigned long long)bytes, (unsigned long long)erase_ns, (unsigned long long)program_ns,
           (unsigned long long)(s.sim_time_ns - erase_ns - program_ns));
    print_flash_stats(&s);
    putchar(',');
    print_timing(ota_flash_emu_config(emu));
    printf("}\n");
}

/* Program @p len bytes at @p addr one page-program command at a time. */
static void program_pages(const ota_flash_t *flash, uint32_t addr, const uint8_t *data, size_t len)
{
    for (size_t off = 0; off < len;) {
        uint32_t a = addr + (uint32_t)off;
        size_t n = flash->page_size - a % flash->page_size;
        if (n > len - off) {
            n = len - off;
        }
        int err = ota_flash_program(flash, a, data + off, n);
        if (err != OTA_OK) {
            die("program failed%s", "", err);
        }
        off += n;
    }
}

/* The physical floor for @p len bytes at @p addr: the cheapest erase cover (64 KiB blocks, or
 * sectors where fewer sectors cost less than a block) of the image and, for a data partition, of
 * the rest of the partition up to @p cover_end (ESP-ADF leaves it erased; the bench fills it with a
 * previous image first, so all of it must be erased), then page programs; no reads. */
static void floor_strategy(const ota_flash_t *flash, const ota_flash_timing_t *t, uint32_t addr,
                           const uint8_t *data, size_t len, uint32_t cover_end)
{
    uint32_t end =
        addr + (uint32_t)((len + flash->sector_size - 1) / flash->sector_size * flash->sector_size);
    if (cover_end > end) {
        end = cover_end;
    }
    uint32_t a = addr;
    while (a < end) {
        if (a % flash->block_size == 0) {
            uint32_t left = end - a;
            uint32_t sectors = (left + flash->sector_size - 1) / flash->sector_size;
            bool block =
                left >= flash->block_size || (uint64_t)sectors * t->sector_erase_us > t->block_erase_us;
            if (block && a + flash->block_size <= flash->size) {
                ota_flash_erase_block(flash, a);
                a += flash->block_size;
                continue;
            }
        }
        ota_flash_erase_sector(flash, a);
        a += flash->sector_size;
    }
    program_pages(flash, addr, data, len);
}

/* A data partition starts out full of a previous image (not counted: it is the chip's state), so
 * leaving nothing of it behind costs what it costs. */
static void fill_stale(bench_device_t *d, const ota_partition_info_t *target, bool data)
{
    uint8_t *mem = ota_flash_emu_memory(d->emu) + target->offset;
    for (uint32_t i = 0; data && i < target->size; i++) {
        mem[i] = (uint8_t)(i * 7u + 0x11u) & 0x7Fu;
    }
}

static int cmd_devtime(const options_t *o)
{
    if (o->device == NULL || o->image == NULL) {
        die("devtime needs --device and --image%s", "", 0);
    }
    char abs[4096], uri[4200];
    if (realpath(o->image, abs) == NULL) {
        die("cannot resolve %s", o->image, 0);
    }
    snprintf(uri, sizeof uri, "file://%s", abs);
    size_t len;
    uint8_t *image = read_file(o->image, &len);

    /* 1. the service, on the RAM emulator */
    bench_device_t d = {.pristine_path = o->device, .running = o->running};
    device_load(&d);
    device_reset(&d);
    const ota_partition_info_t *slot = o->data_label
                                           ? ota_partition_find_by_label(&d.dev->table, o->data_label)
                                           : ota_ops_get_next_update_partition(d.dev, NULL);
    if (slot == NULL) {
        die("no target partition%s", "", 0);
    }
    ota_partition_info_t target = *slot;
    run_ctx_t rc = {
        .dev = d.dev, .uri = uri, .data_label = o->data_label, .source = {.proxy = ""}, .buffer = o->buffer};
    fill_stale(&d, &target, o->data_label != NULL);
    int err = bench_service_run(&rc);
    if (err != OTA_OK || rc.summary.succeeded != 1) {
        die("the update of %s failed", uri, err);
    }
    const uint8_t *after = ota_flash_emu_memory(d.emu) + target.offset;
    if (memcmp(after, image, len) != 0) {
        die("%s: the partition does not hold the image after the update", target.label, 0);
    }
    for (size_t i = len; o->data_label != NULL && i < target.size; i++) {
        if (after[i] != 0xFF) {
            die("%s: a byte of the previous content is left after the image", target.label, 0);
        }
    }
    printf("{\"cmd\":\"devtime_target\",\"label\":\"%s\",\"offset\":%u,\"size\":%u}\n", target.label,
           (unsigned)target.offset, (unsigned)target.size);
    print_devtime("service", len, d.emu);

    /* 2. the floor and 3. ESP-ADF-like strategies, on the same (re-loaded) chip */
    const ota_flash_t *flash = ota_flash_emu_flash(d.emu);
    const ota_flash_timing_t *t = &ota_flash_emu_config(d.emu)->timing;
    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    floor_strategy(flash, t, target.offset, image, len, o->data_label ? target.offset + target.size : 0);
    print_devtime("floor", len, d.emu);

    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    for (uint32_t a = target.offset; a < target.offset + target.size; a += flash->sector_size) {
        ota_flash_erase_sector(flash, a);
    }
    program_pages(flash, target.offset, image, len);
    print_devtime("espadf_sectors", len, d.emu);

    device_reset(&d);
    fill_stale(&d, &target, o->data_label != NULL);
    ota_flash_erase_range(flash, target.offset, target.size); /* esp_flash_erase_region: blocks if aligned */
    program_pages(flash, target.offset, image, len);
    print_devtime("espadf_erase_range", len, d.emu);

    ota_flash_emu_destroy(d.emu);
    free(d.pristine);
    free(image);
    return 0;
}

/* ---- main --------------------------------------------------------------------------------- */

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ota_bench update  --device DEV.bin --uri URI [--file-device WORK.bin] [--running LABEL]\n"
            "                         [--data LABEL] [--repeat N] [--phases] [--boot] [--cacert PEM] "
            "[--buffer N]\n"
            "                         [--security STATE_LINES] [--decrypt-key rsa3072:PEM|ecies:KEY.bin]\n"
            "       ota_bench source  --uri URI [--repeat N] [--buffer N] [--cacert PEM]\n"
            "       ota_bench sha     FILE [--repeat N] [--chunk N]\n"
            "       ota_bench devtime --device DEV.bin --image FILE [--data LABEL] [--running LABEL]\n"
            "JSON lines on stdout; see bench/README.md.\n");
}

int main(int argc, char **argv)
{
    enum {
        OPT_DEVICE = 256,
        OPT_FILEDEV,
        OPT_URI,
        OPT_RUNNING,
        OPT_DATA,
        OPT_REPEAT,
        OPT_PHASES,
        OPT_BOOT,
        OPT_CACERT,
        OPT_BUFFER,
        OPT_CHUNK,
        OPT_IMAGE,
        OPT_VERBOSE,
        OPT_SECURITY,
        OPT_DECRYPT
    };
    static const struct option options[] = {
        {"device", required_argument, NULL, OPT_DEVICE},
        {"file-device", required_argument, NULL, OPT_FILEDEV},
        {"uri", required_argument, NULL, OPT_URI},
        {"running", required_argument, NULL, OPT_RUNNING},
        {"data", required_argument, NULL, OPT_DATA},
        {"repeat", required_argument, NULL, OPT_REPEAT},
        {"phases", no_argument, NULL, OPT_PHASES},
        {"boot", no_argument, NULL, OPT_BOOT},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"buffer", required_argument, NULL, OPT_BUFFER},
        {"chunk", required_argument, NULL, OPT_CHUNK},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"verbose", no_argument, NULL, OPT_VERBOSE},
        {"security", required_argument, NULL, OPT_SECURITY},
        {"decrypt-key", required_argument, NULL, OPT_DECRYPT},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    options_t o = {.repeat = 1, .buffer = 4096, .chunk = 4096};
    bool verbose = false;
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case OPT_DEVICE: o.device = optarg; break;
        case OPT_FILEDEV: o.file_device = optarg; break;
        case OPT_URI: o.uri = optarg; break;
        case OPT_RUNNING: o.running = optarg; break;
        case OPT_DATA: o.data_label = optarg; break;
        case OPT_REPEAT: o.repeat = atoi(optarg); break;
        case OPT_PHASES: o.phases = true; break;
        case OPT_BOOT: o.boot = true; break;
        case OPT_CACERT: o.cacert = optarg; break;
        case OPT_BUFFER: o.buffer = (size_t)strtoul(optarg, NULL, 0); break;
        case OPT_CHUNK: o.chunk = (size_t)strtoul(optarg, NULL, 0); break;
        case OPT_IMAGE: o.image = optarg; break;
        case OPT_VERBOSE: verbose = true; break;
        case OPT_SECURITY: o.security = optarg; break;
        case OPT_DECRYPT: o.decrypt_key = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        o.image = argv[optind];
    }
    if (o.repeat < 1 || o.repeat > MAX_REPEAT || o.buffer < 512 || o.chunk == 0) {
        usage(stderr);
        return 2;
    }
    ota_log_to_stream(stderr, 0);
    ota_log_set_level(verbose ? OTA_LOG_INFO : OTA_LOG_ERROR);
    /* OpenSSL sets itself up on first use (CPU features, the provider behind the one-shot MD5 of
     * partition tables): done here, outside the measured functions, so callgrind's per-byte
     * figures are the steady state. */
    uint8_t warm[OTA_SHA256_LEN];
    ota_sha256("", 0, warm);
    ota_md5("", 0, warm);
    if (strcmp(cmd, "update") == 0) {
        return cmd_update(&o);
    }
    if (strcmp(cmd, "source") == 0) {
        return cmd_source(&o);
    }
    if (strcmp(cmd, "sha") == 0) {
        return cmd_sha(&o);
    }
    if (strcmp(cmd, "devtime") == 0) {
        return cmd_devtime(&o);
    }
    usage(stderr);
    return 2;
}
