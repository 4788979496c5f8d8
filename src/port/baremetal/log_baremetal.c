/* Log sink: ESP-IDF lines on the semihosting console (a UART on a board). */
#include "ota/ota_log.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_port_baremetal.h"

/* Prefix and message go out separately: no line buffer on the stack of every logging path. */
static void semihost_sink(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    (void)ctx;
    char prefix[64];
    if (ota_log_format_line(prefix, sizeof prefix, level, ota_port_uptime_ms(), tag, "") < 0) {
        return;
    }
    ota_semihost_write0(prefix);
    ota_semihost_write0(message);
    ota_semihost_write0("\n");
}

void ota_baremetal_log_init(void)
{
    ota_log_set_sink(semihost_sink, NULL);
}
