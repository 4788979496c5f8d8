/* ESP-ADF's OTA example's app_main (examples/ota/main/ota_example.c) on the host: create the
 * service, set the example's list (ota_adf_example_list_make, the one every build calls), run it,
 * same log lines. The board around it is example_host.c; see ota/sim/ota_example_host.h. */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_service_adf.h"
#include "ota/sim/ota_example_host.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

int ota_example_make_upgrade_list(const ota_example_config_t *cfg, ota_upgrade_ops_t list[2])
{
    ota_adf_example_list_config_t lc = {
        .firmware_upgrade_uri = cfg->firmware_upgrade_uri,
        .data_upgrade_uri = cfg->data_upgrade_uri,
        .data_partition_label = cfg->data_partition_label,
        .break_after_fail = cfg->break_after_fail,
    };
    return ota_adf_example_list_make(&lc, list);
}

typedef struct {
    const ota_example_config_t *cfg;
} example_ctx_t;

static void ota_service_cb(const ota_event_t *evt, void *arg)
{
    example_ctx_t *ctx = arg;
    if (evt->type == OTA_EVENT_RESULT) {
        switch (evt->result.result) {
        case OTA_ITEM_SUCCESS: OTA_LOGI(TAG, "List id: %d, OTA success", evt->id); break;
        case OTA_ITEM_SKIPPED: /* ESP-ADF reported this as success */
            OTA_LOGI(TAG, "List id: %d, OTA skipped: %s", evt->id, ota_strerror(evt->result.reason));
            break;
        default:
            OTA_LOGE(TAG, "List id: %d, OTA failed: %s%s%s", evt->id, ota_strerror(evt->result.reason),
                     evt->result.detail[0] ? " - " : "", evt->result.detail);
            break;
        }
    }
    if (ctx->cfg->observer != NULL) {
        ctx->cfg->observer(evt, ctx->cfg->observer_ctx);
    }
}

/* --check-only: esp_ota_service_check_update() on every item; an item whose check refused it
 * counts as failed, one with an upgrade as succeeded, one without as skipped. */
static int check_only(ota_service_t *svc, int count, ota_service_summary_t *summary)
{
    int first = OTA_OK;
    for (int i = 0; i < count; i++) {
        ota_check_result_t r;
        int err = ota_service_check_update(svc, i, &r);
        if (err != OTA_OK) {
            summary->failed++;
            first = first == OTA_OK ? err : first;
        } else if (r.upgrade_available) {
            summary->succeeded++;
        } else {
            summary->skipped++;
        }
    }
    summary->first_error = first;
    return OTA_OK;
}

int ota_example_app_main(const ota_example_config_t *cfg, ota_service_summary_t *summary)
{
    ota_service_summary_t local;
    if (summary == NULL) {
        summary = &local;
    }
    memset(summary, 0, sizeof *summary);
    OTA_LOGI(TAG, "[1.0] Initialize peripherals management");
    OTA_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network (the host's network: nothing to do)");
    OTA_LOGI(TAG, "[1.2] Mount SDCard (base path=%s)",
             cfg->source.sdcard_root ? cfg->source.sdcard_root : "./sdcard");

    OTA_LOGI(TAG, "[2.0] Create OTA service");
    example_ctx_t ctx = {.cfg = cfg};
    ota_service_config_t ota_service_cfg = {
        .device = cfg->device,
        .event_cb = ota_service_cb,
        .event_ctx = &ctx,
        .restart = cfg->restart,
        .restart_ctx = cfg->restart_ctx,
        .source = {.transport = &cfg->source},
        .version_check = cfg->force_check_firmware_version,
        .delta_allow_bare = cfg->delta_allow_bare,
        .features = cfg->features,
    };
    ota_service_t *ota_service = NULL;
    int err = ota_service_create(&ota_service_cfg, &ota_service);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot create the OTA service: %s", ota_strerror(err));
        return err;
    }

    OTA_LOGI(TAG, "[2.1] Set upgrade list");
    int count = 0;
    if (cfg->set_list != NULL) {
        count = cfg->set_list(cfg->set_list_ctx, ota_service);
        err = count > 0 ? OTA_OK : count < 0 ? count : OTA_ERR_SVC_NO_LIST;
        if (err != OTA_OK) {
            ota_service_destroy(ota_service);
            return err;
        }
    } else {
        ota_upgrade_ops_t upgrade_list[2];
        count = ota_example_make_upgrade_list(cfg, upgrade_list);
        if (count == 0) {
            OTA_LOGE(TAG, "both upgrade URIs are empty: nothing to do");
            ota_service_destroy(ota_service);
            return OTA_ERR_SVC_NO_LIST;
        }
        err = ota_service_set_upgrade_list(ota_service, upgrade_list, count);
    }

    if (err == OTA_OK && cfg->check_only) {
        err = check_only(ota_service, count, summary);
        OTA_LOGI(TAG, "[2.4] Clear OTA service");
        ota_service_destroy(ota_service);
        return err;
    }
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "[2.2] Start OTA service");
        err = ota_service_start(ota_service);
    }
    if (err == OTA_OK) {
        err = ota_service_wait(ota_service, summary);
        if (!summary->restarted) {
            OTA_LOGI(TAG, "[2.3] Finish OTA service");
        }
    } else {
        OTA_LOGE(TAG, "cannot start the OTA service: %s", ota_strerror(err));
    }
    if (!summary->restarted) { /* after esp_restart() the old app is gone: nothing more prints */
        OTA_LOGI(TAG, "[2.4] Clear OTA service");
    }
    ota_service_destroy(ota_service);
    return err;
}
