/* sdkconfig.h for ESP-IDF v6.0.2 Linux-target code built on the host (tests/esp-idf): the
 * options the esp_partition and log sources read. The table check and the power-off emulation are
 * on; CONFIG_ESP_PARTITION_ERASE_CHECK makes a write over unerased bytes fail, as strict NOR. */
#define CONFIG_IDF_TARGET_LINUX                         1
#define CONFIG_IDF_TARGET                               "linux"
#define CONFIG_MMU_PAGE_SIZE                            0x10000
#define CONFIG_PARTITION_TABLE_OFFSET                   0x8000
#define CONFIG_PARTITION_TABLE_MD5                      1
#define CONFIG_ESP_PARTITION_ENABLE_STATS               1
#define CONFIG_ESP_PARTITION_ERASE_CHECK                1
#define CONFIG_LOG_DEFAULT_LEVEL_WARN                   1
#define CONFIG_LOG_DEFAULT_LEVEL                        2
#define CONFIG_LOG_MAXIMUM_EQUALS_DEFAULT               1
#define CONFIG_LOG_MAXIMUM_LEVEL                        2
#define CONFIG_LOG_VERSION_1                            1
#define CONFIG_LOG_VERSION                              1
#define CONFIG_LOG_MODE_TEXT_EN                         1
#define CONFIG_LOG_MODE_TEXT                            1
#define CONFIG_LOG_TIMESTAMP_SOURCE_RTOS                1
#define CONFIG_LOG_TAG_LEVEL_IMPL_CACHE_AND_LINKED_LIST 1
#define CONFIG_LOG_TAG_LEVEL_CACHE_BINARY_MIN_HEAP      1
#define CONFIG_LOG_TAG_LEVEL_IMPL_CACHE_SIZE            31
#define CONFIG_LOG_DYNAMIC_LEVEL_CONTROL                1
