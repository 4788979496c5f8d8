/* The second-stage bootloader image header and its esp_bootloader_desc_t (pure). */
#include "ota/ota_bootloader_image.h"

#include <string.h>

#include "byte_order.h"
#include "ota/ota_app_image.h"
#include "ota/ota_err.h"

uint32_t ota_bootloader_image_offset(uint16_t chip_id)
{
    switch (chip_id) {
    case OTA_CHIP_ESP32:
    case OTA_CHIP_ESP32S2:
        return 0x1000; /* the ROM reads the bootloader after the first 4 KiB (ESP32 flash encryption) */
    case OTA_CHIP_ESP32P4:
    case OTA_CHIP_ESP32C5: return 0x2000;
    default: return 0x0;
    }
}

static void copy_text(char *dst, size_t dst_size, const uint8_t *src, size_t n)
{
    size_t i = 0;
    for (; i < n && i + 1 < dst_size && src[i] != '\0'; i++) {
        dst[i] = (char)src[i];
    }
    dst[i] = '\0';
}

int ota_bootloader_image_parse(const uint8_t *data, size_t len, uint32_t offset,
                               ota_bootloader_image_info_t *out)
{
    if (data == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    if (len < OTA_IMAGE_HEADER_SIZE) {
        return OTA_ERR_IMG_TRUNCATED;
    }
    ota_image_header_t h;
    ota_image_header_decode(data, &h);
    if (h.magic != OTA_IMAGE_MAGIC) {
        return OTA_ERR_IMG_BAD_MAGIC;
    }
    if (h.segment_count == 0 || h.segment_count > OTA_IMAGE_MAX_SEGMENTS || h.spi_size > 7) {
        return OTA_ERR_IMG_SEGMENT;
    }
    if (ota_chip_info(h.chip_id) == NULL || ota_bootloader_image_offset(h.chip_id) != offset) {
        return OTA_ERR_IMG_WRONG_CHIP;
    }
    out->offset = offset;
    out->chip_id = h.chip_id;
    out->spi_mode = h.spi_mode;
    out->spi_speed = h.spi_speed;
    out->spi_size = h.spi_size;
    out->flash_size = (1024u * 1024u) << h.spi_size;
    out->entry_addr = h.entry_addr;
    out->segment_count = h.segment_count;
    out->min_chip_rev_full = h.min_chip_rev_full;
    out->max_chip_rev_full = h.max_chip_rev_full;

    /* esptool places .dram0.bootdesc first, so the description is segment 0's data. */
    if (len >= OTA_BOOTLOADER_PROBE_SIZE) {
        ota_image_segment_header_t seg0;
        ota_image_segment_header_decode(data + OTA_IMAGE_HEADER_SIZE, &seg0);
        const uint8_t *d = data + OTA_BOOTLOADER_DESC_OFFSET;
        if (seg0.data_len >= OTA_BOOTLOADER_DESC_SIZE && d[0] == OTA_BOOTLOADER_DESC_MAGIC_BYTE) {
            out->has_desc = true;
            out->desc_secure_version = d[3];
            out->desc_version = ota_get_le32(d + 4);
            copy_text(out->idf_ver, sizeof out->idf_ver, d + 8, 32);
            copy_text(out->date_time, sizeof out->date_time, d + 40, 24);
        }
    }
    return OTA_OK;
}
