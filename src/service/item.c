/* Per-item plumbing shared by the default procedures; see item.h. */
#include "item.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "service_internal.h"

static void note_error(ota_item_t *item, int err, const ota_source_info_t *info);

/* Open the item's source at @p offset (expect: NULL or what must hold, see ota_source.h). A failed
 * open's HTTP status and detail go to the item's RESULT event. */
static int open_source(ota_item_t *item, uint64_t offset, const ota_source_expect_t *expect,
                       ota_source_t **out)
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
    /* a staged install's header bounds the output; the stream's own size is kept beside it */
    ota_source_expect_t expect = {.total_size = header.staged ? header.source_size : header.total_size,
                                  .length = item->device->flash->sector_size};
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
    item->failed_verifier = -1;
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
    if (item->stages != NULL) {
        ota_free(item->stages->state);
    }
    ota_free(item->stages);
    item->stages = NULL;
}

int ota_item_refuse(ota_item_t *item, int err, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    OTA_LOGE(item->tag, "%s", detail);
    ota_service_set_item_detail(item->service, 0, "%s", detail);
    return err;
}

int ota_item_refuse_too_large(ota_item_t *item, int64_t size)
{
    const ota_partition_info_t *t = &item->target.info;
    return ota_item_refuse(item, OTA_ERR_IMG_TOO_LARGE,
                           "image of %lld bytes%s larger than partition %s (%u bytes)", (long long)size,
                           item->stages != NULL ? " (decrypted)" : "", t->label, (unsigned)t->size);
}

int ota_item_add_verifier(ota_item_t *item, const ota_verifier_t *verifier)
{
    if (verifier == NULL || verifier->name == NULL || verifier->reset == NULL || verifier->feed == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (item->writer.begun) {
        return OTA_ERR_INVALID_STATE; /* it would miss bytes */
    }
    if (item->verifiers == OTA_ITEM_VERIFIERS_MAX) {
        return OTA_ERR_NO_MEM;
    }
    item->verifier[item->verifiers++] = *verifier;
    return OTA_OK;
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

static int verifiers_reset(ota_item_t *item)
{
    for (size_t i = 0; i < item->verifiers; i++) {
        int err = item->verifier[i].reset(item->verifier[i].ctx);
        if (err != OTA_OK) {
            return err;
        }
    }
    return OTA_OK;
}

static int verifiers_feed(ota_item_t *item, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < item->verifiers; i++) {
        int err = item->verifier[i].feed(item->verifier[i].ctx, data, len);
        if (err != OTA_OK) {
            item->failed_verifier = (int)i;
            return err;
        }
    }
    return OTA_OK;
}

/* The digest a checkpoint records: the first verifier that snapshots. */
static int verifiers_snapshot(ota_item_t *item, uint64_t *fed, uint8_t digest[32])
{
    for (size_t i = 0; i < item->verifiers; i++) {
        if (item->verifier[i].snapshot != NULL) {
            return item->verifier[i].snapshot(item->verifier[i].ctx, fed, digest);
        }
    }
    return OTA_ERR_NOT_SUPPORTED;
}

/* With stages, a resume also needs the stage record of the last checkpoint and the same chain.
 * Reads sector 0 into the RAM sector (scratch until ota_pw_begin refills it). */
static bool staged_resume_possible(ota_item_t *item, const ota_journal_header_t *journal)
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
    int err = verifiers_reset(item);
    if (err != OTA_OK) {
        return err;
    }
    ota_journal_header_t journal;
    journal_header(item, &journal);
    bool may_resume = item->stages == NULL || staged_resume_possible(item, &journal);
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
static int write_stage_record(ota_item_t *item, uint32_t written)
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
    if (verifiers_snapshot(item, &hashed, cp.digest) != OTA_OK) {
        return OTA_OK; /* nothing to record (e.g. past the hashed region): no checkpoint */
    }
    cp.bytes_hashed = (uint32_t)hashed;
    if (item->stages != NULL) {
        err = write_stage_record(item, written);
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
    if (ota_service_adf_state(item->service)->check != NULL) {
        return OTA_OK; /* ESP-ADF hook: a check-only run writes nothing (a need_upgrade may write) */
    }
    if (!item->writer.begun) {
        int err = ota_item_begin_write(item);
        if (err != OTA_OK) {
            return err;
        }
    }
    int err = verifiers_feed(item, data, len);
    return err != OTA_OK ? err : item_write(item, data, len);
}

int ota_item_source_seek(ota_item_t *item, uint64_t offset)
{
    ota_source_expect_t expect = {.total_size = item->total};
    memcpy(expect.etag, ota_source_get_info(item->source)->etag, sizeof expect.etag);
    ota_source_t *src = NULL;
    int err = open_source(item, offset, &expect, &src);
    if (err != OTA_OK) {
        OTA_LOGE(item->tag, "cannot continue %s at byte %llu: %s", item->uri, (unsigned long long)offset,
                 ota_strerror(err));
        return err;
    }
    ota_source_close(item->source);
    item->source = src;
    item->bounded = false;
    item->consumed = offset;
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
            err = verifiers_feed(item, buf, n);
        }
        if (err != OTA_OK) {
            OTA_LOGW(item->tag, "cannot resume: the data on flash does not verify (%s)", ota_strerror(err));
            return OTA_ERR_SVC_CHECKPOINT;
        }
        off += n;
    }
    uint8_t digest[32];
    uint64_t hashed = 0;
    if (verifiers_snapshot(item, &hashed, digest) != OTA_OK || hashed != item->resume.bytes_hashed ||
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
    int err = verifiers_reset(item);
    if (err == OTA_OK) {
        err = verifiers_feed(item, w->first, w->sector);
    }
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

/* At the end of sector 0 of an install being resumed: jump, or start over. */
static int maybe_jump(ota_item_t *item, uint8_t *buf, size_t len)
{
    int err = resume_jump(item, buf, len);
    if (err == OTA_ERR_SVC_CHECKPOINT) {
        err = give_up_resume(item); /* the bounded source then simply goes on from sector 0 */
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
        int err = maybe_jump(item, buf, len);
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

/* The source, for the stages (path.c): bytes as they come, counted in consumed. */
int ota_item_source_read(ota_item_t *item, void *buf, size_t len)
{
    int n = source_read(item, buf, len);
    if (n > 0) {
        item->consumed += (uint64_t)n;
    }
    return n;
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
        uint8_t *scratch = ota_service_work_buffer(item->service, &size);
        int err = maybe_jump(item, scratch, size);
        if (err != OTA_OK) {
            return err;
        }
    }
    return item->stages->ops->next(item, max, out);
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
