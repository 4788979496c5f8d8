/**
 * @file ota_release_log.h
 * @brief Appending a release's BEGIN and COMMIT records to otadata (ota_release_record.h), the
 *        private side of ota_release.h that the release engine calls.
 *
 * Both append one 64-byte record to each otadata sector, after the records already there (the
 * data partitions' version floors and older release records, one seq ordering them all), as
 * ota_otadata_floor_keep does: programs only, read back; a sector without room is compacted
 * first unless it holds the active entry. See docs/powercut.md, "Release records in otadata".
 */
#ifndef OTA_RELEASE_LOG_H
#define OTA_RELEASE_LOG_H

#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/ota_release.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of the app id a COMMIT keeps: the first bytes of esp_app_desc_t.app_elf_sha256. */
#define OTA_RELEASE_APP_ID_SIZE 8u

/**
 * Record that release @p sequence starts, to be bound to otadata entry @p otadata_seq: before
 * anything of it is erased. From then on ota_release_floor() is at least @p sequence and
 * ota_release_in_progress() reports it until a COMMIT of the same sequence.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (@p sequence 0); OTA_ERR_NOT_FOUND (no otadata partition);
 *         OTA_ERR_OTADATA_FLOOR_FULL (no sector could take it); OTA_ERR_FLASH_PROTECTED; flash
 *         errors; OTA_ERR_SVC_VERIFY_FAILED (read back wrong).
 */
int ota_release_log_begin(const ota_device_t *dev, uint32_t sequence, uint32_t otadata_seq);

/**
 * Bind @p st->otadata_seq to the partitions @p st->data[].offset (at most 8: a release's data
 * items and the labels of the installed release it keeps) for release @p st->sequence: after every item is written and
 * verified. @p app_id: the first OTA_RELEASE_APP_ID_SIZE bytes of the new app's app_elf_sha256,
 * NULL for a release without an app (the binding then holds for any app booted from that entry
 * or a later one). @p st->data[].label is not recorded: the readers take the partitions' labels.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (sequence 0, more than 8 offsets); OTA_ERR_NOT_FOUND (no
 *         otadata partition); OTA_ERR_OTADATA_FLOOR_FULL (no sector could take it);
 *         OTA_ERR_FLASH_PROTECTED; flash errors; OTA_ERR_SVC_VERIFY_FAILED (read back wrong).
 */
int ota_release_log_commit(const ota_device_t *dev, const ota_release_state_t *st, const uint8_t app_id[8]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_RELEASE_LOG_H */
