/*
 * http:// and https:// source on ESP-IDF's esp_http_client, with the core's HTTP rules
 * (src/source/http_rules.c), the same ones the POSIX port applies to libcurl.
 *
 * A request is esp_http_client_open + esp_http_client_fetch_headers, as esp_https_ota does
 * (components/esp_https_ota/src/esp_https_ota.c, v6.0.2, _http_connect): the response's header
 * fields reach the core's parser through HTTP_EVENT_ON_HEADER, redirects are followed here
 * (esp_http_client_set_redirection on a closed connection) so that every response is checked, and the body is pulled with esp_http_client_read straight into the caller's buffer:
 * the source keeps no copy of the stream (esp_http_client's own receive buffer is
 * http_buffer_size, ESP-IDF's memory).
 *
 * Resume (DESIGN.md §4 invariant 5): at offset N > 0 the request carries "Range: bytes=N-" and,
 * with a strong ETag known, "If-Range"; only a 206 starting at N with the same ETag and length is
 * accepted (ota_http_check_response). A transfer that breaks (timeout, reset, body shorter than
 * announced) is resumed from the next byte the caller has not got, at most max_retries times.
 *
 * TLS trust, most specific first: the item's cert_pem (ESP-ADF's node cert_pem), the transport's
 * cert_pem, else ESP-IDF's certificate bundle (esp_crt_bundle_attach, with
 * CONFIG_MBEDTLS_CERTIFICATE_BUNDLE). Without any, an https:// open fails: esp-tls would refuse it.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "esp_http_client.h"
#include "esp_tls_errors.h"
#include "sdkconfig.h"
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
#include "esp_crt_bundle.h"
#endif

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"
#include "source_esp_idf.h"

static const char *TAG = "HTTP_CLIENT";

typedef struct {
    ota_source_t base;
    ota_source_posix_config_t cfg; /* resolved; cert_pem points into the copy below */
    char *url;
    char *cert_pem;
    esp_http_client_handle_t client;
    ota_http_response_t resp;     /* the current response's header fields */
    ota_source_expect_t identity; /* the caller's expect, then the first accepted response */
    uint64_t limit_end;           /* offset + expect->length; UINT64_MAX: to the end */
    uint64_t response_end;        /* offset after this response's last byte; UINT64_MAX unknown */
    bool eof;
    int sticky_err;
} http_source_t;

/* ---- esp_http_client events --------------------------------------------------------------- */

static esp_err_t on_event(esp_http_client_event_t *evt)
{
    http_source_t *s = evt->user_data;
    if (evt->event_id == HTTP_EVENT_ON_HEADER && evt->header_key != NULL && evt->header_value != NULL) {
        /* One field as the parser takes it, "Name: value"; a field too long for the line (an
         * ETag over 127 bytes) is one the parser would drop anyway. */
        char line[256];
        int n = snprintf(line, sizeof line, "%s: %s", evt->header_key, evt->header_value);
        if (n > 0 && (size_t)n < sizeof line) {
            ota_http_response_feed(&s->resp, line, (size_t)n);
        }
    }
    return ESP_OK;
}

/* ---- errors ------------------------------------------------------------------------------- */

/* What a failed esp_http_client_open / fetch_headers means, with the TLS layer's last error. */
static int map_open_error(http_source_t *s, esp_err_t err)
{
    int tls_code = 0, tls_flags = 0;
    esp_http_client_get_and_clear_last_tls_error(s->client, &tls_code, &tls_flags);
    ota_source_info_t *info = &s->base.info;
    if (tls_flags != 0) {
        /* mbedtls_x509_crt_verify's flags: the chain or the name did not verify. */
        ota_source_set_error(info, "certificate rejected (verify flags 0x%x, %s)", (unsigned)tls_flags,
                             esp_err_to_name(err));
        return OTA_ERR_SRC_TLS_VERIFY;
    }
    switch (tls_code) {
    case 0: break;
    case ESP_ERR_ESP_TLS_CANNOT_RESOLVE_HOSTNAME:
    case ESP_ERR_ESP_TLS_FAILED_CONNECT_TO_HOST:
        ota_source_set_error(info, "cannot connect (%s)", esp_err_to_name(tls_code));
        return OTA_ERR_SRC_CONNECT;
    case ESP_ERR_ESP_TLS_CONNECTION_TIMEOUT:
        ota_source_set_error(info, "connect timed out after %u ms", (unsigned)s->cfg.connect_timeout_ms);
        return OTA_ERR_SRC_CONNECT_TIMEOUT;
    default: ota_source_set_error(info, "TLS: %s", esp_err_to_name(tls_code)); return OTA_ERR_SRC_TLS;
    }
    ota_source_set_error(info, "%s", esp_err_to_name(err));
    switch (err) {
    case ESP_ERR_HTTP_CONNECT:
    case ESP_ERR_HTTP_CONNECTING: return OTA_ERR_SRC_CONNECT;
    case ESP_ERR_HTTP_EAGAIN:
    case ESP_ERR_HTTP_READ_TIMEOUT: return OTA_ERR_SRC_STALLED;
    case ESP_ERR_HTTP_MAX_REDIRECT: return OTA_ERR_SRC_TOO_MANY_REDIRECTS;
    case ESP_ERR_HTTP_INVALID_TRANSPORT: return OTA_ERR_SRC_URI;
    case ESP_ERR_NO_MEM: return OTA_ERR_NO_MEM;
    default: return OTA_ERR_SRC_READ;
    }
}

/* ---- requests ----------------------------------------------------------------------------- */

static int client_create(http_source_t *s)
{
    esp_http_client_config_t c = {
        .url = s->url,
        .event_handler = on_event,
        .user_data = s,
        /* One network timeout: connect and every receive. The larger of the two settings, so
         * neither fires early. */
        .timeout_ms = (int)(s->cfg.connect_timeout_ms > s->cfg.stall_timeout_ms ? s->cfg.connect_timeout_ms
                                                                                : s->cfg.stall_timeout_ms),
        .buffer_size = (int)s->cfg.http_buffer_size,
        /* Redirects are followed in request() so that each response passes the core's rules. */
        .disable_auto_redirect = true,
        .max_redirection_count = s->cfg.max_redirects > 0 ? s->cfg.max_redirects : 1,
        .keep_alive_enable = true,
    };
    if (s->cert_pem != NULL) {
        c.cert_pem = s->cert_pem;
    } else if (!s->cfg.insecure) {
#if CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
        c.crt_bundle_attach = esp_crt_bundle_attach;
#endif
    }
    s->client = esp_http_client_init(&c);
    return s->client != NULL ? OTA_OK : OTA_ERR_NO_MEM;
}

/* Request the resource from @p offset; on OTA_OK the final response's headers are in and
 * accepted, and the body is ready to be read. */
static int request(void *ctx, uint64_t offset)
{
    http_source_t *s = ctx;
    ota_source_info_t *info = &s->base.info;
    esp_http_client_close(s->client); /* a resume never inherits a broken connection */
    esp_http_client_set_url(s->client, s->url);
    esp_http_client_delete_header(s->client, "Range");
    esp_http_client_delete_header(s->client, "If-Range");
    char range[64];
    bool ranged = ota_http_range_value(range, sizeof range, offset, s->limit_end);
    if (ranged) {
        esp_http_client_set_header(s->client, "Range", range);
        /* If-Range only with a strong validator; a 206 is compared against the identity anyway. */
        if (ota_http_send_if_range(&s->identity)) {
            esp_http_client_set_header(s->client, "If-Range", s->identity.etag);
        }
        OTA_LOGD(TAG, "GET %s Range: %s", s->url, range);
    }
    s->response_end = UINT64_MAX;
    for (int redirects = 0;; redirects++) {
        ota_http_response_reset(&s->resp);
        esp_err_t err = esp_http_client_open(s->client, 0);
        if (err == ESP_OK) {
            int64_t got = esp_http_client_fetch_headers(s->client);
            err = got < 0 ? (got == -ESP_ERR_HTTP_EAGAIN ? ESP_ERR_HTTP_EAGAIN : ESP_ERR_HTTP_FETCH_HEADER)
                          : ESP_OK;
        }
        if (err != ESP_OK) {
            return map_open_error(s, err);
        }
        s->resp.status = esp_http_client_get_status_code(s->client);
        info->http_status = s->resp.status;
        if (!ota_http_response_is_redirect(&s->resp)) {
            break;
        }
        if (redirects >= s->cfg.max_redirects) {
            ota_source_set_error(info, "more than %d redirects", s->cfg.max_redirects);
            return OTA_ERR_SRC_TOO_MANY_REDIRECTS;
        }
        /* The redirect's body is not read: esp_http_client takes a body without a length for a
         * chunked one (fetch_headers, v6.0.2) and would wait for it; the next open connects
         * again instead. esp_http_client_set_redirection takes the Location it parsed. */
        esp_http_client_close(s->client);
        if (esp_http_client_set_redirection(s->client) != ESP_OK) {
            ota_source_set_error(info, "HTTP %d redirect without a usable Location", s->resp.status);
            return OTA_ERR_SRC_HTTP_STATUS;
        }
    }
    ota_http_accept_t accept;
    int err = ota_http_check_response(&s->resp, offset, ranged, &s->identity, info, &accept);
    if (err != OTA_OK) {
        return err;
    }
    s->response_end = accept.response_end;
    if (accept.complete) {
        s->eof = true;
        esp_http_client_close(s->client);
    }
    return OTA_OK;
}

/* ---- ops ---------------------------------------------------------------------------------- */

static int http_read(ota_source_t *src, void *buf, size_t len)
{
    http_source_t *s = (http_source_t *)src;
    ota_source_info_t *info = &s->base.info;
    if (s->sticky_err != OTA_OK) {
        return s->sticky_err;
    }
    if (len > INT_MAX) {
        len = INT_MAX;
    }
    while (len > 0 && !s->eof) {
        int n = esp_http_client_read(s->client, buf, (int)len);
        int err;
        if (n > 0) {
            info->offset += (uint64_t)n;
            return n;
        }
        if (n == 0 && esp_http_client_is_complete_data_received(s->client)) {
            err = ota_http_check_end(info, s->response_end, s->limit_end);
            if (err == OTA_OK) {
                s->eof = true;
                esp_http_client_close(s->client);
                return 0;
            }
        } else if (n == -ESP_ERR_HTTP_EAGAIN) {
            ota_source_set_error(info, "no data for %u ms at offset %llu", (unsigned)s->cfg.stall_timeout_ms,
                                 (unsigned long long)info->offset);
            err = OTA_ERR_SRC_STALLED;
        } else {
            /* 0 before the announced end: the peer closed; < 0: a receive error. */
            ota_source_set_error(info, "%s at offset %llu", n == 0 ? "connection closed" : "receive failed",
                                 (unsigned long long)info->offset);
            err = n == 0 ? OTA_ERR_SRC_TRUNCATED : OTA_ERR_SRC_READ;
        }
        err = ota_http_recover(info, &s->cfg, err, request, s);
        if (err == OTA_OK) {
            continue;
        }
        s->sticky_err = err;
        esp_http_client_close(s->client);
        return err;
    }
    return 0;
}

static void http_destroy(http_source_t *s)
{
    if (s->client != NULL) {
        esp_http_client_close(s->client);
        esp_http_client_cleanup(s->client);
    }
    ota_free(s->url);
    ota_free(s->cert_pem);
    ota_free(s);
}

static void http_close(ota_source_t *src)
{
    http_destroy((http_source_t *)src);
}

static const ota_source_ops_t k_http_ops = {.read = http_read, .close = http_close};

/* Settings this port cannot honour are refused, not ignored. */
static int check_settings(const ota_source_posix_config_t *cfg, bool https, ota_source_info_t *info)
{
    if (cfg->ca_file != NULL || cfg->proxy != NULL) {
        ota_source_set_error(info, "%s is not supported by the ESP-IDF port",
                             cfg->ca_file ? "ca_file" : "proxy");
        return OTA_ERR_NOT_SUPPORTED;
    }
    if (https && cfg->insecure) {
#if !CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY
        ota_source_set_error(info, "insecure TLS needs CONFIG_ESP_TLS_SKIP_SERVER_CERT_VERIFY");
        return OTA_ERR_NOT_SUPPORTED;
#endif
    } else if (https && cfg->cert_pem == NULL) {
#if !CONFIG_MBEDTLS_CERTIFICATE_BUNDLE
        ota_source_set_error(info, "no CA: set cert_pem or CONFIG_MBEDTLS_CERTIFICATE_BUNDLE");
        return OTA_ERR_SRC_TLS;
#endif
    }
    return OTA_OK;
}

int ota_source_http_open(const ota_source_config_t *cfg_in, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    *out = NULL;
    http_source_t *s = ota_calloc(1, sizeof *s);
    if (s == NULL) {
        return OTA_ERR_NO_MEM;
    }
    s->base.ops = &k_http_ops;
    ota_source_info_init(&s->base.info, offset);
    s->cfg = ota_esp_idf_source_config(cfg_in);
    ota_http_identity_init(&s->identity, &s->limit_end, expect, offset);
    int err = check_settings(&s->cfg, ota_uri_scheme(uri) == OTA_URI_HTTPS, &s->base.info);
    if (err == OTA_OK) {
        const char *pem = s->cfg.cert_pem;
        s->url = ota_strdup(uri);
        s->cert_pem = pem != NULL ? ota_strdup(pem) : NULL;
        s->cfg.cert_pem = s->cert_pem;
        err = s->url == NULL || (pem != NULL && s->cert_pem == NULL) ? OTA_ERR_NO_MEM : OTA_OK;
    }
    if (err == OTA_OK) {
        err = client_create(s);
    }
    if (err == OTA_OK) {
        err = request(s, offset);
    }
    ota_http_opened(&s->base.info, uri, err, diag);
    if (err != OTA_OK) {
        http_destroy(s);
        return err;
    }
    *out = &s->base;
    return OTA_OK;
}
