/* Version-floor records in the otadata sectors' spare bytes (ota_floor_log.h). Pure. */
#include "formats/ota_floor_log.h"

#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "byte_order.h"

/* by kind - 1: OTA_FLOOR_LOG_FLOOR, _BEGIN, _COMMIT */
static const uint8_t k_magic[3][4] = {{'O', 'T', 'F', 'V'}, {'O', 'T', 'R', 'B'}, {'O', 'T', 'R', 'C'}};

#define CRC_AT 60u

int ota_floor_log_kind(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], uint32_t *seq)
{
    *seq = ota_get_le32(in + 4);
    if (ota_bytes_all(in, OTA_FLOOR_LOG_RECORD_SIZE, 0xFF)) {
        return OTA_ERR_NOT_FOUND;
    }
    if (ota_get_le32(in + CRC_AT) == ota_crc32_le(0, in, CRC_AT)) {
        for (int k = 0; k < 3; k++) {
            if (memcmp(in, k_magic[k], 4) == 0) {
                return k + 1;
            }
        }
    }
    return OTA_ERR_SVC_CHECKPOINT; /* torn (a cut while it was programmed) or not ours */
}

void ota_floor_log_seal(uint8_t rec[OTA_FLOOR_LOG_RECORD_SIZE], uint32_t seq)
{
    ota_put_le32(rec + 4, seq);
    ota_put_le32(rec + CRC_AT, ota_crc32_le(0, rec, CRC_AT));
}

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
    memcpy(out, k_magic[0], 4);
    ota_put_le32(out + 8, rec->part_offset);
    memcpy(out + 12, rec->label, field_len(rec->label, OTA_FLOOR_LOG_LABEL_MAX));
    memcpy(out + 28, rec->version, field_len(rec->version, OTA_FLOOR_LOG_VERSION_MAX));
    ota_floor_log_seal(out, rec->seq);
}

int ota_floor_record_decode(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], ota_floor_record_t *out)
{
    memset(out, 0, sizeof *out);
    int kind = ota_floor_log_kind(in, &out->seq);
    if (kind != OTA_FLOOR_LOG_FLOOR) {
        out->seq = 0;
        return kind < 0 ? kind : OTA_ERR_SVC_CHECKPOINT; /* a release record: not a floor */
    }
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
