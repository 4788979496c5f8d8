/* The optional update features as objects an application names in ota_service_config_t.features
 * (ota_update_features.h). Each object is its own section (-fdata-sections): a firmware that
 * names only some of them links only their code (--gc-sections). */
#include "ota/ota_update_features.h"

#include "features.h"
#include "ota/ota_app_image.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"
#include "boot/ota_image_sig.h"
#include "partition_writer.h"
#include "pipeline/ota_stage_decrypt.h"
#include "stage_delta.h"
#include "verifier_sig.h"

static const struct ota_update_feature_sig_item s_sig_item = {
    .add = ota_sig_check_add,
    .trust = ota_sig_check_trust,
    .free = ota_sig_check_free,
    .fit = ota_sig_check_fit,
    .floors = &ota_pw_floors,
};

const ota_update_feature_sig_t ota_update_feature_signatures = {
    .verify_boot = ota_image_sig_verify_boot,
    .item = &s_sig_item,
};

const ota_update_feature_decrypt_t ota_update_feature_decryption = {
    .create = ota_stage_decrypt_create,
    .free = ota_stage_decrypt_free,
    .plain_size = ota_stage_decrypt_plain_size,
    .insert = ota_stages_insert_after_peek,
};

const ota_update_feature_delta_t ota_update_feature_delta = {
    .attach = ota_delta_stage_attach,
    .free = ota_delta_stage_free,
};

const ota_update_features_t ota_update_features_all = {
    .signatures = &ota_update_feature_signatures,
    .decryption = &ota_update_feature_decryption,
    .delta = &ota_update_feature_delta,
};

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
