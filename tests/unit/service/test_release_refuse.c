/* The refusals of a release (ota_service_set_release, ota_release.h), each with its own code, each
 * before anything is erased: every byte of the flash is what it was (otadata and its records
 * included), and the device boots and resolves what it did. The one refusal that needs the item's
 * last byte (its SHA-256) leaves every partition the device runs from as it was and commits nothing. */
#include "release_fixture.h"
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_sig_block.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_release.h"

typedef struct {
    sf_device_t d;
    uint8_t *app, *tone, *cfg;
    size_t app_len, tone_len, cfg_len;
    rf_item_t items[3];
} fx_t;

/* A device that installed release 5 (tone + cfg), and the files of a release 6 (app + tone + cfg). */
static int setup(void **state)
{
    fx_t *fx = calloc(1, sizeof *fx);
    rf_device_init(&fx->d, false);
    size_t len;
    uint8_t *tone = rf_tone("V1.5.0", 50, &len);
    rf_item_t first = {"data", "flash_tone", "tone5.bin", tone, len, "V1.5.0", NULL, NULL};
    char *json = rf_manifest(&fx->d, 5, &first, 1);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&fx->d, json, strlen(json), &set, &sum), OTA_OK);
    assert_string_equal(rf_resolved(&fx->d, "flash_tone"), "flash_tone_b");
    free(json);
    free(tone);
    fx->app = rf_app("v2.0", 60, &fx->app_len);
    fx->tone = rf_tone("V2.0.0", 61, &fx->tone_len);
    fx->cfg = rf_cfg(1, 2, 3, 62, &fx->cfg_len);
    fx->items[0] = (rf_item_t){"app", NULL, "app6.bin", fx->app, fx->app_len, "v2.0", NULL, NULL};
    fx->items[1] =
        (rf_item_t){"data", "flash_tone", "tone6.bin", fx->tone, fx->tone_len, "V2.0.0", NULL, NULL};
    fx->items[2] = (rf_item_t){"data", "cfg", "cfg6.bin", fx->cfg, fx->cfg_len, "1.2.3", NULL, NULL};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fx_t *fx = *state;
    free(fx->app);
    free(fx->tone);
    free(fx->cfg);
    sf_device_free(&fx->d);
    free(fx);
    return 0;
}

/* Run @p json; it must be refused with @p want and leave the flash byte-identical (@p whole) or at
 * least the release the device runs; then the device still boots ota_0 with release 5's data. */
static void expect_refused(fx_t *fx, const char *json, size_t len, int want, bool whole)
{
    uint8_t *snap = rf_snapshot(&fx->d);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&fx->d, json, len, &set, &sum), want);
    assert_int_equal(sum.succeeded > 0 && sum.failed == 0, false);
    if (whole) {
        assert_true(rf_unchanged(&fx->d, snap));
    }
    rf_reboot(&fx->d);
    assert_string_equal(ota_device_running(&fx->d.dev)->label, "ota_0");
    assert_string_equal(rf_resolved(&fx->d, "flash_tone"), "flash_tone_b");
    assert_string_equal(rf_resolved(&fx->d, "cfg"), "cfg");
    const uint8_t *mem = ota_flash_emu_memory(fx->d.emu);
    const char *live[] = {"ota_0", "flash_tone_b", "cfg"};
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        const ota_partition_info_t *p = ota_partition_find_by_label(&fx->d.dev.table, live[i]);
        assert_memory_equal(mem + p->offset, snap + p->offset, p->size);
    }
    ota_release_state_t st;
    assert_int_equal(ota_release_installed(&fx->d.dev, &st), OTA_OK);
    assert_int_equal(st.sequence, 5);
    free(snap);
}

static void refused_manifest(fx_t *fx, uint32_t seq, const rf_item_t *items, int n, int want, bool whole)
{
    char *json = rf_manifest(&fx->d, seq, items, n);
    expect_refused(fx, json, strlen(json), want, whole);
    free(json);
}

static void test_refuse_older(void **state)
{
    fx_t *fx = *state;
    refused_manifest(fx, 4, fx->items, 3, OTA_ERR_RELEASE_OLDER, true);
}

static void test_refuse_sha_mismatch(void **state)
{
    fx_t *fx = *state;
    char *json = rf_manifest(&fx->d, 6, fx->items, 3);
    fx->tone[300] ^= 1; /* the file the device fetches is not the one the manifest hashed */
    free(sf_make_file(&fx->d, "tone6.bin", fx->tone, fx->tone_len));
    expect_refused(fx, json, strlen(json), OTA_ERR_RELEASE_ITEM_MISMATCH, false);
    free(json);
}

static void test_refuse_size_mismatch(void **state)
{
    fx_t *fx = *state;
    char *json = rf_manifest(&fx->d, 6, fx->items, 3);
    uint8_t *longer = calloc(1, fx->app_len + 16);
    memcpy(longer, fx->app, fx->app_len);
    free(sf_make_file(&fx->d, "app6.bin", longer, fx->app_len + 16)); /* known before any erase */
    expect_refused(fx, json, strlen(json), OTA_ERR_RELEASE_ITEM_MISMATCH, true);
    free(longer);
    free(json);
}

static void test_refuse_duplicate(void **state)
{
    fx_t *fx = *state;
    rf_item_t items[2] = {fx->items[1], fx->items[1]};
    refused_manifest(fx, 6, items, 2, OTA_ERR_MANIFEST_DUPLICATE, true);
}

static void test_refuse_running_slot(void **state)
{
    fx_t *fx = *state;
    rf_item_t items[1] = {fx->items[0]};
    items[0].label = "ota_0";
    refused_manifest(fx, 6, items, 1, OTA_ERR_RELEASE_RUNNING_SLOT, true);
}

static void test_refuse_no_twin(void **state)
{
    fx_t *fx = *state;
    rf_item_t items[2] = {fx->items[1], fx->items[2]};
    items[1].label = "lonely";
    refused_manifest(fx, 6, items, 2, OTA_ERR_RELEASE_NO_TWIN, true);
    assert_int_equal(rf_diag.item, 1);
    items[1].label = "small"; /* small_b is half its size */
    refused_manifest(fx, 6, items, 2, OTA_ERR_RELEASE_NO_TWIN, true);
}

static void test_refuse_version(void **state)
{
    fx_t *fx = *state;
    rf_item_t items[3] = {fx->items[0], fx->items[1], fx->items[2]};
    items[0].version = "v2.1"; /* the image says v2.0 */
    refused_manifest(fx, 6, items, 3, OTA_ERR_RELEASE_VERSION, true);
    items[0].version = "v2.0";
    items[0].min_running = "v1.1"; /* the device runs v1.0 */
    refused_manifest(fx, 6, items, 3, OTA_ERR_RELEASE_VERSION, true);
    assert_int_equal(rf_diag.item, 0);
    items[0].min_running = NULL;
    items[2].version = "1.2.4"; /* the header says 1.2.3 */
    refused_manifest(fx, 6, items, 3, OTA_ERR_RELEASE_VERSION, false);
    items[2].version = "1.2.3";
    items[1].version = "V2.0.1"; /* the tone image's description says V2.0.0 */
    refused_manifest(fx, 6, items, 3, OTA_ERR_RELEASE_VERSION, false);
}

static void test_refuse_bad_text(void **state)
{
    fx_t *fx = *state;
    char *json = rf_manifest(&fx->d, 6, fx->items, 3);
    expect_refused(fx, json, strlen(json) / 2, OTA_ERR_MANIFEST_TRUNCATED, true);
    expect_refused(fx, "[1, 2]", 6, OTA_ERR_MANIFEST_MALFORMED, true);
    assert_int_equal(rf_diag.item, -1);
    size_t big = OTA_MANIFEST_MAX_SIZE + 100;
    char *huge = malloc(big);
    memset(huge, ' ', big);
    memcpy(huge, json, strlen(json));
    expect_refused(fx, huge, big, OTA_ERR_MANIFEST_TOO_LARGE, true);
    free(huge);
    free(json);
}

/* A device that requires signed updates (Secure Boot V2, a key digest burned) refuses an unsigned
 * manifest whatever allow_unsigned says, and a signed one whose signature does not verify. */
static void test_refuse_unsigned(void **state)
{
    fx_t *fx = *state;
    size_t len;
    uint8_t *digest = ts_read_file(ts_testdata("secure/digest_rsa3072.bin"), &len);
    assert_int_equal(len, 32);
    ota_device_security_t saved = fx->d.dev.security;
    uint16_t rev = fx->d.dev.chip_revision;
    fx->d.dev.security.secure_boot_v2 = true;
    fx->d.dev.security.key_digest_set[0] = true;
    memcpy(fx->d.dev.security.key_digest[0], digest, 32);
    fx->d.dev.chip_revision = 300; /* ESP32 v3.0: Secure Boot V2 (RSA-3072) */
    char *json = rf_manifest(&fx->d, 6, fx->items, 3);
    uint8_t *snap = rf_snapshot(&fx->d);
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&fx->d, json, strlen(json), &set, &sum), OTA_ERR_RELEASE_UNSIGNED);
    assert_true(rf_unchanged(&fx->d, snap));
    /* padded to 4 KiB + the signature sector of another file (a signed app's): its digest differs */
    uint8_t *signed_app = ts_read_file(ts_testdata("secure/app_esp32_rsa3072.bin"), &len);
    uint8_t *file = malloc(8192);
    memset(file, 0xFF, 4096);
    memcpy(file, json, strlen(json));
    memcpy(file + 4096, signed_app + len - 4096, 4096);
    assert_int_equal(rf_run(&fx->d, (const char *)file, 8192, &set, &sum), OTA_ERR_SIG_DIGEST_MISMATCH);
    assert_true(rf_unchanged(&fx->d, snap));
    fx->d.dev.security = saved;
    fx->d.dev.chip_revision = rev;
    /* the same unsigned text on a device that does not require signatures: accepted */
    assert_int_equal(rf_run(&fx->d, json, strlen(json), &set, &sum), OTA_OK);
    assert_string_equal(rf_resolved(&fx->d, "cfg"), "cfg_b");
    free(snap);
    free(file);
    free(signed_app);
    free(digest);
    free(json);
}

/* The manifest text signed as espsecure sign_data --version 2 lays it out (ota_manifest.h) with
 * the RSA-3072 test key: malloc'ed, 2 sectors. */
static uint8_t *sign_rsa(const char *json)
{
    size_t pem_len;
    uint8_t *pem = ts_read_file(ts_testdata("secure/key_rsa3072.pem"), &pem_len);
    ota_key_t *key = NULL;
    assert_int_equal(ota_key_load_pem(pem, pem_len, &key), OTA_OK);
    uint8_t *file = malloc(2 * OTA_SIG_SECTOR_SIZE);
    memset(file, 0xFF, 2 * OTA_SIG_SECTOR_SIZE);
    memcpy(file, json, strlen(json));
    ota_sig_block_t *b = calloc(1, sizeof *b);
    assert_int_equal(ota_key_to_block(key, b), OTA_OK);
    ota_sha256(file, OTA_SIG_SECTOR_SIZE, b->digest);
    assert_int_equal(ota_key_sign_block(key, b), OTA_OK);
    assert_int_equal(ota_sig_block_serialise(b, file + OTA_SIG_SECTOR_SIZE), OTA_OK);
    free(b);
    ota_key_free(key);
    free(pem);
    return file;
}

/* A device with Secure Boot V2 (the test key's digest burned) installs a release whose manifest is
 * signed with that key, and refuses the same file with one byte of its text changed. */
static void test_signed_accepted(void **state)
{
    fx_t *fx = *state;
    size_t len;
    uint8_t *digest = ts_read_file(ts_testdata("secure/digest_rsa3072.bin"), &len);
    ota_device_security_t saved = fx->d.dev.security;
    uint16_t rev = fx->d.dev.chip_revision;
    fx->d.dev.security.secure_boot_v2 = true;
    fx->d.dev.security.key_digest_set[0] = true;
    memcpy(fx->d.dev.security.key_digest[0], digest, 32);
    fx->d.dev.chip_revision = 300;
    rf_item_t items[2] = {fx->items[1], fx->items[2]}; /* data only: the apps are not signed */
    char *json = rf_manifest(&fx->d, 6, items, 2);
    uint8_t *file = sign_rsa(json);
    uint8_t *snap = rf_snapshot(&fx->d);
    file[10] ^= 1;
    int set;
    ota_service_summary_t sum;
    assert_int_equal(rf_run(&fx->d, (const char *)file, 2 * OTA_SIG_SECTOR_SIZE, &set, &sum),
                     OTA_ERR_SIG_DIGEST_MISMATCH);
    assert_true(rf_unchanged(&fx->d, snap));
    file[10] ^= 1;
    assert_int_equal(rf_run(&fx->d, (const char *)file, 2 * OTA_SIG_SECTOR_SIZE, &set, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    fx->d.dev.security = saved;
    fx->d.dev.chip_revision = rev;
    assert_string_equal(rf_resolved(&fx->d, "flash_tone"), "flash_tone");
    assert_string_equal(rf_resolved(&fx->d, "cfg"), "cfg_b");
    free(snap);
    free(file);
    free(json);
    free(digest);
}

/* Two items whose partitions share bytes (a table entry aliasing flash_tone). */
static void test_refuse_overlap(void **state)
{
    fx_t *fx = *state;
    ota_partition_table_t *t = &fx->d.dev.table;
    const ota_partition_info_t *tone = ota_partition_find_by_label(t, "flash_tone");
    ota_partition_info_t alias = *tone;
    snprintf(alias.label, sizeof alias.label, "alias");
    alias.offset += 0x1000;
    alias.size = 0x2000;
    t->entries[t->count++] = alias;
    rf_item_t items[2] = {fx->items[1], fx->items[2]};
    items[1].label = "alias";
    refused_manifest(fx, 6, items, 2, OTA_ERR_MANIFEST_OVERLAP, true);
    t->count--;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_refuse_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_sha_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_size_mismatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_duplicate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_running_slot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_no_twin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_version, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_bad_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_unsigned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_overlap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signed_accepted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
