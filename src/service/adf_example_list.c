/* ESP-ADF's OTA example's upgrade list (examples/ota/main/ota_example.c), rewritten for
 * ota-service: same list, same custom need_upgrade for the tone partition, same log lines; what
 * differs is said where it happens. See ota_adf_example.h. The example's app_main around it is
 * each build's own (host: src/sim/host/example_app.c). */
#include "ota/ota_adf_example.h"

#include <string.h>

#include "ota/ota_err.h"
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
int ota_adf_example_tone_need_upgrade(void *handle, ota_node_attr_t *node)
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

int ota_adf_example_list_make(const ota_adf_example_list_config_t *cfg, ota_upgrade_ops_t list[2])
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
        list[count].need_upgrade = ota_adf_example_tone_need_upgrade;
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
