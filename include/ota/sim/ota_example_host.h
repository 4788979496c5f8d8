/**
 * @file ota_example_host.h
 * @brief ESP-ADF's OTA example on a Linux host: its app_main, and the "board" it runs on (a device
 * image file). `ota run` and examples/ota_example are thin programs over it.
 *
 * ota_example_app_main() is the example's app_main: it creates the OTA service, sets the example's
 * upgrade list (ota_adf_example_list_make(), ota/ota_adf_example.h) and waits for the service to
 * finish. The Kconfig values come in the config struct instead of sdkconfig.h.
 *
 * The board (ota_example_host_run)
 * It does what the hardware and the bootloader do around app_main: power on (run the simulated
 * bootloader if nothing is running yet), let the app confirm itself (what an ESP-IDF app with
 * rollback enabled does once it is up: esp_ota_mark_app_valid_cancel_rollback), run the example,
 * and implement esp_restart() as "run the bootloader again". The device's hardware state (which
 * app runs, eFuses) is saved to DEVICE.state afterwards.
 */
#ifndef OTA_EXAMPLE_HOST_H
#define OTA_EXAMPLE_HOST_H

#include <stdbool.h>

#include "ota/ota_adf_example.h"
#include "ota/ota_service.h"
#include "ota/port/ota_source_posix.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/sim/ota_device_file.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    /** Set the service's upgrade list in place of the example's (e.g. a release manifest,
     *  ota_service_set_release); NULL: the example's list from the URIs above.
     *  @return the number of items set (> 0), or the negative error that ends the run before
     *          anything is written. */
    int (*set_list)(void *ctx, ota_service_t *service);
    void *set_list_ctx;
} ota_example_config_t;

/** ota_adf_example_list_make() with @p cfg's Kconfig values.
 * @return the number of items (0, 1 or 2). */
int ota_example_make_upgrade_list(const ota_example_config_t *cfg, ota_upgrade_ops_t list[2]);

/**
 * Run the example once; @p summary (may be NULL) gets the totals.
 * @return OTA_OK unless an item failed (then the first failure's reason) or the service could not
 *         start (its error); OTA_ERR_SVC_NO_LIST when both URIs are empty.
 */
int ota_example_app_main(const ota_example_config_t *cfg, ota_service_summary_t *summary);

typedef struct {
    const char *device_path;
    ota_example_config_t example; /**< device/restart fields are filled in by the host */
    bool reset_first;             /**< power-cycle before running (boot even if an app runs) */
    bool no_confirm;              /**< the app does not confirm itself (simulate a bad firmware) */
    /** Called after each boot (power-on and restart), e.g. to print it as JSON; may be NULL. */
    void (*on_boot)(void *ctx, int err, const ota_boot_result_t *boot);
    void *on_boot_ctx;
    /** Called once the device is open, before anything runs (e.g. this run's security options);
     *  an error ends the run. May be NULL. */
    int (*on_open)(void *ctx, ota_device_file_t *file);
    /** Called before the state file is saved (e.g. to take back what on_open changed). May be NULL. */
    void (*before_save)(void *ctx, ota_device_file_t *file);
    void *on_open_ctx;
} ota_example_host_options_t;

/** What happened, for the exit status. */
typedef struct {
    int boot_err;                  /**< last boot's result (OTA_OK if no boot was needed) */
    ota_service_summary_t summary; /**< the service's totals */
    int example_err;               /**< ota_example_app_main's return */
} ota_example_host_result_t;

/** Open the device, power on if needed, run the example, save the state.
 * @return OTA_OK when the device could be run at all (see @p result for the outcome); else the
 *         error of opening the device, of on_open, of booting, of confirming the app or of saving
 *         the state file. */
int ota_example_host_run(const ota_example_host_options_t *opts, ota_example_host_result_t *result);

#ifdef __cplusplus
}
#endif
#endif /* OTA_EXAMPLE_HOST_H */
