/* `ota run`: ESP-ADF's OTA example (ota/sim/ota_example_host.h) on a device image, configured
 * from an sdkconfig file and flags, its log on stdout like the device's console, or JSON events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "ota/sim/ota_example_host.h"
#include "ota/ota_app_image.h"
#include "ota/ota_check_result.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_sdkconfig.h"
#include "run_manifest.h"
#include "run_security.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: ota run DEVICE.bin [OPTIONS]\n"
                 "       ota run DEVICE.bin --manifest URI [OPTIONS]\n"
                 "\n"
                 "Run ESP-ADF's OTA example on DEVICE.bin: item 0 writes the data partition\n"
                 "CONFIG_DATA_PARTITION_LABEL from CONFIG_DATA_UPGRADE_URI (a tone image, checked by\n"
                 "the example's need_upgrade), item 1 installs the app from CONFIG_FIRMWARE_UPGRADE_URI\n"
                 "into the next OTA slot and restarts the device, whose boot log follows.\n"
                 "\n"
                 "If no app is running on the device yet, it is booted first. A running app that is\n"
                 "still PENDING_VERIFY confirms itself first, as an ESP-IDF app with rollback does.\n"
                 "\n"
                 "With --manifest, the upgrade list is a release (docs/releases.md): the manifest at URI\n"
                 "(a path, file://, http:// or https://; at most 12288 bytes) names the app and data\n"
                 "items, each written where the running release does not live (the next OTA slot, the\n"
                 "twin LABEL_b of each data partition), checked against the manifest's size and SHA-256,\n"
                 "and committed together. Item URIs resolve against the manifest's URI. A device that\n"
                 "requires signed updates takes only a manifest signed by a key it trusts. A refused\n"
                 "release (older sequence, item mismatch, running slot, no twin, unsigned...) writes\n"
                 "nothing: its error name, message and item are printed and the exit status is 1.\n"
                 "\n"
                 "Options (flags override the --config file):\n"
                 "  --manifest URI         install the release this manifest describes (in place of the\n"
                 "                         example's items: not with --config, --app-uri, --data-uri,\n"
                 "                         --data-label)\n"
                 "  --config FILE          sdkconfig with the example's CONFIG_ keys (Wi-Fi keys ignored)\n"
                 "  --app-uri URI          CONFIG_FIRMWARE_UPGRADE_URI (required; '' drops the app item)\n"
                 "  --data-uri URI         CONFIG_DATA_UPGRADE_URI (default file://sdcard/flash_tone.bin;\n"
                 "                         '' drops the data item)\n"
                 "  --data-label LABEL     CONFIG_DATA_PARTITION_LABEL (default flash_tone)\n"
                 "  --sdcard DIR           directory file://sdcard/ stands for (default ./sdcard)\n"
                 "  --force-version-check  CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER: install the app\n"
                 "                         only if its version is newer than the running one\n"
                 "  --bare-delta           the app URI may be a bare detools patch (no esp_delta_ota\n"
                 "                         header, so no base hash check); esp_delta_ota patches are\n"
                 "                         always recognised and applied to the running app\n"
                 "  --cacert FILE          trust this CA for https:// (default: the system's)\n"
                 "  --insecure             do not verify the https server (logs a warning)\n"
                 "  --connect-timeout MS   give up connecting after MS milliseconds (default 10000)\n"
                 "  --stall-timeout MS     a download with no byte for MS milliseconds is stalled\n"
                 "                         (default 20000); it is resumed, up to --retries times\n"
                 "  --retries N            automatic resumes of a broken download (default 3)\n"
                 "  --trusted-key-digest D.bin  for this run, Secure Boot V2 on with these key\n"
                 "                         digests (up to 3; 'ota keys digest'), in place of the state\n"
                 "                         file's eFuses: app updates (and the boot) must be signed\n"
                 "                         by one of them. Refused on a device with key digests or\n"
                 "                         SECURE_BOOT_EN burned (its boot trusts only those)\n"
                 "  --decrypt-key rsa3072:PEM|ecies:HMAC_KEY.bin\n"
                 "                         for this run, the esp_encrypted_img private key (else the\n"
                 "                         state file's, 'ota config set DEVICE decrypt-key')\n"
                 "  --check-only           check each item (ESP-ADF esp_ota_service_check_update):\n"
                 "                         open its source, run its checker on the first bytes and\n"
                 "                         print the decision; nothing is erased or written\n"
                 "  --break-after-fail     stop the list at the first failed item\n"
                 "  --reset                power-cycle the device first (boot even if an app runs)\n"
                 "  --no-confirm           the running app does not confirm itself (simulates a\n"
                 "                         firmware that never passes its self-test: rollback)\n"
                 "  --json                 one JSON event per line on stdout; the log goes to stderr\n"
                 "  -v, --verbose          debug log\n"
                 "  -q, --quiet            errors only\n"
                 "  -h, --help             show this help\n"
                 "\n"
                 "Exit status: 0 every item succeeded or was skipped (up to date) and the device boots,\n"
                 "1 an item failed or the device did not boot (--check-only: a check refused an item),\n"
                 "2 usage error.\n");
}

/* Values read from the sdkconfig file; strings are owned here. */
typedef struct {
    char *app_uri;
    char *data_uri;
    char *data_label;
    bool version_check;
} kconfig_t;

static void kconfig_free(kconfig_t *k)
{
    free(k->app_uri);
    free(k->data_uri);
    free(k->data_label);
}

static int kconfig_string(const char *text, size_t len, const char *key, char **out)
{
    char value[1024];
    ota_sdkconfig_diag_t diag = {0};
    int err = ota_sdkconfig_get(text, len, key, value, sizeof value, NULL, &diag);
    if (err == OTA_ERR_NOT_FOUND) {
        return OTA_OK;
    }
    if (err != OTA_OK) {
        return err;
    }
    free(*out);
    *out = strdup(value);
    return *out ? OTA_OK : OTA_ERR_NO_MEM;
}

static int load_kconfig(const char *path, kconfig_t *k)
{
    uint8_t *text = NULL;
    size_t len = 0;
    int err = cli_read_file(path, &text, &len);
    if (err != OTA_OK) {
        return err;
    }
    const char *t = (const char *)text;
    err = kconfig_string(t, len, "CONFIG_FIRMWARE_UPGRADE_URI", &k->app_uri);
    if (err == OTA_OK) {
        err = kconfig_string(t, len, "CONFIG_DATA_UPGRADE_URI", &k->data_uri);
    }
    if (err == OTA_OK) {
        err = kconfig_string(t, len, "CONFIG_DATA_PARTITION_LABEL", &k->data_label);
    }
    ota_sdkconfig_diag_t diag = {0};
    if (err == OTA_OK) {
        int e = ota_sdkconfig_get_bool(t, len, "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER",
                                       &k->version_check, &diag);
        err = e == OTA_ERR_NOT_FOUND ? OTA_OK : e;
    }
    if (err != OTA_OK) {
        /* Parse errors come with their line; ask for it with a parse of the whole file. */
        if (diag.line == 0) {
            char scratch[256];
            ota_sdkconfig_parse(t, len, scratch, sizeof scratch, NULL, NULL, &diag);
        }
        if (diag.line != 0) {
            cli_error("%s:%u: %s", path, diag.line, diag.message ? diag.message : ota_strerror(err));
        } else {
            cli_error("%s: %s", path, ota_strerror(err));
        }
    }
    free(text);
    return err;
}

/* --- output --------------------------------------------------------------------------------- */

typedef struct {
    bool json;
    cli_progress_t progress;
    /* the first failed item, for the summary line: its reason in the words that name the cause
     * ("no OTA app partition to update"), not only the code's ("not found") */
    bool have_failure;
    int failed_id;
    const char *failed_type;
    char failed_detail[256];
} output_t;

static const char *item_type_name(uint8_t type)
{
    return type == OTA_PART_TYPE_APP ? "app" : type == OTA_PART_TYPE_DATA ? "data" : "other";
}

/* The service's texts that may be NULL, as the JSON's strings ("" when none). */
static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

/* With --json, every event is one JSON line as it happens (docs/json.md, `ota run`); the text of a
 * run is its log and progress bar. */
/* --check-only: ESP-ADF's esp_ota_service_update_info_t with our decision (docs/json.md). */
static void check_update_json(out_t *o, const ota_check_result_t *r)
{
    out_str(o, "event", "check_update");
    out_bool(o, "upgrade_available", r->upgrade_available);
    out_str(o, "decision",
            r->decision == OTA_OK                                 ? "upgrade"
            : ota_item_result_of(r->decision) == OTA_ITEM_SKIPPED ? "skip"
                                                                  : "refuse");
    out_str(o, "reason", ota_err_name(r->decision));
    out_str(o, "version", r->version);
    out_str(o, "running", r->running);
    out_str(o, "label", r->label);
    out_int(o, "size", r->image_size == OTA_CHECK_SIZE_UNKNOWN ? -1 : (int64_t)r->image_size);
    if (r->has_hash) {
        out_hex(o, "sha256", r->hash, sizeof r->hash);
    }
    if (r->has_md5) {
        out_hex(o, "md5", r->md5, sizeof r->md5);
    }
}

/* --check-only without --json: one line per item on stdout. */
static void check_update_text(const ota_event_t *ev)
{
    const ota_check_result_t *r = ev->check_update;
    const char *what = r->decision == OTA_OK                                 ? "upgrade available"
                       : ota_item_result_of(r->decision) == OTA_ITEM_SKIPPED ? "up to date"
                                                                             : "refused";
    char size[24] = "unknown";
    if (r->image_size != OTA_CHECK_SIZE_UNKNOWN) {
        snprintf(size, sizeof size, "%u", (unsigned)r->image_size);
    }
    printf("item %d (%s%s%s): %s: incoming %s, running %s, %s bytes%s%s\n", ev->id,
           item_type_name(ev->node->type), ev->node->label != NULL ? " " : "",
           ev->node->label != NULL ? ev->node->label : "", what, r->version[0] ? r->version : "?",
           r->running[0] ? r->running : "?", size, r->decision == OTA_OK ? "" : ": ",
           r->decision == OTA_OK ? "" : ota_strerror(r->decision));
}

static void on_event(const ota_event_t *ev, void *arg)
{
    output_t *out = arg;
    if (ev->type == OTA_EVENT_PROGRESS) {
        cli_progress_update(&out->progress, ev->progress.bytes, ev->progress.total);
    } else {
        cli_progress_finish(&out->progress);
    }
    if (ev->type == OTA_EVENT_RESULT && ev->result.result == OTA_ITEM_FAILED && !out->have_failure) {
        out->have_failure = true;
        out->failed_id = ev->node != NULL ? ev->id : -1;
        out->failed_type = ev->node != NULL ? item_type_name(ev->node->type) : "";
        snprintf(out->failed_detail, sizeof out->failed_detail, "%s",
                 ev->result.detail ? ev->result.detail : "");
    }
    if (!out->json) {
        if (ev->type == OTA_EVENT_CHECK_UPDATE) {
            check_update_text(ev);
        }
        return;
    }
    out_t *o = out_object();
    if (ev->node != NULL) {
        out_int(o, "id", ev->id);
    }
    switch (ev->type) {
    case OTA_EVENT_ITEM_BEGIN:
        out_str(o, "event", "item_begin");
        out_str(o, "type", item_type_name(ev->node->type));
        if (ev->node->label != NULL) {
            out_str(o, "label", ev->node->label);
        }
        out_str(o, "uri", ev->node->uri ? ev->node->uri : "");
        break;
    case OTA_EVENT_VERSION_CHECK:
        out_str(o, "event", "version_check");
        out_str(o, "running", or_empty(ev->version_check.running));
        out_str(o, "incoming", or_empty(ev->version_check.incoming));
        out_bool(o, "enforced", ev->version_check.enforced);
        out_str(o, "decision",
                ev->version_check.decision == OTA_OK                                 ? "upgrade"
                : ota_item_result_of(ev->version_check.decision) == OTA_ITEM_SKIPPED ? "skip"
                                                                                     : "refuse");
        out_str(o, "reason", ota_err_name(ev->version_check.decision));
        break;
    case OTA_EVENT_PROGRESS:
        out_str(o, "event", "progress");
        out_int(o, "bytes", (int64_t)ev->progress.bytes);
        out_int(o, "total", (int64_t)ev->progress.total);
        break;
    case OTA_EVENT_RESULT:
        out_str(o, "event", "result");
        out_str(o, "result", ota_item_result_name(ev->result.result));
        out_str(o, "reason", ota_err_name(ev->result.reason));
        out_int(o, "code", ev->result.reason);
        out_str(o, "message", ev->result.reason == OTA_OK ? "" : ota_strerror(ev->result.reason));
        if (ev->result.http_status != 0) {
            out_int(o, "http_status", ev->result.http_status);
        }
        out_str(o, "detail", or_empty(ev->result.detail));
        break;
    case OTA_EVENT_FINISH:
        out_str(o, "event", "finish");
        out_int(o, "succeeded", ev->finish.succeeded);
        out_int(o, "skipped", ev->finish.skipped);
        out_int(o, "failed", ev->finish.failed);
        out_int(o, "not_run", ev->finish.not_run);
        out_bool(o, "restart", ev->finish.restart);
        break;
    case OTA_EVENT_CHECK_UPDATE: check_update_json(o, ev->check_update); break;
    }
    out_print_json(o);
}

static void on_boot(void *arg, int err, const ota_boot_result_t *boot)
{
    output_t *out = arg;
    if (!out->json) {
        return;
    }
    out_t *o = out_object();
    out_str(o, "event", "boot");
    out_bool(o, "ok", err == OTA_OK);
    if (err == OTA_OK && boot->partition != NULL) {
        out_str(o, "partition", boot->partition->label);
        out_int(o, "offset", boot->partition->offset);
        out_bool(o, "fell_back", boot->fell_back);
        if (boot->image.app_desc_valid) {
            out_str(o, "project", boot->image.app_desc.project_name);
            out_str(o, "version", boot->image.app_desc.version);
        }
    } else {
        out_str(o, "error", ota_err_name(err));
        out_str(o, "message", ota_strerror(err));
    }
    out_print_json(o);
}

/* Run the list on the device and report the outcome: the exit status. @p rm: --manifest, else NULL. */
static int run_and_report(ota_example_host_options_t *opts, run_security_t *rs, run_manifest_t *rm, bool json,
                          bool verbose, bool quiet)
{
    output_t out = {.json = json};
    cli_progress_init(&out.progress, "ota", !json && !quiet);
    cli_setup_log(json ? stderr : stdout, verbose, quiet);
    opts->example.observer = on_event;
    opts->example.observer_ctx = &out;
    opts->on_boot = on_boot;
    opts->on_boot_ctx = &out;
    rs->manifest = rm;
    if (rs->digests > 0 || rs->decrypt != NULL || rm != NULL) {
        opts->on_open = run_security_apply;
        opts->before_save = run_security_restore;
        opts->on_open_ctx = rs;
    }
    if (rm != NULL) {
        opts->example.set_list = run_manifest_set_list;
        opts->example.set_list_ctx = rm;
    }

    ota_example_host_result_t result;
    int err = ota_example_host_run(opts, &result);
    cli_progress_finish(&out.progress);
    if (err != OTA_OK) {
        cli_error("%s: %s", opts->device_path, ota_strerror(err));
        return out_failure(json, err, NULL);
    }
    if (rm != NULL && rm->set_called && rm->err != OTA_OK) {
        return run_manifest_report_refusal(rm);
    }
    if (result.boot_err != OTA_OK) {
        cli_error("%s: the device does not boot: %s", opts->device_path, ota_strerror(result.boot_err));
        return CLI_EXIT_FAIL;
    }
    if (result.summary.failed > 0 || result.example_err != OTA_OK) {
        int reason = result.summary.first_error != OTA_OK ? result.summary.first_error : result.example_err;
        int items = result.summary.succeeded + result.summary.skipped + result.summary.failed +
                    result.summary.not_run;
        /* a release names the error too: its refusals are told apart by name */
        const char *name = rm != NULL ? ota_err_name(reason) : "";
        const char *sep = rm != NULL ? ": " : "";
        if (out.have_failure && out.failed_id >= 0 && out.failed_detail[0] != '\0') {
            cli_error("%d of %d items failed (first: item %d, %s: %s; %s%s%s)", result.summary.failed, items,
                      out.failed_id, out.failed_type, out.failed_detail, name, sep, ota_strerror(reason));
        } else {
            cli_error("%d of %d items failed (first: %s%s%s)", result.summary.failed, items, name, sep,
                      ota_strerror(reason));
        }
        if (rm != NULL) {
            cli_error("release not installed: the device runs its old release");
        }
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* --manifest: the manifest is fetched first (nothing is opened if that fails), then the run. */
static int run_release(ota_example_host_options_t *opts, run_security_t *rs, const char *uri, bool json,
                       bool verbose, bool quiet)
{
    cli_setup_log(json ? stderr : stdout, verbose, quiet);
    run_manifest_t rm = {.uri = uri, .json = json};
    int rc = run_manifest_fetch(&rm, &opts->example.source) == OTA_OK
                 ? run_and_report(opts, rs, &rm, json, verbose, quiet)
                 : CLI_EXIT_FAIL;
    run_manifest_free(&rm);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    enum {
        OPT_CONFIG = 256,
        OPT_APP,
        OPT_DATA,
        OPT_LABEL,
        OPT_SDCARD,
        OPT_CHECK,
        OPT_CACERT,
        OPT_INSECURE,
        OPT_BREAK,
        OPT_RESET,
        OPT_NO_CONFIRM,
        OPT_CONNECT,
        OPT_STALL,
        OPT_RETRIES,
        OPT_TRUSTED,
        OPT_DECRYPT,
        OPT_BARE_DELTA,
        OPT_CHECK_ONLY,
        OPT_MANIFEST
    };
    static const struct option options[] = {
        {"manifest", required_argument, NULL, OPT_MANIFEST},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"app-uri", required_argument, NULL, OPT_APP},
        {"data-uri", required_argument, NULL, OPT_DATA},
        {"data-label", required_argument, NULL, OPT_LABEL},
        {"sdcard", required_argument, NULL, OPT_SDCARD},
        {"force-version-check", no_argument, NULL, OPT_CHECK},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"insecure", no_argument, NULL, OPT_INSECURE},
        {"break-after-fail", no_argument, NULL, OPT_BREAK},
        {"reset", no_argument, NULL, OPT_RESET},
        {"no-confirm", no_argument, NULL, OPT_NO_CONFIRM},
        {"connect-timeout", required_argument, NULL, OPT_CONNECT},
        {"stall-timeout", required_argument, NULL, OPT_STALL},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"bare-delta", no_argument, NULL, OPT_BARE_DELTA},
        {"check-only", no_argument, NULL, OPT_CHECK_ONLY},
        {"trusted-key-digest", required_argument, NULL, OPT_TRUSTED},
        {"decrypt-key", required_argument, NULL, OPT_DECRYPT},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "run", .usage = usage};
    const char *manifest_uri = NULL, *config_path = NULL, *app_uri = NULL, *data_uri = NULL,
               *data_label = NULL;
    ota_example_host_options_t opts = {0};
    run_security_t rs = {0};
    bool check_flag = false, verbose = false, quiet = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":vqh", options)) != -1) {
        switch (c) {
        case OPT_MANIFEST: manifest_uri = optarg; break;
        case OPT_CONFIG: config_path = optarg; break;
        case OPT_APP: app_uri = optarg; break;
        case OPT_DATA: data_uri = optarg; break;
        case OPT_LABEL: data_label = optarg; break;
        case OPT_SDCARD: opts.example.source.sdcard_root = optarg; break;
        case OPT_CHECK: check_flag = true; break;
        case OPT_CACERT: opts.example.source.ca_file = optarg; break;
        case OPT_INSECURE: opts.example.source.insecure = true; break;
        case OPT_BREAK: opts.example.break_after_fail = true; break;
        case OPT_RESET: opts.reset_first = true; break;
        case OPT_NO_CONFIRM: opts.no_confirm = true; break;
        case OPT_BARE_DELTA: opts.example.delta_allow_bare = true; break;
        case OPT_CHECK_ONLY: opts.example.check_only = true; break;
        case OPT_TRUSTED:
            if (rs.digests == OTA_DEVICE_KEY_DIGESTS) {
                return cli_usage_error("run", "--trusted-key-digest: at most 3 (KEY_DIGEST0..2)");
            }
            rs.digest_path[rs.digests++] = optarg;
            break;
        case OPT_DECRYPT: rs.decrypt = optarg; break;
        case OPT_CONNECT:
        case OPT_STALL:
        case OPT_RETRIES: {
            ota_source_posix_config_t *src = &opts.example.source;
            int rc = c == OPT_CONNECT
                         ? cli_parse_ms("run", "--connect-timeout", optarg, &src->connect_timeout_ms)
                     : c == OPT_STALL ? cli_parse_ms("run", "--stall-timeout", optarg, &src->stall_timeout_ms)
                                      : cli_parse_count("run", "--retries", optarg, &src->max_retries);
            if (rc != CLI_EXIT_OK) {
                return rc;
            }
            break;
        }
        case 'v': verbose = true; break;
        case 'q': quiet = true; break;
        }
    }
    if (!cli_operands(&a, argc, 1, 1, "missing DEVICE.bin")) {
        return a.status;
    }
    const bool json = a.json;
    opts.device_path = argv[optind];
    if (manifest_uri != NULL) {
        if (manifest_uri[0] == '\0') {
            return cli_usage_error("run", "--manifest: empty URI");
        }
        if (config_path != NULL || app_uri != NULL || data_uri != NULL || data_label != NULL) {
            return cli_usage_error("run", "--manifest names the items: not with --config, --app-uri, "
                                          "--data-uri or --data-label");
        }
        return run_release(&opts, &rs, manifest_uri, json, verbose, quiet);
    }

    kconfig_t k = {0};
    if (config_path != NULL && load_kconfig(config_path, &k) != OTA_OK) {
        kconfig_free(&k);
        return CLI_EXIT_USAGE;
    }
    opts.example.firmware_upgrade_uri = app_uri ? app_uri : k.app_uri;
    opts.example.data_upgrade_uri = data_uri     ? data_uri
                                    : k.data_uri ? k.data_uri
                                                 : OTA_EXAMPLE_DEFAULT_DATA_UPGRADE_URI;
    opts.example.data_partition_label = data_label     ? data_label
                                        : k.data_label ? k.data_label
                                                       : OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL;
    opts.example.force_check_firmware_version = check_flag || k.version_check;
    if (opts.example.firmware_upgrade_uri != NULL && opts.example.firmware_upgrade_uri[0] == '\0' &&
        opts.example.data_upgrade_uri[0] == '\0') {
        kconfig_free(&k);
        return cli_usage_error("run", "nothing to do: the firmware URI and the data URI are both empty");
    }
    if (opts.example.firmware_upgrade_uri == NULL) {
        /* The example's Kconfig default (https://192.168.0.3:8070/hello-world.bin) is a LAN address
         * from Espressif's README: never contact it behind the user's back. */
        kconfig_free(&k);
        return cli_usage_error("run", "no firmware URI: give --app-uri URI or CONFIG_FIRMWARE_UPGRADE_URI "
                                      "in --config (--app-uri '' runs the data item only)");
    }

    int rc = run_and_report(&opts, &rs, NULL, json, verbose, quiet);
    kconfig_free(&k);
    return rc;
}
