/* ota_flash_* front: bounds, alignment, range erase using blocks where aligned. */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_flash.h"

static int setup(void **state)
{
    *state = ts_ram_flash(1024 * 1024);
    return 0;
}

static int teardown(void **state)
{
    ota_flash_emu_destroy(*state);
    return 0;
}

static void test_bounds(void **state)
{
    ota_flash_t *f = ota_flash_emu_flash(*state);
    uint8_t buf[16] = {0};
    assert_int_equal(ota_flash_read(f, f->size - 16, buf, 16), OTA_OK);
    assert_int_equal(ota_flash_read(f, f->size - 15, buf, 16), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_flash_read(f, UINT32_MAX, buf, 1), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_flash_program(f, f->size, buf, 1), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_flash_read(f, 0, NULL, 1), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_read(NULL, 0, buf, 1), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_flash_read(f, f->size, buf, 0), OTA_OK);
}

static void test_erase_alignment(void **state)
{
    ota_flash_t *f = ota_flash_emu_flash(*state);
    assert_int_equal(ota_flash_erase_sector(f, 0x1001), OTA_ERR_FLASH_MISALIGNED);
    assert_int_equal(ota_flash_erase_block(f, 0x1000), OTA_ERR_FLASH_MISALIGNED);
    assert_int_equal(ota_flash_erase_range(f, 0x1000, 0x800), OTA_ERR_FLASH_MISALIGNED);
    assert_int_equal(ota_flash_erase_range(f, 0x800, 0x1000), OTA_ERR_FLASH_MISALIGNED);
    assert_int_equal(ota_flash_erase_range(f, f->size - 0x1000, 0x2000), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_flash_erase_block(f, f->size), OTA_ERR_FLASH_OUT_OF_RANGE);
}

static void test_erase_range_uses_blocks_where_aligned(void **state)
{
    ota_flash_emu_t *emu = *state;
    ota_flash_t *f = ota_flash_emu_flash(emu);
    /* 0xF000..0x31000: 1 sector, 2 blocks, 1 sector */
    ota_flash_emu_reset_stats(emu);
    assert_int_equal(ota_flash_erase_range(f, 0xF000, 0x22000), OTA_OK);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(emu, &s);
    assert_int_equal(s.block_erases, 2);
    assert_int_equal(s.sector_erases, 2);
    assert_int_equal(s.erase_bytes, 0x22000);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 0xF), 1);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 0x10), 1);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 0x30), 1);
    assert_int_equal(ota_flash_emu_sector_wear(emu, 0x31), 0);
}

static void test_is_erased(void **state)
{
    ota_flash_t *f = ota_flash_emu_flash(*state);
    bool erased = false;
    assert_int_equal(ota_flash_is_erased(f, 0, 0x3000, &erased), OTA_OK);
    assert_true(erased);
    uint8_t zero = 0x7F;
    assert_int_equal(ota_flash_program(f, 0x2FFF, &zero, 1), OTA_OK);
    assert_int_equal(ota_flash_is_erased(f, 0, 0x3000, &erased), OTA_OK);
    assert_false(erased);
    assert_int_equal(ota_flash_is_erased(f, 0, 0x2FFF, &erased), OTA_OK);
    assert_true(erased);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_alignment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_erase_range_uses_blocks_where_aligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_is_erased, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
