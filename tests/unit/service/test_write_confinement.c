/* Issue 10, class 2: writes confined by address. A table that passes its MD5 check but whose
 * entries overlap must not route an update onto the running app, otadata, the table or the
 * bootloader. The table is made with the lower-level API (stored with a valid MD5, put in the
 * device without the loader's layout check), so what is tested is the writer's own guard: the
 * item fails with OTA_ERR_FLASH_PROTECTED, `ota run` would report the failure, and not one byte
 * of the flash changed (no erase at all). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/ota_partition.h"
#include "ota/ota_proc_default.h"
#include "pipeline/partition_writer.h"
#include "service_fixture.h"

#define FLASH_SIZE (4u * 1024u * 1024u)

static ota_partition_info_t *entry(sf_device_t *d, const char *label)
{
    ota_partition_info_t *p = (ota_partition_info_t *)ota_partition_find_by_label(&d->dev.table, label);
    assert_non_null(p);
    return p;
}

/* Store the device's (edited) table with a valid MD5, as a crafted image would carry it. */
static void store_table(sf_device_t *d)
{
    assert_int_equal(ota_partition_table_store(d->dev.flash, 0, &d->dev.table, true), OTA_OK);
}

/* Run @p item on the device; the whole flash must be unchanged and nothing erased. */
static void expect_refused_untouched(sf_device_t *d, ota_upgrade_ops_t item, int want_reason)
{
    uint8_t *before = malloc(FLASH_SIZE);
    memcpy(before, ota_flash_emu_memory(d->emu), FLASH_SIZE);
    ota_flash_emu_reset_stats(d->emu);
    ota_service_summary_t sum;
    sf_run(d, &item, 1, false, &sum);
    assert_int_equal(sum.succeeded, 0);
    assert_int_equal(sum.failed, 1);
    int reason = 0;
    for (int i = 0; i < sf_events.n; i++) {
        if (sf_events.type[i] == OTA_EVENT_RESULT) {
            reason = sf_events.reason[i];
        }
    }
    assert_int_equal(reason, want_reason);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d->emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases, 0);
    assert_int_equal(st.program_ops, 0);
    assert_memory_equal(ota_flash_emu_memory(d->emu), before, FLASH_SIZE);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
    free(before);
}

/* ota_1 moved to start inside the running ota_0 (0x10000+1M): the app update would overwrite the
 * app the device runs, and on the old code `ota run` reported success. */
static void test_app_item_into_slot_overlapping_running_app(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    entry(&d, "ota_1")->offset = 0x80000;
    store_table(&d);
    char *app = sf_make_app(&d, "app.bin", "v2.3", 200000, 5);
    expect_refused_untouched(&d, sf_app_item(app, true), OTA_ERR_FLASH_PROTECTED);
    free(app);
    sf_device_free(&d);
}

/* A data partition laid over the running app, over otadata, over the table's sector, over the
 * bootloader region, or past the end of the flash. */
static void test_data_item_into_protected_regions(void **state)
{
    (void)state;
    static const struct {
        uint32_t offset, size;
        const char *what;
    } cases[] = {
        {0x20000, 0x10000, "the running app"},       {0xD000, 0x1000, "otadata"},
        {0x8000, 0x1000, "the partition table"},     {0x1000, 0x2000, "the bootloader region"},
        {0x3F0000, 0x20000, "the end of the flash"},
    };
    uint8_t data[3000];
    ts_fill_random(data, sizeof data, 7);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sf_device_t d;
        sf_device_init(&d, SF_RUNNING_VERSION);
        ota_partition_info_t *tone = entry(&d, "flash_tone");
        tone->offset = cases[i].offset;
        tone->size = cases[i].size;
        store_table(&d);
        char *uri = sf_make_file(&d, "data.bin", data, sizeof data);
        ts_log_capture_start();
        expect_refused_untouched(&d, sf_data_item("flash_tone", uri), OTA_ERR_FLASH_PROTECTED);
        if (!ts_log_contains(cases[i].what)) {
            fail_msg("case %zu: the refusal does not name %s:\n%s", i, cases[i].what, ts_log_text());
        }
        ts_log_capture_stop();
        free(uri);
        sf_device_free(&d);
    }
}

/* The writer on its own (no service): its begin refuses a target that overlaps what the device
 * boots from, before its first erase. */
static void test_writer_refuses_before_erasing(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    ota_partition_info_t over = *entry(&d, "ota_0");
    over.offset += 0x10000; /* shares 0x20000.. with the running ota_0 */
    ota_partition_t part;
    ota_device_partition(&d.dev, &over, &part);
    uint8_t first[4096];
    ota_journal_header_t journal = {.total_size = 1000};
    ota_partition_writer_t w;
    ota_flash_emu_reset_stats(d.emu);
    assert_int_equal(ota_pw_begin(&w, &d.dev, &part, first, 1000, &journal, NULL), OTA_ERR_FLASH_PROTECTED);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d.emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases + st.program_ops, 0);
    /* the same range is fine once the device runs nothing there */
    ota_device_set_running(&d.dev, NULL);
    assert_int_equal(ota_pw_begin(&w, &d.dev, &part, first, 1000, &journal, NULL), OTA_OK);
    sf_device_free(&d);
}

/* otadata laid over the running app: switching the boot partition must not erase it. */
static void test_otadata_write_over_running_app_refused(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    ota_partition_info_t *otadata = entry(&d, "otadata");
    otadata->offset = 0x30000; /* inside ota_0 */
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, 2, OTA_IMG_NEW);
    ota_flash_emu_reset_stats(d.emu);
    assert_int_equal(ota_ops_write_otadata(&d.dev, 0, &e), OTA_ERR_FLASH_PROTECTED);
    assert_int_equal(ota_ops_set_boot_partition(&d.dev, entry(&d, "ota_0")), OTA_ERR_FLASH_PROTECTED);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d.emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases + st.program_ops, 0);
    sf_device_free(&d);
}

/* Issue 10, class 4, at the service: an app whose secure version the ESP32's 32-bit eFuse field
 * cannot hold is refused in need_upgrade, before the slot is erased. */
static void test_app_secure_version_beyond_efuse_field(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app_ex(&d, "app.bin", "v2.3", 200000, 5, 0 /* ESP32 */, 33);
    expect_refused_untouched(&d, sf_app_item(app, true), OTA_ERR_SECURE_VERSION_RANGE);
    free(app);
    char *ok = sf_make_app_ex(&d, "app32.bin", "v2.3", 200000, 5, 0, 32); /* the widest it holds */
    ota_upgrade_ops_t item = sf_app_item(ok, true);
    ota_service_summary_t sum;
    sf_run(&d, &item, 1, false, &sum);
    assert_int_equal(sum.succeeded, 1);
    free(ok);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_item_into_slot_overlapping_running_app),
        cmocka_unit_test(test_data_item_into_protected_regions),
        cmocka_unit_test(test_writer_refuses_before_erasing),
        cmocka_unit_test(test_otadata_write_over_running_app_refused),
        cmocka_unit_test(test_app_secure_version_beyond_efuse_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
