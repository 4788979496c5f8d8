/* The engine's state (private to src/service): service.c runs it, service_adf.c (ESP-ADF's
 * check_update, progress and pause) reads it. */
#ifndef OTA_SERVICE_STRUCT_H
#define OTA_SERVICE_STRUCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "adf_state.h"
#include "ota/ota_service.h"
#include "ota/port/ota_port.h"
#include "pipeline/path.h"

/* The hook of a list maker: the first member of its context (service->ext). */
typedef struct ota_service_ext {
    int (*after_list)(struct ota_service_ext *ext, ota_service_summary_t *sum);
} ota_service_ext_t;

struct ota_service {
    ota_service_config_t cfg;
    uint8_t *work;
    size_t work_size;

    ota_upgrade_ops_t *list; /* copy; node strings owned (see copy_item) */
    int count;

    /* the item being run */
    int current_id;
    const ota_node_attr_t *current_node;
    uint64_t last_progress_ms;
    int item_http_status;
    char item_detail[256];

    /* where the run is (ota_service_step); run() and the worker loop over the same steps */
    int state;
    int next; /* index of the next / current item */
    int first_restart_item;
    void *handle; /* the current item's procedure handle */
    int item_ret; /* the current item's result so far */
    ota_service_summary_t sum;
    bool stepping;    /* ota_service_step() claimed the service */
    bool yield_ok;    /* in execute_upgrade under ota_service_step: a pipeline may hand its loop over */
    ota_path_t *path; /* the pipeline the engine steps (RS_STREAM), NULL if none */

    /* worker thread */
    ota_port_thread_t *worker;
    int running;        /* atomic: a run is in progress (run or worker) */
    int stop_requested; /* atomic */
    int worker_result;
    ota_service_summary_t worker_summary;

    ota_adf_state_t adf; /* ESP-ADF hook: progress, pause, check-only result (adf_state.h) */

    /* A list maker's hook (a release, release_commit.c), NULL: none. One pointer: the maker's
     * context starts with it (ota_service_ext_t). Called with the run's summary after the last item,
     * before FINISH and the restart: an error means no restart (the hook sets sum->first_error); and
     * with NULL when the list is freed (destroy, the next set_*). */
    struct ota_service_ext *ext;
};

/** Takes the service for one run (false: a run is in progress). */
bool ota_service_claim(ota_service_t *s);

/** Hands @p ev to the configured event callback. */
void ota_service_emit(ota_service_t *s, ota_event_t *ev);

#endif /* OTA_SERVICE_STRUCT_H */
