/* ESP-ADF's OTA example run through the ESP-IDF flash port (src/port/esp-idf/flash_esp_partition.c)
 * on ESP-IDF's own Linux-target esp_partition (partition.c + partition_linux.c, built from
 * ../shared/esp-idf), opened on a device file of this project. Everything above the flash layer
 * is the core and the host board of `ota run` (src/sim/host/example_host.c), so the resulting
 * flash must equal `ota run`'s byte for byte (test_esp_partition_port.py compares them).
 *
 *   idf_flash_run selftest DEVICE
 *       the port's region cover, reads across partitions, no writes outside the table (the
 *       device gets written: pass a copy).
 *   idf_flash_run run DEVICE SDCARD APP_URI
 *       one run; writes DEVICE and DEVICE.state as `ota run` does.
 *   idf_flash_run sweep DEVICE SDCARD APP_URI OLD_VERSION NEW_VERSION WORKDIR
 *       records the program/erase calls of an uninterrupted run, then for each of them: a copy of
 *       DEVICE, the run with ESP-IDF's power-off emulation (esp_partition_fail_after) set to stop
 *       the power half way through that call, a reset (the device file reopened), the simulated
 *       bootloader, which must boot OLD or NEW; then the run again, after which NEW must boot.
 *       Prints the counts as one JSON line; exit 1 on any violation.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esp_partition.h"
#include "esp_private/partition_linux.h"
#include "flash_esp_partition.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/ota_device.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_update_features.h"
#include "ota/sim/ota_example_host.h"

/* --- the power switch: ESP-IDF's emulation interrupts one call, then lets later calls through;
 * on a real board the CPU is off from that moment, so nothing more may reach the flash ---------- */

typedef struct {
    ota_flash_t outer;
    const ota_flash_t *inner;
    bool armed;     /* esp_partition_fail_after is set */
    bool off;       /* the interrupted call happened: the power is gone */
    bool recording; /* log the units of every program/erase (the uninterrupted run) */
    size_t *units;  /* ESP-IDF power-off counter units per call: 4-byte words / sectors */
    size_t n_ops, cap;
} power_t;

static power_t g_power;

static void record(size_t units)
{
    power_t *p = &g_power;
    if (!p->recording) {
        return;
    }
    if (p->n_ops == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->units = realloc(p->units, p->cap * sizeof *p->units);
        if (p->units == NULL) {
            abort();
        }
    }
    p->units[p->n_ops++] = units;
}

static int after(int err)
{
    if (err != OTA_OK && g_power.armed &&
        (err == OTA_ERR_FLASH_PROGRAM_FAILED || err == OTA_ERR_FLASH_ERASE_FAILED)) {
        g_power.off = true;
        return OTA_ERR_FLASH_POWER_LOST;
    }
    return err;
}

static int sw_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    (void)ctx;
    if (g_power.off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    return g_power.inner->ops->read(g_power.inner->ctx, addr, buf, len);
}

static int sw_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    (void)ctx;
    if (g_power.off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    record(len / 4);
    if (g_power.recording && getenv("IDF_SWEEP_VERBOSE") != NULL) {
        fprintf(stderr, "op %zu: program 0x%06" PRIx32 " %zu\n", g_power.n_ops - 1, addr, len);
    }
    return after(g_power.inner->ops->program(g_power.inner->ctx, addr, buf, len));
}

static int sw_erase(void *ctx, uint32_t addr, uint32_t len)
{
    (void)ctx;
    if (g_power.off) {
        return OTA_ERR_FLASH_POWER_LOST;
    }
    record(len / OTA_FLASH_SECTOR_SIZE);
    if (g_power.recording && getenv("IDF_SWEEP_VERBOSE") != NULL) {
        fprintf(stderr, "op %zu: erase 0x%06" PRIx32 " %" PRIu32 "\n", g_power.n_ops - 1, addr, len);
    }
    return after(g_power.inner->ops->erase(g_power.inner->ctx, addr, len));
}

static const ota_flash_ops_t k_switch_ops = {sw_read, sw_program, sw_erase, NULL};

/* --- one power-on of the board: ESP-IDF maps the file, the port covers it, the core runs -------- */

typedef struct {
    ota_esp_flash_t esp;
    ota_device_t dev;
    char state_path[4200];
} board_t;

static board_t g_board;

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *buf = malloc(65536);
    *len = buf != NULL ? fread(buf, 1, 65535, f) : 0;
    fclose(f);
    if (buf != NULL) {
        buf[*len] = 0;
    }
    return buf;
}

static int board_open(board_t *b, const char *path)
{
    esp_partition_file_mmap_ctrl_t *in = esp_partition_get_file_mmap_ctrl_input();
    memset(in, 0, sizeof *in);
    snprintf(in->flash_file_name, sizeof in->flash_file_name, "%s", path); /* an existing file */
    int err = ota_esp_flash_init(&b->esp, 0);
    if (err != OTA_OK) {
        fprintf(stderr, "idf_flash_run: %s: port init: %s\n", path, ota_strerror(err));
        return err;
    }
    g_power.inner = &b->esp.flash;
    g_power.outer = b->esp.flash;
    g_power.outer.ops = &k_switch_ops;
    g_power.outer.ctx = &g_power;
    ota_device_init(&b->dev, &g_power.outer, NULL);
    ota_partition_diag_t diag = {0};
    err = ota_device_load_table(&b->dev, &diag);
    if (err != OTA_OK) {
        fprintf(stderr, "idf_flash_run: %s: table: %s %s\n", path, ota_strerror(err), diag.message);
        return err;
    }
    snprintf(b->state_path, sizeof b->state_path, "%s%s", path, OTA_DEVICE_STATE_SUFFIX);
    size_t len = 0;
    char *text = read_text(b->state_path, &len);
    if (text != NULL) {
        char why[200] = "";
        err = ota_device_state_parse(text, len, &b->dev, why, sizeof why);
        free(text);
        if (err != OTA_OK) {
            fprintf(stderr, "idf_flash_run: %s: %s\n", b->state_path, why);
            return err;
        }
    }
    return OTA_OK;
}

static int board_save_state(board_t *b)
{
    char text[4096];
    int n = ota_device_state_format(&b->dev, text, sizeof text);
    if (n < 0) {
        return n;
    }
    FILE *f = fopen(b->state_path, "wb");
    if (f == NULL) {
        return OTA_ERR_IO;
    }
    fputs(text, f);
    return fclose(f) == 0 ? OTA_OK : OTA_ERR_IO;
}

static void board_close(board_t *b)
{
    ota_esp_flash_deinit(&b->esp);
    esp_partition_unload_all();
    (void)esp_partition_file_munmap();
}

/* --- the example, as host.c runs it for `ota run` ---------------------------------------------- */

typedef struct {
    board_t *b;
    int boot_err;
    char booted_version[40];
} run_t;

/* sweep: a booted new app passes its self-test and confirms itself (as the power-cut harness's
 * boot does); `run` leaves that to the next run, as `ota run` does */
static bool g_confirm_on_boot;

static int power_on(run_t *r)
{
    ota_boot_result_t boot;
    memset(&boot, 0, sizeof boot);
    r->boot_err = ota_bootloader_run(&r->b->dev, &boot);
    snprintf(r->booted_version, sizeof r->booted_version, "%s",
             r->boot_err == OTA_OK ? boot.image.app_desc.version : "");
    ota_device_t *dev = &r->b->dev;
    const ota_partition_info_t *running = ota_device_running(dev);
    uint32_t state = 0;
    if (g_confirm_on_boot && r->boot_err == OTA_OK && !g_power.off && dev->rollback_enabled &&
        running != NULL && ota_partition_is_ota_app(running) &&
        ota_ops_get_state_partition(dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
        int err = ota_ops_mark_app_valid_cancel_rollback(dev);
        if (err != OTA_OK && !g_power.off) {
            r->boot_err = err;
        }
    }
    return r->boot_err;
}

static void restart(void *arg)
{
    run_t *r = arg;
    ota_device_set_running(&r->b->dev, NULL);
    (void)power_on(r);
}

/* example_host.c's ota_example_host_run, with the device opened through ESP-IDF instead. */
static int example_run(run_t *r, const char *sdcard, const char *app_uri)
{
    ota_device_t *dev = &r->b->dev;
    int err = OTA_OK;
    if (ota_device_running(dev) == NULL) {
        err = power_on(r);
    }
    if (err == OTA_OK && dev->rollback_enabled) {
        uint32_t state = 0;
        const ota_partition_info_t *running = ota_device_running(dev);
        if (running != NULL && ota_partition_is_ota_app(running) &&
            ota_ops_get_state_partition(dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
            err = ota_ops_mark_app_valid_cancel_rollback(dev);
        }
    }
    if (err != OTA_OK) {
        return err;
    }
    ota_example_config_t cfg = {
        .device = dev,
        .firmware_upgrade_uri = app_uri,
        .data_upgrade_uri = "file://sdcard/flash_tone.bin", /* `ota run`'s default */
        .data_partition_label = "flash_tone",
        .features = &ota_update_features_all,
        .source = {.sdcard_root = sdcard},
        .restart = restart,
        .restart_ctx = r,
    };
    ota_service_summary_t sum;
    err = ota_example_app_main(&cfg, &sum);
    if (err == OTA_OK && sum.failed > 0) {
        err = sum.first_error;
    }
    return err;
}

static int cmd_run(const char *device, const char *sdcard, const char *uri)
{
    int err = board_open(&g_board, device);
    run_t r = {.b = &g_board};
    if (err == OTA_OK) {
        err = example_run(&r, sdcard, uri);
    }
    if (err == OTA_OK) {
        err = board_save_state(&g_board);
    }
    board_close(&g_board);
    if (err != OTA_OK) {
        fprintf(stderr, "idf_flash_run: run: %s\n", ota_strerror(err));
        return 1;
    }
    return 0;
}

/* --- the sweep ---------------------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    int err = in != NULL && out != NULL ? OTA_OK : OTA_ERR_IO;
    static char buf[1 << 16];
    size_t n;
    while (err == OTA_OK && (n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            err = OTA_ERR_IO;
        }
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL && fclose(out) != 0) {
        err = OTA_ERR_IO;
    }
    return err;
}

static int copy_device(const char *from, const char *to)
{
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s%s", from, OTA_DEVICE_STATE_SUFFIX);
    snprintf(b, sizeof b, "%s%s", to, OTA_DEVICE_STATE_SUFFIX);
    int err = copy_file(from, to);
    if (err == OTA_OK) {
        FILE *f = fopen(a, "rb");
        if (f != NULL) {
            fclose(f);
            err = copy_file(a, b);
        } else {
            remove(b);
        }
    }
    return err;
}

/* Reset and boot: which version runs ("" if none). */
static int reset_and_boot(const char *work, char *version, size_t size)
{
    int err = board_open(&g_board, work);
    run_t r = {.b = &g_board};
    if (err == OTA_OK) {
        ota_device_set_running(&g_board.dev, NULL); /* the RAM state is gone */
        err = power_on(&r);
    }
    snprintf(version, size, "%s", err == OTA_OK ? r.booted_version : "");
    board_close(&g_board);
    return err;
}

static int cmd_sweep(const char *device, const char *sdcard, const char *uri, const char *old_v,
                     const char *new_v, const char *workdir)
{
    char work[4200];
    snprintf(work, sizeof work, "%s/sweep.bin", workdir);

    /* the uninterrupted run, recording the calls */
    if (copy_device(device, work) != OTA_OK || board_open(&g_board, work) != OTA_OK) {
        return 2;
    }
    g_power.recording = true;
    run_t r0 = {.b = &g_board};
    int err = example_run(&r0, sdcard, uri);
    g_power.recording = false;
    board_close(&g_board);
    if (err != OTA_OK || strcmp(r0.booted_version, new_v) != 0) {
        fprintf(stderr, "idf_flash_run: the uninterrupted run failed: %s, booted '%s'\n", ota_strerror(err),
                r0.booted_version);
        return 1;
    }
    size_t ops = g_power.n_ops, points = 0, not_interruptible = 0, boot_old = 0, boot_new = 0;
    size_t violations = 0, rerun_violations = 0, not_reached = 0;
    size_t before = 0; /* counter units the calls before op i consume */
    /* two cuts per call: half way through it (a torn write / half-erased range) and at its very
     * end (the call done, the power gone before the next one) */
    for (size_t p = 0; p < 2 * ops; p++) {
        size_t i = p / 2;
        size_t u = g_power.units[i];
        size_t k = p % 2 == 0 ? (u + 1) / 2 : u;
        if (p % 2 == 0 && i > 0) {
            before += g_power.units[i - 1];
        }
        if (u == 0) {
            not_interruptible += p % 2; /* under 4 bytes: ESP-IDF's emulation counts 4-byte words */
            continue;
        }
        if (p % 2 == 1 && k == (u + 1) / 2) {
            continue; /* a one-word write or one-sector erase: the same cut twice */
        }
        points++;
        if (copy_device(device, work) != OTA_OK || board_open(&g_board, work) != OTA_OK) {
            return 2;
        }
        /* ESP-IDF: the call in which the counter runs out stops after `counter` words/sectors */
        g_power.armed = true;
        g_power.off = false;
        esp_partition_fail_after(before + k, ESP_PARTITION_FAIL_AFTER_MODE_BOTH);
        run_t r = {.b = &g_board};
        (void)example_run(&r, sdcard, uri);
        bool cut = g_power.off;
        esp_partition_fail_after(SIZE_MAX, 0);
        g_power.armed = false;
        g_power.off = false;
        board_close(&g_board);
        if (!cut) {
            not_reached++;
            fprintf(stderr, "sweep: op %zu: the power-off was not reached\n", i);
            continue;
        }
        char v[40];
        err = reset_and_boot(work, v, sizeof v);
        if (getenv("IDF_SWEEP_VERBOSE") != NULL) {
            fprintf(stderr, "sweep: op %zu cut after %zu of %zu units -> boot %s '%s'\n", i, k, u,
                    ota_strerror(err), v);
        }
        if (err == OTA_OK && strcmp(v, old_v) == 0) {
            boot_old++;
        } else if (err == OTA_OK && strcmp(v, new_v) == 0) {
            boot_new++;
        } else {
            violations++;
            fprintf(stderr, "sweep: op %zu (cut after %zu of %zu units): boots neither app: %s '%s'\n", i, k,
                    u, ota_strerror(err), v);
            continue;
        }
        /* power on again: the example runs once more (the RAM state is gone), then a reset */
        if (board_open(&g_board, work) == OTA_OK) {
            ota_device_set_running(&g_board.dev, NULL);
            run_t r2 = {.b = &g_board};
            err = example_run(&r2, sdcard, uri);
            board_close(&g_board);
        } else {
            err = OTA_ERR_IO;
        }
        if (err == OTA_OK) {
            err = reset_and_boot(work, v, sizeof v);
        }
        if (err != OTA_OK || strcmp(v, new_v) != 0) {
            rerun_violations++;
            fprintf(stderr, "sweep: op %zu: after the rerun: %s, boots '%s'\n", i, ota_strerror(err), v);
        }
    }
    printf("{\"ops\": %zu, \"points\": %zu, \"not_interruptible\": %zu, \"not_reached\": %zu, "
           "\"boot_old\": %zu, \"boot_new\": %zu, \"violations\": %zu, \"rerun_violations\": %zu}\n",
           ops, points, not_interruptible, not_reached, boot_old, boot_new, violations, rerun_violations);
    free(g_power.units);
    return violations == 0 && rerun_violations == 0 && not_reached == 0 && points > 0 ? 0 : 1;
}

/* The port's own rules on a device with the example's table: the whole chip is covered, reads
 * cross partition boundaries, and the ranges outside the table refuse program and erase. */
#define CHECK(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "idf_flash_run: selftest: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            failed++; \
        } \
    } while (0)

static int cmd_selftest(const char *device)
{
    int failed = 0;
    FILE *fp = fopen(device, "rb");
    if (fp == NULL) {
        return 2;
    }
    static uint8_t file[0x20000], got[0x20000];
    size_t n = fread(file, 1, sizeof file, fp);
    fclose(fp);
    CHECK(n == sizeof file);
    if (board_open(&g_board, device) != OTA_OK) {
        return 1;
    }
    const ota_flash_t *fl = &g_board.esp.flash;
    CHECK(fl->size == 4u * 1024 * 1024);
    /* regions sorted, contiguous, covering [0, size) */
    uint32_t end = 0;
    size_t gaps = 0;
    for (size_t i = 0; i < g_board.esp.count; i++) {
        CHECK(g_board.esp.region[i]->address == end);
        end = g_board.esp.region[i]->address + g_board.esp.region[i]->size;
        gaps += g_board.esp.is_gap[i];
    }
    CHECK(end == fl->size);
    CHECK(gaps == 2); /* [0, 0x9000): bootloader + table; the end of the chip after flash_tone */
    /* one read from the bootloader area through nvs, otadata, phy_init into ota_0 */
    CHECK(ota_flash_read(fl, 0, got, sizeof got) == OTA_OK);
    CHECK(memcmp(got, file, sizeof got) == 0);
    /* outside the table: refused, and nothing changed */
    static const uint8_t zeros[16];
    CHECK(ota_flash_program(fl, 0x8000, zeros, sizeof zeros) == OTA_ERR_FLASH_READONLY);
    CHECK(ota_flash_erase_sector(fl, 0x1000) == OTA_ERR_FLASH_READONLY);
    CHECK(ota_flash_erase_sector(fl, fl->size - 0x1000) == OTA_ERR_FLASH_READONLY);
    CHECK(ota_flash_read(fl, 0, got, 0x9000) == OTA_OK && memcmp(got, file, 0x9000) == 0);
    /* a block erase that spans partitions (phy_init is 4 KiB, ota_0 starts at 0x10000) is split:
     * erase the first block of ota_0 and check it reads erased */
    CHECK(ota_flash_erase_block(fl, 0x10000) == OTA_OK);
    bool erased = false;
    CHECK(ota_flash_is_erased(fl, 0x10000, 0x10000, &erased) == OTA_OK && erased);
    CHECK(ota_flash_read(fl, 0xF000, got, 0x1000) == OTA_OK && memcmp(got, file + 0xF000, 0x1000) == 0);
    /* program across the ota_0 / ota_1 boundary? (different partitions, both writable) */
    CHECK(ota_flash_erase_sector(fl, 0x10F000) == OTA_OK && ota_flash_erase_sector(fl, 0x110000) == OTA_OK);
    static uint8_t pattern[0x20];
    memset(pattern, 0x5a, sizeof pattern);
    CHECK(ota_flash_program(fl, 0x110000 - 0x10, pattern, sizeof pattern) == OTA_OK);
    CHECK(ota_flash_read(fl, 0x110000 - 0x10, got, sizeof pattern) == OTA_OK &&
          memcmp(got, pattern, sizeof pattern) == 0);
    board_close(&g_board);
    return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "selftest") == 0) {
        return cmd_selftest(argv[2]);
    }
    if (argc == 5 && strcmp(argv[1], "run") == 0) {
        return cmd_run(argv[2], argv[3], argv[4]);
    }
    if (argc == 8 && strcmp(argv[1], "sweep") == 0) {
        ota_log_set_level(OTA_LOG_ERROR); /* hundreds of runs */
        g_confirm_on_boot = true;
        return cmd_sweep(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]);
    }
    fprintf(stderr, "usage: idf_flash_run run DEVICE SDCARD APP_URI\n"
                    "       idf_flash_run sweep DEVICE SDCARD APP_URI OLD_VERSION NEW_VERSION WORKDIR\n");
    return 2;
}
