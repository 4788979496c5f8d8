/* A device image file as flash: create, persistence across reopen, lock, geometry, power cut. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ota/ota_err.h"
#include "ota/sim/ota_flash_file.h"

static void test_create_is_erased_and_sized(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *path = ts_path_join(dir, "dev.bin");
    ota_flash_file_options_t o = {.create = true, .emu = {.size = 0x100000, .strict = true}};
    ota_flash_file_t *file = NULL;
    assert_int_equal(ota_flash_file_open(path, &o, &file), OTA_OK);
    uint8_t data[3] = {0x12, 0x34, 0x56};
    assert_int_equal(ota_flash_program(ota_flash_file_flash(file), 0x8000, data, 3), OTA_OK);
    ota_flash_file_close(file);

    size_t len = 0;
    uint8_t *bytes = ts_read_file(path, &len);
    assert_int_equal(len, 0x100000);
    assert_memory_equal(bytes + 0x8000, data, 3);
    for (size_t i = 0; i < len; i++) {
        if (i < 0x8000 || i >= 0x8003) {
            assert_int_equal(bytes[i], 0xFF);
        }
    }
    free(bytes);

    /* reopen: content kept, size from the file */
    ota_flash_file_options_t r = {.emu = {.strict = true}};
    assert_int_equal(ota_flash_file_open(path, &r, &file), OTA_OK);
    assert_int_equal(ota_flash_file_flash(file)->size, 0x100000);
    uint8_t out[3];
    assert_int_equal(ota_flash_read(ota_flash_file_flash(file), 0x8000, out, 3), OTA_OK);
    assert_memory_equal(out, data, 3);
    ota_flash_file_close(file);
    free(path);
    ts_rmtree(dir);
    free(dir);
}

static void test_errors(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *missing = ts_path_join(dir, "missing.bin");
    char *odd = ts_path_join(dir, "odd.bin");
    ota_flash_file_t *file = NULL;
    ota_flash_file_options_t r = {0};
    assert_int_equal(ota_flash_file_open(missing, &r, &file), OTA_ERR_NOT_FOUND);
    assert_null(file);
    ts_write_file(odd, "abc", 3);
    assert_int_equal(ota_flash_file_open(odd, &r, &file), OTA_ERR_FLASH_GEOMETRY);
    assert_int_equal(ota_flash_file_open(dir, &r, &file), OTA_ERR_IO); /* a directory */
    ota_flash_file_options_t c = {.create = true, .emu = {.size = 0x12345}};
    assert_int_equal(ota_flash_file_open(odd, &c, &file), OTA_ERR_FLASH_GEOMETRY);
    free(missing);
    free(odd);
    ts_rmtree(dir);
    free(dir);
}

static void test_second_writer_is_refused(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *path = ts_path_join(dir, "dev.bin");
    ota_flash_file_options_t c = {.create = true, .emu = {.size = 0x10000}};
    ota_flash_file_t *a = NULL, *b = NULL;
    assert_int_equal(ota_flash_file_open(path, &c, &a), OTA_OK);
    ota_flash_file_options_t w = {0};
    assert_int_equal(ota_flash_file_open(path, &w, &b), OTA_ERR_BUSY);
    ota_flash_file_options_t ro = {.readonly = true};
    assert_int_equal(ota_flash_file_open(path, &ro, &b), OTA_ERR_BUSY);
    ota_flash_file_close(a);
    assert_int_equal(ota_flash_file_open(path, &ro, &b), OTA_OK);
    uint8_t byte = 0;
    assert_int_equal(ota_flash_program(ota_flash_file_flash(b), 0, &byte, 1), OTA_ERR_FLASH_READONLY);
    ota_flash_file_close(b);
    free(path);
    ts_rmtree(dir);
    free(dir);
}

static void test_torn_state_persists_in_the_file(void **state)
{
    (void)state;
    char *dir = ts_mkdtemp();
    char *path = ts_path_join(dir, "dev.bin");
    ota_flash_file_options_t c = {.create = true, .emu = {.size = 0x10000, .strict = true}};
    ota_flash_file_t *file = NULL;
    assert_int_equal(ota_flash_file_open(path, &c, &file), OTA_OK);
    uint8_t zeros[256] = {0};
    ota_flash_emu_schedule_cut(ota_flash_file_emu(file), 1, OTA_FLASH_CUT_CLEAN, 0);
    assert_int_equal(ota_flash_program(ota_flash_file_flash(file), 0, zeros, 256), OTA_ERR_FLASH_POWER_LOST);
    assert_int_equal(ota_flash_program(ota_flash_file_flash(file), 0, zeros, 256), OTA_ERR_FLASH_POWER_LOST);
    ota_flash_file_close(file);
    /* reopening is powering on: writes work again */
    ota_flash_file_options_t r = {.emu = {.strict = true}};
    assert_int_equal(ota_flash_file_open(path, &r, &file), OTA_OK);
    assert_int_equal(ota_flash_program(ota_flash_file_flash(file), 0, zeros, 256), OTA_OK);
    ota_flash_file_close(file);
    free(path);
    ts_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_is_erased_and_sized),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_second_writer_is_refused),
        cmocka_unit_test(test_torn_state_persists_in_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
