/**
 * @file ota_semver_packed.h
 * @brief ESP-ADF esp_ota_service's packed semver: "x.y.z" as (x << 16) | (y << 8) | z, the 4-byte
 *        little-endian header of its raw data images (esp_ota_service_version_pack_semver /
 *        _unpack_semver, components/esp_ota_service/src/esp_ota_service_version_utils.c,
 *        espressif/esp-adf master af7b72fb).
 *
 * Same rules as ESP-ADF: an optional leading 'v' or 'V', at most 32 characters, three dot-separated
 * decimal parts 0..255; like its strtok() loop, empty parts between dots are skipped (".1..2.3."
 * packs as "1.2.3"). Anything else is UINT32_MAX.
 */
#ifndef OTA_SEMVER_PACKED_H
#define OTA_SEMVER_PACKED_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Not a packed semver (ESP-ADF's failure value). */
#define OTA_SEMVER_PACKED_INVALID UINT32_MAX

/** esp_ota_service_version_pack_semver(): the packed value, or OTA_SEMVER_PACKED_INVALID. */
uint32_t ota_semver_pack(const char *version);

/**
 * esp_ota_service_version_unpack_semver(): "major.minor.patch" of the low three bytes.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL @p buf or @p len < 12, as ESP-ADF);
 *         OTA_ERR_INVALID_SIZE for OTA_SEMVER_PACKED_INVALID (ESP-ADF's ESP_ERR_INVALID_SIZE).
 */
int ota_semver_unpack(uint32_t packed, char *buf, size_t len);

/** The 4-byte little-endian header of a data image as a packed semver. */
uint32_t ota_semver_packed_read_le(const uint8_t head[4]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SEMVER_PACKED_H */
