/**
 * @file ota_release.h
 * @brief A release (ota_manifest.h) installed as one: the complete old release or the complete new
 *        one after any power cut, and the data partitions rolled back with their app.
 *
 * How (docs/releases.md, "Installed as one"): every data partition a release names has a *twin*, a
 * partition of the same type, subtype and size labelled with OTA_RELEASE_TWIN_SUFFIX appended
 * ("flash_tone" and "flash_tone_b"). A release writes each data item into the twin the running
 * release does not use and its app into the next OTA slot, so nothing the device runs from is
 * touched; each item is checked against the manifest (size, SHA-256, version) before the commit.
 * The commit is one record in otadata's spare bytes (as the version floors, ota_floor_log.h) that
 * binds the otadata entry which will boot to the partition holding each label's data; with an app
 * item the otadata switch right after it is the commit point, without one the record itself is
 * (a torn record fails its CRC: the old binding holds). When the bootloader rolls the new app back
 * it boots the older entry, whose record names the older partitions: the data follow the app.
 *
 * An application reads its data through ota_release_data_partition(), not by label alone.
 */
#ifndef OTA_RELEASE_H
#define OTA_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/ota_manifest.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Label suffix of a data partition's twin: "flash_tone" -> "flash_tone_b". */
#define OTA_RELEASE_TWIN_SUFFIX "_b"

/** A release as the device records it. */
typedef struct {
    uint32_t sequence;    /**< the manifest's sequence; 0 = no release recorded */
    uint32_t otadata_seq; /**< the otadata entry the release is bound to */
    unsigned count;       /**< data labels bound */
    struct {
        char label[OTA_PARTITION_LABEL_MAX + 1]; /**< the label the manifest names */
        uint32_t offset;                         /**< the partition (label or its twin) holding it */
    } data[OTA_MANIFEST_MAX_ITEMS];
} ota_release_state_t;

/**
 * The partition that holds @p label's data for the release the device runs (the record bound to
 * the booted otadata entry); the partition labelled @p label when no release binds it.
 * @return OTA_OK, *@p out set; OTA_ERR_INVALID_ARG; OTA_ERR_NOT_FOUND (no such partition);
 *         flash read errors.
 */
int ota_release_data_partition(const ota_device_t *dev, const char *label, const ota_partition_info_t **out);

/** The release bound to the booted otadata entry (out->sequence 0: none). @return OTA_OK or a read error. */
int ota_release_installed(const ota_device_t *dev, ota_release_state_t *out);

/** A release begun and not committed (out->sequence 0: none). @return OTA_OK or a read error. */
int ota_release_in_progress(const ota_device_t *dev, ota_release_state_t *out);

/** The newest release sequence the device accepted into *@p out (0: none); it refuses an older manifest.
 * @return OTA_OK; OTA_ERR_INVALID_ARG; flash read errors. */
int ota_release_floor(const ota_device_t *dev, uint32_t *out);

/** A release to install. */
typedef struct {
    const uint8_t
        *manifest; /**< the manifest file: JSON text, or signed (text, 0xFF pad, signature sector) */
    size_t manifest_len;
    const char *base_uri; /**< the manifest's own URI: relative item URIs resolve against it (may be NULL) */
    /** Accept an unsigned manifest. Ignored (refused) when the device requires signed updates
     *  (ota_device_app_updates_signed): then the manifest must verify with its trusted keys. */
    bool allow_unsigned;
} ota_release_config_t;

/** Why a release was refused, for a message. */
typedef struct {
    int item;                  /**< the item at fault, -1 for the manifest as a whole */
    ota_manifest_diag_t parse; /**< where the parser stopped (OTA_ERR_MANIFEST_*) */
} ota_release_diag_t;

/**
 * Make @p cfg's release the service's upgrade list: the manifest is verified (signature as the
 * device requires), parsed and checked against the partition table, the device's release floor and
 * running slot - every refusal before anything is erased, each with its own code - and each item
 * becomes a default app or data procedure with a checker and a verifier bound to its manifest
 * entry. ota_service_run() then installs the items and commits them together after the last one
 * (see above); a failed item leaves the old release running, untouched.
 * @return OTA_OK; OTA_ERR_INVALID_ARG; the manifest's OTA_ERR_MANIFEST_* / OTA_ERR_SIG_* codes;
 *         OTA_ERR_RELEASE_* (ota_err.h); OTA_ERR_NO_MEM. @p diag may be NULL.
 */
int ota_service_set_release(ota_service_t *service, const ota_release_config_t *cfg,
                            ota_release_diag_t *diag);

#ifdef __cplusplus
}
#endif
#endif /* OTA_RELEASE_H */
