/* `ota boot` and `ota rollback`: reset a DEVICE (device_cli.h) and run the simulated second-stage
 * bootloader; its ESP-IDF style boot log is the output: stdout, or stderr with --json. */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "device_cli.h"
#include "ota/ota_err.h"

static int boot_run(ota_device_file_t *f, const device_args_t *a)
{
    return device_boot_and_report(f, a->json, NULL);
}

static const device_command_t boot_command = {
    .name = "boot",
    .operands = "DEVICE.bin",
    .operand_count = 1,
    .about = "Reset the device and run the simulated ESP-IDF second-stage bootloader: otadata\n"
             "selection, rollback transitions (NEW -> PENDING_VERIFY, PENDING_VERIFY -> ABORTED),\n"
             "anti-rollback, full image verification and fallback. Prints the boot log; the booted\n"
             "slot becomes the running app (saved in DEVICE.bin.state).\n",
    .json_help = "print the result as JSON (the boot log goes to stderr)",
    .exit_status = "0 booted, 1 nothing can boot or the device is unreadable, 2 usage error.\n",
    .route = DEVICE_LOG_IS_OUTPUT,
    .writable = true,
    .needs_running = false,
    .run = boot_run,
};

int cmd_boot(int argc, char **argv)
{
    return device_command_main(&boot_command, argc, argv);
}

static int rollback_run(ota_device_file_t *f, const device_args_t *a)
{
    ota_device_t *dev = ota_device_file_device(f);
    char from[OTA_PARTITION_LABEL_MAX + 1];
    strcpy(from, ota_device_running(dev)->label);
    int err = ota_ops_mark_app_invalid_rollback(dev);
    if (err != OTA_OK) {
        out_t *o = out_object();
        out_str(o, "running", from);
        out_err(o, "error", err);
        out_emit(o, a->json, NULL, NULL); /* the text: the error below */
        if (err == OTA_ERR_ROLLBACK_FAILED) {
            cli_error("rollback not possible: no other valid app to go back to (%s stays)", from);
        } else {
            cli_error("cannot roll back %s: %s", from, ota_strerror(err));
        }
        return CLI_EXIT_FAIL;
    }
    out_t *rollback = out_object();
    out_str(rollback, "invalidated", from);
    return device_boot_and_report(f, a->json, rollback);
}

static const device_command_t rollback_command = {
    .name = "rollback",
    .operands = "DEVICE.bin",
    .operand_count = 1,
    .about = "esp_ota_mark_app_invalid_rollback_and_reboot: mark the running app INVALID (only if\n"
             "another valid app can boot) and reset: prints the boot log of the previous app.\n",
    .json_help = "print the result as JSON (the boot log goes to stderr)",
    .exit_status = "0 rolled back and booted, 1 failed (no running app, no other valid app,\n"
                   "nothing can boot, the device unreadable), 2 usage error.\n",
    .route = DEVICE_LOG_IS_OUTPUT,
    .writable = true,
    .needs_running = true,
    .run = rollback_run,
};

int cmd_rollback(int argc, char **argv)
{
    return device_command_main(&rollback_command, argc, argv);
}
