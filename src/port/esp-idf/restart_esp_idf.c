/* The service's restart hook: esp_restart() resets the CPU and the second-stage bootloader picks
 * the app otadata selects. The service calls it after its FINISH event; nothing after it runs. */
#include "esp_system.h"

#include "ota/port/ota_port_esp_idf.h"

void ota_esp_idf_restart(void *ctx)
{
    (void)ctx;
    esp_restart();
}
