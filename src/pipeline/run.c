/* The loop of one item (path.h): the checker on the first output bytes, the next output bytes
 * (through the stages, with the resume jump at the end of sector 0) handed to ota_item_put
 * (resume.c: verifiers, writer, checkpoints), and the execute loop, whole (ota_item_stream) or one chunk per driver step
 * (ota_path_step). */
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "path.h"

int ota_item_read(ota_item_t *item, void *buf, size_t len)
{
    uint32_t sector = item->device->flash->sector_size;
    if (item->pending_err != OTA_OK) {
        return item->pending_err;
    }
    if (item->writer.resume_at != 0 && item->consumed == sector) {
        int err = ota_item_resume_at_sector0(item, buf, len);
        if (err != OTA_OK) {
            return err;
        }
    }
    /* stop at the next sector boundary: checkpoints and the resume jump happen on them */
    size_t to_boundary = sector - (size_t)(item->consumed % sector);
    if (len > to_boundary) {
        len = to_boundary;
    }
    /* Fill the request: short network reads would make writes that straddle flash pages. */
    uint8_t *out = buf;
    size_t got = 0;
    while (got < len) {
        int n;
        if (item->peek_pos < item->peek_len) {
            size_t avail = item->peek_len - item->peek_pos;
            n = (int)(avail < len - got ? avail : len - got);
            memcpy(out + got, item->peek + item->peek_pos, (size_t)n);
            item->peek_pos += (size_t)n;
        } else {
            n = ota_item_input(item, out + got, len - got);
        }
        if (n < 0) {
            if (got > 0) {
                item->pending_err = (int16_t)n; /* hand over what arrived; the error comes next time */
                break;
            }
            return n;
        }
        if (n == 0) {
            break;
        }
        got += (size_t)n;
        item->consumed += (uint64_t)n;
    }
    return (int)got;
}

int ota_item_next(ota_item_t *item, uint8_t *buf, size_t max, const uint8_t **out)
{
    if (item->stages == NULL) {
        *out = buf;
        return ota_item_read(item, buf, max);
    }
    if (item->pending_err != OTA_OK) {
        return item->pending_err;
    }
    if (item->writer.resume_at != 0 && item->out_pos == item->device->flash->sector_size) {
        /* every buffered byte is forgotten at the jump: the whole work buffer is scratch */
        size_t size;
        uint8_t *scratch = ota_item_work_buffer(item, &size);
        int err = ota_item_resume_at_sector0(item, scratch, size);
        if (err != OTA_OK) {
            return err;
        }
    }
    return ota_stages_next(item, max, out);
}

int ota_item_read_exact(ota_item_t *item, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        const uint8_t *view;
        int n = ota_item_next(item, p, len, &view);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            return OTA_ERR_IMG_TRUNCATED;
        }
        if (view != p) {
            memcpy(p, view, (size_t)n);
        }
        p += n;
        len -= (size_t)n;
    }
    return OTA_OK;
}

int ota_item_check(ota_item_t *item)
{
    if (item->events->checking != NULL) {
        item->events->checking(item->events_ctx, item->total);
    }
    if (item->checker.check == NULL) {
        return OTA_OK;
    }
    size_t want = item->checker.peek_len;
    bool ended = false;
    int err;
    if (item->stages != NULL) {
        err = ota_stages_peek(item, want, &ended);
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
int ota_item_staged_read(void *arg, uint32_t off, void *buf, size_t len)
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
static int stream_chunk(ota_item_t *item)
{
    size_t chunk = item->chunk;
    size_t buf_size;
    uint8_t *buf = ota_item_work_buffer(item, &buf_size);
    if (chunk == 0 || chunk > buf_size) {
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
            ota_item_detail(item, 0, "%s", msg);
        }
        return err;
    }
    if (item->on_chunk != NULL) {
        item->on_chunk(item, at, (size_t)n);
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
        int err = v->finish(v->ctx, item->writer.written, ota_item_staged_read, &item->writer);
        if (err != OTA_OK) {
            item->failed_verifier = (int)i;
            const char *msg = verifier_message(item, err);
            OTA_LOGE(item->tag, "%s", msg);
            ota_item_detail(item, 0, "%s", msg);
            return err;
        }
    }
    return OTA_OK;
}

int ota_item_stream(ota_item_t *item, size_t chunk, void (*on_chunk)(ota_item_t *item, uint32_t at, size_t n))
{
    item->chunk = chunk <= UINT16_MAX ? (uint16_t)chunk : 0; /* larger: the whole work buffer */
    item->on_chunk = on_chunk;
    for (;;) {
        int r = stream_chunk(item);
        if (r < 0) {
            return r;
        }
        if (r == 0) {
            break;
        }
        /* A driver that steps (ota_service_step) takes the rest of the loop, one chunk per step:
         * the place between two chunks where it may also pause or report. */
        if (item->events->yield(item->events_ctx, item)) {
            return OTA_ITEM_STREAM_DEFERRED;
        }
    }
    return stream_end(item);
}

int ota_path_step(ota_item_t *item)
{
    int r = stream_chunk(item);
    if (r != 0) {
        return r;
    }
    if (!item->writer.begun) {
        /* The procedure's own "nothing written" check ran before the hand-over: decide here. */
        ota_item_detail(item, 0, "the image is empty");
        return OTA_ERR_IMG_TRUNCATED;
    }
    r = stream_end(item);
    if (r == OTA_OK) {
        item->events->progress(item->events_ctx, ota_item_stream_position(item, item->consumed), item->total,
                               true);
    }
    return r;
}

uint64_t ota_item_stream_position(const ota_item_t *item, uint64_t without_stages)
{
    return item->stages != NULL ? ota_stages_source_offset(item) : without_stages;
}

void ota_path_progress(const ota_item_t *item, uint64_t *stream_bytes, int64_t *total)
{
    *stream_bytes = ota_item_stream_position(item, item->consumed);
    *total = item->total;
}
