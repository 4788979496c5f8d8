/* upgrade app and data partition Example: ESP-ADF's examples/ota/main/ota_example.c, rewritten
 * for ota-service. Same list, same custom need_upgrade for the tone partition, same log lines;
 * what differs is said where it happens. */
#include "ota_example.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_service_adf.h"
#include "ota/ota_log.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_tone.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

static int tone_read(void *ctx, uint32_t off, void *buf, size_t len)
{
    return ota_partition_read(ctx, off, buf, len);
}

/* The example's audio_tone_need_upgrade(). ESP-ADF erased the partition here and wrote the header
 * back; the library's writer erases lazily and writes the header last (power-cut safety), so this
 * only decides, then gives the consumed bytes back with ota_data_partition_write(). */
static int audio_tone_need_upgrade(void *handle, ota_node_attr_t *node)
{
    const ota_partition_t *partition = ota_data_partition(handle);
    if (partition == NULL) {
        OTA_LOGE(TAG, "data partition [%s] not found", node->label);
        return OTA_ERR_NOT_FOUND;
    }
    /* tone_partition_init(): is there a valid tone image now? (An interrupted install is not.) */
    ota_tone_info_t current;
    ota_tone_diag_t diag;
    bool have_current =
        ota_data_partition_state(partition) == OTA_OK &&
        ota_tone_validate(tone_read, (void *)partition, partition->info.size, &current, &diag) == OTA_OK;
    if (have_current) {
        OTA_LOGI("TONE_PARTITION", "tone partition format %u, total %u", (unsigned)current.header.format,
                 (unsigned)current.header.total_num);
    }

    uint8_t raw_header[OTA_TONE_HEADER_SIZE];
    int err = ota_data_image_stream_read(handle, raw_header, sizeof raw_header);
    if (err != OTA_OK) {
        return err;
    }
    ota_tone_header_t incoming;
    err = ota_tone_header_parse(raw_header, sizeof raw_header, &incoming, &diag);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "not audio tone bin");
        return err;
    }
    OTA_LOGI(TAG, "format %u : %u", have_current ? (unsigned)current.header.format : 0u,
             (unsigned)incoming.format);
    bool need_write_desc = false;
    uint8_t raw_desc[OTA_TONE_DESC_SIZE];
    if (incoming.format == OTA_TONE_FORMAT_1) {
        err = ota_data_image_stream_read(handle, raw_desc, sizeof raw_desc);
        if (err != OTA_OK) {
            return err;
        }
        ota_tone_desc_t incoming_desc;
        err = ota_tone_desc_parse(raw_desc, sizeof raw_desc, &incoming_desc, &diag);
        OTA_LOGI(TAG, "imcoming magic_word %X, project_name %s", (unsigned)incoming_desc.magic_word,
                 incoming_desc.project_name);
        if (err != OTA_OK) {
            return err;
        }
        if (have_current && current.header.format == OTA_TONE_FORMAT_1) {
            if (ota_get_version_number(incoming_desc.version) < 0) {
                return OTA_ERR_VERSION_UNPARSEABLE;
            }
            OTA_LOGI(TAG, "current version %s, incoming version %s", current.desc.version,
                     incoming_desc.version);
            if (ota_get_version_number(incoming_desc.version) <=
                ota_get_version_number(current.desc.version)) {
                OTA_LOGW(TAG, "The incoming version is same as or lower than the running version");
                return OTA_ERR_VERSION_NOT_NEWER;
            }
        }
        need_write_desc = true;
    }
    err = ota_data_partition_write(handle, raw_header, sizeof raw_header);
    if (err == OTA_OK && need_write_desc) {
        err = ota_data_partition_write(handle, raw_desc, sizeof raw_desc);
    }
    return err;
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

int ota_example_make_upgrade_list(const ota_example_config_t *cfg, ota_upgrade_ops_t list[2])
{
    int count = 0;
    if (cfg->data_upgrade_uri != NULL && cfg->data_upgrade_uri[0] != '\0') {
        list[count] = (ota_upgrade_ops_t){
            {OTA_PART_TYPE_DATA, cfg->data_partition_label, cfg->data_upgrade_uri, NULL},
            NULL,
            NULL,
            NULL,
            NULL,
            false,
            cfg->break_after_fail,
        };
        ota_data_get_default_proc(&list[count]);
        list[count].need_upgrade = audio_tone_need_upgrade;
        count++;
    }
    if (cfg->firmware_upgrade_uri != NULL && cfg->firmware_upgrade_uri[0] != '\0') {
        list[count] = (ota_upgrade_ops_t){
            {OTA_PART_TYPE_APP, NULL, cfg->firmware_upgrade_uri, NULL},
            NULL,
            NULL,
            NULL,
            NULL,
            true,
            cfg->break_after_fail,
        };
        ota_app_get_default_proc(&list[count]);
        count++;
    }
    return count;
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
    ota_upgrade_ops_t upgrade_list[2];
    int count = ota_example_make_upgrade_list(cfg, upgrade_list);
    if (count == 0) {
        OTA_LOGE(TAG, "both upgrade URIs are empty: nothing to do");
        ota_service_destroy(ota_service);
        return OTA_ERR_SVC_NO_LIST;
    }
    err = ota_service_set_upgrade_list(ota_service, upgrade_list, count);

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
