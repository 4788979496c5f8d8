/* Issue 19 class 6: a data partition's version floor survives every power cut of an install.
 * The attack: an install of a newer-looking image is interrupted (a power cut at any flash
 * operation, clean or torn; a stream refused at its signature stops at a prefix of the same
 * operations), then an older image is offered with the version check on. It must never be
 * installed: the next run compares it with the floor the partition held (its tone image's
 * version, or the floor kept in the install journal and in the otadata log), never with nothing.
 * Before the otadata log, the cuts in the first erase of sector 0 and in the commit's rewrite of
 * sector 0 left no floor, and V1.0.0 was installed over V2.0.0 (docs/powercut.md). */
#include "service_fixture.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "formats/ota_floor_log.h"
#include "ota/ota_ops.h"
#include "boot/ota_otadata_floor.h"
#include "ota/ota_tone.h"
#include "ota/ota_update_features.h"
#include "ota/sim/ota_partition_csv.h"
#include "ota/sim/ota_tone_build.h"

static uint8_t *build_tone(const char *version, uint64_t seed, size_t *len)
{
    static uint8_t song[9000];
    ts_fill_random(song, sizeof song, seed);
    ota_tone_file_t file = {.data = song, .len = sizeof song, .type = OTA_TONE_FILE_MP3};
    ota_tone_build_config_t cfg = {.version = version, .time = "12:00:00", .date = "2026-12-07"};
    uint8_t *img = malloc(16384);
    assert_int_equal(ota_tone_build_to_buffer(&cfg, &file, 1, img, 16384, len), OTA_OK);
    return img;
}

typedef struct {
    uint8_t *img[3]; /* V1.0.0, V2.0.0, V3.0.0 */
    size_t len[3];
} tones_t;

static char *tone_uri(sf_device_t *d, const tones_t *t, int i)
{
    char name[32];
    snprintf(name, sizeof name, "tone%d.bin", i + 1);
    return sf_make_file(d, name, t->img[i], t->len[i]);
}

/* One run of the attack with the install of V3.0.0 cut before its k-th flash operation (k = 0:
 * not cut); *ops gets the operations the V3.0.0 run attempted. True if V1.0.0 was accepted. */
static bool attack(const tones_t *t, uint64_t k, ota_flash_cut_mode_t mode, uint64_t *ops)
{
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *uri[3];
    for (int i = 0; i < 3; i++) {
        uri[i] = tone_uri(&d, t, i);
    }
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri[1]);
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, &item, 1, true, &sum), OTA_OK);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), t->img[1], t->len[1]);
    item = sf_data_item("flash_tone", uri[2]);
    uint64_t before = ota_flash_emu_op_count(d.emu);
    if (k != 0) {
        ota_flash_emu_schedule_cut(d.emu, k, mode, 700 + k);
    }
    int err = sf_run(&d, &item, 1, true, &sum);
    *ops = ota_flash_emu_op_count(d.emu) - before;
    assert_true(k == 0 ? err == OTA_OK : err != OTA_OK);
    ota_flash_emu_power_on(d.emu);
    item = sf_data_item("flash_tone", uri[0]);
    err = sf_run(&d, &item, 1, true, &sum);
    bool accepted = err == OTA_OK && sum.succeeded == 1;
    accepted |= memcmp(sf_partition_bytes(&d, "flash_tone", NULL), t->img[0], t->len[0]) == 0;
    for (int i = 0; i < 3; i++) {
        free(uri[i]);
    }
    sf_device_free(&d);
    return accepted;
}

static void test_interrupted_then_older_is_never_installed(void **state)
{
    (void)state;
    tones_t t;
    const char *versions[3] = {"V1.0.0", "V2.0.0", "V3.0.0"};
    for (int i = 0; i < 3; i++) {
        t.img[i] = build_tone(versions[i], (uint64_t)i + 1, &t.len[i]);
    }
    uint64_t n;
    assert_false(attack(&t, 0, OTA_FLASH_CUT_CLEAN, &n)); /* V3.0.0 installed: V1.0.0 is older */
    assert_true(n > 10);
    print_message("the install of V3.0.0: %llu flash operations, each cut clean and torn\n",
                  (unsigned long long)n);
    for (int mode = 0; mode < 2; mode++) {
        unsigned accepted = 0;
        for (uint64_t k = 1; k <= n; k++) {
            uint64_t ops;
            if (attack(&t, k, (ota_flash_cut_mode_t)mode, &ops)) {
                print_message("V1.0.0 accepted after a %s cut at operation %llu of %llu\n",
                              mode == 0 ? "clean" : "torn", (unsigned long long)k, (unsigned long long)n);
                accepted++;
            }
        }
        assert_int_equal(accepted, 0);
    }
    for (int i = 0; i < 3; i++) {
        free(t.img[i]);
    }
}

/* The floor log itself: records after the 32-byte select entry, a torn one skipped. */
static void test_floor_record_format(void **state)
{
    (void)state;
    ota_floor_record_t rec = {.seq = 7, .part_offset = 0x210000, .label = "flash_tone", .version = "V2.0.0"};
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_floor_record_encode(&rec, raw);
    assert_memory_equal(raw, "OTFV", 4);
    ota_floor_record_t out;
    assert_int_equal(ota_floor_record_decode(raw, &out), OTA_OK);
    assert_int_equal(out.seq, 7);
    assert_int_equal(out.part_offset, 0x210000);
    assert_string_equal(out.label, "flash_tone");
    assert_string_equal(out.version, "V2.0.0");
    assert_true(ota_floor_record_is_for(&out, 0x210000, "flash_tone"));
    assert_false(ota_floor_record_is_for(&out, 0x110000, "flash_tone"));
    raw[30] ^= 0x01; /* one bit a torn program got wrong */
    assert_int_equal(ota_floor_record_decode(raw, &out), OTA_ERR_SVC_CHECKPOINT);
    memset(raw, 0xFF, sizeof raw);
    assert_int_equal(ota_floor_record_decode(raw, &out), OTA_ERR_NOT_FOUND);
    /* esp_ota_select_entry_t is 32 bytes: the log starts right after it and fits the sector */
    assert_int_equal(ota_floor_log_slot_offset(0), 32);
    assert_true(ota_floor_log_slot_offset(OTA_FLOOR_LOG_SLOTS - 1) + OTA_FLOOR_LOG_RECORD_SIZE <= 4096);
}

/* The log on a device: appended to both sectors, once; ESP-IDF's plain rewrite of a sector drops
 * its records and the other sector keeps them; our rewrite carries them; a full log compacts the
 * sector without the active entry only; more partitions than a rewrite carries keep their own. */
static void test_floor_log_on_otadata(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION); /* the bootloader wrote otadata[0] (seq 1) */
    const ota_partition_info_t *od = ota_partition_find_by_label(&d.dev.table, "otadata");
    const ota_partition_info_t *tone = ota_partition_find_by_label(&d.dev.table, "flash_tone");
    uint8_t *mem = ota_flash_emu_memory(d.emu);
    char v[OTA_FLOOR_LOG_VERSION_MAX + 1];
    assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, ""), OTA_OK); /* no floor, none kept: */
    assert_true(mem[od->offset + 32] == 0xFF && mem[od->offset + 0x1000 + 32] == 0xFF); /* nothing */
    uint64_t ops = ota_flash_emu_op_count(d.emu);
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, "V2.0.0"), OTA_OK);
    assert_int_equal(ota_flash_emu_op_count(d.emu) - ops, 2); /* one program per sector */
    ota_floor_record_t rec;
    for (int s = 0; s < 2; s++) {
        assert_int_equal(ota_floor_record_decode(mem + od->offset + (uint32_t)s * 0x1000 + 32, &rec), OTA_OK);
        assert_string_equal(rec.version, "V2.0.0");
        assert_int_equal(rec.part_offset, tone->offset);
    }
    ops = ota_flash_emu_op_count(d.emu);
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, "V2.0.0"), OTA_OK);
    assert_int_equal(ota_flash_emu_op_count(d.emu), ops); /* already kept: nothing programmed */
    /* ESP-IDF's write (bootloader write_otadata, rewrite_ota_seq): sector 0's record is gone */
    ota_otadata_entry_t e[2];
    assert_int_equal(ota_ops_read_otadata(&d.dev, e), OTA_OK);
    assert_int_equal(ota_ops_write_otadata(&d.dev, 0, &e[0]), OTA_OK);
    assert_int_equal(ota_floor_record_decode(mem + od->offset + 32, &rec), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_OK);
    assert_string_equal(v, "V2.0.0");
    /* ours (set-boot, confirmation, invalidation) carries it back, before the entry */
    uint8_t raw0[32];
    memcpy(raw0, mem + od->offset, 32);
    assert_int_equal(ota_otadata_floor_rewrite(&d.dev, 0, raw0), OTA_OK);
    assert_memory_equal(mem + od->offset, raw0, 32);
    assert_int_equal(ota_floor_record_decode(mem + od->offset + 32, &rec), OTA_OK);
    assert_string_equal(rec.version, "V2.0.0");
    /* an app update: set-boot rewrites sector 1 carrying the floors, the bootloader's plain
     * NEW -> PENDING_VERIFY rewrite drops them there, sector 0 keeps them */
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, "V7.0.0"), OTA_OK);
    char *app = sf_make_app(&d, "new.bin", "v9.9.9", 300000, 5);
    ota_upgrade_ops_t item = sf_app_item(app, true);
    ota_service_summary_t sum;
    assert_int_equal(sf_run(&d, &item, 1, false, &sum), OTA_OK);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_int_equal(ota_ops_read_otadata(&d.dev, e), OTA_OK);
    assert_int_equal(ota_otadata_active(e), 1);
    assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_OK);
    assert_string_equal(v, "V7.0.0");
    /* the app confirms itself (ours): sector 1 gets them back */
    assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&d.dev), OTA_OK);
    assert_int_equal(ota_floor_record_decode(mem + od->offset + 0x1000 + 32, &rec), OTA_OK);
    free(app);
    uint8_t entry0[32];
    memcpy(entry0, mem + od->offset + 0x1000, 32);
    /* fill both logs: the full active sector 1 is never erased for the log, sector 0 is compacted */
    char ver[16];
    for (int i = 0; i < 130; i++) {
        snprintf(ver, sizeof ver, "V2.%d.0", i + 1);
        assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, ver), OTA_OK);
        assert_memory_equal(mem + od->offset + 0x1000, entry0, 32);
        assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_OK);
        assert_string_equal(v, ver);
    }
    /* more partitions than a rewrite carries: each keeps its own floor */
    ota_partition_info_t many[OTA_OTADATA_FLOOR_PARTS + 2];
    for (uint32_t i = 0; i < OTA_OTADATA_FLOOR_PARTS + 2; i++) {
        many[i] = *tone;
        many[i].offset = 0x300000 + i * 0x1000;
        snprintf(ver, sizeof ver, "V9.%u", (unsigned)i);
        assert_int_equal(ota_otadata_floor_keep(&d.dev, &many[i], ver), OTA_OK);
    }
    for (uint32_t i = 0; i < OTA_OTADATA_FLOOR_PARTS + 2; i++) {
        snprintf(ver, sizeof ver, "V9.%u", (unsigned)i);
        assert_int_equal(ota_otadata_floor_get(&d.dev, &many[i], v), OTA_OK);
        assert_string_equal(v, ver);
    }
    /* a partition whose last install started without a floor has none, whatever came before */
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, ""), OTA_OK);
    assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_ERR_NOT_FOUND);
    sf_device_free(&d);
}

/* The floors come with the signature feature (docs/powercut.md, "Which firmware keeps floors"):
 * a firmware without it appends no floor record (its data items check the version against the
 * image the partition holds only), yet its otadata writer still carries the records an earlier
 * firmware kept. Before, every firmware linked and wrote the floor log. */
static void test_floors_come_with_the_signature_feature(void **state)
{
    (void)state;
    static const ota_update_features_t none = {0};
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    const ota_partition_info_t *od = ota_partition_find_by_label(&d.dev.table, "otadata");
    const ota_partition_info_t *tone = ota_partition_find_by_label(&d.dev.table, "flash_tone");
    uint8_t *mem = ota_flash_emu_memory(d.emu);
    tones_t t;
    const char *versions[3] = {"V1.0.0", "V2.0.0", "V3.0.0"};
    char *uri[3];
    for (int i = 0; i < 3; i++) {
        t.img[i] = build_tone(versions[i], (uint64_t)i + 11, &t.len[i]);
        uri[i] = tone_uri(&d, &t, i);
    }
    ota_service_summary_t sum;
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri[1]);
    assert_int_equal(sf_run(&d, &item, 1, true, &sum), OTA_OK); /* V2.0.0 held */
    sf_features = &none;
    item = sf_data_item("flash_tone", uri[2]);
    assert_int_equal(sf_run(&d, &item, 1, true, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), t.img[2], t.len[2]);
    for (uint32_t s = 0; s < 2; s++) { /* no floor record programmed: the log is erased */
        for (uint32_t i = 32; i < 0x1000; i++) {
            assert_int_equal(mem[od->offset + s * 0x1000 + i], 0xFF);
        }
    }
    char v[OTA_FLOOR_LOG_VERSION_MAX + 1];
    assert_int_equal(ota_otadata_floor_get(&d.dev, tone, v), OTA_ERR_NOT_FOUND);
    item = sf_data_item("flash_tone", uri[0]); /* the held image's version still decides */
    sf_run(&d, &item, 1, true, &sum);
    assert_int_equal(sum.succeeded, 0);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), t.img[2], t.len[2]);
    /* a floor an earlier firmware kept survives this one's otadata rewrites (set-boot, confirm) */
    assert_int_equal(ota_otadata_floor_keep(&d.dev, tone, "V3.0.0"), OTA_OK);
    char *app = sf_make_app(&d, "new.bin", "v9.9.9", 300000, 7);
    item = sf_app_item(app, true);
    assert_int_equal(sf_run(&d, &item, 1, false, &sum), OTA_OK);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&d.dev), OTA_OK);
    ota_floor_record_t rec;
    for (uint32_t s = 0; s < 2; s++) {
        assert_int_equal(ota_floor_record_decode(mem + od->offset + s * 0x1000 + 32, &rec), OTA_OK);
        assert_string_equal(rec.version, "V3.0.0");
    }
    sf_features = &ota_update_features_all;
    free(app);
    for (int i = 0; i < 3; i++) {
        free(uri[i]);
        free(t.img[i]);
    }
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floor_record_format),
        cmocka_unit_test(test_floor_log_on_otadata),
        cmocka_unit_test(test_floors_come_with_the_signature_feature),
        cmocka_unit_test(test_interrupted_then_older_is_never_installed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
