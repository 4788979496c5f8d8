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
 * The fields below are the features' entry points as the default procedures call them; an
 * application only picks the ready-made objects and never calls them itself.
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

struct ota_path;      /* an item's pipeline (ota_path.h) */
struct ota_sig_check; /* a signature verifier attached to an item (opaque) */

/** Signature verification of app and data items (src/service/verifier_sig.c). */
typedef struct {
    /** Attach a signature verifier to @p item (the signature sector after the image, @p layout),
     *  whose image plus signature sector must fit @p room bytes; @p image_len(@p arg) says the
     *  image's length once known (APP layout; NULL for DATA). *out is released with @ref free.
     *  @return OTA_OK, *out set; OTA_ERR_NO_MEM; OTA_ERR_INVALID_ARG if the item has no room for
     *          another verifier; OTA_ERR_INVALID_STATE if the item has started streaming. */
    int (*add)(struct ota_path *item, ota_sig_layout_t layout, uint32_t room,
               uint64_t (*image_len)(void *arg), void *arg, struct ota_sig_check **out);
    /** Take the device's trusted keys, before anything is erased.
     *  @return OTA_OK; else the item is refused with what ota_image_sig_trust returned. */
    int (*trust)(struct ota_sig_check *chk);
    /** Release what @ref add made (NULL: nothing). Returns nothing. */
    void (*free)(struct ota_sig_check *chk);
    /** Before any erase, with the stream's size @p total if known (-1 unknown): refuse the item
     *  when its image, padded to 4 KiB, and the signature sector cannot fit the room.
     *  @return OTA_OK (fits, or size unknown); OTA_ERR_SIG_NO_ROOM (the image alone would fit);
     *          OTA_ERR_IMG_TOO_LARGE (not even the image). */
    int (*fit)(struct ota_sig_check *chk, int64_t total);
    /** The Secure Boot V2 check of an app in flash, for a bootloader built with the same features
     *  (ota_bootloader_config_t.verify_signature, ota_bootloader.h): ota_image_sig_verify_boot.
     *  @return OTA_OK if the app of @p image_len bytes in @p part verifies against @p dev's burned
     *          key digests; else ota_image_sig_verify_boot's codes. */
    int (*verify_boot)(const ota_device_t *dev, const ota_partition_info_t *part, uint32_t image_len);
} ota_update_feature_sig_t;

/** Decryption of pre-encrypted app images (src/service/stage_decrypt.c, ota_stage_decrypt.h). */
typedef struct {
    /** Make a decrypt stage for @p key (borrowed).
     *  @return OTA_OK, *out set; OTA_ERR_INVALID_ARG if @p key or its data is NULL; OTA_ERR_NO_MEM. */
    int (*create)(const ota_enc_img_key_t *key, ota_stage_t *out);
    /** Release a stage made by @ref create (its ctx NULL: nothing). Returns nothing. */
    void (*free)(ota_stage_t *stage);
    /** The plaintext size the stage's esp_encrypted_img header declares (the size checks before the
     *  first erase), -1 while the header has not been read. */
    int64_t (*plain_size)(const ota_stage_t *stage);
    /** Put the stage made by @ref create first in @p item's path, before anything is read but
     *  what was peeked (those bytes become its first input). The stage driver comes with it: a
     *  firmware without stages does not link it.
     *  @return OTA_OK; OTA_ERR_INVALID_STATE (the item has stages or has started streaming);
     *          OTA_ERR_INVALID_ARG (not a valid stage); OTA_ERR_NO_MEM. */
    int (*insert)(struct ota_path *item, const ota_stage_t *stage);
} ota_update_feature_decrypt_t;

/** Delta patches for app items (src/service/stage_delta.c). */
typedef struct {
    /** Peek the item's stream; if it is a patch, check its header and base (before any erase)
     *  and put the delta stage in front. *ctx: the stage's context, NULL if not a patch.
     *  @return OTA_OK (patch or not); OTA_ERR_SVC_UP_TO_DATE (already updated from the patch's
     *          base); else a refusal (OTA_ERR_DELTA_*, OTA_ERR_IMG_TOO_LARGE, OTA_ERR_NO_MEM, a
     *          source error). */
    int (*attach)(struct ota_path *item, bool allow_bare, void **ctx);
    /** Release a context of @ref attach (NULL: nothing). Returns nothing. */
    void (*free)(void *ctx);
} ota_update_feature_delta_t;

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
