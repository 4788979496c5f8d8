/* What the device commands share (device_cli.h). */
#include "device_cli.h"

#include "cli.h"
#include "image_report.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"

ota_device_file_t *device_open(const char *path, bool writable)
{
    ota_device_file_options_t o = {.readonly = !writable, .emu = {.strict = true}};
    ota_device_file_t *f = NULL;
    char diag[480] = "";
    int err = ota_device_file_open(path, &o, &f, diag, sizeof diag);
    if (err != OTA_OK) {
        cli_error("%s", diag[0] ? diag : ota_strerror(err));
        return NULL;
    }
    return f;
}

/* The command whose usage --help and usage errors print (one command runs per process). */
static const device_command_t *usage_command;

static void device_usage(FILE *out)
{
    const device_command_t *c = usage_command;
    fprintf(out,
            "Usage: ota %s [--json] %s\n"
            "\n"
            "%s"
            "\n"
            "Options:\n"
            "      --json   %s\n"
            "  -h, --help   show this help\n"
            "\n"
            "Exit status: %s",
            c->name, c->operands, c->about, c->json_help, c->exit_status);
}

int device_command_main(const device_command_t *c, int argc, char **argv)
{
    usage_command = c;
    cli_args_t args = {.command = c->name, .usage = device_usage};
    if (!cli_parse_plain(&args, argc, argv, true, c->operand_count, c->operand_count, "missing argument")) {
        return args.status;
    }
    device_args_t a = {
        .json = args.json,
        .device = argv[optind],
        .label = c->operand_count > 1 ? argv[optind + 1] : NULL,
    };
    cli_setup_log(c->route == DEVICE_LOG_IS_OUTPUT && !a.json ? stdout : stderr, false,
                  c->route == DEVICE_LOG_ERRORS_ONLY);
    ota_device_file_t *f = device_open(a.device, c->writable);
    if (f == NULL) {
        return CLI_EXIT_FAIL;
    }
    int rc;
    if (c->needs_running && ota_device_running(ota_device_file_device(f)) == NULL) {
        cli_error("%s is not running an app: run 'ota boot %s' first", a.device, a.device);
        rc = CLI_EXIT_FAIL;
    } else {
        rc = c->run(f, &a);
    }
    ota_device_file_close(f);
    return rc;
}

int device_save(ota_device_file_t *f)
{
    int err = ota_device_file_save(f);
    if (err != OTA_OK) {
        cli_error("cannot write %s: %s", ota_device_file_state_path(f), ota_strerror(err));
    }
    return err;
}

const char *device_state_text(uint32_t state, char buf[12])
{
    return ota_otadata_state_name(state, buf);
}

out_t *device_otadata(const ota_device_t *dev)
{
    ota_otadata_entry_t e[2];
    if (ota_device_otadata(dev) == NULL || ota_ops_read_otadata(dev, e) != OTA_OK) {
        return NULL;
    }
    out_t *arr = out_array();
    uint32_t count = ota_device_ota_slot_count(dev);
    int active = ota_otadata_active(e);
    for (int i = 0; i < 2; i++) {
        char b[12];
        bool blank = e[i].ota_seq == OTA_OTADATA_SEQ_BLANK;
        const ota_partition_info_t *slot =
            count > 0 && !blank ? ota_device_ota_slot(dev, ota_otadata_slot(e[i].ota_seq, count)) : NULL;
        out_t *o = out_obj(arr, NULL);
        out_int(o, "index", i);
        out_int(o, "seq", e[i].ota_seq);
        out_str(o, "state", device_state_text(e[i].ota_state, b));
        out_int(o, "state_value", e[i].ota_state);
        out_int(o, "crc", e[i].crc);
        out_bool(o, "crc_valid", ota_otadata_entry_crc_ok(&e[i]));
        out_bool(o, "blank", blank);
        out_bool(o, "valid", ota_otadata_entry_is_valid(&e[i]));
        out_bool(o, "active", i == active);
        out_str(o, "slot", slot ? slot->label : NULL);
    }
    return arr;
}

static out_t *boot_result(const ota_device_t *dev, int err, const ota_boot_result_t *r)
{
    out_t *o = out_object();
    bool booted = err == OTA_OK && r->partition != NULL;
    out_str(o, "booted", booted ? r->partition->label : NULL);
    if (booted) {
        out_int(o, "offset", r->partition->offset);
        out_int(o, "index", r->index);
        out_put(o, "app", r->image.app_desc_valid ? image_report_app_desc_json(&r->image.app_desc) : NULL);
    }
    /* a failed boot with no error code (nothing selected) still reports an error object */
    booted ? out_null(o, "error") : out_err_msg(o, "error", err, NULL);
    out_int(o, "selected_index", r->selected_index);
    out_bool(o, "fell_back", r->fell_back);
    out_bool(o, "otadata_written", r->otadata_written);
    out_bool(o, "efuse_burned", r->efuse_burned);
    out_int(o, "efuse_secure_version", dev->efuse_secure_version);
    return o;
}

int device_boot_and_report(ota_device_file_t *f, bool json, out_t *rollback)
{
    ota_device_t *dev = ota_device_file_device(f);
    ota_boot_result_t r;
    int err = ota_bootloader_run(dev, &r);
    int saved = device_save(f);
    out_t *result = boot_result(dev, err, &r);
    if (rollback != NULL) {
        out_put(result, "rollback", rollback);
    }
    out_emit(result, json, NULL, NULL); /* the text is the boot log, printed as it booted */
    if (err == OTA_ERR_NO_BOOTABLE_APP) {
        cli_error("nothing can boot: no app partition holds a valid image for this device "
                  "(chip %s v%u.%u, eFuse secure version %u)",
                  ota_chip_display_name(dev->chip_id), dev->chip_revision / 100u, dev->chip_revision % 100u,
                  (unsigned)dev->efuse_secure_version);
        return CLI_EXIT_FAIL;
    }
    if (err != OTA_OK) {
        cli_error("boot failed: %s", ota_strerror(err));
        return CLI_EXIT_FAIL;
    }
    return saved == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
