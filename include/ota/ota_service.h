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
 *    half-written data partition that looks valid (see ota_data_proc.h);
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
#include "ota/ota_source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ota_service ota_service_t;

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
/** "success", "skipped", "failed", "not run". */
const char *ota_item_result_name(ota_item_result_t result);

typedef enum {
    OTA_EVENT_ITEM_BEGIN = 0,  /**< an item starts (node set) */
    OTA_EVENT_VERSION_CHECK,   /**< running vs incoming version and the decision */
    OTA_EVENT_PROGRESS,        /**< bytes written so far; at most every progress_interval_ms */
    OTA_EVENT_RESULT,          /**< an item ended */
    OTA_EVENT_FINISH,          /**< the list ended (sent before a restart too) */
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
            int reason;          /**< OTA_OK or the ota_err_t that decided it */
            int http_status;     /**< last HTTP status of the item's source, 0 if none */
            const char *detail;  /**< human detail ("HTTP 404 from http://...") or "" */
        } result;
        struct {
            int succeeded, skipped, failed, not_run;
            bool restart;        /**< the service restarts the device after this event */
        } finish;
    };
} ota_event_t;

typedef void (*ota_event_cb_t)(const ota_event_t *event, void *ctx);

/** Service settings; zero fields take the defaults. */
typedef struct {
    ota_device_t *device;            /**< required: flash, partition table, running app, chip */
    size_t work_buffer_size;         /**< the one streaming buffer; default 4096, minimum 512 */
    /** Optional caller-provided streaming buffer of work_buffer_size bytes (not freed, must outlive
     *  the service); NULL = the service allocates it. */
    void *work_buffer;
    ota_event_cb_t event_cb;         /**< may be NULL */
    void *event_ctx;
    /** Called at the end when an item with reboot_flag succeeded; NULL: log only. */
    void (*restart)(void *ctx);
    void *restart_ctx;
    ota_source_config_t source;      /**< every item's source settings (transport: the port's, e.g. ota_source_posix.h) */
    ota_source_open_fn open_source;  /**< NULL = ota_source_open (file://, http(s)://) */
    void *open_source_ctx;
    /** CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER: install an app only if its version is newer
     * than the running one (and never the same one again). Off by default, as in ESP-ADF. */
    bool version_check;
    /** Accept a bare detools patch (no esp_delta_ota header, so no base hash) as an app item:
     * any stream not starting with an image's 0xE9. Off: only esp_delta_ota patches are. */
    bool delta_allow_bare;
    uint32_t progress_interval_ms;   /**< minimum time between PROGRESS events; default 250 */
} ota_service_config_t;

/** Totals of one run. */
typedef struct {
    int succeeded, skipped, failed, not_run;
    bool restarted;   /**< the restart hook was called */
    int first_error;  /**< reason of the first failed item, OTA_OK if none */
} ota_service_summary_t;

int ota_service_create(const ota_service_config_t *cfg, ota_service_t **out);
/** Stops and joins a running worker, then frees everything. NULL-safe. */
void ota_service_destroy(ota_service_t *service);

/**
 * Set the upgrade list (copied, strings included, unlike ESP-ADF's shallow copy). Items whose
 * steps are NULL fail with OTA_ERR_SVC_NULL_STEP when run, as in ESP-ADF. OTA_ERR_BUSY while
 * running.
 */
int ota_service_set_upgrade_list(ota_service_t *service, const ota_upgrade_ops_t *list, int count);

/** Run the list to completion in the calling thread. Returns OTA_OK unless an item failed
 * (then the first failure's reason); @p summary may be NULL. */
int ota_service_run(ota_service_t *service, ota_service_summary_t *summary);

/** Run the list in a worker thread. OTA_ERR_BUSY if one is running. */
int ota_service_start(ota_service_t *service);
/** Ask the worker to stop at the next chunk boundary (the current item fails CANCELLED). */
void ota_service_stop(ota_service_t *service);
/** Wait for the worker; same return and summary as ota_service_run. */
int ota_service_wait(ota_service_t *service, ota_service_summary_t *summary);

/** The service's device, buffer and settings, for custom procedures. */
ota_device_t *ota_service_device(ota_service_t *service);
const ota_service_config_t *ota_service_config(const ota_service_t *service);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SERVICE_H */
