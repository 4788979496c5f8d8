/**
 * @file partition_cli.h
 * @brief What the `ota partition` subcommands share (partition_cli.c); read and write live in
 * cmd_partition_rw.c, list and convert in cmd_partition.c.
 */
#ifndef OTA_PARTITION_CLI_H
#define OTA_PARTITION_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "ota/sim/ota_flash_file.h"
#include "ota/ota_partition.h"

/* No --offset: the device's own table offset (never a valid --offset: not 4 KiB-aligned). */
#define TABLE_OFFSET_FIND UINT32_MAX

/* --offset's value: a 4 KiB-aligned address below 4 GiB. */
bool partition_parse_table_offset(const char *text, uint32_t *out);

/* What a file that is not a flash image may be instead: a partition table. */
typedef enum {
    TABLE_FILE_NONE,   /* neither (or unreadable) */
    TABLE_FILE_BINARY, /* gen_esp32part's binary output (starts with AA 50, at most 4 KiB) */
    TABLE_FILE_CSV,    /* short printable text with commas: a partition table CSV */
} table_file_kind_t;

table_file_kind_t partition_table_file_kind(const char *path);

/* Parse the binary partition table file @p path (gen_esp32part's from_binary: an MD5 entry is
 * checked); prints the error itself. */
int partition_read_table_file(const char *path, ota_partition_table_t *table);

/* Open @p path and load its partition table; prints the error itself. *table_offset
 * TABLE_OFFSET_FIND (no --offset): where the device's table is (state file, 0x8000, or the
 * scan), set on return. OTA_OK, or the open / table error (the file is closed then). */
int partition_open_device(const char *path, bool writable, uint32_t *table_offset, ota_flash_file_t **file,
                          ota_partition_table_t *table);

/* The partition @p label of @p table, or NULL after printing the labels there are. */
const ota_partition_info_t *partition_find_label(const ota_partition_table_t *table, const char *device,
                                                 const char *label);

int cmd_partition_read(int argc, char **argv);  /* ota partition read */
int cmd_partition_write(int argc, char **argv); /* ota partition write */

#endif /* OTA_PARTITION_CLI_H */
