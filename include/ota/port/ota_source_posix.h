/**
 * @file ota_source_posix.h
 * @brief The POSIX port's transport settings: files under an SD card root, HTTP(S) through libcurl.
 *
 * The core's ota_source_config_t is transport-neutral; on POSIX its `transport` field points to
 * one of these:
 *
 *     ota_source_posix_config_t posix = {.ca_file = "ca.pem", .stall_timeout_ms = 5000};
 *     ota_service_config_t cfg = {.device = dev, .source = {.transport = &posix}};
 *
 * Zero fields take the documented defaults.
 */
#ifndef OTA_SOURCE_POSIX_H
#define OTA_SOURCE_POSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/port/ota_source.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Transport settings of the POSIX sources. */
typedef struct {
    const char *sdcard_root; /**< directory file://sdcard/... maps to; NULL = "./sdcard" */

    /* HTTP(S) */
    const char *ca_file; /**< PEM file of trusted CAs; NULL = system bundle */
    /** PEM text of trusted CA(s); wins over ca_file. The core config's cert_pem (an item's)
     *  wins over this one. */
    const char *cert_pem;
    bool insecure;               /**< skip TLS verification (logs a warning) */
    uint32_t connect_timeout_ms; /**< default 10000 */
    uint32_t stall_timeout_ms;   /**< no byte for this long = stalled; default 20000 */
    int max_redirects;           /**< default 5; negative = none allowed */
    int max_retries; /**< automatic resumes after a mid-transfer failure; default 3; negative = none */
    uint32_t retry_backoff_ms; /**< first back-off, doubled each retry; default 500 */
    /** libcurl's download buffer (CURLOPT_BUFFERSIZE): the most bytes one receive and one write
     *  callback carry. It is libcurl's memory, not the service's: the HTTP source copies straight
     *  into the reader's buffer and leaves what does not fit with libcurl (a paused transfer), so
     *  this size does not count against the service's 16 KiB heap (DESIGN.md §7). Default 16384,
     *  libcurl's own default: a 16 MB body from nginx on 127.0.0.1, read 4 KiB at a time
     *  (`ota_bench source --buffer 4096`), took 35 ms with it and 92 ms with 2048. Clamped to
     *  1024..16384. */
    uint32_t http_buffer_size;
    /** Proxy: NULL = libcurl's environment variables (http_proxy, https_proxy, all_proxy,
     *  no_proxy; uppercase HTTP_PROXY is ignored), "" = never use a proxy, else a proxy URL. */
    const char *proxy;
} ota_source_posix_config_t;

/**
 * The settings the POSIX sources use for @p cfg (NULL: defaults): its transport settings with
 * every zero field replaced by its default, and its cert_pem (when set) as cert_pem.
 */
ota_source_posix_config_t ota_source_posix_config_resolve(const ota_source_config_t *cfg);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SOURCE_POSIX_H */
