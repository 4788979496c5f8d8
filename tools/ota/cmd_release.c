/* `ota release make|sign|info|verify`: release manifests (docs/releases.md, ota_manifest.h). The
 * signature is espsecure sign_data --version 2's layout, made and checked as `ota image sign` and
 * `ota image verify-signature` do, so espsecure verify_signature --version 2 accepts it. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "ota/ota_app_image.h"
#include "ota/port/ota_crypto.h"
#include "port/posix/ota_crypto_keys.h"
#include "ota/ota_err.h"
#include "ota/ota_manifest.h"
#include "ota/ota_sig_block.h"
#include "ota/ota_sig_verify.h"
#include "ota/ota_tone.h"
#include "release_cli.h"

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

/* --- release make ----------------------------------------------------------------------------- */

static void make_usage(FILE *out)
{
    fprintf(out, "Usage: ota release make --sequence N [--app FILE] [--app-label LABEL]\n"
                 "                        [--min-running-version VER] [--data LABEL=FILE ...]\n"
                 "                        [--data-version LABEL=VER ...] [--uri-base URI] [--json] OUT\n"
                 "\n"
                 "Write the release manifest OUT (JSON, docs/releases.md) for the given item files: each\n"
                 "item's size and SHA-256 are computed from the file, its version read from it: an app's\n"
                 "from its app description, a tone image's from its format-1 description. Other data\n"
                 "needs --data-version: a text, or 'header' for ESP-ADF's 4-byte packed semver header\n"
                 "at the start of the file (esp_ota_service_version_pack_semver).\n"
                 "\n"
                 "Options:\n"
                 "  -s, --sequence N            release number, 1..4294967295\n"
                 "  -a, --app FILE              the app image (goes to the next OTA slot)\n"
                 "  -l, --app-label LABEL       the app's partition label instead\n"
                 "  -m, --min-running-version VER  oldest running app version it may replace\n"
                 "  -d, --data LABEL=FILE       a data partition's image (repeat, at most 8 items)\n"
                 "  -V, --data-version LABEL=VER  version of a data item that is not a tone image\n"
                 "  -u, --uri-base URI          item URIs are URI + the file's name (default: the\n"
                 "                              name alone, relative to the manifest)\n"
                 "      --json                  print the manifest's summary as one JSON document\n"
                 "  -h, --help                  show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failure (unreadable item, no version, I/O), 2 usage error.\n");
}

typedef struct {
    const char *label, *file, *version;
    bool app;
} make_item_t;

/* The version an item's bytes carry. */
static int item_version(const make_item_t *it, const uint8_t *data, size_t len, char *out, size_t size)
{
    if (it->app) {
        ota_image_validator_config_t cfg = {.ignore_trailing = true};
        ota_image_info_t *info = calloc(1, sizeof *info);
        int err = info != NULL ? ota_image_validate_buffer(data, len, &cfg, info, NULL) : OTA_ERR_NO_MEM;
        if (err == OTA_OK && !info->app_desc_valid) {
            err = OTA_ERR_IMG_APP_DESC;
        }
        if (err == OTA_OK) {
            snprintf(out, size, "%s", info->app_desc.version);
        } else {
            cli_error("%s: not an app image: %s", it->file, ota_strerror(err));
        }
        free(info);
        return err;
    }
    if (it->version != NULL && strcmp(it->version, "header") == 0) {
        /* ESP-ADF's data-version header: major << 16 | minor << 8 | patch, little-endian u32 */
        if (len < 4 || data[3] != 0) {
            cli_error("%s: no ESP-ADF data-version header (4-byte packed semver)", it->file);
            return OTA_ERR_VERSION_UNPARSEABLE;
        }
        snprintf(out, size, "%u.%u.%u", data[2], data[1], data[0]);
        return OTA_OK;
    }
    if (it->version != NULL) {
        snprintf(out, size, "%s", it->version);
        return OTA_OK;
    }
    ota_tone_info_t info;
    if (ota_tone_parse_prefix(data, len, 0, &info, NULL) == OTA_OK &&
        info.header.format == OTA_TONE_FORMAT_1) {
        snprintf(out, size, "%s", info.desc.version);
        return OTA_OK;
    }
    cli_error("%s: no version in the file (not a format-1 tone image): give --data-version %s=VER", it->file,
              it->label);
    return OTA_ERR_VERSION_UNPARSEABLE;
}

static int split_pair(const char *cmd, const char *opt, char *arg, const char **label, const char **value)
{
    char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg || eq[1] == '\0') {
        return cli_usage_error(cmd, "%s wants LABEL=VALUE, not '%s'", opt, arg);
    }
    *eq = '\0';
    *label = arg;
    *value = eq + 1;
    return CLI_EXIT_OK;
}

static void make_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    unsigned items = (unsigned)out_get_int(r, "items");
    printf("Wrote release %u (%u item%s, %u bytes) to %s\n", (unsigned)out_get_int(r, "sequence"), items,
           items == 1 ? "" : "s", (unsigned)out_get_int(r, "bytes"), out_get_str(r, "output"));
}

static int release_make(int argc, char **argv)
{
    static const struct option opts[] = {
        {"sequence", required_argument, NULL, 's'},
        {"app", required_argument, NULL, 'a'},
        {"app-label", required_argument, NULL, 'l'},
        {"min-running-version", required_argument, NULL, 'm'},
        {"data", required_argument, NULL, 'd'},
        {"data-version", required_argument, NULL, 'V'},
        {"uri-base", required_argument, NULL, 'u'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t args = {.command = "release make", .usage = make_usage};
    make_item_t items[OTA_MANIFEST_MAX_ITEMS];
    const char *vlabel[OTA_MANIFEST_MAX_ITEMS], *vtext[OTA_MANIFEST_MAX_ITEMS];
    unsigned n = 0, nv = 0;
    uint64_t seq = 0;
    const char *app = NULL, *app_label = "", *min_running = NULL, *uri_base = "";
    int c;
    while ((c = cli_getopt(&args, argc, argv, ":s:a:l:m:d:V:u:h", opts)) != -1) {
        const char *l = NULL, *v = NULL;
        switch (c) {
        case 's':
            if (!cli_parse_uint(optarg, UINT32_MAX, &seq) || seq == 0) {
                return cli_usage_error("release make", "--sequence: '%s' is not 1..4294967295", optarg);
            }
            break;
        case 'a': app = optarg; break;
        case 'l': app_label = optarg; break;
        case 'm': min_running = optarg; break;
        case 'u': uri_base = optarg; break;
        case 'd':
        case 'V':
            if (split_pair("release make", c == 'd' ? "--data" : "--data-version", optarg, &l, &v) !=
                CLI_EXIT_OK) {
                return CLI_EXIT_USAGE;
            }
            if ((c == 'd' ? n : nv) == OTA_MANIFEST_MAX_ITEMS) {
                return cli_usage_error("release make", "at most %u items", OTA_MANIFEST_MAX_ITEMS);
            }
            if (c == 'd') {
                items[n++] = (make_item_t){.label = l, .file = v};
            } else {
                vlabel[nv] = l;
                vtext[nv++] = v;
            }
            break;
        }
    }
    if (!args.done && seq == 0) {
        return cli_usage_error("release make", "missing --sequence");
    }
    if (!args.done && app == NULL && n == 0) {
        return cli_usage_error("release make", "no item: give --app and/or --data");
    }
    if (!args.done && app != NULL && n == OTA_MANIFEST_MAX_ITEMS) {
        return cli_usage_error("release make", "at most %u items", OTA_MANIFEST_MAX_ITEMS);
    }
    if (!cli_operands(&args, argc, 1, 1, "missing OUT")) {
        return args.status;
    }
    const char *out = argv[optind];
    if (app != NULL) {
        memmove(items + 1, items, n * sizeof items[0]);
        items[0] = (make_item_t){.label = app_label, .file = app, .app = true};
        n++;
    }
    for (unsigned v = 0; v < nv; v++) {
        bool found = false;
        for (unsigned i = 0; i < n; i++) {
            if (!items[i].app && strcmp(items[i].label, vlabel[v]) == 0) {
                items[i].version = vtext[v];
                found = true;
            }
        }
        if (!found) {
            return cli_usage_error("release make", "--data-version %s: no --data item has that label",
                                   vlabel[v]);
        }
    }
    /* the manifest file itself: the same typed tree, printed indented (docs/releases.md) */
    out_t *doc = out_object();
    out_str(doc, "format", OTA_MANIFEST_FORMAT);
    out_int(doc, "sequence", (int64_t)seq);
    out_t *arr = out_arr(doc, "items");
    int err = OTA_OK;
    for (unsigned i = 0; i < n && err == OTA_OK; i++) {
        uint8_t *data = NULL;
        size_t len = 0;
        char version[OTA_MANIFEST_VERSION_MAX + 1] = "", uri[OTA_MANIFEST_URI_MAX + 2];
        err = cli_read_file(items[i].file, &data, &len) == OTA_OK ? OTA_OK : OTA_ERR_IO;
        if (err == OTA_OK && (len == 0 || len > UINT32_MAX)) {
            cli_error("%s: %zu bytes: an item is 1 byte .. 4 GiB", items[i].file, len);
            err = OTA_ERR_INVALID_SIZE;
        }
        if (err == OTA_OK) {
            err = item_version(&items[i], data, len, version, sizeof version);
        }
        if (err == OTA_OK) {
            uint8_t d[32];
            ota_sha256(data, len, d);
            snprintf(uri, sizeof uri, "%s%s", uri_base, base_name(items[i].file));
            out_t *o = out_obj(arr, NULL);
            if (items[i].label[0] != '\0') {
                out_str(o, "label", items[i].label);
            }
            out_str(o, "type", items[i].app ? "app" : "data");
            out_str(o, "uri", uri);
            out_int(o, "size", (int64_t)len);
            out_hex(o, "sha256", d, sizeof d);
            out_str(o, "version", version);
            if (items[i].app && min_running != NULL) {
                out_str(o, "min_running_version", min_running);
            }
        }
        free(data);
    }
    char *text = err == OTA_OK ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    if (err != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    /* what a device will read: refuse to write a manifest our own parser refuses */
    size_t tlen = text != NULL ? strlen(text) : 0;
    ota_manifest_t *m = calloc(1, sizeof *m);
    ota_manifest_diag_t diag;
    err = text == NULL || m == NULL ? OTA_ERR_NO_MEM : ota_manifest_parse(text, tlen, m, &diag);
    if (err != OTA_OK) {
        cli_error("the manifest made does not parse: %s (field %s)", ota_strerror(err),
                  diag.field != NULL ? diag.field : "-");
    } else {
        char *file = malloc(tlen + 1);
        if (file != NULL) {
            memcpy(file, text, tlen);
            file[tlen++] = '\n';
        }
        err = file != NULL && cli_write_file(out, file, tlen) == OTA_OK ? OTA_OK : OTA_ERR_IO;
        free(file);
    }
    if (err == OTA_OK) {
        out_t *o = out_object();
        out_str(o, "output", out);
        out_int(o, "sequence", m->sequence);
        out_int(o, "items", m->count);
        out_int(o, "bytes", (int64_t)tlen);
        out_emit(o, args.json, make_text, NULL);
    }
    free(m);
    cJSON_free(text);
    return err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* --- the group ---------------------------------------------------------------------------------- */

static const cli_command_t k_release_commands[] = {
    {"make", release_make, "write a release manifest for app and data item files"},
    {"sign", release_sign, "append a Secure Boot V2 signature sector (espsecure sign_data layout)"},
    {"info", release_info, "print a manifest, signed or not, and its signature blocks"},
    {"verify", release_verify, "check a signed manifest's signature, and its items' bytes"},
};

int cmd_release(int argc, char **argv)
{
    return cli_dispatch("release", k_release_commands,
                        sizeof k_release_commands / sizeof k_release_commands[0], argc, argv);
}
