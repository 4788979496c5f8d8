/* `ota boot` and `ota rollback`: reset a DEVICE (device_cli.h) and run the simulated second-stage
 * bootloader; its ESP-IDF style boot log is the output: stdout, or stderr with --json. */
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "device_cli.h"
#include "ota/ota_err.h"

static void boot_usage(FILE *out)
{
    fprintf(out, "Usage: ota boot [--json] DEVICE.bin\n"
                 "\n"
                 "Reset the device and run the simulated ESP-IDF second-stage bootloader: otadata\n"
                 "selection, rollback transitions (NEW -> PENDING_VERIFY, PENDING_VERIFY -> ABORTED),\n"
                 "anti-rollback, full image verification and fallback. Prints the boot log; the booted\n"
                 "slot becomes the running app (saved in DEVICE.bin.state).\n"
                 "\n"
                 "Options:\n"
                 "      --json   print the result as JSON (the boot log goes to stderr)\n"
                 "  -h, --help   show this help\n"
                 "\n"
                 "Exit status: 0 booted, 1 nothing can boot or the device is unreadable, 2 usage error.\n");
}

int cmd_boot(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f =
        device_start("boot", argc, argv, 1, boot_usage, DEVICE_LOG_IS_OUTPUT, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    rc = device_boot_and_report(f, a.json, NULL);
    ota_device_file_close(f);
    return rc;
}

static void rollback_usage(FILE *out)
{
    fprintf(out, "Usage: ota rollback [--json] DEVICE.bin\n"
                 "\n"
                 "esp_ota_mark_app_invalid_rollback_and_reboot: mark the running app INVALID (only if\n"
                 "another valid app can boot) and reset: prints the boot log of the previous app.\n"
                 "\n"
                 "Options:\n"
                 "      --json   print the result as JSON (the boot log goes to stderr)\n"
                 "  -h, --help   show this help\n"
                 "\n"
                 "Exit status: 0 rolled back and booted, 1 failed (no running app, no other valid app,\n"
                 "nothing can boot, the device unreadable), 2 usage error.\n");
}

int cmd_rollback(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f =
        device_start("rollback", argc, argv, 1, rollback_usage, DEVICE_LOG_IS_OUTPUT, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    ota_device_t *dev = ota_device_file_device(f);
    if (!device_require_running(dev, a.device)) {
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    char from[OTA_PARTITION_LABEL_MAX + 1];
    strcpy(from, ota_device_running(dev)->label);
    int err = ota_ops_mark_app_invalid_rollback(dev);
    if (err != OTA_OK) {
        out_t *o = out_object();
        out_str(o, "running", from);
        out_err(o, "error", err);
        out_emit(o, a.json, NULL, NULL); /* the text: the error below */
        if (err == OTA_ERR_ROLLBACK_FAILED) {
            cli_error("rollback not possible: no other valid app to go back to (%s stays)", from);
        } else {
            cli_error("cannot roll back %s: %s", from, ota_strerror(err));
        }
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    out_t *rollback = out_object();
    out_str(rollback, "invalidated", from);
    rc = device_boot_and_report(f, a.json, rollback);
    ota_device_file_close(f);
    return rc;
}
