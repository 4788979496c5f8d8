/**
 * @file ota_service_adf.h
 * @brief ESP-ADF esp_ota_service's newer calls on this service: check_update, get_progress,
 *        pause / resume (components/esp_ota_service/include/esp_ota_service.h, espressif/esp-adf
 *        master af7b72fb; docs/esp-adf-api.md maps every name).
 *
 * | ESP-ADF                                   | here                                   |
 * |-------------------------------------------|----------------------------------------|
 * | esp_ota_service_check_update(svc, i, out) | ota_service_check_update(s, i, out)    |
 * | esp_ota_service_update_info_t             | ota_check_result_t (ota_check_result.h)|
 * | ESP_OTA_SERVICE_EVT_ITEM_VER_CHECK        | OTA_EVENT_CHECK_UPDATE (+ VERSION_CHECK)|
 * | esp_ota_service_get_progress(svc, w,t,p)  | ota_service_get_progress(s, w, t, p)   |
 * | esp_service_pause / esp_service_resume    | ota_service_pause / ota_service_resume |
 */
#ifndef OTA_SERVICE_ADF_H
#define OTA_SERVICE_ADF_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/ota_check_result.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Check item @p index without installing it: its prepare (the source is opened), then its
 * need_upgrade (stages and checker on the first output bytes: versions, size, manifest data), then
 * its finished_check with OTA_ERR_CANCELLED, which releases it. execute_upgrade never runs: nothing
 * is erased or written. Emits VERSION_CHECK (when the checker reports one) and CHECK_UPDATE
 * (payload @p out), no ITEM_BEGIN / RESULT / FINISH.
 * @p out: version, running, label (the data partition's label, or the manifest's project_name),
 * image_size (the source's size, or the manifest's), upgrade_available, decision, and the
 * manifest checker's hash / md5.
 * @return OTA_OK when the check decided (out->upgrade_available: install or not, out->decision:
 *         OTA_OK or the skip code OTA_ERR_VERSION_NOT_NEWER / OTA_ERR_SVC_UP_TO_DATE);
 *         the refusal otherwise (also in out->decision): a source error, OTA_ERR_IMG_*, ...;
 *         OTA_ERR_INVALID_ARG (NULL, index outside the list); OTA_ERR_SVC_NO_LIST;
 *         OTA_ERR_BUSY while a run is in progress; OTA_ERR_SVC_NULL_STEP (no prepare/need_upgrade).
 */
int ota_service_check_update(ota_service_t *service, int index, ota_check_result_t *out);

/**
 * Progress of the item being run (the last one, after the run): output bytes written so far, its
 * size (OTA_CHECK_SIZE_UNKNOWN if unknown) and 0..100 (-1 when the size is unknown or 0). Any
 * pointer may be NULL. Safe from another thread or from the event callback.
 * @return OTA_OK; OTA_ERR_INVALID_ARG for a NULL @p service.
 */
int ota_service_get_progress(const ota_service_t *service, uint32_t *written, uint32_t *total,
                             int32_t *percent);

/**
 * Pause the run at the next chunk boundary (before the next source read). What is on flash stays
 * as at any chunk boundary: the device boots the running app, an interrupted data item is
 * detectably incomplete. Under ota_service_run() or the worker the run's thread waits there (call
 * ota_service_resume() from another thread or a callback of your own); under ota_service_step()
 * each call returns OTA_SERVICE_IN_PROGRESS without doing anything. ota_service_stop() ends a
 * pause (the item fails CANCELLED). May be called before the run starts.
 * @return OTA_OK; OTA_ERR_INVALID_ARG for a NULL @p service.
 */
int ota_service_pause(ota_service_t *service);

/** Continue a paused run where it stood: no byte is read, erased or written twice.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG for a NULL @p service. */
int ota_service_resume(ota_service_t *service);

/** True while the run stands at a pause point (it was paused and has reached one). */
bool ota_service_is_paused(const ota_service_t *service);

/**
 * For a checker's own result (the ESP-ADF checkers of ota_checker_manifest.h and
 * ota_checker_data_version.h call it): emits VERSION_CHECK (running, incoming, decision) and, in a
 * check-only run, copies what @p result knows (version, label, size, hashes) into its result.
 */
void ota_service_report_check(ota_service_t *service, const ota_check_result_t *result);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SERVICE_ADF_H */
