/* What the default procedures need from the service engine; not public API. */
#ifndef OTA_SERVICE_INTERNAL_H
#define OTA_SERVICE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_service.h"
#include "ota/ota_update_features.h"
#include "pipeline/features.h"
#include "pipeline/path.h"
#include "adf_state.h" /* ESP-ADF hook */

/* The first three are also the events of the engine's pipelines (ota_path_events_t): they take
 * the service as the events' context, hence void *. */

/** The service's working buffer (one per service, allocated at create). */
uint8_t *ota_service_work_buffer(void *service, size_t *size);

/** True once ota_service_stop() was called for the current run. */
bool ota_service_stop_requested(void *service);

/** Emit PROGRESS for the current item, rate-limited (force: emit regardless, e.g. at 100%). */
void ota_service_report_progress(void *service, uint64_t bytes, int64_t total, bool force);

/** Emit VERSION_CHECK for the current item. */
void ota_service_report_version_check(ota_service_t *service, const char *running, const char *incoming,
                                      bool enforced, int decision);

/** Attach the HTTP status and a detail text to the current item's RESULT event. */
void ota_service_set_item_detail(ota_service_t *service, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** The events of the pipelines the engine drives (their context: the service). A default
 *  procedure's prepare, the factory of its item's pipeline, opens it with them (ota_item_open). */
extern const ota_path_events_t ota_service_path_events;

/** The service of an item opened with ota_service_path_events (their context). */
static inline ota_service_t *ota_item_service(const ota_item_t *item)
{
    return item->events_ctx;
}

/** The service's feature table; never NULL (none configured: a table of NULLs). */
const ota_update_features_t *ota_service_features(const ota_service_t *service);

/* --- ESP-ADF hooks (service_adf.c; adf_state.h) -------------------------------------------- */
/** The engine's ESP-ADF state: progress, pause, check capture. */
ota_adf_state_t *ota_service_adf_state(ota_service_t *service);
/** Check-only run of one item (nothing executed, nothing erased); the CHECK_UPDATE event. */
int ota_service_check_item(ota_service_t *service, int index, struct ota_check_result *out);

#endif /* OTA_SERVICE_INTERNAL_H */
