/* The stages' side of resuming an interrupted install (ota_stage.h, ota_install_journal.h):
 * their state buffers, their record before each checkpoint, whether a staged install can continue,
 * and restoring (or rebuilding) them at the checkpoint. Linked with the stage driver (stages.c
 * calls ota_stages_buffers); the always-linked resume.c calls it by weak reference only (path.h). */
#define OTA_STAGE_DRIVER_IMPL
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_mem.h"
#include "path.h"

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

/* Append the stages' record to the journal, before its checkpoint (see ota_install_journal.h).
 * OTA_ERR_NOT_FOUND: no room, no checkpoint this time. */
int ota_stages_record(ota_item_t *item, uint32_t written)
{
    ota_item_stages_t *st = item->stages;
    ota_partition_writer_t *w = &item->writer;
    size_t len = 0;
    int err = ota_stages_save(item, &len);
    if (err != OTA_OK) {
        return err;
    }
    ota_journal_stage_t rec = {.bytes_written = written,
                               .source_offset = (uint32_t)ota_stages_source_offset(item),
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
