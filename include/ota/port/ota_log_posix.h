/**
 * @file ota_log_posix.h
 * @brief Host log sink: ESP-IDF lines on a stdio stream.
 */
#ifndef OTA_LOG_POSIX_H
#define OTA_LOG_POSIX_H

#include <stdio.h>

#include "ota/ota_log.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Send log lines ("I (1234) TAG: message\n") to @p stream (NULL: stop logging). With
 * @p color, lines are coloured like ESP-IDF's console (E red, W yellow, I green).
 */
void ota_log_to_stream(FILE *stream, int color);

#ifdef __cplusplus
}
#endif
#endif /* OTA_LOG_POSIX_H */
