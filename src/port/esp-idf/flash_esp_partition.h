/* The core's flash device (ota_flash.h) on ESP-IDF's esp_partition API; see
 * flash_esp_partition.c. */
#ifndef OTA_FLASH_ESP_PARTITION_H
#define OTA_FLASH_ESP_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "esp_partition.h"
#include "ota/port/ota_flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Partitions of the table plus the gaps this port registers: the table holds at most 95. */
#define OTA_ESP_FLASH_MAX_REGIONS 100u

typedef struct {
    ota_flash_t flash;
    const esp_partition_t *region[OTA_ESP_FLASH_MAX_REGIONS]; /**< by address, covering [0, size) */
    uint8_t is_gap[OTA_ESP_FLASH_MAX_REGIONS];                /**< registered by this port: read-only */
    size_t count;
} ota_esp_flash_t;

/**
 * Cover the flash with esp_partition entries: every partition of the table, and for each range
 * outside them (the bootloader, the partition table itself, the end of the chip) an external
 * partition registered with esp_partition_register_external(), which the port only reads.
 * @p flash_size 0 = the chip's size (esp_flash_get_size; on the Linux target the mapped file's).
 * @return OTA_OK; OTA_ERR_FLASH_GEOMETRY (size not a multiple of 64 KiB or above 16 MiB, or a
 *         partition past the end); OTA_ERR_NO_MEM (too many regions, or ESP-IDF's allocation);
 *         OTA_ERR_NOT_FOUND (no partition table).
 */
int ota_esp_flash_init(ota_esp_flash_t *f, uint32_t flash_size);

/** Deregister the gap partitions. */
void ota_esp_flash_deinit(ota_esp_flash_t *f);

#ifdef __cplusplus
}
#endif
#endif /* OTA_FLASH_ESP_PARTITION_H */
