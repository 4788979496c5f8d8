/* Per-item plumbing shared by the default procedures; see item.h. */
#include "item.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "service_internal.h"

static void note_error(ota_item_t *item, int err, const ota_source_info_t *info);

/* Open the item's source at @p offset (expect: NULL or what must hold, see ota_source.h). A failed
 * open's HTTP status and detail go to the item's RESULT event. */
static int open_source(ota_item_t *item, uint64_t offset, const ota_source_expect_t *expect, ota_source_t **out)
{
    const ota_service_config_t *cfg = ota_service_config(item->service);
    ota_source_info_t diag;
    memset(&diag, 0, sizeof diag);
    int err = cfg->open_source(cfg->open_source_ctx, &item->src_cfg, item->uri, offset, expect, out, &diag);
    if (err != OTA_OK) {
        note_error(item, err, &diag);
    }
    return err;
}

/* If the target holds a resumable install of this URI, ask only for sector 0: the rest of the
 * image up to the checkpoint is on flash already. Returns OTA_ERR_NOT_FOUND when not applicable. */
static int open_for_resume(ota_item_t *item)
{
    ota_journal_header_t header;
    ota_journal_checkpoint_t cp;
    uint32_t free_slot;
    uint8_t id[16];
    ota_journal_source_id(item->uri, id);
    if (item->target.flash == NULL ||
        ota_pw_read_journal(&item->target, item->first_sector, &header, &cp, &free_slot) != OTA_OK ||
        memcmp(header.source_id, id, sizeof id) != 0) {
        return OTA_ERR_NOT_FOUND;
    }
    ota_source_expect_t expect = {.total_size = header.total_size, .length = item->device->flash->sector_size};
    memcpy(expect.etag, header.etag, sizeof header.etag);
    int err = open_source(item, 0, &expect, &item->source);
    if (err == OTA_OK) {
        item->bounded = true;
    } else {
        item->source = NULL;
        if (err == OTA_ERR_SRC_RESOURCE_CHANGED) {
            OTA_LOGI(item->tag, "%s changed since the interrupted install: starting over", item->uri);
            ota_service_set_item_detail(item->service, 0, "%s", ""); /* not this item's failure */
            return OTA_ERR_NOT_FOUND;
        }
    }
    return err;
}

int ota_item_open(ota_item_t *item, ota_service_t *service, const ota_node_attr_t *node, const char *tag,
                  const ota_partition_info_t *target)
{
    memset(item, 0, sizeof *item);
    item->service = service;
    item->device = ota_service_device(service);
    item->tag = tag;
    item->total = -1;
    if (node->uri == NULL || node->uri[0] == '\0') {
        OTA_LOGE(tag, "no upgrade URI");
        return OTA_ERR_SRC_URI;
    }
    item->first_sector = ota_malloc(item->device->flash->sector_size);
    if (item->first_sector == NULL) {
        return OTA_ERR_NO_MEM;
    }
    const ota_service_config_t *cfg = ota_service_config(service);
    item->uri = node->uri;
    item->src_cfg = cfg->source;
    if (node->cert_pem != NULL) {
        item->src_cfg.cert_pem = node->cert_pem;
    }
    if (target != NULL) {
        ota_device_partition(item->device, target, &item->target);
    }
    int err = open_for_resume(item);
    if (err == OTA_ERR_NOT_FOUND) {
        err = open_source(item, 0, NULL, &item->source);
    }
    if (err != OTA_OK) {
        item->source = NULL;
        OTA_LOGE(tag, "cannot open %s: %s", node->uri, ota_strerror(err));
        return err;
    }
    item->total = ota_source_get_info(item->source)->total_size;
    return OTA_OK;
}

void ota_item_close(ota_item_t *item)
{
    ota_source_close(item->source);
    item->source = NULL;
    ota_free(item->first_sector);
    item->first_sector = NULL;
}

static void note_source_error(ota_item_t *item, int err)
{
    note_error(item, err, item->source != NULL ? ota_source_get_info(item->source) : NULL);
}

static void note_error(ota_item_t *item, int err, const ota_source_info_t *info)
{
    int status = info != NULL ? info->http_status : 0;
    const char *detail = info != NULL ? info->error : "";
    if (detail[0] != '\0') {
        ota_service_set_item_detail(item->service, status, "%s", detail);
    } else if (status >= 400) {
        ota_service_set_item_detail(item->service, status, "HTTP %d", status);
    } else {
        ota_service_set_item_detail(item->service, status, "%s", ota_strerror(err));
    }
}

/* The install journal header for this item (size, URI id, ETag if it fits). */
static void journal_header(const ota_item_t *item, ota_journal_header_t *out)
{
    memset(out, 0, sizeof *out);
    out->total_size = item->total >= 0 ? (uint32_t)item->total : OTA_JOURNAL_UNKNOWN_SIZE;
    ota_journal_source_id(item->uri, out->source_id);
    /* An ETag too long for the journal is left out: the install is then not resumable. */
    const char *etag = item->source ? ota_source_get_info(item->source)->etag : "";
    size_t len = strlen(etag);
    if (len <= OTA_JOURNAL_ETAG_MAX) {
        memcpy(out->etag, etag, len + 1);
    }
}

static int source_read(ota_item_t *item, void *buf, size_t len)
{
    if (ota_service_stop_requested(item->service)) {
        return OTA_ERR_CANCELLED;
    }
    int n = ota_source_read(item->source, buf, len);
    if (n == 0 && item->bounded && item->total >= 0 && item->consumed < (uint64_t)item->total) {
        /* the sector-0-only request ended but the install is not resumed after all: go on */
        ota_source_expect_t expect = {.total_size = item->total};
        memcpy(expect.etag, ota_source_get_info(item->source)->etag, sizeof expect.etag);
        ota_source_t *rest = NULL;
        n = open_source(item, item->consumed, &expect, &rest);
        if (n == OTA_OK) {
            ota_source_close(item->source);
            item->source = rest;
            item->bounded = false;
            n = ota_source_read(item->source, buf, len);
        }
    }
    if (n < 0) {
        note_source_error(item, n);
    }
    return n;
}

int ota_item_peek(ota_item_t *item, size_t len)
{
    if (len > sizeof item->peek || item->peek_pos != 0) {
        return OTA_ERR_INVALID_STATE;
    }
    while (item->peek_len < len) {
        int n = source_read(item, item->peek + item->peek_len, len - item->peek_len);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            ota_service_set_item_detail(item->service, 0, "stream ended after %u bytes",
                                        (unsigned)item->peek_len);
            return OTA_ERR_IMG_TRUNCATED;
        }
        item->peek_len += (size_t)n;
    }
    return OTA_OK;
}

/* Checkpoints: at most one per 64 KiB, and few enough that the journal holds them all. */
#define CHECKPOINT_MIN_INTERVAL 0x10000u

int ota_item_begin_write(ota_item_t *item, const ota_item_hasher_t *hasher)
{
    item->hasher = *hasher;
    ota_journal_header_t journal;
    journal_header(item, &journal);
    int err = ota_pw_begin(&item->writer, item->device, &item->target, item->first_sector, item->total,
                           &journal, &item->resume);
    if (err != OTA_OK) {
        return err;
    }
    uint32_t sector = item->writer.sector;
    uint32_t slots = ota_journal_capacity(sector);
    uint32_t every = CHECKPOINT_MIN_INTERVAL;
    if (item->total > 0 && slots > 1 && (uint64_t)item->total / (slots - 1) > every) {
        every = (uint32_t)((uint64_t)item->total / (slots - 1));
    }
    item->checkpoint_every = (every + sector - 1) / sector * sector;
    item->next_checkpoint = item->checkpoint_every;
    if (item->resume.bytes_written != 0) {
        OTA_LOGI(item->tag, "%s holds an interrupted install of this image: resuming at %u of %lld bytes",
                 item->target.info.label, (unsigned)item->resume.bytes_written, (long long)item->total);
        item->next_checkpoint = item->resume.bytes_written + item->checkpoint_every;
    }
    return OTA_OK;
}

int ota_item_write(ota_item_t *item, const void *data, size_t len)
{
    int err = ota_pw_write(&item->writer, data, len);
    uint32_t written = item->writer.written;
    if (err != OTA_OK || written < item->next_checkpoint || written % item->writer.sector != 0) {
        return err;
    }
    ota_journal_checkpoint_t cp = {.bytes_written = written};
    uint64_t hashed = 0;
    if (item->hasher.snapshot(item->hasher.ctx, &hashed, cp.digest) != OTA_OK) {
        return OTA_OK; /* nothing to record (e.g. past the hashed region): no checkpoint */
    }
    cp.bytes_hashed = (uint32_t)hashed;
    item->next_checkpoint = written + item->checkpoint_every;
    return ota_pw_checkpoint(&item->writer, &cp);
}

/* The resume jump: sector 0 has been read again from the source; replay the flash from there to
 * the checkpoint through the hasher, compare, and continue the source at the checkpoint. */
static int resume_jump(ota_item_t *item, uint8_t *buf, size_t buf_size)
{
    ota_partition_writer_t *w = &item->writer;
    uint32_t at = item->resume.bytes_written;
    if (item->consumed != w->sector || w->written != w->sector) {
        /* a custom step consumed bytes it did not write back: the prefix cannot be matched */
        OTA_LOGW(item->tag, "cannot resume: stream and partition are not in step; starting over");
        return OTA_ERR_SVC_CHECKPOINT;
    }
    for (uint32_t off = w->sector; off < at;) {
        uint32_t n = at - off < buf_size ? at - off : (uint32_t)buf_size;
        int err = ota_partition_read(&item->target, off, buf, n);
        if (err == OTA_OK) {
            err = item->hasher.feed(item->hasher.ctx, buf, n);
        }
        if (err != OTA_OK) {
            OTA_LOGW(item->tag, "cannot resume: the data on flash does not verify (%s)", ota_strerror(err));
            return OTA_ERR_SVC_CHECKPOINT;
        }
        off += n;
    }
    uint8_t digest[32];
    uint64_t hashed = 0;
    if (item->hasher.snapshot(item->hasher.ctx, &hashed, digest) != OTA_OK || hashed != item->resume.bytes_hashed ||
        memcmp(digest, item->resume.digest, sizeof digest) != 0) {
        OTA_LOGW(item->tag, "cannot resume: the data on flash does not match the checkpoint");
        return OTA_ERR_SVC_CHECKPOINT;
    }
    ota_source_expect_t expect = {.total_size = item->total};
    memcpy(expect.etag, ota_source_get_info(item->source)->etag, sizeof expect.etag);
    ota_source_t *src = NULL;
    int err = open_source(item, at, &expect, &src);
    if (err != OTA_OK) {
        OTA_LOGE(item->tag, "cannot continue %s at byte %u: %s", item->uri, (unsigned)at, ota_strerror(err));
        return err;
    }
    ota_source_close(item->source);
    item->source = src;
    item->bounded = false;
    item->consumed = at;
    OTA_LOGI(item->tag, "resumed at byte %u: %u bytes were already on flash", (unsigned)at,
             (unsigned)(at - w->sector));
    return ota_pw_resume_jump(w);
}

/* The prefix on flash is not what the checkpoint recorded (the resource changed behind an
 * unchanged ETag, or the flash decayed): install from zero, in this same run. */
static int give_up_resume(ota_item_t *item)
{
    ota_partition_writer_t *w = &item->writer;
    item->hasher.reset(item->hasher.ctx);
    int err = item->hasher.feed(item->hasher.ctx, w->first, w->sector);
    ota_journal_header_t journal;
    journal_header(item, &journal);
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

int ota_item_read(ota_item_t *item, void *buf, size_t len)
{
    uint32_t sector = item->device->flash->sector_size;
    if (item->pending_err != OTA_OK) {
        return item->pending_err;
    }
    if (item->writer.resume_at != 0 && item->consumed == sector) {
        int err = resume_jump(item, buf, len);
        if (err == OTA_ERR_SVC_CHECKPOINT) {
            err = give_up_resume(item); /* the bounded source then simply goes on from sector 0 */
        }
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
            n = source_read(item, out + got, len - got);
        }
        if (n < 0) {
            if (got > 0) {
                item->pending_err = n; /* hand over what arrived; the error comes next time */
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

int ota_item_read_exact(ota_item_t *item, void *buf, size_t len)
{
    uint8_t *p = buf;
    while (len > 0) {
        int n = ota_item_read(item, p, len);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            return OTA_ERR_IMG_TRUNCATED;
        }
        p += n;
        len -= (size_t)n;
    }
    return OTA_OK;
}
