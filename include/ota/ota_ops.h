/**
 * @file ota_ops.h
 * @brief ESP-IDF's esp_ota_ops.h on an ota_device_t: which app runs, boots, gets updated next,
 *        and the otadata writes that switch, confirm and roll back (reference §2.6, §2.7, §4.4).
 *
 * otadata is written the way ESP-IDF v6 does: one entry per operation, its 4 KiB sector erased
 * then 32 bytes programmed, the other sector untouched (a power cut leaves the other entry
 * valid). Entries written by v5.x devices (the same seq in both sectors) are read correctly.
 * Logs use ESP-IDF's tag "esp_ota_ops".
 */
#ifndef OTA_OPS_H
#define OTA_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_app_image.h"
#include "ota/ota_device.h"
#include "ota/ota_otadata.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Validator settings that make an image acceptable on @p dev (chip id and revision checked). */
void ota_ops_validator_config(const ota_device_t *dev, ota_image_validator_config_t *cfg);

/** Read both otadata entries.
 *  @return OTA_OK; OTA_ERR_NOT_FOUND if the table has no otadata partition; the flash read's
 *          errors (ota_partition_read). */
int ota_ops_read_otadata(const ota_device_t *dev, ota_otadata_entry_t entries[2]);
/** Erase sector @p index (0 or 1) of otadata, program @p entry there and read it back: what
 *  ESP-IDF's bootloader (write_otadata) and esp_ota_ops (rewrite_ota_seq) do, so the data
 *  partitions' version floors that sector held are gone (the other sector keeps them). The
 *  functions below that write otadata program the floors back first (ota_otadata_floor.h).
 *  @return OTA_OK; OTA_ERR_NOT_FOUND (no otadata partition); OTA_ERR_INVALID_ARG (@p index);
 *          OTA_ERR_FLASH_PROTECTED (otadata overlaps what the device boots from,
 *          ota_device_check_writable); the erase's, program's and read's flash errors;
 *          OTA_ERR_SVC_VERIFY_FAILED if the entry reads back different. */
int ota_ops_write_otadata(const ota_device_t *dev, int index, const ota_otadata_entry_t *entry);

/** esp_ota_get_running_partition: the app the device runs, NULL before the first boot. */
const ota_partition_info_t *ota_ops_get_running_partition(const ota_device_t *dev);
/**
 * esp_ota_get_boot_partition: the partition otadata selects (factory / first app when otadata
 * is blank or invalid), without verifying images. NULL if the table has no app at all.
 */
const ota_partition_info_t *ota_ops_get_boot_partition(const ota_device_t *dev);
/**
 * esp_ota_get_next_update_partition: the OTA slot after @p start_from (NULL = the running app);
 * the first OTA slot when start_from is the last one or not an OTA slot; NULL if there is none.
 */
const ota_partition_info_t *ota_ops_get_next_update_partition(const ota_device_t *dev,
                                                              const ota_partition_info_t *start_from);
/** esp_ota_get_app_partition_count: OTA slots contiguous from ota_0. */
uint32_t ota_ops_get_app_partition_count(const ota_device_t *dev);

/**
 * Full verification of the image in an app partition, as esp_image_verify(ESP_IMAGE_VERIFY) with
 * the device's chip: errors logged with tag "esp_image" unless @p silent.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL dev or part); ota_image_verify_partition's codes
 *         (OTA_ERR_IMG_*, flash read errors).
 */
int ota_ops_image_verify(const ota_device_t *dev, const ota_partition_info_t *part, bool silent,
                         ota_image_info_t *info, ota_image_diag_t *diag);

/** esp_ota_get_partition_description: the app description at partition offset 0x20.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL part or out); OTA_ERR_NOT_FOUND (no app
 *          description magic there, as ESP-IDF's ESP_ERR_NOT_FOUND); the flash read's errors. */
int ota_ops_get_partition_description(const ota_device_t *dev, const ota_partition_info_t *part,
                                      ota_app_desc_t *out);

/**
 * esp_ota_begin's checks on a target before anything is erased: an OTA app slot (else
 * OTA_ERR_NOT_AN_APP_SLOT; data partitions pass), not the running app (OTA_ERR_PARTITION_CONFLICT),
 * and with rollback on, not while the running app is PENDING_VERIFY
 * (OTA_ERR_ROLLBACK_INVALID_STATE).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL target); OTA_ERR_NOT_AN_APP_SLOT;
 *         OTA_ERR_PARTITION_CONFLICT; OTA_ERR_ROLLBACK_INVALID_STATE;
 *         OTA_ERR_OTADATA_SEQ_EXHAUSTED (no otadata sequence number could select the slot: the
 *         switch after the write would fail); OTA_ERR_FLASH_PROTECTED (the target's range reaches
 *         the bootloader, table, otadata or running app; also for data partitions).
 */
int ota_ops_check_update_target(const ota_device_t *dev, const ota_partition_info_t *target);

/**
 * esp_ota_invalidate_inactive_ota_data_slot (called by esp_ota_begin with rollback on): if the
 * non-active entry is valid and names a slot other than the running one, erase its sector so the
 * bootloader cannot fall back into a half-written slot.
 * @return OTA_OK (also when nothing needed erasing); ota_ops_read_otadata's codes;
 *         OTA_ERR_FLASH_PROTECTED; the erase's flash errors.
 */
int ota_ops_invalidate_inactive_ota_data_slot(const ota_device_t *dev);

/**
 * esp_ota_set_boot_partition: verify the image in @p part (errors: its OTA_ERR_IMG_* code; with
 * Secure Boot V2 or signed apps on, its signature too: ota_image_sig_verify_boot's codes), then
 *  - factory: erase the whole otadata partition;
 *  - OTA slot: with anti-rollback, an image whose secure_version is below the eFuse is erased and
 *    OTA_ERR_SECURE_VERSION returned; else esp_rewrite_ota_data (v6): the active entry is refreshed
 *    in place if it already names the slot, otherwise the other entry gets the next seq for it;
 *    state NEW (rollback on) or UNDEFINED.
 * OTA_ERR_NOT_AN_APP_SLOT for non-app partitions, OTA_ERR_NOT_FOUND without otadata.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL dev or part); OTA_ERR_NOT_AN_APP_SLOT; the
 *         verification's codes (ota_ops_image_verify); then ota_ops_set_boot_partition_verified's.
 */
int ota_ops_set_boot_partition(ota_device_t *dev, const ota_partition_info_t *part);

/**
 * The otadata half of ota_ops_set_boot_partition, for a caller that has just verified the image
 * itself (the OTA service reads it back after writing): @p info is that verification's result
 * (its app description drives the anti-rollback check). No second verification.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL part or info, or a slot beyond the slot count);
 *         OTA_ERR_NOT_AN_APP_SLOT; OTA_ERR_NOT_FOUND (factory without otadata);
 *         OTA_ERR_FLASH_PROTECTED; OTA_ERR_SECURE_VERSION_RANGE (nothing written);
 *         OTA_ERR_SECURE_VERSION (the slot was erased); OTA_ERR_OTADATA_SEQ_EXHAUSTED;
 *         OTA_ERR_OTADATA_INVALID (written, but the bootloader's selection would not pick the
 *         slot); ota_ops_read_otadata's and ota_ops_write_otadata's codes (flash errors,
 *         OTA_ERR_SVC_VERIFY_FAILED).
 */
int ota_ops_set_boot_partition_verified(ota_device_t *dev, const ota_partition_info_t *part,
                                        const ota_image_info_t *info);

/**
 * esp_ota_mark_app_valid_cancel_rollback: the active entry becomes VALID (same sector, same seq)
 * and, with anti-rollback, the eFuse is raised to the running app's secure_version.
 * OTA_ERR_INVALID_STATE when no OTA entry is active ("Running firmware is factory").
 * @return OTA_OK; OTA_ERR_INVALID_STATE (factory running, or the running app is not the one
 *         otadata selects); OTA_ERR_SECURE_VERSION_RANGE (the eFuse could not take the secure
 *         version: nothing written); ota_ops_read_otadata's / ota_ops_write_otadata's codes;
 *         OTA_ERR_INVALID_ARG or the port hook's error from the eFuse burn
 *         (ota_device_burn_secure_version).
 */
int ota_ops_mark_app_valid_cancel_rollback(ota_device_t *dev);

/**
 * esp_ota_mark_app_invalid_rollback (without the reboot: run the bootloader next): needs
 * ota_ops_check_rollback_is_possible() (else OTA_ERR_ROLLBACK_FAILED); the active entry becomes
 * INVALID.
 * @return OTA_OK; OTA_ERR_INVALID_STATE (factory running); OTA_ERR_ROLLBACK_FAILED;
 *         ota_ops_read_otadata's / ota_ops_write_otadata's codes.
 */
int ota_ops_mark_app_invalid_rollback(ota_device_t *dev);

/** esp_ota_check_rollback_is_possible: true if a VALID other slot (or, without anti-rollback,
 *  the factory app) still verifies and may boot; false otherwise, also on a read error. */
bool ota_ops_check_rollback_is_possible(const ota_device_t *dev);

/**
 * esp_ota_get_state_partition: the state of the first entry (0, then 1) naming this OTA slot with
 * a correct CRC.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL part or state); OTA_ERR_NOT_SUPPORTED for non-OTA
 *         partitions; OTA_ERR_NOT_FOUND if no entry names it (also: no otadata, or it cannot be
 *         read).
 */
int ota_ops_get_state_partition(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t *state);

/**
 * esp_ota_get_last_invalid_partition: the slot of the INVALID/ABORTED entry with the lowest seq,
 * if its image still verifies; NULL otherwise.
 */
const ota_partition_info_t *ota_ops_get_last_invalid_partition(const ota_device_t *dev);

#ifdef __cplusplus
}
#endif
#endif /* OTA_OPS_H */
