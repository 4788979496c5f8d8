/* Version-floor records in the otadata sectors' spare bytes (ota_floor_log.h). Pure. */
#include "formats/ota_floor_log.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "byte_order.h"

static const uint8_t k_magic[4] = {'O', 'T', 'F', 'V'};

#define CRC_AT 60u

static size_t field_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

void ota_floor_record_encode(const ota_floor_record_t *rec, uint8_t out[OTA_FLOOR_LOG_RECORD_SIZE])
{
    memset(out, 0, OTA_FLOOR_LOG_RECORD_SIZE);
    memcpy(out, k_magic, sizeof k_magic);
    ota_put_le32(out + 4, rec->seq);
    ota_put_le32(out + 8, rec->part_offset);
    memcpy(out + 12, rec->label, field_len(rec->label, OTA_FLOOR_LOG_LABEL_MAX));
    memcpy(out + 28, rec->version, field_len(rec->version, OTA_FLOOR_LOG_VERSION_MAX));
    ota_put_le32(out + CRC_AT, ota_crc32_le(0, out, CRC_AT));
}

int ota_floor_record_decode(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], ota_floor_record_t *out)
{
    memset(out, 0, sizeof *out);
    bool erased = true;
    for (uint32_t i = 0; i < OTA_FLOOR_LOG_RECORD_SIZE && erased; i++) {
        erased = in[i] == 0xFF;
    }
    if (erased) {
        return OTA_ERR_NOT_FOUND;
    }
    if (memcmp(in, k_magic, sizeof k_magic) != 0 ||
        ota_get_le32(in + CRC_AT) != ota_crc32_le(0, in, CRC_AT)) {
        return OTA_ERR_SVC_CHECKPOINT; /* torn (a cut while it was programmed) or not ours */
    }
    out->seq = ota_get_le32(in + 4);
    out->part_offset = ota_get_le32(in + 8);
    memcpy(out->label, in + 12, OTA_FLOOR_LOG_LABEL_MAX);
    memcpy(out->version, in + 28, OTA_FLOOR_LOG_VERSION_MAX);
    return OTA_OK;
}

bool ota_floor_record_is_for(const ota_floor_record_t *rec, uint32_t offset, const char *label)
{
    return rec->part_offset == offset && strncmp(rec->label, label, OTA_FLOOR_LOG_LABEL_MAX) == 0;
}

uint32_t ota_floor_log_slot_offset(uint32_t i)
{
    return OTA_FLOOR_LOG_FIRST + i * OTA_FLOOR_LOG_RECORD_SIZE;
}
