/**
 * @file ota_otadata_floor.h
 * @brief Data partitions' version floors in the otadata partition (ota_floor_log.h): reading,
 *        appending, and carrying them over when an otadata sector is rewritten.
 *
 * Every record is appended to both otadata sectors (programs only, no erase), so when one sector
 * is erased - by our own otadata writer, which programs the floors back before the entry, or by
 * ESP-IDF's bootloader / esp_ota_ops, which do not - the other one still holds them. See
 * docs/powercut.md, "The version floor survives an interrupted install".
 */
#ifndef OTA_OTADATA_FLOOR_H
#define OTA_OTADATA_FLOOR_H

#include <stdint.h>

#include "ota/ota_device.h"
#include "formats/ota_floor_log.h"
#include "ota/ota_otadata.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most partitions whose floors an otadata rewrite carries over (records of more are dropped). */
#define OTA_OTADATA_FLOOR_PARTS 8u

/**
 * The floor the otadata log keeps for @p part: the version of its record with the highest seq in
 * either sector, into @p version (OTA_FLOOR_LOG_VERSION_MAX + 1 bytes).
 * @return OTA_OK; OTA_ERR_NOT_FOUND (no otadata partition, no record, or the last record says "no
 *         floor"); the flash read's errors.
 */
int ota_otadata_floor_get(const ota_device_t *dev, const ota_partition_info_t *part, char *version);

/**
 * Make @p version ("" = no floor) the floor the log keeps for @p part: unless its last record
 * already says so, a record is appended to each otadata sector. A sector without room is
 * compacted first (ota_otadata_floor_rewrite with the entry it holds) unless it holds the active
 * entry (a cut there would change what boots): the other sector then takes the record alone.
 * @return OTA_OK; OTA_ERR_NOT_FOUND if the device has no otadata partition; OTA_ERR_OTADATA_FLOOR_FULL if
 *         no sector could take the record; flash errors; OTA_ERR_SVC_VERIFY_FAILED (read back wrong).
 */
int ota_otadata_floor_keep(const ota_device_t *dev, const ota_partition_info_t *part, const char *version);

/**
 * Rewrite otadata sector @p index keeping the floors: read each partition's last record (both
 * sectors), erase the sector, program those records from offset 32, then @p entry (NULL: the
 * entry stays erased). During the erase the other sector holds every floor; the entry, the
 * sector's commit point for the bootloader, comes last.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (@p index); OTA_ERR_NOT_FOUND (no otadata partition);
 *         OTA_ERR_FLASH_PROTECTED (ota_device_check_writable); flash errors;
 *         OTA_ERR_SVC_VERIFY_FAILED (a record reads back wrong).
 */
int ota_otadata_floor_rewrite(const ota_device_t *dev, int index, const uint8_t *entry);

#ifdef __cplusplus
}
#endif
#endif /* OTA_OTADATA_FLOOR_H */
