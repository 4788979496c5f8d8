/* The example's board on the host; see ota/sim/ota_example_host.h. */
#include "ota/sim/ota_example_host.h"

#include <stdio.h>
#include <string.h>

#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_update_features.h"

static const char *TAG = "host";

typedef struct {
    const ota_example_host_options_t *opts;
    ota_device_t *dev;
    ota_example_host_result_t *result;
} board_t;

static int power_on(board_t *b)
{
    ota_boot_result_t boot;
    int err = ota_bootloader_run(b->dev, &boot);
    b->result->boot_err = err;
    if (b->opts->on_boot != NULL) {
        b->opts->on_boot(b->opts->on_boot_ctx, err, &boot);
    }
    return err;
}

/* esp_restart(): the CPU resets, the bootloader picks the app. Called from the service. */
static void restart(void *arg)
{
    board_t *b = arg;
    ota_device_set_running(b->dev, NULL);
    power_on(b);
}

int ota_example_host_run(const ota_example_host_options_t *opts, ota_example_host_result_t *result)
{
    memset(result, 0, sizeof *result);
    ota_device_file_options_t dopts = {.emu = {.strict = true}};
    ota_device_file_t *file = NULL;
    char diag[256];
    int err = ota_device_file_open(opts->device_path, &dopts, &file, diag, sizeof diag);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot open device %s: %s", opts->device_path, diag[0] ? diag : ota_strerror(err));
        return err;
    }
    if (opts->on_open != NULL && (err = opts->on_open(opts->on_open_ctx, file)) != OTA_OK) {
        ota_device_file_close(file);
        return err;
    }
    board_t b = {.opts = opts, .dev = ota_device_file_device(file), .result = result};
    if (opts->reset_first) {
        ota_device_set_running(b.dev, NULL);
    }
    if (ota_device_running(b.dev) == NULL) {
        err = power_on(&b);
    }
    if (err == OTA_OK && !opts->no_confirm && b.dev->rollback_enabled) {
        uint32_t state = 0;
        const ota_partition_info_t *running = ota_device_running(b.dev);
        if (running != NULL && ota_partition_is_ota_app(running) &&
            ota_ops_get_state_partition(b.dev, running, &state) == OTA_OK &&
            state == OTA_IMG_PENDING_VERIFY) {
            OTA_LOGI(TAG, "%s passed its self-test: marking it valid (cancel rollback)", running->label);
            err = ota_ops_mark_app_valid_cancel_rollback(b.dev);
        }
    }
    if (err == OTA_OK) {
        ota_example_config_t cfg = opts->example;
        cfg.device = b.dev;
        cfg.features = &ota_update_features_all; /* the host links every feature */
        cfg.restart = restart;
        cfg.restart_ctx = &b;
        result->example_err = ota_example_app_main(&cfg, &result->summary);
    }
    if (opts->before_save != NULL) {
        opts->before_save(opts->on_open_ctx, file);
    }
    int save = ota_device_file_save(file);
    ota_device_file_close(file);
    return err != OTA_OK ? err : save;
}
