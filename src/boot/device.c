/* The device context: table lookups, running app, emulated anti-rollback eFuse. */
#include "ota/ota_device.h"

#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_bootloader_image.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"

static const char *TAG = "ota_device";

void ota_device_init(ota_device_t *dev, const ota_flash_t *flash, const ota_partition_table_t *table)
{
    memset(dev, 0, sizeof *dev);
    dev->flash = flash;
    if (table != NULL) {
        dev->table = *table;
    }
    dev->table_offset = OTA_PARTITION_TABLE_OFFSET;
    dev->chip_id = OTA_CHIP_ESP32;
    dev->chip_revision = OTA_DEVICE_DEFAULT_REVISION_ESP32;
    dev->efuse_secure_version = 0;
    dev->rollback_enabled = true;
    dev->anti_rollback_enabled = true;
    dev->running_index = -1;
}

int ota_device_load_table(ota_device_t *dev, ota_partition_diag_t *diag)
{
    int err = ota_partition_table_load(dev->flash, dev->table_offset, &dev->table, diag);
    if (err != OTA_OK) {
        dev->table.count = 0;
    }
    dev->running_index = -1;
    return err;
}

/* A table at @p offset that ESP-IDF's app would load; with @p need_md5 only one carrying a matching
 * MD5 entry (a scan must not take stray bytes for a table). Quiet: a scan expects misses. */
static bool table_at(ota_device_t *dev, uint32_t offset, bool need_md5)
{
    uint8_t head[2];
    if (offset + OTA_PARTITION_TABLE_SECTOR_SIZE > dev->flash->size ||
        ota_flash_read(dev->flash, offset, head, sizeof head) != OTA_OK || head[0] != 0xAA ||
        head[1] != 0x50) {
        return false;
    }
    uint8_t data[OTA_PARTITION_TABLE_MAX_LEN];
    ota_partition_diag_t diag;
    if (ota_flash_read(dev->flash, offset, data, sizeof data) != OTA_OK ||
        ota_partition_table_parse_app(data, sizeof data, &dev->table, &diag) != OTA_OK ||
        ota_partition_table_check_bounds(&dev->table, dev->flash->size, &diag) != OTA_OK ||
        (need_md5 && !dev->table.has_md5)) {
        dev->table.count = 0;
        return false;
    }
    return true;
}

int ota_device_find_table(ota_device_t *dev, ota_partition_diag_t *diag)
{
    dev->running_index = -1;
    if (table_at(dev, OTA_PARTITION_TABLE_OFFSET, false)) {
        dev->table_offset = OTA_PARTITION_TABLE_OFFSET;
        return OTA_OK;
    }
    for (uint32_t off = OTA_DEVICE_TABLE_SCAN_FIRST; off < OTA_DEVICE_TABLE_SCAN_END;
         off += OTA_PARTITION_TABLE_SECTOR_SIZE) {
        if (table_at(dev, off, true)) {
            dev->table_offset = off;
            return OTA_OK;
        }
    }
    /* Nothing anywhere: report (and log) why the standard offset failed. */
    dev->table_offset = OTA_PARTITION_TABLE_OFFSET;
    return ota_device_load_table(dev, diag);
}

const ota_partition_info_t *ota_device_running(const ota_device_t *dev)
{
    if (dev->hooks.running_offset != NULL) {
        uint32_t offset;
        if (dev->hooks.running_offset(dev->hooks.ctx, &offset) != OTA_OK) {
            return NULL;
        }
        for (size_t i = 0; i < dev->table.count; i++) {
            if (dev->table.entries[i].type == OTA_PART_TYPE_APP && dev->table.entries[i].offset == offset) {
                return &dev->table.entries[i];
            }
        }
        return NULL;
    }
    if (dev->running_index < 0 || (size_t)dev->running_index >= dev->table.count) {
        return NULL;
    }
    return &dev->table.entries[dev->running_index];
}

void ota_device_set_running(ota_device_t *dev, const ota_partition_info_t *part)
{
    dev->running_index = -1;
    if (part != NULL && part >= dev->table.entries && part < dev->table.entries + dev->table.count) {
        dev->running_index = (int)(part - dev->table.entries);
    }
}

void ota_device_partition(const ota_device_t *dev, const ota_partition_info_t *info, ota_partition_t *out)
{
    ota_partition_init(out, dev->flash, info);
}

uint32_t ota_device_secure_version_bits(const ota_device_t *dev)
{
    const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
    return chip != NULL ? chip->secure_version_bits : 16;
}

bool ota_device_secure_version_ok(const ota_device_t *dev, uint32_t secure_version)
{
    return secure_version >= dev->efuse_secure_version;
}

int ota_device_check_secure_version(const ota_device_t *dev, uint32_t secure_version)
{
    if (secure_version > ota_device_secure_version_bits(dev)) {
        OTA_LOGE(TAG, "secure version %u does not fit the %u-bit anti-rollback eFuse field",
                 (unsigned)secure_version, (unsigned)ota_device_secure_version_bits(dev));
        return OTA_ERR_SECURE_VERSION_RANGE;
    }
    return ota_device_secure_version_ok(dev, secure_version) ? OTA_OK : OTA_ERR_SECURE_VERSION;
}

int ota_device_burn_secure_version(ota_device_t *dev, uint32_t secure_version)
{
    if (secure_version > ota_device_secure_version_bits(dev)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (secure_version > dev->efuse_secure_version) {
        if (dev->hooks.burn_secure_version != NULL) {
            int err = dev->hooks.burn_secure_version(dev->hooks.ctx, secure_version);
            if (err != OTA_OK) {
                return err;
            }
        }
        dev->efuse_secure_version = secure_version;
    }
    return OTA_OK;
}

const ota_partition_info_t *ota_device_find(const ota_device_t *dev, uint8_t type, uint8_t subtype)
{
    return ota_partition_find_next(&dev->table, NULL, type, subtype, NULL);
}

const ota_partition_info_t *ota_device_otadata(const ota_device_t *dev)
{
    return ota_device_find(dev, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA);
}

uint32_t ota_device_ota_slot_count(const ota_device_t *dev)
{
    uint32_t n = 0;
    while (n < 16 && ota_device_ota_slot(dev, n) != NULL) {
        n++;
    }
    return n;
}

const ota_partition_info_t *ota_device_ota_slot(const ota_device_t *dev, uint32_t slot)
{
    if (slot >= 16) {
        return NULL;
    }
    return ota_device_find(dev, OTA_PART_TYPE_APP, (uint8_t)(OTA_PART_SUBTYPE_APP_OTA_0 + slot));
}

bool ota_partition_is_ota_app(const ota_partition_info_t *info)
{
    return info != NULL && info->type == OTA_PART_TYPE_APP && info->subtype >= OTA_PART_SUBTYPE_APP_OTA_0 &&
           info->subtype <= OTA_PART_SUBTYPE_APP_OTA_MAX;
}

int ota_device_probe_bootloader(const ota_flash_t *flash, ota_bootloader_image_info_t *out)
{
    /* Every place a ROM loads the second stage from; each chip's image only counts at its own. */
    static const uint32_t offsets[] = {0x0, 0x1000, 0x2000};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        uint8_t head[OTA_BOOTLOADER_PROBE_SIZE];
        if (offsets[i] + sizeof head > flash->size ||
            ota_flash_read(flash, offsets[i], head, sizeof head) != OTA_OK) {
            continue;
        }
        if (ota_bootloader_image_parse(head, sizeof head, offsets[i], out) == OTA_OK) {
            return OTA_OK;
        }
    }
    memset(out, 0, sizeof *out);
    return OTA_ERR_NOT_FOUND;
}

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    return a_len > 0 && b_len > 0 && a < b + b_len && b < a + a_len;
}

int ota_device_check_writable(const ota_device_t *dev, const ota_partition_info_t *target)
{
    if (dev == NULL || target == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    uint64_t start = target->offset, len = target->size;
    uint64_t table = dev->table_offset != 0 ? dev->table_offset : OTA_PARTITION_TABLE_OFFSET;
    const char *what = NULL;
    uint64_t at = 0, size = 0;
    const ota_partition_info_t *running = ota_device_running(dev);
    const ota_partition_info_t *otadata = ota_device_otadata(dev);
    bool is_otadata = otadata != NULL && otadata->offset == target->offset && otadata->size == target->size &&
                      target->type == OTA_PART_TYPE_DATA && target->subtype == OTA_PART_SUBTYPE_DATA_OTA;
    if (dev->flash == NULL || start + len > dev->flash->size) {
        what = "the end of the flash";
        at = dev->flash != NULL ? dev->flash->size : 0;
    } else if (ranges_overlap(start, len, 0, table)) {
        what = "the bootloader region";
        size = table;
    } else if (ranges_overlap(start, len, table, OTA_PARTITION_TABLE_SECTOR_SIZE)) {
        what = "the partition table";
        at = table;
        size = OTA_PARTITION_TABLE_SECTOR_SIZE;
    } else if (running != NULL && ranges_overlap(start, len, running->offset, running->size)) {
        what = "the running app";
        at = running->offset;
        size = running->size;
    } else if (otadata != NULL && !is_otadata && ranges_overlap(start, len, otadata->offset, otadata->size)) {
        what = "otadata";
        at = otadata->offset;
        size = otadata->size;
    }
    if (what != NULL) {
        OTA_LOGE(TAG, "refusing to write '%s' (0x%llx..0x%llx): it reaches %s (0x%llx..0x%llx)",
                 target->label, (unsigned long long)start, (unsigned long long)(start + len), what,
                 (unsigned long long)at, (unsigned long long)(at + size));
        return OTA_ERR_FLASH_PROTECTED;
    }
    return OTA_OK;
}

bool ota_device_app_updates_signed(const ota_device_t *dev)
{
    return dev->security.secure_boot_v2 || dev->security.signed_apps_on_update;
}

bool ota_device_data_signed(const ota_device_t *dev, const ota_partition_info_t *part)
{
    if (part == NULL || part->type != OTA_PART_TYPE_DATA) {
        return false;
    }
    if (part->subtype == OTA_DEVICE_SIGNED_DATA_SUBTYPE) {
        return true;
    }
    for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX; i++) {
        if (dev->security.signed_data[i][0] != '\0' &&
            strcmp(dev->security.signed_data[i], part->label) == 0) {
            return true;
        }
    }
    return false;
}

void ota_device_validator_config(const ota_device_t *dev, ota_image_validator_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->check_chip = true;
    cfg->chip_id = dev->chip_id;
    cfg->chip_revision = dev->chip_revision;
}
