/*
 * ESP-ADF tone image (mk_audio_tone.py formats 0 and 1): the prefix parser the service runs on
 * the first bytes of a download (header, description, table: decide before erasing), then the
 * whole-image validator over a memory reader, each entry read back, and the diag text.
 * Property: a valid image's layout equals what its prefix promised.
 */
#include "fuzz.h"

#include "ota/ota_tone.h"

OTA_FUZZ_QUIET_INIT

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);
    uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
    char text[256];

    /* The streaming path: header first, then the description, then the whole prefix. */
    ota_tone_header_t header;
    ota_tone_diag_t diag;
    memset(&diag, 0, sizeof diag);
    int err = ota_tone_header_parse(copy, size, &header, &diag);
    (void)ota_tone_diag_format(err, &diag, text, sizeof text);
    ota_tone_info_t prefix;
    int prefix_err = -1;
    if (err == 0) {
        ota_tone_desc_t desc;
        if (size > OTA_TONE_HEADER_SIZE) {
            err = ota_tone_desc_parse(copy + OTA_TONE_HEADER_SIZE, size - OTA_TONE_HEADER_SIZE, &desc, &diag);
            (void)ota_tone_diag_format(err, &diag, text, sizeof text);
        }
        uint32_t need = ota_tone_prefix_size(&header);
        /* Exactly the prefix, in its own buffer: reading beyond it is a report. */
        if (need <= size) {
            uint8_t *pre = malloc(need ? need : 1);
            if (pre != NULL) {
                memcpy(pre, copy, need);
                prefix_err = ota_tone_parse_prefix(pre, need, (len & 1) ? len : 0, &prefix, &diag);
                (void)ota_tone_diag_format(prefix_err, &diag, text, sizeof text);
                free(pre);
            }
        } else {
            OTA_FUZZ_CHECK(ota_tone_parse_prefix(copy, size, 0, &prefix, &diag) != 0);
        }
    }

    ota_tone_memory_t mem = {copy, size};
    ota_tone_info_t info;
    err = ota_tone_validate(ota_tone_memory_read, &mem, len, &info, &diag);
    (void)ota_tone_diag_format(err, &diag, text, sizeof text);
    if (err == 0) {
        OTA_FUZZ_CHECK(info.image_size <= size);
        OTA_FUZZ_CHECK(prefix_err == 0 && prefix.image_size == info.image_size &&
                       prefix.data_end == info.data_end);
        for (uint32_t i = 0; i < info.header.total_num; i++) {
            ota_tone_entry_t entry;
            OTA_FUZZ_CHECK(ota_tone_read_entry(ota_tone_memory_read, &mem, &info.header, i, &entry) == 0);
        }
    }
    free(copy);
    return 0;
}
