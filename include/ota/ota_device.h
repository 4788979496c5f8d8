/**
 * @file ota_device.h
 * @brief One ESP32 device as the library sees it: flash, partition table, and the hardware state
 *        that is not in flash (chip, eFuses, which app is running).
 *
 * Everything that reads or changes boot state (ota_ops.h, ota_bootloader.h, the OTA service)
 * takes an ota_device_t; nothing is global, so several devices can live in one process. On the
 * host, ota_device_file.h binds a device to a flash image file plus a state sidecar.
 *
 * The emulated eFuse secure version follows ESP-IDF's thermometer code: it can only go up, and
 * only up to the width of the chip's field (32 bits on ESP32, 16 on most others).
 */
#ifndef OTA_DEVICE_H
#define OTA_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_app_image.h"
#include "ota/ota_bootloader_image.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/port/ota_flash.h"
#include "ota/ota_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_DEVICE_DEFAULT_REVISION_ESP32 300u /**< v3.0, ESP32 ECO3 */

/**
 * What a real chip does in hardware when the core changes state that is not in flash. The core
 * keeps the state as fields (the emulation, and what the simulated bootloader reads); a port of a
 * real device adds these hooks. Zero = emulation only.
 */
typedef struct {
    /**
     * Burn the anti-rollback eFuse field up to @p secure_version (an ESP32 port calls
     * esp_efuse_update_secure_version()). Called by ota_device_burn_secure_version() before the
     * field is raised; anything but OTA_OK leaves the field as it was and is returned.
     */
    int (*burn_secure_version)(void *ctx, uint32_t secure_version);
    /**
     * Flash offset of the app the CPU runs from (esp_ota_get_running_partition()->address), or
     * OTA_ERR_NOT_FOUND. When set, ota_device_running() asks the hardware instead of the
     * running_index field that the simulated bootloader fills.
     */
    int (*running_offset)(void *ctx, uint32_t *offset);
    void *ctx;
} ota_device_hooks_t;

#define OTA_DEVICE_KEY_DIGESTS         3u    /**< Secure Boot V2 key digest eFuse blocks */
#define OTA_DEVICE_SIGNED_DATA_MAX     4u    /**< data partition labels marked signed */
#define OTA_DEVICE_SIGNED_DATA_SUBTYPE 0x06u /**< ESP-IDF v6.1: data subtype always signed */

/**
 * The device's security settings, where an ESP32 keeps them: eFuses (Secure Boot V2 enable, key
 * digests KEY_DIGEST0..2 with KEY_REVOKE0..2 — burned bits never go back) and the app's Kconfig
 * (signed apps without secure boot, signed data partitions, the pre-encryption key).
 */
typedef struct {
    bool secure_boot_v2; /**< eFuse SECURE_BOOT_EN (Secure Boot V2): boot + update check */
    /** CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT: an update's block 0 must verify with the
     *  running app's block-0 key; the bootloader does not check. */
    bool signed_apps_on_update;
    bool key_digest_set[OTA_DEVICE_KEY_DIGESTS]; /**< KEY_DIGESTn burned */
    uint8_t key_digest[OTA_DEVICE_KEY_DIGESTS][32];
    bool key_revoked[OTA_DEVICE_KEY_DIGESTS]; /**< KEY_REVOKEn */
    /** CONFIG_SECURE_SIGNED_DATA_PARTITION labels (subtype 0x06 is signed regardless); "" unused */
    char signed_data[OTA_DEVICE_SIGNED_DATA_MAX][OTA_PARTITION_LABEL_MAX + 1];
    /** esp_encrypted_img's private key (data NULL: none configured). Borrowed bytes. */
    ota_enc_img_key_t decrypt_key;
} ota_device_security_t;

/** A device. Initialise with ota_device_init(); fields may be changed afterwards. */
typedef struct {
    const ota_flash_t *flash;       /**< the whole flash (not owned) */
    ota_partition_table_t table;    /**< as loaded from table_offset */
    uint32_t table_offset;          /**< CONFIG_PARTITION_TABLE_OFFSET, 0x8000 */
    uint16_t chip_id;               /**< ota_chip_id_t of the chip (images must match) */
    uint16_t chip_revision;         /**< major * 100 + minor */
    uint32_t efuse_secure_version;  /**< anti-rollback eFuse, as a number (bits burned) */
    bool rollback_enabled;          /**< CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE (default on) */
    bool anti_rollback_enabled;     /**< CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK (default on; needs rollback) */
    int running_index;              /**< index in table of the running app, -1: not booted */
    ota_device_hooks_t hooks;       /**< the port's eFuse and running-app hooks; zero = emulation only */
    ota_device_security_t security; /**< eFuse/Kconfig security settings (all off by default) */
} ota_device_t;

/**
 * Set @p dev to a freshly powered ESP32 on @p flash with @p table: chip ESP32 v3.0, eFuse secure
 * version 0, rollback and anti-rollback on, nothing running, no hooks. @p table may be NULL (empty
 * table).
 */
void ota_device_init(ota_device_t *dev, const ota_flash_t *flash, const ota_partition_table_t *table);

/** Load the table from the device's flash at table_offset (0 = 0x8000) into dev->table (left
 *  empty on failure); the device counts as not booted afterwards.
 *  @return OTA_OK; ota_partition_table_load's codes (OTA_ERR_INVALID_ARG, flash read errors,
 *          OTA_ERR_PT_BAD_MAGIC, OTA_ERR_PT_MD5_MISMATCH, OTA_ERR_PT_TOO_MANY,
 *          OTA_ERR_PT_ALIGNMENT, OTA_ERR_PT_OVERLAP, OTA_ERR_PT_FLASH_SIZE). */
int ota_device_load_table(ota_device_t *dev, ota_partition_diag_t *diag);

/** The offsets a moved table is looked for at (CONFIG_PARTITION_TABLE_OFFSET past a bigger
 *  bootloader), in 4 KiB steps, below the first app at 0x10000. */
#define OTA_DEVICE_TABLE_SCAN_FIRST 0x9000u
#define OTA_DEVICE_TABLE_SCAN_END   0x10000u

/**
 * Find the table when its offset is not known (a flash dump, a device made with another
 * CONFIG_PARTITION_TABLE_OFFSET): any valid table at 0x8000, else the first offset from
 * OTA_DEVICE_TABLE_SCAN_FIRST below OTA_DEVICE_TABLE_SCAN_END holding a table with a matching MD5
 * entry. Sets dev->table_offset and dev->table; on failure, the error and diag of 0x8000.
 * @return OTA_OK; else ota_device_load_table's codes for offset 0x8000.
 */
int ota_device_find_table(ota_device_t *dev, ota_partition_diag_t *diag);

/**
 * The second-stage bootloader at the start of @p flash (a real dump or merged image): the first of
 * 0x0, 0x1000, 0x2000 holding a bootloader image header for a chip whose ROM loads it from there
 * (ota_bootloader_image.h).
 * @return OTA_OK; OTA_ERR_NOT_FOUND when there is none (a device made without one; also when
 *         the flash cannot be read there). @p out is zeroed then.
 */
int ota_device_probe_bootloader(const ota_flash_t *flash, ota_bootloader_image_info_t *out);

/** The running app partition, or NULL if the device has not booted. */
const ota_partition_info_t *ota_device_running(const ota_device_t *dev);
/** Record @p part (an entry of dev->table, or NULL) as the running app. */
void ota_device_set_running(ota_device_t *dev, const ota_partition_info_t *part);

/** Bind an entry of the device's table to its flash. */
void ota_device_partition(const ota_device_t *dev, const ota_partition_info_t *info, ota_partition_t *out);

/** Width of the chip's secure-version eFuse field. */
uint32_t ota_device_secure_version_bits(const ota_device_t *dev);
/** esp_efuse_check_secure_version: an app with @p secure_version may run. */
bool ota_device_secure_version_ok(const ota_device_t *dev, uint32_t secure_version);
/**
 * May an app with @p secure_version be installed and confirmed under anti-rollback? OTA_OK,
 * OTA_ERR_SECURE_VERSION below the eFuse, or OTA_ERR_SECURE_VERSION_RANGE above what the chip's
 * eFuse field can hold (ESP32: 32 bits, most others 16; esp_efuse_update_secure_version refuses
 * to burn it, so once confirmed such an app would leave the eFuse behind and admit a downgrade).
 * @return OTA_OK, OTA_ERR_SECURE_VERSION or OTA_ERR_SECURE_VERSION_RANGE, as above.
 */
int ota_device_check_secure_version(const ota_device_t *dev, uint32_t secure_version);
/**
 * esp_efuse_update_secure_version: raise the eFuse to @p secure_version (never lowers it),
 * through hooks.burn_secure_version when the port has one.
 * @return OTA_OK (also when the eFuse is already that high); OTA_ERR_INVALID_ARG if it does not
 *         fit the field; the hook's error if the burn failed (the field is then unchanged).
 */
int ota_device_burn_secure_version(ota_device_t *dev, uint32_t secure_version);

/**
 * May an update erase or program the partition @p target of this device? Checked by address
 * range, not by table entry, so a table whose entries overlap cannot route a write onto what the
 * device needs to boot: OTA_ERR_FLASH_PROTECTED (logged, naming the region) if the range leaves
 * the flash or overlaps the bootloader region (0 .. table offset), the partition table's sector,
 * the running app, or otadata (unless @p target is that otadata partition itself).
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL dev or target); OTA_ERR_FLASH_PROTECTED.
 */
int ota_device_check_writable(const ota_device_t *dev, const ota_partition_info_t *target);

/** Validator settings that make an image acceptable on @p dev (chip id and revision checked).
 *  Here, below both users: the boot-time signature check (image_sig.c) and esp_ota_ops
 *  (ota_ops.c, ota_ops_validator_config) call it without calling each other. */
void ota_device_validator_config(const ota_device_t *dev, ota_image_validator_config_t *cfg);
/** Secure Boot V2 or signed-apps-on-update: an app update must be signed by a trusted key. */
bool ota_device_app_updates_signed(const ota_device_t *dev);
/** A data partition whose content is signed (subtype 0x06, or its label marked signed). */
bool ota_device_data_signed(const ota_device_t *dev, const ota_partition_info_t *part);

/** The first partition of a type/subtype (OTA_PART_*), or NULL. */
const ota_partition_info_t *ota_device_find(const ota_device_t *dev, uint8_t type, uint8_t subtype);
/** The otadata partition, or NULL. */
const ota_partition_info_t *ota_device_otadata(const ota_device_t *dev);
/** esp_ota_get_app_partition_count: OTA slots contiguous from ota_0. */
uint32_t ota_device_ota_slot_count(const ota_device_t *dev);
/** The partition of OTA slot @p slot (subtype ota_<slot>), or NULL. */
const ota_partition_info_t *ota_device_ota_slot(const ota_device_t *dev, uint32_t slot);
/** True for app partitions with an OTA subtype (0x10..0x1F). */
bool ota_partition_is_ota_app(const ota_partition_info_t *info);

#ifdef __cplusplus
}
#endif
#endif /* OTA_DEVICE_H */
