/* A release's BEGIN and COMMIT records appended to otadata (ota_release_log.h). */
#include "boot/ota_release_log.h"

#include <string.h>

#include "boot/ota_otadata_floor.h"
#include "formats/ota_release_record.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"

static const char *TAG = "ota_release";

/* Slots a release may append to the active sector: BEGIN, a floor per data item, COMMIT, a re-run. */
#define ROOM 16u

static void count_only(void *ctx, const uint8_t *raw, int kind, uint32_t seq)
{
    (void)ctx;
    (void)raw;
    (void)kind;
    (void)seq;
}

/* The sector of the active entry must take every record of the release: after a switch the
 * bootloader's NEW -> PENDING_VERIFY (and ABORTED) rewrite of the new entry's sector programs the
 * entry alone, so until the app confirms, that sector's records are the only ones. Appending
 * skips a full active sector (a cut while it is rewritten would change the boot), so it is
 * compacted here, before the release starts, when it has less than ROOM free: first the other
 * sector gets the records and a copy of the active entry (the older entry goes: a confirmed or
 * rollback-free app has no use for it), then the active sector; during each erase the other sector
 * selects the same slot. An unconfirmed active entry is left as it is. */
static int make_room(const ota_device_t *dev)
{
    uint32_t free_slot[2];
    ota_otadata_entry_t e[2];
    int err = ota_otadata_log_each(dev, count_only, NULL, free_slot);
    if (err == OTA_OK) {
        err = ota_ops_read_otadata(dev, e);
    }
    int active = err == OTA_OK ? ota_otadata_active(e) : -1;
    if (active < 0 || OTA_FLOOR_LOG_SLOTS - free_slot[active] >= ROOM) {
        return err;
    }
    if (e[active].ota_state != OTA_IMG_VALID && e[active].ota_state != OTA_IMG_UNDEFINED) {
        OTA_LOGW(TAG, "otadata[%d] is nearly full and not confirmed: not compacted", active);
        return OTA_OK;
    }
    uint8_t raw[OTA_OTADATA_ENTRY_SIZE];
    ota_otadata_entry_encode(&e[active], raw);
    err = ota_otadata_floor_rewrite(dev, 1 - active, raw);
    return err == OTA_OK ? ota_otadata_floor_rewrite(dev, active, raw) : err;
}

int ota_release_log_begin(const ota_device_t *dev, uint32_t sequence, uint32_t otadata_seq)
{
    if (dev == NULL || sequence == 0) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_release_record_t rec = {
        .kind = OTA_FLOOR_LOG_BEGIN, .sequence = sequence, .otadata_seq = otadata_seq};
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_release_record_encode(&rec, raw);
    int err = make_room(dev);
    if (err == OTA_OK) {
        err = ota_otadata_log_append(dev, raw);
    }
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "release %u begun (otadata seq %u)", (unsigned)sequence, (unsigned)otadata_seq);
    }
    return err;
}

int ota_release_log_commit(const ota_device_t *dev, const ota_release_state_t *st, const uint8_t app_id[8])
{
    if (dev == NULL || st == NULL || st->sequence == 0 || st->count > OTA_RELEASE_RECORD_OFFSETS) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_release_record_t rec = {.kind = OTA_FLOOR_LOG_COMMIT,
                                .sequence = st->sequence,
                                .otadata_seq = st->otadata_seq,
                                .has_app_id = app_id != NULL,
                                .count = st->count};
    if (app_id != NULL) {
        memcpy(rec.app_id, app_id, OTA_RELEASE_RECORD_APP_ID_SIZE);
    }
    for (uint32_t i = 0; i < st->count; i++) {
        rec.offset[i] = st->data[i].offset;
    }
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_release_record_encode(&rec, raw);
    int err = ota_otadata_log_append(dev, raw);
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "release %u committed: %u data partition(s) bound to otadata seq %u",
                 (unsigned)st->sequence, (unsigned)st->count, (unsigned)st->otadata_seq);
    }
    return err;
}
