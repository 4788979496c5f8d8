/* The device as the chip knows it: what ota_device_t keeps as fields in the emulation comes from
 * the eFuses and the bootloader's Kconfig here, and the two hooks make the core ask the hardware
 * (ota_device.h): raising the anti-rollback field burns eFuse bits, and the running app is the one
 * the CPU executes. Only reads and the one burn the service needs; no key is ever written. */
#include <string.h>

#include "esp_chip_info.h"
#include "esp_efuse.h"
#include "esp_efuse_table.h"
#include "esp_ota_ops.h"
#include "esp_partition.h"
#include "esp_err.h"
#include "sdkconfig.h"

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_port_esp_idf.h"

static const char *TAG = "ota_esp_idf";

static int burn_secure_version(void *ctx, uint32_t secure_version)
{
    (void)ctx;
    /* ESP-IDF burns only what is missing and refuses a version beyond the field's width. */
    esp_err_t err = esp_efuse_update_secure_version(secure_version);
    if (err != ESP_OK) {
        OTA_LOGE(TAG, "esp_efuse_update_secure_version(%u): %s", (unsigned)secure_version,
                 esp_err_to_name(err));
        return err == ESP_ERR_INVALID_ARG ? OTA_ERR_INVALID_ARG : OTA_ERR_IO;
    }
    return OTA_OK;
}

static int running_offset(void *ctx, uint32_t *offset)
{
    (void)ctx;
    const esp_partition_t *running = esp_ota_get_running_partition();
    if (running == NULL) {
        return OTA_ERR_NOT_FOUND;
    }
    *offset = running->address;
    return OTA_OK;
}

/* Secure Boot V2 key digests: the key blocks whose purpose is SECURE_BOOT_DIGESTn, and the
 * revocation bit of each (ESP32-C3 and later chips; the ESP32 keeps one digest in BLOCK2). */
static int read_key_digests(ota_device_security_t *sec)
{
#if CONFIG_IDF_TARGET_ESP32
    (void)sec;
    return OTA_OK;
#else
    static const esp_efuse_purpose_t k_purpose[OTA_DEVICE_KEY_DIGESTS] = {
        ESP_EFUSE_KEY_PURPOSE_SECURE_BOOT_DIGEST0,
        ESP_EFUSE_KEY_PURPOSE_SECURE_BOOT_DIGEST1,
        ESP_EFUSE_KEY_PURPOSE_SECURE_BOOT_DIGEST2,
    };
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        esp_efuse_block_t block;
        sec->key_digest_set[i] = esp_efuse_find_purpose(k_purpose[i], &block);
        sec->key_revoked[i] = esp_efuse_get_digest_revoke(i);
        if (sec->key_digest_set[i] &&
            esp_efuse_read_block(block, sec->key_digest[i], 0, 8 * sizeof sec->key_digest[i]) != ESP_OK) {
            OTA_LOGE(TAG, "cannot read the Secure Boot key digest %u (eFuse block %d)", i, (int)block);
            return OTA_ERR_IO;
        }
    }
    return OTA_OK;
#endif
}

int ota_esp_idf_device_setup(ota_device_t *dev)
{
    if (dev == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    esp_chip_info_t chip;
    esp_chip_info(&chip);
    dev->chip_id = CONFIG_IDF_FIRMWARE_CHIP_ID; /* what esptool writes into the image header */
    dev->chip_revision = chip.revision;         /* MXX: major * 100 + minor, as the core counts */
#ifdef CONFIG_BOOTLOADER_APP_ROLLBACK_ENABLE
    dev->rollback_enabled = true;
#else
    dev->rollback_enabled = false;
#endif
#ifdef CONFIG_BOOTLOADER_APP_ANTI_ROLLBACK
    dev->anti_rollback_enabled = true;
#else
    dev->anti_rollback_enabled = false;
#endif
    dev->efuse_secure_version = esp_efuse_read_secure_version();
    dev->security.secure_boot_v2 = esp_efuse_read_field_bit(ESP_EFUSE_SECURE_BOOT_EN);
#ifdef CONFIG_SECURE_SIGNED_APPS_NO_SECURE_BOOT
    dev->security.signed_apps_on_update = true;
#endif
    int err = read_key_digests(&dev->security);
    dev->hooks.burn_secure_version = burn_secure_version;
    dev->hooks.running_offset = running_offset;
    dev->hooks.ctx = NULL;
    OTA_LOGI(TAG,
             "chip %s rev v%u.%u, rollback %s, anti-rollback %s (eFuse secure version %u), secure boot %s",
             CONFIG_IDF_TARGET, (unsigned)(chip.revision / 100), (unsigned)(chip.revision % 100),
             dev->rollback_enabled ? "on" : "off", dev->anti_rollback_enabled ? "on" : "off",
             (unsigned)dev->efuse_secure_version, dev->security.secure_boot_v2 ? "V2" : "off");
    return err;
}
