/* The optional update features the component's Kconfig selects (ota_update_features.h). Only
 * the objects named here are linked: with none selected the signature verifier, the decryptor
 * and the patch applier stay out of the firmware (ESP-IDF links with --gc-sections). */
#include <stddef.h>

#include "sdkconfig.h"

#include "ota/port/ota_port_esp_idf.h"
#include "ota/ota_update_features.h"

#if CONFIG_OTA_SERVICE_FEATURE_SIGNATURES || CONFIG_OTA_SERVICE_FEATURE_DECRYPTION || \
    CONFIG_OTA_SERVICE_FEATURE_DELTA
static const ota_update_features_t k_features = {
#if CONFIG_OTA_SERVICE_FEATURE_SIGNATURES
    .signatures = &ota_update_feature_signatures,
#endif
#if CONFIG_OTA_SERVICE_FEATURE_DECRYPTION
    .decryption = &ota_update_feature_decryption,
#endif
#if CONFIG_OTA_SERVICE_FEATURE_DELTA
    .delta = &ota_update_feature_delta,
#endif
};
#define OTA_ESP_IDF_FEATURES (&k_features)
#else
#define OTA_ESP_IDF_FEATURES NULL
#endif

const ota_update_features_t *ota_esp_idf_features(void)
{
    return OTA_ESP_IDF_FEATURES;
}
