/**
 * @file source_internal.h
 * @brief What the source implementations (src/port/<platform>/source_*.c) share with the core.
 *
 * Not a public header: the per-scheme openers and the pure helpers (HTTP header values, resume
 * checks) that every platform's sources use the same way, so the rules of a resume are written once.
 */
#ifndef OTA_SOURCE_INTERNAL_H
#define OTA_SOURCE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"

/* Defaults of the POSIX transport settings (ota_source_posix_config_t, zero fields). */
#define OTA_SOURCE_DEFAULT_SDCARD_ROOT        "./sdcard"
#define OTA_SOURCE_DEFAULT_CONNECT_TIMEOUT_MS 10000u
#define OTA_SOURCE_DEFAULT_STALL_TIMEOUT_MS   20000u
#define OTA_SOURCE_DEFAULT_MAX_REDIRECTS      5
#define OTA_SOURCE_DEFAULT_MAX_RETRIES        3
#define OTA_SOURCE_DEFAULT_RETRY_BACKOFF_MS   500u
#define OTA_SOURCE_DEFAULT_HTTP_BUFFER        16384u
#define OTA_SOURCE_MIN_HTTP_BUFFER            1024u
#define OTA_SOURCE_MAX_HTTP_BUFFER            16384u /* CURL_MAX_WRITE_SIZE */
/** A back-off never grows beyond this, whatever the retry count. */
#define OTA_SOURCE_MAX_BACKOFF_MS             30000u

/** Fresh info: status 0, total -1, offset @p offset, empty strings. */
void ota_source_info_init(ota_source_info_t *info, uint64_t offset);

/** printf into info->error (truncated to fit). */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
void ota_source_set_error(ota_source_info_t *info, const char *fmt, ...);

/**
 * True for a file:// URI naming the SD card (file://sdcard/...), whose path the opener must keep
 * below the sdcard root; false for file:///abs, file://localhost/abs (RFC 8089) and anything else.
 */
bool ota_uri_file_is_sdcard(const char *uri);

/** Copy a NUL-terminated string, truncating; returns false if it did not fit. */
bool ota_source_copy_string(char *dst, size_t dst_size, const char *src);

/**
 * Parse an HTTP Content-Range value: "bytes FIRST-LAST/TOTAL", "bytes FIRST-LAST/ *" (TOTAL
 * unknown: *total = -1) or "bytes * /TOTAL" (a 416 answer: *unsatisfied = true, first/last 0).
 * Whitespace around the value is allowed. Returns OTA_OK or OTA_ERR_PARSE.
 */
int ota_http_parse_content_range(const char *value, size_t len, uint64_t *first, uint64_t *last,
                                 int64_t *total, bool *unsatisfied);

/** True for a weak validator (W/"..."), which If-Range must not carry (RFC 9110 13.1.5). */
bool ota_http_etag_is_weak(const char *etag);

/* ---- HTTP rules (http_rules.c): pure, shared by every HTTP client port ----------------- */

/** What one response's header block said. */
typedef struct {
    int status; /**< 0 until a status line was read */
    bool has_location;
    int64_t content_length; /**< -1: none or unparseable */
    bool has_content_range; /**< a Content-Range that parsed */
    uint64_t cr_first;
    uint64_t cr_last;
    int64_t cr_total;    /**< -1: "*" */
    bool cr_unsatisfied; /**< "bytes * /TOTAL" (416) */
    char etag[128];      /**< "" if none, or too long to compare */
    char last_modified[64];
} ota_http_response_t;

typedef enum {
    OTA_HTTP_LINE_STATUS, /**< "HTTP/1.1 206 ...": a new response began (redirect, 1xx, final) */
    OTA_HTTP_LINE_FIELD,  /**< a header field (the ones a source needs are kept) */
    OTA_HTTP_LINE_END,    /**< the blank line ending the block */
} ota_http_line_t;

void ota_http_response_reset(ota_http_response_t *r);
/** Feed one header line as received (CRLF optional). */
ota_http_line_t ota_http_response_feed(ota_http_response_t *r, const char *line, size_t len);
/** A 3xx with a Location that an HTTP client following redirects will follow. */
bool ota_http_response_is_redirect(const ota_http_response_t *r);
/** Whether a resume carries If-Range: only with a strong ETag known. */
bool ota_http_send_if_range(const ota_source_expect_t *identity);

typedef struct {
    uint64_t response_end; /**< offset after the response's last byte; UINT64_MAX unknown */
    bool complete;         /**< a 416 to bytes=N- of an N-byte resource: nothing is missing */
} ota_http_accept_t;

/**
 * Is @p r, the final response to a GET at @p offset ("Range: bytes=offset-" when > 0), the resource
 * @p identity names? 200 (offset 0 only), a 206 starting at offset, or a 416 meaning "complete";
 * ETag and total must match @p identity where known. On OTA_OK the identity takes the response's
 * ETag and total (so the first accepted response binds later resumes) and info gets status, ETag,
 * Last-Modified and total. Errors: OTA_ERR_SRC_RESOURCE_CHANGED, OTA_ERR_SRC_HTTP_STATUS,
 * OTA_ERR_SRC_READ (a 206 without a usable Content-Range), with info->error saying which.
 */
int ota_http_check_response(const ota_http_response_t *r, uint64_t offset, bool ranged,
                            ota_source_expect_t *identity, ota_source_info_t *info, ota_http_accept_t *out);

/** After a body ended cleanly at info->offset: OTA_OK, or OTA_ERR_SRC_TRUNCATED if bytes are missing. */
int ota_http_check_end(ota_source_info_t *info, uint64_t response_end, uint64_t limit_end);

/** Failures worth an automatic resume: truncation, stall, transfer/connect errors, HTTP 5xx. */
bool ota_source_err_retryable(int err, int http_status);
/** Back-off before resume number retries_done+1: first_ms doubled each time, capped. */
uint32_t ota_source_backoff_ms(uint32_t first_ms, uint32_t retries_done);

/**
 * Check what a resume found against what it expected. @p etag / @p total_size are what the
 * server (or file system) says now ("" / -1 when it says nothing). Returns OTA_OK or
 * OTA_ERR_SRC_RESOURCE_CHANGED with info->error naming the difference. An expected ETag that the
 * server no longer sends counts as a change: nothing proves the bytes are the same.
 */
int ota_source_check_expect(ota_source_info_t *info, const ota_source_expect_t *expect, const char *etag,
                            int64_t total_size);

/* ---- What every port's sources share (source_config.c, source_dispatch.c) ------------------ */

/** The two transport defaults that differ between ports. */
typedef struct {
    const char *sdcard_root;   /**< file://sdcard/ maps below this */
    uint32_t http_buffer_size; /**< the HTTP client's receive buffer */
} ota_source_port_defaults_t;

/**
 * The transport settings for @p cfg (NULL: defaults): cfg->transport (an ota_source_posix_config_t)
 * with every zero field replaced by its default (@p defaults for the two a port chooses),
 * cfg->cert_pem (when set) as cert_pem, "" strings of cert_pem and ca_file as NULL.
 */
/** The host's defaults (OTA_SOURCE_DEFAULT_SDCARD_ROOT, OTA_SOURCE_DEFAULT_HTTP_BUFFER): the POSIX
 *  and bare-metal ports'. */
extern const ota_source_port_defaults_t ota_source_host_defaults;

ota_source_posix_config_t ota_source_config_resolve(const ota_source_config_t *cfg,
                                                    const ota_source_port_defaults_t *defaults);

/** A per-scheme opener of a port; the same contract as ota_source_open. */
typedef int (*ota_source_scheme_open_fn)(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                                         const ota_source_expect_t *expect, ota_source_t **out,
                                         ota_source_info_t *diag);

typedef struct {
    ota_source_scheme_open_fn file_open; /**< file:// (NULL: refused) */
    ota_source_scheme_open_fn http_open; /**< http:// and https:// (NULL: refused) */
    const char *schemes; /**< for the message on a refused URI, e.g. "file:// or http(s)://" */
} ota_source_openers_t;

/** ota_source_open: picks the opener by the URI's scheme; a URI no opener takes is OTA_ERR_SRC_URI
 *  (NULL: OTA_ERR_INVALID_ARG) with diag->error saying so. */
int ota_source_open_by_scheme(const ota_source_openers_t *openers, const ota_source_config_t *cfg,
                              const char *uri, uint64_t offset, const ota_source_expect_t *expect,
                              ota_source_t **out, ota_source_info_t *diag);

/** Per-scheme openers of the platform port; the same contract as ota_source_open. */
int ota_source_file_open(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag);
int ota_source_http_open(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                         const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag);

/* ---- file:// rules (file_rules.c): the file API is the port's --------------------------- */

/** The path file://sdcard/X or file:///X names (ota_uri_file_path), with info->error on failure;
 *  a path too long for @p path is OTA_ERR_SRC_URI. */
int ota_source_file_path(const char *uri, const char *root, char *path, size_t path_size,
                         ota_source_info_t *info);

/**
 * A regular file of @p size bytes found at open: sets info's total and validator (ETag "mtime-size"
 * in hex, "size" when @p mtime < 0), then checks it against @p expect and that @p offset is inside
 * it. OTA_OK or OTA_ERR_SRC_RESOURCE_CHANGED with info->error saying why.
 */
int ota_source_file_accept(ota_source_info_t *info, const char *path, uint64_t size, int64_t mtime,
                           uint64_t offset, const ota_source_expect_t *expect);

/** Offset after the last byte to read: the file's end, or offset + expect->length if sooner. */
uint64_t ota_source_file_end(uint64_t size, uint64_t offset, const ota_source_expect_t *expect);

/** How much of @p len a read may take: no further than @p end, at most INT32_MAX. */
size_t ota_source_read_len(const ota_source_info_t *info, uint64_t end, size_t len);

/**
 * The end of a file opener: on OTA_OK @p src takes @p info and goes to *out; on an error info->error
 * is filled if empty and logged. @p diag (optional) gets info either way. Returns @p err.
 */
int ota_source_file_opened(ota_source_t *src, const char *path, int err, ota_source_info_t *info,
                           ota_source_t **out, ota_source_info_t *diag);

/* ---- HTTP session (http_session.c): the HTTP client is the port's ---------------------- */

/** The identity a source starts with (@p expect or nothing known) and the end a bounded request
 *  (expect->length) stops at; UINT64_MAX: to the resource's end. */
void ota_http_identity_init(ota_source_expect_t *identity, uint64_t *limit_end,
                            const ota_source_expect_t *expect, uint64_t offset);

/** The Range header's value for a request at @p offset ("bytes=N-" or "bytes=N-M"); false (and "")
 *  when the request needs none (offset 0, unbounded). */
bool ota_http_range_value(char *value, size_t size, uint64_t offset, uint64_t limit_end);

/** The port's request: ask for the resource from @p offset and accept its response (OTA_OK). */
typedef int (*ota_http_request_fn)(void *ctx, uint64_t offset);

/**
 * After a transfer failed with @p err at info->offset: a failure worth it (ota_source_err_retryable)
 * is resumed with @p request after cfg's back-off, at most cfg->max_retries times in the source's
 * life (info->retries); OTA_OK when a resume was accepted, else the error to keep (logged).
 */
int ota_http_recover(ota_source_info_t *info, const ota_source_posix_config_t *cfg, int err,
                     ota_http_request_fn request, void *ctx);

/** The report of an HTTP open: logs it (info->error filled if empty on an error) and copies info
 *  to @p diag (optional). Returns @p err. */
int ota_http_opened(ota_source_info_t *info, const char *uri, int err, ota_source_info_t *diag);

#endif /* OTA_SOURCE_INTERNAL_H */
