/* ota_port.h clock and sleep on ESP-IDF: esp_timer's microseconds since boot (64 bits, never
 * wraps) and a FreeRTOS delay, which lets other tasks run while the service backs off. */
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"

#include "ota/port/ota_port.h"

uint64_t ota_port_uptime_ms(void)
{
    return (uint64_t)esp_timer_get_time() / 1000u;
}

void ota_port_sleep_ms(uint32_t ms)
{
    TickType_t ticks = pdMS_TO_TICKS(ms);
    /* A sleep shorter than one tick would be no sleep at all: wait at least one. */
    vTaskDelay(ms > 0 && ticks == 0 ? 1 : ticks);
}
