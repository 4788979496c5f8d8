/* ESP-ADF esp_ota_service's check_update (ota_service_adf.h) and its checkers and verifier
 * installed through the public checker/verifier interface, on a RAM ESP32 device.
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

/* --- check_update ---------------------------------------------------------------------------- */

static void test_check_update_app(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, APP_SIZE, 7);
    size_t app_len;
    char *path = ts_path_join(d.dir, "app.bin");
    free(ts_read_file(path, &app_len));
    free(path);
    ota_upgrade_ops_t list[] = {sf_app_item(app, true)};
    ota_service_t *s = make_service(&d, list, 1, true);
    uint8_t *before = snapshot(&d);
    ota_flash_emu_reset_stats(d.emu);

    ota_check_result_t r;
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
    assert_true(r.upgrade_available);
    assert_int_equal(r.decision, OTA_OK);
    assert_string_equal(r.version, NEW_VERSION);
    assert_string_equal(r.running, SF_RUNNING_VERSION);
    assert_int_equal(r.image_size, app_len);
    /* the event carries the same struct; no item was run */
    assert_int_equal(ev.check_updates, 1);
    assert_memory_equal(&ev.last_check, &r, sizeof r);
    assert_int_equal(ev.begins, 0);
    assert_int_equal(ev.results, 0);
    assert_flash_untouched(&d, before);
    /* get_progress: the size is known, nothing written */
    uint32_t w, t;
    int32_t pct;
    assert_int_equal(ota_service_get_progress(s, &w, &t, &pct), OTA_OK);
    assert_int_equal(w, 0);
    assert_int_equal(t, app_len);
    assert_int_equal(pct, 0);
    /* checked twice: the same, and still nothing on flash */
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
    assert_true(r.upgrade_available);
    assert_flash_untouched(&d, before);
    /* errors */
    assert_int_equal(ota_service_check_update(s, 1, &r), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_check_update(s, -1, &r), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_check_update(NULL, 0, &r), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_check_update(s, 0, NULL), OTA_ERR_INVALID_ARG);
    ota_service_destroy(s);

    /* the running version again, with the version check: no upgrade, still OTA_OK */
    char *same = sf_make_app(&d, "same.bin", SF_RUNNING_VERSION, APP_SIZE, 8);
    ota_upgrade_ops_t list2[] = {sf_app_item(same, true)};
    s = make_service(&d, list2, 1, true);
    ota_flash_emu_reset_stats(d.emu);
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
    assert_false(r.upgrade_available);
    assert_int_equal(r.decision, OTA_ERR_VERSION_NOT_NEWER);
    assert_flash_untouched(&d, before);
    ota_service_destroy(s);

    /* a refusal (not an image) is the call's error and the decision */
    static const uint8_t junk[4096] = {1, 2, 3};
    char *bad = sf_make_file(&d, "junk.bin", junk, sizeof junk);
    ota_upgrade_ops_t list3[] = {sf_app_item(bad, true)};
    s = make_service(&d, list3, 1, false);
    ota_flash_emu_reset_stats(d.emu);
    int err = ota_service_check_update(s, 0, &r);
    assert_true(err < 0);
    assert_int_equal(r.decision, err);
    assert_false(r.upgrade_available);
    assert_flash_untouched(&d, before);
    ota_service_destroy(s);

    /* no list */
    s = make_service(&d, NULL, 0, false);
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_ERR_SVC_NO_LIST);
    ota_service_destroy(s);
    free(before);
    free(bad);
    free(same);
    free(app);
    sf_device_free(&d);
}

/* --- data-version checker ---------------------------------------------------------------- */

static ota_checker_data_version_t dv;
static const char *dv_current;

static int dv_prepare(ota_service_t *s, void **handle, ota_node_attr_t *node)
{
    int err = ota_data_default_prepare(s, handle, node);
    if (err != OTA_OK) {
        return err;
    }
    ota_checker_data_version_config_t cfg = {
        .current_version = dv_current, .label = node->label, .service = s};
    assert_int_equal(ota_checker_data_version_init(&dv, &cfg), OTA_OK);
    return ota_path_set_checker(*handle, &dv.checker);
}

/* gen_userdata_bin.py's image: LE u32 packed semver, then byte i = i & 0xFF. */
static uint8_t *userdata(const char *version, size_t size)
{
    uint8_t *b = malloc(size);
    uint32_t packed = ota_semver_pack(version);
    for (size_t i = 0; i < size; i++) {
        b[i] = (uint8_t)(i & 0xFF);
    }
    b[0] = (uint8_t)packed;
    b[1] = (uint8_t)(packed >> 8);
    b[2] = (uint8_t)(packed >> 16);
    b[3] = (uint8_t)(packed >> 24);
    return b;
}

static void test_data_version_checker(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    uint8_t *img = userdata("0.2.0", 10000);
    /* struct.pack('<I', 0x000200) */
    assert_int_equal(img[0], 0x00);
    assert_int_equal(img[1], 0x02);
    assert_int_equal(img[2], 0x00);
    assert_int_equal(img[3], 0x00);
    char *uri = sf_make_file(&d, "userdata.bin", img, 10000);
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri);
    item.prepare = dv_prepare;
    uint8_t *before = snapshot(&d);

    static const struct {
        const char *current;
        bool upgrade;
    } k[] = {
        {"0.1.0", true}, {"0.1.255", true}, {"0.2.0", false}, {"v0.2.1", false}, {"not a version", false}};
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        dv_current = k[i].current;
        ota_service_t *s = make_service(&d, &item, 1, false);
        ota_flash_emu_reset_stats(d.emu);
        ota_check_result_t r;
        assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
        assert_int_equal(r.upgrade_available, k[i].upgrade);
        assert_string_equal(r.version, "0.2.0");
        assert_string_equal(r.running, k[i].current);
        assert_string_equal(r.label, "flash_tone");
        assert_int_equal(r.image_size, 10000);
        assert_int_equal(r.decision, k[i].upgrade ? OTA_OK : OTA_ERR_VERSION_NOT_NEWER);
        assert_flash_untouched(&d, before);
        ota_service_destroy(s);
    }
    /* installed by a run: the whole image, header included */
    dv_current = "0.1.0";
    ota_service_t *s = make_service(&d, &item, 1, false);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), img, 10000);
    ota_service_destroy(s);
    /* and skipped once current */
    dv_current = "0.2.0";
    s = make_service(&d, &item, 1, false);
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    assert_int_equal(sum.skipped, 1);
    ota_service_destroy(s);
    /* shorter than the header: ESP_ERR_INVALID_SIZE */
    char *tiny = sf_make_file(&d, "tiny.bin", img, 3);
    ota_upgrade_ops_t item2 = sf_data_item("flash_tone", tiny);
    item2.prepare = dv_prepare;
    s = make_service(&d, &item2, 1, false);
    ota_check_result_t r;
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_ERR_INVALID_SIZE);
    ota_service_destroy(s);
    free(tiny);
    free(before);
    free(img);
    free(uri);
    sf_device_free(&d);
}

/* ESP-ADF's OTA example reads the tone header with ota_data_image_stream_read and writes it with
 * ota_data_partition_write inside its need_upgrade: a check-only run must still write nothing. */
static int writing_need_upgrade(void *handle, ota_node_attr_t *node)
{
    (void)node;
    uint8_t head[8];
    int err = ota_data_image_stream_read(handle, head, sizeof head);
    if (err == OTA_OK) {
        err = ota_data_partition_write(handle, head, sizeof head);
    }
    return err;
}

static void test_check_update_writing_need_upgrade(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    uint8_t *img = userdata("0.3.0", 9000);
    char *uri = sf_make_file(&d, "data.bin", img, 9000);
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri);
    item.need_upgrade = writing_need_upgrade;
    ota_service_t *s = make_service(&d, &item, 1, false);
    uint8_t *before = snapshot(&d);
    ota_flash_emu_reset_stats(d.emu);
    ota_check_result_t r;
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
    assert_true(r.upgrade_available);
    assert_string_equal(r.label, "flash_tone"); /* a data item's label when its checker names none */
    assert_flash_untouched(&d, before);
    /* the same item run for real writes */
    ota_service_summary_t sum;
    ota_service_run(s, &sum);
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d.emu, &st);
    assert_true(st.program_ops > 0);
    ota_service_destroy(s);
    free(before);
    free(img);
    free(uri);
    sf_device_free(&d);
}

/* --- MD5 verifier ---------------------------------------------------------------------------- */

static ota_verifier_md5_t md5v;
static uint8_t md5_expected[16];

static int md5_prepare(ota_service_t *s, void **handle, ota_node_attr_t *node)
{
    int err = ota_data_default_prepare(s, handle, node);
    if (err != OTA_OK) {
        return err;
    }
    ota_verifier_md5_init(&md5v, md5_expected);
    return ota_path_add_verifier(*handle, &md5v.verifier);
}

static void test_md5_verifier(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len = 20000;
    uint8_t *img = userdata("1.0.0", len);
    char *uri = sf_make_file(&d, "data.bin", img, len);
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri);
    item.prepare = md5_prepare;
    uint32_t part_size;
    const uint8_t *part = sf_partition_bytes(&d, "flash_tone", &part_size);
    uint8_t *old = malloc(part_size);
    memcpy(old, part, part_size);

    /* a wrong digest: refused before the commit, the old content's state kept */
    ota_md5(img, len, md5_expected);
    md5_expected[5] ^= 1;
    ota_service_t *s = make_service(&d, &item, 1, false);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(s, &sum), OTA_ERR_SVC_MD5_MISMATCH);
    assert_int_equal(sum.failed, 1);
    ota_service_destroy(s);
    ota_partition_t p;
    ota_device_partition(&d.dev, ota_partition_find_by_label(&d.dev.table, "flash_tone"), &p);
    assert_int_not_equal(ota_data_partition_state(&p), OTA_OK); /* detectably incomplete */
    assert_memory_not_equal(part, img, len);

    /* the right digest (computed independently by the crypto port's one-shot MD5) */
    ota_md5(img, len, md5_expected);
    s = make_service(&d, &item, 1, false);
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_memory_equal(md5v.computed, md5_expected, 16);
    assert_memory_equal(sf_partition_bytes(&d, "flash_tone", NULL), img, len);
    ota_service_destroy(s);
    free(old);
    free(img);
    free(uri);
    sf_device_free(&d);
}

/* --- manifest checker ---------------------------------------------------------------------- */

static ota_checker_manifest_t mc;
static bool mc_md5;

static int mc_prepare(ota_service_t *s, void **handle, ota_node_attr_t *node)
{
    int err = ota_data_default_prepare(s, handle, node);
    if (err == OTA_OK) {
        err = ota_path_set_checker(*handle, &mc.checker);
    }
    if (err == OTA_OK && mc_md5 && mc.result.has_md5) {
        ota_verifier_md5_init(&md5v, mc.result.md5);
        err = ota_path_add_verifier(*handle, &md5v.verifier);
    }
    return err;
}

static void test_manifest_checker(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    size_t len = 5000;
    uint8_t *img = userdata("1.0.1", len);
    char *uri = sf_make_file(&d, "fw.bin", img, len);
    uint8_t md5[16];
    ota_md5(img, len, md5);
    char json[512];
    int n = snprintf(json, sizeof json,
                     "{\"project_name\":\"ota_http\",\"version\":\"1.0.1\",\"size\":%u,\"md5\":\"",
                     (unsigned)len);
    for (int i = 0; i < 16; i++) {
        n += snprintf(json + n, sizeof json - (size_t)n, "%02x", md5[i]);
    }
    snprintf(json + n, sizeof json - (size_t)n, "\",\"sha256\":\"...\"}");
    char *manifest = sf_make_file(&d, "manifest.json", json, strlen(json));
    ota_upgrade_ops_t item = sf_data_item("flash_tone", uri);
    item.prepare = mc_prepare;
    ota_service_t *s = make_service(&d, &item, 1, false);
    ota_checker_manifest_config_t cfg = {
        .manifest_uri = manifest,
        .policy = {.current_version = "1.0.0", .require_higher_version = true},
        .service = s,
    };
    assert_int_equal(ota_checker_manifest_init(&mc, &cfg), OTA_OK);
    mc_md5 = false;
    uint8_t *before = snapshot(&d);
    ota_flash_emu_reset_stats(d.emu);
    ota_check_result_t r;
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_OK);
    assert_true(r.upgrade_available);
    assert_string_equal(r.version, "1.0.1");
    assert_string_equal(r.label, "ota_http");
    assert_int_equal(r.image_size, len);
    assert_true(r.has_md5);
    assert_memory_equal(r.md5, md5, 16);
    assert_false(r.has_hash);
    assert_flash_untouched(&d, before);
    /* the run: the manifest's decision, its MD5 armed on the item */
    mc_md5 = true;
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_memory_equal(md5v.computed, md5, 16);
    ota_service_destroy(s);
    /* not higher: skipped */
    s = make_service(&d, &item, 1, false);
    cfg.service = s;
    cfg.policy.current_version = "1.0.1";
    assert_int_equal(ota_checker_manifest_init(&mc, &cfg), OTA_OK);
    assert_int_equal(ota_service_run(s, &sum), OTA_OK);
    assert_int_equal(sum.skipped, 1);
    ota_service_destroy(s);
    /* an unreachable manifest: the fetch error */
    s = make_service(&d, &item, 1, false);
    cfg.service = s;
    cfg.manifest_uri = "file:///nonexistent/manifest.json";
    assert_int_equal(ota_checker_manifest_init(&mc, &cfg), OTA_OK);
    assert_int_equal(ota_service_check_update(s, 0, &r), OTA_ERR_SRC_FILE_NOT_FOUND);
    ota_service_destroy(s);
    free(before);
    free(manifest);
    free(img);
    free(uri);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_update_app),
        cmocka_unit_test(test_data_version_checker),
        cmocka_unit_test(test_md5_verifier),
        cmocka_unit_test(test_manifest_checker),
        cmocka_unit_test(test_check_update_writing_need_upgrade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
