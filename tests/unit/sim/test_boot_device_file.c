/* A device on the host: flash image + DEVICE.bin.state sidecar (defaults, round trip, atomic
 * save, unknown keys kept, malformed input refused). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ota/ota_app_image.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"

static char *make_device(const char *dir)
{
    char *path = ts_path_join(dir, "dev.bin");
    ota_flash_file_options_t o = {.create = true, .emu = {.size = 0x400000, .strict = true}};
    ota_flash_file_t *f = NULL;
    assert_int_equal(ota_flash_file_open(path, &o, &f), OTA_OK);
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, NULL), OTA_OK);
    assert_int_equal(ota_partition_table_store(ota_flash_file_flash(f), OTA_PARTITION_TABLE_OFFSET, t, true),
                     OTA_OK);
    free(t);
    free(bin);
    ota_flash_file_close(f);
    return path;
}

/* A valid app image in the slot at @p offset of the device file (what `ota partition write` does). */
static void write_app(const char *dev_path, uint32_t offset)
{
    ota_app_image_build_config_t cfg = {.size = 0x10000, .version = "v1", .project_name = "dev_file"};
    uint8_t *img = malloc(cfg.size);
    size_t len = 0;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, img, cfg.size, &len), OTA_OK);
    ota_flash_file_options_t o = {.emu = {.strict = true}};
    ota_flash_file_t *f = NULL;
    assert_int_equal(ota_flash_file_open(dev_path, &o, &f), OTA_OK);
    assert_int_equal(ota_flash_program(ota_flash_file_flash(f), offset, img, len), OTA_OK);
    ota_flash_file_close(f);
    free(img);
}

static char *state_path(const char *dev)
{
    char *p = malloc(strlen(dev) + 8);
    sprintf(p, "%s.state", dev);
    return p;
}

static void test_defaults_and_round_trip(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *dev_path = make_device(dir);
    char *sp = state_path(dev_path);
    ota_device_file_t *f = NULL;
    char diag[256];
    ota_device_file_options_t o = {.emu = {.strict = true}};
    assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
    ota_device_t *dev = ota_device_file_device(f);
    assert_int_equal(dev->chip_id, OTA_CHIP_ESP32);
    assert_int_equal(dev->chip_revision, 300);
    assert_int_equal(dev->efuse_secure_version, 0);
    assert_true(dev->rollback_enabled);
    assert_true(dev->anti_rollback_enabled);
    assert_null(ota_device_running(dev));
    assert_int_equal(dev->table.count, 6);
    assert_string_equal(ota_device_file_state_path(f), sp);

    ota_device_set_running(dev, ota_partition_find_by_label(&dev->table, "ota_1"));
    dev->efuse_secure_version = 7;
    dev->anti_rollback_enabled = false;
    assert_int_equal(ota_device_file_save(f), OTA_OK);
    ota_device_file_close(f);

    size_t len;
    char *text = (char *)ts_read_file(sp, &len);
    text = realloc(text, len + 1);
    text[len] = '\0';
    assert_non_null(strstr(text, "chip=esp32\n"));
    assert_non_null(strstr(text, "chip_revision=v3.0\n"));
    assert_non_null(strstr(text, "efuse_secure_version=7\n"));
    assert_non_null(strstr(text, "rollback=1\n"));
    assert_non_null(strstr(text, "anti_rollback=0\n"));
    assert_non_null(strstr(text, "running=ota_1\n"));
    free(text);
    /* no temporary left behind */
    char *tmp = malloc(strlen(sp) + 32);
    sprintf(tmp, "%s.tmp.%ld", sp, (long)getpid());
    struct stat st;
    assert_int_not_equal(stat(tmp, &st), 0);
    free(tmp);

    /* running=ota_1 stands only while ota_1 holds a valid app: blank, the device runs nothing */
    assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
    dev = ota_device_file_device(f);
    assert_null(ota_device_running(dev));
    assert_string_equal(ota_device_file_stale_running(f), "ota_1");
    assert_int_equal(dev->efuse_secure_version, 7);
    ota_device_file_close(f);

    write_app(dev_path, 0x110000);
    assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
    dev = ota_device_file_device(f);
    assert_string_equal(ota_device_running(dev)->label, "ota_1");
    assert_null(ota_device_file_stale_running(f));
    assert_int_equal(dev->efuse_secure_version, 7);
    assert_false(dev->anti_rollback_enabled);
    ota_device_file_close(f);
    free(sp);
    free(dev_path);
    ts_rmtree(dir);
    free(dir);
}

static void test_sidecar_text(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *dev_path = make_device(dir);
    char *sp = state_path(dev_path);
    const char *text =
        "# hand-written\n  chip = ESP32-C3 \nefuse_secure_version=0x3\nservice.checkpoint=abc\n"
        "running=none\n";
    ts_write_file(sp, text, strlen(text));
    ota_device_file_t *f = NULL;
    char diag[256];
    ota_device_file_options_t o = {.emu = {.strict = true}};
    assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
    ota_device_t *dev = ota_device_file_device(f);
    assert_int_equal(dev->chip_id, OTA_CHIP_ESP32C3);
    assert_int_equal(dev->chip_revision, 0); /* only ESP32 defaults to v3.0 */
    assert_int_equal(dev->efuse_secure_version, 3);
    assert_int_equal(ota_device_file_save(f), OTA_OK);
    ota_device_file_close(f);
    size_t len;
    char *saved = (char *)ts_read_file(sp, &len);
    saved = realloc(saved, len + 1);
    saved[len] = '\0';
    assert_non_null(strstr(saved, "chip=esp32c3\n"));
    assert_non_null(strstr(saved, "service.checkpoint=abc\n")); /* someone else's key survives */
    free(saved);

    const char *bad[] = {"chip=esp8266\n",           "chip_revision=v1.200\n", "rollback=maybe\n",
                         "no equals sign\n",         "running=nvs\n",          "running=nope\n",
                         "efuse_secure_version=-1\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_write_file(sp, bad[i], strlen(bad[i]));
        assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_ERR_DEVICE_STATE);
        assert_null(f);
        assert_non_null(strstr(diag, ".state"));
    }
    ts_write_file(sp, "x=1\nchip_revision=v1.2\n", 23);
    assert_int_equal(ota_device_file_open(dev_path, &o, &f, diag, sizeof diag), OTA_OK);
    assert_int_equal(ota_device_file_device(f)->chip_revision, 102);
    ota_device_file_close(f);
    free(sp);
    free(dev_path);
    ts_rmtree(dir);
    free(dir);
}

/* Every numeric or boolean key: a value out of its range is refused naming the key, never wrapped
 * (a 64-bit product of "v42949673.0" used to wrap to revision 4; "+1", octal, blanks...). */
static void test_state_values_out_of_range(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *dev_path = make_device(dir);
    char *sp = state_path(dev_path);
    ota_device_file_options_t o = {.emu = {.strict = true}};
    static const struct {
        const char *text;
        const char *key;
    } bad[] = {
        /* eFuse secure version: u32 text range, then the chip's field width (ESP32 32, C3 16) */
        {"efuse_secure_version=4294967296\n", "efuse_secure_version"},
        {"efuse_secure_version=18446744073709551617\n", "efuse_secure_version"},
        {"efuse_secure_version=-1\n", "efuse_secure_version"},
        {"efuse_secure_version=+1\n", "efuse_secure_version"},
        {"efuse_secure_version=1x\n", "efuse_secure_version"},
        {"efuse_secure_version=0x\n", "efuse_secure_version"},
        {"efuse_secure_version=\n", "efuse_secure_version"},
        {"efuse_secure_version=1 2\n", "efuse_secure_version"},
        {"efuse_secure_version=33\n", "efuse_secure_version"},
        {"chip=esp32c3\nefuse_secure_version=17\n", "efuse_secure_version"},
        {"efuse_secure_version=17\nchip=esp32c3\n", "efuse_secure_version"},
        /* chip revision: major * 100 + minor must fit 16 bits, minor 0..99 */
        {"chip_revision=70000\n", "chip_revision"},
        {"chip_revision=65536\n", "chip_revision"},
        {"chip_revision=v42949673.0\n", "chip_revision"},
        {"chip_revision=v655.36\n", "chip_revision"},
        {"chip_revision=v3.100\n", "chip_revision"},
        {"chip_revision=v-1.0\n", "chip_revision"},
        {"chip_revision=v3.+0\n", "chip_revision"},
        {"chip_revision=v3.\n", "chip_revision"},
        {"chip_revision=v3.0.1\n", "chip_revision"},
        {"chip_revision=v3.0x\n", "chip_revision"},
        {"chip_revision=-300\n", "chip_revision"},
        /* booleans */
        {"rollback=2\n", "rollback"},
        {"rollback=-1\n", "rollback"},
        {"rollback=1x\n", "rollback"},
        {"rollback=\n", "rollback"},
        {"anti_rollback=2\n", "anti_rollback"},
        {"anti_rollback=10\n", "anti_rollback"},
        /* table offset: a sector boundary inside the flash */
        {"table_offset=0x8001\n", "table_offset"},
        {"table_offset=0x100008000\n", "table_offset"},
        {"table_offset=-0x9000\n", "table_offset"},
        {"table_offset=0x1000000\n", "table_offset"},
        /* chip id */
        {"chip=0x10000\n", "chip"},
        {"chip=65536\n", "chip"},
        {"chip=-1\n", "chip"},
        {"chip=5x\n", "chip"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ts_write_file(sp, bad[i].text, strlen(bad[i].text));
        ota_device_file_t *f = NULL;
        char diag[256] = "";
        int err = ota_device_file_open(dev_path, &o, &f, diag, sizeof diag);
        if (err != OTA_ERR_DEVICE_STATE || strstr(diag, bad[i].key) == NULL) {
            fail_msg("'%s': %s, diag '%s' (want OTA_ERR_DEVICE_STATE naming %s)", bad[i].text,
                     ota_err_name(err), diag, bad[i].key);
        }
        assert_null(f);
    }
    /* the edges that fit are accepted, with their exact values */
    static const struct {
        const char *text;
        uint16_t rev;
        uint32_t efuse;
    } good[] = {
        {"chip_revision=65535\nefuse_secure_version=32\n", 65535, 32},
        {"chip_revision=v655.35\nefuse_secure_version=0x20\n", 65535, 32},
        {"chip_revision=v3.99\nefuse_secure_version=010\n", 399, 10}, /* decimal, not octal */
        {"chip=esp32c3\nchip_revision=v0.4\nefuse_secure_version=16\n", 4, 16},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ts_write_file(sp, good[i].text, strlen(good[i].text));
        ota_device_file_t *f = NULL;
        char diag[256] = "";
        int err = ota_device_file_open(dev_path, &o, &f, diag, sizeof diag);
        if (err != OTA_OK) {
            fail_msg("'%s': %s (%s)", good[i].text, ota_err_name(err), diag);
        }
        assert_int_equal(ota_device_file_device(f)->chip_revision, good[i].rev);
        assert_int_equal(ota_device_file_device(f)->efuse_secure_version, good[i].efuse);
        ota_device_file_close(f);
    }
    free(sp);
    free(dev_path);
    ts_rmtree(dir);
    free(dir);
}

static void test_open_errors(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *missing = ts_path_join(dir, "missing.bin");
    ota_device_file_t *f = NULL;
    char diag[256];
    assert_int_equal(ota_device_file_open(missing, NULL, &f, diag, sizeof diag), OTA_ERR_NOT_FOUND);
    /* an erased flash has no partition table */
    char *blank = ts_path_join(dir, "blank.bin");
    ota_flash_file_options_t o = {.create = true, .emu = {.size = 0x100000}};
    ota_flash_file_t *ff = NULL;
    assert_int_equal(ota_flash_file_open(blank, &o, &ff), OTA_OK);
    ota_flash_file_close(ff);
    assert_true(ota_device_file_open(blank, NULL, &f, diag, sizeof diag) <= -200);
    assert_non_null(strstr(diag, "partition table"));
    free(missing);
    free(blank);
    ts_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_round_trip),
        cmocka_unit_test(test_sidecar_text),
        cmocka_unit_test(test_state_values_out_of_range),
        cmocka_unit_test(test_open_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
