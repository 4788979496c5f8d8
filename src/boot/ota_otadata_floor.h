/**
 * @file ota_otadata_floor.h
 * @brief Data partitions' version floors in the otadata partition (ota_floor_log.h): reading,
 *        appending, and carrying them over when an otadata sector is rewritten.
 *
 * Every record is appended to both otadata sectors (programs only, no erase), so when one sector
 * is erased - by our own otadata writer, which programs the floors back before the entry, or by
 * ESP-IDF's bootloader / esp_ota_ops, which do not - the other one still holds them. See
 * docs/powercut.md, "The version floor survives an interrupted install". A release's BEGIN and
 * COMMIT records (ota_release_record.h) share the log: appended the same way, carried the same way
 * (docs/powercut.md, "Release records in otadata").
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

/** Most partitions whose floors an otadata rewrite carries over (those kept last; the older
 *  ones' records are dropped). */
#define OTA_OTADATA_FLOOR_PARTS  8u
/** Release records an otadata rewrite carries over: the newest BEGIN, and the newest COMMIT for
 *  each of the 4 most recent otadata seqs bound (both entries', a switch's to come, one older). */
#define OTA_OTADATA_RELEASE_KEEP 5u

/** Called for each record of the log with a valid CRC (ota_floor_log_kind's @p kind and seq). */
typedef void (*ota_otadata_log_fn)(void *ctx, const uint8_t *raw, int kind, uint32_t seq);

/**
 * Call @p fn for each record with a valid CRC in either sector (sector 0 first, in slot order;
 * torn records skipped, an erased slot ends a sector's list; a record is usually met twice).
 * @p free_slot (may be NULL) gets each sector's first free slot (OTA_FLOOR_LOG_SLOTS: full).
 * @return OTA_OK; OTA_ERR_NOT_FOUND (no otadata partition); the flash read's errors.
 */
int ota_otadata_log_each(const ota_device_t *dev, ota_otadata_log_fn fn, void *ctx, uint32_t free_slot[2]);

/**
 * Append the encoded record @p raw (any kind) to each otadata sector, sealed (ota_floor_log_seal)
 * with the seq after the log's highest, as ota_otadata_floor_keep does, and read it back.
 * @return OTA_OK; OTA_ERR_NOT_FOUND (no otadata partition); OTA_ERR_OTADATA_FLOOR_FULL (no sector
 *         could take it); OTA_ERR_FLASH_PROTECTED (ota_device_check_writable); flash errors;
 *         OTA_ERR_SVC_VERIFY_FAILED (read back wrong).
 */
int ota_otadata_log_append(const ota_device_t *dev, uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE]);

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
 * sectors) and the release records OTA_OTADATA_RELEASE_KEEP says, erase the sector, program
 * those records from offset 32, then @p entry (NULL: the entry stays erased). During the erase
 * the other sector holds every record; the entry, the sector's commit point for the bootloader,
 * comes last.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (@p index); OTA_ERR_NOT_FOUND (no otadata partition);
 *         OTA_ERR_FLASH_PROTECTED (ota_device_check_writable); flash errors;
 *         OTA_ERR_SVC_VERIFY_FAILED (a record reads back wrong).
 */
int ota_otadata_floor_rewrite(const ota_device_t *dev, int index, const uint8_t *entry);

#ifdef __cplusplus
}
#endif
#endif /* OTA_OTADATA_FLOOR_H */
