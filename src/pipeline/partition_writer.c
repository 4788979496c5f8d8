/* Power-cut-safe sequential partition writer; see partition_writer.h for the operation order. */
#include "partition_writer.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "boot/ota_otadata_floor.h"

static const char *TAG = "ota_writer";

/* Bytes of sector 0 programmed after the rest of it: the image header that makes a partition
 * look valid (app header 24 B + first segment header, tone header 8 B). */
#define HEAD_BYTES 32u

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* A block erase costs about as much as this many sector erases (W25Q32: 150 ms vs 45 ms). */
#define SECTORS_PER_BLOCK_ERASE_COST 4u

/* Erase the next unit at w->erased_end: a whole block when the block is aligned, inside the
 * partition, and the image will write at least SECTORS_PER_BLOCK_ERASE_COST of its sectors (so
 * the block erase is the cheaper way; unknown size: always); else one sector. */
static int sector_is_blank(ota_partition_writer_t *w, uint32_t off, bool *blank);

/* A data partition's bytes after the image are erased at the commit (erase_tail; not with
 * keep_tail): the sectors of the image's last block that still hold old content count towards a
 * block erase now. */
static uint32_t dirty_sectors_after_image(ota_partition_writer_t *w, uint32_t block_at)
{
    uint32_t n = 0;
    uint32_t image_end = (uint32_t)((w->expected + w->sector - 1) / w->sector * w->sector);
    for (uint32_t off = image_end > block_at ? image_end : block_at; off < block_at + w->block;
         off += w->sector) {
        bool blank = true;
        if (sector_is_blank(w, off, &blank) == OTA_OK && !blank) {
            n++;
        }
    }
    return n;
}

static int erase_ahead(ota_partition_writer_t *w)
{
    uint32_t at = w->erased_end;
    uint32_t abs = w->part.info.offset + at;
    bool aligned = abs % w->block == 0 && at + w->block <= w->limit;
    int64_t covered = (int64_t)at + (int64_t)SECTORS_PER_BLOCK_ERASE_COST * w->sector;
    bool block_ok = aligned && (w->expected < 0 || covered <= w->expected);
    if (aligned && !block_ok && w->part.info.type == OTA_PART_TYPE_DATA && !w->keep_tail) {
        uint32_t image_sectors = (uint32_t)((w->expected - at + w->sector - 1) / w->sector);
        block_ok = image_sectors + dirty_sectors_after_image(w, at) >= SECTORS_PER_BLOCK_ERASE_COST;
    }
    uint32_t unit = block_ok ? w->block : w->sector;
    int err = ota_partition_erase_range(&w->part, at, unit);
    if (err == OTA_OK) {
        w->erased_end += unit;
    }
    return err;
}

int ota_pw_last_checkpoint(const uint8_t *sector0, uint32_t sector_size, ota_journal_checkpoint_t *cp,
                           uint32_t *free_slot)
{
    int last = -1;
    uint32_t end = OTA_JOURNAL_RECORDS_OFFSET + ota_journal_capacity(sector_size) * OTA_JOURNAL_RECORD_SIZE;
    *free_slot = end;
    for (uint32_t off = OTA_JOURNAL_RECORDS_OFFSET, i = 0; off < end; off += OTA_JOURNAL_RECORD_SIZE, i++) {
        ota_journal_checkpoint_t rec;
        int err = ota_journal_record_decode(sector0 + off, &rec);
        if (err == OTA_ERR_NOT_FOUND) {
            *free_slot = off;
            break;
        }
        if (err == OTA_OK) { /* a torn record (power cut while appending it) is skipped */
            *cp = rec;
            last = (int)i;
        }
    }
    return last;
}

int ota_pw_read_journal(const ota_partition_t *part, uint8_t *sector_buf, ota_journal_header_t *header,
                        ota_journal_checkpoint_t *cp, uint32_t *free_slot)
{
    uint32_t sector = part->flash->sector_size;
    if (ota_partition_read(part, 0, sector_buf, sector) != OTA_OK ||
        ota_journal_header_decode(sector_buf, header) != OTA_OK || header->etag[0] == '\0' ||
        header->total_size == OTA_JOURNAL_UNKNOWN_SIZE) {
        return OTA_ERR_NOT_FOUND;
    }
    if (ota_pw_last_checkpoint(sector_buf, sector, cp, free_slot) < 0 || cp->bytes_written <= sector ||
        cp->bytes_written % sector != 0 || cp->bytes_written > header->total_size) {
        return OTA_ERR_NOT_FOUND;
    }
    return OTA_OK;
}

/* Can the install in the partition be continued? Only for the same image: the journal's header
 * equals the one this install would write (URI, size, ETag). */
static bool find_resume_point(ota_partition_writer_t *w, const ota_journal_header_t *journal,
                              ota_journal_checkpoint_t *cp)
{
    ota_journal_header_t found;
    uint32_t free_slot;
    /* the RAM sector buffer serves as scratch: the caller refills it with the image's bytes */
    if (ota_pw_read_journal(&w->part, w->first, &found, cp, &free_slot) != OTA_OK ||
        found.total_size != journal->total_size || strcmp(found.etag, journal->etag) != 0 ||
        memcmp(found.source_id, journal->source_id, sizeof found.source_id) != 0) {
        return false;
    }
    w->journal_next = free_slot;
    return true;
}

/* Also the fresh start of ota_pw_begin: erase the first unit and write the journal header that
 * names the image, so a cut from here on can be resumed. */
int ota_pw_restart(ota_partition_writer_t *w, const ota_journal_header_t *journal)
{
    w->resume_at = 0;
    w->erased_end = 0;
    w->journal_next = OTA_JOURNAL_RECORDS_OFFSET;
    w->spill_cur = w->spill_next = 0;
    int err = erase_ahead(w);
    if (err != OTA_OK) {
        return err;
    }
    if (journal->floors != NULL && journal->floor[0] != '\0') {
        /* the version floor before the header: a valid header implies a complete floor */
        uint8_t rec[OTA_JOURNAL_RECORD_SIZE];
        journal->floors->encode(journal->floor, rec);
        err = ota_partition_program(&w->part, OTA_JOURNAL_RECORDS_OFFSET, rec, sizeof rec);
        if (err != OTA_OK) {
            return err;
        }
        w->journal_next += OTA_JOURNAL_RECORD_SIZE;
    }
    uint8_t header[OTA_JOURNAL_HEADER_SIZE];
    ota_journal_header_encode(journal, header);
    err = ota_partition_program(&w->part, 0, header, sizeof header);
    if (err == OTA_OK && w->spill_at != 0) {
        /* before the first checkpoint: every record found there later is this install's */
        err = ota_partition_erase_range(&w->part, w->spill_at, OTA_JOURNAL_SPILL_SECTORS * w->sector);
    }
    return err;
}

int ota_pw_spill_record(ota_partition_writer_t *w, const uint8_t *rec, uint32_t len)
{
    uint32_t cap = w->sector / OTA_JOURNAL_RECORD_SIZE * OTA_JOURNAL_RECORD_SIZE;
    if (w->spill_at == 0 || len > cap) {
        return OTA_ERR_INVALID_STATE;
    }
    if (w->spill_next + len > cap) {
        /* The current sector holds the last checkpoint's record: the other one may go. */
        uint32_t other = w->spill_cur ^ 1u;
        int err = ota_partition_erase_range(&w->part, w->spill_at + other * w->sector, w->sector);
        if (err != OTA_OK) {
            return err;
        }
        w->spill_cur = other;
        w->spill_next = 0;
    }
    int err =
        ota_partition_program(&w->part, w->spill_at + w->spill_cur * w->sector + w->spill_next, rec, len);
    if (err == OTA_OK) {
        w->spill_next += len;
    }
    return err;
}

int ota_pw_begin(ota_partition_writer_t *w, const ota_device_t *device, const ota_partition_t *part,
                 uint8_t *first_sector, int64_t expected, const ota_journal_header_t *journal,
                 ota_journal_checkpoint_t *resume)
{
    memset(w, 0, sizeof *w);
    w->part = *part;
    w->first = first_sector;
    w->sector = part->flash->sector_size;
    w->block = part->flash->block_size;
    w->expected = expected;
    if (resume != NULL) {
        memset(resume, 0, sizeof *resume);
    }
    if (expected > (int64_t)part->info.size) {
        OTA_LOGE(TAG, "image of %lld bytes does not fit partition %s (%u bytes)", (long long)expected,
                 part->info.label, (unsigned)part->info.size);
        return OTA_ERR_IMG_TOO_LARGE;
    }
    if (part->info.size < w->sector || part->info.offset % w->sector != 0) {
        return OTA_ERR_INVALID_SIZE;
    }
    /* By address, before the first erase: the table that named this partition may be wrong. */
    int guard = device != NULL ? ota_device_check_writable(device, &part->info)
                : (uint64_t)part->info.offset + part->info.size > part->flash->size ? OTA_ERR_FLASH_PROTECTED
                                                                                    : OTA_OK;
    if (guard != OTA_OK) {
        return guard;
    }
    if (device != NULL && part->info.type == OTA_PART_TYPE_DATA && journal->floors != NULL) {
        /* The floor outside the partition, before anything of it is erased (resumed or not): the
         * commit erases sector 0, where the journal keeps its copy. A device without otadata
         * keeps the journal's copy only. */
        int err = journal->floors->keep(device, &part->info, journal->floor);
        if (err != OTA_OK && err != OTA_ERR_NOT_FOUND) {
            OTA_LOGE(TAG, "partition %s: cannot keep its version floor in otadata: %s", part->info.label,
                     ota_strerror(err));
            return err;
        }
    }
    w->journal_end = OTA_JOURNAL_RECORDS_OFFSET + ota_journal_capacity(w->sector) * OTA_JOURNAL_RECORD_SIZE;
    w->limit = part->info.size;
    w->keep_tail = journal->keep_tail;
    if (journal->staged && journal->spill) {
        /* the output is bounded by total_size; the journal's spill sectors follow it */
        uint64_t end = (uint64_t)journal->total_size + OTA_JOURNAL_SPILL_SECTORS * w->sector;
        if (journal->total_size == 0 || journal->total_size % w->sector != 0 || end > part->info.size) {
            return OTA_ERR_INVALID_ARG;
        }
        w->limit = journal->total_size;
        w->spill_at = journal->total_size;
    }
    ota_journal_checkpoint_t cp = {0};
    bool resuming = resume != NULL && find_resume_point(w, journal, &cp);
    memset(first_sector, 0xFF, w->sector); /* after find_resume_point: it used it as scratch */
    if (resuming) {
        *resume = cp;
        w->resume_at = cp.bytes_written;
        w->erased_end = w->sector; /* sector 0 stays as it is until the commit */
    } else {
        int err = ota_pw_restart(w, journal);
        if (err != OTA_OK) {
            return err;
        }
    }
    w->begun = true;
    return OTA_OK;
}

int ota_pw_resume_jump(ota_partition_writer_t *w)
{
    if (w->resume_at == 0 || w->written != w->sector) {
        return OTA_ERR_INVALID_STATE;
    }
    /* Bytes at and after the checkpoint may hold what was written after it before the cut: they
     * are erased again before being written (lazy erase from resume_at on). */
    w->written = w->resume_at;
    w->erased_end = w->resume_at;
    w->resume_at = 0;
    return OTA_OK;
}

/* Read back what was just programmed and compare it with the bytes still in the caller's
 * buffer (ESP-IDF's CONFIG_SPI_FLASH_VERIFY_WRITE): every byte on flash is checked once, right
 * after its program, without hashing the image a second time. */
static int verify_written(ota_partition_writer_t *w, uint32_t offset, const uint8_t *expect, size_t len)
{
    uint8_t copy[256];
    for (size_t done = 0; done < len;) {
        /* Compare in place where the flash can be mapped (esp_partition_mmap), else via a copy. */
        const uint8_t *check;
        size_t n = len - done;
        int err = ota_partition_map(&w->part, offset + (uint32_t)done, n, (const void **)&check);
        if (err == OTA_ERR_NOT_SUPPORTED) {
            n = n < sizeof copy ? n : sizeof copy;
            check = copy;
            err = ota_partition_read(&w->part, offset + (uint32_t)done, copy, n);
        }
        if (err != OTA_OK) {
            return err;
        }
        if (memcmp(check, expect + done, n) != 0) {
            size_t i = 0;
            while (check[i] == expect[done + i]) {
                i++;
            }
            OTA_LOGE(TAG, "partition %s: byte at offset 0x%x reads back 0x%02x, programmed 0x%02x",
                     w->part.info.label, (unsigned)(offset + done + i), check[i], expect[done + i]);
            return OTA_ERR_SVC_VERIFY_FAILED;
        }
        done += n;
    }
    return OTA_OK;
}

int ota_pw_write(ota_partition_writer_t *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    if (!w->begun) {
        return OTA_ERR_INVALID_STATE;
    }
    if (w->resume_at != 0 && w->written + len > w->sector) {
        return OTA_ERR_INVALID_STATE; /* resuming: sector 0 first, then ota_pw_resume_jump() */
    }
    if (len > w->limit - w->written) {
        OTA_LOGE(TAG, "image exceeds partition %s (%u bytes)", w->part.info.label, (unsigned)w->limit);
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
    if (err == OTA_OK) {
        err = verify_written(w, w->written, p, len);
    }
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

/* Does the sector at partition offset @p off read all 0xFF? */
static int sector_is_blank(ota_partition_writer_t *w, uint32_t off, bool *blank)
{
    uint8_t copy[256];
    *blank = false;
    for (uint32_t done = 0; done < w->sector;) {
        const uint8_t *p;
        uint32_t n = w->sector - done;
        int err = ota_partition_map(&w->part, off + done, n, (const void **)&p);
        if (err == OTA_ERR_NOT_SUPPORTED) {
            n = n < sizeof copy ? n : (uint32_t)sizeof copy;
            p = copy;
            err = ota_partition_read(&w->part, off + done, copy, n);
        }
        if (err != OTA_OK) {
            return err;
        }
        for (uint32_t i = 0; i < n; i++) {
            if (p[i] != OTA_FLASH_ERASED_BYTE) {
                return OTA_OK;
            }
        }
        done += n;
    }
    *blank = true;
    return OTA_OK;
}

/* A data partition ends as ESP-ADF leaves it (it erases the whole partition first): the image,
 * then 0xFF. Past what the writer erased ahead, sectors that still hold the previous content are
 * erased - a 64 KiB block erase where SECTORS_PER_BLOCK_ERASE_COST or more of an aligned block's
 * sectors need it, else those sectors - and blank ones are left alone (a read costs far less than
 * an erase, and spares the wear). Runs while the journal still marks the install incomplete. */
static int erase_tail(ota_partition_writer_t *w)
{
    uint32_t end = w->part.info.size / w->sector * w->sector; /* a partial last sector is not ours */
    uint32_t at = w->erased_end;
    while (at < end) {
        uint32_t abs = w->part.info.offset + at;
        bool whole_block = abs % w->block == 0 && end - at >= w->block && w->block / w->sector <= 32;
        uint32_t window = whole_block ? w->block : w->sector;
        uint32_t dirty = 0, dirty_mask = 0; /* a block holds 16 sectors */
        for (uint32_t s = 0; s < window / w->sector; s++) {
            bool blank;
            int err = sector_is_blank(w, at + s * w->sector, &blank);
            if (err != OTA_OK) {
                return err;
            }
            if (!blank) {
                dirty++;
                dirty_mask |= 1u << s;
            }
        }
        int err = OTA_OK;
        if (window == w->block && dirty >= SECTORS_PER_BLOCK_ERASE_COST) {
            err = ota_partition_erase_range(&w->part, at, w->block);
        } else {
            for (uint32_t s = 0; err == OTA_OK && s < window / w->sector; s++) {
                if (dirty_mask & (1u << s)) {
                    err = ota_partition_erase_range(&w->part, at + s * w->sector, w->sector);
                }
            }
        }
        if (err != OTA_OK) {
            return err;
        }
        at += window;
    }
    w->erased_end = end;
    return OTA_OK;
}

int ota_pw_commit(ota_partition_writer_t *w)
{
    uint32_t head = min_u32(w->written, w->sector);
    /* The spill sectors go before sector 0: the partition ends as without them. A cut in between
     * leaves checkpoints without their records: the install is then not resumable (from zero). */
    int err = w->spill_at != 0
                  ? ota_partition_erase_range(&w->part, w->spill_at, OTA_JOURNAL_SPILL_SECTORS * w->sector)
                  : OTA_OK;
    if (err == OTA_OK && w->part.info.type == OTA_PART_TYPE_DATA && !w->keep_tail) {
        err = erase_tail(w);
    }
    if (err == OTA_OK) {
        err = ota_partition_erase_range(&w->part, 0, w->sector);
    }
    if (err == OTA_OK && head > HEAD_BYTES) {
        err = ota_partition_program(&w->part, HEAD_BYTES, w->first + HEAD_BYTES, head - HEAD_BYTES);
    }
    if (err == OTA_OK) {
        err = ota_partition_program(&w->part, 0, w->first, min_u32(head, HEAD_BYTES));
    }
    if (err != OTA_OK) {
        return err;
    }
    return verify_written(w, 0, w->first, head);
}

int ota_pw_kept_floor(const ota_device_t *device, const ota_partition_t *part, char *floor)
{
    uint8_t rec[OTA_JOURNAL_RECORD_SIZE];
    floor[0] = '\0';
    /* the journal's copy first: it belongs to the install the partition holds */
    if (ota_partition_read(part, OTA_JOURNAL_RECORDS_OFFSET, rec, sizeof rec) == OTA_OK &&
        ota_journal_floor_decode(rec, floor) == OTA_OK) {
        return OTA_OK;
    }
    return device != NULL ? ota_otadata_floor_get(device, &part->info, floor) : OTA_ERR_NOT_FOUND;
}

const ota_pw_floors_t ota_pw_floors = {
    .keep = ota_otadata_floor_keep,
    .encode = ota_journal_floor_encode,
    .kept = ota_pw_kept_floor,
};
