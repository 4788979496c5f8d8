/* The second-stage bootloader header and description, against Espressif's bootloaders in
 * ../shared/testdata/bootloaders and esptool v4.9.1's reports of them (*.image_info.txt). */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_bootloader_image.h"
#include "ota/ota_device.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_emu.h"

static uint8_t *load(const char *name, size_t *len)
{
    char rel[128];
    snprintf(rel, sizeof rel, "bootloaders/%s", name);
    return ts_read_file(ts_testdata(rel), len);
}

static void test_offsets_per_chip(void **state)
{
    (void)state;
    /* testdata/bootloaders/README.md: 0x1000 on ESP32/S2, 0x0 on C3/S3/C6/H2, 0x2000 on P4/C5 */
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32), 0x1000);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32S2), 0x1000);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32C3), 0x0);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32S3), 0x0);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32C6), 0x0);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32H2), 0x0);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32P4), 0x2000);
    assert_int_equal(ota_bootloader_image_offset(OTA_CHIP_ESP32C5), 0x2000);
}

static void test_real_bootloaders(void **state)
{
    (void)state;
    size_t len;
    ota_bootloader_image_info_t bl;

    /* bootloader_esp32.image_info.txt: Chip ID 0, 2MB, 40m, DIO, entry 0x4009816c, no description */
    uint8_t *img = load("bootloader_esp32.bin", &len);
    assert_int_equal(ota_bootloader_image_parse(img, len, 0x1000, &bl), OTA_OK);
    assert_int_equal(bl.chip_id, OTA_CHIP_ESP32);
    assert_int_equal(bl.flash_size, 2u << 20);
    assert_string_equal(ota_image_flash_mode_name(bl.spi_mode), "DIO");
    assert_string_equal(ota_image_flash_freq_name(bl.chip_id, bl.spi_speed), "40m");
    assert_int_equal(bl.entry_addr, 0x4009816c);
    assert_int_equal(bl.segment_count, 4);
    assert_false(bl.has_desc);
    /* an ESP32's bootloader is not one at 0x0 (its ROM never looks there) */
    assert_int_equal(ota_bootloader_image_parse(img, len, 0x0, &bl), OTA_ERR_IMG_WRONG_CHIP);
    free(img);

    /* bootloader_esp32_v5_2.image_info.txt: DOUT, entry 0x40080650, Bootloader version 1,
     * ESP-IDF v5.2-dev-254-g1950b15, compile time Apr 25 2023 00:13:32, max rev v3.99 */
    img = load("bootloader_esp32_v5_2.bin", &len);
    assert_int_equal(ota_bootloader_image_parse(img, len, 0x1000, &bl), OTA_OK);
    assert_string_equal(ota_image_flash_mode_name(bl.spi_mode), "DOUT");
    assert_int_equal(bl.entry_addr, 0x40080650);
    assert_int_equal(bl.max_chip_rev_full, 399);
    assert_true(bl.has_desc);
    assert_int_equal(bl.desc_version, 1);
    assert_string_equal(bl.idf_ver, "v5.2-dev-254-g1950b15");
    assert_string_equal(bl.date_time, "Apr 25 2023 00:13:32");
    /* only the header: no description read */
    assert_int_equal(ota_bootloader_image_parse(img, OTA_IMAGE_HEADER_SIZE, 0x1000, &bl), OTA_OK);
    assert_false(bl.has_desc);
    free(img);

    /* bootloader_esp32c3.image_info.txt: Chip ID 5, 2MB, DIO, entry 0x403c0000; segment 0 is
     * 0x14 bytes, too short for a description */
    img = load("bootloader_esp32c3.bin", &len);
    assert_int_equal(ota_bootloader_image_parse(img, len, 0x0, &bl), OTA_OK);
    assert_int_equal(bl.chip_id, OTA_CHIP_ESP32C3);
    assert_int_equal(bl.flash_size, 2u << 20);
    assert_int_equal(bl.entry_addr, 0x403c0000);
    assert_false(bl.has_desc);
    assert_int_equal(ota_bootloader_image_parse(img, len, 0x1000, &bl), OTA_ERR_IMG_WRONG_CHIP);

    /* damaged headers */
    uint8_t bad[OTA_BOOTLOADER_PROBE_SIZE];
    memcpy(bad, img, sizeof bad);
    bad[0] = 0xFF;
    assert_int_equal(ota_bootloader_image_parse(bad, sizeof bad, 0x0, &bl), OTA_ERR_IMG_BAD_MAGIC);
    memcpy(bad, img, sizeof bad);
    bad[1] = 0;
    assert_int_equal(ota_bootloader_image_parse(bad, sizeof bad, 0x0, &bl), OTA_ERR_IMG_SEGMENT);
    memcpy(bad, img, sizeof bad);
    bad[3] = (uint8_t)(0x80 | (bad[3] & 0x0F)); /* flash size code 8: none */
    assert_int_equal(ota_bootloader_image_parse(bad, sizeof bad, 0x0, &bl), OTA_ERR_IMG_SEGMENT);
    memcpy(bad, img, sizeof bad);
    bad[12] = 0x42; /* an unknown chip id */
    assert_int_equal(ota_bootloader_image_parse(bad, sizeof bad, 0x0, &bl), OTA_ERR_IMG_WRONG_CHIP);
    assert_int_equal(ota_bootloader_image_parse(img, 10, 0x0, &bl), OTA_ERR_IMG_TRUNCATED);
    free(img);
}

/* On a flash: the probe finds each bootloader at its chip's address, and the table scan finds a
 * moved table only with a matching MD5. */
static void test_probe_and_table_scan(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(0x400000);
    const ota_flash_t *flash = ota_flash_emu_flash(emu);
    ota_bootloader_image_info_t bl;
    assert_int_equal(ota_device_probe_bootloader(flash, &bl), OTA_ERR_NOT_FOUND);
    size_t len;
    uint8_t *img = load("bootloader_esp32c3.bin", &len);
    assert_int_equal(ota_flash_program(flash, 0x0, img, len), OTA_OK);
    assert_int_equal(ota_device_probe_bootloader(flash, &bl), OTA_OK);
    assert_int_equal(bl.chip_id, OTA_CHIP_ESP32C3);
    assert_int_equal(bl.offset, 0x0);
    free(img);

    size_t tlen;
    uint8_t *tbin = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &tlen);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(tbin, tlen, t, NULL), OTA_OK);
    /* keep the partitions from 0x10000 on, so a table anywhere in 0x8000..0xF000 overlaps none */
    size_t kept = 0;
    for (size_t i = 0; i < t->count; i++) {
        if (t->entries[i].offset >= 0x10000) {
            t->entries[kept++] = t->entries[i];
        }
    }
    t->count = kept;
    assert_true(kept >= 2);
    ota_device_t *dev = calloc(1, sizeof *dev);
    ota_device_init(dev, flash, NULL);
    ota_partition_diag_t diag;
    assert_true(ota_device_find_table(dev, &diag) < 0); /* none anywhere */
    assert_int_equal(ota_partition_table_store(flash, 0xC000, t, false), OTA_OK);
    assert_true(ota_device_find_table(dev, &diag) < 0); /* no MD5: a scan does not take it */
    assert_int_equal(ota_partition_table_store(flash, 0xB000, t, true), OTA_OK);
    assert_int_equal(ota_device_find_table(dev, &diag), OTA_OK);
    assert_int_equal(dev->table_offset, 0xB000);
    assert_int_equal(dev->table.count, t->count);
    assert_int_equal(ota_partition_table_store(flash, 0x8000, t, false), OTA_OK);
    assert_int_equal(ota_device_find_table(dev, &diag), OTA_OK); /* 0x8000 first, MD5 or not */
    assert_int_equal(dev->table_offset, 0x8000);
    free(dev);
    free(t);
    free(tbin);
    ota_flash_emu_destroy(emu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offsets_per_chip),
        cmocka_unit_test(test_real_bootloaders),
        cmocka_unit_test(test_probe_and_table_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
