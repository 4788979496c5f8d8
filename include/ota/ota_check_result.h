/**
 * @file ota_check_result.h
 * @brief What a pre-download check found: ESP-ADF esp_ota_service's esp_ota_service_check_result_t
 *        (components/esp_ota_service/include/checker/esp_ota_service_checker.h, espressif/esp-adf
 *        master af7b72fb), field for field, plus the running version and our decision code.
 *
 * Filled by ota_service_check_update() (ota_service_adf.h), by ESP-ADF's manifest checker
 * (ota_checker_manifest.h, ota_adf_manifest.h) and by the data-version checker
 * (ota_checker_data_version.h); carried by the OTA_EVENT_CHECK_UPDATE event.
 */
#ifndef OTA_CHECK_RESULT_H
#define OTA_CHECK_RESULT_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** image_size when nobody announced one (ESP-ADF: UINT32_MAX). */
#define OTA_CHECK_SIZE_UNKNOWN UINT32_MAX

typedef struct ota_check_result {
    char version[32];       /**< incoming version ("1.2.3"); "" unknown (ESP-ADF version) */
    char label[32];         /**< project_name of an app / manifest, or the data partition's label */
    uint32_t image_size;    /**< incoming size in bytes; OTA_CHECK_SIZE_UNKNOWN if unknown */
    bool upgrade_available; /**< the item would be installed (decision == OTA_OK) */
    bool has_hash;          /**< hash holds a SHA-256 (the manifest's "sha256") */
    bool has_md5;           /**< md5 holds an MD5 (the manifest's "md5") */
    uint8_t hash[32];       /**< SHA-256 of the image, valid when has_hash */
    uint8_t md5[16];        /**< MD5 of the image, valid when has_md5 */
    /* ours, beyond ESP-ADF's struct */
    char running[32]; /**< version installed now ("" if none or unknown) */
    int decision;     /**< OTA_OK install; OTA_ERR_VERSION_NOT_NEWER / OTA_ERR_SVC_UP_TO_DATE skip;
                           any other ota_err_t: refused */
} ota_check_result_t;

/** Empty result: no version, size unknown, no upgrade. */
void ota_check_result_clear(ota_check_result_t *result);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CHECK_RESULT_H */
