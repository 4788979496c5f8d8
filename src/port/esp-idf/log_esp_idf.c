/* Log sink: OTA_LOG* lines through ESP-IDF's esp_log_write(), so they reach the console (or a
 * vprintf handler the app installed with esp_log_set_vprintf) with the device's other logs, in
 * ESP-IDF's own "I (ms) TAG: message" form (LOG_FORMAT of esp_log_format.h, colours included
 * when CONFIG_LOG_COLORS is on). esp_log_write() adds no prefix itself: the format carries it, as
 * ESP_LOGI's does. */
#include "esp_log.h"

#include "ota/ota_log.h"
#include "ota/port/ota_port_esp_idf.h"

static ota_log_level_t from_esp(esp_log_level_t level)
{
    switch (level) {
    case ESP_LOG_ERROR: return OTA_LOG_ERROR;
    case ESP_LOG_WARN: return OTA_LOG_WARN;
    case ESP_LOG_INFO: return OTA_LOG_INFO;
    case ESP_LOG_DEBUG: return OTA_LOG_DEBUG;
    case ESP_LOG_VERBOSE: return OTA_LOG_VERBOSE;
    default: return OTA_LOG_NONE;
    }
}

static void esp_idf_sink(void *ctx, ota_log_level_t level, const char *tag, const char *message)
{
    (void)ctx;
    switch (level) {
    case OTA_LOG_ERROR:
        esp_log_write(ESP_LOG_ERROR, tag, LOG_FORMAT(E, "%s"), esp_log_timestamp(), tag, message);
        break;
    case OTA_LOG_WARN:
        esp_log_write(ESP_LOG_WARN, tag, LOG_FORMAT(W, "%s"), esp_log_timestamp(), tag, message);
        break;
    case OTA_LOG_INFO:
        esp_log_write(ESP_LOG_INFO, tag, LOG_FORMAT(I, "%s"), esp_log_timestamp(), tag, message);
        break;
    case OTA_LOG_DEBUG:
        esp_log_write(ESP_LOG_DEBUG, tag, LOG_FORMAT(D, "%s"), esp_log_timestamp(), tag, message);
        break;
    case OTA_LOG_VERBOSE:
        esp_log_write(ESP_LOG_VERBOSE, tag, LOG_FORMAT(V, "%s"), esp_log_timestamp(), tag, message);
        break;
    default: break;
    }
}

void ota_esp_idf_log_init(const char *tag)
{
    /* The core drops messages above its level before formatting them; esp_log_write() then
     * filters per tag as ESP-IDF does (esp_log_level_set). */
    ota_log_set_level(from_esp(esp_log_level_get(tag != NULL ? tag : "*")));
    ota_log_set_sink(esp_idf_sink, NULL);
}
