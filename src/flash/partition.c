/* The partition table on a flash device, and partitions as bounded windows onto the flash.
 * Every request is checked against the partition before the flash sees it, so a bug above can
 * never reach a neighbour (esp_partition_read/write/erase_range do the same on the device). */
#include "ota/ota_partition.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"

static const char *TAG = "esp_partition";

int ota_partition_table_load(const ota_flash_t *flash, uint32_t table_offset, ota_partition_table_t *out,
                             ota_partition_diag_t *diag)
{
    if (diag != NULL) {
        diag->line = 0;
        diag->message[0] = '\0';
    }
    if (flash == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (table_offset == 0) {
        table_offset = OTA_PARTITION_TABLE_OFFSET;
    }
    uint8_t data[OTA_PARTITION_TABLE_MAX_LEN];
    int err = ota_flash_read(flash, table_offset, data, sizeof data);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot read the partition table at 0x%x: %s", (unsigned)table_offset,
                 ota_strerror(err));
        return err;
    }
    err = ota_partition_table_parse_app(data, sizeof data, out, diag);
    if (err == OTA_OK) {
        err = ota_partition_table_check_layout(out, table_offset, flash->size, diag);
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "partition table at 0x%x: %s", (unsigned)table_offset,
                 diag != NULL && diag->message[0] ? diag->message : ota_strerror(err));
    }
    return err;
}

int ota_partition_table_store(const ota_flash_t *flash, uint32_t table_offset,
                              const ota_partition_table_t *table, bool with_md5)
{
    if (flash == NULL || table == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (table_offset == 0) {
        table_offset = OTA_PARTITION_TABLE_OFFSET;
    }
    uint8_t data[OTA_PARTITION_TABLE_MAX_LEN];
    int err = ota_partition_table_to_binary(table, with_md5, data);
    if (err == OTA_OK) {
        err = ota_flash_erase_range(flash, table_offset, OTA_PARTITION_TABLE_SECTOR_SIZE);
    }
    if (err == OTA_OK) {
        err = ota_flash_program(flash, table_offset, data, sizeof data);
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot write the partition table at 0x%x: %s", (unsigned)table_offset,
                 ota_strerror(err));
    }
    return err;
}

void ota_partition_init(ota_partition_t *part, const ota_flash_t *flash, const ota_partition_info_t *info)
{
    if (part == NULL) {
        return;
    }
    memset(part, 0, sizeof *part);
    part->flash = flash;
    if (info != NULL) {
        part->info = *info;
    }
}

/* [offset, offset+len) inside the partition, and inside the 32-bit address space. */
static int check_range(const ota_partition_t *part, uint32_t offset, uint64_t len)
{
    if (part == NULL || part->flash == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* A partition that wraps past 4 GiB would alias low addresses: refuse it outright. */
    bool wraps = (uint64_t)part->info.offset + part->info.size > (uint64_t)UINT32_MAX + 1;
    if (wraps || offset > part->info.size || len > (uint64_t)(part->info.size - offset)) {
        OTA_LOGE(TAG, "'%s': 0x%x+0x%llx is outside the partition (size 0x%x)", part->info.label,
                 (unsigned)offset, (unsigned long long)len, (unsigned)part->info.size);
        return OTA_ERR_FLASH_OUT_OF_RANGE;
    }
    return OTA_OK;
}

int ota_partition_read(const ota_partition_t *part, uint32_t offset, void *buf, size_t len)
{
    int err = check_range(part, offset, len);
    if (err != OTA_OK) {
        return err;
    }
    return ota_flash_read(part->flash, part->info.offset + offset, buf, len);
}

int ota_partition_map(const ota_partition_t *part, uint32_t offset, size_t len, const void **out)
{
    int err = check_range(part, offset, len);
    if (err != OTA_OK) {
        return err;
    }
    return ota_flash_map(part->flash, part->info.offset + offset, len, out);
}

static int check_writable(const ota_partition_t *part)
{
    if (part != NULL && (part->info.flags & OTA_PART_FLAG_READONLY) != 0) {
        OTA_LOGE(TAG, "'%s' is read-only", part->info.label);
        return OTA_ERR_FLASH_READONLY;
    }
    return OTA_OK;
}

int ota_partition_program(const ota_partition_t *part, uint32_t offset, const void *buf, size_t len)
{
    int err = check_writable(part);
    if (err == OTA_OK) {
        err = check_range(part, offset, len);
    }
    if (err != OTA_OK) {
        return err;
    }
    return ota_flash_program(part->flash, part->info.offset + offset, buf, len);
}

int ota_partition_erase_range(const ota_partition_t *part, uint32_t offset, uint32_t len)
{
    int err = check_writable(part);
    if (err == OTA_OK) {
        err = check_range(part, offset, len);
    }
    if (err != OTA_OK) {
        return err;
    }
    uint32_t sector = part->flash->sector_size ? part->flash->sector_size : OTA_FLASH_SECTOR_SIZE;
    if (offset % sector != 0 || len % sector != 0 || (part->info.offset + offset) % sector != 0) {
        OTA_LOGE(TAG, "'%s': erase 0x%x+0x%x is not aligned to 0x%x sectors", part->info.label,
                 (unsigned)offset, (unsigned)len, (unsigned)sector);
        return OTA_ERR_FLASH_MISALIGNED;
    }
    if (len == 0) {
        return OTA_OK;
    }
    return ota_flash_erase_range(part->flash, part->info.offset + offset, len);
}
