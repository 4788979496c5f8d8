/* `ota partition list|convert` and the `ota partition` group: partition tables (gen_esp32part.py's
 * CSV <-> binary). `read|write` (parttool.py's read_partition / write_partition) are in
 * cmd_partition_rw.c, what they share in partition_cli.c. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_file.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"
#include "partition_cli.h"

/* --- list --------------------------------------------------------------------------------------- */

static void list_usage(FILE *out)
{
    fprintf(out, "Usage: ota partition list [OPTIONS] DEVICE.bin|TABLE.bin\n"
                 "\n"
                 "Show the partition table of a device image, read like the ESP-IDF app does (entries\n"
                 "up to the MD5 entry, whose checksum must match when present), or of a binary\n"
                 "partition table file (gen_esp32part.py's output, e.g. build/partition_table/).\n"
                 "\n"
                 "Options:\n"
                 "      --csv          print the table as gen_esp32part.py's CSV\n"
                 "      --json         print a JSON array of {label, type, type_name, subtype,\n"
                 "                     subtype_name, offset, size, flags, encrypted, readonly}\n"
                 "      --offset ADDR  partition table offset (default: the device's, 0x8000 or found)\n"
                 "  -h, --help         show this help\n"
                 "\n"
                 "Exit status: 0 listed, 1 failed (DEVICE.bin unreadable, no valid table), 2 usage error.\n");
}

static out_t *table_result(const ota_partition_table_t *t)
{
    out_t *arr = out_array();
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_info_t *p = &t->entries[i];
        out_t *o = out_obj(arr, NULL);
        out_str(o, "label", p->label);
        out_int(o, "type", p->type);
        out_str(o, "type_name", ota_partition_type_name(p->type));
        out_int(o, "subtype", p->subtype);
        out_str(o, "subtype_name", ota_partition_subtype_name(p->type, p->subtype));
        out_int(o, "offset", p->offset);
        out_int(o, "size", p->size);
        out_t *flags = out_arr(o, "flags");
        if (p->flags & OTA_PART_FLAG_ENCRYPTED) {
            out_str(flags, NULL, "encrypted");
        }
        if (p->flags & OTA_PART_FLAG_READONLY) {
            out_str(flags, NULL, "readonly");
        }
        out_bool(o, "encrypted", (p->flags & OTA_PART_FLAG_ENCRYPTED) != 0);
        out_bool(o, "readonly", (p->flags & OTA_PART_FLAG_READONLY) != 0);
    }
    return arr;
}

/* What the text says and the JSON does not: where the table is, its MD5 entry; the CSV form. */
typedef struct {
    const ota_partition_table_t *table;
    uint32_t table_offset;
    bool table_file;
    bool csv;
} list_text_ctx_t;

/* The table as text: a column per field, widths from the longest cell, as gen_esp32part shows it. */
static void list_text(const out_t *r, const void *ctx)
{
    const list_text_ctx_t *t = ctx;
    if (t->csv) {
        char text[OTA_PARTITION_MAX_ENTRIES * 96 + 128];
        int n = ota_partition_table_to_csv(t->table, text, sizeof text);
        if (n > 0 && (size_t)n < sizeof text) {
            fputs(text, stdout);
        }
        return;
    }
    static const char *const head[6] = {"Label", "Type", "SubType", "Offset", "Size", "Flags"};
    char cells[OTA_PARTITION_MAX_ENTRIES][6][24];
    size_t width[6];
    size_t count = out_count(r);
    for (int c = 0; c < 6; c++) {
        width[c] = strlen(head[c]);
    }
    for (size_t i = 0; i < count; i++) {
        const out_t *p = out_at(r, i);
        const char *tname = out_get_str(p, "type_name"), *sname = out_get_str(p, "subtype_name");
        uint8_t flags = (out_get_bool(p, "encrypted") ? OTA_PART_FLAG_ENCRYPTED : 0) |
                        (out_get_bool(p, "readonly") ? OTA_PART_FLAG_READONLY : 0);
        snprintf(cells[i][0], sizeof cells[i][0], "%s", out_get_str(p, "label"));
        tname ? snprintf(cells[i][1], sizeof cells[i][1], "%s", tname)
              : snprintf(cells[i][1], sizeof cells[i][1], "%u", (unsigned)out_get_int(p, "type"));
        sname ? snprintf(cells[i][2], sizeof cells[i][2], "%s", sname)
              : snprintf(cells[i][2], sizeof cells[i][2], "%u", (unsigned)out_get_int(p, "subtype"));
        snprintf(cells[i][3], sizeof cells[i][3], "0x%x", (unsigned)out_get_int(p, "offset"));
        ota_partition_format_size((uint32_t)out_get_int(p, "size"), cells[i][4], sizeof cells[i][4]);
        ota_partition_format_flags(flags, cells[i][5], sizeof cells[i][5]);
        for (int c = 0; c < 6; c++) {
            size_t n = strlen(cells[i][c]);
            width[c] = n > width[c] ? n : width[c];
        }
    }
    for (int c = 0; c < 5; c++) {
        printf("%-*s  ", (int)width[c], head[c]);
    }
    printf("%s\n", head[5]);
    for (size_t i = 0; i < count; i++) {
        /* Flags last and unpadded, so no line ends in blanks. */
        for (int c = 0; c < 4; c++) {
            printf("%-*s  ", (int)width[c], cells[i][c]);
        }
        if (cells[i][5][0] == '\0') {
            printf("%s\n", cells[i][4]);
        } else {
            printf("%-*s  %s\n", (int)width[4], cells[i][4], cells[i][5]);
        }
    }
    const char *md5 = t->table->has_md5 ? "(MD5 entry checked)" : "(no MD5 entry)";
    if (t->table_file) {
        printf("%zu partitions, binary table %s\n", count, md5);
    } else {
        printf("%zu partitions, table at 0x%x %s\n", count, (unsigned)t->table_offset, md5);
    }
}

static int cmd_partition_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"csv", no_argument, NULL, 'c'},
        {"offset", required_argument, NULL, 'o'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "partition list", .usage = list_usage};
    bool csv = false;
    uint32_t table_offset = TABLE_OFFSET_FIND;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":h", longopts)) != -1) {
        switch (c) {
        case 'c': csv = true; break;
        case 'o':
            if (!partition_parse_table_offset(optarg, &table_offset)) {
                return cli_usage_error("partition list", "invalid --offset '%s': a 4 KiB-aligned address",
                                       optarg);
            }
            break;
        }
    }
    const bool json = a.json;
    if (!a.done && csv && json) {
        return cli_usage_error("partition list", "--csv and --json exclude each other");
    }
    if (!cli_operands(&a, argc, 1, 1, "missing DEVICE.bin")) {
        return a.status;
    }
    const char *device = argv[optind];
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_flash_file_t *file = NULL;
    /* DEVICE may be the table alone, as `idf.py build` leaves it (build/partition_table/) */
    bool table_file = partition_table_file_kind(device) == TABLE_FILE_BINARY;
    if (table_file && table_offset != TABLE_OFFSET_FIND) {
        free(table);
        return cli_usage_error("partition list", "%s is a binary partition table: --offset is for a device",
                               device);
    }
    int err = table == NULL ? OTA_ERR_NO_MEM
              : table_file  ? partition_read_table_file(device, table)
                            : partition_open_device(device, false, &table_offset, &file, table);
    if (err != OTA_OK) {
        free(table);
        return out_failure(json, err, NULL);
    }
    if (file != NULL) {
        ota_flash_file_close(file);
    }
    list_text_ctx_t t = {table, table_offset, table_file, csv};
    out_emit(table_result(table), json, list_text, &t);
    free(table);
    return CLI_EXIT_OK;
}

/* --- convert ------------------------------------------------------------------------------------ */

static void convert_usage(FILE *out)
{
    fprintf(out, "Usage: ota partition convert [OPTIONS] IN OUT\n"
                 "\n"
                 "Convert a partition table between CSV and binary, like gen_esp32part.py: IN is read\n"
                 "as binary when it starts with the bytes AA 50, else as CSV ($VAR expanded from the\n"
                 "environment). Binary output is 3072 bytes with an MD5 entry. OUT '-' is stdout.\n"
                 "\n"
                 "Options:\n"
                 "      --offset ADDR        partition table offset (default 0x8000)\n"
                 "      --flash-size SIZE    refuse a table that does not fit (e.g. 4MB)\n"
                 "      --no-md5, --disable-md5sum\n"
                 "                           no MD5 entry in binary output; an MD5 entry in binary\n"
                 "                           input is then an error, as in gen_esp32part.py\n"
                 "      --no-verify          skip verify() (alignment, overlaps, names, otadata...)\n"
                 "      --secure v1|v2       app size alignment of secure boot (v1: 64K, v2: 4K)\n"
                 "      --primary-bootloader-offset ADDR   for 'bootloader' entries\n"
                 "      --recovery-bootloader-offset ADDR  for recovery bootloader entries\n"
                 "      --json               print {input, output, input_format, output_format,\n"
                 "                           md5_entry, partitions, bytes} (OUT must be a file)\n"
                 "  -h, --help               show this help\n"
                 "\n"
                 "Exit status: 0 converted, 1 failed (IN unreadable or not a valid table, OUT not\n"
                 "written), 2 usage error.\n");
}

/* With --disable-md5sum gen_esp32part reads an MD5 entry as an entry with bad magic. */
static bool binary_has_md5_entry(const uint8_t *data, size_t len)
{
    static const uint8_t end[OTA_PARTITION_ENTRY_SIZE] = {
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    };
    for (size_t pos = 0; pos + OTA_PARTITION_ENTRY_SIZE <= len; pos += OTA_PARTITION_ENTRY_SIZE) {
        if (memcmp(data + pos, end, sizeof end) == 0) {
            return false;
        }
        if (data[pos] == 0xEB && data[pos + 1] == 0xEB) {
            return true;
        }
    }
    return false;
}

static int write_output(const char *path, const void *data, size_t len)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            cli_error("cannot write to stdout");
            return OTA_ERR_IO;
        }
        return OTA_OK;
    }
    return cli_write_file(path, data, len);
}

static void convert_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    bool binary_in = strcmp(out_get_str(r, "input_format"), "binary") == 0;
    printf("%s: %u partitions, %s -> %s\n", out_get_str(r, "output"), (unsigned)out_get_int(r, "partitions"),
           binary_in ? "binary" : "CSV",
           binary_in ? "CSV"
                     : (out_get_bool(r, "md5_entry") ? "binary with MD5 entry (3072 bytes)"
                                                     : "binary without MD5 (3072 bytes)"));
}

static int cmd_partition_convert(int argc, char **argv)
{
    enum {
        OPT_OFFSET = 1000,
        OPT_FLASH_SIZE,
        OPT_NO_MD5,
        OPT_NO_VERIFY,
        OPT_SECURE,
        OPT_PRIMARY,
        OPT_RECOVERY
    };
    static const struct option longopts[] = {
        {"offset", required_argument, NULL, OPT_OFFSET},
        {"flash-size", required_argument, NULL, OPT_FLASH_SIZE},
        {"no-md5", no_argument, NULL, OPT_NO_MD5},
        {"disable-md5sum", no_argument, NULL, OPT_NO_MD5},
        {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
        {"secure", required_argument, NULL, OPT_SECURE},
        {"primary-bootloader-offset", required_argument, NULL, OPT_PRIMARY},
        {"recovery-bootloader-offset", required_argument, NULL, OPT_RECOVERY},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "partition convert", .usage = convert_usage};
    ota_partition_csv_options_t opts = {.table_offset = OTA_PARTITION_TABLE_OFFSET,
                                        .env_lookup = cli_env_lookup};
    bool md5 = true;
    uint64_t v;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":h", longopts)) != -1) {
        switch (c) {
        case OPT_OFFSET:
            opts.table_offset_set = true; /* --offset 0 is offset 0, as in gen_esp32part */
            if (!partition_parse_table_offset(optarg, &opts.table_offset)) {
                return cli_usage_error("partition convert", "invalid --offset '%s': a 4 KiB-aligned address",
                                       optarg);
            }
            break;
        case OPT_FLASH_SIZE:
            if (!cli_parse_size(optarg, &v) || v == 0 || v > UINT32_MAX) {
                return cli_usage_error("partition convert", "invalid --flash-size '%s' (e.g. 4MB)", optarg);
            }
            opts.flash_size = (uint32_t)v;
            break;
        case OPT_NO_MD5: md5 = false; break;
        case OPT_NO_VERIFY: opts.no_verify = true; break;
        case OPT_SECURE:
            if (strcmp(optarg, "v1") != 0 && strcmp(optarg, "v2") != 0) {
                return cli_usage_error("partition convert", "invalid --secure '%s': v1 or v2", optarg);
            }
            opts.secure_v1 = strcmp(optarg, "v1") == 0;
            break;
        case OPT_PRIMARY:
        case OPT_RECOVERY:
            if (!cli_parse_uint(optarg, UINT32_MAX, &v)) {
                return cli_usage_error("partition convert", "invalid address '%s'", optarg);
            }
            if (c == OPT_PRIMARY) {
                opts.primary_bootloader_offset = (uint32_t)v;
                opts.primary_bootloader_offset_set = true;
            } else {
                opts.recovery_bootloader_offset = (uint32_t)v;
                opts.recovery_bootloader_offset_set = true;
            }
            break;
        }
    }
    if (!cli_operands(&a, argc, 2, 2, "need IN and OUT")) {
        return a.status;
    }
    if (opts.primary_bootloader_offset_set && opts.primary_bootloader_offset >= opts.table_offset) {
        return cli_usage_error(
            "partition convert",
            "Unsupported configuration. Primary bootloader must be below partition table.");
    }
    const char *in = argv[optind], *out = argv[optind + 1];
    if (a.json && strcmp(out, "-") == 0) {
        return cli_usage_error("partition convert", "--json and OUT '-' exclude each other");
    }
    uint8_t *data = NULL;
    size_t len = 0;
    int err = cli_read_file(in, &data, &len);
    if (err != OTA_OK) {
        return out_failure(a.json, err, NULL);
    }
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_partition_diag_t diag = {0};
    bool binary_in = len >= 2 && data[0] == 0xAA && data[1] == 0x50;
    err = table ? OTA_OK : OTA_ERR_NO_MEM;
    if (err == OTA_OK && binary_in) {
        if (!md5 && binary_has_md5_entry(data, len)) {
            err = OTA_ERR_PT_BAD_MAGIC;
            snprintf(diag.message, sizeof diag.message,
                     "Invalid magic bytes (b'\\xeb\\xeb') for partition definition (MD5 entry, "
                     "and --disable-md5sum is set)");
        } else {
            err = ota_partition_table_from_binary(data, len, table, &diag);
        }
        if (err == OTA_OK && !opts.no_verify) {
            err = ota_partition_table_verify(table, &opts, &diag);
        } else if (err == OTA_OK) {
            err = ota_partition_table_check_flash_size(table, opts.flash_size, &diag);
        }
    } else if (err == OTA_OK) {
        err = ota_partition_table_parse_csv((const char *)data, len, &opts, table, &diag);
    }
    free(data);
    if (err != OTA_OK) {
        cli_error("%s: %s", in, diag.message[0] ? diag.message : ota_strerror(err));
        free(table);
        return out_failure(a.json, err, diag.message[0] ? diag.message : NULL);
    }
    char warning[256];
    for (size_t w = 0;
         !opts.no_verify && ota_partition_table_name_warning(table, &w, warning, sizeof warning);) {
        fprintf(stderr, "%s\n", warning); /* gen_esp32part's critical(): stderr, not an error */
    }

    size_t written = OTA_PARTITION_TABLE_MAX_LEN;
    if (binary_in) {
        char text[OTA_PARTITION_MAX_ENTRIES * 96 + 128];
        int n = ota_partition_table_to_csv(table, text, sizeof text);
        written = n < 0 ? 0 : (size_t)n;
        err = n < 0 ? n : write_output(out, text, written);
    } else {
        uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];
        err = ota_partition_table_to_binary(table, md5, bin);
        if (err == OTA_ERR_PT_TOO_MANY) {
            cli_error("%s: Binary partition table length (%zu) longer than max", in,
                      (table->count + (md5 ? 1u : 0u)) * OTA_PARTITION_ENTRY_SIZE);
        } else if (err == OTA_OK) {
            err = write_output(out, bin, sizeof bin);
        }
    }
    if (err == OTA_OK) {
        out_t *o = out_object();
        out_str(o, "input", in);
        out_str(o, "output", out);
        out_str(o, "input_format", binary_in ? "binary" : "csv");
        out_str(o, "output_format", binary_in ? "csv" : "binary");
        binary_in ? out_null(o, "md5_entry") : out_bool(o, "md5_entry", md5);
        out_int(o, "partitions", (int64_t)table->count);
        out_int(o, "bytes", (int64_t)written);
        /* OUT '-' is the text: the table on stdout */
        out_emit(o, a.json, strcmp(out, "-") != 0 ? convert_text : NULL, NULL);
    }
    free(table);
    return err == OTA_OK ? CLI_EXIT_OK : out_failure(a.json, err, NULL);
}

int cmd_partition(int argc, char **argv)
{
    static const cli_command_t commands[] = {
        {"list", cmd_partition_list, "show the partition table of a device image"},
        {"convert", cmd_partition_convert, "convert a partition table CSV <-> binary"},
        {"read", cmd_partition_read, "copy a whole partition into a file"},
        {"write", cmd_partition_write, "erase a partition and program a file into it"},
    };
    return cli_dispatch("partition", commands, sizeof commands / sizeof commands[0], argc, argv);
}
