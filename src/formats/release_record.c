/* A release's BEGIN and COMMIT records in the otadata log (ota_release_record.h). Pure. */
#include "formats/ota_release_record.h"

#include <string.h>

#include "ota/ota_err.h"
#include "byte_order.h"

static const uint8_t k_magic[2][4] = {{'O', 'T', 'R', 'B'}, {'O', 'T', 'R', 'C'}};

#define FLAGS_AT  16u
#define COUNT_AT  17u
#define APP_ID_AT 20u
#define OFFSET_AT 28u
#define FLAG_APP  0x01u

_Static_assert(OFFSET_AT + 4 * OTA_RELEASE_RECORD_OFFSETS <= 60, "the offsets end before the CRC");

void ota_release_record_encode(const ota_release_record_t *rec, uint8_t out[OTA_FLOOR_LOG_RECORD_SIZE])
{
    bool commit = rec->kind == OTA_FLOOR_LOG_COMMIT;
    memset(out, 0, OTA_FLOOR_LOG_RECORD_SIZE);
    memcpy(out, k_magic[commit], 4);
    ota_put_le32(out + 8, rec->sequence);
    ota_put_le32(out + OTA_RELEASE_RECORD_OTADATA_AT, rec->otadata_seq);
    if (commit) {
        uint32_t n = rec->count < OTA_RELEASE_RECORD_OFFSETS ? rec->count : OTA_RELEASE_RECORD_OFFSETS;
        out[FLAGS_AT] = rec->has_app_id ? FLAG_APP : 0u;
        out[COUNT_AT] = (uint8_t)n;
        if (rec->has_app_id) {
            memcpy(out + APP_ID_AT, rec->app_id, OTA_RELEASE_RECORD_APP_ID_SIZE);
        } else {
            memset(out + APP_ID_AT, 0xFF, OTA_RELEASE_RECORD_APP_ID_SIZE);
        }
        for (uint32_t i = 0; i < n; i++) {
            ota_put_le32(out + OFFSET_AT + 4 * i, rec->offset[i]);
        }
    }
    ota_floor_log_seal(out, rec->seq);
}

int ota_release_record_decode(const uint8_t in[OTA_FLOOR_LOG_RECORD_SIZE], ota_release_record_t *out)
{
    memset(out, 0, sizeof *out);
    int kind = ota_floor_log_kind(in, &out->seq);
    if (kind < 0) {
        out->seq = 0;
        return kind;
    }
    if ((kind != OTA_FLOOR_LOG_BEGIN && kind != OTA_FLOOR_LOG_COMMIT) ||
        (kind == OTA_FLOOR_LOG_COMMIT && in[COUNT_AT] > OTA_RELEASE_RECORD_OFFSETS)) {
        out->seq = 0;
        return OTA_ERR_SVC_CHECKPOINT;
    }
    out->kind = kind;
    out->sequence = ota_get_le32(in + 8);
    out->otadata_seq = ota_get_le32(in + OTA_RELEASE_RECORD_OTADATA_AT);
    if (kind == OTA_FLOOR_LOG_COMMIT) {
        out->has_app_id = (in[FLAGS_AT] & FLAG_APP) != 0;
        memcpy(out->app_id, in + APP_ID_AT, OTA_RELEASE_RECORD_APP_ID_SIZE);
        out->count = in[COUNT_AT];
        for (uint32_t i = 0; i < out->count; i++) {
            out->offset[i] = ota_get_le32(in + OFFSET_AT + 4 * i);
        }
    }
    return OTA_OK;
}

bool ota_release_record_binds(const ota_release_record_t *rec, uint32_t booted_seq, const uint8_t *app_id)
{
    return rec->kind == OTA_FLOOR_LOG_COMMIT && rec->otadata_seq <= booted_seq &&
           (!rec->has_app_id ||
            (app_id != NULL && memcmp(rec->app_id, app_id, OTA_RELEASE_RECORD_APP_ID_SIZE) == 0));
}
