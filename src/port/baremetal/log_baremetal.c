/* Log sink: ESP-IDF lines on the semihosting console (a UART on a board). */
#include <stdio.h>

#include "ota/ota_log.h"
#include "ota/ota_port.h"
#include "ota/ota_port_baremetal.h"

static void semihost_sink(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    (void)ctx;
    char line[600];
    int n = ota_log_format_line(line, sizeof line - 1, level, ota_port_uptime_ms(), tag, message);
    if (n < 0) {
        return;
    }
    size_t len = (size_t)n < sizeof line - 2 ? (size_t)n : sizeof line - 2;
    line[len] = '\n';
    line[len + 1] = '\0';
    ota_semihost_write0(line);
}

void ota_baremetal_log_init(void)
{
    ota_log_set_sink(semihost_sink, NULL);
}
