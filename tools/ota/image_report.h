/**
 * @file image_report.h
 * @brief How `ota image info`, `ota info` and `ota boot` show an app image: esptool
 *        `image_info --version 2` text, and the same facts as JSON.
 */
#ifndef OTA_CLI_IMAGE_REPORT_H
#define OTA_CLI_IMAGE_REPORT_H

#include <stdio.h>

#include "out.h"

#include "ota/ota_app_image.h"

/** Reads @p len bytes at @p offset of the image (a file, or a partition). */
typedef int (*image_report_read_fn)(void *arg, uint32_t offset, void *buf, size_t len);

/**
 * Print what esptool v4.9.1 `image_info --version 2` prints after its "File size" line, for
 * whatever @p info holds (a truncated or invalid image shows the parts that could be decoded).
 * @p title_chip: esptool's args.chip.upper() ("ESP32C3" for --chip esp32c3, "ESP32-C3" when it
 * detected the chip). The app / bootloader description is read through @p read (raw, as esptool
 * prints it, NUL padding included); NULL: the decoded fields.
 */
void image_report_text(FILE *out, const ota_image_info_t *info, const char *title_chip,
                       image_report_read_fn read, void *read_arg);

/** The same facts as a JSON object (header, segments, checksum, hash, app_desc). */
out_t *image_report_json(const ota_image_info_t *info);

/** The app description as a JSON object. */
out_t *image_report_app_desc_json(const ota_app_desc_t *desc);

/** An error with the validator's detail: {error, code, message, offset, segment}. */
out_t *image_report_error_json(int err, const ota_image_diag_t *diag);

/** "v3.0" from major*100+minor. */
const char *image_report_revision(uint16_t full, char buf[16]);

#endif /* OTA_CLI_IMAGE_REPORT_H */
