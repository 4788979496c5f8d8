/* esp_image_verify() on flash: the streaming validator fed from a partition in chunks. */
#include <stdio.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static const char *TAG = "esp_image";

#define VERIFY_CHUNK 4096u

/* ESP-IDF refuses partitions above 16 MiB before looking at them (esp_image_format.c). */
#define SIXTEEN_MB 0x1000000u

int ota_image_verify_partition(const ota_partition_t *part, const ota_image_validator_config_t *cfg,
                               bool silent, ota_image_info_t *info, ota_image_diag_t *diag)
{
    if (part == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    /* Validator state and read buffer in one block: ~5 KiB is too much stack for an MCU task. */
    struct work {
        ota_image_validator_t v;
        uint8_t buf[VERIFY_CHUNK];
    } *w = ota_malloc(sizeof *w);
    if (w == NULL) {
        return OTA_ERR_NO_MEM;
    }
    ota_image_validator_config_t c = {0};
    if (cfg != NULL) {
        c = *cfg;
    }
    c.max_size = part->info.size;
    c.flash_addr = part->info.offset;
    c.expected_size = 0;
    c.ignore_trailing = true;
    ota_image_validator_init(&w->v, &c, NULL, NULL);

    int err = OTA_OK;
    if (part->info.size > SIXTEEN_MB) {
        err = OTA_ERR_INVALID_SIZE;
        w->v.diag.err = err;
        snprintf(w->v.diag.message, sizeof w->v.diag.message, "partition size 0x%x invalid, larger than 16MB",
                 (unsigned)part->info.size);
    }
    uint32_t offset = 0;
    while (err == OTA_OK && !ota_image_validator_complete(&w->v) && offset < part->info.size) {
        uint32_t n = part->info.size - offset < VERIFY_CHUNK ? part->info.size - offset : VERIFY_CHUNK;
        /* Hash in place where the flash can be mapped (bootloader_mmap), else through the buffer. */
        const void *data = NULL;
        err = ota_partition_map(part, offset, n, &data);
        if (err == OTA_ERR_NOT_SUPPORTED) {
            data = w->buf;
            err = ota_partition_read(part, offset, w->buf, n);
        }
        if (err != OTA_OK) {
            w->v.diag.err = err;
            snprintf(w->v.diag.message, sizeof w->v.diag.message, "bootloader_flash_read failed at 0x%08x",
                     (unsigned)(part->info.offset + offset));
            break;
        }
        err = ota_image_validator_feed(&w->v, data, n);
        offset += n;
    }
    if (err == OTA_OK) {
        err = ota_image_validator_finish(&w->v);
    }
    if (err != OTA_OK && !silent) {
        OTA_LOGE(TAG, "%s", w->v.diag.message);
    }
    if (info != NULL) {
        *info = w->v.info;
    }
    if (diag != NULL) {
        *diag = w->v.diag;
        diag->err = err;
    }
    ota_free(w);
    return err;
}

int ota_image_read_app_desc(const ota_partition_t *part, ota_app_desc_t *out)
{
    uint8_t raw[OTA_APP_DESC_SIZE];
    int err = ota_partition_read(part, OTA_APP_DESC_OFFSET, raw, sizeof raw);
    if (err != OTA_OK) {
        return err;
    }
    ota_app_desc_decode(raw, out);
    return out->magic_word == OTA_APP_DESC_MAGIC ? OTA_OK : OTA_ERR_IMG_APP_DESC;
}

void ota_image_log_segments(const char *tag, uint32_t partition_offset, const ota_image_info_t *info)
{
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        bool map = ota_chip_addr_is_mapped(info->header.chip_id, s->load_addr);
        bool load = !map && s->load_addr >= 0x10000000u;
        OTA_LOGI(tag, "segment %u: paddr=%08x vaddr=%08x size=%05xh (%6u) %s", i,
                 (unsigned)(partition_offset + s->header_offset + OTA_IMAGE_SEGMENT_HEADER_SIZE),
                 (unsigned)s->load_addr, (unsigned)s->data_len, (unsigned)s->data_len,
                 load  ? "load"
                 : map ? "map"
                       : "");
    }
}
