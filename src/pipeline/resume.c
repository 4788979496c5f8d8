/* Resuming an interrupted install: the journal header an install starts with, the write's start
 * (fresh or resumed), writing with checkpoints (ota_item_put) and the jump at the end of sector 0.
 * The stages' side (their records, save/restore, whether a staged install can continue) is in
 * stages_resume.c, called by weak reference (path.h): a firmware without stages does not link it.
 * See ota_install_journal.h and ota_stage.h. */
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "path.h"

/* The install journal header for this item (size, URI id, ETag if it fits). */
void ota_item_journal_header(const ota_item_t *item, ota_journal_header_t *out)
{
    memset(out, 0, sizeof *out);
    out->total_size = item->total >= 0 ? (uint32_t)item->total : OTA_JOURNAL_UNKNOWN_SIZE;
    ota_journal_source_id(item->uri, out->source_id);
    /* set on the writer by the procedure before the install begins (a release's data item); begin
     * clears the writer and takes it back from this header */
    out->keep_tail = item->writer.keep_tail;
    size_t etag_max = OTA_JOURNAL_ETAG_MAX;
    if (item->stages != NULL) {
        /* stream and output offsets differ: the header bounds the output by the partition and
         * keeps the stream's size (the resource's identity) beside it */
        out->staged = true;
        out->source_size = out->total_size;
        out->total_size = item->total >= 0 ? item->target.info.size : OTA_JOURNAL_UNKNOWN_SIZE;
        out->chain_id = ota_stages_chain_id(item);
        etag_max = OTA_JOURNAL_ETAG_MAX_STAGED;
        /* A stage record (~1 KiB for a delta stage) takes 20 slots of sector 0, which would hold 4
         * checkpoints: when the output's size is known and the slot has 2 sectors to spare after
         * it, the records go to those spill sectors and sector 0 keeps only checkpoints. */
        uint32_t sector = item->device->flash->sector_size;
        uint64_t bound = item->target.info.size / sector * sector;
        uint64_t need =
            (item->stages->out_size + sector - 1) / sector * sector + OTA_JOURNAL_SPILL_SECTORS * sector;
        if (item->total >= 0 && item->stages->out_size > 0 && need <= bound) {
            out->spill = true;
            out->total_size = (uint32_t)(bound - OTA_JOURNAL_SPILL_SECTORS * sector);
        }
    }
    out->floors = item->floors;
    if (item->journal_floor != NULL) {
        snprintf(out->floor, sizeof out->floor, "%s", item->journal_floor);
    }
    /* An ETag too long for the journal is left out: the install is then not resumable. */
    const char *etag = item->source ? ota_source_get_info(item->source)->etag : "";
    size_t len = strlen(etag);
    if (len <= etag_max) {
        memcpy(out->etag, etag, len + 1);
    }
}

/* Checkpoints: at most one per 64 KiB, and few enough that the journal holds them all. */
#define CHECKPOINT_MIN_INTERVAL 0x10000u

int ota_item_begin_write(ota_item_t *item)
{
    int err = ota_item_verifiers_reset(item);
    if (err != OTA_OK) {
        return err;
    }
    ota_journal_header_t journal;
    ota_item_journal_header(item, &journal);
    bool may_resume = item->stages == NULL || ota_stages_resume_possible(item, &journal);
    int64_t expected = item->stages == NULL ? item->total : -1; /* the output's size is the stages' */
    err = ota_pw_begin(&item->writer, item->device, &item->target, item->first_sector, expected, &journal,
                       may_resume ? &item->resume : NULL);
    if (err != OTA_OK) {
        return err;
    }
    if (!may_resume) {
        memset(&item->resume, 0, sizeof item->resume);
    }
    if (item->resume.bytes_written != 0 && item->writer.spill_at != 0) {
        item->writer.spill_cur = item->stages->spill_cur;
        item->writer.spill_next = item->stages->spill_next;
    }
    uint32_t sector = item->writer.sector;
    uint32_t slots = ota_journal_capacity(sector);
    uint64_t span = item->total > 0 ? (uint64_t)item->total : 0;
    if (item->stages != NULL && journal.spill) {
        span = item->stages->out_size; /* sector 0 holds only checkpoints: as for a plain image */
    } else if (item->stages != NULL) {
        /* each checkpoint also takes its stage record's slots; the output is bounded by the slot */
        uint32_t per = 1 + ota_journal_stage_slots(item->stages->count * 2u + 64u);
        slots /= per;
        span = item->total > 0 ? item->target.info.size : 0;
    }
    uint32_t every = CHECKPOINT_MIN_INTERVAL;
    if (span > 0 && slots > 1 && span / (slots - 1) > every) {
        every = (uint32_t)(span / (slots - 1));
    }
    item->checkpoint_every = (every + sector - 1) / sector * sector;
    item->next_checkpoint = item->checkpoint_every;
    if (item->resume.bytes_written != 0) {
        if (item->stages != NULL) {
            OTA_LOGI(item->tag,
                     "%s holds an interrupted install of this image: resuming at %u bytes of output, "
                     "byte %u of the stream",
                     item->target.info.label, (unsigned)item->resume.bytes_written,
                     (unsigned)item->stages->resume_rec.source_offset);
        } else {
            OTA_LOGI(item->tag, "%s holds an interrupted install of this image: resuming at %u of %lld bytes",
                     item->target.info.label, (unsigned)item->resume.bytes_written, (long long)item->total);
        }
        item->next_checkpoint = item->resume.bytes_written + item->checkpoint_every;
    }
    return OTA_OK;
}

/* Writing with checkpoints: every output byte goes to the verifiers, then to the writer; at a
 * sector boundary, when due and the stages are at a clean cut, a checkpoint (and the stages' record). */
static int item_write(ota_item_t *item, const void *data, size_t len)
{
    int err = ota_pw_write(&item->writer, data, len);
    uint32_t written = item->writer.written;
    if (err != OTA_OK || written < item->next_checkpoint || written % item->writer.sector != 0) {
        return err;
    }
    if (item->stages != NULL && !ota_stages_at_clean_cut(item)) {
        return OTA_OK; /* bytes between stages would be lost: try at the next boundary */
    }
    ota_journal_checkpoint_t cp = {.bytes_written = written};
    uint64_t hashed = 0;
    if (ota_item_verifiers_snapshot(item, &hashed, cp.digest) != OTA_OK) {
        return OTA_OK; /* nothing to record (e.g. past the hashed region): no checkpoint */
    }
    cp.bytes_hashed = (uint32_t)hashed;
    if (item->stages != NULL) {
        err = ota_stages_record(item, written);
        if (err == OTA_ERR_NOT_FOUND) {
            item->next_checkpoint = UINT32_MAX;
            return OTA_OK;
        }
        if (err != OTA_OK) {
            return err;
        }
    }
    item->next_checkpoint = written + item->checkpoint_every;
    return ota_pw_checkpoint(&item->writer, &cp);
}

int ota_item_put(ota_item_t *item, const uint8_t *data, size_t len)
{
    if (item->events->check_only != NULL && item->events->check_only(item->events_ctx)) {
        return OTA_OK; /* a check-only run writes nothing (a need_upgrade may write) */
    }
    if (!item->writer.begun) {
        int err = ota_item_begin_write(item);
        if (err != OTA_OK) {
            return err;
        }
    }
    int err = ota_item_verifiers_feed(item, data, len);
    return err != OTA_OK ? err : item_write(item, data, len);
}

/* The resume jump: sector 0 has been produced again; replay the flash from there to the
 * checkpoint through the verifiers (and the stages that rebuild from it), compare, and continue
 * the source at the checkpoint. @p buf is scratch. */
static int resume_jump(ota_item_t *item, uint8_t *buf, size_t buf_size)
{
    ota_partition_writer_t *w = &item->writer;
    uint32_t at = item->resume.bytes_written;
    uint64_t position = ota_item_position(item);
    if (position != w->sector || w->written != w->sector) {
        /* a custom step consumed bytes it did not write back: the prefix cannot be matched */
        OTA_LOGW(item->tag, "cannot resume: stream and partition are not in step; starting over");
        return OTA_ERR_SVC_CHECKPOINT;
    }
    for (uint32_t off = w->sector; off < at;) {
        uint32_t n = at - off < buf_size ? at - off : (uint32_t)buf_size;
        int err = ota_partition_read(&item->target, off, buf, n);
        if (err == OTA_OK) {
            err = ota_item_verifiers_feed(item, buf, n);
        }
        if (err != OTA_OK) {
            OTA_LOGW(item->tag, "cannot resume: the data on flash does not verify (%s)", ota_strerror(err));
            return OTA_ERR_SVC_CHECKPOINT;
        }
        off += n;
    }
    uint8_t digest[32];
    uint64_t hashed = 0;
    if (ota_item_verifiers_snapshot(item, &hashed, digest) != OTA_OK || hashed != item->resume.bytes_hashed ||
        memcmp(digest, item->resume.digest, sizeof digest) != 0) {
        OTA_LOGW(item->tag, "cannot resume: the data on flash does not match the checkpoint");
        return OTA_ERR_SVC_CHECKPOINT;
    }
    uint64_t source_at = at;
    if (item->stages != NULL) {
        int err = ota_stages_restore(item, at, buf, buf_size);
        if (err != OTA_OK) {
            OTA_LOGW(item->tag, "cannot resume: the stages cannot continue (%s)", ota_strerror(err));
            /* once the stream was read again for a stage (stage_forward) it is not at sector 0 any
             * more: the item fails, the next run resumes again */
            return item->stages->forwarded ? err : OTA_ERR_SVC_CHECKPOINT;
        }
        source_at = item->stages->resume_rec.source_offset;
    }
    int err = ota_item_source_seek(item, source_at);
    if (err != OTA_OK) {
        return err;
    }
    if (item->stages != NULL) {
        ota_stages_jump(item, at);
        OTA_LOGI(item->tag, "resumed at byte %llu of the stream: %u bytes of output were already on flash",
                 (unsigned long long)source_at, (unsigned)(at - w->sector));
    } else {
        OTA_LOGI(item->tag, "resumed at byte %u: %u bytes were already on flash", (unsigned)at,
                 (unsigned)(at - w->sector));
    }
    return ota_pw_resume_jump(w);
}

/* The prefix on flash is not what the checkpoint recorded (the resource changed behind an
 * unchanged ETag, or the flash decayed): install from zero, in this same run. The stream (and
 * the stages) simply go on from sector 0. */
static int give_up_resume(ota_item_t *item)
{
    ota_partition_writer_t *w = &item->writer;
    int err = ota_item_verifiers_reset(item);
    if (err == OTA_OK) {
        err = ota_item_verifiers_feed(item, w->first, w->sector);
    }
    ota_journal_header_t journal;
    ota_item_journal_header(item, &journal);
    if (err == OTA_OK) {
        err = ota_pw_restart(w, &journal);
    }
    memset(&item->resume, 0, sizeof item->resume);
    item->next_checkpoint = item->checkpoint_every;
    if (err == OTA_OK) {
        OTA_LOGW(item->tag, "installing %s into %s from zero", item->uri, item->target.info.label);
    }
    return err;
}

/* At the end of sector 0 of an install being resumed: jump, or start over. */
int ota_item_resume_at_sector0(ota_item_t *item, uint8_t *buf, size_t len)
{
    int err = resume_jump(item, buf, len);
    if (err == OTA_ERR_SVC_CHECKPOINT) {
        err = give_up_resume(item); /* the bounded source then simply goes on from sector 0 */
    }
    return err;
}
