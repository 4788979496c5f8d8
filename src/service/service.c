/* The service engine: walks the upgrade list, calls each item's four steps in ESP-ADF's order,
 * reports events, decides the restart. It owns no flash or network logic; the procedures do. */
#include "ota/ota_service.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_port.h"
#include "pipeline/path.h"
#include "ota/ota_proc_default.h"
#include "adf_state.h" /* ESP-ADF hook */
#include "service_internal.h"
#include "service_struct.h"

static const char *TAG = "OTA_SERVICE";

#define MIN_WORK_BUFFER              512u
#define DEFAULT_PROGRESS_INTERVAL_MS 250u

void ota_service_emit(ota_service_t *s, ota_event_t *ev)
{
    if (s->cfg.event_cb != NULL) {
        s->cfg.event_cb(ev, s->cfg.event_ctx);
    }
}

static void free_list(ota_service_t *s)
{
    for (int i = 0; i < s->count; i++) {
        ota_free((char *)s->list[i].node.label);
        ota_free((char *)s->list[i].node.uri);
        ota_free((char *)s->list[i].node.cert_pem);
    }
    ota_free(s->list);
    s->list = NULL;
    s->count = 0;
    if (s->ext != NULL) {
        s->ext->after_list(s->ext, NULL); /* the list maker frees what it kept with the list */
        s->ext = NULL;
    }
}

int ota_service_create(const ota_service_config_t *cfg, ota_service_t **out)
{
    if (cfg == NULL || out == NULL || cfg->device == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    *out = NULL;
    ota_service_t *s = ota_calloc(1, sizeof *s);
    if (s == NULL) {
        return OTA_ERR_NO_MEM;
    }
    s->cfg = *cfg;
    if (s->cfg.work_buffer_size == 0) {
        s->cfg.work_buffer_size = ota_port_work_buffer_default(); /* the platform's choice */
    }
    if (s->cfg.work_buffer_size < MIN_WORK_BUFFER) {
        ota_free(s);
        return OTA_ERR_INVALID_SIZE;
    }
    if (s->cfg.progress_interval_ms == 0) {
        s->cfg.progress_interval_ms = DEFAULT_PROGRESS_INTERVAL_MS;
    }
    if (s->cfg.open_source == NULL) {
        s->cfg.open_source = ota_source_open;
    }
    s->work_size = s->cfg.work_buffer_size;
    /* The caller's buffer when it gives one (a static array on a RAM-tight device, as littlefs
     * takes its buffers), else our own. */
    s->work = s->cfg.work_buffer != NULL ? s->cfg.work_buffer : ota_malloc(s->work_size);
    if (s->work == NULL) {
        ota_free(s);
        return OTA_ERR_NO_MEM;
    }
    *out = s;
    return OTA_OK;
}

void ota_service_destroy(ota_service_t *s)
{
    if (s == NULL) {
        return;
    }
    if (s->worker != NULL) {
        ota_service_stop(s);
        ota_service_wait(s, NULL);
    }
    if (s->stepping) {
        /* A step-driven run left half way: stop it as ota_service_stop would (the current item
         * fails CANCELLED and its finished_check releases the handle). */
        ota_service_stop(s);
        while (ota_service_step(s, NULL) == OTA_SERVICE_IN_PROGRESS) {
        }
    }
    free_list(s);
    if (s->work != s->cfg.work_buffer) {
        ota_free(s->work);
    }
    ota_free(s);
}

static int copy_string(const char *in, const char **out)
{
    *out = NULL;
    if (in == NULL) {
        return OTA_OK;
    }
    *out = ota_strdup(in);
    return *out ? OTA_OK : OTA_ERR_NO_MEM;
}

int ota_service_set_upgrade_list(ota_service_t *s, const ota_upgrade_ops_t *list, int count)
{
    if (s == NULL || list == NULL || count <= 0) {
        return OTA_ERR_INVALID_ARG;
    }
    if (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE)) {
        return OTA_ERR_BUSY;
    }
    ota_upgrade_ops_t *copy = ota_calloc((size_t)count, sizeof *copy);
    if (copy == NULL) {
        return OTA_ERR_NO_MEM;
    }
    free_list(s);
    s->list = copy;
    for (int i = 0; i < count; i++) {
        copy[i] = list[i];
        copy[i].node.label = copy[i].node.uri = copy[i].node.cert_pem = NULL;
        s->count = i + 1; /* so free_list releases what was copied if a later copy fails */
        if (copy_string(list[i].node.label, &copy[i].node.label) != OTA_OK ||
            copy_string(list[i].node.uri, &copy[i].node.uri) != OTA_OK ||
            copy_string(list[i].node.cert_pem, &copy[i].node.cert_pem) != OTA_OK) {
            free_list(s);
            return OTA_ERR_NO_MEM;
        }
    }
    return OTA_OK;
}

/* The run as a state machine, one bounded piece of work per step, in ESP-ADF's exact order
 * (ota_service_process): BEGIN event + prepare, need_upgrade, execute_upgrade (a default
 * procedure's first chunk), one chunk per step, finished_check + RESULT, ..., FINISH + restart. */
enum {
    RS_START = 0,
    RS_ITEM,
    RS_NEED,
    RS_EXECUTE,
    RS_STREAM,
    RS_CHECK,
    RS_END
};

/* The item's result is known: count it, RESULT event, next item or end of list. */
static void item_end(ota_service_t *s, int ret)
{
    ota_upgrade_ops_t *ops = &s->list[s->next];
    int i = s->next;
    ota_item_result_t result = ota_item_result_of(ret);
    switch (result) {
    case OTA_ITEM_SUCCESS: s->sum.succeeded++; break;
    case OTA_ITEM_SKIPPED: s->sum.skipped++; break;
    default:
        s->sum.failed++;
        if (s->sum.first_error == OTA_OK) {
            s->sum.first_error = ret;
        }
        break;
    }
    if (result == OTA_ITEM_SUCCESS && ops->reboot_flag && s->first_restart_item < 0) {
        s->first_restart_item = i;
    }
    ota_event_t ev = {.type = OTA_EVENT_RESULT, .id = i, .node = &ops->node};
    ev.result.result = result;
    ev.result.reason = ret;
    ev.result.http_status = s->item_http_status;
    ev.result.detail = s->item_detail;
    ota_service_emit(s, &ev);
    s->next = i + 1;
    s->state = RS_ITEM;
    if (result == OTA_ITEM_FAILED && (ops->break_after_fail || ret == OTA_ERR_CANCELLED)) {
        OTA_LOGE(TAG, "upgrade_list[%d] OTA failed, break the update list", i);
        s->state = RS_END;
    }
}

/* The list ended: FINISH event, restart. Returns the run's result. */
static int run_end(ota_service_t *s)
{
    s->sum.not_run = s->count - s->next;
    s->current_id = -1;
    s->current_node = NULL;
    s->state = RS_START;

    bool restart = s->first_restart_item >= 0;
    if (s->ext != NULL && s->ext->after_list(s->ext, &s->sum) != OTA_OK) {
        restart = false; /* e.g. a release not committed (release_commit.c); sum.first_error says why */
    }
    OTA_LOGW(TAG, "OTA_END!");
    ota_event_t fin = {.type = OTA_EVENT_FINISH, .id = -1};
    fin.finish.succeeded = s->sum.succeeded;
    fin.finish.skipped = s->sum.skipped;
    fin.finish.failed = s->sum.failed;
    fin.finish.not_run = s->sum.not_run;
    fin.finish.restart = restart;
    ota_service_emit(s, &fin);
    if (restart) {
        OTA_LOGW(TAG, "restart!");
        if (s->cfg.restart != NULL) {
            s->cfg.restart(s->cfg.restart_ctx);
            s->sum.restarted = true;
        } else {
            OTA_LOGW(TAG, "no restart hook configured: the new firmware boots at the next reset");
        }
    }
    return s->sum.first_error;
}

/* One step of the claimed run: OTA_SERVICE_IN_PROGRESS, or the run's result (s->sum is final). */
static int step_once(ota_service_t *s)
{
    ota_upgrade_ops_t *ops = s->next < s->count ? &s->list[s->next] : NULL;
    switch (s->state) {
    case RS_START:
        memset(&s->sum, 0, sizeof s->sum);
        s->next = 0;
        s->first_restart_item = -1;
        s->path = NULL;
        if (s->list == NULL) {
            OTA_LOGE(TAG, "Please set upgrade list first");
            return OTA_ERR_SVC_NO_LIST;
        }
        s->state = RS_ITEM;
        return OTA_SERVICE_IN_PROGRESS;
    case RS_ITEM:
        if (ops == NULL) {
            return run_end(s);
        }
        s->current_id = s->next;
        s->current_node = &ops->node;
        s->last_progress_ms = 0;
        ota_adf_item_begin(&s->adf); /* ESP-ADF hook */
        s->item_http_status = 0;
        s->item_detail[0] = '\0';
        s->handle = NULL;
        ota_event_t begin = {.type = OTA_EVENT_ITEM_BEGIN, .id = s->next, .node = &ops->node};
        ota_service_emit(s, &begin);
        if (__atomic_load_n(&s->stop_requested, __ATOMIC_ACQUIRE)) {
            item_end(s, OTA_ERR_CANCELLED);
        } else if (ops->prepare == NULL || ops->need_upgrade == NULL || ops->execute_upgrade == NULL) {
            /* As ESP-ADF: nothing is called, not even finished_check. */
            OTA_LOGE(TAG, "upgrade_list[%d] lacks prepare/need_upgrade/execute_upgrade", s->current_id);
            item_end(s, OTA_ERR_SVC_NULL_STEP);
        } else {
            s->item_ret = ops->prepare(s, &s->handle, &ops->node);
            if (s->item_ret != OTA_OK) {
                OTA_LOGE(TAG, "OTA prepared fail: %s", ota_strerror(s->item_ret));
            }
            s->state = s->item_ret == OTA_OK ? RS_NEED : RS_CHECK;
        }
        return OTA_SERVICE_IN_PROGRESS;
    case RS_NEED:
        s->item_ret = ops->need_upgrade(s->handle, &ops->node);
        if (s->item_ret != OTA_OK) {
            if (ota_item_result_of(s->item_ret) == OTA_ITEM_SKIPPED) {
                OTA_LOGI(TAG, "No need to upgrade: %s", ota_strerror(s->item_ret));
            } else {
                OTA_LOGE(TAG, "Upgrade refused: %s", ota_strerror(s->item_ret));
            }
        }
        s->state = s->item_ret == OTA_OK ? RS_EXECUTE : RS_CHECK;
        return OTA_SERVICE_IN_PROGRESS;
    case RS_EXECUTE:
        /* Under ota_service_step a pipeline's loop (the default procedures' execute_upgrade) hands
         * itself over after the first chunk through its events (path_yield; its closing log lines
         * are then not printed) and the engine drives it one chunk per step (RS_STREAM); an
         * execute_upgrade that streams no pipeline, and any execute_upgrade under run() or the
         * worker, runs to its end in this one step. */
        s->yield_ok = s->stepping;
        s->item_ret = ops->execute_upgrade(s->handle, &ops->node);
        s->yield_ok = false;
        if (s->item_ret == OTA_ITEM_STREAM_DEFERRED && s->path != NULL) {
            s->state = RS_STREAM;
            return OTA_SERVICE_IN_PROGRESS;
        }
        if (s->item_ret != OTA_OK) {
            OTA_LOGE(TAG, "Fail to execute upgrade: %s", ota_strerror(s->item_ret));
        }
        s->state = RS_CHECK;
        return OTA_SERVICE_IN_PROGRESS;
    case RS_STREAM:
        /* Between two steps of the pipeline: where a pause (ESP-ADF's esp_ota_service pause /
         * resume) returns OTA_SERVICE_IN_PROGRESS without a step, and where get_progress reads
         * ota_path_progress(s->path). A stop fails the item at the pipeline's next read. */
        s->item_ret = ota_path_step(s->path);
        if (s->item_ret > 0) {
            return OTA_SERVICE_IN_PROGRESS;
        }
        s->path = NULL;
        if (s->item_ret != OTA_OK) {
            OTA_LOGE(TAG, "Fail to execute upgrade: %s", ota_strerror(s->item_ret));
        }
        s->state = RS_CHECK;
        return OTA_SERVICE_IN_PROGRESS;
    case RS_CHECK:
        if (ops->finished_check == NULL) {
            OTA_LOGE(TAG, "upgrade_list[%d] has no finished_check", s->current_id);
            item_end(s, OTA_ERR_SVC_NULL_STEP);
        } else {
            item_end(s, ops->finished_check(s->handle, &ops->node, s->item_ret));
        }
        s->handle = NULL;
        return OTA_SERVICE_IN_PROGRESS;
    case RS_END:
    default: return run_end(s);
    }
}

static int run_list(ota_service_t *s, ota_service_summary_t *summary)
{
    s->state = RS_START;
    int ret;
    while ((ret = step_once(s)) == OTA_SERVICE_IN_PROGRESS) {
    }
    if (summary != NULL) {
        *summary = s->sum;
    }
    return ret;
}

bool ota_service_claim(ota_service_t *s)
{
    int expected = 0;
    return __atomic_compare_exchange_n(&s->running, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

int ota_service_run(ota_service_t *s, ota_service_summary_t *summary)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!ota_service_claim(s)) {
        return OTA_ERR_BUSY;
    }
    __atomic_store_n(&s->stop_requested, 0, __ATOMIC_RELEASE);
    int ret = run_list(s, summary);
    __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
    return ret;
}

int ota_service_step(ota_service_t *s, ota_service_summary_t *summary)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (!s->stepping) {
        if (!ota_service_claim(s)) {
            return OTA_ERR_BUSY;
        }
        s->stepping = true;
        s->state = RS_START;
        __atomic_store_n(&s->stop_requested, 0, __ATOMIC_RELEASE);
    }
    if (ota_adf_step_paused(&s->adf) && !ota_service_stop_requested(s)) {
        return OTA_SERVICE_IN_PROGRESS; /* ESP-ADF hook: paused, nothing done this call */
    }
    int ret = step_once(s);
    if (ret != OTA_SERVICE_IN_PROGRESS) {
        if (summary != NULL) {
            *summary = s->sum;
        }
        s->stepping = false;
        __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
    }
    return ret;
}

static void worker_main(void *arg)
{
    ota_service_t *s = arg;
    s->worker_result = run_list(s, &s->worker_summary);
    __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
}

int ota_service_start(ota_service_t *s)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (s->worker != NULL || !ota_service_claim(s)) {
        return OTA_ERR_BUSY;
    }
    __atomic_store_n(&s->stop_requested, 0, __ATOMIC_RELEASE);
    memset(&s->worker_summary, 0, sizeof s->worker_summary);
    int err = ota_port_thread_start(&s->worker, "ota_serv", worker_main, s);
    if (err != OTA_OK) {
        __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
        s->worker = NULL;
    }
    return err;
}

void ota_service_stop(ota_service_t *s)
{
    if (s != NULL) {
        __atomic_store_n(&s->stop_requested, 1, __ATOMIC_RELEASE);
    }
}

int ota_service_wait(ota_service_t *s, ota_service_summary_t *summary)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (s->worker == NULL) {
        return OTA_ERR_INVALID_STATE;
    }
    ota_port_thread_join(s->worker);
    s->worker = NULL;
    if (summary != NULL) {
        *summary = s->worker_summary;
    }
    return s->worker_result;
}

ota_device_t *ota_service_device(ota_service_t *s)
{
    return s->cfg.device;
}

const ota_service_config_t *ota_service_config(const ota_service_t *s)
{
    return &s->cfg;
}

/* What a service without a feature table has: no optional feature. */
static const ota_update_features_t s_no_features = {0};

const ota_update_features_t *ota_service_features(const ota_service_t *s)
{
    return s->cfg.features != NULL ? s->cfg.features : &s_no_features;
}

/* --- for procedures ------------------------------------------------------------------------ */

/* The events of the pipelines the engine drives (path.h): the pipeline reports and asks through
 * these only, never by calling the engine. ctx: the service. */
static int path_open_source(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                            const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *info)
{
    ota_service_t *s = ctx;
    return s->cfg.open_source(s->cfg.open_source_ctx, cfg, uri, offset, expect, out, info);
}

static const char *path_detail(void *ctx, int http_status, const char *fmt, va_list ap)
{
    ota_service_t *s = ctx;
    if (http_status != 0) {
        s->item_http_status = http_status;
    }
    vsnprintf(s->item_detail, sizeof s->item_detail, fmt, ap);
    return s->item_detail;
}

static bool path_yield(void *ctx, ota_path_t *path)
{
    ota_service_t *s = ctx;
    if (!s->yield_ok || s->path != NULL) {
        return false;
    }
    s->path = path;
    return true;
}

/* ESP-ADF hooks of the pipeline (adf_state.h): the checked stream's size, the check-only run. */
static void path_checking(void *service, int64_t total)
{
    ota_service_t *s = service;
    ota_adf_note_total(&s->adf, total);
}

static bool path_check_only(void *service)
{
    ota_service_t *s = service;
    return s->adf.check != NULL;
}

const ota_path_events_t ota_service_path_events = {
    .open_source = path_open_source,
    .work_buffer = ota_service_work_buffer,
    .progress = ota_service_report_progress,
    .detail = path_detail,
    .cancelled = ota_service_stop_requested,
    .yield = path_yield,
    .checking = path_checking,
    .check_only = path_check_only,
};

uint8_t *ota_service_work_buffer(void *service, size_t *size)
{
    ota_service_t *s = service;
    *size = s->work_size;
    return s->work;
}

bool ota_service_stop_requested(void *service)
{
    const ota_service_t *s = service;
    if (!s->stepping) {
        ota_adf_pause_point((ota_adf_state_t *)&s->adf, &s->stop_requested); /* ESP-ADF hook */
    }
    return __atomic_load_n(&s->stop_requested, __ATOMIC_ACQUIRE) != 0;
}

void ota_service_report_progress(void *service, uint64_t bytes, int64_t total, bool force)
{
    ota_service_t *s = service;
    ota_adf_note_progress(&s->adf, bytes, total); /* ESP-ADF hook */
    uint64_t now = ota_port_uptime_ms();
    if (!force && s->last_progress_ms != 0 && now - s->last_progress_ms < s->cfg.progress_interval_ms) {
        return;
    }
    s->last_progress_ms = now ? now : 1;
    ota_event_t ev = {.type = OTA_EVENT_PROGRESS, .id = s->current_id, .node = s->current_node};
    ev.progress.bytes = bytes;
    ev.progress.total = total;
    ota_service_emit(s, &ev);
}

void ota_service_report_version_check(ota_service_t *s, const char *running, const char *incoming,
                                      bool enforced, int decision)
{
    ota_adf_note_version_check(&s->adf, running, incoming, decision); /* ESP-ADF hook */
    ota_event_t ev = {.type = OTA_EVENT_VERSION_CHECK, .id = s->current_id, .node = s->current_node};
    ev.version_check.running = running ? running : "";
    ev.version_check.incoming = incoming ? incoming : "";
    ev.version_check.enforced = enforced;
    ev.version_check.decision = decision;
    ota_service_emit(s, &ev);
}

void ota_service_set_item_detail(ota_service_t *s, int http_status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    path_detail(s, http_status, fmt, ap);
    va_end(ap);
}
