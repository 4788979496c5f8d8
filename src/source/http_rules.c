/*
 * The HTTP rules of a source, independent of the HTTP library: reading a response's header block,
 * deciding whether a response is the resource (and the range) asked for, when a resource is
 * complete, which failures are worth a resume and how long to wait. The POSIX port drives libcurl
 * with them; a device port (esp_http_client) would apply the same rules.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse decimal digits at s[*i..]; at least one digit, no overflow past INT64_MAX. */
static bool parse_u63(const char *s, size_t len, size_t *i, uint64_t *out)
{
    size_t start = *i;
    uint64_t v = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        uint64_t d = (uint64_t)(s[*i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10) {
            return false;
        }
        v = v * 10 + d;
        (*i)++;
    }
    *out = v;
    return *i > start;
}

int ota_http_parse_content_range(const char *value, size_t len, uint64_t *first, uint64_t *last,
                                 int64_t *total, bool *unsatisfied)
{
    size_t i = 0;
    while (i < len && is_space(value[i])) {
        i++;
    }
    while (len > i && is_space(value[len - 1])) {
        len--;
    }
    static const char unit[] = "bytes";
    if (len - i < sizeof unit || memcmp(value + i, unit, sizeof unit - 1) != 0 || value[i + 5] != ' ') {
        return OTA_ERR_PARSE;
    }
    i += sizeof unit;
    while (i < len && value[i] == ' ') {
        i++;
    }
    *first = 0;
    *last = 0;
    *total = -1;
    *unsatisfied = false;
    if (i < len && value[i] == '*') {
        *unsatisfied = true;
        i++;
    } else {
        if (!parse_u63(value, len, &i, first) || i >= len || value[i++] != '-' ||
            !parse_u63(value, len, &i, last) || *last < *first) {
            return OTA_ERR_PARSE;
        }
    }
    if (i >= len || value[i++] != '/') {
        return OTA_ERR_PARSE;
    }
    if (i < len && value[i] == '*' && i + 1 == len) {
        /* a known range of an unknown total; "bytes * / *" (both unknown) means nothing */
        return *unsatisfied ? OTA_ERR_PARSE : OTA_OK;
    }
    uint64_t t;
    if (!parse_u63(value, len, &i, &t) || i != len) {
        return OTA_ERR_PARSE;
    }
    if (!*unsatisfied && *last >= t) {
        return OTA_ERR_PARSE;
    }
    *total = (int64_t)t;
    return OTA_OK;
}

bool ota_http_etag_is_weak(const char *etag)
{
    return etag != NULL && etag[0] == 'W' && etag[1] == '/';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool name_is(const char *name, size_t len, const char *want)
{
    size_t i = 0;
    for (; i < len && want[i] != '\0'; i++) {
        if (lower(name[i]) != want[i]) {
            return false;
        }
    }
    return i == len && want[i] == '\0';
}

void ota_http_response_reset(ota_http_response_t *r)
{
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    r->cr_total = -1;
}

ota_http_line_t ota_http_response_feed(ota_http_response_t *r, const char *line, size_t len)
{
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) {
        len--;
    }
    if (len == 0) {
        return OTA_HTTP_LINE_END;
    }
    if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        ota_http_response_reset(r);
        const char *sp = memchr(line, ' ', len);
        if (sp != NULL) {
            size_t i = (size_t)(sp + 1 - line);
            uint64_t code;
            if (parse_u63(line, len, &i, &code) && code < 1000) {
                r->status = (int)code;
            }
        }
        return OTA_HTTP_LINE_STATUS;
    }
    const char *colon = memchr(line, ':', len);
    if (colon == NULL) {
        return OTA_HTTP_LINE_FIELD;
    }
    size_t name_len = (size_t)(colon - line);
    const char *value = colon + 1;
    size_t value_len = len - name_len - 1;
    while (value_len > 0 && (*value == ' ' || *value == '\t')) {
        value++;
        value_len--;
    }
    while (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')) {
        value_len--;
    }
    if (name_is(line, name_len, "content-length")) {
        size_t i = 0;
        uint64_t v;
        r->content_length = (parse_u63(value, value_len, &i, &v) && i == value_len) ? (int64_t)v : -1;
    } else if (name_is(line, name_len, "content-range")) {
        r->has_content_range = ota_http_parse_content_range(value, value_len, &r->cr_first, &r->cr_last,
                                                            &r->cr_total, &r->cr_unsatisfied) == OTA_OK;
    } else if (name_is(line, name_len, "etag")) {
        /* An ETag too long to keep cannot be compared: treat it as absent rather than truncated. */
        if (value_len < sizeof r->etag) {
            memcpy(r->etag, value, value_len);
            r->etag[value_len] = '\0';
        } else {
            r->etag[0] = '\0';
        }
    } else if (name_is(line, name_len, "last-modified")) {
        size_t m = value_len < sizeof r->last_modified - 1 ? value_len : sizeof r->last_modified - 1;
        memcpy(r->last_modified, value, m);
        r->last_modified[m] = '\0';
    } else if (name_is(line, name_len, "location")) {
        r->has_location = value_len > 0;
    }
    return OTA_HTTP_LINE_FIELD;
}

bool ota_http_response_is_redirect(const ota_http_response_t *r)
{
    int s = r->status;
    return r->has_location && (s == 300 || s == 301 || s == 302 || s == 303 || s == 307 || s == 308);
}

bool ota_http_send_if_range(const ota_source_expect_t *identity)
{
    return identity->etag[0] != '\0' && !ota_http_etag_is_weak(identity->etag);
}

int ota_http_check_response(const ota_http_response_t *r, uint64_t offset, bool ranged,
                            ota_source_expect_t *identity, ota_source_info_t *info, ota_http_accept_t *out)
{
    info->http_status = r->status;
    out->response_end = UINT64_MAX;
    out->complete = false;
    int64_t total;
    const char *etag = r->etag;
    if (r->status == 200) {
        if (ranged) {
            bool if_range = ota_http_send_if_range(identity);
            ota_source_set_error(info, "HTTP 200 to 'Range: bytes=%llu-'%s: the server %s",
                                 (unsigned long long)offset, if_range ? " with If-Range" : "",
                                 if_range ? "ignores ranges, or the resource changed"
                                          : "ignores ranges (cannot resume)");
            return OTA_ERR_SRC_RESOURCE_CHANGED;
        }
        total = r->content_length;
        out->response_end = total >= 0 ? (uint64_t)total : UINT64_MAX;
    } else if (r->status == 206 && ranged) {
        if (!r->has_content_range || r->cr_unsatisfied) {
            ota_source_set_error(info, "HTTP 206 without a valid Content-Range");
            return OTA_ERR_SRC_READ;
        }
        if (r->cr_first != offset) {
            ota_source_set_error(info, "HTTP 206 for bytes %llu-%llu, asked for %llu-",
                                 (unsigned long long)r->cr_first, (unsigned long long)r->cr_last,
                                 (unsigned long long)offset);
            return OTA_ERR_SRC_RESOURCE_CHANGED;
        }
        total = r->cr_total;
        out->response_end = r->cr_last + 1;
    } else if (r->status == 416 && ranged && r->has_content_range && r->cr_unsatisfied) {
        /* Asked for bytes=N- of an N-byte resource: nothing is missing. */
        if (r->cr_total < 0 || (uint64_t)r->cr_total != offset) {
            ota_source_set_error(info, "resume at %llu, but the resource has %lld bytes",
                                 (unsigned long long)offset, (long long)r->cr_total);
            return OTA_ERR_SRC_RESOURCE_CHANGED;
        }
        total = r->cr_total;
        out->response_end = offset;
        out->complete = true;
        etag = identity->etag; /* an error page carries no validator of the resource */
    } else {
        ota_source_set_error(info, "HTTP %d from the server", r->status);
        return OTA_ERR_SRC_HTTP_STATUS;
    }
    int err = ota_source_check_expect(info, identity, etag, total);
    if (err != OTA_OK) {
        return err;
    }
    if (total < 0) {
        total = identity->total_size;
    }
    /* The first accepted response fixes the identity later resumes must find again. The copy is
     * through a local: etag may point into identity itself. */
    char accepted[sizeof identity->etag];
    ota_source_copy_string(accepted, sizeof accepted, etag);
    ota_source_copy_string(identity->etag, sizeof identity->etag, accepted);
    identity->total_size = total;
    ota_source_copy_string(info->etag, sizeof info->etag, accepted);
    if (r->last_modified[0] != '\0') {
        ota_source_copy_string(info->last_modified, sizeof info->last_modified, r->last_modified);
    }
    info->total_size = total;
    return OTA_OK;
}

int ota_http_check_end(ota_source_info_t *info, uint64_t response_end, uint64_t limit_end)
{
    if (limit_end != UINT64_MAX && info->offset >= limit_end) {
        return OTA_OK; /* a bounded request got all it asked for */
    }
    if (response_end != UINT64_MAX && info->offset < response_end) {
        ota_source_set_error(info, "response ended at offset %llu, announced up to %llu",
                             (unsigned long long)info->offset, (unsigned long long)response_end);
        return OTA_ERR_SRC_TRUNCATED;
    }
    if (info->total_size >= 0 && info->offset < (uint64_t)info->total_size) {
        ota_source_set_error(info, "body ended at offset %llu of %lld", (unsigned long long)info->offset,
                             (long long)info->total_size);
        return OTA_ERR_SRC_TRUNCATED;
    }
    return OTA_OK;
}

bool ota_source_err_retryable(int err, int http_status)
{
    switch (err) {
    case OTA_ERR_SRC_TRUNCATED:
    case OTA_ERR_SRC_STALLED:
    case OTA_ERR_SRC_READ:
    case OTA_ERR_SRC_CONNECT:
    case OTA_ERR_SRC_CONNECT_TIMEOUT: return true;
    case OTA_ERR_SRC_HTTP_STATUS: return http_status >= 500; /* a server error may pass; a 4xx will not */
    default: return false;
    }
}

uint32_t ota_source_backoff_ms(uint32_t first_ms, uint32_t retries_done)
{
    uint64_t ms = (uint64_t)first_ms << (retries_done < 16 ? retries_done : 16);
    return ms > OTA_SOURCE_MAX_BACKOFF_MS ? OTA_SOURCE_MAX_BACKOFF_MS : (uint32_t)ms;
}
