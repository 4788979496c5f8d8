/* `ota image info|make`: inspect an app image (a file, or a partition of a device) the way esptool
 * `image_info --version 2` does, and make synthetic esptool-compatible app images. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "image_report.h"
#include "image_secure.h"
#include "ota/ota_app_image.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_file.h"

/* --- image info ------------------------------------------------------------------------------- */

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: ota image info [--chip CHIP] [--json] FILE\n"
                 "       ota image info [--chip CHIP] [--json] DEVICE.bin --partition LABEL\n"
                 "\n"
                 "Decode and verify an ESP image (app or bootloader): header, extended header, segments,\n"
                 "checksum, appended SHA-256 and app or bootloader description, in the words of esptool\n"
                 "v4.9.1 'image_info --version 2': without --chip as 'esptool image_info' (\"Detected\n"
                 "image type: ESP32-S2\", \"ESP32-S2 image header\"), with --chip as 'esptool --chip\n"
                 "esp32s2 image_info' (\"ESP32S2 image header\"). A signed image gets its signature\n"
                 "blocks (espsecure signature_info_v2) after esptool's text.\n"
                 "With --partition, the image at the start of that partition of a device image.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --chip CHIP        the chip the image is for (esp32, esp32s2, esp32c3, ...): the\n"
                 "                         section titles as esptool --chip prints them; an image for\n"
                 "                         another chip is refused\n"
                 "  -p, --partition LABEL  read the image from this partition of DEVICE.bin\n"
                 "      --json             print the facts as one JSON document\n"
                 "  -h, --help             show this help\n"
                 "\n"
                 "Exit status: 0 valid image, 1 invalid image, an image for another chip than --chip,\n"
                 "or unreadable input (what could be decoded is still printed), 2 usage error (unknown\n"
                 "--chip).\n");
}

/* Validate FILE streaming it in 64 KiB reads. */
static int validate_file(const char *path, ota_image_validator_t *v, uint64_t *file_size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return errno == ENOENT ? OTA_ERR_NOT_FOUND : OTA_ERR_IO;
    }
    uint64_t size = 0;
    if (fseek(f, 0, SEEK_END) == 0) {
        long end = ftell(f);
        size = end > 0 ? (uint64_t)end : 0;
        rewind(f);
    }
    *file_size = size;
    /* bytes after the image are judged by image_signature_report (a signature sector is fine) */
    /* a bootloader has no app description: esptool shows it all the same */
    ota_image_validator_config_t cfg = {.keep_going = true,
                                        .allow_missing_app_desc = true,
                                        .ignore_trailing = true,
                                        .expected_size = size <= UINT32_MAX ? (uint32_t)size : 0};
    ota_image_validator_init(v, &cfg, NULL, NULL);
    static uint8_t buf[64 * 1024];
    int err = OTA_OK;
    for (;;) {
        size_t n = fread(buf, 1, sizeof buf, f);
        if (n == 0) {
            break;
        }
        err = ota_image_validator_feed(v, buf, n);
        if (err != OTA_OK) {
            break; /* what was decoded up to here is still reported */
        }
    }
    if (ferror(f)) {
        cli_error("cannot read %s: %s", path, strerror(errno));
        fclose(f);
        return OTA_ERR_IO;
    }
    fclose(f);
    if (err == OTA_OK) {
        err = ota_image_validator_finish(v);
    }
    return err;
}

static int read_file_at(void *arg, uint32_t offset, void *buf, size_t len)
{
    FILE *f = arg;
    return fseek(f, (long)offset, SEEK_SET) == 0 && fread(buf, 1, len, f) == len ? OTA_OK : OTA_ERR_IO;
}

static int read_partition_at(void *arg, uint32_t offset, void *buf, size_t len)
{
    const ota_partition_t *part = arg;
    if ((uint64_t)offset + len > part->info.size) {
        return OTA_ERR_INVALID_SIZE;
    }
    return ota_partition_read(part, offset, buf, len);
}

/* What the text shows that the JSON does not: esptool's own wording of the image, read from it. */
typedef struct {
    const char *path;
    const ota_chip_info_t *want_chip; /* --chip, or NULL */
    bool have_header;
    const ota_image_info_t *info;
    ota_partition_t *part; /* --partition, or NULL: a file */
    const char *sig_text;  /* signature_info_v2's report, collected before */
    size_t sig_len;
} info_text_ctx_t;

/* esptool v4.9.1 image_info --version 2, line for line, then the signature report. */
static void info_text(const out_t *r, const void *ctx)
{
    const info_text_ctx_t *t = ctx;
    const out_t *p = out_get(r, "partition");
    if (p != NULL) {
        unsigned size = (unsigned)out_get_int(p, "size");
        printf("Partition: %s at 0x%x, size 0x%x (%u bytes)\n", out_get_str(p, "label"),
               (unsigned)out_get_int(p, "offset"), size, size);
    } else {
        printf("File size: %llu (bytes)\n", (unsigned long long)out_get_int(r, "file_size"));
    }
    /* esptool v4.9.1 cmds.py image_info: without --chip it prints "Detected image type:
     * CHIP_NAME" and titles with that name; with --chip, args.chip.upper() */
    char tchip[24] = "";
    if (t->want_chip != NULL) {
        for (size_t i = 0; t->want_chip->name[i] != '\0' && i + 1 < sizeof tchip; i++) {
            char ch = t->want_chip->name[i];
            tchip[i] = ch >= 'a' && ch <= 'z' ? (char)(ch - 'a' + 'A') : ch;
        }
    } else if (t->have_header) {
        const char *name = ota_chip_esptool_name(t->info->header.chip_id);
        snprintf(tchip, sizeof tchip, "%s", name != NULL ? name : "Unknown ID");
        printf("Detected image type: %s\n", tchip);
    }
    if (t->part != NULL) {
        image_report_text(stdout, t->info, tchip, read_partition_at, t->part);
    } else {
        FILE *raw = fopen(t->path, "rb");
        image_report_text(stdout, t->info, tchip, raw != NULL ? read_file_at : NULL, raw);
        if (raw != NULL) {
            fclose(raw);
        }
    }
    if (t->sig_len > 0) {
        fwrite(t->sig_text, 1, t->sig_len, stdout);
        if (out_get_bool(r, "valid")) {
            /* only after a signature report: the rest is esptool's text, line for line */
            printf("\nImage is valid: %u bytes\n", (unsigned)t->info->image_len);
        }
    }
}

static int cmd_image_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"chip", required_argument, NULL, 'c'},
        {"partition", required_argument, NULL, 'p'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "image info", .usage = info_usage};
    const char *label = NULL;
    const ota_chip_info_t *want_chip = NULL;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":c:p:h", opts)) != -1) {
        if (c == 'p') {
            label = optarg;
        } else if (c == 'c') {
            want_chip = ota_chip_info_by_name(optarg);
            if (want_chip == NULL || ota_chip_esptool_name(want_chip->id) == NULL) {
                return cli_usage_error("image info",
                                       "--chip: unknown chip '%s' (esp32, esp32s2, esp32c3, ...)", optarg);
            }
        }
    }
    if (a.status != 0) {
        return a.status;
    }
    if (!cli_operands(&a, argc, 1, 1, "missing FILE")) {
        return a.status;
    }
    const bool json = a.json;
    const char *path = argv[optind];

    static ota_image_validator_t v;
    ota_image_info_t info;
    ota_image_diag_t diag;
    uint64_t file_size = 0;
    int err;
    const ota_partition_info_t *part_info = NULL;
    ota_partition_table_t *table = NULL;
    cJSON *sig_json = NULL;
    int sig_err = OTA_OK;
    char sig_why[200] = "";
    /* the signature report is printed after the image's, so it is collected first */
    char *sig_buf = NULL;
    size_t sig_len = 0;
    FILE *sig_text = NULL;
    ota_partition_t part;
    ota_flash_file_t *file = NULL;
    if (label != NULL) {
        ota_flash_file_options_t o = {
            .readonly = true, .emu = {.strict = true}, .pad_to = ota_device_file_short_image_size(path)};
        err = ota_flash_file_open(path, &o, &file);
        if (err != OTA_OK) {
            cli_error("cannot open device %s: %s", path, ota_strerror(err));
            return CLI_EXIT_FAIL;
        }
        table = malloc(sizeof *table);
        ota_partition_diag_t pdiag = {0};
        uint32_t table_offset = 0;
        err = table ? ota_device_file_locate_table(path, ota_flash_file_flash(file), &table_offset, table,
                                                   &pdiag)
                    : OTA_ERR_NO_MEM;
        if (err != OTA_OK) {
            cli_error("%s: no valid partition table: %s", path,
                      pdiag.message[0] ? pdiag.message : ota_strerror(err));
            ota_flash_file_close(file);
            free(table);
            return CLI_EXIT_FAIL;
        }
        part_info = ota_partition_find_by_label(table, label);
        if (part_info == NULL) {
            cli_error("no partition '%s' in %s", label, path);
            ota_flash_file_close(file);
            free(table);
            return CLI_EXIT_FAIL;
        }
        ota_partition_init(&part, ota_flash_file_flash(file), part_info);
        ota_image_validator_config_t cfg = {.keep_going = true, .allow_missing_app_desc = true};
        err = ota_image_verify_partition(&part, &cfg, true, &info, &diag);
        if (err == OTA_OK) {
            /* a signature sector after the image in the slot (Secure Boot V2) */
            sig_json = out_object();
            sig_text = open_memstream(&sig_buf, &sig_len);
            err =
                image_partition_signature_report(&part, part_info->size, info.image_len, sig_text, sig_json);
            if (err != OTA_OK) {
                diag.err = err;
                snprintf(diag.message, sizeof diag.message, "signature block does not verify");
            }
        }
    } else {
        err = validate_file(path, &v, &file_size);
        if (err == OTA_ERR_NOT_FOUND || err == OTA_ERR_IO) {
            return CLI_EXIT_FAIL;
        }
        info = v.info;
        diag = v.diag;
        if (err == OTA_OK && v.trailing > 0) {
            /* signed image: 0xFF padding + signature sector (esptool calls it valid) */
            sig_json = out_object();
            sig_text = open_memstream(&sig_buf, &sig_len);
            sig_err = image_signature_report(path, info.image_len, file_size, sig_text, sig_json, sig_why,
                                             sizeof sig_why);
            if (sig_err == OTA_ERR_IMG_TRAILING_DATA) {
                err = sig_err;
                memset(&diag, 0, sizeof diag);
                diag.err = err;
                diag.offset = info.image_len;
                diag.segment = -1;
                diag.expected = info.image_len;
                diag.actual = file_size <= UINT32_MAX ? (uint32_t)file_size : UINT32_MAX;
                snprintf(diag.message, sizeof diag.message, "%s", sig_why);
            } else if (sig_err != OTA_OK) {
                err = sig_err;
                snprintf(diag.message, sizeof diag.message, "%s", sig_why);
            }
        }
    }

    bool have_header = info.header_valid || info.bytes_fed >= OTA_IMAGE_HEADER_SIZE;
    int rc = CLI_EXIT_FAIL;
    if (want_chip != NULL && have_header && info.header.chip_id != want_chip->id) {
        /* esptool --chip would decode it with the wrong chip's tables (memory map, frequencies) */
        cli_error("%s: the image is for %s (chip id %u), not %s", path,
                  ota_chip_display_name(info.header.chip_id), (unsigned)info.header.chip_id, want_chip->name);
        goto done;
    }
    out_t *o = image_report_json(&info);
    if (part_info != NULL) {
        out_str(o, "device", path);
        out_t *p = out_obj(o, "partition");
        out_str(p, "label", part_info->label);
        out_int(p, "offset", part_info->offset);
        out_int(p, "size", part_info->size);
    } else {
        out_str(o, "file", path);
        out_int(o, "file_size", (int64_t)file_size);
    }
    out_put(o, "signature", sig_json != NULL ? cJSON_DetachItemFromObject(sig_json, "signature") : NULL);
    out_bool(o, "valid", err == OTA_OK);
    out_put(o, "error", err == OTA_OK ? NULL : image_report_error_json(err, &diag));
    if (sig_text != NULL) {
        fflush(sig_text);
    }
    info_text_ctx_t t = {path,    want_chip, have_header, &info, part_info != NULL ? &part : NULL,
                         sig_buf, sig_len};
    out_emit(o, json, info_text, &t);
    fflush(stdout);
    if (err != OTA_OK && !json) { /* with --json the error object says it */
        cli_error("%s: %s: %s", path, ota_strerror(err), diag.message[0] ? diag.message : ota_err_name(err));
    }
    rc = err == OTA_OK ? CLI_EXIT_OK : CLI_EXIT_FAIL;
done:
    if (file != NULL) {
        ota_flash_file_close(file);
    }
    free(table);
    cJSON_Delete(sig_json);
    if (sig_text != NULL) {
        fclose(sig_text);
    }
    free(sig_buf);
    return rc;
}

/* --- image make -------------------------------------------------------------------------------- */

static void make_usage(FILE *out)
{
    fprintf(out, "Usage: ota image make --version V --project NAME [OPTIONS] OUT.bin\n"
                 "\n"
                 "Write a synthetic ESP app image that esptool and the ESP-IDF bootloader accept: header,\n"
                 "extended header, DROM (app description first), DRAM, IROM and IRAM segments laid out\n"
                 "with esptool's 64 KiB MMU alignment rule, deterministic pseudo-random payload, XOR\n"
                 "checksum and appended SHA-256. Same options, same bytes.\n"
                 "\n"
                 "Options:\n"
                 "      --version V          app version (at most 31 characters)            [required]\n"
                 "      --project NAME       project name (at most 31 characters)           [required]\n"
                 "      --chip CHIP          esp32, esp32s2, esp32s3, esp32c3, esp32c6      [esp32]\n"
                 "      --secure-version N   anti-rollback secure_version                   [0]\n"
                 "      --size BYTES         total size (K/M suffixes); exact when a multiple of 16,\n"
                 "                           else rounded down; below 128K there is no IROM [1M]\n"
                 "      --seed N             payload seed                                   [0]\n"
                 "      --idf-version S      ESP-IDF version string                         [v5.5.4]\n"
                 "      --time T             compile time                                   [00:00:00]\n"
                 "      --date D             compile date                                   [Jan  1 2026]\n"
                 "      --flash-mode M       qio, qout, dio, dout                           [dio]\n"
                 "      --flash-freq F       e.g. 40m, 80m                                  [40m]\n"
                 "      --flash-size S       1MB .. 128MB                                   [4MB]\n"
                 "      --min-rev vX.Y       minimal chip revision                          [v0.0]\n"
                 "      --max-rev vX.Y       maximal chip revision               [the chip's default]\n"
                 "      --json               print the layout as JSON\n"
                 "  -h, --help               show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failed (OUT.bin cannot be written), 2 usage error (a\n"
                 "missing or invalid option, or options the chip cannot have).\n");
}

static bool parse_rev(const char *text, uint16_t *out)
{
    if (*text == 'v' || *text == 'V') {
        text++;
    }
    unsigned major = 0, minor = 0;
    char extra;
    if (sscanf(text, "%u.%u%c", &major, &minor, &extra) != 2 || minor > 99 || major * 100 + minor > 0xFFFF) {
        return false;
    }
    *out = (uint16_t)(major * 100 + minor);
    return true;
}

static int write_file_chunk(void *ctx, const void *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ctx) == len ? OTA_OK : OTA_ERR_IO;
}

static void make_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    printf("Wrote %s: %u bytes, %s app '%s' version %s, secure_version %u, %u segments\n",
           out_get_str(r, "file"), (unsigned)out_get_int(r, "size"), out_get_str(r, "chip"),
           out_get_str(r, "project_name"), out_get_str(r, "version"),
           (unsigned)out_get_int(r, "secure_version"), (unsigned)out_count(out_get(r, "segments")));
}

static int cmd_image_make(int argc, char **argv)
{
    enum {
        O_VERSION = 256,
        O_PROJECT,
        O_CHIP,
        O_SECVER,
        O_SIZE,
        O_SEED,
        O_IDF,
        O_TIME,
        O_DATE,
        O_MODE,
        O_FREQ,
        O_FSIZE,
        O_MINREV,
        O_MAXREV,
    };
    static const struct option opts[] = {
        {"version", required_argument, NULL, O_VERSION},
        {"project", required_argument, NULL, O_PROJECT},
        {"chip", required_argument, NULL, O_CHIP},
        {"secure-version", required_argument, NULL, O_SECVER},
        {"size", required_argument, NULL, O_SIZE},
        {"seed", required_argument, NULL, O_SEED},
        {"idf-version", required_argument, NULL, O_IDF},
        {"time", required_argument, NULL, O_TIME},
        {"date", required_argument, NULL, O_DATE},
        {"flash-mode", required_argument, NULL, O_MODE},
        {"flash-freq", required_argument, NULL, O_FREQ},
        {"flash-size", required_argument, NULL, O_FSIZE},
        {"min-rev", required_argument, NULL, O_MINREV},
        {"max-rev", required_argument, NULL, O_MAXREV},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "image make", .usage = make_usage};
    ota_app_image_build_config_t cfg = {.chip_id = OTA_CHIP_ESP32};
    uint64_t v;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":h", opts)) != -1) {
        switch (c) {
        case O_VERSION: cfg.version = optarg; break;
        case O_PROJECT: cfg.project_name = optarg; break;
        case O_CHIP: {
            const ota_chip_info_t *chip = ota_chip_info_by_name(optarg);
            if (chip == NULL ||
                (chip->id != OTA_CHIP_ESP32 && chip->id != OTA_CHIP_ESP32S2 && chip->id != OTA_CHIP_ESP32S3 &&
                 chip->id != OTA_CHIP_ESP32C3 && chip->id != OTA_CHIP_ESP32C6)) {
                return cli_usage_error(
                    "image make", "--chip '%s': use esp32, esp32s2, esp32s3, esp32c3 or esp32c6", optarg);
            }
            cfg.chip_id = chip->id;
            break;
        }
        case O_SECVER:
            if (!cli_parse_uint(optarg, UINT32_MAX, &v)) {
                return cli_usage_error("image make", "--secure-version '%s' is not a number", optarg);
            }
            cfg.secure_version = (uint32_t)v;
            break;
        case O_SIZE:
            if (!cli_parse_size(optarg, &v) || v < OTA_APP_IMAGE_BUILD_MIN_SIZE ||
                v > OTA_APP_IMAGE_BUILD_MAX_SIZE) {
                return cli_usage_error("image make", "--size '%s': give %u bytes to 16M", optarg,
                                       OTA_APP_IMAGE_BUILD_MIN_SIZE);
            }
            cfg.size = (uint32_t)v;
            break;
        case O_SEED:
            if (!cli_parse_uint(optarg, UINT64_MAX, &v)) {
                return cli_usage_error("image make", "--seed '%s' is not a number", optarg);
            }
            cfg.seed = v;
            break;
        case O_IDF: cfg.idf_ver = optarg; break;
        case O_TIME: cfg.time = optarg; break;
        case O_DATE: cfg.date = optarg; break;
        case O_MODE: cfg.flash_mode = optarg; break;
        case O_FREQ: cfg.flash_freq = optarg; break;
        case O_FSIZE: cfg.flash_size = optarg; break;
        case O_MINREV:
            if (!parse_rev(optarg, &cfg.min_rev_full)) {
                return cli_usage_error("image make", "--min-rev '%s': use vMAJOR.MINOR", optarg);
            }
            break;
        case O_MAXREV:
            if (!parse_rev(optarg, &cfg.max_rev_full)) {
                return cli_usage_error("image make", "--max-rev '%s': use vMAJOR.MINOR", optarg);
            }
            break;
        }
    }
    if (!cli_operands(&a, argc, 1, 1, "missing OUT.bin")) {
        return a.status;
    }
    if (cfg.version == NULL || cfg.project_name == NULL) {
        return cli_usage_error("image make", "--version and --project are required");
    }
    struct {
        const char *name, *value;
        size_t max;
    } strs[] = {
        {"--version", cfg.version, 31},     {"--project", cfg.project_name, 31},
        {"--idf-version", cfg.idf_ver, 31}, {"--time", cfg.time, 15},
        {"--date", cfg.date, 15},
    };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        if (strs[i].value != NULL && strlen(strs[i].value) > strs[i].max) {
            return cli_usage_error("image make", "%s is longer than %zu characters", strs[i].name,
                                   strs[i].max);
        }
    }
    ota_app_image_build_plan_t plan;
    int err = ota_app_image_build_plan(&cfg, &plan);
    if (err != OTA_OK) {
        return cli_usage_error("image make",
                               "cannot make this image: %s (check --flash-mode/--flash-freq/"
                               "--flash-size for the chip)",
                               ota_strerror(err));
    }
    const char *out_path = argv[optind];
    FILE *f = fopen(out_path, "wb");
    if (f == NULL) {
        cli_error("cannot create %s: %s", out_path, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    err = ota_app_image_build(&cfg, write_file_chunk, f, &plan);
    if (fclose(f) != 0 && err == OTA_OK) {
        err = OTA_ERR_IO;
    }
    if (err != OTA_OK) {
        cli_error("cannot write %s: %s", out_path, ota_strerror(err));
        remove(out_path);
        return CLI_EXIT_FAIL;
    }
    const char *chip = ota_chip_display_name(cfg.chip_id);
    out_t *o = out_object();
    out_str(o, "file", out_path);
    out_int(o, "size", plan.image_size);
    out_str(o, "chip", chip);
    out_str(o, "project_name", cfg.project_name);
    out_str(o, "version", cfg.version);
    out_int(o, "secure_version", cfg.secure_version);
    out_int(o, "entry_addr", plan.entry_addr);
    out_t *segs = out_arr(o, "segments");
    for (unsigned i = 0; i < plan.segment_count; i++) {
        out_t *seg = out_obj(segs, NULL);
        out_int(seg, "length", plan.segments[i].data_len);
        out_int(seg, "load_addr", plan.segments[i].load_addr);
        out_int(seg, "file_offset", plan.segments[i].header_offset);
    }
    out_emit(o, a.json, make_text, NULL);
    return CLI_EXIT_OK;
}

static const cli_command_t k_image_commands[] = {
    {"info", cmd_image_info, "decode and verify an app image (file or device partition)"},
    {"make", cmd_image_make, "write a synthetic esptool-compatible app image"},
    {"sign", cmd_image_sign, "sign for Secure Boot V2 (espsecure sign_data --version 2)"},
    {"verify-signature", cmd_image_verify_signature, "verify a Secure Boot V2 signature (espsecure)"},
    {"encrypt", cmd_image_encrypt, "make a pre-encrypted image (esp_enc_img_gen.py encrypt)"},
    {"decrypt", cmd_image_decrypt, "decrypt a pre-encrypted image (esp_enc_img_gen.py decrypt)"},
};

int cmd_image(int argc, char **argv)
{
    return cli_dispatch("image", k_image_commands, sizeof k_image_commands / sizeof k_image_commands[0], argc,
                        argv);
}
