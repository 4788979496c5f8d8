/* ESP-ADF's manifest checker (ota_checker_manifest.h) on the public checker interface. The body is
 * fetched through the service's source opener (file://, http(s):// with the service's TLS
 * settings), at most OTA_ADF_MANIFEST_MAX_SIZE bytes, into the checker's own buffer. */
#include "ota/ota_checker_manifest.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_service_adf.h"
#include "ota/port/ota_source.h"

static const char *TAG = "OTA_CHK_MANIFEST";

static int read_body(ota_checker_manifest_t *c, ota_source_t *src)
{
    c->body_len = 0;
    for (;;) {
        if (c->body_len == sizeof c->body) {
            /* one byte more means too large (ESP-ADF: Content-Length above MANIFEST_MAX_SIZE) */
            char extra;
            int n = ota_source_read(src, &extra, 1);
            return n == 0 ? OTA_OK : n < 0 ? n : OTA_ERR_MANIFEST_TOO_LARGE;
        }
        int n = ota_source_read(src, c->body + c->body_len, sizeof c->body - c->body_len);
        if (n < 0) {
            return n;
        }
        if (n == 0) {
            return c->body_len == 0 ? OTA_ERR_MANIFEST_TRUNCATED : OTA_OK; /* "Empty manifest response" */
        }
        c->body_len += (size_t)n;
    }
}

int ota_checker_manifest_fetch(ota_checker_manifest_t *c)
{
    if (c == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    const ota_service_config_t *scfg = ota_service_config(c->cfg.service);
    ota_source_t *src = NULL;
    ota_source_info_t diag;
    memset(&diag, 0, sizeof diag);
    int err =
        scfg->open_source(scfg->open_source_ctx, &scfg->source, c->cfg.manifest_uri, 0, NULL, &src, &diag);
    if (err == OTA_OK) {
        err = read_body(c, src);
        ota_source_close(src);
    }
    if (err == OTA_OK) {
        err = ota_adf_manifest_parse(c->body, c->body_len, &c->cfg.policy, &c->result);
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "Manifest %s: %s", c->cfg.manifest_uri, ota_strerror(err));
    } else {
        OTA_LOGI(TAG, "Manifest check: incoming=%s current=%s size=%u has_hash=%s has_md5=%s upgrade=%s",
                 c->result.version, c->cfg.policy.current_version, (unsigned)c->result.image_size,
                 c->result.has_hash ? "true" : "false", c->result.has_md5 ? "true" : "false",
                 c->result.upgrade_available ? "true" : "false");
    }
    c->fetched = err == OTA_OK ? 1 : err;
    return err;
}

static int manifest_check(void *ctx, const uint8_t *head, size_t len, bool ended)
{
    (void)head;
    (void)len;
    (void)ended;
    ota_checker_manifest_t *c = ctx;
    int err = c->fetched == 0 ? ota_checker_manifest_fetch(c) : c->fetched == 1 ? OTA_OK : c->fetched;
    if (err != OTA_OK) {
        return err;
    }
    ota_service_report_check(c->cfg.service, &c->result);
    return c->result.decision;
}

int ota_checker_manifest_init(ota_checker_manifest_t *c, const ota_checker_manifest_config_t *cfg)
{
    if (c == NULL || cfg == NULL || cfg->manifest_uri == NULL || cfg->service == NULL ||
        cfg->policy.current_version == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    ota_check_result_clear(&c->result);
    c->checker = (ota_checker_t){.name = "manifest", .peek_len = 0, .check = manifest_check, .ctx = c};
    return OTA_OK;
}
