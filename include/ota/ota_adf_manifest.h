/**
 * @file ota_adf_manifest.h
 * @brief ESP-ADF esp_ota_service's update manifest, read as its manifest checker reads it
 *        (esp_ota_service_checker_manifest_parse_json, components/esp_ota_service/src/checker/
 *        esp_ota_service_checker_manifest.c, espressif/esp-adf master af7b72fb).
 *
 * The body is a JSON object; every field is optional except "version":
 *
 *     {"version": "1.2.3", "project_name": "my_app", "size": 1048576,
 *      "sha256": "<64 hex digits>", "md5": "<32 hex digits>"}
 *
 * Read with ESP-ADF's (cJSON's) rules: keys match case-insensitively and the first of two equal keys
 * wins; "version" must be a non-empty string; "project_name" and "version" are kept to 31 bytes;
 * "size" counts only when it is a number above 0 (its integer part; 0.5 gives 0); "sha256" and "md5"
 * count only when they are exactly 64 / 32 hex digits (otherwise ignored, as ESP-ADF only warns);
 * unknown fields ("url", "file", "updated_at", ...) are skipped; text after the object is ignored.
 * Then the decision: with check_project_name and a current project, a different non-empty
 * project_name means no upgrade; with require_higher_version, an incoming version that
 * ota_semver_pack() cannot read means no upgrade, an unreadable current version is an error, and
 * otherwise the upgrade is available only when the incoming packed version is higher. Without it,
 * an upgrade is always available.
 *
 * Where this parser is stricter than cJSON, on purpose (bounded memory, one JSON grammar in the core):
 * a body over OTA_ADF_MANIFEST_MAX_SIZE bytes or OTA_ADF_MANIFEST_MAX_TOKENS tokens is refused, and
 * so are a raw control byte inside a string, bytes other than space, tab, CR and LF between tokens,
 * and numbers RFC 8259 does not allow (cJSON's strtod takes "01" or "1."). Pure: no I/O, no
 * allocation, no floating point; the tokens live on the stack (OTA_ADF_MANIFEST_MAX_TOKENS x 16 B).
 */
#ifndef OTA_ADF_MANIFEST_H
#define OTA_ADF_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/ota_check_result.h"

#ifdef __cplusplus
extern "C" {
#endif

/** ESP-ADF's MANIFEST_MAX_SIZE: the most body bytes its checker reads. */
#define OTA_ADF_MANIFEST_MAX_SIZE   4096u
/** JSON tokens held while parsing (ESP-ADF's example manifest.json needs 19). */
#define OTA_ADF_MANIFEST_MAX_TOKENS 64

/** The checker's policy (esp_ota_service_checker_manifest_cfg_t without the transport fields). */
typedef struct {
    const char *current_version; /**< running version "x.y.z"; required */
    bool require_higher_version; /**< upgrade only to a strictly higher packed semver */
    bool check_project_name;     /**< a different project_name means no upgrade */
    const char *current_project; /**< running project name; NULL: project not checked */
} ota_adf_manifest_policy_t;

/**
 * Parse the manifest @p json (@p len bytes, no NUL needed) and decide (ESP-ADF's
 * esp_ota_service_checker_manifest_parse_json). @p result gets version, label (project_name),
 * image_size, has_hash/hash, has_md5/md5, upgrade_available, and decision: OTA_OK (upgrade),
 * OTA_ERR_VERSION_NOT_NEWER (not higher), OTA_ERR_VERSION_UNPARSEABLE (incoming version not x.y.z)
 * or OTA_ERR_VERSION_PROJECT_MISMATCH; running = the current version.
 * @return OTA_OK (ESP_OK: read result->upgrade_available); OTA_ERR_INVALID_ARG (NULL argument or
 *         no current_version); OTA_ERR_MANIFEST_TOO_LARGE (above the size or token bound);
 *         OTA_ERR_MANIFEST_TRUNCATED / OTA_ERR_MANIFEST_MALFORMED (not JSON, or not an object:
 *         ESP-ADF's ESP_FAIL); OTA_ERR_MANIFEST_FIELD (no non-empty string "version": ESP_FAIL);
 *         OTA_ERR_VERSION_UNPARSEABLE (require_higher_version and the current version is not x.y.z:
 *         ESP_ERR_INVALID_VERSION). On an error @p result holds what was read so far.
 */
int ota_adf_manifest_parse(const char *json, size_t len, const ota_adf_manifest_policy_t *policy,
                           ota_check_result_t *result);

#ifdef __cplusplus
}
#endif
#endif /* OTA_ADF_MANIFEST_H */
