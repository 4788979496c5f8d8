/* The simulated bootloader's Secure Boot V2 check goes through ota_bootloader_config_t: a build
 * without the verifier (a firmware that does not link the signature feature) must fail closed on
 * a device with Secure Boot V2 on, i.e. boot nothing rather than an app it cannot verify, and say
 * so with ESP-IDF's lines. The app is Espressif's own signed image (testdata/secure,
 * espsecure sign_data) and the key digest the one espsecure computed for its key, so the same
 * flash boots with the verifier: the refusal is the missing verifier's, not the image's. */
#include "boot_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "boot/ota_image_sig.h"
#include "ota/ota_update_features.h"

/* seed_ota_example.csv, blank otadata, Espressif's RSA-3072 signed ESP32 app in ota_0, eFuse
 * KEY_DIGEST0 = its key's digest, Secure Boot V2 on. */
static void secure_device(fx_t *fx)
{
    fx_init(fx, "seed_ota_example.csv");
    size_t len;
    uint8_t *app = ts_read_file(ts_testdata("secure/app_esp32_rsa3072.bin"), &len);
    fx_erase(fx, "ota_0");
    ota_partition_t part;
    ota_device_partition(&fx->dev, fx_part(fx, "ota_0"), &part);
    assert_int_equal(ota_partition_program(&part, 0, app, len), OTA_OK);
    free(app);
    uint8_t *digest = ts_read_file(ts_testdata("secure/digest_rsa3072.bin"), &len);
    assert_int_equal(len, sizeof fx->dev.security.key_digest[0]);
    memcpy(fx->dev.security.key_digest[0], digest, len);
    free(digest);
    fx->dev.security.key_digest_set[0] = true;
    fx->dev.security.secure_boot_v2 = true;
}

static const char *running(fx_t *fx)
{
    const ota_partition_info_t *p = ota_device_running(&fx->dev);
    return p ? p->label : "(none)";
}

/* No verifier (config NULL or zeros): nothing boots, otadata is not touched, the log says why. */
static void test_no_verifier_fails_closed(void **state)
{
    (void)state;
    fx_t fx;
    secure_device(&fx);
    const ota_bootloader_config_t none = {0};
    const ota_bootloader_config_t *configs[] = {NULL, &none};
    for (size_t i = 0; i < 2; i++) {
        ota_boot_result_t predicted;
        assert_int_equal(ota_bootloader_boot_predict(&fx.dev, configs[i], &predicted),
                         OTA_ERR_NO_BOOTABLE_APP);
        assert_null(predicted.partition);
        ts_log_capture_start();
        ota_boot_result_t r;
        assert_int_equal(ota_bootloader_boot(&fx.dev, configs[i], &r), OTA_ERR_NO_BOOTABLE_APP);
        assert_null(r.partition);
        assert_string_equal(running(&fx), "(none)");
        assert_false(r.otadata_written); /* set_actual_ota_seq only after a boot */
        assert_true(ts_log_contains("I esp_image: Verifying image signature..."));
        assert_true(
            ts_log_contains("E secure_boot_v2: Secure Boot V2 is enabled, but no signature verifier is "
                            "linked into this bootloader"));
        assert_true(ts_log_contains("E secure_boot_v2: Secure Boot V2 verification failed."));
        assert_true(ts_log_contains("E esp_image: Secure boot signature verification failed"));
        assert_true(ts_log_contains("E boot: OTA app partition slot 0 is not bootable"));
        assert_true(ts_log_contains("E boot: No bootable app partitions in the partition table"));
        /* it does not claim the signature was checked */
        assert_false(ts_log_contains("image valid, signature bad"));
        assert_false(ts_log_contains("Signature verified successfully!"));
        assert_false(ts_log_contains("Loaded app from partition"));
        ts_log_capture_stop();
        ota_otadata_entry_t e[2];
        fx_otadata(&fx, e);
        assert_int_equal(e[0].ota_seq, 0xFFFFFFFFu);
        assert_int_equal(e[1].ota_seq, 0xFFFFFFFFu);
    }
    fx_free(&fx);
}

/* The same flash with the verifier (the host's bootloader, and a config taken from the
 * signature feature) boots the signed app. */
static void test_verifier_boots_signed_app(void **state)
{
    (void)state;
    fx_t fx;
    secure_device(&fx);
    const ota_bootloader_config_t from_features = {.verify_signature =
                                                       ota_update_features_all.signatures->verify_boot};
    assert_ptr_equal(from_features.verify_signature, ota_image_sig_verify_boot);
    ota_boot_result_t r;
    assert_int_equal(ota_bootloader_boot_predict(&fx.dev, &from_features, &r), OTA_OK);
    assert_string_equal(r.partition->label, "ota_0");
    ts_log_capture_start();
    assert_int_equal(ota_bootloader_boot(&fx.dev, &from_features, &r), OTA_OK);
    assert_true(ts_log_contains("I secure_boot_v2: Signature verified successfully!"));
    assert_true(ts_log_contains("I boot: Loaded app from partition at offset 0x10000"));
    ts_log_capture_stop();
    assert_string_equal(running(&fx), "ota_0");
    assert_int_equal(ota_bootloader_run(&fx.dev, &r), OTA_OK);
    assert_string_equal(r.partition->label, "ota_0");
    fx_free(&fx);
}

/* The verifier is asked only with Secure Boot V2 on: without it, no verifier is needed. */
static void test_no_secure_boot_needs_no_verifier(void **state)
{
    (void)state;
    fx_t fx;
    secure_device(&fx);
    fx.dev.security.secure_boot_v2 = false;
    ts_log_capture_start();
    ota_boot_result_t r;
    assert_int_equal(ota_bootloader_boot(&fx.dev, NULL, &r), OTA_OK);
    assert_false(ts_log_contains("Verifying image signature"));
    ts_log_capture_stop();
    assert_string_equal(running(&fx), "ota_0");
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_verifier_fails_closed),
        cmocka_unit_test(test_verifier_boots_signed_app),
        cmocka_unit_test(test_no_secure_boot_needs_no_verifier),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
