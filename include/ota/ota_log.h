/**
 * @file ota_log.h
 * @brief ESP-IDF style logging: `I (1234) TAG: message`.
 *
 * The core formats the message; a sink supplied by the port (or a test) decides where the line
 * goes. Without a sink nothing is printed, so the core stays free of stdio streams. Level and
 * sink are process-wide, like ESP-IDF's esp_log: set them once at start-up.
 */
#ifndef OTA_LOG_H
#define OTA_LOG_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    OTA_LOG_NONE = 0,
    OTA_LOG_ERROR,
    OTA_LOG_WARN,
    OTA_LOG_INFO,
    OTA_LOG_DEBUG,
    OTA_LOG_VERBOSE,
} ota_log_level_t;

/** Receives one formatted message (no prefix, no newline). */
typedef void (*ota_log_sink_t)(void *ctx, ota_log_level_t level, const char *tag, const char *message);

/** Install the sink (NULL: drop everything). Not thread-safe against concurrent logging. */
void ota_log_set_sink(ota_log_sink_t sink, void *ctx);
/** Messages above this level are dropped before formatting (default OTA_LOG_INFO). */
void ota_log_set_level(ota_log_level_t level);
ota_log_level_t ota_log_get_level(void);

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
void ota_log_write(ota_log_level_t level, const char *tag, const char *fmt, ...);

/** Letter ESP-IDF prints for a level: E W I D V. */
char ota_log_level_letter(ota_log_level_t level);

/**
 * Build the full ESP-IDF line "I (1234) TAG: message" (no newline) into @p buf.
 * @return the length snprintf would have written (may exceed @p size); not an error code.
 */
int ota_log_format_line(char *buf, size_t size, ota_log_level_t level, uint64_t uptime_ms, const char *tag,
                        const char *message);

#define OTA_LOGE(tag, ...) ota_log_write(OTA_LOG_ERROR, tag, __VA_ARGS__)
#define OTA_LOGW(tag, ...) ota_log_write(OTA_LOG_WARN, tag, __VA_ARGS__)
#define OTA_LOGI(tag, ...) ota_log_write(OTA_LOG_INFO, tag, __VA_ARGS__)
#define OTA_LOGD(tag, ...) ota_log_write(OTA_LOG_DEBUG, tag, __VA_ARGS__)
#define OTA_LOGV(tag, ...) ota_log_write(OTA_LOG_VERBOSE, tag, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif /* OTA_LOG_H */
