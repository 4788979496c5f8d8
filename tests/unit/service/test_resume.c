/* Resuming an interrupted install from its journal checkpoint: after a power cut in the middle of
 * a download, the next run re-reads only sector 0 and what was not on flash yet, and the result
 * is byte-identical. The bytes read are counted by a pass-through wrapper around the real file
 * source. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "pipeline/partition_writer.h"
#include "service_fixture.h"

/* --- counting opener: the real source underneath, bytes and opens counted -------------------- */

typedef struct {
    ota_source_t base;
    ota_source_t *inner;
    uint64_t *bytes;
} counting_source_t;

typedef struct {
    uint64_t bytes;
    int opens;
    uint64_t last_offset;
} counter_t;

static int counting_read(ota_source_t *src, void *buf, size_t len)
{
    counting_source_t *c = (counting_source_t *)src;
    int n = ota_source_read(c->inner, buf, len);
    if (n > 0) {
        *c->bytes += (uint64_t)n;
    }
    c->base.info = *ota_source_get_info(c->inner);
    return n;
}

static void counting_close(ota_source_t *src)
{
    counting_source_t *c = (counting_source_t *)src;
    ota_source_close(c->inner);
    free(c);
}

static const ota_source_ops_t k_counting_ops = {counting_read, counting_close};

static int counting_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    counter_t *counter = ctx;
    ota_source_t *inner = NULL;
    int err = ota_source_open(NULL, cfg, uri, offset, expect, &inner, diag);
    if (err != OTA_OK) {
        return err;
    }
    counting_source_t *c = calloc(1, sizeof *c);
    c->base.ops = &k_counting_ops;
    c->base.info = *ota_source_get_info(inner);
    c->inner = inner;
    c->bytes = &counter->bytes;
    counter->opens++;
    counter->last_offset = offset;
    *out = &c->base;
    return OTA_OK;
}

/* --- tests ---------------------------------------------------------------------------------- */

/* Cut the power at op @p k of an app update, reset, run again: the second run resumes. */
static void app_resume_case(uint64_t k, uint64_t *reread, uint32_t *image_size)
{
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    const uint32_t size = 700000;
    char *uri = sf_make_app(&d, "app.bin", "v2.3", size, 11);
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    counter_t first = {0};
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &first, k, &sum), OTA_ERR_FLASH_POWER_LOST);
    /* power back, reset: the old app boots */
    ota_flash_emu_power_on(d.emu);
    ota_device_set_running(&d.dev, NULL);
    assert_int_equal(ota_bootloader_run(&d.dev, NULL), OTA_OK);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_0");
    assert_true(ota_journal_is_present(sf_partition_bytes(&d, "ota_1", NULL), 4));

    counter_t second = {0};
    ts_log_capture_start();
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &second, 0, &sum), OTA_OK);
    bool resumed = ts_log_contains("resumed at byte");
    ts_log_capture_stop();
    assert_true(resumed);
    assert_int_equal(second.opens, 2); /* offset 0 for sector 0, then the checkpoint */
    assert_true(second.last_offset > 4096);
    assert_int_equal(second.bytes, 4096 + (size - second.last_offset));
    /* byte-identical, and it boots */
    size_t len;
    uint8_t *expect = ts_read_file(uri + strlen("file://"), &len);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), expect, len);
    free(expect);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    *reread = second.bytes;
    *image_size = size;
    free(uri);
    sf_device_free(&d);
}

static void test_app_resumes_after_power_cut(void **state)
{
    (void)state;
    /* ops: block erases, 4 KiB programs, checkpoints every 64 KiB: cut well into the download */
    uint64_t points[] = {60, 120, 170};
    for (size_t i = 0; i < 3; i++) {
        uint64_t reread;
        uint32_t size;
        app_resume_case(points[i], &reread, &size);
        assert_true(reread < size);
        printf("cut at op %llu: second run read %llu of %u bytes\n", (unsigned long long)points[i],
               (unsigned long long)reread, (unsigned)size);
    }
}

static void test_data_resumes_after_power_cut(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri = NULL;
    assert_true(asprintf(&uri, "file://%s", ts_testdata("esp-adf/flash_tone_fmt0.bin")) > 0);
    ota_upgrade_ops_t list[] = {sf_data_item("flash_tone", uri)};
    ota_service_summary_t sum;
    counter_t first = {0}, second = {0};
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &first, 150, &sum),
                     OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(d.emu);
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &second, 0, &sum), OTA_OK);
    assert_int_equal(second.opens, 2);
    assert_true(second.bytes < 434756 / 2);
    size_t len;
    uint8_t *expect = ts_read_file(ts_testdata("esp-adf/flash_tone_fmt0.bin"), &len);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), expect, len);
    free(expect);
    free(uri);
    sf_device_free(&d);
}

static void test_changed_file_is_not_resumed(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri = sf_make_app(&d, "app.bin", "v2.3", 500000, 1);
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    counter_t c = {0};
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &c, 80, &sum), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(d.emu);
    /* a different image under the same name: new ETag (size) - must start over */
    free(sf_make_app(&d, "app.bin", "v2.4", 400000, 2));
    counter_t c2 = {0};
    assert_int_equal(sf_run_ex(&d, list, 1, false, counting_open, &c2, 0, &sum), OTA_OK);
    assert_int_equal(c2.opens, 1);
    assert_int_equal(c2.bytes, 400000);
    ota_app_desc_t desc;
    assert_int_equal(
        ota_image_read_app_desc(&(ota_partition_t){ota_flash_emu_flash(d.emu),
                                                   *ota_partition_find_by_label(&d.dev.table, "ota_1")},
                                &desc),
        OTA_OK);
    assert_string_equal(desc.version, "v2.4");
    free(uri);
    sf_device_free(&d);
}

static void test_corrupted_prefix_is_not_trusted(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri = sf_make_app(&d, "app.bin", "v2.3", 600000, 5);
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run_ex(&d, list, 1, false, NULL, NULL, 150, &sum), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(d.emu);
    /* a bit of the written prefix decays (0 -> 1 is impossible by programming: edit the array) */
    uint8_t *mem = ota_flash_emu_memory(d.emu);
    const ota_partition_info_t *ota1 = ota_partition_find_by_label(&d.dev.table, "ota_1");
    mem[ota1->offset + 0x9000] ^= 0x10;
    /* the resumed run notices and installs from zero in the same run */
    ts_log_capture_start();
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    bool noticed = ts_log_contains("does not match the checkpoint") && ts_log_contains("from zero");
    ts_log_capture_stop();
    assert_true(noticed);
    size_t len;
    uint8_t *expect = ts_read_file(uri + strlen("file://"), &len);
    assert_memory_equal(mem + ota1->offset, expect, len);
    free(expect);
    free(uri);
    sf_device_free(&d);
}

static void test_torn_checkpoint_record_is_skipped(void **state)
{
    (void)state;
    uint8_t sector[4096];
    memset(sector, 0xFF, sizeof sector);
    ota_journal_header_t h = {.total_size = 100000, .etag = "\"e\""};
    ota_journal_header_encode(&h, sector);
    for (uint32_t i = 0; i < 3; i++) {
        ota_journal_checkpoint_t cp = {.bytes_written = (i + 1) * 65536, .bytes_hashed = (i + 1) * 65536};
        ota_journal_record_encode(&cp, sector + OTA_JOURNAL_RECORDS_OFFSET + i * OTA_JOURNAL_RECORD_SIZE);
    }
    /* record 1 torn: one byte not fully programmed */
    sector[OTA_JOURNAL_RECORDS_OFFSET + OTA_JOURNAL_RECORD_SIZE + 20] |= 0x01;
    sector[OTA_JOURNAL_RECORDS_OFFSET + OTA_JOURNAL_RECORD_SIZE + 21] |= 0x80;
    ota_journal_checkpoint_t cp;
    uint32_t free_slot;
    assert_int_equal(ota_pw_last_checkpoint(sector, 4096, &cp, &free_slot), 2);
    assert_int_equal(cp.bytes_written, 3 * 65536);
    assert_int_equal(free_slot, OTA_JOURNAL_RECORDS_OFFSET + 3 * OTA_JOURNAL_RECORD_SIZE);
    /* a torn last record: the one before it counts */
    memset(sector + OTA_JOURNAL_RECORDS_OFFSET + 2 * OTA_JOURNAL_RECORD_SIZE + 40, 0xFF, 8);
    assert_int_equal(ota_pw_last_checkpoint(sector, 4096, &cp, &free_slot), 0);
    assert_int_equal(cp.bytes_written, 65536);
}

int main(void)
{
    ota_log_set_level(OTA_LOG_NONE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_app_resumes_after_power_cut),
        cmocka_unit_test(test_data_resumes_after_power_cut),
        cmocka_unit_test(test_changed_file_is_not_resumed),
        cmocka_unit_test(test_corrupted_prefix_is_not_trusted),
        cmocka_unit_test(test_torn_checkpoint_record_is_skipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
