/* The optional update features (ota_update_features.h) fail closed: a service whose firmware did
 * not link a feature refuses every item that needs it, before anything is erased, with
 * OTA_ERR_NOT_SUPPORTED and a detail naming the feature; it never installs such an item
 * unverified, undecrypted or unpatched. Each case is checked against the NOR emulator: not one
 * erase, not one program, the flash byte for byte as before. A fallback that installed the item
 * anyway would erase the slot (and succeed, or fail with another code). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_update_features.h"
#include "service_fixture.h"

#define FLASH_SIZE  (4u * 1024u * 1024u)
#define NEW_VERSION "v2.2-253-g0000001"

/* The error lines of the last run (the refusal's detail is logged with OTA_LOGE). */
static char g_errors[2048];

static void capture(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    (void)ctx;
    (void)tag;
    if (level == OTA_LOG_ERROR) {
        strncat(g_errors, message, sizeof g_errors - strlen(g_errors) - 2);
        strcat(g_errors, "\n");
    }
}

static char *testdata_uri(const char *rel)
{
    char *uri = NULL;
    assert_true(asprintf(&uri, "file://%s", ts_testdata(rel)) > 0);
    return uri;
}

/* Run @p item with @p features: the item fails with @p want, the log names @p feature, and the
 * flash is untouched (no erase, no program, same bytes; still running ota_0). */
static void expect_refused(sf_device_t *d, const ota_update_features_t *features, ota_upgrade_ops_t item,
                           int want, const char *feature)
{
    uint8_t *before = malloc(FLASH_SIZE);
    assert_non_null(before);
    memcpy(before, ota_flash_emu_memory(d->emu), FLASH_SIZE);
    ota_flash_emu_reset_stats(d->emu);
    g_errors[0] = '\0';
    ota_log_set_sink(capture, NULL);
    sf_features = features;
    ota_service_summary_t sum;
    sf_run(d, &item, 1, false, &sum);
    sf_features = &ota_update_features_all;
    ota_log_set_sink(NULL, NULL);
    assert_int_equal(sum.succeeded, 0);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.first_error, want);
    if (feature != NULL) {
        char named[96];
        snprintf(named, sizeof named, "the %s feature is not linked", feature);
        if (strstr(g_errors, named) == NULL) {
            fail_msg("no \"%s\" in the errors:\n%s", named, g_errors);
        }
    }
    ota_flash_emu_stats_t st;
    ota_flash_emu_get_stats(d->emu, &st);
    assert_int_equal(st.sector_erases + st.block_erases, 0);
    assert_int_equal(st.program_ops, 0);
    assert_memory_equal(ota_flash_emu_memory(d->emu), before, FLASH_SIZE);
    assert_string_equal(ota_device_running(&d->dev)->label, "ota_0");
    free(before);
}

/* Everything but signatures, and none at all: both refuse an app on a Secure Boot V2 device. */
static void test_signed_app_without_signatures(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    d.dev.security.secure_boot_v2 = true;
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, 200000, 3);
    static const ota_update_features_t no_sig = {.decryption = &ota_update_feature_decryption,
                                                 .delta = &ota_update_feature_delta};
    expect_refused(&d, &no_sig, sf_app_item(app, true), OTA_ERR_NOT_SUPPORTED, "signature verification");
    expect_refused(&d, NULL, sf_app_item(app, true), OTA_ERR_NOT_SUPPORTED, "signature verification");
    /* signed apps without secure boot (CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT): the same */
    d.dev.security.secure_boot_v2 = false;
    d.dev.security.signed_apps_on_update = true;
    expect_refused(&d, NULL, sf_app_item(app, true), OTA_ERR_NOT_SUPPORTED, "signature verification");
    /* with the feature, the verifier itself refuses the unsigned device setup (another reason) */
    expect_refused(&d, &ota_update_features_all, sf_app_item(app, true), OTA_ERR_SIG_NO_TRUSTED_KEY, NULL);
    free(app);
    sf_device_free(&d);
}

static void test_signed_data_without_signatures(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    strcpy(d.dev.security.signed_data[0], "flash_tone");
    char *tone = testdata_uri("esp-adf/flash_tone_fmt0.bin");
    expect_refused(&d, NULL, sf_data_item("flash_tone", tone), OTA_ERR_NOT_SUPPORTED,
                   "signature verification");
    free(tone);
    sf_device_free(&d);
}

static void test_decrypt_key_without_decryption(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    static const uint8_t hmac_key[32] = {1, 2, 3};
    d.dev.security.decrypt_key =
        (ota_enc_img_key_t){.scheme = OTA_ENC_SCHEME_ECIES_P256, .data = hmac_key, .len = sizeof hmac_key};
    /* a plain image: even so the device expects encrypted ones, and cannot decrypt */
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, 200000, 4);
    static const ota_update_features_t no_dec = {.signatures = &ota_update_feature_signatures,
                                                 .delta = &ota_update_feature_delta};
    expect_refused(&d, &no_dec, sf_app_item(app, true), OTA_ERR_NOT_SUPPORTED, "image decryption");
    free(app);
    sf_device_free(&d);
}

static void test_delta_patch_without_delta(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    /* a real esp_delta_ota patch (its magic 0xFCCDDE10 first) */
    char *patch = testdata_uri("delta/app_a_to_version.patch");
    static const ota_update_features_t no_delta = {.signatures = &ota_update_feature_signatures,
                                                   .decryption = &ota_update_feature_decryption};
    expect_refused(&d, &no_delta, sf_app_item(patch, true), OTA_ERR_NOT_SUPPORTED, "delta update");
    /* with the feature it is taken as a patch: its base is not this device's running app */
    expect_refused(&d, &ota_update_features_all, sf_app_item(patch, true), OTA_ERR_DELTA_BASE_MISMATCH, NULL);
    free(patch);
    sf_device_free(&d);
}

/* No features and nothing that needs one: a plain update installs as always. */
static void test_plain_update_needs_no_feature(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", NEW_VERSION, 200000, 5);
    ota_upgrade_ops_t item = sf_app_item(app, true);
    sf_features = NULL;
    ota_service_summary_t sum;
    int ret = sf_run(&d, &item, 1, false, &sum);
    sf_features = &ota_update_features_all;
    assert_int_equal(ret, OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");
    free(app);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signed_app_without_signatures),
        cmocka_unit_test(test_signed_data_without_signatures),
        cmocka_unit_test(test_decrypt_key_without_decryption),
        cmocka_unit_test(test_delta_patch_without_delta),
        cmocka_unit_test(test_plain_update_needs_no_feature),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
