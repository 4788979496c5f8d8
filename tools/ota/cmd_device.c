/* Device commands: `ota info`, `ota boot`, `ota set-boot`, `ota confirm`, `ota rollback`.
 * A DEVICE is a flash image file plus its DEVICE.state sidecar (ota_device_file.h). For `boot` and
 * `rollback` the ESP-IDF style boot log is the output: stdout, or stderr with --json. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "image_report.h"
#include "ota/sim/ota_bootloader.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "formats/ota_install_journal.h"
#include "ota/ota_ops.h"

/* --- shared ------------------------------------------------------------------------------------- */

typedef struct {
    bool json;
    const char *device;
    const char *label; /* set-boot */
} device_args_t;

static ota_device_file_t *open_device(const char *path, bool writable)
{
    ota_device_file_options_t o = {.readonly = !writable, .emu = {.strict = true}};
    ota_device_file_t *f = NULL;
    char diag[320] = "";
    int err = ota_device_file_open(path, &o, &f, diag, sizeof diag);
    if (err != OTA_OK) {
        cli_error("%s", diag[0] ? diag : ota_strerror(err));
        return NULL;
    }
    return f;
}

/* Log routing of a device command: the boot log is the output of `boot` and `rollback` (stdout,
 * stderr with --json); the others log to stderr, `info` errors only. */
typedef enum {
    LOG_IS_OUTPUT,
    LOG_TO_STDERR,
    LOG_ERRORS_ONLY
} log_route_t;

/* The common start of a device command: parse the arguments, route the log, open the device.
 * NULL when the command ends here, with *rc its exit status (0 after --help). */
static ota_device_file_t *start_command(const char *command, int argc, char **argv, int positional,
                                        void (*usage)(FILE *), log_route_t route, bool writable,
                                        device_args_t *a, int *rc)
{
    cli_args_t args = {.command = command, .usage = usage};
    memset(a, 0, sizeof *a);
    if (!cli_parse_plain(&args, argc, argv, true, positional, positional, "missing argument")) {
        *rc = args.status;
        return NULL;
    }
    a->json = args.json;
    a->device = argv[optind];
    a->label = positional > 1 ? argv[optind + 1] : NULL;
    cli_setup_log(route == LOG_IS_OUTPUT && !a->json ? stdout : stderr, false, route == LOG_ERRORS_ONLY);
    ota_device_file_t *f = open_device(a->device, writable);
    *rc = f != NULL ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    return f;
}

static int save_device(ota_device_file_t *f)
{
    int err = ota_device_file_save(f);
    if (err != OTA_OK) {
        cli_error("cannot write %s: %s", ota_device_file_state_path(f), ota_strerror(err));
    }
    return err;
}

static const char *state_text(uint32_t state, char buf[12])
{
    return ota_otadata_state_name(state, buf);
}

static cJSON *boot_result_json(const ota_device_t *dev, int err, const ota_boot_result_t *r)
{
    cJSON *o = cJSON_CreateObject();
    if (err == OTA_OK && r->partition != NULL) {
        cli_json_add_string(o, "booted", r->partition->label);
        cJSON_AddNumberToObject(o, "offset", r->partition->offset);
        cJSON_AddNumberToObject(o, "index", r->index);
        cJSON_AddItemToObject(o, "app",
                              r->image.app_desc_valid ? image_report_app_desc_json(&r->image.app_desc)
                                                      : cJSON_CreateNull());
        cJSON_AddNullToObject(o, "error");
    } else {
        cJSON_AddNullToObject(o, "booted");
        cJSON_AddItemToObject(o, "error", cli_json_error(err, NULL));
    }
    cJSON_AddNumberToObject(o, "selected_index", r->selected_index);
    cJSON_AddBoolToObject(o, "fell_back", r->fell_back);
    cJSON_AddBoolToObject(o, "otadata_written", r->otadata_written);
    cJSON_AddBoolToObject(o, "efuse_burned", r->efuse_burned);
    cJSON_AddNumberToObject(o, "efuse_secure_version", dev->efuse_secure_version);
    return o;
}

/* Run the bootloader, save the state, report; returns the exit status. */
static int boot_and_report(ota_device_file_t *f, bool json, cJSON *extra)
{
    ota_device_t *dev = ota_device_file_device(f);
    ota_boot_result_t r;
    int err = ota_bootloader_run(dev, &r);
    int saved = save_device(f);
    if (json) {
        cJSON *o = boot_result_json(dev, err, &r);
        if (extra != NULL) {
            cJSON_AddItemToObject(o, "rollback", extra);
        }
        cli_json_print(o);
    } else {
        cJSON_Delete(extra);
    }
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

/* --- ota boot ----------------------------------------------------------------------------------- */

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
    ota_device_file_t *f = start_command("boot", argc, argv, 1, boot_usage, LOG_IS_OUTPUT, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    rc = boot_and_report(f, a.json, NULL);
    ota_device_file_close(f);
    return rc;
}

/* --- ota set-boot ------------------------------------------------------------------------------- */

static void set_boot_usage(FILE *out)
{
    fprintf(out, "Usage: ota set-boot [--json] DEVICE.bin LABEL\n"
                 "\n"
                 "esp_ota_set_boot_partition: verify the image in app partition LABEL (chip, revision,\n"
                 "checksum, SHA-256; with Secure Boot V2 or signed apps on, its signature by a trusted\n"
                 "key), then make it the boot partition: a new otadata entry for an OTA\n"
                 "slot (state NEW with rollback on), or erased otadata for the factory app. With\n"
                 "anti-rollback, an image older than the eFuse secure version is erased and refused.\n"
                 "\n"
                 "Options:\n"
                 "      --json   print the result as JSON\n"
                 "  -h, --help   show this help\n"
                 "\n"
                 "Exit status: 0 LABEL boots next, 1 refused (no such partition, not an app slot, an\n"
                 "invalid image, no trusted signature, anti-rollback) or the device is unreadable,\n"
                 "2 usage error.\n");
}

static cJSON *otadata_json(const ota_device_t *dev, const ota_otadata_entry_t e[2])
{
    cJSON *arr = cJSON_CreateArray();
    uint32_t count = ota_device_ota_slot_count(dev);
    int active = ota_otadata_active(e);
    for (int i = 0; i < 2; i++) {
        char b[12];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", i);
        cJSON_AddNumberToObject(o, "seq", e[i].ota_seq);
        cli_json_add_string(o, "state", state_text(e[i].ota_state, b));
        cJSON_AddNumberToObject(o, "state_value", e[i].ota_state);
        cJSON_AddNumberToObject(o, "crc", e[i].crc);
        cJSON_AddBoolToObject(o, "crc_valid", ota_otadata_entry_crc_ok(&e[i]));
        cJSON_AddBoolToObject(o, "blank", e[i].ota_seq == OTA_OTADATA_SEQ_BLANK);
        cJSON_AddBoolToObject(o, "valid", ota_otadata_entry_is_valid(&e[i]));
        cJSON_AddBoolToObject(o, "active", i == active);
        const ota_partition_info_t *slot =
            count > 0 && e[i].ota_seq != OTA_OTADATA_SEQ_BLANK
                ? ota_device_ota_slot(dev, ota_otadata_slot(e[i].ota_seq, count))
                : NULL;
        slot ? cli_json_add_string(o, "slot", slot->label) : cJSON_AddNullToObject(o, "slot");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

int cmd_set_boot(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f =
        start_command("set-boot", argc, argv, 2, set_boot_usage, LOG_TO_STDERR, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    ota_device_t *dev = ota_device_file_device(f);
    const ota_partition_info_t *part = ota_partition_find_by_label(&dev->table, a.label);
    int err;
    if (part == NULL) {
        cli_error("no partition '%s' in %s", a.label, a.device);
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    err = ota_ops_set_boot_partition(dev, part);
    ota_otadata_entry_t e[2];
    bool have_otadata = ota_device_otadata(dev) != NULL && ota_ops_read_otadata(dev, e) == OTA_OK;
    if (a.json) {
        cJSON *o = cJSON_CreateObject();
        cli_json_add_string(o, "partition", part->label);
        cJSON_AddNumberToObject(o, "offset", part->offset);
        cli_json_add_error(o, err);
        cJSON_AddItemToObject(o, "otadata", have_otadata ? otadata_json(dev, e) : cJSON_CreateNull());
        cli_json_print(o);
    }
    if (err == OTA_ERR_NOT_AN_APP_SLOT) {
        cli_error("'%s' is not an app partition (factory or ota_N)", part->label);
    } else if (err == OTA_ERR_SECURE_VERSION) {
        cli_error("'%s' refused by anti-rollback: its secure_version is below the eFuse's (%u); the "
                  "partition was erased, as esp_ota_set_boot_partition does",
                  part->label, (unsigned)dev->efuse_secure_version);
    } else if (err != OTA_OK) {
        cli_error("cannot boot '%s': %s", part->label, ota_strerror(err));
    } else if (!a.json) {
        if (part->subtype == OTA_PART_SUBTYPE_APP_FACTORY) {
            printf("%s (0x%x) boots next: otadata erased\n", part->label, (unsigned)part->offset);
        } else {
            int active = have_otadata ? ota_otadata_active(e) : -1;
            char b[12];
            if (active >= 0) {
                printf("%s (0x%x) boots next: otadata[%d] seq %u %s\n", part->label, (unsigned)part->offset,
                       active, (unsigned)e[active].ota_seq, state_text(e[active].ota_state, b));
            }
        }
    }
    ota_device_file_close(f);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- ota confirm / ota rollback ------------------------------------------------------------------ */

static void confirm_usage(FILE *out)
{
    fprintf(out, "Usage: ota confirm [--json] DEVICE.bin\n"
                 "\n"
                 "esp_ota_mark_app_valid_cancel_rollback: the running app's otadata entry becomes VALID\n"
                 "(same sector, same seq); with anti-rollback the eFuse secure version is raised to the\n"
                 "running app's. The device must have booted ('ota boot').\n"
                 "\n"
                 "Options:\n"
                 "      --json   print the result as JSON\n"
                 "  -h, --help   show this help\n"
                 "\n"
                 "Exit status: 0 confirmed, 1 failed (no running app, nothing to confirm, the device\n"
                 "unreadable or not written), 2 usage error.\n");
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

static bool require_running(const ota_device_t *dev, const char *path)
{
    if (ota_device_running(dev) == NULL) {
        cli_error("%s is not running an app: run 'ota boot %s' first", path, path);
        return false;
    }
    return true;
}

int cmd_confirm(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f =
        start_command("confirm", argc, argv, 1, confirm_usage, LOG_TO_STDERR, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    ota_device_t *dev = ota_device_file_device(f);
    if (!require_running(dev, a.device)) {
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    const ota_partition_info_t *running = ota_device_running(dev);
    int err = ota_ops_mark_app_valid_cancel_rollback(dev);
    if (err == OTA_OK) {
        err = save_device(f);
    }
    uint32_t state = 0;
    bool have_state = ota_ops_get_state_partition(dev, running, &state) == OTA_OK;
    char b[12];
    if (a.json) {
        cJSON *o = cJSON_CreateObject();
        cli_json_add_string(o, "running", running->label);
        have_state ? cli_json_add_string(o, "state", state_text(state, b))
                   : cJSON_AddNullToObject(o, "state");
        cJSON_AddNumberToObject(o, "efuse_secure_version", dev->efuse_secure_version);
        cli_json_add_error(o, err);
        cli_json_print(o);
    }
    if (err == OTA_ERR_INVALID_STATE) {
        cli_error("nothing to confirm: otadata selects no OTA app (the running firmware is the factory app)");
    } else if (err != OTA_OK) {
        cli_error("cannot confirm %s: %s", running->label, ota_strerror(err));
    } else if (!a.json) {
        printf("%s confirmed: state %s, eFuse secure version %u\n", running->label,
               have_state ? state_text(state, b) : "?", (unsigned)dev->efuse_secure_version);
    }
    ota_device_file_close(f);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_rollback(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f =
        start_command("rollback", argc, argv, 1, rollback_usage, LOG_IS_OUTPUT, true, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    ota_device_t *dev = ota_device_file_device(f);
    if (!require_running(dev, a.device)) {
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    char from[OTA_PARTITION_LABEL_MAX + 1];
    strcpy(from, ota_device_running(dev)->label);
    int err = ota_ops_mark_app_invalid_rollback(dev);
    if (err != OTA_OK) {
        if (a.json) {
            cJSON *o = cJSON_CreateObject();
            cli_json_add_string(o, "running", from);
            cli_json_add_error(o, err);
            cli_json_print(o);
        }
        if (err == OTA_ERR_ROLLBACK_FAILED) {
            cli_error("rollback not possible: no other valid app to go back to (%s stays)", from);
        } else {
            cli_error("cannot roll back %s: %s", from, ota_strerror(err));
        }
        ota_device_file_close(f);
        return CLI_EXIT_FAIL;
    }
    cJSON *extra = cJSON_CreateObject();
    cli_json_add_string(extra, "invalidated", from);
    rc = boot_and_report(f, a.json, extra);
    ota_device_file_close(f);
    return rc;
}

/* --- ota info ------------------------------------------------------------------------------------- */

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: ota info [--json] DEVICE.bin\n"
                 "\n"
                 "Show a device: chip and eFuse state, the second-stage bootloader in flash (chip,\n"
                 "address, flash settings, ESP-IDF version), partition table and its offset, both\n"
                 "otadata entries (seq, state, CRC), every app slot's image (valid or why not,\n"
                 "version, project, secure version, otadata state), the running app and what the\n"
                 "bootloader would boot next.\n"
                 "Changes nothing.\n"
                 "\n"
                 "Options:\n"
                 "      --json   print the same as one JSON document\n"
                 "  -h, --help   show this help\n"
                 "\n"
                 "Exit status: 0 shown, 1 the device is unreadable, 2 usage error.\n");
}

/* The second-stage bootloader in flash, in esptool image_info's words. */
static cJSON *bootloader_json(const ota_bootloader_image_info_t *bl)
{
    cJSON *o = cJSON_CreateObject();
    const ota_chip_info_t *chip = ota_chip_info(bl->chip_id);
    cli_json_add_string(o, "chip", chip ? chip->name : "unknown");
    cJSON_AddNumberToObject(o, "chip_id", bl->chip_id);
    cJSON_AddNumberToObject(o, "offset", bl->offset);
    cJSON_AddNumberToObject(o, "flash_size", bl->flash_size);
    const char *mode = ota_image_flash_mode_name(bl->spi_mode);
    const char *freq = ota_image_flash_freq_name(bl->chip_id, bl->spi_speed);
    mode ? cli_json_add_string(o, "flash_mode", mode) : cJSON_AddNullToObject(o, "flash_mode");
    freq ? cli_json_add_string(o, "flash_freq", freq) : cJSON_AddNullToObject(o, "flash_freq");
    cJSON_AddNumberToObject(o, "entry", bl->entry_addr);
    if (bl->has_desc) {
        cJSON_AddNumberToObject(o, "version", bl->desc_version);
        cli_json_add_string(o, "idf_ver", bl->idf_ver);
        cli_json_add_string(o, "date_time", bl->date_time);
        cJSON_AddNumberToObject(o, "secure_version", bl->desc_secure_version);
    } else {
        cJSON_AddNullToObject(o, "idf_ver");
    }
    return o;
}

/* An install the service left unfinished (power cut, kill): the slot's first sector holds its
 * journal (ota_install_journal.h), not an image. How far it got: the last whole checkpoint. */
typedef struct {
    uint32_t bytes_written; /* 0: no checkpoint yet */
    uint32_t total_size;    /* OTA_JOURNAL_UNKNOWN_SIZE: unknown */
} interrupted_install_t;

static bool read_interrupted_install(const ota_device_t *dev, const ota_partition_info_t *p,
                                     interrupted_install_t *out)
{
    uint8_t *sector = malloc(OTA_FLASH_SECTOR_SIZE);
    ota_journal_header_t h;
    if (sector == NULL || p->size < OTA_FLASH_SECTOR_SIZE ||
        ota_flash_read(dev->flash, p->offset, sector, OTA_FLASH_SECTOR_SIZE) != OTA_OK ||
        ota_journal_header_decode(sector, &h) != OTA_OK) {
        free(sector);
        return false;
    }
    out->bytes_written = 0;
    out->total_size = h.staged ? OTA_JOURNAL_UNKNOWN_SIZE : h.total_size;
    for (uint32_t off = OTA_JOURNAL_RECORDS_OFFSET; off + OTA_JOURNAL_RECORD_SIZE <= OTA_FLASH_SECTOR_SIZE;
         off += OTA_JOURNAL_RECORD_SIZE) {
        ota_journal_checkpoint_t cp;
        int err = ota_journal_record_decode(sector + off, &cp);
        if (err == OTA_ERR_NOT_FOUND) {
            break; /* an erased slot ends the list; torn and stage slots are skipped */
        }
        if (err == OTA_OK) {
            out->bytes_written = cp.bytes_written;
        }
    }
    free(sector);
    return true;
}

static void print_bootloader(const ota_bootloader_image_info_t *bl)
{
    const char *mode = ota_image_flash_mode_name(bl->spi_mode);
    const char *freq = ota_image_flash_freq_name(bl->chip_id, bl->spi_speed);
    const char *size = ota_image_flash_size_name(bl->spi_size);
    printf("Bootloader: %s image at 0x%x (flash %s %s %s)", ota_chip_display_name(bl->chip_id),
           (unsigned)bl->offset, size ? size : "?", mode ? mode : "?", freq ? freq : "?");
    if (bl->has_desc) {
        printf(", ESP-IDF: %s, bootloader version %u, compile time %s", bl->idf_ver,
               (unsigned)bl->desc_version, bl->date_time);
    }
    printf("\n");
}

/* The security settings (ota_device.h): eFuses and Kconfig, as `ota efuse` / `ota config` set them. */
static cJSON *security_json(ota_device_file_t *f, const ota_device_t *dev)
{
    const ota_device_security_t *sec = &dev->security;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "secure_boot_v2", sec->secure_boot_v2);
    cJSON_AddBoolToObject(o, "signed_apps_no_secure_boot", sec->signed_apps_on_update);
    cJSON *keys = cJSON_AddArrayToObject(o, "key_digests");
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        cJSON *k = cJSON_CreateObject();
        char hex[65] = "";
        cli_hex(sec->key_digest[i], 32, hex);
        sec->key_digest_set[i] ? cli_json_add_string(k, "digest", hex) : cJSON_AddNullToObject(k, "digest");
        cJSON_AddBoolToObject(k, "revoked", sec->key_revoked[i]);
        cJSON_AddItemToArray(keys, k);
    }
    cJSON *sd = cJSON_AddArrayToObject(o, "signed_data_partitions");
    for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX && sec->signed_data[i][0] != '\0'; i++) {
        cJSON_AddItemToArray(sd, cJSON_CreateString(sec->signed_data[i]));
    }
    const char *kp = ota_device_file_decrypt_key_path(f);
    if (kp[0] != '\0') {
        cJSON *d = cJSON_AddObjectToObject(o, "decrypt_key");
        cli_json_add_string(d, "scheme",
                            sec->decrypt_key.scheme == OTA_ENC_SCHEME_ECIES_P256 ? "ecies" : "rsa3072");
        cli_json_add_string(d, "file", kp);
    } else {
        cJSON_AddNullToObject(o, "decrypt_key");
    }
    return o;
}

static void print_security(ota_device_file_t *f, const ota_device_t *dev)
{
    const ota_device_security_t *sec = &dev->security;
    printf("Secure Boot V2: %s; signed apps without secure boot: %s\n",
           sec->secure_boot_v2 ? "enabled" : "disabled", sec->signed_apps_on_update ? "on" : "off");
    for (unsigned i = 0; i < OTA_DEVICE_KEY_DIGESTS; i++) {
        if (sec->key_digest_set[i] || sec->key_revoked[i]) {
            char hex[65] = "";
            cli_hex(sec->key_digest[i], 32, hex);
            printf("  KEY_DIGEST%u: %s%s\n", i, sec->key_digest_set[i] ? hex : "(not burned)",
                   sec->key_revoked[i] ? " (revoked)" : "");
        }
    }
    if (sec->signed_data[0][0] != '\0') {
        printf("Signed data partitions:");
        for (unsigned i = 0; i < OTA_DEVICE_SIGNED_DATA_MAX && sec->signed_data[i][0] != '\0'; i++) {
            printf(" %s", sec->signed_data[i]);
        }
        printf(" (and any data subtype 0x06)\n");
    }
    const char *kp = ota_device_file_decrypt_key_path(f);
    if (kp[0] != '\0') {
        printf("Decrypt key (esp_encrypted_img): %s %s\n",
               sec->decrypt_key.scheme == OTA_ENC_SCHEME_ECIES_P256 ? "ecies" : "rsa3072", kp);
    }
}

int cmd_info(int argc, char **argv)
{
    device_args_t a;
    int rc;
    ota_device_file_t *f = start_command("info", argc, argv, 1, info_usage, LOG_ERRORS_ONLY, false, &a, &rc);
    if (f == NULL) {
        return rc;
    }
    ota_device_t *dev = ota_device_file_device(f);
    const ota_partition_info_t *running = ota_device_running(dev);
    const char *stale = ota_device_file_stale_running(f);
    const ota_chip_info_t *chip = ota_chip_info(dev->chip_id);
    char rev[16], b[12];
    image_report_revision(dev->chip_revision, rev);

    ota_otadata_entry_t e[2];
    bool have_otadata = ota_device_otadata(dev) != NULL && ota_ops_read_otadata(dev, e) == OTA_OK;
    ota_boot_result_t next;
    int next_err = ota_bootloader_predict(dev, &next);
    uint32_t count = ota_device_ota_slot_count(dev);
    ota_bootloader_image_info_t bl;
    bool have_bl = ota_device_probe_bootloader(dev->flash, &bl) == OTA_OK;

    cJSON *root = a.json ? cJSON_CreateObject() : NULL;
    cJSON *apps = NULL;
    if (root != NULL) {
        cli_json_add_string(root, "device", a.device);
        cJSON_AddNumberToObject(root, "flash_size", dev->flash->size);
        cJSON_AddNumberToObject(root, "table_offset", dev->table_offset);
        cJSON_AddItemToObject(root, "bootloader", have_bl ? bootloader_json(&bl) : cJSON_CreateNull());
        cli_json_add_string(root, "chip", chip ? chip->name : "unknown");
        cJSON_AddNumberToObject(root, "chip_id", dev->chip_id);
        cli_json_add_string(root, "chip_revision", rev);
        cJSON_AddNumberToObject(root, "efuse_secure_version", dev->efuse_secure_version);
        cJSON_AddBoolToObject(root, "rollback", dev->rollback_enabled);
        cJSON_AddBoolToObject(root, "anti_rollback", dev->anti_rollback_enabled);
        running ? cli_json_add_string(root, "running", running->label)
                : cJSON_AddNullToObject(root, "running");
        /* the state file's running app that is not in flash: not running, and said so */
        stale ? cli_json_add_string(root, "running_not_in_flash", stale)
              : cJSON_AddNullToObject(root, "running_not_in_flash");
        cJSON_AddItemToObject(root, "security", security_json(f, dev));
        cJSON *parts = cJSON_AddArrayToObject(root, "partitions");
        for (size_t i = 0; i < dev->table.count; i++) {
            const ota_partition_info_t *p = &dev->table.entries[i];
            cJSON *o = cJSON_CreateObject();
            cli_json_add_string(o, "label", p->label);
            cJSON_AddNumberToObject(o, "type", p->type);
            cJSON_AddNumberToObject(o, "subtype", p->subtype);
            cJSON_AddNumberToObject(o, "offset", p->offset);
            cJSON_AddNumberToObject(o, "size", p->size);
            cli_json_add_string(o, "usage", ota_bootloader_partition_usage(p));
            cJSON_AddItemToArray(parts, o);
        }
        cJSON_AddItemToObject(root, "otadata", have_otadata ? otadata_json(dev, e) : cJSON_CreateNull());
        apps = cJSON_AddArrayToObject(root, "apps");
    } else {
        printf("Device: %s (%u KiB flash)\n", a.device, (unsigned)(dev->flash->size / 1024));
        printf("Chip: %s revision %s\n", chip ? chip->display_name : "unknown", rev);
        if (have_bl) {
            print_bootloader(&bl);
        } else {
            printf("Bootloader: none found at 0x0, 0x1000 or 0x2000\n");
        }
        printf("eFuse secure version: %u\n", (unsigned)dev->efuse_secure_version);
        printf("Rollback: %s, anti-rollback: %s\n", dev->rollback_enabled ? "on" : "off",
               dev->anti_rollback_enabled && dev->rollback_enabled ? "on" : "off");
        if (running != NULL) {
            printf("Running: %s\n", running->label);
        } else if (stale != NULL) {
            printf("Running: nothing (%s said %s, which holds no valid app; not booted: run 'ota boot')\n",
                   ota_device_file_state_path(f), stale);
        } else {
            printf("Running: nothing (not booted; run 'ota boot')\n");
        }
        print_security(f, dev);
        printf("\nPartition table (0x%x):\n", (unsigned)dev->table_offset);
        printf("## Label            Usage            Type ST Offset   Length\n");
        for (size_t i = 0; i < dev->table.count; i++) {
            const ota_partition_info_t *p = &dev->table.entries[i];
            printf("%2d %-16s %-16s %02x %02x %08x %08x\n", (int)i, p->label,
                   ota_bootloader_partition_usage(p), p->type, p->subtype, (unsigned)p->offset,
                   (unsigned)p->size);
        }
        if (have_otadata) {
            int active = ota_otadata_active(e);
            printf("\notadata (0x%x):\n", (unsigned)ota_device_otadata(dev)->offset);
            for (int i = 0; i < 2; i++) {
                const ota_partition_info_t *slot =
                    count > 0 && e[i].ota_seq != OTA_OTADATA_SEQ_BLANK
                        ? ota_device_ota_slot(dev, ota_otadata_slot(e[i].ota_seq, count))
                        : NULL;
                const char *crc = e[i].ota_seq == OTA_OTADATA_SEQ_BLANK ? "blank"
                                  : ota_otadata_entry_crc_ok(&e[i])     ? "crc ok"
                                                                        : "crc BAD";
                printf("  [%d] seq %-10u state %-14s crc 0x%08x %-7s -> %-8s%s\n", i, (unsigned)e[i].ota_seq,
                       state_text(e[i].ota_state, b), (unsigned)e[i].crc, crc, slot ? slot->label : "-",
                       i == active ? "  (active)" : "");
            }
        } else {
            printf("\notadata: none\n");
        }
        printf("\nApp slots:\n");
    }

    for (size_t i = 0; i < dev->table.count; i++) {
        const ota_partition_info_t *p = &dev->table.entries[i];
        if (p->type != OTA_PART_TYPE_APP) {
            continue;
        }
        ota_image_info_t info;
        ota_image_diag_t diag;
        int err = ota_ops_image_verify(dev, p, true, &info, &diag);
        uint32_t state = 0;
        bool have_state = ota_ops_get_state_partition(dev, p, &state) == OTA_OK;
        bool is_running = running == p;
        interrupted_install_t install;
        bool interrupted = err != OTA_OK && read_interrupted_install(dev, p, &install);
        if (apps != NULL) {
            cJSON *o = cJSON_CreateObject();
            cli_json_add_string(o, "label", p->label);
            cJSON_AddNumberToObject(o, "offset", p->offset);
            cJSON_AddNumberToObject(o, "size", p->size);
            cJSON_AddNumberToObject(o, "subtype", p->subtype);
            cJSON_AddBoolToObject(o, "valid", err == OTA_OK);
            cJSON_AddItemToObject(o, "error",
                                  err == OTA_OK ? cJSON_CreateNull() : image_report_error_json(err, &diag));
            cJSON_AddItemToObject(o, "app_desc",
                                  info.app_desc_valid ? image_report_app_desc_json(&info.app_desc)
                                                      : cJSON_CreateNull());
            have_state ? cli_json_add_string(o, "state", state_text(state, b))
                       : cJSON_AddNullToObject(o, "state");
            cJSON_AddBoolToObject(o, "running", is_running);
            if (interrupted) {
                cJSON *in = cJSON_AddObjectToObject(o, "interrupted_install");
                cJSON_AddNumberToObject(in, "bytes_written", install.bytes_written);
                install.total_size != OTA_JOURNAL_UNKNOWN_SIZE
                    ? cJSON_AddNumberToObject(in, "total_size", install.total_size)
                    : cJSON_AddNullToObject(in, "total_size");
            } else {
                cJSON_AddNullToObject(o, "interrupted_install");
            }
            cJSON_AddItemToArray(apps, o);
        } else {
            printf("  %-10s 0x%06x  ", p->label, (unsigned)p->offset);
            if (err == OTA_OK) {
                printf("valid    %s '%s' version %s, secure_version %u",
                       ota_chip_display_name(info.header.chip_id), info.app_desc.project_name,
                       info.app_desc.version, (unsigned)info.app_desc.secure_version);
            } else if (interrupted) {
                printf("INVALID  interrupted install (run again to finish): %u",
                       (unsigned)install.bytes_written);
                if (install.total_size != OTA_JOURNAL_UNKNOWN_SIZE) {
                    printf(" of %u", (unsigned)install.total_size);
                }
                printf(" bytes written");
            } else if (err == OTA_ERR_IMG_BAD_MAGIC && info.bytes_fed > 0 && info.header.magic == 0xFF) {
                printf("empty    (erased)");
            } else {
                printf("INVALID  %s", diag.message[0] ? diag.message : ota_strerror(err));
            }
            if (have_state) {
                printf(", otadata %s", state_text(state, b));
            }
            printf("%s\n", is_running ? "  (running)" : "");
        }
    }

    if (root != NULL) {
        if (next_err == OTA_OK && next.partition != NULL) {
            cJSON *n = cJSON_AddObjectToObject(root, "next_boot");
            cli_json_add_string(n, "label", next.partition->label);
            cJSON_AddNumberToObject(n, "offset", next.partition->offset);
            cJSON_AddNumberToObject(n, "index", next.index);
            cJSON_AddBoolToObject(n, "fell_back", next.fell_back);
            cJSON_AddNullToObject(root, "next_boot_error");
        } else {
            cJSON_AddNullToObject(root, "next_boot");
            cJSON_AddItemToObject(root, "next_boot_error", cli_json_error(next_err, NULL));
        }
        cli_json_print(root);
    } else {
        if (next_err == OTA_OK && next.partition != NULL) {
            printf("\nNext boot: %s (0x%x)%s\n", next.partition->label, (unsigned)next.partition->offset,
                   next.fell_back ? " (fallback: the selected slot is not bootable)" : "");
        } else {
            printf("\nNext boot: nothing can boot (%s)\n", ota_strerror(next_err));
        }
    }
    ota_device_file_close(f);
    return CLI_EXIT_OK;
}
