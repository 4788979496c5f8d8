#include "boot_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_app_image_builder.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/sim/ota_partition_csv.h"

void fx_init(fx_t *fx, const char *csv)
{
    char rel[128];
    snprintf(rel, sizeof rel, "partitions/%s", csv);
    size_t len;
    char *text = (char *)ts_read_file(ts_testdata(rel), &len);
    fx_init_csv_text(fx, text, len);
    free(text);
}

void fx_init_csv_text(fx_t *fx, const char *text, size_t len)
{
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_partition_csv_options_t opts = {0};
    ota_partition_diag_t diag = {0};
    if (ota_partition_table_parse_csv(text, len, &opts, table, &diag) != OTA_OK) {
        fail_msg("%.*s: %s", (int)len, text, diag.message);
    }
    fx->emu = ts_ram_flash(4u << 20);
    ota_flash_t *flash = ota_flash_emu_flash(fx->emu);
    assert_int_equal(ota_partition_table_store(flash, OTA_PARTITION_TABLE_OFFSET, table, true), OTA_OK);
    free(table);
    ota_device_init(&fx->dev, flash, NULL);
    assert_int_equal(ota_device_load_table(&fx->dev, &diag), OTA_OK);
}

void fx_free(fx_t *fx)
{
    ota_flash_emu_destroy(fx->emu);
}

const ota_partition_info_t *fx_part(fx_t *fx, const char *label)
{
    const ota_partition_info_t *p = ota_partition_find_by_label(&fx->dev.table, label);
    assert_non_null(p);
    return p;
}

void fx_erase(fx_t *fx, const char *label)
{
    ota_partition_t part;
    ota_device_partition(&fx->dev, fx_part(fx, label), &part);
    assert_int_equal(ota_partition_erase_range(&part, 0, part.info.size), OTA_OK);
}

void fx_write_app(fx_t *fx, const char *label, const char *version, uint32_t secure_version, uint32_t size)
{
    ota_app_image_build_config_t cfg = {.chip_id = OTA_CHIP_ESP32,
                                        .size = size,
                                        .seed = size ^ secure_version,
                                        .version = version,
                                        .project_name = "boot_test",
                                        .secure_version = secure_version};
    uint8_t *img = malloc(size);
    size_t len;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, img, size, &len), OTA_OK);
    fx_erase(fx, label);
    ota_partition_t part;
    ota_device_partition(&fx->dev, fx_part(fx, label), &part);
    assert_int_equal(ota_partition_program(&part, 0, img, len), OTA_OK);
    free(img);
}

void fx_corrupt(fx_t *fx, const char *label, uint32_t offset)
{
    ota_flash_emu_memory(fx->emu)[fx_part(fx, label)->offset + offset] ^= 0x10;
}

void fx_otadata(fx_t *fx, ota_otadata_entry_t e[2])
{
    assert_int_equal(ota_ops_read_otadata(&fx->dev, e), OTA_OK);
}

void fx_set_otadata(fx_t *fx, int index, uint32_t seq, uint32_t state)
{
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, seq, state);
    assert_int_equal(ota_ops_write_otadata(&fx->dev, index, &e), OTA_OK);
}
