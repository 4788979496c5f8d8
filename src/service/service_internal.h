/* What the default procedures need from the service engine; not public API. */
#ifndef OTA_SERVICE_INTERNAL_H
#define OTA_SERVICE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_service.h"
#include "adf_state.h" /* ESP-ADF hook */

/** The service's working buffer (one per service, allocated at create). */
uint8_t *ota_service_work_buffer(ota_service_t *service, size_t *size);

/** True once ota_service_stop() was called for the current run. */
bool ota_service_stop_requested(const ota_service_t *service);

/** Emit PROGRESS for the current item, rate-limited (force: emit regardless, e.g. at 100%). */
void ota_service_report_progress(ota_service_t *service, uint64_t bytes, int64_t total, bool force);

/** Emit VERSION_CHECK for the current item. */
void ota_service_report_version_check(ota_service_t *service, const char *running, const char *incoming,
                                      bool enforced, int decision);

/** Attach the HTTP status and a detail text to the current item's RESULT event. */
void ota_service_set_item_detail(ota_service_t *service, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** From ota_item_stream after a chunk: true when ota_service_step() drives a default procedure's
 *  execute_upgrade; the service then calls ota_item_stream_resume once per step with these
 *  arguments (@p item: the ota_item_t) instead of the procedure looping. False otherwise (run to the end in the caller). */
bool ota_service_defer_stream(ota_service_t *service, void *item, size_t chunk,
                              void (*on_chunk)(void *arg, uint32_t at, size_t n), void *arg);

/* --- ESP-ADF hooks (service_adf.c; adf_state.h) -------------------------------------------- */
/** The engine's ESP-ADF state: progress, pause, check capture. */
ota_adf_state_t *ota_service_adf_state(ota_service_t *service);
/** Check-only run of one item (nothing executed, nothing erased); the CHECK_UPDATE event. */
int ota_service_check_item(ota_service_t *service, int index, struct ota_check_result *out);

#endif /* OTA_SERVICE_INTERNAL_H */
