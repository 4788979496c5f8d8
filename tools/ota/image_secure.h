/**
 * @file image_secure.h
 * @brief `ota image sign|verify-signature|encrypt|decrypt` and the signature part of `image info`.
 */
#ifndef OTA_CLI_IMAGE_SECURE_H
#define OTA_CLI_IMAGE_SECURE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "ota/ota_partition.h"

int cmd_image_sign(int argc, char **argv);             /* cmd_image_sign.c */
int cmd_image_verify_signature(int argc, char **argv); /* cmd_image_sign.c */
int cmd_image_encrypt(int argc, char **argv);          /* cmd_image_crypt.c */
int cmd_image_decrypt(int argc, char **argv);          /* cmd_image_crypt.c */

/**
 * `image info` on a file whose app image ends at @p image_len but the file goes on. When block 0's
 * magic (0xE7) is at the 4 KiB boundary after the image, the file is signed: only
 * 0xFF padding may sit between image and sector and nothing may follow the sector; the blocks are
 * printed as espsecure signature_info_v2 does (@p text) or added as "signature" to @p json.
 * Otherwise the rest is padding (a partition read back, a file padded to a sector), which esptool
 * image_info accepts: OTA_OK, no report. Returns OTA_OK (padding, or signed and every block that
 * parses verifies with its own key), OTA_ERR_IMG_TRAILING_DATA (unsigned bytes in or after a
 * signed layout; @p why gets the reason), or the signature error.
 */
int image_signature_report(const char *path, uint64_t image_len, uint64_t file_size, FILE *text, cJSON *json,
                           char *why, size_t why_len);

/**
 * `image info --partition`: when the 4 KiB after the image (rounded up) hold a signature sector
 * (block 0's magic there), verify it over the partition's bytes before it and report it like
 * image_signature_report. OTA_OK when there is none or it verifies, else the signature error.
 */
int image_partition_signature_report(const ota_partition_t *part, uint32_t part_size, uint64_t image_len,
                                     FILE *text, cJSON *json);

#endif /* OTA_CLI_IMAGE_SECURE_H */
