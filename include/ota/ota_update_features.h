/**
 * @file ota_update_features.h
 * @brief The optional update features of the default app/data procedures, picked at link time:
 *        signature verification (Secure Boot V2 / signed apps and data), pre-encrypted image
 *        decryption (esp_encrypted_img) and delta patches (esp_delta_ota).
 *
 * The service reaches each feature only through the table the application gives it in
 * ota_service_config_t.features, so a firmware that does not name a feature's object does not
 * link its code (with -ffunction-sections -fdata-sections -Wl,--gc-sections, as ESP-IDF and
 * every bare-metal build uses): the choice a Kconfig option or an MCUboot feature flag makes,
 * without an #ifdef in the core.
 *
 *     // everything (the host `ota` CLI, the tests, the benchmark, the demo):
 *     ota_service_config_t cfg = {.device = dev, .features = &ota_update_features_all};
 *     // a device that takes delta patches but has no Secure Boot and no decryption key:
 *     static const ota_update_features_t features = {.delta = &ota_update_feature_delta};
 *     ota_service_config_t cfg = {.device = dev, .features = &features};
 *
 * Fail closed: an absent feature (NULL field, or features NULL) is never a reason to skip a
 * check. An item that needs it is refused in prepare / need_upgrade, before anything is erased,
 * with OTA_ERR_NOT_SUPPORTED and a RESULT detail naming the missing feature:
 *  - signatures: the device requires signed apps (Secure Boot V2 or signed app updates) for an
 *    app item, or a signed data partition (ota_device_data_signed) for a data item;
 *  - decryption: the device has a decryption key (ota_device_t security.decrypt_key);
 *  - delta: an app item's stream starts with the esp_delta_ota magic (or, with
 *    ota_service_config_t.delta_allow_bare, with any byte other than an image's 0xE9).
 *
 * An application only names the ready-made objects below; their entry points (what the default
 * procedures call to attach a feature to an item's pipeline) are the core's own
 * (src/pipeline/features.h), not part of this API. The one function a firmware does call is the
 * bootloader's signature check, ota_update_feature_signatures.verify_boot.
 */
#ifndef OTA_UPDATE_FEATURES_H
#define OTA_UPDATE_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_sig_verify.h"
#include "ota/ota_stage.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ota_update_feature_sig_item; /* the pipeline's side of the signature feature (private) */

/** Signature verification of app and data items (src/pipeline/verifier_sig.c). */
typedef struct {
    /** The Secure Boot V2 check of an app in flash, for a bootloader built with the same features
     *  (ota_bootloader_config_t.verify_signature, ota_bootloader.h): ota_image_sig_verify_boot.
     *  @return OTA_OK if the app of @p image_len bytes in @p part verifies against @p dev's burned
     *          key digests; else ota_image_sig_verify_boot's codes. */
    int (*verify_boot)(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t image_len);
    /** The signature verifier of an item's pipeline (the core's; opaque here). */
    const struct ota_update_feature_sig_item *item;
} ota_update_feature_sig_t;

/** Decryption of pre-encrypted images (src/pipeline/stage_decrypt.c; opaque). */
typedef struct ota_update_feature_decrypt ota_update_feature_decrypt_t;

/** Delta patches for app items (src/pipeline/stage_delta.c; opaque). */
typedef struct ota_update_feature_delta ota_update_feature_delta_t;

/** The features a service may use; a NULL field is a feature that is not linked. */
typedef struct ota_update_features {
    const ota_update_feature_sig_t *signatures;     /**< NULL: signed items are refused */
    const ota_update_feature_decrypt_t *decryption; /**< NULL: a device with a decrypt key is refused */
    const ota_update_feature_delta_t *delta;        /**< NULL: patches are refused */
} ota_update_features_t;

/** Signature verification (links the Secure Boot V2 verifier and the public-key port calls). */
extern const ota_update_feature_sig_t ota_update_feature_signatures;
/** Image decryption (links esp_encrypted_img's decryptor and the RSA/ECDH + GCM port calls). */
extern const ota_update_feature_decrypt_t ota_update_feature_decryption;
/** Delta patches (links the esp_delta_ota/detools applier and heatshrink). */
extern const ota_update_feature_delta_t ota_update_feature_delta;
/** All three: what the host `ota` CLI, the tests, the benchmark and the demo use. */
extern const ota_update_features_t ota_update_features_all;

#ifdef __cplusplus
}
#endif
#endif /* OTA_UPDATE_FEATURES_H */
