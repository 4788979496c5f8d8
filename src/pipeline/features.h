/* The optional update features as the default procedures reach them (pipeline internal; the
 * public side is ota_update_features.h). */
#ifndef OTA_PIPELINE_FEATURES_H
#define OTA_PIPELINE_FEATURES_H

#include <stdbool.h>

#include "ota/ota_enc_img_decrypt.h"
#include "ota/ota_sig_verify.h"
#include "ota/ota_stage.h"
#include "path.h"
#include "ota/ota_update_features.h"

/* The features' entry points as the default procedures call them (the public header names the
 * objects only). */

struct ota_sig_check; /* a signature verifier attached to an item (verifier_sig.h) */

/** The item side of signature verification (verifier_sig.c). */
struct ota_update_feature_sig_item {
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
    /** The data partitions' version floors (partition_writer.h): they come with this feature. */
    const struct ota_pw_floors *floors;
};

/** Decryption of pre-encrypted images (stage_decrypt.c, ota_stage_decrypt.h). */
struct ota_update_feature_decrypt {
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
};

/** Delta patches for app items (stage_delta.c). */
struct ota_update_feature_delta {
    /** Peek the item's stream; if it is a patch, check its header and base (before any erase)
     *  and put the delta stage in front. *ctx: the stage's context, NULL if not a patch.
     *  @return OTA_OK (patch or not); OTA_ERR_SVC_UP_TO_DATE (already updated from the patch's
     *          base); else a refusal (OTA_ERR_DELTA_*, OTA_ERR_IMG_TOO_LARGE, OTA_ERR_NO_MEM, a
     *          source error). */
    int (*attach)(struct ota_path *item, bool allow_bare, void **ctx);
    /** Release a context of @ref attach (NULL: nothing). Returns nothing. */
    void (*free)(void *ctx);
};

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

#endif /* OTA_PIPELINE_FEATURES_H */
