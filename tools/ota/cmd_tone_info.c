/* `ota tone info`: check and describe an ESP-ADF tone image (ota_tone.h), --extract its files. The
 * result is built once (docs/json.md's `tone info` document); the text renderer reads it back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "out.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_tone.h"
#include "tone_cli.h"

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* The error fields {error, code, message[, diag]} added to @p o. */
static void add_diag(out_t *o, int err, const ota_tone_diag_t *diag)
{
    char msg[256];
    ota_tone_diag_format(err, diag, msg, sizeof msg);
    out_str(o, "error", ota_err_name(err));
    out_int(o, "code", err);
    out_str(o, "message", msg);
    if (diag->field != NULL) {
        out_t *d = out_obj(o, "diag");
        out_str(d, "field", diag->field);
        out_int(d, "offset", diag->offset);
        if (diag->index >= 0) {
            out_int(d, "index", diag->index);
        }
        out_int(d, "expected", diag->expected);
        out_int(d, "actual", diag->actual);
    }
}

static void info_usage(FILE *out)
{
    fprintf(out, "Usage: ota tone info [OPTIONS] FILE\n"
                 "\n"
                 "Check and describe an ESP-ADF tone image (flash_tone.bin, or a tone partition read from\n"
                 "a device): format, files (index, type, address, length), and for format 1 the\n"
                 "description (version, project, date, time), CRC-32 and tail. The check is strict: every\n"
                 "field mk_audio_tone.py writes is verified, so a half-written partition is reported.\n"
                 "Bytes after the end of the image (the rest of a partition) are ignored.\n"
                 "\n"
                 "Options:\n"
                 "  -x, --extract DIR  write the files to DIR (created if missing) as NNN.mp3 / NNN.wav,\n"
                 "                     NNN the 3-digit index, so `ota tone make DIR OUT.bin` rebuilds\n"
                 "                     the same order; only from a valid image\n"
                 "      --json         print the result as one JSON object\n"
                 "  -h, --help         show this help\n"
                 "\n"
                 "Exit status: 0 valid image, 1 invalid image (the error names the field) or I/O error,\n"
                 "2 usage error.\n");
}

/* Write every file to @p dir; each file's "path" in @p files says it was written. */
static int extract_files(const char *dir, const ota_tone_memory_t *mem, const ota_tone_info_t *info,
                         out_t *files)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error("cannot create %s: %s", dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cli_error("%s is not a directory", dir);
        return CLI_EXIT_FAIL;
    }
    for (uint32_t i = 0; i < info->header.total_num; i++) {
        ota_tone_entry_t e;
        if (ota_tone_read_entry(ota_tone_memory_read, (void *)mem, &info->header, i, &e) != OTA_OK) {
            return CLI_EXIT_FAIL;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%03u.%s", dir, (unsigned)i, tone_type_name(e.file_type));
        if (cli_write_file(path, mem->data + e.song_adr, e.song_len) != OTA_OK) {
            return CLI_EXIT_FAIL;
        }
        out_str((out_t *)out_at(files, i), "path", path);
    }
    return CLI_EXIT_OK;
}

/* The image's header, description, trailer and file table (whether or not it validated). */
static out_t *info_result(const char *path, const uint8_t *data, size_t len, const ota_tone_info_t *info,
                          int err)
{
    ota_tone_memory_t mem = {data, len};
    const bool fmt1 = info->header.format == OTA_TONE_FORMAT_1;
    out_t *o = out_object();
    out_str(o, "file", path);
    out_bool(o, "valid", err == OTA_OK);
    out_int(o, "format", info->header.format);
    out_int(o, "total_num", info->header.total_num);
    out_int(o, "file_size", (int64_t)len);
    out_int(o, "image_size", info->image_size);
    out_int(o, "table_offset", info->table_offset);
    out_int(o, "data_offset", info->data_offset);
    if (fmt1) {
        out_t *d = out_obj(o, "desc");
        out_int(d, "magic_word", info->desc.magic_word);
        out_int(d, "secure_version", info->desc.secure_version);
        out_str(d, "version", info->desc.version);
        out_str(d, "project_name", info->desc.project_name);
        out_str(d, "time", info->desc.time);
        out_str(d, "date", info->desc.date);
        out_str(d, "idf_ver", info->desc.idf_ver);
        if ((uint64_t)info->data_end + OTA_TONE_TRAILER_SIZE <= len) {
            uint32_t stored = le32(data + info->data_end), computed = ota_crc32_le(0, data, info->data_end);
            uint16_t tail = le16(data + info->data_end + 4);
            out_t *cr = out_obj(o, "crc");
            out_int(cr, "stored", stored);
            out_int(cr, "computed", computed);
            out_bool(cr, "valid", stored == computed);
            out_t *t = out_obj(o, "tail");
            out_int(t, "value", tail);
            out_bool(t, "valid", tail == OTA_TONE_TAIL);
        }
    }
    out_t *files = out_arr(o, "files");
    for (uint32_t i = 0; i < info->header.total_num; i++) {
        ota_tone_entry_t e;
        (void)ota_tone_read_entry(ota_tone_memory_read, &mem, &info->header, i, &e);
        out_t *f = out_obj(files, NULL);
        out_int(f, "index", e.song_index);
        out_str(f, "type", tone_type_name(e.file_type));
        out_int(f, "file_type", e.file_type);
        out_int(f, "address", e.song_adr);
        out_int(f, "length", e.song_len);
        out_int(f, "padding", ota_tone_padding(e.song_len));
    }
    return o;
}

static void info_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    uint64_t len = (uint64_t)out_get_int(r, "file_size"), image_size = (uint64_t)out_get_int(r, "image_size");
    printf("file:        %s\n", out_get_str(r, "file"));
    printf("format:      %u\n", (unsigned)out_get_int(r, "format"));
    printf("files:       %u\n", (unsigned)out_get_int(r, "total_num"));
    printf("image size:  %u bytes\n", (unsigned)image_size);
    if (len != image_size) {
        printf("file size:   %llu bytes (%s)\n", (unsigned long long)len,
               len > image_size ? "bytes after the image are ignored" : "truncated");
    }
    const out_t *desc = out_get(r, "desc");
    if (desc != NULL) {
        printf("version:     %s\n", out_get_str(desc, "version"));
        printf("project:     %s\n", out_get_str(desc, "project_name"));
        printf("date:        %s\n", out_get_str(desc, "date"));
        printf("time:        %s\n", out_get_str(desc, "time"));
        const out_t *crc = out_get(r, "crc"), *tail = out_get(r, "tail");
        if (crc != NULL) {
            printf("crc32:       0x%08x (%s)\n", (unsigned)out_get_int(crc, "stored"),
                   out_get_bool(crc, "valid") ? "valid" : "INVALID");
            printf("tail:        0x%04x (%s)\n", (unsigned)out_get_int(tail, "value"),
                   out_get_bool(tail, "valid") ? "valid" : "INVALID");
        } else {
            printf("crc32:       missing\ntail:        missing\n");
        }
    }
    printf("%5s  %-4s  %-10s  %7s\n", "index", "type", "address", "length");
    const out_t *files = out_get(r, "files");
    for (size_t i = 0; i < out_count(files); i++) {
        const out_t *f = out_at(files, i);
        printf("%5u  %-4s  0x%08x  %7u\n", (unsigned)out_get_int(f, "index"), out_get_str(f, "type"),
               (unsigned)out_get_int(f, "address"), (unsigned)out_get_int(f, "length"));
    }
    if (!out_get_bool(r, "valid")) {
        return;
    }
    printf("status:      valid\n");
    for (size_t i = 0; i < out_count(files); i++) {
        const out_t *f = out_at(files, i);
        if (out_has(f, "path")) {
            printf("extracted %s (%u bytes)\n", out_get_str(f, "path"), (unsigned)out_get_int(f, "length"));
        }
    }
}

int cmd_tone_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"extract", required_argument, NULL, 'x'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "tone info", .usage = info_usage};
    const char *extract = NULL;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":x:h", longopts)) != -1) {
        if (c == 'x') {
            extract = optarg;
        }
    }
    if (!cli_operands(&a, argc, 1, 1, "missing FILE")) {
        return a.status;
    }
    const char *path = argv[optind];
    uint8_t *data = NULL;
    size_t len = 0;
    if (cli_read_file(path, &data, &len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    if (len > UINT32_MAX) {
        free(data);
        cli_error("%s: larger than 4 GiB", path);
        return CLI_EXIT_FAIL;
    }
    ota_tone_memory_t mem = {data, len};
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    char msg[256];
    out_t *r;
    int status = CLI_EXIT_OK;
    int err = ota_tone_parse_prefix(data, len, 0, &info, &diag);
    if (err != OTA_OK) {
        /* Without a sound header and table there is nothing to describe: only the error. */
        r = out_object();
        out_str(r, "file", path);
        out_bool(r, "valid", false);
    } else {
        err = ota_tone_validate(ota_tone_memory_read, &mem, (uint32_t)len, &info, &diag);
        r = info_result(path, data, len, &info, err);
    }
    if (err != OTA_OK) {
        add_diag(r, err, &diag);
        ota_tone_diag_format(err, &diag, msg, sizeof msg);
        cli_error("%s: %s", path, msg);
        if (extract != NULL && out_has(r, "files")) {
            cli_error("not extracting from an invalid image");
        }
        status = CLI_EXIT_FAIL;
    } else if (extract != NULL) {
        status = extract_files(extract, &mem, &info, (out_t *)out_get(r, "files"));
        out_str(r, "extracted_to", extract);
    }
    /* a prefix that does not parse has no text: the error says it all */
    out_emit(r, a.json, out_has(r, "files") ? info_text : NULL, NULL);
    free(data);
    return status;
}
