/**
 * @file ota_service.h
 * @brief The OTA service: an upgrade list of app and data partitions, run item by item.
 *
 * The shape is ESP-ADF's `ota_service` (reference/esp-adf-ota-service.md §2–§4), so code written
 * for it ports line by line:
 *  - an upgrade list of items, each a node {type, label, uri, cert_pem} with four overridable
 *    steps called in this order: prepare -> need_upgrade -> execute_upgrade -> finished_check;
 *  - finished_check always runs (also after a failed prepare, with handle NULL) and its return
 *    value is the item's result; it must release the handle;
 *  - a RESULT event after each item; break_after_fail stops the list after a failed item;
 *  - at the end, the first *successful* item with reboot_flag makes the service restart the
 *    device (after FINISH, which ESP-ADF never sends in that case);
 *  - default procedures for app and data partitions, reusable step by step.
 *
 * What differs from ESP-ADF, on purpose:
 *  - "no need to upgrade" is reported as SKIPPED, not as success, and never causes a restart
 *    (ESP-ADF restarts into the unchanged firmware);
 *  - failures keep their specific reason (an ota_err_t code, HTTP status, detail text);
 *  - prepare receives the service, because the service owns nothing global (two services on two
 *    devices in one process work); the other steps keep ESP-ADF's signatures;
 *  - the data procedure has a default need_upgrade (tone-image aware) and never leaves a
 *    half-written data partition that looks valid (see ota_proc_default.h);
 *  - the service can be stopped between chunks; the device stays bootable.
 *
 * Step return values: OTA_OK, or a negative ota_err_t. need_upgrade returns OTA_OK to go on;
 * OTA_ERR_VERSION_NOT_NEWER or OTA_ERR_SVC_UP_TO_DATE to skip the item (reported SKIPPED);
 * anything else fails it.
 */
#ifndef OTA_SERVICE_H
#define OTA_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_device.h"
#include "ota/port/ota_source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_service ota_service_t;
struct ota_update_features; /* ota_update_features.h */

/** What to upgrade and from where (ESP-ADF ota_node_attr_t). */
typedef struct {
    uint8_t type;         /**< OTA_PART_TYPE_APP or OTA_PART_TYPE_DATA; informational, as in ESP-ADF */
    const char *label;    /**< data partition label; ignored by the app procedure (next OTA slot) */
    const char *uri;      /**< file://sdcard/x.bin, file:///abs, http://, https:// */
    const char *cert_pem; /**< PEM CA(s) to verify an https server; NULL = the service's TLS options */
} ota_node_attr_t;

/** One item of the upgrade list (ESP-ADF ota_upgrade_ops_t, same field order). */
typedef struct ota_upgrade_ops {
    ota_node_attr_t node;
    /** Open what the item needs; store the item's context in *handle. */
    int (*prepare)(ota_service_t *service, void **handle, ota_node_attr_t *node);
    /** OTA_OK: upgrade; OTA_ERR_VERSION_NOT_NEWER / OTA_ERR_SVC_UP_TO_DATE: skip; else fail. */
    int (*need_upgrade)(void *handle, ota_node_attr_t *node);
    /** Stream, verify and write. */
    int (*execute_upgrade)(void *handle, ota_node_attr_t *node);
    /** Always called; gets the result so far; returns the item's final result; frees handle. */
    int (*finished_check)(void *handle, ota_node_attr_t *node, int result);
    bool reboot_flag;      /**< restart at the end if this item succeeded (first such item wins) */
    bool break_after_fail; /**< stop the list if this item failed */
} ota_upgrade_ops_t;

/** How an item ended. */
typedef enum {
    OTA_ITEM_SUCCESS = 0, /**< upgraded */
    OTA_ITEM_SKIPPED = 1, /**< not needed: already up to date */
    OTA_ITEM_FAILED = 2,  /**< see the reason code */
    OTA_ITEM_NOT_RUN = 3, /**< the list was broken off before this item */
} ota_item_result_t;

/** Classify a step's result code. */
ota_item_result_t ota_item_result_of(int code);
/** "success", "skipped", "failed", "not run"; "?" for another value (never NULL). */
const char *ota_item_result_name(ota_item_result_t result);

typedef enum {
    OTA_EVENT_ITEM_BEGIN = 0, /**< an item starts (node set) */
    OTA_EVENT_VERSION_CHECK,  /**< running vs incoming version and the decision */
    OTA_EVENT_PROGRESS,       /**< bytes written so far; at most every progress_interval_ms */
    OTA_EVENT_RESULT,         /**< an item ended */
    OTA_EVENT_FINISH,         /**< the list ended (sent before a restart too) */
    OTA_EVENT_CHECK_UPDATE,   /**< ota_service_check_update() decided (ota_service_adf.h); ESP-ADF hook */
} ota_event_type_t;

/** An event. Pointers inside are valid only during the callback. */
typedef struct {
    ota_event_type_t type;
    int id;                      /**< item index; -1 for FINISH */
    const ota_node_attr_t *node; /**< the item; NULL for FINISH */
    union {
        struct {
            const char *running;  /**< version now on the device ("" if none) */
            const char *incoming; /**< version in the stream */
            bool enforced;        /**< the check decides (false: informational, upgrade anyway) */
            int decision;         /**< OTA_OK upgrade; OTA_ERR_VERSION_NOT_NEWER skip; other: refuse */
        } version_check;
        struct {
            uint64_t bytes; /**< image bytes written so far */
            int64_t total;  /**< image size, -1 if unknown */
        } progress;
        struct {
            ota_item_result_t result;
            int reason;         /**< OTA_OK or the ota_err_t that decided it */
            int http_status;    /**< last HTTP status of the item's source, 0 if none */
            const char *detail; /**< human detail ("HTTP 404 from http://...") or "" */
        } result;
        struct {
            int succeeded, skipped, failed, not_run;
            bool restart; /**< the service restarts the device after this event */
        } finish;
        /** CHECK_UPDATE: what the check found (ESP-ADF's ITEM_VER_CHECK payload and more); ESP-ADF hook */
        const struct ota_check_result *check_update;
    };
} ota_event_t;

typedef void (*ota_event_cb_t)(const ota_event_t *event, void *ctx);

/** Service settings; zero fields take the defaults. */
typedef struct {
    ota_device_t *device;    /**< required: flash, partition table, running app, chip */
    size_t work_buffer_size; /**< the one streaming buffer; default ota_port_work_buffer_default()
                                          (host 4096, bare metal 2048), minimum 512 */
    /** Optional caller-provided streaming buffer of work_buffer_size bytes (not freed, must outlive
     *  the service); NULL = the service allocates it. */
    void *work_buffer;
    ota_event_cb_t event_cb; /**< may be NULL */
    void *event_ctx;
    /** Called at the end when an item with reboot_flag succeeded; NULL: log only. */
    void (*restart)(void *ctx);
    void *restart_ctx;
    ota_source_config_t
        source; /**< every item's source settings (transport: the port's, e.g. ota_source_posix.h) */
    ota_source_open_fn open_source; /**< NULL = ota_source_open (file://, http(s)://) */
    void *open_source_ctx;
    /** CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER: install an app only if its version is newer
     * than the running one (and never the same one again). Off by default, as in ESP-ADF. */
    bool version_check;
    /** Accept a bare detools patch (no esp_delta_ota header, so no base hash) as an app item:
     * any stream not starting with an image's 0xE9. Off: only esp_delta_ota patches are. */
    bool delta_allow_bare;
    uint32_t progress_interval_ms; /**< minimum time between PROGRESS events; default 250 */
    /** The optional update features this firmware links (ota_update_features.h):
     *  &ota_update_features_all, a table of some of them, or NULL for none. An item that needs
     *  an absent one is refused before any erase with OTA_ERR_NOT_SUPPORTED. */
    const struct ota_update_features *features;
} ota_service_config_t;

/** Totals of one run. */
typedef struct {
    int succeeded, skipped, failed, not_run;
    bool restarted;  /**< the restart hook was called */
    int first_error; /**< reason of the first failed item, OTA_OK if none */
} ota_service_summary_t;

/**
 * Create a service (nothing runs yet).
 * @return OTA_OK, *out set;
 *         OTA_ERR_INVALID_ARG if @p cfg, @p out or cfg->device is NULL;
 *         OTA_ERR_INVALID_SIZE if cfg->work_buffer_size is below 512;
 *         OTA_ERR_NO_MEM if the service or its work buffer cannot be allocated.
 */
int ota_service_create(const ota_service_config_t *cfg, ota_service_t **out);
/** Stops and joins a running worker, stops a step-driven run (its current item fails
 *  CANCELLED, so its finished_check releases it), then frees everything. NULL-safe. */
void ota_service_destroy(ota_service_t *service);

/**
 * Set the upgrade list (copied, strings included, unlike ESP-ADF's shallow copy). Items whose
 * steps are NULL fail with OTA_ERR_SVC_NULL_STEP when run, as in ESP-ADF.
 * @return OTA_OK; OTA_ERR_INVALID_ARG if @p service or @p list is NULL or @p count <= 0;
 *         OTA_ERR_BUSY while a run (run, step or worker) is in progress; OTA_ERR_NO_MEM (the
 *         service then has no list).
 */
int ota_service_set_upgrade_list(ota_service_t *service, const ota_upgrade_ops_t *list, int count);

/**
 * Run the list to completion in the calling thread (a loop over the same steps as
 * ota_service_step). @p summary may be NULL.
 * @return OTA_OK if no item failed (skipped items are not failures);
 *         the first failed item's reason otherwise (any ota_err_t a step returned, e.g.
 *         OTA_ERR_SRC_*, OTA_ERR_IMG_*, OTA_ERR_SVC_NULL_STEP, OTA_ERR_CANCELLED);
 *         OTA_ERR_SVC_NO_LIST if no list was set;
 *         OTA_ERR_INVALID_ARG if @p service is NULL; OTA_ERR_BUSY if a run is in progress.
 */
int ota_service_run(ota_service_t *service, ota_service_summary_t *summary);

/** ota_service_step()'s return value while the run goes on (positive: never an ota_err_t). */
#define OTA_SERVICE_IN_PROGRESS 1

/**
 * One bounded piece of the run, for a main loop without threads (like esp_https_ota_perform()
 * called in a loop). The first call starts a run; each call then does one step of the current
 * item: BEGIN event + prepare, need_upgrade, execute_upgrade, finished_check + RESULT, or the end
 * (FINISH + restart). The default procedures' execute_upgrade writes one chunk per call (at most
 * two reads of at most the work buffer's size from the source); a custom execute_upgrade runs
 * whole in one call. (The default procedures' closing log lines, "Image bytes read: N" and
 * "Connection closed", are not printed in this mode; the final PROGRESS event is.) ota_service_stop() between calls fails the current item with OTA_ERR_CANCELLED at its
 * next chunk (the device stays bootable); keep calling until the run ends.
 * @return OTA_SERVICE_IN_PROGRESS: call again;
 *         otherwise the run has ended and the value is what ota_service_run() returns (OTA_OK, the
 *         first failed item's reason, or OTA_ERR_SVC_NO_LIST), with @p summary filled (may be NULL;
 *         read only at the end);
 *         OTA_ERR_INVALID_ARG if @p service is NULL; OTA_ERR_BUSY if run() or a worker is running.
 */
int ota_service_step(ota_service_t *service, ota_service_summary_t *summary);

/**
 * Run the list in a worker thread (its result: ota_service_wait).
 * @return OTA_OK; OTA_ERR_INVALID_ARG if @p service is NULL; OTA_ERR_BUSY if a run is in
 *         progress or a finished worker was not waited for; OTA_ERR_NO_MEM if the thread cannot
 *         be created (POSIX port); OTA_ERR_NOT_SUPPORTED on a port without threads (bare-metal:
 *         use ota_service_run or ota_service_step).
 */
int ota_service_start(ota_service_t *service);
/** Ask the worker to stop at the next chunk boundary (the current item fails CANCELLED). */
void ota_service_stop(ota_service_t *service);
/**
 * Wait for the worker; same summary as ota_service_run.
 * @return what ota_service_run returns for the run (OTA_OK, first failure, OTA_ERR_SVC_NO_LIST);
 *         OTA_ERR_INVALID_ARG if @p service is NULL; OTA_ERR_INVALID_STATE if no worker was
 *         started (or it was already waited for).
 */
int ota_service_wait(ota_service_t *service, ota_service_summary_t *summary);

/** The service's device, buffer and settings, for custom procedures (never NULL for a created
 *  service; the device is the one its config named). */
ota_device_t *ota_service_device(ota_service_t *service);
const ota_service_config_t *ota_service_config(const ota_service_t *service);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SERVICE_H */
