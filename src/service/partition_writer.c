/* Power-cut-safe sequential partition writer; see partition_writer.h for the operation order. */
#include "partition_writer.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"

static const char *TAG = "ota_writer";

/* Bytes of sector 0 programmed after the rest of it: the image header that makes a partition
 * look valid (app header 24 B + first segment header, tone header 8 B). */
#define HEAD_BYTES 32u

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* Erase the next unit at w->erased_end: a whole block when the block is aligned, inside the
 * partition, and (if the size is known) fully covered by the image; else one sector. */
static int erase_ahead(ota_partition_writer_t *w)
{
    uint32_t at = w->erased_end;
    uint32_t abs = w->part.info.offset + at;
    bool block_ok = abs % w->block == 0 && at + w->block <= w->part.info.size &&
                    (w->expected < 0 || (int64_t)at + w->block <= w->expected);
    uint32_t unit = block_ok ? w->block : w->sector;
    int err = ota_partition_erase_range(&w->part, at, unit);
    if (err == OTA_OK) {
        w->erased_end += unit;
    }
    return err;
}

int ota_pw_begin(ota_partition_writer_t *w, const ota_partition_t *part, uint8_t *first_sector,
                 int64_t expected, const ota_journal_header_t *journal)
{
    memset(w, 0, sizeof *w);
    w->part = *part;
    w->first = first_sector;
    w->sector = part->flash->sector_size;
    w->block = part->flash->block_size;
    w->expected = expected;
    if (expected > (int64_t)part->info.size) {
        OTA_LOGE(TAG, "image of %lld bytes does not fit partition %s (%u bytes)", (long long)expected,
                 part->info.label, (unsigned)part->info.size);
        return OTA_ERR_IMG_TOO_LARGE;
    }
    if (part->info.size < w->sector || part->info.offset % w->sector != 0) {
        return OTA_ERR_INVALID_SIZE;
    }
    memset(first_sector, 0xFF, w->sector);
    int err = erase_ahead(w);
    if (err != OTA_OK) {
        return err;
    }
    uint8_t header[OTA_JOURNAL_HEADER_SIZE];
    ota_journal_header_encode(journal, header);
    err = ota_partition_program(&w->part, 0, header, sizeof header);
    if (err != OTA_OK) {
        return err;
    }
    w->journal_next = OTA_JOURNAL_RECORDS_OFFSET;
    w->journal_end = OTA_JOURNAL_RECORDS_OFFSET + ota_journal_capacity(w->sector) * OTA_JOURNAL_RECORD_SIZE;
    w->begun = true;
    return OTA_OK;
}

int ota_pw_write(ota_partition_writer_t *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!w->begun) {
        return OTA_ERR_INVALID_STATE;
    }
    if (len > w->part.info.size - w->written) {
        OTA_LOGE(TAG, "image exceeds partition %s (%u bytes)", w->part.info.label, (unsigned)w->part.info.size);
        return OTA_ERR_IMG_TOO_LARGE;
    }
    if (w->written < w->sector && len > 0) {
        uint32_t n = min_u32(w->sector - w->written, (uint32_t)len);
        memmove(w->first + w->written, p, n); /* p may already point there (peeked bytes) */
        w->written += n;
        p += n;
        len -= n;
    }
    if (len == 0) {
        return OTA_OK;
    }
    uint32_t end = w->written + (uint32_t)len;
    while (w->erased_end < end) {
        int err = erase_ahead(w);
        if (err != OTA_OK) {
            return err;
        }
    }
    int err = ota_partition_program(&w->part, w->written, p, len);
    if (err != OTA_OK) {
        return err;
    }
    w->written = end;
    return OTA_OK;
}

int ota_pw_checkpoint(ota_partition_writer_t *w, const ota_journal_checkpoint_t *cp)
{
    if (w->journal_next + OTA_JOURNAL_RECORD_SIZE > w->journal_end) {
        return OTA_OK; /* full: resuming restarts from the last recorded point */
    }
    uint8_t rec[OTA_JOURNAL_RECORD_SIZE];
    ota_journal_record_encode(cp, rec);
    int err = ota_partition_program(&w->part, w->journal_next, rec, sizeof rec);
    if (err == OTA_OK) {
        w->journal_next += OTA_JOURNAL_RECORD_SIZE;
    }
    return err;
}

int ota_pw_read_back(ota_partition_writer_t *w, int (*consume)(void *ctx, const uint8_t *data, size_t len),
                     void *ctx, uint8_t *buf, size_t buf_size)
{
    uint32_t head = min_u32(w->written, w->sector);
    int err = consume(ctx, w->first, head);
    for (uint32_t off = head; err == OTA_OK && off < w->written;) {
        uint32_t n = min_u32(w->written - off, (uint32_t)buf_size);
        err = ota_partition_read(&w->part, off, buf, n);
        if (err == OTA_OK) {
            err = consume(ctx, buf, n);
        }
        off += n;
    }
    return err;
}

int ota_pw_commit(ota_partition_writer_t *w)
{
    uint32_t head = min_u32(w->written, w->sector);
    int err = ota_partition_erase_range(&w->part, 0, w->sector);
    if (err == OTA_OK && head > HEAD_BYTES) {
        err = ota_partition_program(&w->part, HEAD_BYTES, w->first + HEAD_BYTES, head - HEAD_BYTES);
    }
    if (err == OTA_OK) {
        err = ota_partition_program(&w->part, 0, w->first, min_u32(head, HEAD_BYTES));
    }
    if (err != OTA_OK) {
        return err;
    }
    /* Compare in small pieces: the caller's buffer is the RAM copy itself. */
    uint8_t check[256];
    for (uint32_t off = 0; off < head; off += sizeof check) {
        uint32_t n = min_u32(head - off, (uint32_t)sizeof check);
        err = ota_partition_read(&w->part, off, check, n);
        if (err != OTA_OK) {
            return err;
        }
        if (memcmp(check, w->first + off, n) != 0) {
            OTA_LOGE(TAG, "partition %s: first sector reads back different from what was written",
                     w->part.info.label);
            return OTA_ERR_SVC_VERIFY_FAILED;
        }
    }
    return OTA_OK;
}
