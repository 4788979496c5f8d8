/* The simulated bootloader's banner (internal to src/boot): bootloader_init's lines in the ESP-IDF
 * of the bootloader on the device's flash (ota_idf_console.h). */
#ifndef OTA_BOOT_BANNER_H
#define OTA_BOOT_BANNER_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "formats/ota_idf_console.h"

/* Log "ESP-IDF ... 2nd stage bootloader" up to "Enabling RNG early entropy source..." and set
 * @p ver to the bootloader's ESP-IDF: its esp_bootloader_desc_t (v5.2+), else the strings of an
 * older bootloader image, else the first app partition's idf_ver, else the newest. */
void ota_boot_log_banner(const ota_device_t *dev, ota_idf_version_t *ver);

/* bootloader_common_check_chip_validity's note for an image of @p type ("bootloader",
 * "application") whose legacy min_chip_rev is @p min_rev, where @p ver prints it. */
void ota_boot_log_chip_check(const ota_device_t *dev, const ota_idf_version_t *ver, const char *type,
                             uint8_t min_rev);

/* The app startup block (ota_idf_log of every OTA_IDF_APP_* line that applies), as the ESP-IDF the
 * app was built with prints it. Only the simulated bootloader prints it: on a device the app's own
 * startup code does (esp_app_desc.c). */
typedef struct {
    const char *project_name, *version, *date, *time, *idf_ver;
    const uint8_t *elf_sha256; /**< 32 bytes; 16 hex digits are printed */
    bool secure_version_shown; /**< CONFIG_BOOTLOADER_APP_SECURE_VERSION (anti-rollback) */
    uint32_t secure_version;
    uint16_t min_rev_full, max_rev_full, chip_rev;
} ota_idf_app_info_t;

void ota_idf_log_app_info(const ota_idf_app_info_t *app);

#endif /* OTA_BOOT_BANNER_H */
