/* A release's data item erases only the sectors its bytes occupy in the twin (the manifest binds
 * its size): the twin's sectors past the item keep their older bytes, and the tone reader still
 * finds the item whole. The same items as a plain data update (ESP-ADF's way) leave the whole
 * partition erased after the image. */
#include "release_fixture.h"
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_partition.h"
#include "ota/ota_tone.h"

#define OLD_BYTE 0xA5u
#define SECTOR   4096u

/* Fill partition @p label with older bytes (OLD_BYTE) to its end. */
static void fill_old(sf_device_t *d, const char *label)
{
    const ota_partition_info_t *info = ota_partition_find_by_label(&d->dev.table, label);
    assert_non_null(info);
    ota_partition_t p;
    ota_device_partition(&d->dev, info, &p);
    uint8_t *old = malloc(info->size);
    memset(old, OLD_BYTE, info->size);
    assert_int_equal(ota_partition_erase_range(&p, 0, info->size), OTA_OK);
    assert_int_equal(ota_partition_program(&p, 0, old, info->size), OTA_OK);
    free(old);
}

static bool all(const uint8_t *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++) {
        if (p[i] != v) {
            return false;
        }
    }
    return true;
}

static uint32_t sectors_of(size_t len)
{
    return (uint32_t)((len + SECTOR - 1) / SECTOR);
}

static int read_mem(void *ctx, uint32_t off, void *buf, size_t len)
{
    memcpy(buf, (const uint8_t *)ctx + off, len);
    return OTA_OK;
}

/* @p label holds @p item, then 0xFF to the end of the item's last sector, then: the older bytes
 * (@p kept) or 0xFF (erased) to the partition's end. */
static void assert_item_then(sf_device_t *d, const char *label, const uint8_t *item, size_t len, bool kept)
{
    uint32_t size = 0;
    const uint8_t *p = sf_partition_bytes(d, label, &size);
    uint32_t end = sectors_of(len) * SECTOR;
    assert_true(end < size);
    assert_memory_equal(p, item, len);
    assert_true(all(p + len, end - len, 0xFF));
    assert_true(all(p + end, size - end, kept ? OLD_BYTE : 0xFF));
}

static void test_release_keeps_twin_tail(void **state)
{
    (void)state;
    size_t tone_len, cfg_len;
    uint8_t *tone = rf_tone("V2.0.0", 700, &tone_len);
    uint8_t *cfg = rf_cfg(1, 2, 0, 701, &cfg_len);
    uint32_t wear[2][2];
    for (int way = 0; way < 2; way++) {
        sf_device_t d;
        rf_device_init(&d, false);
        fill_old(&d, "flash_tone_b");
        fill_old(&d, "cfg_b");
        uint32_t w0 = sf_partition_wear(&d, "flash_tone_b"), w1 = sf_partition_wear(&d, "cfg_b");
        ota_service_summary_t sum;
        if (way == 0) { /* a data-only release: the items go to the twins */
            rf_item_t items[2] = {{"data", "flash_tone", "toneT.bin", tone, tone_len, "V2.0.0", NULL, NULL},
                                  {"data", "cfg", "cfgT.bin", cfg, cfg_len, "1.2.0", NULL, NULL}};
            char *json = rf_manifest(&d, 1, items, 2);
            int set;
            assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
            assert_int_equal(sum.succeeded, 2);
            assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
            assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
            free(json);
        } else { /* the same files as plain data updates of the same partitions */
            char *tone_uri = sf_make_file(&d, "toneT.bin", tone, tone_len);
            char *cfg_uri = sf_make_file(&d, "cfgT.bin", cfg, cfg_len);
            ota_upgrade_ops_t list[2] = {sf_data_item("flash_tone_b", tone_uri),
                                         sf_data_item("cfg_b", cfg_uri)};
            assert_int_equal(sf_run(&d, list, 2, false, &sum), OTA_OK);
            assert_int_equal(sum.succeeded, 2);
            free(tone_uri);
            free(cfg_uri);
        }
        assert_item_then(&d, "flash_tone_b", tone, tone_len, way == 0);
        assert_item_then(&d, "cfg_b", cfg, cfg_len, way == 0);
        /* the tone reader, bounded by the partition, stops at the image's end */
        uint32_t size = 0;
        const uint8_t *twin = sf_partition_bytes(&d, "flash_tone_b", &size);
        ota_tone_info_t info;
        ota_tone_diag_t diag;
        assert_int_equal(ota_tone_validate(read_mem, (void *)twin, size, &info, &diag), OTA_OK);
        wear[way][0] = sf_partition_wear(&d, "flash_tone_b") - w0;
        wear[way][1] = sf_partition_wear(&d, "cfg_b") - w1;
        print_message("%s: sector erases flash_tone_b %u (item %u sectors of 16), cfg_b %u (item %u of 4)\n",
                      way == 0 ? "release" : "plain", (unsigned)wear[way][0], (unsigned)sectors_of(tone_len),
                      (unsigned)wear[way][1], (unsigned)sectors_of(cfg_len));
        sf_device_free(&d);
    }
    /* the release: the item's sectors, sector 0 once more (the journal, then the commit) */
    assert_int_equal(wear[0][0], sectors_of(tone_len) + 1);
    assert_int_equal(wear[0][1], sectors_of(cfg_len) + 1);
    /* the plain update erases every sector of the partition */
    assert_true(wear[1][0] >= 16);
    assert_true(wear[1][1] >= 4);
    free(tone);
    free(cfg);
}

/* A data-only release into twins full of older bytes, cut (torn) at every flash operation, then
 * power-on, boot and the same release again: before the rerun each label resolves to its old
 * partition or (committed) to a twin holding the whole item; after it, to the twin holding the item,
 * then 0xFF to the end of its last sector, then the older bytes (a resumed or restarted install
 * keeps the tail too). */
static void test_release_tail_cut_anywhere(void **state)
{
    (void)state;
    size_t tone_len, cfg_len;
    uint8_t *tone = rf_tone("V2.0.0", 710, &tone_len);
    uint8_t *cfg = rf_cfg(1, 2, 0, 711, &cfg_len);
    rf_item_t items[2] = {{"data", "flash_tone", "toneC.bin", tone, tone_len, "V2.0.0", NULL, NULL},
                          {"data", "cfg", "cfgC.bin", cfg, cfg_len, "1.2.0", NULL, NULL}};
    uint64_t total = 0;
    for (uint64_t cut = 0; cut == 0 || cut <= total; cut++) {
        sf_device_t d;
        rf_device_init(&d, false);
        fill_old(&d, "flash_tone_b");
        fill_old(&d, "cfg_b");
        char *json = rf_manifest(&d, 1, items, 2);
        uint64_t before = ota_flash_emu_op_count(d.emu);
        if (cut > 0) {
            ota_flash_emu_schedule_cut(d.emu, cut, OTA_FLASH_CUT_TORN, 77 + cut);
        }
        int set;
        ota_service_summary_t sum;
        int err = rf_run(&d, json, strlen(json), &set, &sum);
        if (cut == 0) {
            assert_int_equal(err, OTA_OK);
            total = ota_flash_emu_op_count(d.emu) - before;
        } else {
            ota_flash_emu_power_on(d.emu);
            rf_reboot(&d);
            const char *t = rf_resolved(&d, "flash_tone");
            if (strcmp(t, "flash_tone_b") == 0) {
                assert_memory_equal(sf_partition_bytes(&d, "flash_tone_b", NULL), tone, tone_len);
                assert_memory_equal(sf_partition_bytes(&d, "cfg_b", NULL), cfg, cfg_len);
            } else {
                assert_string_equal(t, "flash_tone");
                assert_string_equal(rf_resolved(&d, "cfg"), "cfg");
            }
            assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
        }
        assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
        assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
        assert_item_then(&d, "flash_tone_b", tone, tone_len, true);
        assert_item_then(&d, "cfg_b", cfg, cfg_len, true);
        free(json);
        sf_device_free(&d);
    }
    print_message("cut at each of %llu flash operations\n", (unsigned long long)total);
    assert_true(total > 10);
    free(tone);
    free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_keeps_twin_tail),
        cmocka_unit_test(test_release_tail_cut_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
