/* The stage driver (ota_stage.h): the stages' buffers laid out in the work buffer, each stage fed
 * from the previous one (the first from the source), the output cut at the target's sector
 * boundaries; the stages put in front of or after a peeked stream. Linked only by a firmware that
 * inserts a stage (ota_stages_insert*: decryption, delta, ota_path_insert_stage); the always-linked
 * loop (run.c, resume.c) calls it by weak reference (path.h). Resume's side of the stages (save,
 * restore, the state buffers) is in stages_resume.c, linked with it. */
#define OTA_STAGE_DRIVER_IMPL
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_path.h"
#include "path.h"

/* Smallest output area a stage gets (the work buffer is at least 512 bytes). */
#define AREA_MIN 64u

bool ota_stage_valid(const ota_stage_t *s)
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

int ota_stages_insert(ota_item_t *item, size_t index, const ota_stage_t *stage)
{
    if (item->stages == NULL) {
        item->stages = ota_calloc(1, sizeof *item->stages);
        if (item->stages == NULL) {
            return OTA_ERR_NO_MEM;
        }
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

/* The public ota_path.h entry points (checks as path_api.c's): here, so that only an
 * application that inserts a stage links the driver. */
int ota_path_insert_stage(ota_path_t *path, size_t index, const ota_stage_t *stage)
{
    if (path == NULL || !ota_stage_valid(stage)) {
        return OTA_ERR_INVALID_ARG;
    }
    if (path->peek_len != 0 || path->consumed != 0 || path->writer.begun) {
        return OTA_ERR_INVALID_STATE; /* stream bytes were taken as output already */
    }
    return ota_stages_insert(path, index, stage);
}

int ota_path_add_stage(ota_path_t *path, const ota_stage_t *stage)
{
    return ota_path_insert_stage(path, OTA_STAGE_MAX, stage);
}

int ota_stages_insert_after_peek(ota_item_t *item, const ota_stage_t *stage)
{
    if (item->stages != NULL || item->peek_pos != 0 || item->consumed != 0 || item->writer.begun) {
        return OTA_ERR_INVALID_STATE;
    }
    if (!ota_stage_valid(stage)) {
        return OTA_ERR_INVALID_ARG;
    }
    int err = ota_stages_insert(item, 0, stage);
    if (err == OTA_OK) {
        item->stages->lead = item->peek_len; /* stages_start makes them the stream's first bytes */
    }
    return err;
}

int ota_stages_append_after_peek(ota_item_t *item, const ota_stage_t *stage)
{
    ota_item_stages_t *st = item->stages;
    if (st == NULL || !st->started || st->count == OTA_STAGE_MAX || !ota_stage_valid(stage) ||
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

/* Lay the areas out in the work buffer (half for the stream, the rest shared by the stages) and
 * reset the stages: before the first byte. */
static int stages_start(ota_item_t *item)
{
    ota_item_stages_t *st = item->stages;
    size_t size;
    uint8_t *buf = ota_item_work_buffer(item, &size);
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
                if (item->events->cancelled(item->events_ctx)) {
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
            ota_item_detail(item, 0, "stage %s: %s", s->name, ota_strerror(err));
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
