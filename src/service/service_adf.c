/* ESP-ADF esp_ota_service's check_update, get_progress, pause / resume (ota_service_adf.h), over
 * the engine's hooks (service_internal.h, adf_state.h). */
#include "ota/ota_service_adf.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "service_internal.h"
#include "service_struct.h"

static const char *TAG = "OTA_SERVICE";

int ota_service_check_update(ota_service_t *s, int index, ota_check_result_t *out)
{
    if (s == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_check_result_clear(out);
    int ret = ota_service_check_item(s, index, out);
    if (ret == OTA_OK || ota_item_result_of(ret) == OTA_ITEM_SKIPPED) {
        OTA_LOGI(TAG, "Check update: incoming version='%s' label='%s' size=%u upgrade_available=%s",
                 out->version, out->label, (unsigned)out->image_size,
                 out->upgrade_available ? "true" : "false");
        return OTA_OK; /* decided: out->upgrade_available says which way */
    }
    out->decision = ret; /* also when the run could not start (no list, index, busy) */
    out->upgrade_available = false;
    OTA_LOGE(TAG, "Check update failed: %s", ota_strerror(ret));
    return ret;
}

int ota_service_get_progress(const ota_service_t *s, uint32_t *written, uint32_t *total, int32_t *percent)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    uint32_t w, t;
    ota_adf_progress(ota_service_adf_state((ota_service_t *)s), &w, &t);
    if (written != NULL) {
        *written = w;
    }
    if (total != NULL) {
        *total = t;
    }
    if (percent != NULL) {
        if (t == 0 || t == OTA_CHECK_SIZE_UNKNOWN) {
            *percent = -1;
        } else {
            uint64_t p = (uint64_t)w * 100u / t;
            *percent = (int32_t)(p > 100u ? 100u : p);
        }
    }
    return OTA_OK;
}

int ota_service_pause(ota_service_t *s)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_adf_set_pause(ota_service_adf_state(s), true);
    OTA_LOGI(TAG, "OTA paused");
    return OTA_OK;
}

int ota_service_resume(ota_service_t *s)
{
    if (s == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_adf_set_pause(ota_service_adf_state(s), false);
    OTA_LOGI(TAG, "OTA resumed");
    return OTA_OK;
}

bool ota_service_is_paused(const ota_service_t *s)
{
    return s != NULL && ota_adf_parked(ota_service_adf_state((ota_service_t *)s));
}

void ota_service_report_check(ota_service_t *s, const ota_check_result_t *r)
{
    if (s == NULL || r == NULL) {
        return;
    }
    ota_check_result_t *out = ota_service_adf_state(s)->check;
    if (out != NULL) {
        memcpy(out->label, r->label, sizeof out->label);
        if (r->image_size != OTA_CHECK_SIZE_UNKNOWN) {
            out->image_size = r->image_size;
        }
        out->has_hash = r->has_hash;
        memcpy(out->hash, r->hash, sizeof out->hash);
        out->has_md5 = r->has_md5;
        memcpy(out->md5, r->md5, sizeof out->md5);
    }
    ota_service_report_version_check(s, r->running, r->version, true, r->decision);
}

/* --- The engine side of ESP-ADF's API (the struct: service_struct.h) ---------------------- */

ota_adf_state_t *ota_service_adf_state(ota_service_t *s)
{
    return &s->adf;
}

/* A check-only run of item @p index: prepare, need_upgrade (the checker sees the first output
 * bytes, nothing is erased), finished_check told OTA_ERR_CANCELLED (it releases, never commits). */
int ota_service_check_item(ota_service_t *s, int index, ota_check_result_t *out)
{
    if (s->list == NULL || index < 0 || index >= s->count) {
        return s->list == NULL ? OTA_ERR_SVC_NO_LIST : OTA_ERR_INVALID_ARG;
    }
    if (!ota_service_claim(s)) {
        return OTA_ERR_BUSY;
    }
    ota_upgrade_ops_t *ops = &s->list[index];
    s->current_id = index;
    s->current_node = &ops->node;
    ota_adf_item_begin(&s->adf);
    s->adf.check = out;
    void *handle = NULL;
    int ret = OTA_ERR_SVC_NULL_STEP;
    if (ops->prepare != NULL && ops->need_upgrade != NULL) {
        ret = ops->prepare(s, &handle, &ops->node);
        if (ret == OTA_OK) {
            ret = ops->need_upgrade(handle, &ops->node);
        }
        if (ops->finished_check != NULL) {
            (void)ops->finished_check(handle, &ops->node, ret == OTA_OK ? OTA_ERR_CANCELLED : ret);
        }
    }
    ota_adf_check_done(&s->adf, ret, ops->node.label);
    ota_event_t ev = {.type = OTA_EVENT_CHECK_UPDATE, .id = index, .node = &ops->node, .check_update = out};
    ota_service_emit(s, &ev);
    s->current_id = -1;
    s->current_node = NULL;
    __atomic_store_n(&s->running, 0, __ATOMIC_RELEASE);
    return ret;
}
