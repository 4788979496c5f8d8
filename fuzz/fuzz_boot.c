/*
 * otadata and app slots as the bootloader and esp_ota_ops read them: an emulated 256 KiB flash
 * with a two-slot table, the two otadata entries and the app image (in both slots; the second
 * one optionally damaged) taken from the input, eFuse and rollback settings from its first byte.
 * Then what `ota boot`, `ota info`, `ota set-boot`, `ota confirm` and `ota rollback` do: predict,
 * boot, the ops queries, mark valid/invalid, set the other slot and boot again.
 * Property: the next boot boots what ota_bootloader_predict() said it would.
 */
#include "fuzz.h"

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_device.h"
#include "ota/port/ota_flash.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

OTA_FUZZ_QUIET_INIT

#define FLASH_SIZE   0x40000u
#define OTADATA_ADDR 0xD000u
#define SLOT0        0x10000u
#define SLOT1        0x20000u
#define SLOT_SIZE    0x10000u

static const char table_csv[] = "nvs,data,nvs,0x9000,0x4000\n"
                                "otadata,data,ota,0xd000,0x2000\n"
                                "ota_0,app,ota_0,0x10000,0x10000\n"
                                "ota_1,app,ota_1,0x20000,0x10000\n";

static void boot_and_compare(ota_device_t *dev)
{
    ota_boot_result_t predicted;
    ota_boot_result_t booted;
    int p = ota_bootloader_predict(dev, &predicted);
    int b = ota_bootloader_run(dev, &booted);
    OTA_FUZZ_CHECK(p == b);
    OTA_FUZZ_CHECK(b != 0 || predicted.partition == booted.partition);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t mem[FLASH_SIZE];
    static uint8_t table_bin[OTA_PARTITION_TABLE_MAX_LEN];
    static bool have_table;
    if (!have_table) {
        ota_partition_table_t t;
        ota_partition_diag_t diag;
        OTA_FUZZ_CHECK(ota_partition_table_parse_csv(table_csv, sizeof table_csv - 1, NULL, &t, &diag) == 0);
        OTA_FUZZ_CHECK(ota_partition_table_to_binary(&t, true, table_bin) == 0);
        have_table = true;
    }
    if (size < 1 + 2 * OTA_OTADATA_ENTRY_SIZE) {
        return 0;
    }
    uint8_t flags = data[0];
    memset(mem, 0xFF, sizeof mem);
    memcpy(mem + OTA_PARTITION_TABLE_OFFSET, table_bin, sizeof table_bin);
    memcpy(mem + OTADATA_ADDR, data + 1, OTA_OTADATA_ENTRY_SIZE);
    memcpy(mem + OTADATA_ADDR + OTA_OTADATA_SECTOR_SIZE, data + 1 + OTA_OTADATA_ENTRY_SIZE,
           OTA_OTADATA_ENTRY_SIZE);
    size_t img = size - 1 - 2 * OTA_OTADATA_ENTRY_SIZE;
    img = img < SLOT_SIZE ? img : SLOT_SIZE;
    memcpy(mem + SLOT0, data + 1 + 2 * OTA_OTADATA_ENTRY_SIZE, img);
    memcpy(mem + SLOT1, data + 1 + 2 * OTA_OTADATA_ENTRY_SIZE, img);
    if ((flags & 0x40) && img > 0) {
        mem[SLOT1 + (img - 1) / 2] ^= 0x01; /* the second slot's copy is damaged */
    }

    ota_flash_emu_config_t cfg = {.size = FLASH_SIZE, .strict = true};
    ota_flash_emu_t *emu = NULL;
    if (ota_flash_emu_create(&cfg, mem, &emu) != 0) {
        return 0;
    }
    static ota_device_t dev;
    ota_device_init(&dev, ota_flash_emu_flash(emu), NULL);
    ota_partition_diag_t diag;
    OTA_FUZZ_CHECK(ota_device_load_table(&dev, &diag) == 0);
    dev.rollback_enabled = (flags & 1) != 0;
    dev.anti_rollback_enabled = (flags & 2) != 0;
    dev.efuse_secure_version = (flags >> 2) & 3u;
    dev.chip_revision = (flags & 0x10) ? 0 : 300;

    ota_otadata_entry_t entries[2];
    (void)ota_ops_read_otadata(&dev, entries);
    boot_and_compare(&dev);
    (void)ota_ops_get_running_partition(&dev);
    (void)ota_ops_get_boot_partition(&dev);
    (void)ota_ops_get_next_update_partition(&dev, NULL);
    (void)ota_ops_check_rollback_is_possible(&dev);
    (void)ota_ops_get_last_invalid_partition(&dev);
    for (size_t i = 0; i < dev.table.count; i++) {
        uint32_t state;
        (void)ota_ops_get_state_partition(&dev, &dev.table.entries[i], &state);
    }
    if (ota_device_running(&dev) != NULL) {
        if (flags & 0x20) {
            (void)ota_ops_mark_app_valid_cancel_rollback(&dev);
        } else {
            (void)ota_ops_mark_app_invalid_rollback(&dev);
        }
        boot_and_compare(&dev);
    }
    const ota_partition_info_t *other =
        ota_partition_find_by_label(&dev.table, (flags & 0x80) ? "ota_1" : "ota_0");
    if (other != NULL && ota_ops_set_boot_partition(&dev, other) == 0) {
        boot_and_compare(&dev);
    }
    ota_flash_emu_destroy(emu);
    return 0;
}
