/* What the default procedures do when an update needs an optional feature the firmware did not
 * link (features.h): refuse it before anything is erased. Apart from the feature objects
 * (features.c), which name the stage driver: a firmware that links none of them does not link the
 * driver either (path.h). */
#include "features.h"
#include "ota/ota_app_image.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"

int ota_feature_missing(ota_item_t *item, const char *feature, const char *why)
{
    return ota_item_refuse(item, OTA_ERR_NOT_SUPPORTED,
                           "%s, but the %s feature is not linked into this firmware "
                           "(ota_service_config_t.features): refused, nothing erased",
                           why, feature);
}

int ota_feature_delta_absent(ota_item_t *item, bool allow_bare)
{
    if (item->stages != NULL || (item->total >= 0 && item->total < 4)) {
        return OTA_OK; /* another stage's output, or too short for a patch: the checker decides */
    }
    int err = ota_item_peek(item, 4);
    if (err == OTA_ERR_IMG_TRUNCATED) {
        return OTA_OK;
    }
    if (err != OTA_OK) {
        return err;
    }
    const uint8_t *p = item->peek;
    uint32_t magic = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (magic == OTA_DELTA_ESP_MAGIC) {
        return ota_feature_missing(item, "delta update", "the stream is an esp_delta_ota patch");
    }
    if (allow_bare && p[0] != OTA_IMAGE_MAGIC) {
        return ota_feature_missing(item, "delta update", "the stream is not an image (a bare patch?)");
    }
    return OTA_OK;
}
