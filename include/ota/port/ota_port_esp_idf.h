/**
 * @file ota_port_esp_idf.h
 * @brief The ESP-IDF port (src/port/esp-idf, component components/ota_service): what an app calls.
 *
 * The port maps ota_port.h, the log, the sources and the device hooks onto ESP-IDF v6.0:
 *  - heap: heap_caps_malloc(MALLOC_CAP_8BIT) with the counters of ota_port_mem_stats();
 *  - clock: esp_timer_get_time(); sleep: vTaskDelay();
 *  - threads: one FreeRTOS task per ota_service_start(), joined by ota_service_wait();
 *  - log: OTA_LOG* lines go to esp_log_write() in ESP-IDF's own "I (ms) TAG: message" format;
 *  - ota_source_open(): http(s):// on esp_http_client (Range/If-Range, ETag, the core's HTTP rules
 *    in src/source/http_rules.c; TLS trust: the item's or the transport's PEM, else ESP-IDF's
 *    certificate bundle), file:// with fopen() on the VFS (file://sdcard/x -> <sdcard_root>/x);
 *  - CRC-32: the ROM's esp_rom_crc32_le();
 *  - device: eFuse reads (secure version, Secure Boot V2 key digests and revocations) through
 *    esp_efuse_*, the burn of the anti-rollback field with esp_efuse_update_secure_version(), the
 *    running app from esp_ota_get_running_partition(), restart with esp_restart().
 * The flash (ota_flash_t on esp_partition) and the crypto (PSA Crypto) are in their own files of
 * the port (src/port/esp-idf/flash_esp_partition.c, src/port/psa/).
 *
 * The transport settings (ota_source_config_t.transport) are the POSIX port's struct, so that the
 * example's upgrade list (ota_adf_example.h) is shared by every platform; on ESP-IDF its fields
 * mean: sdcard_root (default "/sdcard", the FAT mount point), cert_pem, insecure (no TLS check;
 * only with CONFIG_ESP_TLS_INSECURE), connect_timeout_ms and stall_timeout_ms (the larger is
 * esp_http_client's timeout_ms), max_redirects, max_retries, retry_backoff_ms, http_buffer_size
 * (esp_http_client's receive buffer_size). ca_file and proxy are not supported (an open with them
 * set fails with OTA_ERR_NOT_SUPPORTED).
 */
#ifndef OTA_PORT_ESP_IDF_H
#define OTA_PORT_ESP_IDF_H

#include <stdint.h>

#include "ota/ota_device.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The default SD card mount point of ESP-IDF's examples (esp_vfs_fat_sdspi_mount base_path). */
#define OTA_ESP_IDF_DEFAULT_SDCARD_ROOT "/sdcard"

/** Send OTA_LOG* lines to esp_log_write() and take the level of ESP-IDF's log for @p tag (NULL:
 *  the default level, esp_log_level_get("*")). */
void ota_esp_idf_log_init(const char *tag);

/**
 * Fill what the chip knows about itself into @p dev (after ota_device_init): chip id and revision
 * (esp_chip_info), rollback and anti-rollback from the bootloader's Kconfig, the anti-rollback
 * eFuse, Secure Boot V2 (enable bit, key digests and their revocation bits, read through
 * esp_efuse_*), and the hooks: burn_secure_version -> esp_efuse_update_secure_version(),
 * running_offset -> esp_ota_get_running_partition().
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL dev); OTA_ERR_IO (an eFuse block could not be read).
 */
int ota_esp_idf_device_setup(ota_device_t *dev);

struct ota_update_features;

/** The optional update features CONFIG_OTA_SERVICE_FEATURE_SIGNATURES / _DECRYPTION / _DELTA
 *  select, for ota_service_config_t.features; NULL when none is selected. */
const struct ota_update_features *ota_esp_idf_features(void);

/** The service's restart hook (ota_service_config_t.restart): esp_restart(). Never returns. */
void ota_esp_idf_restart(void *ctx);

#ifdef __cplusplus
}
#endif
#endif /* OTA_PORT_ESP_IDF_H */
