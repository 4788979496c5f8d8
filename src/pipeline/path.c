/* The pipeline object of one item (path.h): open/close, the input from the source (with the
 * resume's sector-0-only request), the verifier list, refusals and the RESULT detail. */
#include "path.h"

#include <stdarg.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static void note_error(ota_item_t *item, int err, const ota_source_info_t *info);

void ota_item_detail(ota_item_t *item, int http_status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    item->events->detail(item->events_ctx, http_status, fmt, ap);
    va_end(ap);
}

/* Open the item's source at @p offset (expect: NULL or what must hold, see ota_source.h). A failed
 * open's HTTP status and detail go to the item's RESULT event. */
static int open_source(ota_item_t *item, uint64_t offset, const ota_source_expect_t *expect,
                       ota_source_t **out)
{
    ota_source_info_t diag;
    memset(&diag, 0, sizeof diag);
    int err =
        item->events->open_source(item->events_ctx, &item->src_cfg, item->uri, offset, expect, out, &diag);
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
            ota_item_detail(item, 0, "%s", ""); /* not this item's failure */
            return OTA_ERR_NOT_FOUND;
        }
    }
    return err;
}

int ota_item_open(ota_item_t *item, const ota_path_events_t *events, void *events_ctx, ota_device_t *device,
                  const ota_source_config_t *source, const ota_node_attr_t *node, const char *tag,
                  const ota_partition_info_t *target)
{
    memset(item, 0, sizeof *item);
    item->events = events;
    item->events_ctx = events_ctx;
    item->device = device;
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
    item->uri = node->uri;
    item->src_cfg = *source;
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
    va_list ap;
    va_start(ap, fmt);
    const char *detail = item->events->detail(item->events_ctx, 0, fmt, ap);
    va_end(ap);
    OTA_LOGE(item->tag, "%s", detail);
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
        ota_item_detail(item, status, "%s", detail);
    } else if (status >= 400) {
        ota_item_detail(item, status, "HTTP %d", status);
    } else {
        ota_item_detail(item, status, "%s", ota_strerror(err));
    }
}

int ota_item_input(ota_item_t *item, void *buf, size_t len)
{
    if (item->events->cancelled(item->events_ctx)) {
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
        int n = ota_item_input(item, item->peek + item->peek_len, len - item->peek_len);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            ota_item_detail(item, 0, "stream ended after %u bytes", (unsigned)item->peek_len);
            return OTA_ERR_IMG_TRUNCATED;
        }
        item->peek_len += (size_t)n;
    }
    return OTA_OK;
}

int ota_item_verifiers_reset(ota_item_t *item)
{
    for (size_t i = 0; i < item->verifiers; i++) {
        int err = item->verifier[i].reset(item->verifier[i].ctx);
        if (err != OTA_OK) {
            return err;
        }
    }
    return OTA_OK;
}

int ota_item_verifiers_feed(ota_item_t *item, const uint8_t *data, size_t len)
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
int ota_item_verifiers_snapshot(ota_item_t *item, uint64_t *fed, uint8_t digest[32])
{
    for (size_t i = 0; i < item->verifiers; i++) {
        if (item->verifier[i].snapshot != NULL) {
            return item->verifier[i].snapshot(item->verifier[i].ctx, fed, digest);
        }
    }
    return OTA_ERR_NOT_SUPPORTED;
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

/* The source, for the stages (stages.c): bytes as they come, counted in consumed. */
int ota_item_source_read(ota_item_t *item, void *buf, size_t len)
{
    int n = ota_item_input(item, buf, len);
    if (n > 0) {
        item->consumed += (uint64_t)n;
    }
    return n;
}
