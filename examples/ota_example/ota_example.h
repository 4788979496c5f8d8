/**
 * @file ota_example.h
 * @brief ESP-ADF's OTA example (examples/ota/main/ota_example.c) on this library.
 *
 * ota_example_app_main() is the example's app_main: it creates the OTA service, sets the same
 * upgrade list (item 0: the data partition CONFIG_DATA_PARTITION_LABEL from
 * CONFIG_DATA_UPGRADE_URI with the example's own tone-aware need_upgrade; item 1: the app from
 * CONFIG_FIRMWARE_UPGRADE_URI, reboot_flag set) and waits for the service to finish. The
 * Kconfig values come in the config struct instead of sdkconfig.h. An empty URI drops its item.
 */
#ifndef OTA_EXAMPLE_H
#define OTA_EXAMPLE_H

#include <stdbool.h>

#include "ota/port/ota_source_posix.h"
#include "ota/ota_service.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The example's Kconfig defaults (main/Kconfig.projbuild). */
#define OTA_EXAMPLE_DEFAULT_FIRMWARE_UPGRADE_URI "https://192.168.0.3:8070/hello-world.bin"
#define OTA_EXAMPLE_DEFAULT_DATA_UPGRADE_URI     "file://sdcard/flash_tone.bin"
#define OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL "flash_tone"

typedef struct {
    ota_device_t *device;
    const char *firmware_upgrade_uri;  /**< CONFIG_FIRMWARE_UPGRADE_URI; NULL or "" = no app item */
    const char *data_upgrade_uri;      /**< CONFIG_DATA_UPGRADE_URI; NULL or "" = no data item */
    const char *data_partition_label;  /**< CONFIG_DATA_PARTITION_LABEL */
    bool force_check_firmware_version; /**< CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER */
    bool break_after_fail;             /**< both items; the example sets false */
    bool delta_allow_bare;             /**< the app URI may be a bare detools patch (no ESP header) */
    /** ESP-ADF esp_ota_service_check_update() on each item instead of the run (ota_service_adf.h):
     *  sources opened, checkers run, nothing erased; CHECK_UPDATE events to the observer */
    bool check_only;
    /** The optional update features the firmware links (ota_update_features.h); NULL: none */
    const struct ota_update_features *features;
    ota_source_posix_config_t source; /**< sdcard root ("the SD card mount"), TLS, timeouts */
    ota_event_cb_t observer;          /**< also gets every service event (may be NULL) */
    void *observer_ctx;
    void (*restart)(void *ctx); /**< esp_restart() of the board */
    void *restart_ctx;
} ota_example_config_t;

/**
 * The example's upgrade list for @p cfg (data item first, then the app item), with its custom
 * tone need_upgrade on the data item. Returns the number of items (0, 1 or 2).
 */
int ota_example_make_upgrade_list(const ota_example_config_t *cfg, ota_upgrade_ops_t list[2]);

/**
 * Run the example once. Returns OTA_OK unless an item failed (then the first failure's reason)
 * or the service could not start; @p summary (may be NULL) gets the totals.
 */
int ota_example_app_main(const ota_example_config_t *cfg, ota_service_summary_t *summary);

#ifdef __cplusplus
}
#endif
#endif /* OTA_EXAMPLE_H */
