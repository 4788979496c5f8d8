/**
 * @file ota_checker_manifest.h
 * @brief ESP-ADF esp_ota_service's manifest checker (esp_ota_service_checker_manifest_create,
 *        components/esp_ota_service/src/checker/esp_ota_service_checker_manifest.c, espressif/esp-adf
 *        master af7b72fb) as an ota_checker_t: the decision comes from a JSON manifest fetched from
 *        its own URI (ota_adf_manifest.h says how it is read), not from the image's bytes.
 *
 * As in ESP-ADF's example, fetch it first to learn the hashes and arm verifiers, then install it
 * (or not: the fetched result stands) on the item:
 *
 *     ota_checker_manifest_init(&mc, &cfg);
 *     ota_checker_manifest_fetch(&mc);             // mc.result: version, size, sha256, md5
 *     ... in the item's prepare:
 *     ota_path_set_checker(*handle, &mc.checker);  // the item's decision is the manifest's
 *     if (mc.result.has_md5) { ota_verifier_md5_init(&v, mc.result.md5);
 *                              ota_path_add_verifier(*handle, &v.verifier); }
 *
 * check() fetches the manifest if it was not fetched yet; its result: OTA_OK (upgrade),
 * result.decision when there is none (OTA_ERR_VERSION_NOT_NEWER skips the item; a project
 * mismatch or an unreadable incoming version refuses it: ESP-ADF skips those silently), or the
 * fetch/parse error. As in ESP-ADF, "size" and the hashes are reported, not enforced by the checker:
 * arm the MD5 verifier (ota_verifier_md5.h) or compare the size where they must hold.
 */
#ifndef OTA_CHECKER_MANIFEST_H
#define OTA_CHECKER_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "ota/ota_adf_manifest.h"
#include "ota/ota_check_result.h"
#include "ota/ota_checker.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/** esp_ota_service_checker_manifest_cfg_t (cert_pem and timeout_ms: the service's source settings). */
typedef struct {
    const char *manifest_uri;         /**< file:// or http(s):// of the JSON manifest (not copied) */
    ota_adf_manifest_policy_t policy; /**< current_version (required), require_higher_version,
                                            check_project_name, current_project (not copied) */
    ota_service_t *service;           /**< required: its source opener and settings fetch the
                                            manifest; VERSION_CHECK / check_update get the result */
} ota_checker_manifest_config_t;

typedef struct {
    ota_checker_t checker; /**< what ota_path_set_checker() takes (ctx: this struct) */
    ota_checker_manifest_config_t cfg;
    ota_check_result_t result; /**< after a fetch */
    int fetched;               /**< 0: not yet; else the fetch's result (OTA_OK or an error) */
    size_t body_len;
    char body[OTA_ADF_MANIFEST_MAX_SIZE]; /**< ESP-ADF reads at most this many bytes too */
} ota_checker_manifest_t;

/** Set up @p c. @return OTA_OK; OTA_ERR_INVALID_ARG (NULL, no URI, service or current_version). */
int ota_checker_manifest_init(ota_checker_manifest_t *c, const ota_checker_manifest_config_t *cfg);

/**
 * Fetch and read the manifest now (ESP-ADF's check() with a NULL source, before the session).
 * @return OTA_OK (c->result holds it; read upgrade_available); OTA_ERR_SRC_* (fetch);
 *         OTA_ERR_MANIFEST_TOO_LARGE (over OTA_ADF_MANIFEST_MAX_SIZE bytes: ESP_ERR_INVALID_SIZE);
 *         OTA_ERR_MANIFEST_TRUNCATED (empty body); what ota_adf_manifest_parse() returns.
 */
int ota_checker_manifest_fetch(ota_checker_manifest_t *c);

#ifdef __cplusplus
}
#endif
#endif /* OTA_CHECKER_MANIFEST_H */
