/* `ota partition read|write`: a whole partition of a device image to or from a file (parttool.py's
 * read_partition / write_partition). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "out.h"
#include "ota/port/ota_crypto.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_file.h"
#include "ota/ota_partition.h"
#include "partition_cli.h"

static void add_sha256(out_t *o, const void *data, size_t len)
{
    uint8_t digest[OTA_SHA256_LEN];
    ota_sha256(data, len, digest);
    out_hex(o, "sha256", digest, sizeof digest);
}

/* What a read or write did, in the JSON's words; the text is a sentence of the same fields. */
static void read_write_text(const out_t *r, const void *ctx)
{
    (void)ctx;
    if (out_has(r, "bytes")) {
        printf("Wrote %u bytes of %s to partition '%s' (offset 0x%x, %u bytes erased) of %s\n",
               (unsigned)out_get_int(r, "bytes"), out_get_str(r, "file"), out_get_str(r, "label"),
               (unsigned)out_get_int(r, "offset"), (unsigned)out_get_int(r, "size"),
               out_get_str(r, "device"));
    } else {
        printf("Read partition '%s' (offset 0x%x, %u bytes) of %s into %s\n", out_get_str(r, "label"),
               (unsigned)out_get_int(r, "offset"), (unsigned)out_get_int(r, "size"), out_get_str(r, "device"),
               out_get_str(r, "file"));
    }
}

static void read_usage(FILE *out)
{
    fprintf(out, "Usage: ota partition read [OPTIONS] DEVICE.bin LABEL FILE\n"
                 "\n"
                 "Copy the whole partition LABEL of DEVICE.bin into FILE (parttool.py read_partition).\n"
                 "\n"
                 "Options:\n"
                 "      --offset ADDR  partition table offset (default: the device's, 0x8000 or found)\n"
                 "      --json         print {device, label, offset, size, file, sha256} (of the bytes\n"
                 "                     read)\n"
                 "  -h, --help         show this help\n"
                 "\n"
                 "Exit status: 0 copied, 1 failed (no such partition, DEVICE.bin unreadable, FILE not\n"
                 "written), 2 usage error.\n");
}

static void write_usage(FILE *out)
{
    fprintf(out, "Usage: ota partition write [OPTIONS] DEVICE.bin LABEL FILE\n"
                 "\n"
                 "Erase the whole partition LABEL of DEVICE.bin, then program FILE at its start\n"
                 "(parttool.py write_partition). A FILE larger than the partition is refused and the\n"
                 "device is left untouched; so is a partition flagged readonly, unless\n"
                 "--ignore-readonly.\n"
                 "\n"
                 "Options:\n"
                 "      --offset ADDR      partition table offset (default: the device's, 0x8000 or found)\n"
                 "      --ignore-readonly  write a readonly partition anyway (factory provisioning)\n"
                 "      --json             print {device, label, offset, size, bytes, file, sha256}\n"
                 "                         (bytes written and their SHA-256)\n"
                 "  -h, --help             show this help\n"
                 "\n"
                 "Exit status: 0 written, 1 failed or refused (no such partition, FILE unreadable or\n"
                 "larger than the partition, the partition readonly, I/O), 2 usage error.\n");
}

/* out_failure naming the operands, so a script knows which device/label/file failed. */
static int read_write_failure(bool json, int err, char **operands)
{
    out_t *o = out_error(err, NULL);
    out_str(o, "device", operands[0]);
    out_str(o, "label", operands[1]);
    out_str(o, "file", operands[2]);
    out_emit(o, json, NULL, NULL);
    return CLI_EXIT_FAIL;
}

static int read_or_write(int argc, char **argv, bool write)
{
    const char *command = write ? "partition write" : "partition read";
    /* --ignore-readonly is write's only: read does not know it */
    static const struct option write_opts[] = {
        {"offset", required_argument, NULL, 'o'},
        {"ignore-readonly", no_argument, NULL, 'r'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    static const struct option read_opts[] = {
        {"offset", required_argument, NULL, 'o'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = command, .usage = write ? write_usage : read_usage};
    uint32_t table_offset = TABLE_OFFSET_FIND;
    bool ignore_readonly = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":h", write ? write_opts : read_opts)) != -1) {
        switch (c) {
        case 'o':
            if (!partition_parse_table_offset(optarg, &table_offset)) {
                return cli_usage_error(command, "invalid --offset '%s': a 4 KiB-aligned address", optarg);
            }
            break;
        case 'r': ignore_readonly = true; break;
        }
    }
    if (!cli_operands(&a, argc, 3, 3, "need DEVICE.bin, LABEL and FILE")) {
        return a.status;
    }
    const char *device = argv[optind], *label = argv[optind + 1], *path = argv[optind + 2];

    uint8_t *data = NULL;
    size_t len = 0;
    int err = write ? cli_read_file(path, &data, &len) : OTA_OK;
    if (err != OTA_OK) {
        return read_write_failure(a.json, err, argv + optind);
    }
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_flash_file_t *file = NULL;
    err = table ? partition_open_device(device, write, &table_offset, &file, table) : OTA_ERR_NO_MEM;
    const ota_partition_info_t *info = err == OTA_OK ? partition_find_label(table, device, label) : NULL;
    if (info == NULL) {
        err = err == OTA_OK ? OTA_ERR_NOT_FOUND : err;
    }
    ota_partition_t part;
    if (err == OTA_OK) {
        ota_partition_init(&part, ota_flash_file_flash(file), info);
        if (ignore_readonly) {
            part.info.flags &= ~OTA_PART_FLAG_READONLY;
        }
    }
    if (err == OTA_OK && !write) {
        data = malloc(info->size ? info->size : 1);
        err = data ? ota_partition_read(&part, 0, data, info->size) : OTA_ERR_NO_MEM;
        if (err != OTA_OK) {
            cli_error("%s: cannot read partition '%s': %s", device, label, ota_strerror(err));
        } else if (cli_write_file(path, data, info->size) != OTA_OK) {
            err = OTA_ERR_IO;
        }
    } else if (err == OTA_OK) {
        if (len > info->size) {
            cli_error("%s is %zu bytes, larger than partition '%s' (%u bytes); nothing written", path, len,
                      label, (unsigned)info->size);
            err = OTA_ERR_INVALID_SIZE;
        } else if (part.info.flags & OTA_PART_FLAG_READONLY) {
            cli_error("partition '%s' is flagged readonly; nothing written (--ignore-readonly overrides)",
                      label);
            err = OTA_ERR_FLASH_READONLY;
        } else if (info->size % OTA_FLASH_SECTOR_SIZE != 0 || info->offset % OTA_FLASH_SECTOR_SIZE != 0) {
            cli_error(
                "partition '%s' (0x%x, size 0x%x) is not made of whole 4 KiB sectors; it cannot be erased "
                "without touching a neighbour",
                label, (unsigned)info->offset, (unsigned)info->size);
            err = OTA_ERR_FLASH_MISALIGNED;
        } else {
            err = ota_partition_erase_range(&part, 0, info->size);
            if (err == OTA_OK) {
                err = ota_partition_program(&part, 0, data, len);
            }
            if (err != OTA_OK) {
                cli_error("%s: cannot write partition '%s': %s", device, label, ota_strerror(err));
            }
        }
    }
    if (file != NULL) {
        ota_flash_file_close(file);
    }
    if (err == OTA_OK) {
        out_t *o = out_object();
        out_str(o, "device", device);
        out_str(o, "label", label);
        out_int(o, "offset", info->offset);
        out_int(o, "size", info->size);
        if (write) {
            out_int(o, "bytes", (int64_t)len);
        }
        out_str(o, "file", path);
        add_sha256(o, data, write ? len : info->size);
        out_emit(o, a.json, read_write_text, NULL);
    }
    free(data);
    free(table);
    return err == OTA_OK ? CLI_EXIT_OK : read_write_failure(a.json, err, argv + optind);
}

int cmd_partition_read(int argc, char **argv)
{
    return read_or_write(argc, argv, false);
}

int cmd_partition_write(int argc, char **argv)
{
    return read_or_write(argc, argv, true);
}
