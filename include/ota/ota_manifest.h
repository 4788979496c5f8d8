/**
 * @file ota_manifest.h
 * @brief Release manifests: the JSON list of one release's items, parsed in bounded memory.
 *
 * Two shapes are read (docs/releases.md describes both field by field):
 *  - a release manifest: {"format": "ota-release-1", "sequence": N, "items": [{"label", "type",
 *    "uri", "size", "sha256", "version", "min_running_version"?, "md5"?}, ...]};
 *  - ESP-ADF esp_ota_service's single-item manifest (components/esp_ota_service,
 *    esp_ota_service_checker_manifest.c): {"version", "project_name"?, "size"?, "sha256"?, "md5"?,
 *    "url"?}, read as one app item with no sequence.
 *
 * The parser is pure: no I/O, no allocation. The JSON tokens (jsmn, strict mode) live on the stack,
 * OTA_MANIFEST_MAX_TOKENS of them; every string is copied into a fixed field of ota_manifest_t.
 * Anything past a documented limit is refused (OTA_ERR_MANIFEST_TOO_LARGE, OTA_ERR_MANIFEST_FIELD),
 * never cut.
 *
 * A signed manifest is the JSON text padded with 0xFF to 4 KiB plus one Secure Boot V2 signature
 * sector (espsecure sign_data --version 2 layout, ota_sig_block.h); ota_manifest_verify_signed()
 * checks it against the device's trusted key digests.
 */
#ifndef OTA_MANIFEST_H
#define OTA_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_partition.h"
#include "ota/ota_sig_verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTA_MANIFEST_MAX_SIZE    8192u /**< JSON text bytes (the signed data is at most 8 KiB) */
#define OTA_MANIFEST_MAX_ITEMS   8u    /**< items in one release */
#define OTA_MANIFEST_MAX_TOKENS  256u  /**< JSON tokens (4 KiB of stack on a 32-bit device) */
#define OTA_MANIFEST_URI_MAX     256u  /**< bytes of a URI (without the NUL) */
#define OTA_MANIFEST_VERSION_MAX 32u   /**< bytes of a version: esp_app_desc_t.version is char[32] */
#define OTA_MANIFEST_PROJECT_MAX 32u   /**< bytes of ESP-ADF's project_name (esp_app_desc_t) */
/** The format word of a release manifest. */
#define OTA_MANIFEST_FORMAT      "ota-release-1"

/** Which shape the text had. */
typedef enum {
    OTA_MANIFEST_RELEASE = 0, /**< this project's release manifest */
    OTA_MANIFEST_ESP_ADF = 1, /**< ESP-ADF esp_ota_service's single-item manifest */
} ota_manifest_kind_t;

/** What an item is written to. */
typedef enum {
    OTA_MANIFEST_ITEM_APP = 0,  /**< an app image, into the next OTA app slot (or the labelled one) */
    OTA_MANIFEST_ITEM_DATA = 1, /**< a data partition (tone image, data-version header image...) */
} ota_manifest_item_type_t;

/** One item, decoded. Strings are NUL-terminated; an absent optional string is "". */
typedef struct {
    ota_manifest_item_type_t type;
    char label[OTA_PARTITION_LABEL_MAX + 1]; /**< partition label; "" for an app item = next OTA slot */
    char uri[OTA_MANIFEST_URI_MAX + 1];      /**< where the bytes are ("" when ESP-ADF's has no url) */
    bool has_size;                           /**< always true in a release manifest */
    uint32_t size;                           /**< bytes of the item */
    bool has_sha256;                         /**< always true in a release manifest */
    uint8_t sha256[32];                      /**< SHA-256 of the item's size bytes */
    bool has_md5;                            /**< "md5" given (ESP-ADF's verifier_md5) */
    uint8_t md5[16];
    char version[OTA_MANIFEST_VERSION_MAX + 1];             /**< app desc / tone / data-version text */
    char min_running_version[OTA_MANIFEST_VERSION_MAX + 1]; /**< "" = any running version */
    char project_name[OTA_MANIFEST_PROJECT_MAX + 1];        /**< ESP-ADF's project_name, else "" */
} ota_manifest_item_t;

/** A whole manifest, decoded. */
typedef struct {
    ota_manifest_kind_t kind;
    uint32_t sequence; /**< release sequence number (1..2^32-1); 0 for an ESP-ADF manifest */
    unsigned count;    /**< items (1..OTA_MANIFEST_MAX_ITEMS) */
    ota_manifest_item_t items[OTA_MANIFEST_MAX_ITEMS];
} ota_manifest_t;

/** Where parsing stopped and why, for a message. */
typedef struct {
    size_t offset;     /**< byte offset in the text of the offending token (0 when not tied to one) */
    int item;          /**< index of the offending item, -1 when not in an item */
    const char *field; /**< the field at fault ("size", "sha256"...), or NULL (a static string) */
} ota_manifest_diag_t;

/**
 * Parse @p len bytes of JSON text (no NUL needed; trailing 0xFF padding of a signed file must be
 * cut first, ota_manifest_json_len()). Unknown fields are skipped (ESP-ADF's manifest.json carries
 * "example", "file", "updated_at"), a known field given twice is refused.
 * @return OTA_OK and @p out filled; OTA_ERR_INVALID_ARG (NULL); OTA_ERR_MANIFEST_TOO_LARGE (over
 *         OTA_MANIFEST_MAX_SIZE bytes, OTA_MANIFEST_MAX_TOKENS tokens or OTA_MANIFEST_MAX_ITEMS items);
 *         OTA_ERR_MANIFEST_TRUNCATED (the text ends inside the document); OTA_ERR_MANIFEST_MALFORMED
 *         (not one JSON object, a required field missing or of the wrong JSON type);
 *         OTA_ERR_MANIFEST_FIELD (a value out of its range: unknown format or type, label or string
 *         too long, bad sequence, a known field twice); OTA_ERR_MANIFEST_SIZE (size not an integer
 *         1..4294967295); OTA_ERR_MANIFEST_HASH (sha256 / md5 not 64 / 32 hex digits);
 *         OTA_ERR_MANIFEST_DUPLICATE (two items for one label, or two app items).
 *         @p diag (may be NULL) says where.
 */
int ota_manifest_parse(const char *json, size_t len, ota_manifest_t *out, ota_manifest_diag_t *diag);

/**
 * Check the items against a partition table: each labelled item's partition exists and has the
 * item's type (app / data), the item fits it, and no two items' partitions share a byte. An app
 * item without a label is checked against the smallest OTA app slot.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL); OTA_ERR_MANIFEST_PARTITION (no such partition, wrong
 *         type, too small; @p bad_item gets the index); OTA_ERR_MANIFEST_OVERLAP (two items' partitions
 *         overlap; @p bad_item gets the later one). @p bad_item may be NULL.
 */
int ota_manifest_check_partitions(const ota_manifest_t *m, const ota_partition_table_t *table, int *bad_item);

/**
 * Length of the JSON text in @p len bytes of a manifest file: @p len without a trailing run of 0xFF
 * (espsecure's padding; JSON text never holds a 0xFF byte).
 */
size_t ota_manifest_json_len(const uint8_t *data, size_t len);

/**
 * Verify a signed manifest file (@p data, @p len bytes: the JSON text padded with 0xFF to 4 KiB,
 * then a 4096-byte Secure Boot V2 signature sector) with the keys the device trusts (@p trust: the
 * burned key digests, or the running app's block-0 key with block0_only). On OTA_OK,
 * *@p json_len (may be NULL) gets the JSON text length to hand to ota_manifest_parse().
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL); OTA_ERR_SIG_UNSIGNED (not a whole number of 4 KiB
 *         sectors, or no signature sector); OTA_ERR_MANIFEST_TOO_LARGE (signed data over
 *         OTA_MANIFEST_MAX_SIZE); the codes of ota_sig_verify_sector(). @p rep (may be NULL) gets the
 *         per-block details.
 */
int ota_manifest_verify_signed(const uint8_t *data, size_t len, const ota_sig_trust_t *trust,
                               ota_sig_report_t *rep, size_t *json_len);

/** "app" or "data". */
const char *ota_manifest_item_type_name(ota_manifest_item_type_t type);

#ifdef __cplusplus
}
#endif
#endif /* OTA_MANIFEST_H */
