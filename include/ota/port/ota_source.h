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
 *   file://sdcard/x.bin   -> <sdcard root>/x.bin   (the port's setting; POSIX default "./sdcard")
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

/**
 * Settings of a source, as the core passes them to the opener. Transport-neutral: what a
 * transport needs beyond this (files: the SD card root; HTTP: TLS trust, timeouts, retries,
 * buffers, proxy) is the port's own settings struct, which @ref transport points to (the POSIX
 * port's: ota_source_posix_config_t, ota_source_posix.h). Zero fields take the defaults.
 */
typedef struct {
    /** PEM text of trusted CA(s) for this item (ESP-ADF's node cert_pem); NULL = the transport's
     *  own trust settings. */
    const char *cert_pem;
    /** The port's transport settings, read by the port's opener only; NULL = its defaults. Must
     *  stay valid as long as sources may be opened with this config (a service: its lifetime). */
    const void *transport;
} ota_source_config_t;

/** What the source knows about the resource; updated as it goes. */
typedef struct {
    int http_status;        /**< last HTTP status, 0 for file:// */
    int64_t total_size;     /**< size of the whole resource, -1 if unknown */
    uint64_t offset;        /**< resource offset of the next byte read() returns */
    char etag[128];         /**< ETag of the resource ("" if none) */
    char last_modified[64]; /**< Last-Modified ("" if none) */
    uint32_t retries;       /**< automatic resumes done so far */
    char error[256];        /**< detail of the last error (curl message, path), "" if none */
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
                                  const ota_source_expect_t *expect, ota_source_t **out,
                                  ota_source_info_t *diag);

/** The platform's opener: file:// and http(s):// (libcurl on POSIX; the bare-metal port: file://
 *  over semihosting only). @p ctx is unused.
 *  @return OTA_OK; OTA_ERR_INVALID_ARG (NULL uri or out); OTA_ERR_NO_MEM; OTA_ERR_SRC_URI (bad
 *          or unsupported URI; the bare-metal port: every http(s):// URI); file://:
 *          OTA_ERR_SRC_PATH_ESCAPE, OTA_ERR_SRC_FILE_NOT_FOUND, OTA_ERR_SRC_IS_DIRECTORY,
 *          OTA_ERR_SRC_NOT_REGULAR_FILE, OTA_ERR_SRC_PERMISSION, OTA_ERR_SRC_READ,
 *          OTA_ERR_SRC_RESOURCE_CHANGED, OTA_ERR_SRC_TRUNCATED (offset past the end); http(s)://:
 *          OTA_ERR_SRC_CONNECT, OTA_ERR_SRC_CONNECT_TIMEOUT, OTA_ERR_SRC_TLS,
 *          OTA_ERR_SRC_TLS_VERIFY, OTA_ERR_SRC_HTTP_STATUS, OTA_ERR_SRC_TOO_MANY_REDIRECTS,
 *          OTA_ERR_SRC_STALLED, OTA_ERR_SRC_READ, OTA_ERR_SRC_TRUNCATED,
 *          OTA_ERR_SRC_RESOURCE_CHANGED, OTA_ERR_NOT_SUPPORTED (libcurl could not be set up). */
int ota_source_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                    const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag);

/** Up to @p len bytes from @p src (its ops->read).
 *  @return the count (> 0); 0 at the end of the resource; or the source's negative code: the
 *          file sources OTA_ERR_SRC_READ or OTA_ERR_SRC_TRUNCATED; the HTTP source also the
 *          open's http(s) codes (it resumes a dropped transfer with a Range request, see
 *          ota_source_open); a user source its own (the set is open). */
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
 * Symlinks are checked by the opener, which knows the file system.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL argument); OTA_ERR_SRC_URI (not file://, empty path,
 *         other hosts); OTA_ERR_SRC_PATH_ESCAPE (".."); OTA_ERR_BUFFER_TOO_SMALL (@p out_size).
 */
int ota_uri_file_path(const char *uri, const char *sdcard_root, char *out, size_t out_size);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SOURCE_H */
