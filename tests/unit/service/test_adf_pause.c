/* ESP-ADF esp_ota_service's get_progress and pause / resume (ota_service_adf.h), on a RAM ESP32 device.
 * Behaviour read in espressif/esp-adf master af7b72fb, components/esp_ota_service:
 * src/esp_ota_service.c (esp_ota_service_check_update: checker only, "No flash write";
 * esp_ota_service_get_progress: written / total / percent, -1 when the size is unknown; the worker's
 * pause loop between chunks), src/checker/esp_ota_service_checker_data_version.c (4-byte LE packed
 * semver, strictly higher), src/verifier/esp_ota_service_verifier_md5.c.
 * Flash effects are measured with the emulator's counters (ota_flash_emu.h), never with our output. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_checker_data_version.h"
#include "ota/ota_checker_manifest.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_path.h"
#include "ota/port/ota_port.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_semver_packed.h"
#include "ota/ota_service_adf.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_update_features.h"
#include "ota/ota_verifier_md5.h"
#include "adf_fixture.h"
#include "service_fixture.h"

/* --- progress, pause / resume ------------------------------------------------------------------ */

static uint32_t *wear_of_ota1(sf_device_t *d);

/* Per-sector erase counts of ota_1 during the reference run (the writer erases sector 0 twice: once
 * to mark the install interrupted, once to write it last at the commit). */
static uint32_t ref_wear[1024];

/* A reference run without pause on a twin device: the flash work an update takes. */
static void reference_stats(uint64_t seed, ota_flash_emu_stats_t *out)
{
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, APP_SIZE, seed);
    ota_upgrade_ops_t list[] = {sf_app_item(app, false)};
    ota_service_t *s = make_service(&d, list, 1, false);
    uint32_t *before = wear_of_ota1(&d);
    ota_flash_emu_reset_stats(d.emu);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    ota_flash_emu_get_stats(d.emu, out);
    uint32_t *after = wear_of_ota1(&d);
    for (size_t i = 0; i < sizeof ref_wear / sizeof ref_wear[0]; i++) {
        ref_wear[i] = after[i] - before[i];
    }
    free(before);
    free(after);
    ota_service_destroy(s);
    free(app);
    sf_device_free(&d);
}

/* While paused: the bootloader would boot the old app, and the flash is as it was. */
static void assert_paused_state(sf_device_t *d)
{
    ota_boot_result_t boot;
    assert_int_equal(ota_bootloader_predict(&d->dev, &boot), OTA_OK);
    assert_non_null(boot.partition);
    assert_string_equal(boot.partition->label, "ota_0");
}

/* Per-sector wear of ota_1 after minus before: exactly the reference run's (no sector erased once
 * more because of the pause), and at most once except the writer's sector 0. */
static void assert_erased_once(sf_device_t *d, const uint32_t *wear_before)
{
    const ota_partition_info_t *ota1 = ota_partition_find_by_label(&d->dev.table, "ota_1");
    for (uint32_t off = 0; off < ota1->size; off += 4096) {
        uint32_t sector = (ota1->offset + off) / 4096;
        uint32_t diff = ota_flash_emu_sector_wear(d->emu, sector) - wear_before[off / 4096];
        if (diff != ref_wear[off / 4096] || (off > 0 && diff > 1)) {
            fail_msg("sector 0x%x erased %u times (without the pause: %u)", (unsigned)(ota1->offset + off),
                     (unsigned)diff, (unsigned)ref_wear[off / 4096]);
        }
    }
}

static uint32_t *wear_of_ota1(sf_device_t *d)
{
    const ota_partition_info_t *ota1 = ota_partition_find_by_label(&d->dev.table, "ota_1");
    assert_true(ota1->size / 4096 <= sizeof ref_wear / sizeof ref_wear[0]);
    uint32_t *w = calloc(sizeof ref_wear / sizeof ref_wear[0], sizeof *w);
    for (uint32_t off = 0; off < ota1->size; off += 4096) {
        w[off / 4096] = ota_flash_emu_sector_wear(d->emu, (ota1->offset + off) / 4096);
    }
    return w;
}

static void test_pause_resume_step(void **state)
{
    (void)state;
    ota_flash_emu_stats_t ref;
    reference_stats(11, &ref);

    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, APP_SIZE, 11);
    ota_upgrade_ops_t list[] = {sf_app_item(app, false)};
    ota_service_t *s = make_service(&d, list, 1, false);
    uint32_t *wear = wear_of_ota1(&d);
    ota_flash_emu_reset_stats(d.emu);
    ota_service_summary_t sum;
    uint32_t w = 0, t = 0;
    int32_t pct = -2;
    int ret;
    /* step until some of the image is on flash */
    do {
        ret = ota_service_step(s, &sum);
        assert_int_equal(ret, OTA_SERVICE_IN_PROGRESS);
        assert_int_equal(ota_service_get_progress(s, &w, &t, &pct), OTA_OK);
    } while (w < 64 * 1024);
    assert_true(t >= APP_SIZE && t != OTA_CHECK_SIZE_UNKNOWN);
    assert_true(pct > 0 && pct < 100);
    assert_int_equal(pct, (int32_t)((uint64_t)w * 100 / t));

    assert_int_equal(ota_service_pause(s), OTA_OK);
    uint64_t ops = ota_flash_emu_op_count(d.emu);
    ota_flash_emu_stats_t at_pause;
    ota_flash_emu_get_stats(d.emu, &at_pause);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(ota_service_step(s, &sum), OTA_SERVICE_IN_PROGRESS);
    }
    assert_true(ota_service_is_paused(s));
    ota_flash_emu_stats_t during;
    ota_flash_emu_get_stats(d.emu, &during);
    assert_int_equal(ota_flash_emu_op_count(d.emu), ops); /* nothing erased or written */
    assert_int_equal(during.read_ops, at_pause.read_ops);
    uint32_t w2;
    assert_int_equal(ota_service_get_progress(s, &w2, NULL, NULL), OTA_OK);
    assert_int_equal(w2, w);
    assert_paused_state(&d);

    assert_int_equal(ota_service_resume(s), OTA_OK);
    do {
        ret = ota_service_step(s, &sum);
    } while (ret == OTA_SERVICE_IN_PROGRESS);
    assert_int_equal(ret, OTA_OK);
    assert_false(ota_service_is_paused(s));
    assert_int_equal(sum.succeeded, 1);
    /* resumed where it stood: the same flash work as the run that never paused */
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d.emu, &st);
    assert_int_equal(st.program_bytes, ref.program_bytes);
    assert_int_equal(st.program_ops, ref.program_ops);
    assert_int_equal(st.sector_erases, ref.sector_erases);
    assert_int_equal(st.block_erases, ref.block_erases);
    assert_erased_once(&d, wear);
    assert_int_equal(ota_service_get_progress(s, &w, &t, &pct), OTA_OK);
    assert_int_equal(w, t);
    assert_int_equal(pct, 100);
    ota_service_destroy(s);
    free(wear);
    free(app);
    sf_device_free(&d);
}

static void test_pause_resume_worker(void **state)
{
    (void)state;
    ota_flash_emu_stats_t ref;
    reference_stats(12, &ref);

    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, APP_SIZE, 12);
    ota_upgrade_ops_t list[] = {sf_app_item(app, false)};
    ota_service_t *s = make_service(&d, list, 1, false);
    uint32_t *wear = wear_of_ota1(&d);
    ota_flash_emu_reset_stats(d.emu);
    ev.pause_on_progress = s; /* the worker pauses itself from its first progress event */
    assert_int_equal(ota_service_start(s), OTA_OK);
    int waited = 0;
    while (!ota_service_is_paused(s) && waited < 10000) {
        ota_port_sleep_ms(1);
        waited++;
    }
    assert_true(ota_service_is_paused(s));
    uint64_t ops = ota_flash_emu_op_count(d.emu);
    uint32_t w, t;
    assert_int_equal(ota_service_get_progress(s, &w, &t, NULL), OTA_OK);
    assert_true(w > 0 && w < t);
    ota_port_sleep_ms(100);
    assert_int_equal(ota_flash_emu_op_count(d.emu), ops);
    assert_true(ota_service_is_paused(s));
    assert_paused_state(&d);
    assert_int_equal(ota_service_resume(s), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_wait(s, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d.emu, &st);
    assert_int_equal(st.program_bytes, ref.program_bytes);
    assert_int_equal(st.sector_erases + st.block_erases, ref.sector_erases + ref.block_erases);
    assert_erased_once(&d, wear);
    ota_service_destroy(s);

    /* stop ends a pause: the item fails CANCELLED, the old app still boots */
    s = make_service(&d, list, 1, false);
    ev.pause_on_progress = s;
    assert_int_equal(ota_service_start(s), OTA_OK);
    waited = 0;
    while (!ota_service_is_paused(s) && waited < 10000) {
        ota_port_sleep_ms(1);
        waited++;
    }
    assert_true(ota_service_is_paused(s));
    ota_service_stop(s);
    assert_int_equal(ota_service_wait(s, &sum), OTA_ERR_CANCELLED);
    assert_paused_state(&d);
    ota_service_destroy(s);
    free(wear);
    free(app);
    sf_device_free(&d);
}

static void test_progress_unknown(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    ota_service_t *s = make_service(&d, NULL, 0, false);
    uint32_t w = 1, t = 0;
    int32_t pct = 0;
    assert_int_equal(ota_service_get_progress(s, &w, &t, &pct), OTA_OK);
    assert_int_equal(w, 0);
    assert_int_equal(pct, -1); /* ESP-ADF: -1 when the size is unknown */
    assert_int_equal(ota_service_get_progress(NULL, &w, &t, &pct), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_get_progress(s, NULL, NULL, NULL), OTA_OK);
    assert_int_equal(ota_service_pause(NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_resume(NULL), OTA_ERR_INVALID_ARG);
    assert_false(ota_service_is_paused(NULL));
    ota_service_destroy(s);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pause_resume_step),
        cmocka_unit_test(test_pause_resume_worker),
        cmocka_unit_test(test_progress_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
