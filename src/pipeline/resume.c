/* Resuming an interrupted install, all in one place: the journal header an install starts with,
 * whether a staged install can continue, the write's start (fresh or resumed), writing with
 * checkpoints (ota_item_put), the stages' records
 * and their save/restore (reached through the stage table: a firmware without stages does not
 * link them), and the jump at the end of sector 0. See ota_install_journal.h and ota_stage.h. */
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "path.h"

/* The install journal header for this item (size, URI id, ETag if it fits). */
void ota_item_journal_header(const ota_item_t *item, ota_journal_header_t *out)
{
    memset(out, 0, sizeof *out);
    out->total_size = item->total >= 0 ? (uint32_t)item->total : OTA_JOURNAL_UNKNOWN_SIZE;
    ota_journal_source_id(item->uri, out->source_id);
    out->keep_tail = item->keep_tail;
    size_t etag_max = OTA_JOURNAL_ETAG_MAX;
    if (item->stages != NULL) {
        /* stream and output offsets differ: the header bounds the output by the partition and
         * keeps the stream's size (the resource's identity) beside it */
        out->staged = true;
        out->source_size = out->total_size;
        out->total_size = item->total >= 0 ? item->target.info.size : OTA_JOURNAL_UNKNOWN_SIZE;
        out->chain_id = item->stages->ops->chain_id(item);
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

/* With stages, a resume also needs the stage record of the last checkpoint and the same chain.
 * Reads sector 0 into the RAM sector (scratch until ota_pw_begin refills it). */
bool ota_stages_resume_possible(ota_item_t *item, const ota_journal_header_t *journal)
{
    ota_item_stages_t *st = item->stages;
    ota_journal_header_t found;
    ota_journal_checkpoint_t cp;
    st->resume_ok = false;
    uint32_t sector = item->device->flash->sector_size;
    if (ota_partition_read(&item->target, 0, item->first_sector, sector) != OTA_OK ||
        ota_journal_header_decode(item->first_sector, &found) != OTA_OK || !found.staged ||
        found.chain_id != journal->chain_id || found.source_size != journal->source_size ||
        found.spill != journal->spill || found.total_size != journal->total_size) {
        return false;
    }
    /* An interrupted install of this chain: its record may hold any state length (the buffer
     * sized for a fresh install of the chain may be smaller). */
    if (ota_stages_buffers(st, OTA_JOURNAL_STAGE_STATE_MAX) != OTA_OK) {
        return false;
    }
    if (!found.spill) {
        st->resume_ok =
            ota_journal_find_staged(item->first_sector, sector, &cp, &st->resume_rec, st->state) == OTA_OK;
        return st->resume_ok;
    }
    /* the last checkpoint in sector 0, its record in one of the spill sectors */
    uint32_t free_slot, at = 0, free_off = 0;
    if (ota_pw_last_checkpoint(item->first_sector, sector, &cp, &free_slot) < 0) {
        return false;
    }
    int which = -1;
    for (uint32_t i = 0; i < OTA_JOURNAL_SPILL_SECTORS && which < 0; i++) {
        if (ota_partition_read(&item->target, found.total_size + i * sector, item->first_sector, sector) ==
                OTA_OK &&
            ota_journal_spill_find(item->first_sector, sector, cp.bytes_written, &at, &free_off, st->state) ==
                OTA_OK) {
            which = (int)i; /* a second record for the same point describes the same cut: either */
        }
    }
    uint32_t slots;
    if (which < 0 || ota_journal_stage_decode(item->first_sector + at, sector - at, &st->resume_rec,
                                              st->state, &slots) != OTA_OK) {
        return false;
    }
    st->spill_cur = (uint32_t)which;
    st->spill_next = free_off;
    st->resume_ok = true;
    return true;
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
    bool may_resume = item->stages == NULL || item->stages->ops->resume_possible(item, &journal);
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

/* Append the stages' record to the journal, before its checkpoint (see ota_install_journal.h).
 * OTA_ERR_NOT_FOUND: no room, no checkpoint this time. */
int ota_stages_record(ota_item_t *item, uint32_t written)
{
    ota_item_stages_t *st = item->stages;
    ota_partition_writer_t *w = &item->writer;
    size_t len = 0;
    int err = item->stages->ops->save(item, &len);
    if (err != OTA_OK) {
        return err;
    }
    ota_journal_stage_t rec = {.bytes_written = written,
                               .source_offset = (uint32_t)item->stages->ops->source_offset(item),
                               .state_len = (uint16_t)len};
    uint32_t slots = ota_journal_stage_slots(len);
    uint32_t bytes = slots * OTA_JOURNAL_RECORD_SIZE;
    if (w->spill_at != 0) {
        if (w->journal_next + OTA_JOURNAL_RECORD_SIZE > w->journal_end) {
            return OTA_ERR_NOT_FOUND; /* no room for the checkpoint itself */
        }
        ota_journal_stage_encode(&rec, st->state, st->rec);
        return ota_pw_spill_record(w, st->rec, bytes);
    }
    if (w->journal_next + bytes + OTA_JOURNAL_RECORD_SIZE > w->journal_end) {
        return OTA_ERR_NOT_FOUND; /* full: resuming restarts from the last recorded point */
    }
    ota_journal_stage_encode(&rec, st->state, st->rec);
    err = ota_partition_program(&w->part, w->journal_next, st->rec, bytes);
    if (err == OTA_OK) {
        w->journal_next += bytes;
    }
    return err;
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
    if (item->stages != NULL && !item->stages->ops->at_clean_cut(item)) {
        return OTA_OK; /* bytes between stages would be lost: try at the next boundary */
    }
    ota_journal_checkpoint_t cp = {.bytes_written = written};
    uint64_t hashed = 0;
    if (ota_item_verifiers_snapshot(item, &hashed, cp.digest) != OTA_OK) {
        return OTA_OK; /* nothing to record (e.g. past the hashed region): no checkpoint */
    }
    cp.bytes_hashed = (uint32_t)hashed;
    if (item->stages != NULL) {
        err = item->stages->ops->record(item, written);
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

size_t ota_stages_state_need(const ota_item_stages_t *st)
{
    size_t need = 0;
    for (size_t k = 0; k < st->count; k++) {
        need += 2; /* each stage's length word */
        if (st->stage[k].resume == OTA_STAGE_RESUME_STATE) {
            return OTA_JOURNAL_STAGE_STATE_MAX; /* up to OTA_STAGE_STATE_MAX, all in one record */
        }
        if (k == 0 && st->count > 1 && st->stage[k].resume == OTA_STAGE_RESUME_REBUILD) {
            need += 2; /* its pending output count (ota_stages_save) */
        }
    }
    return need;
}

int ota_stages_buffers(ota_item_stages_t *st, size_t need)
{
    if (need > OTA_JOURNAL_STAGE_STATE_MAX) {
        return OTA_ERR_INVALID_SIZE;
    }
    if (st->state != NULL && st->state_cap >= need) {
        return OTA_OK;
    }
    size_t rec = (size_t)ota_journal_stage_slots(need) * OTA_JOURNAL_RECORD_SIZE;
    uint8_t *block = ota_calloc(1, need + rec);
    if (block == NULL) {
        return OTA_ERR_NO_MEM;
    }
    ota_free(st->state);
    st->state = block;
    st->state_cap = need;
    st->rec = block + need;
    return OTA_OK;
}

int ota_stages_save(ota_item_t *item, size_t *len)
{
    ota_item_stages_t *st = item->stages;
    size_t off = 0;
    if (st->state == NULL || ota_stages_state_need(st) > st->state_cap) {
        return OTA_ERR_INVALID_STATE; /* sized when the stages started */
    }
    for (size_t k = 0; k < st->count; k++) {
        const ota_stage_t *s = &st->stage[k];
        size_t n = 0;
        if (k == 0 && st->count > 1 && s->resume == OTA_STAGE_RESUME_REBUILD) {
            /* its output the next stage has not taken yet: made again on resume (stage_forward) */
            size_t pend = st->len[0] - st->pos[0];
            st->state[off + 2] = (uint8_t)(pend & 0xFF);
            st->state[off + 3] = (uint8_t)(pend >> 8);
            n = 2;
        } else if (s->resume == OTA_STAGE_RESUME_STATE) {
            size_t room = st->state_cap - off - 2;
            room = room < OTA_STAGE_STATE_MAX ? room : OTA_STAGE_STATE_MAX;
            int err = s->save(s->ctx, st->state + off + 2, room, &n);
            if (err != OTA_OK || n > room) {
                return err != OTA_OK ? err : OTA_ERR_INVALID_SIZE;
            }
        }
        st->state[off] = (uint8_t)(n & 0xFF);
        st->state[off + 1] = (uint8_t)(n >> 8);
        off += 2 + n;
    }
    *len = off;
    return OTA_OK;
}

/*
 * The first stage rebuilds but is not the last (decrypt -> delta): its output is not on flash.
 * It starts over and is fed the stream again from byte 0 to the checkpoint's source offset; of
 * what it makes only the last @p pend bytes are kept (in its area: what the next stage had not
 * taken at the checkpoint), the rest is dropped (the later stages restore their state for exactly
 * that point). Costs that part of the stream again, not its output.
 */
static int stage_forward(ota_item_t *item, uint64_t to, size_t pend)
{
    ota_item_stages_t *st = item->stages;
    const ota_stage_t *s = &st->stage[0];
    st->forwarded = true;
    if (pend > st->cap[0]) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    int err = s->reset(s->ctx);
    if (err == OTA_OK) {
        err = ota_item_source_seek(item, 0);
    }
    st->raw_len = st->raw_pos = 0;
    size_t tail = 0; /* the last bytes made so far, at most pend, at the start of area[0] */
    while (err == OTA_OK && (st->raw_pos < st->raw_len || item->consumed < to)) {
        if (st->raw_pos == st->raw_len) {
            uint64_t left = to - item->consumed;
            int n = ota_item_source_read(item, st->raw, left < st->raw_cap ? (size_t)left : st->raw_cap);
            if (n <= 0) {
                return n < 0 ? n : OTA_ERR_IMG_TRUNCATED;
            }
            st->raw_pos = 0;
            st->raw_len = (size_t)n;
        }
        /* made into the next stage's area (free until the jump) */
        size_t used = 0, out = 0;
        err = s->process(s->ctx, st->raw + st->raw_pos, st->raw_len - st->raw_pos, &used, st->area[1],
                         st->cap[1], &out);
        if (err == OTA_OK && ((used == 0 && out == 0) || out > st->cap[1])) {
            err = OTA_ERR_INVALID_STATE;
        }
        if (err == OTA_OK && pend > 0) {
            if (out >= pend) {
                memcpy(st->area[0], st->area[1] + out - pend, pend);
                tail = pend;
            } else {
                size_t keep = tail + out > pend ? pend - out : tail;
                memmove(st->area[0], st->area[0] + tail - keep, keep);
                memcpy(st->area[0] + keep, st->area[1], out);
                tail = keep + out;
            }
        }
        st->raw_pos += used;
    }
    if (err == OTA_OK && tail != pend) {
        err = OTA_ERR_SVC_CHECKPOINT;
    }
    st->forward_pend = pend;
    return err;
}

int ota_stages_restore(ota_item_t *item, uint32_t at, uint8_t *scratch, size_t scratch_size)
{
    ota_item_stages_t *st = item->stages;
    if (!st->resume_ok || st->resume_rec.bytes_written != at) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    size_t off = 0;
    for (size_t k = 0; k < st->count; k++) {
        const ota_stage_t *s = &st->stage[k];
        if (off + 2 > st->resume_rec.state_len) {
            return OTA_ERR_SVC_CHECKPOINT;
        }
        size_t n = (size_t)st->state[off] | (size_t)st->state[off + 1] << 8;
        if (off + 2 + n > st->resume_rec.state_len) {
            return OTA_ERR_SVC_CHECKPOINT;
        }
        int err;
        if (s->resume == OTA_STAGE_RESUME_STATE) {
            err = s->reset(s->ctx);
            if (err == OTA_OK) {
                err = s->restore(s->ctx, st->state + off + 2, n);
            }
        } else if (s->resume == OTA_STAGE_RESUME_REBUILD) {
            /* It has just produced sector 0 from the stream's start; it continues over the rest of
             * the prefix as if it had produced it. Only the last stage's output is on flash. */
            if (k + 1 != st->count) {
                if (k != 0) {
                    return OTA_ERR_NOT_SUPPORTED;
                }
                if (n != 2) {
                    return OTA_ERR_SVC_CHECKPOINT;
                }
                err = stage_forward(item, st->resume_rec.source_offset,
                                    (size_t)st->state[off + 2] | (size_t)st->state[off + 3] << 8);
                if (err != OTA_OK) {
                    return err;
                }
                off += 2 + n;
                continue;
            }
            err = OTA_OK;
            if (s->rebuild_from_zero) {
                err = s->rebuild(s->ctx, item->writer.first, item->writer.sector); /* sector 0: in RAM */
            }
            for (uint32_t pos = item->writer.sector; err == OTA_OK && pos < at;) {
                uint32_t len = at - pos < scratch_size ? at - pos : (uint32_t)scratch_size;
                err = ota_partition_read(&item->target, pos, scratch, len);
                if (err == OTA_OK) {
                    err = s->rebuild(s->ctx, scratch, len);
                }
                pos += len;
            }
        } else {
            err = OTA_ERR_SVC_CHECKPOINT; /* not resumable: no record should exist */
        }
        if (err != OTA_OK) {
            return err;
        }
        off += 2 + n;
    }
    return OTA_OK;
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
        int err = item->stages->ops->restore(item, at, buf, buf_size);
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
        item->stages->ops->jump(item, at);
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
