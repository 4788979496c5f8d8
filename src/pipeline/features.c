/* The optional update features as objects an application names in ota_service_config_t.features
 * (ota_update_features.h). Each object is its own section (-fdata-sections): a firmware that
 * names only some of them links only their code (--gc-sections). The refusals of a missing
 * feature are in feature_absent.c: every firmware links those, not necessarily these. */
#include "ota/ota_update_features.h"

#include "features.h"
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
