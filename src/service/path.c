/* An item's data path: the public API of ota_path.h, the stage driver, the checker, the common
 * execute loop and the default target. See item.h and ota_path.h. */
#include <string.h>

#include "item.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "ota/ota_path.h"
#include "service_internal.h"

/* Smallest output area a stage gets (the work buffer is at least 512 bytes). */
#define AREA_MIN 64u

int ota_path_add_verifier(void *handle, const ota_verifier_t *verifier)
{
    return handle == NULL ? OTA_ERR_INVALID_ARG : ota_item_add_verifier(ota_item_of(handle), verifier);
}

static bool stage_valid(const ota_stage_t *s)
{
    if (s == NULL || s->name == NULL || s->reset == NULL || s->process == NULL) {
        return false;
    }
    switch (s->resume) {
    case OTA_STAGE_RESUME_NONE: return true;
    case OTA_STAGE_RESUME_STATE: return s->save != NULL && s->restore != NULL;
    case OTA_STAGE_RESUME_REBUILD: return s->rebuild != NULL;
    }
    return false;
}

static const ota_stages_ops_t s_stages_ops = {
    .peek = ota_stages_peek,
    .next = ota_stages_next,
    .at_clean_cut = ota_stages_at_clean_cut,
    .chain_id = ota_stages_chain_id,
    .save = ota_stages_save,
    .restore = ota_stages_restore,
    .jump = ota_stages_jump,
    .source_offset = ota_stages_source_offset,
};

int ota_path_insert_stage(void *handle, size_t index, const ota_stage_t *stage)
{
    if (handle == NULL || !stage_valid(stage)) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_item_t *item = ota_item_of(handle);
    if (item->peek_len != 0 || item->consumed != 0 || item->writer.begun) {
        return OTA_ERR_INVALID_STATE; /* stream bytes were taken as output already */
    }
    if (item->stages == NULL) {
        item->stages = ota_calloc(1, sizeof *item->stages);
        if (item->stages == NULL) {
            return OTA_ERR_NO_MEM;
        }
        item->stages->ops = &s_stages_ops;
    }
    ota_item_stages_t *st = item->stages;
    if (st->count == OTA_STAGE_MAX) {
        return OTA_ERR_NO_MEM;
    }
    if (index > st->count) {
        index = st->count;
    }
    memmove(&st->stage[index + 1], &st->stage[index], (st->count - index) * sizeof st->stage[0]);
    st->stage[index] = *stage;
    st->count++;
    return OTA_OK;
}

int ota_stages_insert_after_peek(ota_item_t *item, const ota_stage_t *stage)
{
    if (item->stages != NULL || item->peek_pos != 0 || item->consumed != 0 || item->writer.begun) {
        return OTA_ERR_INVALID_STATE;
    }
    size_t peeked = item->peek_len;
    item->peek_len = 0;
    int err = ota_path_insert_stage(item, 0, stage);
    item->peek_len = peeked;
    if (err == OTA_OK) {
        item->stages->lead = peeked; /* stages_start makes them the stream's first bytes */
    }
    return err;
}

int ota_stages_append_after_peek(ota_item_t *item, const ota_stage_t *stage)
{
    ota_item_stages_t *st = item->stages;
    if (st == NULL || !st->started || st->count == OTA_STAGE_MAX || !stage_valid(stage) ||
        item->peek_pos != 0 || item->out_pos != 0 || item->writer.begun) {
        return OTA_ERR_INVALID_STATE;
    }
    size_t last = st->count - 1;
    size_t half = st->cap[last] / 2;
    if (st->pos[last] != st->len[last] || half < AREA_MIN || half < item->peek_len) {
        return OTA_ERR_INVALID_SIZE;
    }
    /* The longer chain's checkpoints may need more state room (before any output: nothing saved
     * yet): the new stage's own, its length word, and a rebuilding first stage's pending count. */
    size_t need = ota_stages_state_need(st) + 4;
    if (stage->resume == OTA_STAGE_RESUME_STATE || need > OTA_JOURNAL_STAGE_STATE_MAX) {
        need = OTA_JOURNAL_STAGE_STATE_MAX;
    }
    int err = ota_stages_buffers(st, need);
    if (err != OTA_OK) {
        return err;
    }
    /* the last area is split: its first half stays the old last stage's output (the new stage's
     * input, starting with the peeked bytes), the second half is the new stage's output */
    st->area[last + 1] = st->area[last] + half;
    st->cap[last + 1] = st->cap[last] - half;
    st->cap[last] = half;
    memcpy(st->area[last], item->peek, item->peek_len);
    st->pos[last] = 0;
    st->len[last] = item->peek_len;
    st->stage[last + 1] = *stage;
    st->pos[last + 1] = st->len[last + 1] = 0;
    st->done[last + 1] = false;
    st->count++;
    st->produced = 0;
    item->peek_len = 0;
    return stage->reset(stage->ctx);
}

int ota_path_add_stage(void *handle, const ota_stage_t *stage)
{
    return ota_path_insert_stage(handle, OTA_STAGE_MAX, stage);
}

int ota_path_set_checker(void *handle, const ota_checker_t *checker)
{
    if (handle == NULL ||
        (checker != NULL && (checker->check == NULL || checker->peek_len > OTA_CHECKER_PEEK_MAX))) {
        return OTA_ERR_INVALID_ARG;
    }
    ota_item_t *item = ota_item_of(handle);
    if (checker == NULL) {
        memset(&item->checker, 0, sizeof item->checker);
    } else {
        item->checker = *checker;
    }
    return OTA_OK;
}

/* --- the stage driver ------------------------------------------------------------------------ */

/* Lay the areas out in the work buffer (half for the stream, the rest shared by the stages) and
 * reset the stages: before the first byte. */
static int stages_start(ota_item_t *item)
{
    ota_item_stages_t *st = item->stages;
    size_t size;
    uint8_t *buf = ota_service_work_buffer(item->service, &size);
    size_t raw = size / 2;
    size_t each = (size - raw) / st->count;
    if (each < AREA_MIN) {
        OTA_LOGE(item->tag, "work buffer of %u bytes too small for %u stages", (unsigned)size,
                 (unsigned)st->count);
        return OTA_ERR_INVALID_SIZE;
    }
    st->raw = buf;
    st->raw_cap = raw;
    if (st->lead > 0) {
        /* stream bytes peeked before the stages existed (ota_stages_insert_after_peek): input */
        if (st->lead > raw) {
            return OTA_ERR_INVALID_SIZE;
        }
        memcpy(st->raw, item->peek, st->lead);
        st->raw_len = st->lead;
        st->raw_pos = 0;
        item->consumed += st->lead;
        item->peek_len = item->peek_pos = 0;
        st->lead = 0;
    }
    int err = ota_stages_buffers(st, ota_stages_state_need(st));
    if (err != OTA_OK) {
        return err;
    }
    for (size_t k = 0; k < st->count; k++) {
        st->area[k] = buf + raw + k * each;
        st->cap[k] = each;
        err = st->stage[k].reset(st->stage[k].ctx);
        if (err != OTA_OK) {
            return err;
        }
    }
    st->started = true;
    return OTA_OK;
}

/* Make stage k's area hold unread output: > 0 bytes available, 0 at its end, < 0 error. The last
 * stage's output never crosses a sector boundary of the output, so that when the writer reaches
 * one, nothing of the last stage is pending. */
static int stage_fill(ota_item_t *item, size_t k)
{
    ota_item_stages_t *st = item->stages;
    if (st->pos[k] < st->len[k]) {
        return (int)(st->len[k] - st->pos[k]);
    }
    st->pos[k] = st->len[k] = 0;
    size_t cap = st->cap[k];
    if (k + 1 == st->count) {
        uint32_t sector = item->device->flash->sector_size;
        size_t to_boundary = sector - (size_t)(st->produced % sector);
        cap = cap < to_boundary ? cap : to_boundary;
    }
    const ota_stage_t *s = &st->stage[k];
    for (;;) {
        if (st->done[k]) {
            return 0;
        }
        const uint8_t *in = NULL;
        size_t in_len = 0;
        if (k == 0) {
            if (st->raw_pos == st->raw_len && !st->source_ended) {
                if (ota_service_stop_requested(item->service)) {
                    return OTA_ERR_CANCELLED;
                }
                int n = ota_item_source_read(item, st->raw, st->raw_cap);
                if (n < 0) {
                    return n;
                }
                st->raw_pos = 0;
                st->raw_len = (size_t)n;
                st->source_ended = n == 0;
            }
            in = st->raw + st->raw_pos;
            in_len = st->raw_len - st->raw_pos;
        } else {
            int n = stage_fill(item, k - 1);
            if (n < 0) {
                return n;
            }
            in = st->area[k - 1] + st->pos[k - 1];
            in_len = (size_t)n;
        }
        size_t used = 0, out = 0;
        int err;
        if (in_len == 0) {
            err = s->finish != NULL ? s->finish(s->ctx, st->area[k], cap, &out) : OTA_OK;
            if (err == OTA_OK && out == 0) {
                st->done[k] = true;
            }
        } else {
            err = s->process(s->ctx, in, in_len, &used, st->area[k], cap, &out);
            if (err == OTA_OK && (used > in_len || (used == 0 && out == 0))) {
                OTA_LOGE(item->tag, "stage %s made no progress", s->name);
                err = OTA_ERR_INVALID_STATE;
            }
        }
        if (err == OTA_OK && out > cap) {
            err = OTA_ERR_INVALID_STATE;
        }
        if (err != OTA_OK) {
            ota_service_set_item_detail(item->service, 0, "stage %s: %s", s->name, ota_strerror(err));
            OTA_LOGE(item->tag, "stage %s failed: %s", s->name, ota_strerror(err));
            return err;
        }
        if (k == 0) {
            st->raw_pos += used;
        } else {
            st->pos[k - 1] += used;
        }
        if (out > 0) {
            st->len[k] = out;
            if (k + 1 == st->count) {
                st->produced += out;
            }
            return (int)out;
        }
    }
}

int ota_stages_peek(ota_item_t *item, size_t len, bool *ended)
{
    ota_item_stages_t *st = item->stages;
    *ended = false;
    if (!st->started) {
        int err = stages_start(item);
        if (err != OTA_OK) {
            return err;
        }
    }
    size_t last = st->count - 1;
    size_t cap = st->cap[last];
    while (item->peek_len < len) {
        /* no more output than wanted: nothing is left between the peek and a stage appended
         * after it (ota_stages_append_after_peek) */
        st->cap[last] = len - item->peek_len < cap ? len - item->peek_len : cap;
        int n = stage_fill(item, last);
        st->cap[last] = cap;
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            *ended = true;
            break;
        }
        size_t take = (size_t)n < len - item->peek_len ? (size_t)n : len - item->peek_len;
        memcpy(item->peek + item->peek_len, st->area[last] + st->pos[last], take);
        st->pos[last] += take;
        item->peek_len += take;
    }
    return OTA_OK;
}

int ota_stages_next(ota_item_t *item, size_t max, const uint8_t **out)
{
    ota_item_stages_t *st = item->stages;
    if (!st->started) {
        int err = stages_start(item);
        if (err != OTA_OK) {
            return err;
        }
    }
    uint32_t sector = item->device->flash->sector_size;
    size_t to_boundary = sector - (size_t)(item->out_pos % sector);
    if (max > to_boundary) {
        max = to_boundary;
    }
    size_t n;
    if (item->peek_pos < item->peek_len) {
        n = item->peek_len - item->peek_pos;
        n = n < max ? n : max;
        *out = item->peek + item->peek_pos;
        item->peek_pos += n;
    } else {
        size_t last = st->count - 1;
        int avail = stage_fill(item, last);
        if (avail <= 0) {
            return avail;
        }
        n = (size_t)avail < max ? (size_t)avail : max;
        *out = st->area[last] + st->pos[last];
        st->pos[last] += n;
    }
    item->out_pos += n;
    return (int)n;
}

uint64_t ota_stages_source_offset(const ota_item_t *item)
{
    const ota_item_stages_t *st = item->stages;
    return item->consumed - (st->raw_len - st->raw_pos);
}

bool ota_stages_at_clean_cut(const ota_item_t *item)
{
    const ota_item_stages_t *st = item->stages;
    if (item->peek_pos < item->peek_len || st->produced != item->out_pos) {
        return false;
    }
    for (size_t k = 0; k < st->count; k++) {
        /* a first stage that rebuilds by reading the stream again (stage_forward) makes its
         * pending output again too: it may hold some */
        bool pending_ok = k == 0 && st->count > 1 && st->stage[0].resume == OTA_STAGE_RESUME_REBUILD;
        if (st->stage[k].resume == OTA_STAGE_RESUME_NONE || (st->pos[k] < st->len[k] && !pending_ok) ||
            st->done[k]) {
            return false;
        }
    }
    return true;
}

uint32_t ota_stages_chain_id(const ota_item_t *item)
{
    const char *names[OTA_STAGE_MAX];
    const ota_item_stages_t *st = item->stages;
    for (size_t k = 0; k < st->count; k++) {
        names[k] = st->stage[k].name;
    }
    return ota_journal_chain_id(names, st->count);
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

void ota_stages_jump(ota_item_t *item, uint64_t at)
{
    ota_item_stages_t *st = item->stages;
    st->raw_len = st->raw_pos = 0;
    st->source_ended = false;
    for (size_t k = 0; k < st->count; k++) {
        st->len[k] = st->pos[k] = 0;
        st->done[k] = false;
    }
    if (st->forwarded) {
        st->len[0] = st->forward_pend; /* made again by stage_forward */
    }
    st->produced = at;
    item->out_pos = at;
}

/* --- checker, execute loop, target ------------------------------------------------------------ */

int ota_item_check(ota_item_t *item)
{
    ota_adf_note_total(ota_service_adf_state(item->service), item->total); /* ESP-ADF hook */
    if (item->checker.check == NULL) {
        return OTA_OK;
    }
    size_t want = item->checker.peek_len;
    bool ended = false;
    int err;
    if (item->stages != NULL) {
        err = item->stages->ops->peek(item, want, &ended);
    } else {
        /* a stream known to be shorter is simply peeked whole */
        if (item->total >= 0 && (uint64_t)item->total < want) {
            want = (size_t)item->total;
            ended = true;
        }
        err = want > 0 ? ota_item_peek(item, want) : OTA_OK;
        if (err == OTA_ERR_IMG_TRUNCATED) {
            ended = true; /* the checker says what a short stream means */
            err = OTA_OK;
        }
    }
    if (err != OTA_OK) {
        return err;
    }
    return item->checker.check(item->checker.ctx, item->peek, item->peek_len, ended);
}

static const char *verifier_message(const ota_item_t *item, int err)
{
    if (item->failed_verifier >= 0) {
        const ota_verifier_t *v = &item->verifier[item->failed_verifier];
        const char *msg = v->message != NULL ? v->message(v->ctx) : NULL;
        if (msg != NULL && msg[0] != '\0') {
            return msg;
        }
    }
    return ota_strerror(err);
}

/* The image as it will be after the commit: sector 0 from RAM, the rest from flash. */
static int staged_read(void *arg, uint32_t off, void *buf, size_t len)
{
    ota_partition_writer_t *w = arg;
    uint8_t *out = buf;
    if (off < w->sector) {
        size_t n = w->sector - off < len ? w->sector - off : len;
        memcpy(out, w->first + off, n);
        out += n;
        off += (uint32_t)n;
        len -= n;
    }
    return len == 0 ? OTA_OK : ota_partition_read(&w->part, off, out, len);
}

/* One chunk: 1 when a chunk went through, 0 at the end of the stream, or an error. */
static int stream_chunk(ota_item_t *item, size_t chunk, void (*on_chunk)(void *arg, uint32_t at, size_t n),
                        void *arg)
{
    size_t buf_size;
    uint8_t *buf = ota_service_work_buffer(item->service, &buf_size);
    if (chunk > buf_size) {
        chunk = buf_size;
    }
    const uint8_t *data;
    int n = ota_item_next(item, buf, chunk, &data);
    if (n < 0) {
        OTA_LOGE(item->tag, "read failed after %llu bytes: %s", (unsigned long long)item->consumed,
                 ota_strerror(n));
        return n;
    }
    if (n == 0) {
        return 0;
    }
    uint32_t at = item->writer.written;
    int err = ota_item_put(item, data, (size_t)n);
    if (err != OTA_OK) {
        const char *msg = verifier_message(item, err);
        if (item->failed_verifier < 0 && !item->detail_write_errors) {
            OTA_LOGE(item->tag, "write to %s at %u failed: %s", item->target.info.label, (unsigned)at, msg);
        } else {
            OTA_LOGE(item->tag, "%s", msg);
            ota_service_set_item_detail(item->service, 0, "%s", msg);
        }
        return err;
    }
    if (on_chunk != NULL) {
        on_chunk(arg, at, (size_t)n);
    }
    return 1;
}

static int stream_end(ota_item_t *item)
{
    if (!item->writer.begun) {
        return OTA_OK; /* nothing written: the procedure decides */
    }
    for (size_t i = 0; i < item->verifiers; i++) {
        const ota_verifier_t *v = &item->verifier[i];
        if (v->finish == NULL) {
            continue;
        }
        int err = v->finish(v->ctx, item->writer.written, staged_read, &item->writer);
        if (err != OTA_OK) {
            item->failed_verifier = (int)i;
            const char *msg = verifier_message(item, err);
            OTA_LOGE(item->tag, "%s", msg);
            ota_service_set_item_detail(item->service, 0, "%s", msg);
            return err;
        }
    }
    return OTA_OK;
}

int ota_item_stream(ota_item_t *item, size_t chunk, void (*on_chunk)(void *arg, uint32_t at, size_t n),
                    void *arg)
{
    for (;;) {
        int r = stream_chunk(item, chunk, on_chunk, arg);
        if (r < 0) {
            return r;
        }
        if (r == 0) {
            break;
        }
        /* Driven by ota_service_step(): hand the rest of the loop to the service, one chunk per step. */
        if (ota_service_defer_stream(item->service, item, chunk, on_chunk, arg)) {
            return OTA_ITEM_STREAM_DEFERRED;
        }
    }
    return stream_end(item);
}

int ota_item_stream_resume(ota_item_t *item, size_t chunk, void (*on_chunk)(void *arg, uint32_t at, size_t n),
                           void *arg)
{
    int r = stream_chunk(item, chunk, on_chunk, arg);
    if (r != 0) {
        return r;
    }
    if (!item->writer.begun) {
        /* The procedure's own "nothing written" check ran before the deferral: decide here. */
        ota_service_set_item_detail(item->service, 0, "the image is empty");
        return OTA_ERR_IMG_TRUNCATED;
    }
    r = stream_end(item);
    if (r == OTA_OK) {
        ota_service_report_progress(item->service, ota_item_stream_position(item, item->consumed),
                                    item->total, true);
    }
    return r;
}

static int target_write(void *arg, const uint8_t *data, size_t len)
{
    return ota_item_put(arg, data, len);
}

static int target_read(void *arg, uint32_t off, void *buf, size_t len)
{
    ota_item_t *item = arg;
    return staged_read(&item->writer, off, buf, len);
}

static uint64_t target_written(void *arg)
{
    ota_item_t *item = arg;
    return item->writer.written;
}

static int target_commit(void *arg)
{
    ota_item_t *item = arg;
    int err = ota_pw_commit(&item->writer);
    if (err == OTA_OK && item->activate != NULL) {
        err = item->activate(item->activate_ctx);
    }
    return err;
}

void ota_item_target(ota_item_t *item, ota_target_t *out)
{
    out->name = item->target.info.type == OTA_PART_TYPE_APP ? "app slot" : "data partition";
    out->partition = &item->target;
    out->write = target_write;
    out->read = target_read;
    out->written = target_written;
    out->commit = target_commit;
    out->ctx = item;
}
