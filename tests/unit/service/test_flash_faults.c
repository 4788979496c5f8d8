/* Flash faults other than power loss (issue 10), swept like power cuts over the ESP-ADF example
 * update (flash_tone from flash_tone_fmt0.bin, then the app): before every flash operation k of
 * the update, one fault of a failing chip is armed in the emulator - the operation reports an
 * error, its sector goes bad for good, its sector returns garbage on reads, or its cells are worn
 * and stop programming. Whatever happens:
 *  - an item that touched the fault fails, naming the flash error (erase/program failed, or the
 *    read-back mismatch that catches silent faults); an item reported successful holds its image
 *    byte for byte (checked on the raw array, not through the faulty chip);
 *  - nothing is committed for a failed item: the data partition does not validate as a tone image,
 *    otadata still selects the old app, which boots;
 *  - on healthy flash a re-run installs both and the new app boots. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"
#include "ota/ota_tone.h"
#include "service_fixture.h"

#define FLASH_SIZE  (4u * 1024u * 1024u)
#define NEW_VERSION "v2.3-4-g1f2e3d4c"

typedef struct {
    sf_device_t d;
    uint8_t *pristine;
    ota_device_t pristine_dev;
    char *tone_uri, *app_uri;
    uint8_t *tone, *app;
    size_t tone_len, app_len;
    ota_flash_fault_kind_t kind;
    unsigned failed_items, runs;
    ota_log_level_t level; /* restored after the sweep */
} fault_sweep_t;

static const char *kind_name(ota_flash_fault_kind_t kind)
{
    static const char *const names[] = {"none", "operation error", "bad sector", "bad read", "worn cells"};
    return names[kind];
}

static void fs_prepare(fault_sweep_t *f);

static ota_flash_emu_t *fs_setup(void *ctx)
{
    fault_sweep_t *f = ctx;
    if (f->pristine == NULL) {
        fs_prepare(f); /* once per sweep: the harness zeroed ctx */
    }
    ota_flash_emu_set_fault(f->d.emu, NULL);
    ota_flash_emu_power_on(f->d.emu);
    memcpy(ota_flash_emu_memory(f->d.emu), f->pristine, FLASH_SIZE);
    f->d.dev = f->pristine_dev;
    return f->d.emu;
}

static int fs_run(void *ctx)
{
    fault_sweep_t *f = ctx;
    ota_upgrade_ops_t list[] = {sf_data_item("flash_tone", f->tone_uri), sf_app_item(f->app_uri, false)};
    ota_service_summary_t sum;
    return sf_run(&f->d, list, 2, false, &sum);
}

/* The RESULT of item @p id in the last run: its reason (OTA_OK when it succeeded). */
static int item_reason(int id)
{
    if (sf_events.item_result[id] < 0) {
        fail_msg("no RESULT for item %d", id);
    }
    return sf_events.item_result[id] == OTA_ITEM_SUCCESS ? OTA_OK : sf_events.item_reason[id];
}

static int tone_read(void *arg, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, (const uint8_t *)arg + off, len);
    return OTA_OK;
}

static void expect_installed(fault_sweep_t *f, int data_reason, int app_reason, uint64_t k)
{
    uint32_t size;
    const uint8_t *tone = sf_partition_bytes(&f->d, "flash_tone", &size);
    if (data_reason == OTA_OK) {
        assert_memory_equal(tone, f->tone, f->tone_len);
        for (size_t i = f->tone_len; i < size; i++) {
            assert_int_equal(tone[i], 0xFF);
        }
    } else {
        ota_tone_info_t info;
        ota_tone_diag_t diag;
        /* Valid-looking only if it is the complete new image: a read-back that saw garbage after the
         * last program may fail an item whose bytes are right (the next run installs it again). */
        if (ota_tone_validate(tone_read, (void *)tone, size, &info, &diag) == OTA_OK &&
            memcmp(tone, f->tone, f->tone_len) != 0) {
            fail_msg("%s at k=%llu: the data item failed, yet flash_tone validates", kind_name(f->kind),
                     (unsigned long long)k);
        }
    }
    if (app_reason == OTA_OK) {
        assert_memory_equal(sf_partition_bytes(&f->d, "ota_1", NULL), f->app, f->app_len);
    }
}

static void expect_flash_error(fault_sweep_t *f, int reason, uint64_t k, const char *item)
{
    bool ok;
    switch (f->kind) {
    case OTA_FLASH_FAULT_OP_ERROR:
    case OTA_FLASH_FAULT_BAD_SECTOR:
        ok = reason == OTA_ERR_FLASH_ERASE_FAILED || reason == OTA_ERR_FLASH_PROGRAM_FAILED;
        break;
    case OTA_FLASH_FAULT_WORN:
        ok = reason == OTA_ERR_SVC_VERIFY_FAILED; /* silent: caught by the read-back */
        break;
    default: /* garbage on reads: the read-back, or the check of what was staged */
        ok = reason != OTA_OK;
        break;
    }
    if (!ok) {
        fail_msg("%s at k=%llu: %s item failed with %s (%d)", kind_name(f->kind), (unsigned long long)k, item,
                 ota_err_name(reason), reason);
    }
}

static void fs_check(void *ctx, uint64_t k, int result)
{
    (void)result;
    fault_sweep_t *f = ctx;
    int data = item_reason(0), app = item_reason(1);
    f->runs++;
    if (k == 0) {
        assert_int_equal(data, OTA_OK);
        assert_int_equal(app, OTA_OK);
        return;
    }
    if (data != OTA_OK) {
        expect_flash_error(f, data, k, "data");
        f->failed_items++;
    }
    if (app != OTA_OK) {
        expect_flash_error(f, app, k, "app");
        f->failed_items++;
    }
    ota_flash_emu_set_fault(f->d.emu, NULL); /* from here on the chip is healthy again */
    expect_installed(f, data, app, k);
    /* nothing committed for a failed app: the device boots what it booted before */
    f->d.dev.running_index = -1;
    assert_int_equal(ota_bootloader_run(&f->d.dev, NULL), OTA_OK);
    const char *booted = ota_device_running(&f->d.dev)->label;
    if (app != OTA_OK && f->kind == OTA_FLASH_FAULT_BAD_READ && strcmp(booted, "ota_1") == 0) {
        /* garbage read back after otadata was written correctly: failure reported, the switch
         * done - acceptable only because the slot holds the complete, verified new app */
        assert_memory_equal(sf_partition_bytes(&f->d, "ota_1", NULL), f->app, f->app_len);
        return;
    }
    assert_string_equal(booted, app == OTA_OK ? "ota_1" : "ota_0");
    if (app == OTA_OK) {
        return; /* the new app runs, unconfirmed: an update now is refused, as it should be */
    }
    /* on healthy flash a re-run installs both */
    fs_run(f);
    assert_int_equal(item_reason(0), OTA_OK);
    assert_int_equal(item_reason(1), OTA_OK);
    expect_installed(f, OTA_OK, OTA_OK, k);
    f->d.dev.running_index = -1;
    assert_int_equal(ota_bootloader_run(&f->d.dev, NULL), OTA_OK);
    assert_string_equal(ota_device_running(&f->d.dev)->label, "ota_1");
}

/* The device the sweep starts from, each time (built once per sweep). */
static void fs_prepare(fault_sweep_t *f)
{
    sf_device_init(&f->d, SF_RUNNING_VERSION);
    /* flash_tone holds an old image past where the new one ends (class 7 runs too) */
    uint32_t size;
    sf_partition_bytes(&f->d, "flash_tone", &size);
    memset(ota_flash_emu_memory(f->d.emu) +
               ota_partition_find_by_label(&f->d.dev.table, "flash_tone")->offset,
           0x3C, size);
    char *path = NULL;
    assert_true(asprintf(&path, "%s", ts_testdata("esp-adf/flash_tone_fmt0.bin")) > 0);
    f->tone = ts_read_file(path, &f->tone_len);
    assert_true(asprintf(&f->tone_uri, "file://%s", path) > 0);
    free(path);
    f->app_uri = sf_make_app(&f->d, "app.bin", NEW_VERSION, 120000, 3);
    f->app = ts_read_file(f->app_uri + strlen("file://"), &f->app_len);
    f->pristine = malloc(FLASH_SIZE); /* freed after the sweep; a failed assertion leaks it */
    memcpy(f->pristine, ota_flash_emu_memory(f->d.emu), FLASH_SIZE);
    f->pristine_dev = f->d.dev;
    f->level = ota_log_get_level();
    ota_log_set_level(getenv("FAULT_LOG") ? OTA_LOG_INFO : OTA_LOG_NONE);
}

static void fs_after(void *ctx, uint64_t n)
{
    fault_sweep_t *f = ctx;
    assert_true(n > 50);
    /* faults that report errors always fail an item */
    if (f->kind == OTA_FLASH_FAULT_OP_ERROR || f->kind == OTA_FLASH_FAULT_BAD_SECTOR) {
        assert_true(f->failed_items >= n);
    }
    print_message("%s: %llu operations, %u items failed\n", kind_name(f->kind), (unsigned long long)n,
                  f->failed_items);
    ota_log_set_level(f->level);
    free(f->pristine);
    free(f->tone);
    free(f->app);
    free(f->tone_uri);
    free(f->app_uri);
    sf_device_free(&f->d);
}

/* One case per kind of fault, declared by its flag: every operation for the faults that report
 * errors; every 3rd for the silent ones. */
#define FAULT_SETUP(name, fault_kind) \
    static ota_flash_emu_t *name(void *ctx) \
    { \
        ((fault_sweep_t *)ctx)->kind = fault_kind; \
        return fs_setup(ctx); \
    }
FAULT_SETUP(fs_setup_op_error, OTA_FLASH_FAULT_OP_ERROR)
FAULT_SETUP(fs_setup_bad_sector, OTA_FLASH_FAULT_BAD_SECTOR)
FAULT_SETUP(fs_setup_worn, OTA_FLASH_FAULT_WORN)
FAULT_SETUP(fs_setup_bad_read, OTA_FLASH_FAULT_BAD_READ)
#define FAULT_CASE(name, fault_kind, every, setup_fn) \
    OTA_POWERCUT_CASE(name, fault_sweep_t, .reentrant = true, .fault = fault_kind, .step = every, \
                      .setup = setup_fn, .run = fs_run, .check = fs_check, .after = fs_after)
FAULT_CASE(test_fault_sweep_op_error, OTA_FLASH_FAULT_OP_ERROR, 1, fs_setup_op_error)
FAULT_CASE(test_fault_sweep_bad_sector, OTA_FLASH_FAULT_BAD_SECTOR, 1, fs_setup_bad_sector)
FAULT_CASE(test_fault_sweep_worn, OTA_FLASH_FAULT_WORN, 3, fs_setup_worn)
FAULT_CASE(test_fault_sweep_bad_read, OTA_FLASH_FAULT_BAD_READ, 3, fs_setup_bad_read)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fault_sweep_op_error),
        cmocka_unit_test(test_fault_sweep_bad_sector),
        cmocka_unit_test(test_fault_sweep_worn),
        cmocka_unit_test(test_fault_sweep_bad_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
