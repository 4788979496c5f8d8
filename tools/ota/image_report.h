/**
 * @file image_report.h
 * @brief How `ota image info`, `ota info` and `ota boot` show an app image: esptool
 *        `image_info --version 2` text, and the same facts as JSON.
 */
#ifndef OTA_CLI_IMAGE_REPORT_H
#define OTA_CLI_IMAGE_REPORT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "ota/ota_app_image.h"

/**
 * Print what esptool v4.9.1 `image_info --version 2` prints, for whatever @p info holds (a
 * truncated or invalid image shows the parts that could be decoded).
 */
void image_report_text(FILE *out, const ota_image_info_t *info);

/** The same facts as a JSON object (header, segments, checksum, hash, app_desc). */
cJSON *image_report_json(const ota_image_info_t *info);

/** The app description as a JSON object. */
cJSON *image_report_app_desc_json(const ota_app_desc_t *desc);

/** An error with the validator's detail: {error, code, message, offset, segment}. */
cJSON *image_report_error_json(int err, const ota_image_diag_t *diag);

/** "v3.0" from major*100+minor. */
const char *image_report_revision(uint16_t full, char buf[16]);

#endif /* OTA_CLI_IMAGE_REPORT_H */
