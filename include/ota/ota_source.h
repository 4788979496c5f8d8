/**
 * @file ota_source.h
 * @brief Where update bytes come from: file://, http://, https://, with resume.
 *
 * A source is a small struct of function pointers (DESIGN.md §2, like esp_ota_service's source
 * layer): open at an offset, read forward, close. It never buffers a whole file; memory stays
 * bounded whatever the size. Besides the bytes it reports what the server said (status, ETag,
 * lengths) so a caller can persist a resume checkpoint and check it on the next open.
 *
 * URI forms (ESP-ADF example compatible):
 *   file://sdcard/x.bin   -> <sdcard_root>/x.bin   (sdcard_root default "./sdcard")
 *   file:///abs/path      -> /abs/path
 *   http://host:port/path, https://host:port/path
 */
#ifndef OTA_SOURCE_H
#define OTA_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Settings of a source; zero fields take the documented defaults. */
typedef struct {
    const char *sdcard_root;      /**< directory file://sdcard/... maps to; NULL = "./sdcard" */

    /* HTTP(S) */
    const char *ca_file;          /**< PEM file of trusted CAs; NULL = system bundle */
    const char *cert_pem;         /**< PEM text of trusted CA(s) (ESP-ADF cert_pem); wins over ca_file */
    bool insecure;                /**< skip TLS verification (logs a warning) */
    uint32_t connect_timeout_ms;  /**< default 10000 */
    uint32_t stall_timeout_ms;    /**< no byte for this long = stalled; default 20000 */
    int max_redirects;            /**< default 5; negative = none allowed */
    int max_retries;              /**< automatic resumes after a mid-transfer failure; default 3; negative = none */
    uint32_t retry_backoff_ms;    /**< first back-off, doubled each retry; default 500 */
    /** Bytes libcurl hands over per callback, and so the one buffer the HTTP source keeps for
     *  what the reader has no room for yet. Default 2048 (ESP-ADF's read size; keeps the service
     *  within its 16 KiB heap budget, DESIGN.md §7); 16384 (libcurl's default) moves ~30% more
     *  bytes per CPU second on loopback (bench/). Clamped to 1024..16384. */
    uint32_t http_buffer_size;
    /** Proxy: NULL = libcurl's environment variables (http_proxy, https_proxy, all_proxy,
     *  no_proxy; uppercase HTTP_PROXY is ignored), "" = never use a proxy, else a proxy URL. */
    const char *proxy;
} ota_source_config_t;

/** What the source knows about the resource; updated as it goes. */
typedef struct {
    int http_status;           /**< last HTTP status, 0 for file:// */
    int64_t total_size;        /**< size of the whole resource, -1 if unknown */
    uint64_t offset;           /**< resource offset of the next byte read() returns */
    char etag[128];            /**< ETag of the resource ("" if none) */
    char last_modified[64];    /**< Last-Modified ("" if none) */
    uint32_t retries;          /**< automatic resumes done so far */
    char error[256];           /**< detail of the last error (curl message, path), "" if none */
} ota_source_info_t;

/** What a resume must find unchanged; fields left empty/-1 are not checked. */
typedef struct {
    char etag[128];
    int64_t total_size;
    /** Read at most this many bytes from the offset (HTTP: a bounded `Range: bytes=N-M`, with
     *  If-Range when the ETag is known), then report the end; 0 = up to the end of the resource. */
    uint64_t length;
} ota_source_expect_t;

typedef struct ota_source ota_source_t;

typedef struct {
    /** Up to @p len bytes: > 0 count, 0 at end of resource, < 0 OTA_ERR_SRC_*. */
    int (*read)(ota_source_t *src, void *buf, size_t len);
    /** Release everything (NULL-safe in ota_source_close). */
    void (*close)(ota_source_t *src);
} ota_source_ops_t;

/** Base of every source; implementations embed it as their first member. */
struct ota_source {
    const ota_source_ops_t *ops;
    ota_source_info_t info;
};

/**
 * Open @p uri at byte @p offset. With @p expect (NULL: nothing to check) a resume is refused with
 * OTA_ERR_SRC_RESOURCE_CHANGED if the ETag or total size differ, or if an HTTP server answers a
 * Range request with 200. Errors: OTA_ERR_SRC_*. @p diag (NULL: not wanted) receives what the
 * open learned even when it FAILED (HTTP status, ETag, total size, error detail such as the path
 * or the server's answer), so a caller can report it; on success it is a copy of the source's info.
 */
typedef int (*ota_source_open_fn)(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                                  const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag);

/** The platform's opener: file:// and http(s):// (libcurl on POSIX). @p ctx is unused. */
int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag);

static inline int ota_source_read(ota_source_t *src, void *buf, size_t len)
{
    return src->ops->read(src, buf, len);
}

static inline const ota_source_info_t *ota_source_get_info(const ota_source_t *src)
{
    return &src->info;
}

static inline void ota_source_close(ota_source_t *src)
{
    if (src != NULL) {
        src->ops->close(src);
    }
}

/**
 * Read @p len bytes, looping over short reads. Returns the count read, which is less than @p len
 * only when the resource ended first, or the source's negative error.
 */
long ota_source_read_full(ota_source_t *src, void *buf, size_t len);

/** URI scheme of @p uri. */
typedef enum {
    OTA_URI_INVALID = 0,
    OTA_URI_FILE,
    OTA_URI_HTTP,
    OTA_URI_HTTPS,
} ota_uri_scheme_t;

/** Scheme by prefix (case-insensitive), not by substring as ESP-ADF's strstr did. */
ota_uri_scheme_t ota_uri_scheme(const char *uri);

/**
 * Map a file:// URI to a path: "file://sdcard/a/b.bin" -> "<root>/a/b.bin", "file:///x" -> "/x".
 * Refuses ("..", empty path, other hosts) with OTA_ERR_SRC_URI or OTA_ERR_SRC_PATH_ESCAPE;
 * symlinks are checked by the opener, which knows the file system.
 */
int ota_uri_file_path(const char *uri, const char *sdcard_root, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SOURCE_H */
