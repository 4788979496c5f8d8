/* The partition tables of `ota flash create --preset NAME`. Each CSV is the text of its source
 * (comments included), parsed by the same gen_esp32part-compatible parser as --table, so each
 * preset's binary table is what gen_esp32part.py makes of the original file. */
#include "flash_presets.h"

#include <string.h>

static const flash_preset_t k_presets[] = {
    {
        /* The seed ESP-ADF OTA example's table of 2020 (ESP-ADF commit 5d6d1d8f, examples/ota/
         * partitions.csv, 1M slots), with the offsets written out as the seed project does
         * (shared/testdata/partitions/seed_ota_example.csv): the same binary table. */
        "adf-ota-2020",
        "the default: ESP-ADF OTA example of 2020, ota_0, ota_1, flash_tone 1M each",
        "esp-adf examples/ota/partitions.csv at 5d6d1d8f, as the seed example",
        "# Name,   Type, SubType, Offset,   Size, Flags\n"
        "nvs,      data, nvs,     0x9000,   0x4000,\n"
        "otadata,  data, ota,     0xd000,   0x2000,\n"
        "phy_init, data, phy,     0xf000,   0x1000,\n"
        "ota_0,    app,  ota_0,   0x10000,  1M,\n"
        "ota_1,    app,  ota_1,   ,         1M,\n"
        "flash_tone, data, 0xff,  ,         1M,\n",
    },
    {
        /* ESP-ADF's OTA example today: examples/ota/partitions.csv since commit e232c763 (2 Jan
         * 2024, "Accelerate ota upgrades using dram"; 0x110000 slots from d73218cb, July 2023), the
         * head of release/v2.x; master removed the 2.x examples in April 2026. */
        "adf-ota",
        "ESP-ADF OTA example since 2024: ota_0, ota_1 0x120000, flash_tone 1M",
        "esp-adf examples/ota/partitions.csv at e232c763",
        "# Name,   Type, SubType, Offset,   Size, Flags\n"
        "# Note: if you change the phy_init or app partition offset, make sure to change the offset in "
        "Kconfig.projbuild\n"
        "nvs,        data, nvs,     ,        0x4000,\n"
        "otadata,    data, ota,     ,        0x2000,\n"
        "phy_init,   data, phy,     ,        0x1000,\n"
        "ota_0,      app,  ota_0,   ,        0x120000,\n"
        "ota_1,      app,  ota_1,   ,        0x120000,\n"
        "flash_tone, data, 0xff,    ,        1M,",
    },
    {
        /* ESP-IDF's CONFIG_PARTITION_TABLE_TWO_OTA (components/partition_table/partitions_two_ota.csv) */
        "idf-two-ota",
        "ESP-IDF \"Factory app, two OTA definitions\": factory, ota_0, ota_1 1M",
        "esp-idf v6.0.2 partition_table/partitions_two_ota.csv",
        "# Name,   Type, SubType, Offset,   Size, Flags\n"
        "# Note: if you have increased the bootloader size, make sure to update the offsets to avoid "
        "overlap\n"
        "nvs,      data, nvs,     ,        0x4000,\n"
        "otadata,  data, ota,     ,        0x2000,\n"
        "phy_init, data, phy,     ,        0x1000,\n"
        "factory,  app,  factory, ,        1M,\n"
        "ota_0,    app,  ota_0,   ,        1M,\n"
        "ota_1,    app,  ota_1,   ,        1M,\n",
    },
    {
        /* ESP-IDF's CONFIG_PARTITION_TABLE_TWO_OTA_LARGE (partitions_two_ota_large.csv) */
        "idf-two-ota-large",
        "ESP-IDF \"Two large size OTA partitions\": ota_0, ota_1 1700K",
        "esp-idf v6.0.2 partition_table/partitions_two_ota_large.csv",
        "# Name,   Type, SubType, Offset,   Size, Flags\n"
        "# Note: if you have increased the bootloader size, make sure to update the offsets to avoid "
        "overlap\n"
        "nvs,      data, nvs,     ,        0x6000,\n"
        "otadata,  data, ota,     ,        0x2000,\n"
        "phy_init, data, phy,     ,        0x1000,\n"
        "ota_0,    app,  ota_0,   ,        1700K,\n"
        "ota_1,    app,  ota_1,   ,        1700K,\n",
    },
    {
        /* ESP-IDF's default CONFIG_PARTITION_TABLE_SINGLE_APP (partitions_singleapp.csv): no OTA */
        "idf-singleapp",
        "ESP-IDF \"Single factory app, no OTA\": factory 1M",
        "esp-idf v6.0.2 partition_table/partitions_singleapp.csv",
        "# Name,   Type, SubType, Offset,  Size, Flags\n"
        "# Note: if you have increased the bootloader size, make sure to update the offsets to avoid "
        "overlap\n"
        "nvs,      data, nvs,     ,        0x6000,\n"
        "phy_init, data, phy,     ,        0x1000,\n"
        "factory,  app,  factory, ,        1M,\n",
    },
};

const flash_preset_t *flash_preset_default(void)
{
    return &k_presets[0];
}

const flash_preset_t *flash_preset_find(const char *name)
{
    for (size_t i = 0; i < sizeof k_presets / sizeof k_presets[0]; i++) {
        if (strcmp(name, k_presets[i].name) == 0) {
            return &k_presets[i];
        }
    }
    return NULL;
}

void flash_presets_usage(FILE *out)
{
    for (size_t i = 0; i < sizeof k_presets / sizeof k_presets[0]; i++) {
        fprintf(out, "  %-17s %s\n  %-17s from %s\n", k_presets[i].name, k_presets[i].summary, "",
                k_presets[i].source);
    }
}
