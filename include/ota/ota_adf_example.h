/**
 * @file ota_adf_example.h
 * @brief ESP-ADF's OTA example's upgrade list (ESP-ADF's main/ota_example.c), as a library call.
 *
 * Every build of the example calls it: the host (`ota run`, examples/ota_example), the bare-metal
 * firmware (examples/mcu_ota), the ESP-IDF example (examples/esp-idf/ota_example). Item 0: the
 * data partition CONFIG_DATA_PARTITION_LABEL from CONFIG_DATA_UPGRADE_URI with the example's own
 * tone-aware need_upgrade; item 1: the app from CONFIG_FIRMWARE_UPGRADE_URI, reboot_flag set. The
 * Kconfig values come in the config struct instead of sdkconfig.h. An empty URI drops its item.
 * A firmware that does not call it does not link it (its own object file).
 */
#ifndef OTA_ADF_EXAMPLE_H
#define OTA_ADF_EXAMPLE_H

#include <stdbool.h>

#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The example's Kconfig defaults (main/Kconfig.projbuild). */
#define OTA_EXAMPLE_DEFAULT_FIRMWARE_UPGRADE_URI "https://192.168.0.3:8070/hello-world.bin"
#define OTA_EXAMPLE_DEFAULT_DATA_UPGRADE_URI     "file://sdcard/flash_tone.bin"
#define OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL "flash_tone"

/** The example's Kconfig values the list is made of. */
typedef struct {
    const char *firmware_upgrade_uri; /**< CONFIG_FIRMWARE_UPGRADE_URI; NULL or "" = no app item */
    const char *data_upgrade_uri;     /**< CONFIG_DATA_UPGRADE_URI; NULL or "" = no data item */
    const char *data_partition_label; /**< CONFIG_DATA_PARTITION_LABEL */
    bool break_after_fail;            /**< both items; the example sets false */
} ota_adf_example_list_config_t;

/**
 * The example's upgrade list for @p cfg (data item first, then the app item), with its custom
 * tone need_upgrade (ota_adf_example_tone_need_upgrade) on the data item.
 * @return the number of items (0, 1 or 2); it cannot fail.
 */
int ota_adf_example_list_make(const ota_adf_example_list_config_t *cfg, ota_upgrade_ops_t list[2]);

/**
 * The example's audio_tone_need_upgrade(): upgrade a tone partition only when the incoming image
 * is a tone image and, if both it and the current one are format 1, its version is newer.
 * @return OTA_OK: upgrade (the bytes read are given back to the partition writer);
 *         OTA_ERR_VERSION_NOT_NEWER: the incoming version is not newer;
 *         OTA_ERR_VERSION_UNPARSEABLE: the incoming version is not a version number;
 *         OTA_ERR_NOT_FOUND: no data partition of that label;
 *         or the error of reading the stream or parsing the tone header or descriptor.
 */
int ota_adf_example_tone_need_upgrade(void *handle, ota_node_attr_t *node);

#ifdef __cplusplus
}
#endif
#endif /* OTA_ADF_EXAMPLE_H */
