/* Process-wide log level and sink; see ota_log.h. */
#include "ota/ota_log.h"

#include <stdarg.h>
#include <stdio.h>

/* Longest message we format; longer ones are cut, which is better than allocating in a logger
 * that runs on the update path. */
#define LOG_MESSAGE_MAX 512

static ota_log_sink_t s_sink;
static void *s_sink_ctx;
static ota_log_level_t s_level = OTA_LOG_INFO;

void ota_log_set_sink(ota_log_sink_t sink, void *ctx)
{
    s_sink = sink;
    s_sink_ctx = ctx;
}

void ota_log_set_level(ota_log_level_t level)
{
    s_level = level;
}

ota_log_level_t ota_log_get_level(void)
{
    return s_level;
}

char ota_log_level_letter(ota_log_level_t level)
{
    switch (level) {
    case OTA_LOG_ERROR: return 'E';
    case OTA_LOG_WARN: return 'W';
    case OTA_LOG_INFO: return 'I';
    case OTA_LOG_DEBUG: return 'D';
    case OTA_LOG_VERBOSE: return 'V';
    default: return '?';
    }
}

void ota_log_write(ota_log_level_t level, const char *tag, const char *fmt, ...)
{
    if (level == OTA_LOG_NONE || level > s_level || s_sink == NULL) {
        return;
    }
    char message[LOG_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    s_sink(s_sink_ctx, level, tag ? tag : "", message);
}

int ota_log_format_line(char *buf, size_t size, ota_log_level_t level, uint64_t uptime_ms, const char *tag,
                        const char *message)
{
    return snprintf(buf, size, "%c (%llu) %s: %s", ota_log_level_letter(level), (unsigned long long)uptime_ms,
                    tag, message);
}
