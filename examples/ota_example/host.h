/**
 * @file host.h
 * @brief The "board" the OTA example runs on, on a Linux host: a device image file.
 *
 * It does what the hardware and the bootloader do around app_main: power on (run the simulated
 * bootloader if nothing is running yet), let the app confirm itself (what an ESP-IDF app with
 * rollback enabled does once it is up: esp_ota_mark_app_valid_cancel_rollback), run the example,
 * and implement esp_restart() as "run the bootloader again". The device's hardware state (which
 * app runs, eFuses) is saved to DEVICE.state afterwards.
 */
#ifndef OTA_EXAMPLE_HOST_H
#define OTA_EXAMPLE_HOST_H

#include <stdbool.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/sim/ota_device_file.h"
#include "ota_example.h"

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

/** Open the device, power on if needed, run the example, save the state. Returns OTA_OK when the
 * device could be run at all (see @p result for the outcome). */
int ota_example_host_run(const ota_example_host_options_t *opts, ota_example_host_result_t *result);

#endif /* OTA_EXAMPLE_HOST_H */
