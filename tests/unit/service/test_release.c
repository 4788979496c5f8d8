/* A release installed as one (ota_service_set_release, ota_release.h) on an emulated ESP32 with
 * twins: the items go to the next OTA slot and to the twins not in use, the commit after the last
 * item binds them (ota_release_data_partition resolves to the new twins); a failed last item
 * leaves the old release (old app boots, old data resolved); the same release again is skipped;
 * a new app the bootloader rolls back takes its data with it. The refusals are in
 * test_release_refuse.c. */
#include "release_fixture.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/ota_check_result.h"
#include "ota/ota_release.h"
#include "ota/ota_service_adf.h"
#include "ota/port/ota_source_posix.h"

typedef struct {
    uint8_t *app, *tone, *cfg;
    size_t app_len, tone_len, cfg_len;
} files_t;

static void files_make(files_t *f, const char *app_version, const char *tone_version, unsigned cfg_minor,
                       uint64_t seed)
{
    f->app = rf_app(app_version, seed, &f->app_len);
    f->tone = rf_tone(tone_version, seed + 1, &f->tone_len);
    f->cfg = rf_cfg(1, cfg_minor, 0, seed + 2, &f->cfg_len);
}

static void files_free(files_t *f)
{
    free(f->app);
    free(f->tone);
    free(f->cfg);
}

/* The items of release app + tone + cfg, file names suffixed by @p tag. */
static int items_of(const files_t *f, const char *tag, const char *app_version, const char *tone_version,
                    unsigned cfg_minor, rf_item_t out[3], char names[3][32], char cfgv[16])
{
    snprintf(names[0], 32, "app%s.bin", tag);
    snprintf(names[1], 32, "tone%s.bin", tag);
    snprintf(names[2], 32, "cfg%s.bin", tag);
    snprintf(cfgv, 16, "1.%u.0", cfg_minor);
    out[0] = (rf_item_t){"app", NULL, names[0], f->app, f->app_len, app_version, NULL, NULL};
    out[1] = (rf_item_t){"data", "flash_tone", names[1], f->tone, f->tone_len, tone_version, NULL, NULL};
    out[2] = (rf_item_t){"data", "cfg", names[2], f->cfg, f->cfg_len, cfgv, NULL, NULL};
    return 3;
}

static const uint8_t *part(sf_device_t *d, const char *label)
{
    return sf_partition_bytes(d, label, NULL);
}

/* Release 1 (app v2.0 + tone + cfg) on a fresh device: everything new, nothing live touched. */
static void install_release1(sf_device_t *d, files_t *f)
{
    files_make(f, "v2.0", "V2.0.0", 2, 100);
    rf_item_t items[3];
    char names[3][32], cfgv[16];
    int n = items_of(f, "1", "v2.0", "V2.0.0", 2, items, names, cfgv);
    char *json = rf_manifest(d, 1, items, n);
    uint8_t *before = rf_snapshot(d);
    const ota_partition_info_t *tone = ota_partition_find_by_label(&d->dev.table, "flash_tone");
    const ota_partition_info_t *cfg = ota_partition_find_by_label(&d->dev.table, "cfg");
    const ota_partition_info_t *ota0 = ota_partition_find_by_label(&d->dev.table, "ota_0");
    assert_string_equal(rf_resolved(d, "flash_tone"), "flash_tone");
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(d, json, strlen(json), &set, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 3);
    assert_true(sum.restarted);
    /* the new app runs, with the new data */
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_1");
    assert_string_equal(rf_resolved(d, "flash_tone"), "flash_tone_b");
    assert_string_equal(rf_resolved(d, "cfg"), "cfg_b");
    assert_memory_equal(part(d, "flash_tone_b"), f->tone, f->tone_len);
    assert_memory_equal(part(d, "cfg_b"), f->cfg, f->cfg_len);
    assert_memory_equal(part(d, "ota_1"), f->app, f->app_len);
    /* what the old release ran from was not touched */
    const uint8_t *mem = ota_flash_emu_memory(d->emu);
    assert_memory_equal(mem + tone->offset, before + tone->offset, tone->size);
    assert_memory_equal(mem + cfg->offset, before + cfg->offset, cfg->size);
    assert_memory_equal(mem + ota0->offset, before + ota0->offset, ota0->size);
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&d->dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 1);
    uint32_t floor = 0;
    assert_int_equal(ota_release_floor(&d->dev, &floor), OTA_OK);
    assert_int_equal(floor, 1);
    assert_int_equal(ota_release_in_progress(&d->dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 0);
    free(before);
    free(json);
}

static void test_release_installs_as_one(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    files_t f;
    install_release1(&d, &f);
    /* release 2: only the tone, data only (no restart): written into flash_tone, now the spare */
    size_t len;
    uint8_t *tone = rf_tone("V3.0.0", 7, &len);
    rf_item_t item = {"data", "flash_tone", "tone2.bin", tone, len, "V3.0.0", NULL, NULL};
    char *json = rf_manifest(&d, 2, &item, 1);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_false(sum.restarted);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone");
    assert_memory_equal(part(&d, "flash_tone"), tone, len);
    assert_memory_equal(part(&d, "flash_tone_b"), f.tone, f.tone_len); /* release 1's, untouched */
    /* cfg is not in release 2: it keeps release 1's partition */
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
    rf_reboot(&d);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone");
    free(json);
    free(tone);
    files_free(&f);
    sf_device_free(&d);
}

/* The same driven by ota_service_step (a main loop without threads): the commit follows the list. */
static void test_release_installs_stepwise(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    files_t f;
    rf_step = true;
    install_release1(&d, &f);
    rf_step = false;
    files_free(&f);
    sf_device_free(&d);
}

/* Item URIs: relative to the manifest's (the other tests), an absolute path (the base's scheme),
 * a whole URI. */
static void test_release_uri_forms(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    size_t tone_len, cfg_len;
    uint8_t *tone = rf_tone("V2.0.0", 11, &tone_len);
    uint8_t *cfg = rf_cfg(1, 0, 0, 12, &cfg_len);
    char *abs_path = NULL, *whole = NULL;
    assert_true(asprintf(&abs_path, "%s/toneU.bin", d.dir) > 0);
    assert_true(asprintf(&whole, "file://%s/cfgU.bin", d.dir) > 0);
    rf_item_t items[2] = {{"data", "flash_tone", "toneU.bin", tone, tone_len, "V2.0.0", NULL, abs_path},
                          {"data", "cfg", "cfgU.bin", cfg, cfg_len, "1.0.0", NULL, whole}};
    char *json = rf_manifest(&d, 3, items, 2);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    assert_memory_equal(part(&d, "flash_tone_b"), tone, tone_len);
    assert_memory_equal(part(&d, "cfg_b"), cfg, cfg_len);
    free(json);
    free(abs_path);
    free(whole);
    free(tone);
    free(cfg);
    sf_device_free(&d);
}

/* A power cut half way through release 1, power on, boot, the same manifest again: the old
 * release ran in between, the new one is complete after (each cut point: w26sweep's sweep). */
static void test_release_cut_then_rerun(void **state)
{
    (void)state;
    uint64_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        sf_device_t d;
        rf_device_init(&d, false);
        files_t f;
        files_make(&f, "v2.0", "V2.0.0", 2, 500);
        rf_item_t items[3];
        char names[3][32], cfgv[16];
        int n = items_of(&f, "1", "v2.0", "V2.0.0", 2, items, names, cfgv);
        char *json = rf_manifest(&d, 1, items, n);
        uint64_t before = ota_flash_emu_op_count(d.emu);
        if (pass == 1) {
            ota_flash_emu_schedule_cut(d.emu, total * 2 / 3, OTA_FLASH_CUT_TORN, 77);
        }
        int set;
        ota_service_summary_t sum;
        int err = rf_run(&d, json, strlen(json), &set, &sum);
        if (pass == 0) {
            assert_int_equal(err, OTA_OK);
            total = ota_flash_emu_op_count(d.emu) - before;
        } else {
            assert_int_not_equal(err, OTA_OK);
            ota_flash_emu_power_on(d.emu);
            rf_reboot(&d);
            assert_string_equal(ota_device_running(&d.dev)->label, "ota_0");
            assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone");
            assert_string_equal(rf_resolved(&d, "cfg"), "cfg");
            assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
            assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
            assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
            assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
            assert_memory_equal(part(&d, "cfg_b"), f.cfg, f.cfg_len);
            assert_memory_equal(part(&d, "flash_tone_b"), f.tone, f.tone_len);
        }
        free(json);
        files_free(&f);
        sf_device_free(&d);
    }
    assert_true(total > 10);
}

/* Each data item is written once: its twin's sectors are erased as often as by the data procedure
 * writing the same file there on its own; what the release adds is otadata's (BEGIN, COMMIT). */
static void test_release_writes_once(void **state)
{
    (void)state;
    files_t f;
    files_make(&f, "v2.0", "V2.0.0", 2, 600);
    uint32_t wear[2][2];
    uint64_t ops[2];
    for (int way = 0; way < 2; way++) {
        sf_device_t d;
        rf_device_init(&d, false);
        rf_item_t items[2] = {{"data", "flash_tone", "toneW.bin", f.tone, f.tone_len, "V2.0.0", NULL, NULL},
                              {"data", "cfg", "cfgW.bin", f.cfg, f.cfg_len, "1.2.0", NULL, NULL}};
        char *json = rf_manifest(&d, 1, items, 2);
        uint32_t w0 = sf_partition_wear(&d, "flash_tone_b"), w1 = sf_partition_wear(&d, "cfg_b");
        uint64_t before = ota_flash_emu_op_count(d.emu);
        ota_service_summary_t sum;
        if (way == 0) {
            int set;
            assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
        } else {
            char *tone_uri = sf_make_file(&d, "toneW.bin", f.tone, f.tone_len);
            char *cfg_uri = sf_make_file(&d, "cfgW.bin", f.cfg, f.cfg_len);
            ota_upgrade_ops_t list[2] = {sf_data_item("flash_tone_b", tone_uri),
                                         sf_data_item("cfg_b", cfg_uri)};
            assert_int_equal(sf_run(&d, list, 2, false, &sum), OTA_OK);
            free(tone_uri);
            free(cfg_uri);
        }
        assert_memory_equal(part(&d, "flash_tone_b"), f.tone, f.tone_len);
        ops[way] = ota_flash_emu_op_count(d.emu) - before;
        wear[way][0] = sf_partition_wear(&d, "flash_tone_b") - w0;
        wear[way][1] = sf_partition_wear(&d, "cfg_b") - w1;
        free(json);
        sf_device_free(&d);
    }
    assert_int_equal(wear[0][0], wear[1][0]);
    assert_int_equal(wear[0][1], wear[1][1]);
    print_message("flash operations: release %llu, the same items without a release %llu\n",
                  (unsigned long long)ops[0], (unsigned long long)ops[1]);
    assert_true(ops[0] > ops[1]); /* the records */
    assert_true(ops[0] - ops[1] < 20);
    files_free(&f);
}

/* One service, its release run twice: the second run finds the release installed and skips it,
 * never writing into the twins the first run made live. Before, ESP-ADF's check_update of an item
 * writes nothing. */
static void test_release_same_service_twice(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    files_t f;
    files_make(&f, "v2.0", "V2.0.0", 2, 700);
    rf_item_t items[2] = {{"data", "flash_tone", "toneT.bin", f.tone, f.tone_len, "V2.0.0", NULL, NULL},
                          {"data", "cfg", "cfgT.bin", f.cfg, f.cfg_len, "1.2.0", NULL, NULL}};
    char *json = rf_manifest(&d, 1, items, 2);
    char *base = NULL;
    assert_true(asprintf(&base, "file://%s/release.json", d.dir) > 0);
    ota_source_posix_config_t posix = {.sdcard_root = d.dir};
    ota_service_config_t cfg = {.device = &d.dev, .source = {.transport = &posix}};
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_release_config_t rc = {.manifest = (const uint8_t *)json,
                               .manifest_len = strlen(json),
                               .base_uri = base,
                               .allow_unsigned = true};
    assert_int_equal(ota_service_set_release(svc, &rc, NULL), OTA_OK);
    ota_service_summary_t sum;
    /* ESP-ADF's check_update of an item first: it decides, and writes nothing (no BEGIN record) */
    uint8_t *fresh = rf_snapshot(&d);
    ota_check_result_t check;
    assert_int_equal(ota_service_check_update(svc, 1, &check), OTA_OK);
    assert_true(check.upgrade_available);
    assert_true(rf_unchanged(&d, fresh));
    free(fresh);
    assert_int_equal(ota_service_run(svc, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
    uint8_t *snap = rf_snapshot(&d);
    assert_int_equal(ota_service_run(svc, &sum), OTA_OK);
    assert_int_equal(sum.skipped, 2);
    assert_true(rf_unchanged(&d, snap));
    ota_service_destroy(svc);
    free(snap);
    free(base);
    free(json);
    files_free(&f);
    sf_device_free(&d);
}

static void test_release_rerun_is_skipped(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    files_t f;
    install_release1(&d, &f);
    rf_item_t items[3];
    char names[3][32], cfgv[16];
    int n = items_of(&f, "1", "v2.0", "V2.0.0", 2, items, names, cfgv);
    char *json = rf_manifest(&d, 1, items, n);
    uint8_t *snap = rf_snapshot(&d);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_int_equal(sum.skipped, 3);
    assert_int_equal(sum.succeeded, 0);
    assert_false(sum.restarted);
    assert_true(rf_unchanged(&d, snap));
    free(snap);
    free(json);
    files_free(&f);
    sf_device_free(&d);
}

/* Release 2 = app v3.0 + tone + cfg, its last item's bytes not the manifest's: nothing commits. */
static void test_release_failed_last_item_keeps_old(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, false);
    files_t f1, f2;
    install_release1(&d, &f1);
    files_make(&f2, "v3.0", "V3.0.0", 3, 200);
    rf_item_t items[3];
    char names[3][32], cfgv[16];
    int n = items_of(&f2, "2", "v3.0", "V3.0.0", 3, items, names, cfgv);
    char *json = rf_manifest(&d, 2, items, n);
    /* the cfg file served differs from the one the manifest hashed (same size) */
    f2.cfg[100] ^= 0x5A;
    free(sf_make_file(&d, names[2], f2.cfg, f2.cfg_len));
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_ERR_RELEASE_ITEM_MISMATCH);
    assert_int_equal(set, OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(sum.failed, 1);
    assert_false(sum.restarted);
    rf_reboot(&d);
    /* release 1 runs: its app, its data */
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
    assert_memory_equal(part(&d, "flash_tone_b"), f1.tone, f1.tone_len);
    assert_memory_equal(part(&d, "cfg_b"), f1.cfg, f1.cfg_len);
    assert_memory_equal(part(&d, "ota_1"), f1.app, f1.app_len);
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&d.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 1);
    assert_int_equal(ota_release_in_progress(&d.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 2);
    /* the right bytes: the same release installs (what was written is redone) */
    f2.cfg[100] ^= 0x5A;
    free(sf_make_file(&d, names[2], f2.cfg, f2.cfg_len));
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_0");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone");
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg");
    assert_memory_equal(part(&d, "cfg"), f2.cfg, f2.cfg_len);
    free(json);
    files_free(&f1);
    files_free(&f2);
    sf_device_free(&d);
}

/* The new app is never confirmed: the bootloader rolls it back, and its data go back with it. */
static void test_release_rollback_takes_data_back(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, true);
    files_t f;
    files_make(&f, "v2.0", "V2.0.0", 2, 300);
    rf_item_t items[3];
    char names[3][32], cfgv[16];
    int n = items_of(&f, "1", "v2.0", "V2.0.0", 2, items, names, cfgv);
    char *json = rf_manifest(&d, 1, items, n);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_true(sum.restarted);
    /* first boot of the new app (PENDING_VERIFY): the new data */
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
    /* reset before ota_ops_mark_app_valid_cancel_rollback: ABORTED, the old app boots */
    rf_reboot(&d);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_0");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone");
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg");
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&d.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 0);
    free(json);
    files_free(&f);
    sf_device_free(&d);
}

/* The same with the app confirmed: the new release stays after any number of resets. */
static void test_release_confirmed_stays(void **state)
{
    (void)state;
    sf_device_t d;
    rf_device_init(&d, true);
    files_t f;
    files_make(&f, "v2.0", "V2.0.0", 2, 400);
    rf_item_t items[3];
    char names[3][32], cfgv[16];
    int n = items_of(&f, "1", "v2.0", "V2.0.0", 2, items, names, cfgv);
    char *json = rf_manifest(&d, 1, items, n);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&d, json, strlen(json), &set, &sum), OTA_OK);
    assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&d.dev), OTA_OK);
    rf_reboot(&d);
    rf_reboot(&d);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    assert_string_equal(rf_resolved(&d, "flash_tone"), "flash_tone_b");
    assert_string_equal(rf_resolved(&d, "cfg"), "cfg_b");
    free(json);
    files_free(&f);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_installs_as_one),
        cmocka_unit_test(test_release_installs_stepwise),
        cmocka_unit_test(test_release_uri_forms),
        cmocka_unit_test(test_release_cut_then_rerun),
        cmocka_unit_test(test_release_writes_once),
        cmocka_unit_test(test_release_same_service_twice),
        cmocka_unit_test(test_release_rerun_is_skipped),
        cmocka_unit_test(test_release_failed_last_item_keeps_old),
        cmocka_unit_test(test_release_rollback_takes_data_back),
        cmocka_unit_test(test_release_confirmed_stays),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
