/* The POSIX HTTP source's libcurl helpers shared between its files (not installed). */
#ifndef OTA_PORT_POSIX_SOURCE_HTTP_CURL_H
#define OTA_PORT_POSIX_SOURCE_HTTP_CURL_H

#include <curl/curl.h>

#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"

/**
 * Map a finished transfer's @p code (with curl's @p errbuf, "" if none, and @p easy for the TLS
 * verify result) to OTA_ERR_SRC_* and fill info->error; CURLE_OK is OTA_OK. @p cfg names the trust
 * anchor in a CA loading error.
 */
int ota_curl_error(CURL *easy, CURLcode code, const char *errbuf, const ota_source_posix_config_t *cfg,
                   ota_source_info_t *info);

#endif /* OTA_PORT_POSIX_SOURCE_HTTP_CURL_H */
