/* Per-item plumbing shared by the default procedures; see item.h. */
#include "item.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "service_internal.h"

int ota_item_open(ota_item_t *item, ota_service_t *service, const ota_node_attr_t *node, const char *tag)
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
    ota_source_config_t src_cfg = cfg->source;
    if (node->cert_pem != NULL) {
        src_cfg.cert_pem = node->cert_pem;
    }
    int err = cfg->open_source(cfg->open_source_ctx, &src_cfg, node->uri, 0, NULL, &item->source);
    if (err != OTA_OK) {
        item->source = NULL;
        ota_item_note_source_error(item, err);
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

void ota_item_note_source_error(ota_item_t *item, int err)
{
    int status = 0;
    const char *detail = "";
    if (item->source != NULL) {
        status = ota_source_get_info(item->source)->http_status;
        detail = ota_source_get_info(item->source)->error;
    }
    if (detail[0] != '\0') {
        ota_service_set_item_detail(item->service, status, "%s", detail);
    } else if (status >= 400) {
        ota_service_set_item_detail(item->service, status, "HTTP %d", status);
    } else {
        ota_service_set_item_detail(item->service, status, "%s", ota_strerror(err));
    }
}

static int source_read(ota_item_t *item, void *buf, size_t len)
{
    if (ota_service_stop_requested(item->service)) {
        return OTA_ERR_CANCELLED;
    }
    int n = ota_source_read(item->source, buf, len);
    if (n < 0) {
        ota_item_note_source_error(item, n);
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

int ota_item_read(ota_item_t *item, void *buf, size_t len)
{
    int n;
    if (item->peek_pos < item->peek_len) {
        size_t avail = item->peek_len - item->peek_pos;
        n = (int)(avail < len ? avail : len);
        memcpy(buf, item->peek + item->peek_pos, (size_t)n);
        item->peek_pos += (size_t)n;
    } else {
        n = source_read(item, buf, len);
    }
    if (n > 0) {
        item->consumed += (uint64_t)n;
    }
    return n;
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

void ota_item_journal_header(const ota_item_t *item, const char *uri, ota_journal_header_t *out)
{
    memset(out, 0, sizeof *out);
    out->total_size = item->total >= 0 ? (uint32_t)item->total : OTA_JOURNAL_UNKNOWN_SIZE;
    if (uri != NULL) {
        ota_journal_source_id(uri, out->source_id);
    }
    /* An ETag too long for the journal is left out: the install is then not resumable. */
    const char *etag = item->source ? ota_source_get_info(item->source)->etag : "";
    size_t len = strlen(etag);
    if (len <= OTA_JOURNAL_ETAG_MAX) {
        memcpy(out->etag, etag, len + 1);
    }
}
