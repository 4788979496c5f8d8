/* The optional update features as the default procedures reach them (pipeline internal; the
 * public side is ota_update_features.h). */
#ifndef OTA_SERVICE_FEATURES_H
#define OTA_SERVICE_FEATURES_H

#include <stdbool.h>

#include "path.h"
#include "ota/ota_update_features.h"

/** The features of a configuration; never NULL (none configured: a table of NULLs). */
static inline const ota_update_features_t *ota_features_or_none(const ota_update_features_t *features)
{
    static const ota_update_features_t none = {0};
    return features != NULL ? features : &none;
}

/**
 * Refuse @p item because it needs a feature the firmware did not link (fail closed: nothing is
 * erased, nothing installed unverified). @p feature names it ("signature verification"), @p why
 * says what asks for it. Returns OTA_ERR_NOT_SUPPORTED.
 */
int ota_feature_missing(ota_item_t *item, const char *feature, const char *why);

/**
 * Without the delta feature: peek the app item's stream and refuse it (ota_feature_missing) if
 * it is a patch as ota_delta_stage_attach would take it (the esp_delta_ota magic; any first byte
 * other than an image's 0xE9 when @p allow_bare). OTA_OK if it is not one; a source error.
 */
int ota_feature_delta_absent(ota_item_t *item, bool allow_bare);

#endif /* OTA_SERVICE_FEATURES_H */
