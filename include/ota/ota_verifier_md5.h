/**
 * @file ota_verifier_md5.h
 * @brief ESP-ADF esp_ota_service's MD5 verifier (esp_ota_service_verifier_md5_create,
 *        components/esp_ota_service/src/verifier/esp_ota_service_verifier_md5.c, espressif/esp-adf
 *        master af7b72fb) as an ota_verifier_t: the MD5 of every output byte, compared at the end
 *        with the expected digest (e.g. the manifest's "md5", ota_check_result_t::md5). A mismatch
 *        is OTA_ERR_SVC_MD5_MISMATCH (ESP-ADF: ESP_ERR_INVALID_CRC) and nothing is committed.
 *
 * MD5 catches corruption, not a forger: use it beside the image's own checks or a signature. The
 * caller owns the storage (no allocation); install it on an item with
 *
 *     ota_verifier_md5_init(&md5v, result.md5);
 *     ota_path_add_verifier(handle, &md5v.verifier);
 */
#ifndef OTA_VERIFIER_MD5_H
#define OTA_VERIFIER_MD5_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_verifier.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    ota_verifier_t verifier; /**< what ota_path_add_verifier() takes (ctx: this struct) */
    uint8_t expected[OTA_MD5_LEN];
    uint8_t computed[OTA_MD5_LEN]; /**< after finish() */
    ota_md5_ctx_t md5;
    char message[96];
} ota_verifier_md5_t;

/** Set up @p v to expect @p expected_md5 (16 bytes). */
void ota_verifier_md5_init(ota_verifier_md5_t *v, const uint8_t expected_md5[OTA_MD5_LEN]);

#ifdef __cplusplus
}
#endif
#endif /* OTA_VERIFIER_MD5_H */
