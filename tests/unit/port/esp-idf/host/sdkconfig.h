/* sdkconfig.h for compiling the ESP-IDF port's HTTP source on the host (test_esp_http_source):
 * ESP-IDF's Linux target, FreeRTOS's Linux port headers (esp_http_client.h includes FreeRTOS.h and
 * esp_event.h), no certificate bundle (the test uses http:// only). */
#pragma once
#define CONFIG_IDF_TARGET_LINUX                         1
#define CONFIG_FREERTOS_HZ                              1000
#define CONFIG_FREERTOS_MAX_TASK_NAME_LEN               16
#define CONFIG_FREERTOS_TASK_NOTIFICATION_ARRAY_ENTRIES 1
#define CONFIG_FREERTOS_UNICORE                         1
#define CONFIG_FREERTOS_NUMBER_OF_CORES                 1
#define CONFIG_LOG_DEFAULT_LEVEL                        3
#define CONFIG_LOG_MAXIMUM_LEVEL                        3
