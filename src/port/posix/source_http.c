/*
 * http:// and https:// source on libcurl's multi interface.
 *
 * read() drives curl only while the caller waits for bytes, so the body is pulled, never pushed:
 * curl's write callback copies straight into the caller's buffer. The source has no receive buffer
 * of its own: a piece that does not fit what is left of the caller's buffer is paused
 * (CURL_WRITEFUNC_PAUSE), libcurl keeps it, and hands the same piece over again from its first byte
 * once read() unpauses the transfer; `skip` counts how much of that piece the caller already got.
 * So the service's heap holds no copy of the stream besides the caller's buffer: what waits is in
 * libcurl's download buffer (cfg.http_buffer_size: CURLOPT_BUFFERSIZE) or its pause buffer.
 * Memory is bounded whatever the file size; nothing is allocated per read.
 *
 * Resume rules (DESIGN.md §4 invariant 5): a request at offset N > 0 sends "Range: bytes=N-" and,
 * when a strong ETag is known, "If-Range: <etag>". Only a 206 whose Content-Range starts at N, with
 * the same ETag and total length as before, is accepted; a 200 to a Range request, a different
 * ETag or length is OTA_ERR_SRC_RESOURCE_CHANGED, never appended. A transfer that breaks after the
 * first response was accepted (reset, stall, body shorter than announced) is resumed from the next
 * byte the caller has not got, at most max_retries times per source, with a doubling back-off.
 * The rules themselves are pure and live in src/source/http_rules.c; this file drives libcurl.
 *
 * The stall timer is our own, not CURLOPT_LOW_SPEED_*: it has millisecond resolution and counts
 * only the time spent waiting inside read()/open, so a caller that is slow between reads (erasing
 * flash while curl is paused) is never taken for a stalled server. Proxies are libcurl's: the
 * environment (http_proxy, https_proxy, all_proxy, no_proxy) unless cfg.proxy says otherwise.
 */
#include <curl/curl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "port/posix/source_http_curl.h"
#include "source/source_internal.h"

static const char *TAG = "HTTP_CLIENT";

#define POLL_SLICE_MS 1000u

typedef struct {
    ota_source_t base;
    ota_source_posix_config_t cfg; /* resolved; its strings point into the copies below */
    char *url;
    char *ca_file;
    char *cert_pem;
    char *proxy;
    bool https;

    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];

    /* current request */
    ota_http_response_t resp;
    bool final; /* resp is the response curl will not follow (not a redirect, not 1xx) */
    bool done;  /* curl finished the transfer */
    CURLcode result;
    bool paused;    /* the write callback paused the transfer */
    bool connected; /* connection up for this request: the stall timer runs */
    uint64_t last_activity_ms;
    uint64_t response_end; /* offset after this response's last byte; UINT64_MAX unknown */

    /* identity established by the caller's expect or the first accepted response */
    ota_source_expect_t identity;
    uint64_t limit_end; /* offset + expect->length: a bounded request's end; UINT64_MAX none */

    /* body delivery */
    size_t skip;  /* leading bytes of the piece curl hands over next that the caller already got */
    uint8_t *dst; /* the caller's buffer during read() */
    size_t dst_len;
    size_t dst_used;

    bool eof;
    int sticky_err;
} http_source_t;

/* ---- libcurl set-up, once per process ---------------------------------------------------- */

static pthread_once_t g_curl_once = PTHREAD_ONCE_INIT;
static CURLcode g_curl_init_result = CURLE_FAILED_INIT;

static void curl_init_once(void)
{
    /* curl_global_init is not thread-safe; two services in one process may open sources at once. */
    g_curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- callbacks ---------------------------------------------------------------------------- */

static size_t on_header(char *line, size_t size, size_t nmemb, void *userdata)
{
    http_source_t *s = userdata;
    size_t n = size * nmemb;
    s->last_activity_ms = ota_port_uptime_ms();
    if (s->final && !(n >= 5 && memcmp(line, "HTTP/", 5) == 0)) {
        return n; /* trailers after the body */
    }
    switch (ota_http_response_feed(&s->resp, line, n)) {
    case OTA_HTTP_LINE_STATUS: s->final = false; break;
    case OTA_HTTP_LINE_END:
        if (s->resp.status >= 200 && !ota_http_response_is_redirect(&s->resp)) {
            s->final = true;
        } else if (s->resp.status >= 300) {
            s->connected = false; /* curl connects again for the redirect: connect timeout applies */
        }
        break;
    case OTA_HTTP_LINE_FIELD: break;
    }
    return n;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    http_source_t *s = userdata;
    size_t n = size * nmemb;
    if (!s->final) {
        return n; /* body of a redirect: not the resource */
    }
    s->last_activity_ms = ota_port_uptime_ms();
    if (s->skip >= n) {
        s->skip -= n; /* a piece handed over again that the caller already has in full */
        return n;
    }
    size_t fresh = n - s->skip;
    size_t room = s->dst != NULL ? s->dst_len - s->dst_used : 0;
    size_t direct = fresh < room ? fresh : room;
    if (direct > 0) {
        memcpy(s->dst + s->dst_used, data + s->skip, direct);
        s->dst_used += direct;
    }
    if (direct < fresh) {
        /* The caller's buffer is full: curl keeps this piece and hands it over again, from its first
         * byte, after read() unpauses; the first `skip` bytes of it are then already delivered. */
        s->skip += direct;
        s->paused = true;
        return CURL_WRITEFUNC_PAUSE;
    }
    s->skip = 0;
    return n;
}

static int on_prereq(void *userdata, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
    (void)primary_ip;
    (void)local_ip;
    (void)primary_port;
    (void)local_port;
    http_source_t *s = userdata;
    s->connected = true;
    s->last_activity_ms = ota_port_uptime_ms();
    return CURL_PREREQFUNC_OK;
}

/* Map a finished transfer's CURLcode to OTA_ERR_SRC_* and fill info.error. */
static int map_curl_error(http_source_t *s, CURLcode code)
{
    return ota_curl_error(s->easy, code, s->errbuf, &s->cfg, &s->base.info);
}

/* ---- driving curl ------------------------------------------------------------------------- */

static bool have_final_headers(const http_source_t *s)
{
    return s->final;
}

static bool have_data(const http_source_t *s)
{
    return s->dst_used > 0;
}

/*
 * Run curl until @p ready, the end of the transfer, or a stall: no byte (header or body) for
 * stall_timeout_ms once connected. The idle time counts only while we wait here: a caller that
 * takes its time between reads (erasing flash) does not make the server look stalled.
 */
static int pump(http_source_t *s, bool (*ready)(const http_source_t *))
{
    uint64_t wait_start = ota_port_uptime_ms();
    for (;;) {
        if (ready(s) || s->done) {
            return OTA_OK;
        }
        if (s->paused && s->dst != NULL) {
            /* curl hands the paused piece over again inside curl_easy_pause: only with a buffer to
             * take it (during open, the headers are waited for with no buffer). */
            s->paused = false;
            if (curl_easy_pause(s->easy, CURLPAUSE_CONT) != CURLE_OK) {
                ota_source_set_error(&s->base.info, "cannot resume the paused transfer");
                return OTA_ERR_SRC_READ;
            }
            continue;
        }
        int running = 0;
        CURLMcode mc = curl_multi_perform(s->multi, &running);
        if (mc != CURLM_OK) {
            ota_source_set_error(&s->base.info, "curl_multi_perform: %s", curl_multi_strerror(mc));
            return OTA_ERR_SRC_READ;
        }
        int queued;
        CURLMsg *msg;
        while ((msg = curl_multi_info_read(s->multi, &queued)) != NULL) {
            if (msg->msg == CURLMSG_DONE && msg->easy_handle == s->easy) {
                s->done = true;
                s->result = msg->data.result;
            }
        }
        if (ready(s) || s->done) {
            return OTA_OK;
        }
        uint32_t wait_ms = POLL_SLICE_MS;
        if (s->connected) {
            uint64_t now = ota_port_uptime_ms();
            uint64_t idle_from = s->last_activity_ms > wait_start ? s->last_activity_ms : wait_start;
            uint64_t idle = now > idle_from ? now - idle_from : 0;
            if (idle >= s->cfg.stall_timeout_ms) {
                ota_source_set_error(&s->base.info, "no data for %u ms at offset %llu",
                                     s->cfg.stall_timeout_ms,
                                     (unsigned long long)(s->base.info.offset + s->dst_used));
                return OTA_ERR_SRC_STALLED;
            }
            uint64_t left = s->cfg.stall_timeout_ms - idle;
            if (left < wait_ms) {
                wait_ms = (uint32_t)left;
            }
        }
        /* curl_multi_poll also wakes for curl's own timers (connect timeout). */
        mc = curl_multi_poll(s->multi, NULL, 0, (int)wait_ms, NULL);
        if (mc != CURLM_OK) {
            ota_source_set_error(&s->base.info, "curl_multi_poll: %s", curl_multi_strerror(mc));
            return OTA_ERR_SRC_READ;
        }
    }
}

static void end_request(http_source_t *s)
{
    if (s->easy != NULL) {
        curl_multi_remove_handle(s->multi, s->easy);
        curl_easy_cleanup(s->easy);
        s->easy = NULL;
    }
    curl_slist_free_all(s->headers);
    s->headers = NULL;
}

#define SETOPT(opt, val) \
    do { \
        if (ok && curl_easy_setopt(s->easy, opt, val) != CURLE_OK) { \
            ok = false; \
            failed_opt = #opt; \
        } \
    } while (0)

/* A fresh easy handle per request: a retry never inherits the state of a broken transfer. */
static int start_request(http_source_t *s, uint64_t offset)
{
    end_request(s);
    ota_http_response_reset(&s->resp);
    s->final = false;
    s->done = false;
    s->result = CURLE_OK;
    s->paused = false;
    s->connected = false;
    s->skip = 0;
    s->errbuf[0] = '\0';
    s->response_end = UINT64_MAX;
    s->last_activity_ms = ota_port_uptime_ms();

    char range[64];
    char line[192];
    bool ranged = ota_http_range_value(range, sizeof range, offset, s->limit_end);
    if (ranged) {
        snprintf(line, sizeof line, "Range: %s", range);
        struct curl_slist *l = curl_slist_append(s->headers, line);
        if (l == NULL) {
            return OTA_ERR_NO_MEM;
        }
        s->headers = l;
        /* If-Range needs a strong validator; with none (or a weak one) the 206's ETag and
         * Content-Range total are still compared below. */
        if (ota_http_send_if_range(&s->identity)) {
            snprintf(line, sizeof line, "If-Range: %s", s->identity.etag);
            l = curl_slist_append(s->headers, line);
            if (l == NULL) {
                return OTA_ERR_NO_MEM;
            }
            s->headers = l;
        }
    }

    s->easy = curl_easy_init();
    if (s->easy == NULL) {
        return OTA_ERR_NO_MEM;
    }
    bool ok = true;
    const char *failed_opt = NULL;
    const char *protocols = s->https ? "https" : "http,https"; /* never downgrade https to http */
    SETOPT(CURLOPT_URL, s->url);
    SETOPT(CURLOPT_PROTOCOLS_STR, protocols);
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, protocols);
    SETOPT(CURLOPT_ERRORBUFFER, s->errbuf);
    SETOPT(CURLOPT_NOSIGNAL, 1L);
    SETOPT(CURLOPT_USERAGENT, "ota-service");
    /* HTTP/1.1: with HTTP/2 a paused stream keeps receiving into curl's buffers up to the window. */
    SETOPT(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SETOPT(CURLOPT_FOLLOWLOCATION, 1L);
    SETOPT(CURLOPT_MAXREDIRS, (long)s->cfg.max_redirects);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, (long)s->cfg.connect_timeout_ms);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_HEADERFUNCTION, on_header);
    SETOPT(CURLOPT_HEADERDATA, s);
    SETOPT(CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(CURLOPT_WRITEDATA, s);
    SETOPT(CURLOPT_BUFFERSIZE, (long)s->cfg.http_buffer_size);
    SETOPT(CURLOPT_PREREQFUNCTION, on_prereq);
    SETOPT(CURLOPT_PREREQDATA, s);
    SETOPT(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L); /* a proxy's CONNECT answer is not the response */
    if (s->headers != NULL) {
        SETOPT(CURLOPT_HTTPHEADER, s->headers);
    }
    if (s->proxy != NULL) {
        SETOPT(CURLOPT_PROXY, s->proxy);
    }
    if (s->cfg.insecure) {
        SETOPT(CURLOPT_SSL_VERIFYPEER, 0L);
        SETOPT(CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
        SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
        SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
        if (s->cert_pem != NULL || s->ca_file != NULL) {
            /* A CA given by the caller is the only trust anchor: the system directory is off too. */
            SETOPT(CURLOPT_CAPATH, (char *)NULL);
        }
        if (s->cert_pem != NULL) {
            struct curl_blob blob = {
                .data = s->cert_pem, .len = strlen(s->cert_pem), .flags = CURL_BLOB_COPY};
            SETOPT(CURLOPT_CAINFO_BLOB, &blob);
        } else if (s->ca_file != NULL) {
            SETOPT(CURLOPT_CAINFO, s->ca_file);
        }
    }
    if (!ok) {
        ota_source_set_error(&s->base.info, "libcurl refused option %s", failed_opt);
        return OTA_ERR_NOT_SUPPORTED;
    }
    if (curl_multi_add_handle(s->multi, s->easy) != CURLM_OK) {
        return OTA_ERR_NO_MEM;
    }
    OTA_LOGD(TAG, "GET %s%s%s", s->url, ranged ? " Range: " : "", range);
    return OTA_OK;
}

/* Decide whether the final response of a request for @p offset is the resource we want. */
static int check_response(http_source_t *s, uint64_t offset)
{
    ota_source_info_t *info = &s->base.info;
    if (!s->final) {
        if (s->done && s->result != CURLE_OK) {
            return map_curl_error(s, s->result);
        }
        long code = 0;
        curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &code);
        info->http_status = (int)code;
        ota_source_set_error(info, "no usable response (HTTP %ld)", code);
        return code >= 300 && code < 400 ? OTA_ERR_SRC_TOO_MANY_REDIRECTS : OTA_ERR_SRC_HTTP_STATUS;
    }
    ota_http_accept_t accept;
    bool ranged = offset > 0 || s->limit_end != UINT64_MAX;
    int err = ota_http_check_response(&s->resp, offset, ranged, &s->identity, info, &accept);
    if (err != OTA_OK) {
        return err;
    }
    s->response_end = accept.response_end;
    if (accept.complete) {
        s->eof = true;
        end_request(s);
    }
    return OTA_OK;
}

/* ota_http_request_fn: the request at @p offset and its response's check. */
static int request(void *ctx, uint64_t offset)
{
    http_source_t *s = ctx;
    int err = start_request(s, offset);
    if (err == OTA_OK) {
        err = pump(s, have_final_headers);
    }
    if (err == OTA_OK) {
        err = check_response(s, offset);
    }
    return err;
}

/* After the body ended: 0 if the resource is complete, else why not. */
static int finish_response(http_source_t *s)
{
    if (s->result != CURLE_OK) {
        return map_curl_error(s, s->result);
    }
    return ota_http_check_end(&s->base.info, s->response_end, s->limit_end);
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
    if (len == 0) {
        return 0;
    }
    for (;;) {
        if (s->eof) {
            return 0;
        }
        int err;
        if (s->done) {
            err = finish_response(s);
            if (err == OTA_OK) {
                s->eof = true;
                end_request(s);
                return 0;
            }
        } else {
            s->dst = buf;
            s->dst_len = len;
            s->dst_used = 0;
            err = pump(s, have_data);
            size_t n = s->dst_used;
            s->dst = NULL;
            s->dst_used = 0;
            if (n > 0) {
                info->offset += n;
                return (int)n;
            }
            if (err == OTA_OK) {
                continue;
            }
        }
        err = ota_http_recover(info, &s->cfg, err, request, s);
        if (err == OTA_OK) {
            continue;
        }
        s->sticky_err = err;
        end_request(s);
        return err;
    }
}

static void http_destroy(http_source_t *s)
{
    end_request(s);
    if (s->multi != NULL) {
        curl_multi_cleanup(s->multi);
    }
    ota_free(s->url);
    ota_free(s->ca_file);
    ota_free(s->cert_pem);
    ota_free(s->proxy);
    ota_free(s);
}

static void http_close(ota_source_t *src)
{
    http_destroy((http_source_t *)src);
}

static const ota_source_ops_t k_http_ops = {.read = http_read, .close = http_close};

static bool dup_string(char **dst, const char *src)
{
    if (src == NULL) {
        *dst = NULL;
        return true;
    }
    *dst = ota_strdup(src);
    return *dst != NULL;
}

int ota_source_http_open(const ota_source_config_t *cfg_in, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    *out = NULL;
    pthread_once(&g_curl_once, curl_init_once);
    if (g_curl_init_result != CURLE_OK) {
        OTA_LOGE(TAG, "curl_global_init: %s", curl_easy_strerror(g_curl_init_result));
        if (diag != NULL) {
            ota_source_info_init(diag, offset);
            ota_source_set_error(diag, "curl_global_init: %s", curl_easy_strerror(g_curl_init_result));
        }
        return OTA_ERR_NOT_SUPPORTED;
    }
    http_source_t *s = ota_calloc(1, sizeof *s);
    if (s == NULL) {
        return OTA_ERR_NO_MEM;
    }
    s->base.ops = &k_http_ops;
    ota_source_info_init(&s->base.info, offset);
    s->cfg = ota_source_config_resolve(cfg_in, &ota_source_host_defaults);
    s->https = ota_uri_scheme(uri) == OTA_URI_HTTPS;
    ota_http_identity_init(&s->identity, &s->limit_end, expect, offset);
    int err = OTA_ERR_NO_MEM;
    s->multi = curl_multi_init();
    if (s->multi == NULL || !dup_string(&s->url, uri) || !dup_string(&s->ca_file, s->cfg.ca_file) ||
        !dup_string(&s->cert_pem, s->cfg.cert_pem) || !dup_string(&s->proxy, s->cfg.proxy)) {
        goto fail;
    }
    s->cfg.ca_file = s->ca_file;
    s->cfg.cert_pem = s->cert_pem;
    s->cfg.proxy = s->proxy;
    if (s->cfg.insecure && s->https) {
        OTA_LOGW(TAG, "TLS certificate verification is OFF (insecure): the server of %s is not authenticated",
                 uri);
    }
    err = request(s, offset);
fail:
    ota_http_opened(&s->base.info, uri, err, diag);
    if (err != OTA_OK) {
        http_destroy(s);
        return err;
    }
    *out = &s->base;
    return OTA_OK;
}
