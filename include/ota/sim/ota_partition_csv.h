/**
 * @file ota_partition_csv.h
 * @brief Partition table CSV, read and written with gen_esp32part.py's rules (ESP-IDF v6.0.2):
 * part of the simulation library (ota-service-sim). A device reads the binary table
 * (ota_partition.h); the CSV is what a host builds it from.
 */
#ifndef OTA_SIM_PARTITION_CSV_H
#define OTA_SIM_PARTITION_CSV_H

#include <stddef.h>

#include "ota/ota_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Parse CSV text (gen_esp32part.py rules: comments, auto offsets, K/M sizes, keywords or numbers
 * for type/subtype, flags, negative size = end address) and verify the result (unless
 * opts->no_verify; the flash-size check runs anyway). @p opts may be NULL (defaults). Fills
 * out->line[] with each entry's CSV line. On error returns an OTA_ERR_PT_* code and fills @p diag
 * (may be NULL) with gen_esp32part's wording and the line, e.g. "Error at line 1: Value 'bogus' is
 * not valid. Known keywords: ..." or "line 2: Partition names must be unique (also on line 1)".
 * @return OTA_OK; OTA_ERR_INVALID_ARG (NULL text or out); OTA_ERR_PT_SYNTAX,
 *         OTA_ERR_PT_UNKNOWN_KEYWORD, OTA_ERR_PT_VALUE_RANGE, OTA_ERR_PT_TOO_MANY,
 *         OTA_ERR_PT_INVALID (a line gen_esp32part refuses); verify()'s codes (see
 *         ota_partition_table_verify) and OTA_ERR_PT_FLASH_SIZE.
 */
int ota_partition_table_parse_csv(const char *text, size_t len, const ota_partition_csv_options_t *opts,
                                  ota_partition_table_t *out, ota_partition_diag_t *diag);

/**
 * CSV text as gen_esp32part.py prints it (header comments, offsets 0x%x, sizes in M/K when they
 * divide).
 * @return the length (snprintf-style: may exceed @p size, the text is then cut);
 *         OTA_ERR_INVALID_ARG (NULL table, or NULL buf with size > 0); OTA_ERR_INVALID_SIZE if
 *         the text would exceed INT32_MAX bytes.
 */
int ota_partition_table_to_csv(const ota_partition_table_t *table, char *buf, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SIM_PARTITION_CSV_H */
