/* The simulated bootloader and esp_ota_ops over sequences of set-boot / boot / confirm /
 * rollback / reboot-without-confirm, anti-rollback, corrupt slots, factory tables, v5.x otadata,
 * and power cuts in the otadata write. Expected behaviour: reference §2.5-§2.8, §4.4. */
#include "boot_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"

#define APP_SIZE 0x3000u

static int boot(fx_t *fx, ota_boot_result_t *r)
{
    return ota_bootloader_run(&fx->dev, r);
}

static const char *running(fx_t *fx)
{
    const ota_partition_info_t *p = ota_device_running(&fx->dev);
    return p ? p->label : "(none)";
}

static void expect_entry(const ota_otadata_entry_t *e, uint32_t seq, uint32_t state)
{
    assert_int_equal(e->ota_seq, seq);
    assert_int_equal(e->ota_state, state);
    assert_int_equal(e->crc, ota_otadata_crc(seq));
}

/* Blank otadata, no factory, app in ota_0 (the "Done when"): boots ota_0 and writes
 * otadata[0] = seq 1 VALID (set_actual_ota_seq). */
static void test_first_boot_self_initialises_otadata(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    ts_log_capture_start();
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    assert_int_equal(r.index, 0);
    assert_true(r.otadata_written);
    assert_string_equal(r.image.app_desc.version, "v1");
    assert_true(ts_log_contains("I boot: Partition Table:"));
    assert_true(ts_log_contains("I boot: ## Label            Usage          Type ST Offset   Length"));
    assert_true(ts_log_contains("I boot:  3 ota_0            OTA app          00 10 00010000 00100000"));
    assert_true(ts_log_contains("I boot:  5 flash_tone       Unknown data     01 ff 00210000 00100000"));
    assert_true(ts_log_contains("I boot: otadata[0..1] in initial state"));
    assert_true(ts_log_contains("I esp_image: segment 0: paddr=00010020 vaddr=3f400020"));
    assert_true(ts_log_contains("I boot: Loaded app from partition at offset 0x10000"));
    assert_true(ts_log_contains("I boot: Set actual ota_seq=1 in otadata[0]"));
    /* the app's ESP-IDF is the builder's default v5.5.4: from v5.3 the block is app_init's and the
     * revision lines efuse_init's (components/esp_app_format/esp_app_desc.c and
     * components/efuse/src/esp_efuse_startup.c at v5.5.4); the bootloader, with no image of its
     * own in this flash, is taken for the app's build */
    assert_true(ts_log_contains("I boot: ESP-IDF v5.5.4 2nd stage bootloader"));
    assert_true(ts_log_contains("I boot: compile time Jan  1 2026 00:00:00"));
    assert_true(ts_log_contains("I app_init: Project name:     boot_test"));
    assert_true(ts_log_contains("I app_init: App version:      v1"));
    assert_true(ts_log_contains("I app_init: Compile time:     Jan  1 2026 00:00:00"));
    assert_true(ts_log_contains("I app_init: ESP-IDF:          v5.5.4"));
    assert_true(ts_log_contains("I app_init: ELF file SHA256:  "));
    assert_true(ts_log_contains("I efuse_init: Chip rev:         v"));
    assert_false(ts_log_contains("cpu_start"));
    ts_log_capture_stop();
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    expect_entry(&e[0], 1, OTA_IMG_VALID);
    assert_int_equal(e[1].ota_seq, 0xFFFFFFFFu); /* sector 1 untouched */
    /* a second boot changes nothing */
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_false(r.otadata_written);
    assert_string_equal(running(&fx), "ota_0");
    fx_free(&fx);
}

/* Update to ota_1, reboot without confirming: PENDING_VERIFY -> ABORTED, ota_0 again. */
static void test_update_then_reboot_without_confirm(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE + 0x1000);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    expect_entry(&e[0], 1, OTA_IMG_VALID);
    expect_entry(&e[1], 2, OTA_IMG_NEW);
    assert_string_equal(ota_ops_get_boot_partition(&fx.dev)->label, "ota_1");
    assert_string_equal(running(&fx), "ota_0"); /* until the reset */

    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_1");
    fx_otadata(&fx, e);
    expect_entry(&e[1], 2, OTA_IMG_PENDING_VERIFY);
    uint32_t st;
    assert_int_equal(ota_ops_get_state_partition(&fx.dev, fx_part(&fx, "ota_1"), &st), OTA_OK);
    assert_int_equal(st, OTA_IMG_PENDING_VERIFY);
    /* updating again while unconfirmed is refused, as esp_ota_begin does */
    assert_int_equal(ota_ops_check_update_target(&fx.dev, fx_part(&fx, "ota_0")),
                     OTA_ERR_ROLLBACK_INVALID_STATE);
    assert_int_equal(ota_ops_check_update_target(&fx.dev, fx_part(&fx, "ota_1")), OTA_ERR_PARTITION_CONFLICT);

    /* reset without confirm */
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    assert_false(r.fell_back);
    fx_otadata(&fx, e);
    expect_entry(&e[1], 2, OTA_IMG_ABORTED);
    expect_entry(&e[0], 1, OTA_IMG_VALID);
    assert_ptr_equal(ota_ops_get_last_invalid_partition(&fx.dev), fx_part(&fx, "ota_1"));
    fx_free(&fx);
}

/* Update, boot, confirm: VALID, stays; eFuse follows the confirmed app's secure_version. */
static void test_update_confirm(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    fx_write_app(&fx, "ota_1", "v2", 2, APP_SIZE);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_int_equal(fx.dev.efuse_secure_version, 0); /* not burned before confirmation */
    assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&fx.dev), OTA_OK);
    assert_int_equal(fx.dev.efuse_secure_version, 2);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    expect_entry(&e[1], 2, OTA_IMG_VALID);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(boot(&fx, &r), OTA_OK);
        assert_string_equal(running(&fx), "ota_1");
    }
    /* the old app (secure_version 0) can no longer be rolled back to */
    assert_false(ota_ops_check_rollback_is_possible(&fx.dev));
    assert_int_equal(ota_ops_mark_app_invalid_rollback(&fx.dev), OTA_ERR_ROLLBACK_FAILED);
    /* next update goes to ota_0 with seq 3 */
    assert_ptr_equal(ota_ops_get_next_update_partition(&fx.dev, NULL), fx_part(&fx, "ota_0"));
    fx_write_app(&fx, "ota_0", "v3", 2, APP_SIZE);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_0")), OTA_OK);
    fx_otadata(&fx, e);
    expect_entry(&e[0], 3, OTA_IMG_NEW);
    expect_entry(&e[1], 2, OTA_IMG_VALID);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    assert_string_equal(r.image.app_desc.version, "v3");
    fx_free(&fx);
}

/* The app finds itself broken: mark invalid and reboot -> the previous app. */
static void test_rollback(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    /* only one app: nothing to roll back to */
    assert_int_equal(ota_ops_mark_app_invalid_rollback(&fx.dev), OTA_ERR_ROLLBACK_FAILED);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_true(ota_ops_check_rollback_is_possible(&fx.dev));
    assert_int_equal(ota_ops_mark_app_invalid_rollback(&fx.dev), OTA_OK);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    expect_entry(&e[1], 2, OTA_IMG_INVALID);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    assert_string_equal(r.image.app_desc.version, "v1");
    fx_free(&fx);
}

/* A slot that no longer verifies: the bootloader falls back to the other one. */
static void test_corrupt_slot_falls_back(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    fx_corrupt(&fx, "ota_1", 0x800); /* a data byte: checksum */
    assert_int_equal(ota_ops_image_verify(&fx.dev, fx_part(&fx, "ota_1"), true, NULL, NULL),
                     OTA_ERR_IMG_CHECKSUM);
    ts_log_capture_start();
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_true(ts_log_contains("E esp_image: Checksum failed."));
    assert_true(ts_log_contains("E boot: OTA app partition slot 1 is not bootable"));
    assert_true(ts_log_contains("I boot: Loaded app from partition at offset 0x10000"));
    ts_log_capture_stop();
    assert_string_equal(running(&fx), "ota_0");
    assert_int_equal(r.selected_index, 1);
    assert_int_equal(r.index, 0);
    assert_true(r.fell_back);
    /* set-boot refuses a corrupt image before touching otadata */
    ota_otadata_entry_t before[2], after[2];
    fx_otadata(&fx, before);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_ERR_IMG_CHECKSUM);
    fx_otadata(&fx, after);
    assert_memory_equal(before, after, sizeof before);
    fx_free(&fx);
}

static void test_nothing_bootable(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    ts_log_capture_start();
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_ERR_NO_BOOTABLE_APP);
    /* anti-rollback reads the app description before the image */
    assert_true(ts_log_contains("E boot: Failed to get partition description"));
    assert_true(ts_log_contains("E boot: OTA app partition slot 0 is not bootable"));
    assert_true(ts_log_contains("E boot: OTA app partition slot 1 is not bootable"));
    assert_true(ts_log_contains("E boot: No bootable app partitions in the partition table"));
    ts_log_capture_stop();
    fx.dev.anti_rollback_enabled = false;
    ts_log_capture_start();
    assert_int_equal(boot(&fx, &r), OTA_ERR_NO_BOOTABLE_APP);
    assert_true(ts_log_contains("I boot: No factory image, trying OTA 0"));
    assert_true(
        ts_log_contains("E esp_image: image at 0x10000 has invalid magic byte (nothing flashed here?)"));
    ts_log_capture_stop();
    fx.dev.anti_rollback_enabled = true;
    assert_null(ota_device_running(&fx.dev));
    assert_null(r.partition);
    /* an image for another chip does not boot either */
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    fx.dev.chip_id = OTA_CHIP_ESP32S3;
    assert_int_equal(boot(&fx, &r), OTA_ERR_NO_BOOTABLE_APP);
    fx.dev.chip_id = OTA_CHIP_ESP32;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    fx_free(&fx);
}

/* Anti-rollback: set_boot erases and refuses an old image; the bootloader skips an otadata entry
 * whose app is older than the eFuse. */
static void test_anti_rollback(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v5", 5, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_int_equal(fx.dev.efuse_secure_version, 5); /* set_actual_ota_seq burns it */
    fx_write_app(&fx, "ota_1", "v4", 4, APP_SIZE);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_ERR_SECURE_VERSION);
    bool erased = false;
    assert_int_equal(ota_flash_is_erased(fx.dev.flash, fx_part(&fx, "ota_1")->offset, APP_SIZE, &erased),
                     OTA_OK);
    assert_true(erased);
    /* put the old app back and point otadata at it by hand */
    fx_write_app(&fx, "ota_1", "v4", 4, APP_SIZE);
    fx_set_otadata(&fx, 1, 2, OTA_IMG_VALID);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    /* without anti-rollback it boots */
    fx.dev.anti_rollback_enabled = false;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_1");
    /* an eFuse beyond every app: nothing boots */
    fx.dev.anti_rollback_enabled = true;
    fx.dev.efuse_secure_version = 6;
    assert_int_equal(boot(&fx, &r), OTA_ERR_NO_BOOTABLE_APP);
    /* the eFuse only goes up, within its field */
    assert_int_equal(ota_device_burn_secure_version(&fx.dev, 3), OTA_OK);
    assert_int_equal(fx.dev.efuse_secure_version, 6);
    assert_int_equal(ota_device_burn_secure_version(&fx.dev, 33), OTA_ERR_INVALID_ARG);
    fx_free(&fx);
}

/* A table with a factory app (ESP-IDF's two_ota). */
static void test_factory_table(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "idf_partitions_two_ota.csv");
    fx_write_app(&fx, "factory", "f1", 0, APP_SIZE);
    fx_write_app(&fx, "ota_0", "o1", 0, APP_SIZE);
    fx.dev.anti_rollback_enabled = false;
    ts_log_capture_start();
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_true(ts_log_contains("I boot: Defaulting to factory image"));
    ts_log_capture_stop();
    assert_string_equal(running(&fx), "factory");
    assert_int_equal(r.index, OTA_BOOT_INDEX_FACTORY);
    assert_false(r.otadata_written); /* factory present: otadata stays blank */
    assert_ptr_equal(ota_ops_get_next_update_partition(&fx.dev, NULL), fx_part(&fx, "ota_0"));
    assert_int_equal(ota_ops_mark_app_valid_cancel_rollback(&fx.dev), OTA_ERR_INVALID_STATE);
    assert_int_equal(ota_ops_check_update_target(&fx.dev, fx_part(&fx, "factory")), OTA_ERR_NOT_AN_APP_SLOT);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_0")), OTA_OK);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    /* unconfirmed: next reset aborts it and goes back to the factory app */
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "factory");
    /* set-boot factory erases otadata */
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "factory")), OTA_OK);
    bool erased = false;
    assert_int_equal(ota_flash_is_erased(fx.dev.flash, fx_part(&fx, "otadata")->offset, 0x2000, &erased),
                     OTA_OK);
    assert_true(erased);
    /* both entries invalid (ABORTED) -> factory; corrupt factory -> the fallback tries OTA slots */
    fx_set_otadata(&fx, 0, 1, OTA_IMG_ABORTED);
    fx_corrupt(&fx, "factory", 0x100);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0");
    assert_true(r.fell_back);
    fx_free(&fx);
}

/* otadata written by ESP-IDF v5.x: the same seq in both sectors. */
static void test_v5_equal_seq(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE);
    fx_set_otadata(&fx, 0, 3, OTA_IMG_VALID);
    fx_set_otadata(&fx, 1, 3, OTA_IMG_VALID);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_0"); /* seq 3 -> slot 0 */
    /* v6 rewrite: selecting the already active slot refreshes entry 0 in place */
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_0")), OTA_OK);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    expect_entry(&e[0], 3, OTA_IMG_NEW);
    expect_entry(&e[1], 3, OTA_IMG_VALID);
    /* switching goes to the other sector with the next seq for slot 1 */
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "ota_1")), OTA_OK);
    fx_otadata(&fx, e);
    expect_entry(&e[1], 4, OTA_IMG_NEW);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_1");
    fx_free(&fx);
}

static void test_next_update_partition(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    assert_ptr_equal(ota_ops_get_next_update_partition(&fx.dev, NULL), fx_part(&fx, "ota_0"));
    assert_ptr_equal(ota_ops_get_next_update_partition(&fx.dev, fx_part(&fx, "ota_0")),
                     fx_part(&fx, "ota_1"));
    assert_ptr_equal(ota_ops_get_next_update_partition(&fx.dev, fx_part(&fx, "ota_1")),
                     fx_part(&fx, "ota_0"));
    assert_int_equal(ota_ops_get_app_partition_count(&fx.dev), 2);
    assert_null(ota_ops_get_running_partition(&fx.dev));
    uint32_t st;
    assert_int_equal(ota_ops_get_state_partition(&fx.dev, fx_part(&fx, "ota_0"), &st), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_ops_get_state_partition(&fx.dev, fx_part(&fx, "nvs"), &st), OTA_ERR_NOT_SUPPORTED);
    assert_int_equal(ota_ops_set_boot_partition(&fx.dev, fx_part(&fx, "nvs")), OTA_ERR_NOT_AN_APP_SLOT);
    ota_app_desc_t d;
    assert_int_equal(ota_ops_get_partition_description(&fx.dev, fx_part(&fx, "ota_0"), &d),
                     OTA_ERR_NOT_FOUND);
    fx_write_app(&fx, "ota_0", "vX", 1, APP_SIZE);
    assert_int_equal(ota_ops_get_partition_description(&fx.dev, fx_part(&fx, "ota_0"), &d), OTA_OK);
    assert_string_equal(d.version, "vX");
    assert_int_equal(d.secure_version, 1);
    fx_free(&fx);
}

/* esp_ota_begin's invalidation of the inactive entry, so a half-written slot cannot be booted. */
static void test_invalidate_inactive_slot(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE);
    fx_set_otadata(&fx, 0, 1, OTA_IMG_VALID);
    fx_set_otadata(&fx, 1, 2, OTA_IMG_VALID);
    ota_boot_result_t r;
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_string_equal(running(&fx), "ota_1");
    assert_int_equal(ota_ops_invalidate_inactive_ota_data_slot(&fx.dev), OTA_OK);
    ota_otadata_entry_t e[2];
    fx_otadata(&fx, e);
    assert_int_equal(e[0].ota_seq, 0xFFFFFFFFu);
    expect_entry(&e[1], 2, OTA_IMG_VALID);
    fx_free(&fx);
}

/* predict() says what run() will do, and writes nothing. */
static void test_predict_is_side_effect_free(void **state)
{
    (void)state;
    fx_t fx;
    fx_init(&fx, "seed_ota_example.csv");
    fx_write_app(&fx, "ota_0", "v1", 0, APP_SIZE);
    fx_write_app(&fx, "ota_1", "v2", 0, APP_SIZE);
    fx_set_otadata(&fx, 0, 1, OTA_IMG_VALID);
    fx_set_otadata(&fx, 1, 2, OTA_IMG_PENDING_VERIFY);
    uint8_t *before = malloc(4u << 20);
    memcpy(before, ota_flash_emu_memory(fx.emu), 4u << 20);
    ota_boot_result_t p, r;
    assert_int_equal(ota_bootloader_predict(&fx.dev, &p), OTA_OK);
    assert_memory_equal(before, ota_flash_emu_memory(fx.emu), 4u << 20);
    assert_null(ota_device_running(&fx.dev));
    assert_ptr_equal(p.partition, fx_part(&fx, "ota_0"));
    assert_true(p.otadata_written);
    assert_int_equal(boot(&fx, &r), OTA_OK);
    assert_ptr_equal(r.partition, p.partition);
    free(before);
    fx_free(&fx);
}

/* Power cut inside set_boot's otadata write (erase or program, clean or torn): the device still
 * boots the old app or, if the write completed, the new one - never nothing. A reentrant case: the
 * harness cuts before each of its operations (OTA_POWERCUT_CASE, test_support.h). */
typedef struct {
    fx_t fx;
} otadata_cut_t;

static ota_flash_emu_t *otadata_cut_setup(void *ctx)
{
    otadata_cut_t *c = ctx;
    fx_init(&c->fx, "seed_ota_example.csv");
    fx_write_app(&c->fx, "ota_0", "v1", 0, APP_SIZE);
    ota_boot_result_t r;
    assert_int_equal(boot(&c->fx, &r), OTA_OK);
    fx_write_app(&c->fx, "ota_1", "v2", 0, APP_SIZE);
    return c->fx.emu;
}

static int otadata_cut_run(void *ctx)
{
    otadata_cut_t *c = ctx;
    return ota_ops_set_boot_partition(&c->fx.dev, fx_part(&c->fx, "ota_1"));
}

static void otadata_cut_check(void *ctx, uint64_t k, int result)
{
    otadata_cut_t *c = ctx;
    fx_t *fx = &c->fx;
    assert_int_equal(result, k == 0 ? OTA_OK : OTA_ERR_FLASH_POWER_LOST);
    ota_flash_emu_power_on(fx->emu);
    ota_boot_result_t r;
    assert_int_equal(boot(fx, &r), OTA_OK);
    if (k == 0 || strcmp(running(fx), "ota_0") != 0) {
        /* only a completely written entry may switch the boot */
        assert_string_equal(running(fx), "ota_1");
        ota_otadata_entry_t e[2];
        fx_otadata(fx, e);
        assert_int_equal(e[1].ota_seq, 2);
        assert_int_equal(e[1].crc, ota_otadata_crc(2));
    }
}

static void otadata_cut_teardown(void *ctx)
{
    otadata_cut_t *c = ctx;
    fx_free(&c->fx);
}

/* .ops = 2: erase the sector, program the entry */
OTA_POWERCUT_CASE(test_power_cut_in_otadata_write, otadata_cut_t, .reentrant = true,
                  .setup = otadata_cut_setup, .run = otadata_cut_run, .check = otadata_cut_check,
                  .teardown = otadata_cut_teardown, .ops = 2, .torn_seed = 1234)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_boot_self_initialises_otadata),
        cmocka_unit_test(test_update_then_reboot_without_confirm),
        cmocka_unit_test(test_update_confirm),
        cmocka_unit_test(test_rollback),
        cmocka_unit_test(test_corrupt_slot_falls_back),
        cmocka_unit_test(test_nothing_bootable),
        cmocka_unit_test(test_anti_rollback),
        cmocka_unit_test(test_factory_table),
        cmocka_unit_test(test_v5_equal_seq),
        cmocka_unit_test(test_next_update_partition),
        cmocka_unit_test(test_invalidate_inactive_slot),
        cmocka_unit_test(test_predict_is_side_effect_free),
        cmocka_unit_test(test_power_cut_in_otadata_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
