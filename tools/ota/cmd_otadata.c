/* `ota set-boot` and `ota confirm`: the esp_ota_ops calls that write a DEVICE's otadata
 * (device_cli.h): choose the next boot partition, confirm the running app. */
#include "cli.h"
#include "commands.h"
#include "device_cli.h"
#include "ota/ota_err.h"

/* The text of a set-boot that succeeded: which slot boots next, and through which otadata entry. */
static void set_boot_text(const out_t *r, const void *ctx)
{
    const ota_partition_info_t *part = ctx;
    if (out_has(r, "error")) {
        return;
    }
    if (part->subtype == OTA_PART_SUBTYPE_APP_FACTORY) {
        printf("%s (0x%x) boots next: otadata erased\n", part->label, (unsigned)part->offset);
        return;
    }
    const out_t *otadata = out_get(r, "otadata");
    for (size_t i = 0; i < out_count(otadata); i++) {
        const out_t *e = out_at(otadata, i);
        if (out_get_bool(e, "active")) {
            printf("%s (0x%x) boots next: otadata[%d] seq %u %s\n", part->label, (unsigned)part->offset,
                   (int)out_get_int(e, "index"), (unsigned)out_get_int(e, "seq"), out_get_str(e, "state"));
        }
    }
}

static int set_boot_run(ota_device_file_t *f, const device_args_t *a)
{
    ota_device_t *dev = ota_device_file_device(f);
    const ota_partition_info_t *part = ota_partition_find_by_label(&dev->table, a->label);
    if (part == NULL) {
        cli_error("no partition '%s' in %s", a->label, a->device);
        return CLI_EXIT_FAIL;
    }
    int err = ota_ops_set_boot_partition(dev, part);
    out_t *r = out_object();
    out_str(r, "partition", part->label);
    out_int(r, "offset", part->offset);
    out_err(r, "error", err);
    out_put(r, "otadata", device_otadata(dev));
    out_emit(r, a->json, set_boot_text, part);
    if (err == OTA_ERR_NOT_AN_APP_SLOT) {
        cli_error("'%s' is not an app partition (factory or ota_N)", part->label);
    } else if (err == OTA_ERR_SECURE_VERSION) {
        cli_error("'%s' refused by anti-rollback: its secure_version is below the eFuse's (%u); the "
                  "partition was erased, as esp_ota_set_boot_partition does",
                  part->label, (unsigned)dev->efuse_secure_version);
    } else if (err != OTA_OK) {
        cli_error("cannot boot '%s': %s", part->label, ota_strerror(err));
    }
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static const device_command_t set_boot_command = {
    .name = "set-boot",
    .operands = "DEVICE.bin LABEL",
    .operand_count = 2,
    .about = "esp_ota_set_boot_partition: verify the image in app partition LABEL (chip, revision,\n"
             "checksum, SHA-256; with Secure Boot V2 or signed apps on, its signature by a trusted\n"
             "key), then make it the boot partition: a new otadata entry for an OTA\n"
             "slot (state NEW with rollback on), or erased otadata for the factory app. With\n"
             "anti-rollback, an image older than the eFuse secure version is erased and refused.\n",
    .json_help = "print the result as JSON",
    .exit_status = "0 LABEL boots next, 1 refused (no such partition, not an app slot, an\n"
                   "invalid image, no trusted signature, anti-rollback) or the device is unreadable,\n"
                   "2 usage error.\n",
    .route = DEVICE_LOG_TO_STDERR,
    .writable = true,
    .needs_running = false,
    .run = set_boot_run,
};

int cmd_set_boot(int argc, char **argv)
{
    return device_command_main(&set_boot_command, argc, argv);
}

static void confirm_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    if (!out_has(r, "error")) {
        const char *state = out_get_str(r, "state");
        printf("%s confirmed: state %s, eFuse secure version %u\n", out_get_str(r, "running"),
               state ? state : "?", (unsigned)out_get_int(r, "efuse_secure_version"));
    }
}

static int confirm_run(ota_device_file_t *f, const device_args_t *a)
{
    ota_device_t *dev = ota_device_file_device(f);
    const ota_partition_info_t *running = ota_device_running(dev);
    int err = ota_ops_mark_app_valid_cancel_rollback(dev);
    if (err == OTA_OK) {
        err = device_save(f);
    }
    uint32_t state = 0;
    char b[12];
    out_t *r = out_object();
    out_str(r, "running", running->label);
    out_str(r, "state",
            ota_ops_get_state_partition(dev, running, &state) == OTA_OK ? device_state_text(state, b) : NULL);
    out_int(r, "efuse_secure_version", dev->efuse_secure_version);
    out_err(r, "error", err);
    out_emit(r, a->json, confirm_text, NULL);
    if (err == OTA_ERR_INVALID_STATE) {
        cli_error("nothing to confirm: otadata selects no OTA app (the running firmware is the factory app)");
    } else if (err != OTA_OK) {
        cli_error("cannot confirm %s: %s", running->label, ota_strerror(err));
    }
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

static const device_command_t confirm_command = {
    .name = "confirm",
    .operands = "DEVICE.bin",
    .operand_count = 1,
    .about = "esp_ota_mark_app_valid_cancel_rollback: the running app's otadata entry becomes VALID\n"
             "(same sector, same seq); with anti-rollback the eFuse secure version is raised to the\n"
             "running app's. The device must have booted ('ota boot').\n",
    .json_help = "print the result as JSON",
    .exit_status = "0 confirmed, 1 failed (no running app, nothing to confirm, the device\n"
                   "unreadable or not written), 2 usage error.\n",
    .route = DEVICE_LOG_TO_STDERR,
    .writable = true,
    .needs_running = true,
    .run = confirm_run,
};

int cmd_confirm(int argc, char **argv)
{
    return device_command_main(&confirm_command, argc, argv);
}
