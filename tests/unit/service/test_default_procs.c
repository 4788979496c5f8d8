/* The default app and data procedures end to end on a RAM ESP32 (example table, app v2.2-252 in
 * ota_0): real file:// source, real writer, real bootloader after the restart. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "formats/ota_install_journal.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_tone.h"
#include "service_fixture.h"

#define TONE_FMT0 "esp-adf/flash_tone_fmt0.bin"
#define TONE_FMT1 "esp-adf/tone_fmt1_mixer.bin"

static char *testdata_uri(const char *rel)
{
    char *uri = NULL;
    assert_true(asprintf(&uri, "file://%s", ts_testdata(rel)) > 0);
    return uri;
}

static int find_result(int id)
{
    for (int i = 0; i < sf_events.n; i++) {
        if (sf_events.type[i] == OTA_EVENT_RESULT && sf_events.id[i] == id) {
            return i;
        }
    }
    fail_msg("no RESULT event for item %d", id);
    return -1;
}

static void test_example_list_updates_tone_and_app(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *tone = testdata_uri(TONE_FMT0);
    char *app = sf_make_app(&d, "app.bin", "v2.2-253-g0000001", 500000, 9);
    ota_upgrade_ops_t list[] = {sf_data_item("flash_tone", tone), sf_app_item(app, true)};
    ota_service_summary_t sum;
    uint32_t ota0_wear = sf_partition_wear(&d, "ota_0");
    assert_int_equal(sf_run(&d, list, 2, false, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    assert_true(sum.restarted);

    /* the tone partition holds the file byte for byte */
    size_t len;
    uint8_t *expect = ts_read_file(ts_testdata(TONE_FMT0), &len);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), expect, len);
    free(expect);
    /* ota_1 holds the app, the restart booted it */
    uint8_t *app_bytes = ts_read_file(app + strlen("file://"), &len);
    assert_memory_equal(sf_partition_bytes(&d, "ota_1", NULL), app_bytes, len);
    free(app_bytes);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    ota_app_desc_t desc;
    assert_int_equal(ota_ops_get_partition_description(&d.dev, ota_device_running(&d.dev), &desc), OTA_OK);
    assert_string_equal(desc.version, "v2.2-253-g0000001");
    /* ota_0 was never written */
    assert_int_equal(sf_partition_wear(&d, "ota_0"), ota0_wear);
    free(tone);
    free(app);
    sf_device_free(&d);
}

static void test_version_check_skips_same_and_older(void **state)
{
    (void)state;
    const char *versions[] = {SF_RUNNING_VERSION, "v2.2-237-g6532b89f"};
    for (int i = 0; i < 2; i++) {
        sf_device_t d;
        sf_device_init(&d, SF_RUNNING_VERSION);
        char *app = sf_make_app(&d, "app.bin", versions[i], 200000, 3);
        ota_upgrade_ops_t list[] = {sf_app_item(app, true)};
        ota_service_summary_t sum;
        assert_int_equal(sf_run(&d, list, 1, true, &sum), OTA_OK);
        assert_int_equal(sum.skipped, 1);
        assert_false(sum.restarted);
        int r = find_result(0);
        assert_int_equal(sf_events.result[r], OTA_ITEM_SKIPPED);
        assert_int_equal(sf_events.reason[r], OTA_ERR_VERSION_NOT_NEWER);
        assert_int_equal(sf_partition_wear(&d, "ota_1"), 0); /* nothing erased */
        assert_string_equal(ota_device_running(&d.dev)->label, "ota_0");
        free(app);
        sf_device_free(&d);
    }
    /* without the check an older app is installed (ESP-ADF's default: README's v2.2-237) */
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", "v2.2-237-g6532b89f", 200000, 3);
    ota_upgrade_ops_t list[] = {sf_app_item(app, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    free(app);
    sf_device_free(&d);
}

static void test_version_not_comparable_is_refused(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", "release-candidate", 200000, 3);
    ota_upgrade_ops_t list[] = {sf_app_item(app, true)};
    ota_service_summary_t sum;
    int err = sf_run(&d, list, 1, true, &sum);
    assert_true(err == OTA_ERR_VERSION_NOT_COMPARABLE || err == OTA_ERR_VERSION_UNPARSEABLE);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sf_partition_wear(&d, "ota_1"), 0);
    free(app);
    sf_device_free(&d);
}

static void check_refused_before_erasing(sf_device_t *d, const char *uri, int expect)
{
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(d, list, 1, false, &sum), expect);
    assert_int_equal(sum.failed, 1);
    assert_false(sum.restarted);
    assert_int_equal(sf_partition_wear(d, "ota_1"), 0);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
}

static void test_refusals_before_erasing(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *big = sf_make_app(&d, "big.bin", "v9", 0x100000 + 4096, 1); /* slot is 1 MiB */
    check_refused_before_erasing(&d, big, OTA_ERR_IMG_TOO_LARGE);
    char *s3 = sf_make_app_ex(&d, "s3.bin", "v9", 200000, 1, 9 /* ESP32-S3 */, 0);
    check_refused_before_erasing(&d, s3, OTA_ERR_IMG_WRONG_CHIP);
    uint8_t junk[1000];
    memset(junk, 0x42, sizeof junk);
    char *notimg = sf_make_file(&d, "junk.bin", junk, sizeof junk);
    check_refused_before_erasing(&d, notimg, OTA_ERR_IMG_BAD_MAGIC);
    char *tiny = sf_make_file(&d, "tiny.bin", "\xE9\x04", 2);
    check_refused_before_erasing(&d, tiny, OTA_ERR_IMG_TRUNCATED);
    char *missing = sf_make_file(&d, "gone.bin", "x", 1);
    char *missing_path = strchr(missing, '/') + 2;
    remove(missing_path);
    check_refused_before_erasing(&d, missing, OTA_ERR_SRC_FILE_NOT_FOUND);
    /* anti-rollback: secure_version below the eFuse */
    d.dev.efuse_secure_version = 3;
    char *old_sv = sf_make_app_ex(&d, "sv.bin", "v9", 200000, 1, 0, 2);
    check_refused_before_erasing(&d, old_sv, OTA_ERR_SECURE_VERSION);
    free(big);
    free(s3);
    free(notimg);
    free(tiny);
    free(missing);
    free(old_sv);
    sf_device_free(&d);
}

/* Issue 11: image + padding to 4 KiB + the 4 KiB signature sector must fit the slot, checked
 * before erasing when the size is known. The expected figure is the ESP-IDF layout
 * (esp-secure-formats.md: sector at the image length rounded up to 4 KiB, 4096 bytes): a
 * 1 MiB - 1000 byte image fits the 1 MiB slot unsigned, its sector would end at 1 MiB + 4 KiB. */
static void check_no_room(sf_device_t *d, const char *uri)
{
    uint32_t size;
    const uint8_t *ota1 = sf_partition_bytes(d, "ota_1", &size);
    uint8_t *ota1_before = malloc(size);
    memcpy(ota1_before, ota1, size);
    uint32_t od_size;
    const uint8_t *od = sf_partition_bytes(d, "otadata", &od_size);
    uint8_t *od_before = malloc(od_size);
    memcpy(od_before, od, od_size);
    uint32_t wear = sf_partition_wear(d, "ota_1"), od_wear = sf_partition_wear(d, "otadata");
    ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(d, list, 1, false, &sum), OTA_ERR_SIG_NO_ROOM);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sf_events.item_reason[0], OTA_ERR_SIG_NO_ROOM);
    assert_int_equal(sf_partition_wear(d, "ota_1") - wear, 0);
    assert_int_equal(sf_partition_wear(d, "otadata") - od_wear, 0);
    assert_memory_equal(sf_partition_bytes(d, "ota_1", &size), ota1_before, size);
    assert_memory_equal(sf_partition_bytes(d, "otadata", &od_size), od_before, od_size);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
    free(ota1_before);
    free(od_before);
}

static void test_signature_sector_must_fit_before_erasing(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t dlen;
    uint8_t *digest = ts_read_file(ts_testdata("secure/digest_ecdsa256.bin"), &dlen);
    assert_int_equal(dlen, 32);
    d.dev.security.secure_boot_v2 = true;
    d.dev.security.key_digest_set[0] = true;
    memcpy(d.dev.security.key_digest[0], digest, 32);
    free(digest);
    /* ota_1 holds an old image: an erase would show in its bytes as well as in the counter */
    char *old = sf_make_app(&d, "old.bin", "v0.1", 200000, 3);
    ota_upgrade_ops_t first[] = {sf_app_item(old, false)};
    ota_service_summary_t sum;
    d.dev.security.secure_boot_v2 = false;
    assert_int_equal(sf_run(&d, first, 1, false, &sum), OTA_OK);
    assert_int_equal(ota_ops_set_boot_partition(&d.dev, ota_partition_find_by_label(&d.dev.table, "ota_0")),
                     OTA_OK);
    d.dev.security.secure_boot_v2 = true;
    /* unsigned, fits as it is: the stream's size (file size) says its sector cannot */
    const uint32_t len = 0x100000 - 1000;
    char *unsigned_uri = sf_make_app(&d, "fits_unsigned.bin", "v9", len, 5);
    check_no_room(&d, unsigned_uri);
    /* the same image signed: image, 0xFF up to 1 MiB, then a signature sector (Espressif's, from a
     * vector: it is never read, the size alone refuses it) */
    size_t img_len, vec_len;
    char path[1024];
    snprintf(path, sizeof path, "%s/fits_unsigned.bin", d.dir);
    uint8_t *img = ts_read_file(path, &img_len);
    assert_true(img_len > 0x100000 - 4096 && img_len < 0x100000); /* the builder pads to 16 bytes */
    uint8_t *vec = ts_read_file(ts_testdata("secure/app_esp32c6_ecdsa256.bin"), &vec_len);
    uint8_t *signed_img = malloc(0x100000 + 4096);
    memcpy(signed_img, img, img_len);
    memset(signed_img + img_len, 0xFF, 0x100000 - img_len);
    memcpy(signed_img + 0x100000, vec + vec_len - 4096, 4096);
    char *signed_uri = sf_make_file(&d, "signed.bin", signed_img, 0x100000 + 4096);
    check_no_room(&d, signed_uri);
    /* control: one that fits with its sector is streamed (and refused at the end: unsigned) */
    char *small = sf_make_app(&d, "small.bin", "v9", 200000, 6);
    ota_upgrade_ops_t list[] = {sf_app_item(small, true)};
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_SIG_UNSIGNED);
    assert_true(sf_partition_wear(&d, "ota_1") > 0);
    free(img);
    free(vec);
    free(signed_img);
    free(old);
    free(unsigned_uri);
    free(signed_uri);
    free(small);
    sf_device_free(&d);
}

static void test_corrupt_app_never_becomes_bootable(void **state)
{
    (void)state;
    uint32_t offsets[] = {100, 70000, 299990}; /* app desc area, a segment, near the hash */
    for (int i = 0; i < 3; i++) {
        sf_device_t d;
        sf_device_init(&d, SF_RUNNING_VERSION);
        char *uri = sf_make_app(&d, "app.bin", "v2.3", 300000, 4);
        char *path = strchr(uri, '/') + 2;
        size_t len;
        uint8_t *bytes = ts_read_file(path, &len);
        bytes[offsets[i]] ^= 0x01;
        ts_write_file(path, bytes, len);
        free(bytes);
        ota_upgrade_ops_t list[] = {sf_app_item(uri, true)};
        ota_service_summary_t sum;
        int err = sf_run(&d, list, 1, false, &sum);
        assert_true(err == OTA_ERR_IMG_HASH || err == OTA_ERR_IMG_CHECKSUM || err == OTA_ERR_IMG_SEGMENT);
        assert_false(sum.restarted);
        /* ota_1 holds an interrupted install, otadata still names ota_0, which boots */
        assert_true(ota_journal_is_present(sf_partition_bytes(&d, "ota_1", NULL), 4));
        ota_boot_result_t boot;
        ota_device_set_running(&d.dev, NULL);
        assert_int_equal(ota_bootloader_predict(&d.dev, &boot), OTA_OK);
        assert_string_equal(boot.partition->label, "ota_0");
        free(uri);
        sf_device_free(&d);
    }
}

static void test_data_procedure(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *fmt1 = testdata_uri(TONE_FMT1);
    ota_upgrade_ops_t list[] = {sf_data_item("flash_tone", fmt1)};
    ota_service_summary_t sum;
    /* blank partition: installed */
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    /* same format-1 version again: skipped, nothing erased */
    uint32_t wear = sf_partition_wear(&d, "flash_tone");
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(sum.skipped, 1);
    assert_int_equal(sf_partition_wear(&d, "flash_tone"), wear);
    /* a partition with a valid tone image only takes tone images */
    uint8_t junk[5000];
    ts_fill_random(junk, sizeof junk, 3);
    char *raw = sf_make_file(&d, "raw.bin", junk, sizeof junk);
    list[0] = sf_data_item("flash_tone", raw);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_TONE_BAD_TAG);
    assert_int_equal(sf_partition_wear(&d, "flash_tone"), wear);
    /* raw data goes as is into a partition without a tone image (nvs here) */
    list[0] = sf_data_item("nvs", raw);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_memory_equal(sf_partition_bytes(&d, "nvs", NULL), junk, sizeof junk);
    /* larger than the partition: refused before erasing (nvs is 16 KiB) */
    uint8_t *big = calloc(1, 0x5000);
    char *bigf = sf_make_file(&d, "big.bin", big, 0x5000);
    list[0] = sf_data_item("nvs", bigf);
    wear = sf_partition_wear(&d, "nvs");
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_IMG_TOO_LARGE);
    assert_int_equal(sf_partition_wear(&d, "nvs"), wear);
    /* unknown label, otadata, the app slot are refused */
    list[0] = sf_data_item("nope", raw);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_NOT_FOUND);
    list[0] = sf_data_item("otadata", raw);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_INVALID_ARG);
    list[0] = sf_data_item("ota_1", raw);
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_ERR_NOT_FOUND);
    free(big);
    free(bigf);
    free(raw);
    free(fmt1);
    sf_device_free(&d);
}

static void test_interrupted_data_install_is_reinstalled(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *fmt1 = testdata_uri(TONE_FMT1);
    ota_upgrade_ops_t list[] = {sf_data_item("flash_tone", fmt1)};
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    /* the state a power cut leaves in the middle of an install: the journal in sector 0 */
    const uint8_t *part = sf_partition_bytes(&d, "flash_tone", NULL);
    ota_partition_t p;
    ota_device_partition(&d.dev, ota_partition_find_by_label(&d.dev.table, "flash_tone"), &p);
    assert_int_equal(ota_partition_erase_range(&p, 0, 4096), OTA_OK);
    ota_journal_header_t h = {.total_size = 54398};
    uint8_t raw[OTA_JOURNAL_HEADER_SIZE];
    ota_journal_header_encode(&h, raw);
    assert_int_equal(ota_partition_program(&p, 0, raw, sizeof raw), OTA_OK);
    assert_int_equal(ota_data_partition_state(&p), OTA_ERR_DATA_INCOMPLETE);
    /* same version as before, but the partition is incomplete: installed again */
    assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    size_t len;
    uint8_t *expect = ts_read_file(ts_testdata(TONE_FMT1), &len);
    assert_memory_equal(part, expect, len);
    assert_int_equal(ota_data_partition_state(&p), OTA_OK);
    free(expect);
    free(fmt1);
    sf_device_free(&d);
}

/* The data path allocates per item, never per chunk: the number of allocations of a run does not
 * grow with the image size. */
static void test_no_allocation_per_chunk(void **state)
{
    (void)state;
    uint64_t allocs[2];
    uint32_t sizes[2] = {100000, 900000};
    for (int i = 0; i < 2; i++) {
        sf_device_t d;
        sf_device_init(&d, SF_RUNNING_VERSION);
        char *app = sf_make_app(&d, "app.bin", "v3", sizes[i], 2);
        ota_upgrade_ops_t list[] = {sf_app_item(app, false)};
        ota_mem_reset_peak();
        ota_mem_stats_t before, after;
        ota_mem_get_stats(&before);
        ota_service_summary_t sum;
        assert_int_equal(sf_run(&d, list, 1, false, &sum), OTA_OK);
        ota_mem_get_stats(&after);
        allocs[i] = after.allocations - before.allocations;
        assert_int_equal(after.current_bytes, before.current_bytes); /* nothing kept */
        assert_true(after.peak_bytes - before.current_bytes <= 16 * 1024);
        free(app);
        sf_device_free(&d);
    }
    assert_int_equal(allocs[0], allocs[1]);
}

int main(void)
{
    ota_log_set_level(OTA_LOG_NONE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_list_updates_tone_and_app),
        cmocka_unit_test(test_version_check_skips_same_and_older),
        cmocka_unit_test(test_version_not_comparable_is_refused),
        cmocka_unit_test(test_refusals_before_erasing),
        cmocka_unit_test(test_signature_sector_must_fit_before_erasing),
        cmocka_unit_test(test_corrupt_app_never_becomes_bootable),
        cmocka_unit_test(test_data_procedure),
        cmocka_unit_test(test_interrupted_data_install_is_reinstalled),
        cmocka_unit_test(test_no_allocation_per_chunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
