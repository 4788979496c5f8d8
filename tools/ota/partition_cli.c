/* What `ota partition list|read|write|convert` share: opening a device image with its partition
 * table, finding a partition by label, the --json failure object (partition_cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "partition_cli.h"

bool partition_parse_table_offset(const char *text, uint32_t *out)
{
    uint64_t v;
    if (!cli_parse_uint(text, UINT32_MAX, &v) || v % OTA_PARTITION_TABLE_SECTOR_SIZE != 0) {
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static const char *open_error_text(int err)
{
    switch (err) {
    case OTA_ERR_NOT_FOUND: return "no such file";
    case OTA_ERR_BUSY: return "in use by another process";
    case OTA_ERR_FLASH_GEOMETRY:
        return "not a flash image (size must be a multiple of 64 KiB, at most 16 MiB)";
    default: return ota_strerror(err);
    }
}

table_file_kind_t partition_table_file_kind(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return TABLE_FILE_NONE;
    }
    uint8_t head[64];
    size_t n = fread(head, 1, sizeof head, f);
    bool small = fseek(f, 0, SEEK_END) == 0 && ftell(f) <= (long)OTA_PARTITION_TABLE_SECTOR_SIZE;
    fclose(f);
    /* gen_esp32part's binary output: 32-byte entries, the first with magic 0x50AA (bytes AA 50);
     * the table sector cut from a flash (0x1000 bytes) as well */
    if (small && n >= 2 && head[0] == 0xAA && head[1] == 0x50) {
        return TABLE_FILE_BINARY;
    }
    /* a CSV's first line is a comment or "name, type, ..." text */
    size_t text = 0;
    while (text < n && (head[text] == '\t' || head[text] == '\n' || head[text] == '\r' ||
                        (head[text] >= 0x20 && head[text] < 0x7F))) {
        text++;
    }
    return small && n > 0 && text == n && memchr(head, ',', n) != NULL ? TABLE_FILE_CSV : TABLE_FILE_NONE;
}

int partition_read_table_file(const char *path, ota_partition_table_t *table)
{
    uint8_t *data = NULL;
    size_t len = 0;
    int err = cli_read_file(path, &data, &len);
    if (err != OTA_OK) {
        return err;
    }
    ota_partition_diag_t diag = {0};
    err = ota_partition_table_from_binary(data, len, table, &diag);
    free(data);
    if (err != OTA_OK) {
        cli_error("%s: not a valid binary partition table: %s", path,
                  diag.message[0] ? diag.message : ota_strerror(err));
    }
    return err;
}

/* Open @p path and load its partition table; prints the error itself. *table_offset
 * TABLE_OFFSET_FIND (no --offset): where the device's table is (state file, 0x8000, or the
 * scan), set on return. */
int partition_open_device(const char *path, bool writable, uint32_t *table_offset, ota_flash_file_t **file,
                          ota_partition_table_t *table)
{
    ota_flash_file_options_t o = {
        .readonly = !writable, .emu = {.strict = true}, .pad_to = ota_device_file_short_image_size(path)};
    int err = ota_flash_file_open(path, &o, file);
    if (err != OTA_OK) {
        table_file_kind_t kind =
            err == OTA_ERR_FLASH_GEOMETRY ? partition_table_file_kind(path) : TABLE_FILE_NONE;
        if (kind == TABLE_FILE_BINARY) {
            cli_error("%s is a binary partition table, not a flash image: 'ota partition list %s' lists "
                      "it, 'ota flash create --table %s DEVICE.bin' makes a device with it",
                      path, path, path);
        } else if (kind == TABLE_FILE_CSV) {
            cli_error("%s looks like a partition table CSV, not a flash image: 'ota partition convert "
                      "%s TABLE.bin' makes the binary table, 'ota flash create --table %s DEVICE.bin' a "
                      "device with it",
                      path, path, path);
        } else {
            cli_error("cannot open device %s: %s", path, open_error_text(err));
        }
        return err;
    }
    ota_partition_diag_t diag = {0};
    if (*table_offset == TABLE_OFFSET_FIND) {
        err = ota_device_file_locate_table(path, ota_flash_file_flash(*file), table_offset, table, &diag);
    } else {
        err = ota_partition_table_load(ota_flash_file_flash(*file), *table_offset, table, &diag);
    }
    if (err != OTA_OK) {
        cli_error("%s: no valid partition table at 0x%x: %s", path, (unsigned)*table_offset,
                  diag.message[0] ? diag.message : ota_strerror(err));
        ota_flash_file_close(*file);
        *file = NULL;
    }
    return err;
}

const ota_partition_info_t *partition_find_label(const ota_partition_table_t *table, const char *device,
                                                 const char *label)
{
    const ota_partition_info_t *p = ota_partition_find_by_label(table, label);
    if (p == NULL) {
        char known[OTA_PARTITION_MAX_ENTRIES * (OTA_PARTITION_LABEL_MAX + 2) + 1] = "";
        size_t used = 0;
        for (size_t i = 0; i < table->count; i++) {
            used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "",
                                     table->entries[i].label);
        }
        cli_error("no partition '%s' in %s; known labels: %s", label, device, known);
    }
    return p;
}
