/* Log sink writing ESP-IDF formatted lines to a stdio stream. One fputs per line keeps lines from
 * two threads from interleaving (stdio locks the stream per call). */
#include "ota/port/ota_log_posix.h"

#include "ota/port/ota_port.h"

static int s_color;

static void stream_sink(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    FILE *stream = ctx;
    char line[640];
    int n = ota_log_format_line(line, sizeof line, level, ota_port_uptime_ms(), tag, message);
    if (n < 0) {
        return;
    }
    const char *color = "";
    if (s_color) {
        color = level == OTA_LOG_ERROR  ? "\033[0;31m"
                : level == OTA_LOG_WARN ? "\033[0;33m"
                : level == OTA_LOG_INFO ? "\033[0;32m"
                                        : "";
    }
    flockfile(stream);
    fputs(color, stream);
    fputs(line, stream);
    fputs(s_color && *color ? "\033[0m\n" : "\n", stream);
    funlockfile(stream);
}

void ota_log_to_stream(FILE *stream, int color)
{
    s_color = color;
    ota_log_set_sink(stream ? stream_sink : NULL, stream);
}
