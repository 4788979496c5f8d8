/* Logging the console lines of an ESP-IDF version (ota_idf_console.h): the table is pure
 * (src/formats/idf_console.c), this writes what it renders to the log. */
#include <string.h>

#include "ota/ota_app_image.h"
#include "formats/ota_idf_console.h"
#include "ota/ota_log.h"

void ota_idf_log(const ota_idf_version_t *ver, ota_idf_line_t line, const ota_idf_args_t *args)
{
    char buf[160];
    const char *tag = NULL;
    ota_log_level_t level = OTA_LOG_INFO;
    if (ota_idf_line(ver, line, args, buf, sizeof buf, &tag, &level)) {
        ota_log_write(level, tag, "%s", buf);
    }
}

void ota_idf_log_segments(const ota_idf_version_t *ver, uint32_t partition_offset,
                          const ota_image_info_t *info, bool loading)
{
    /* esp_image_format.c process_segment: "load" only when the bootloader loads the segment into
     * RAM (ESP_IMAGE_LOAD); an app verifying an image (esp_ota_end) prints "map" or nothing. */
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        bool map = ota_chip_addr_is_mapped(info->header.chip_id, s->load_addr);
        bool load = loading && !map && s->load_addr >= 0x10000000u;
        ota_idf_args_t a = {{load  ? "load"
                             : map ? "map"
                                   : "",
                             NULL},
                            {i, partition_offset + s->header_offset + OTA_IMAGE_SEGMENT_HEADER_SIZE,
                             s->load_addr, s->data_len}};
        ota_idf_log(ver, OTA_IDF_IMAGE_SEGMENT, &a);
    }
}

void ota_idf_log_app_verify(const ota_idf_version_t *ver, uint32_t partition_offset,
                            const ota_image_info_t *info, uint16_t chip_revision)
{
    if (!OTA_IDF_CONSOLE_HISTORY) {
        return; /* esp_image_verify's own lines: a device's esp_image prints them where it verifies */
    }
    if (info->header.magic == OTA_IMAGE_MAGIC && chip_revision / 100u > info->header.min_chip_rev) {
        ota_idf_args_t a = {{"application", NULL}, {chip_revision, info->header.min_chip_rev}};
        ota_idf_log(ver, OTA_IDF_APP_COMM_REV, &a);
    }
    ota_idf_log_segments(ver, partition_offset, info, false);
}
