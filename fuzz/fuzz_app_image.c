/*
 * ESP app image, whole: ota_image_validate_buffer (what `ota image info` and the flash verifier
 * run) with the validator's options taken from the input's length, so every option combination
 * meets every mutation, plus the header/description decoders and name tables the reports use.
 */
#include "fuzz.h"

#include "ota/ota_app_image.h"

OTA_FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    ota_image_validator_config_t cfg = {0};
    cfg.keep_going = (size & 1) != 0;
    cfg.ignore_trailing = (size & 2) != 0;
    cfg.allow_missing_app_desc = (size & 4) != 0;
    cfg.check_chip = (size & 8) != 0;
    cfg.chip_id = 0; /* ESP32 */
    cfg.chip_revision = 300;
    cfg.max_size = (size & 16) ? 0x100000u : 0;
    cfg.expected_size = (size & 32) ? (uint32_t)size : 0;
    cfg.flash_addr = (size & 64) ? 0x10000u : 0;

    ota_image_info_t info;
    ota_image_diag_t diag;
    memset(&info, 0, sizeof info);
    memset(&diag, 0, sizeof diag);
    (void)ota_image_validate_buffer(copy, size, &cfg, &info, &diag);
    OTA_FUZZ_CHECK(memchr(diag.message, '\0', sizeof diag.message) != NULL);
    if (info.header_valid) {
        char buf[128];
        (void)ota_image_flash_mode_name(info.header.spi_mode);
        (void)ota_image_flash_freq_name(info.header.chip_id, info.header.spi_speed);
        (void)ota_image_flash_size_name(info.header.spi_size);
        (void)ota_chip_display_name(info.header.chip_id);
        for (uint8_t i = 0; i < info.segments_seen && i < OTA_IMAGE_MAX_SEGMENTS; i++) {
            (void)ota_chip_memory_types(info.header.chip_id, info.segments[i].load_addr, buf, sizeof buf);
            (void)ota_chip_addr_is_mapped(info.header.chip_id, info.segments[i].load_addr);
        }
    }
    if (size >= OTA_IMAGE_PEEK_SIZE) {
        ota_image_header_t header;
        ota_image_segment_header_t seg;
        ota_app_desc_t desc;
        ota_image_header_decode(copy, &header);
        ota_image_segment_header_decode(copy + OTA_IMAGE_HEADER_SIZE, &seg);
        ota_app_desc_decode(copy + OTA_APP_DESC_OFFSET, &desc);
    }
    free(copy);
    return 0;
}
