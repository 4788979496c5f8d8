/**
 * @file ota_bootloader.h
 * @brief The simulated ESP-IDF second-stage bootloader (reference §2.5, §2.7, §2.8).
 *
 * One run = one reset of the device: read the partition table and otadata, apply the rollback
 * transitions (an entry still PENDING_VERIFY becomes ABORTED; the selected NEW entry becomes
 * PENDING_VERIFY), select the slot (factory when otadata is blank or both entries invalid, else
 * the highest valid seq; with anti-rollback only entries whose app secure_version >= eFuse), then
 * try slots in ESP-IDF's fallback order (from the selected index down to factory, then upwards,
 * then the test app), fully verifying each image (and its chip and secure version) before
 * choosing it. A factory-less device with blank otadata writes otadata[0] for the slot it booted
 * (set_actual_ota_seq); a VALID selected entry raises the anti-rollback eFuse.
 *
 * It logs what the real one logs, with its tags ("boot", "esp_image", "cpu_start"): the partition
 * table, the segments, "Loaded app from partition at offset 0x...", the app information.
 */
#ifndef OTA_BOOTLOADER_H
#define OTA_BOOTLOADER_H

#include <stdbool.h>

#include "ota/ota_app_image.h"
#include "ota/ota_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Boot indices of bootloader_config.h; OTA slots are 0..15. */
#define OTA_BOOT_INDEX_FACTORY (-1)
#define OTA_BOOT_INDEX_TEST    (-2)
#define OTA_BOOT_INDEX_INVALID (-99)

/** What a boot did. */
typedef struct {
    const ota_partition_info_t *partition; /**< the booted app (entry of dev->table); NULL if none */
    int index;                             /**< its boot index: OTA slot, FACTORY or TEST */
    int selected_index;                    /**< the index selection chose before any fallback */
    bool fell_back;                        /**< the selected index did not boot, another one did */
    bool otadata_written;   /**< otadata changed (ABORTED, PENDING_VERIFY, set_actual_ota_seq) */
    bool efuse_burned;      /**< the anti-rollback eFuse went up */
    ota_image_info_t image; /**< the booted image's header, segments and app description */
} ota_boot_result_t;

/**
 * The Secure Boot V2 check of one candidate app (eFuse SECURE_BOOT_EN): its signature sector
 * after the @p image_len-byte image (hash included) in @p part, against @p dev's burned key
 * digests. ota_image_sig_verify_boot (ota_image_sig.h) is the one this project has; a firmware
 * reaches it through its update features (ota_update_feature_signatures.verify_boot).
 * @return OTA_OK if the app may boot; else the reason it may not (OTA_ERR_SIG_*, ...).
 */
typedef int (*ota_boot_verify_fn)(const ota_device_t *dev, const ota_partition_info_t *part,
                                  uint32_t image_len);

/** What a bootloader build links. */
typedef struct {
    /** The Secure Boot V2 verifier. NULL: not linked, and then a device with secure_boot_v2 on
     *  boots nothing (every candidate fails closed, logged as a failed signature check), as a
     *  bootloader that cannot check a signature must not run the app. Devices without Secure
     *  Boot V2 never call it. */
    ota_boot_verify_fn verify_signature;
} ota_bootloader_config_t;

/**
 * Reset and boot @p dev with what @p cfg links (NULL: nothing, as a config of zeros): on
 * success the booted partition becomes dev's running app. @p out may be NULL.
 * @return as ota_bootloader_run; OTA_ERR_NO_BOOTABLE_APP also when Secure Boot V2 is on and
 *         @p cfg has no verifier.
 */
int ota_bootloader_boot(ota_device_t *dev, const ota_bootloader_config_t *cfg, ota_boot_result_t *out);

/**
 * What the next boot with @p cfg would do, as ota_bootloader_predict.
 * @return as ota_bootloader_boot, without the write errors.
 */
int ota_bootloader_boot_predict(const ota_device_t *dev, const ota_bootloader_config_t *cfg,
                                ota_boot_result_t *out);

/**
 * The host's bootloader, with the Secure Boot V2 verifier linked (ota_image_sig_verify_boot):
 * reset and boot @p dev; on success the booted partition becomes dev's running app. @p out may
 * be NULL.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL dev); OTA_ERR_NO_MEM; OTA_ERR_PT_INVALID (empty
 *         table); OTA_ERR_NO_BOOTABLE_APP when no slot holds a bootable image (the device is then
 *         not running anything); otadata's read and write errors as they come
 *         (ota_ops_read_otadata / ota_ops_write_otadata: flash errors, OTA_ERR_FLASH_PROTECTED,
 *         OTA_ERR_SVC_VERIFY_FAILED).
 */
int ota_bootloader_run(ota_device_t *dev, ota_boot_result_t *out);

/**
 * What the next boot of the host's bootloader (as ota_bootloader_run) would do, without writing
 * flash or eFuses and without logging. The
 * partition in @p out points into @p dev's table.
 * @return as ota_bootloader_run, without the write errors.
 */
int ota_bootloader_predict(const ota_device_t *dev, ota_boot_result_t *out);

/** The bootloader's "Usage" column for a table entry ("OTA app", "WiFi data"...; a fallback
 *  such as "Unknown data" for subtypes it does not name; never NULL). */
const char *ota_bootloader_partition_usage(const ota_partition_info_t *info);

#ifdef __cplusplus
}
#endif
#endif /* OTA_BOOTLOADER_H */
