/**
 * @file ota_checker_data_version.h
 * @brief ESP-ADF esp_ota_service's data-version checker (esp_ota_service_checker_data_version_create,
 *        components/esp_ota_service/src/checker/esp_ota_service_checker_data_version.c,
 *        espressif/esp-adf master af7b72fb) as an ota_checker_t.
 *
 * The first 4 bytes of the data image are a little-endian packed semver
 * (ota_semver_pack(): major << 16 | minor << 8 | patch); the image is installed only when that
 * value is higher than the packed current_version (an unreadable current version packs to
 * 0xFFFFFFFF, so nothing is higher: no upgrade, as in ESP-ADF). The version reported is
 * "x.y.z" of the low three bytes, or "0x%08x" for 0xFFFFFFFF. A stream shorter than 4 bytes is
 * refused with OTA_ERR_INVALID_SIZE (ESP_ERR_INVALID_SIZE). The header is part of the image:
 * it is written to the partition with the rest, as ESP-ADF's data target does.
 *
 * Install it in place of the data procedure's tone checker:
 *
 *     ota_data_default_prepare(s, handle, node);
 *     ota_path_set_checker(*handle, &dv.checker);
 */
#ifndef OTA_CHECKER_DATA_VERSION_H
#define OTA_CHECKER_DATA_VERSION_H

#include <stdint.h>

#include "ota/ota_check_result.h"
#include "ota/ota_checker.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/** esp_ota_service_checker_data_cfg_t. */
typedef struct {
    const char *current_version; /**< installed data version "x.y.z" (copied, at most 31 bytes) */
    const char *label;           /**< result label (e.g. the partition's); NULL: "" (copied) */
    ota_service_t *service;      /**< where to report (VERSION_CHECK, check_update); NULL: nowhere */
} ota_checker_data_version_config_t;

typedef struct {
    ota_checker_t checker; /**< what ota_path_set_checker() takes (ctx: this struct) */
    ota_service_t *service;
    uint32_t current_packed;   /**< ota_semver_pack(current_version) */
    ota_check_result_t result; /**< the last check() */
} ota_checker_data_version_t;

/** Set up @p c from @p cfg. @return OTA_OK; OTA_ERR_INVALID_ARG (NULL or no current_version). */
int ota_checker_data_version_init(ota_checker_data_version_t *c,
                                  const ota_checker_data_version_config_t *cfg);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CHECKER_DATA_VERSION_H */
