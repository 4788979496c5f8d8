/* `ota flash create`: a new device image — erased flash with a partition table at 0x8000. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ota/ota_err.h"
#include "ota/ota_flash_file.h"
#include "ota/ota_partition.h"

/* The ESP-ADF OTA example's partitions.csv (shared/testdata/partitions/seed_ota_example.csv). */
static const char k_default_table_csv[] =
    "# Name,   Type, SubType, Offset,   Size, Flags\n"
    "nvs,      data, nvs,     0x9000,   0x4000,\n"
    "otadata,  data, ota,     0xd000,   0x2000,\n"
    "phy_init, data, phy,     0xf000,   0x1000,\n"
    "ota_0,    app,  ota_0,   0x10000,  1M,\n"
    "ota_1,    app,  ota_1,   ,         1M,\n"
    "flash_tone, data, 0xff,  ,         1M,\n";

static void create_usage(FILE *out)
{
    fprintf(out,
            "Usage: ota flash create [OPTIONS] DEVICE.bin\n"
            "\n"
            "Create DEVICE.bin, an erased flash image (every byte 0xFF), and write a partition\n"
            "table at 0x8000 (binary form of gen_esp32part.py, with its MD5 entry). An existing\n"
            "DEVICE.bin is overwritten. Without --table the table is the ESP-ADF OTA example's:\n"
            "nvs 0x9000 16K, otadata 0xd000 8K, phy_init 0xf000 4K, ota_0 0x10000 1M,\n"
            "ota_1 0x110000 1M, flash_tone 0x210000 1M.\n"
            "\n"
            "Options:\n"
            "  -t, --table FILE.csv  partition table CSV (gen_esp32part.py syntax, $VAR expanded)\n"
            "  -s, --size SIZE       flash size, a multiple of 64K up to 16MB (default 4MB);\n"
            "                        e.g. 4MB, 16M, 0x400000\n"
            "      --offset ADDR     partition table offset (default 0x8000)\n"
            "      --no-md5          write the table without its MD5 entry (--disable-md5sum)\n"
            "      --json            print the result as one JSON object\n"
            "  -h, --help            show this help\n"
            "\n"
            "A table that does not fit the flash size is refused. Exit status: 0 created,\n"
            "1 failed (bad table, I/O), 2 usage error.\n");
}

static int cmd_flash_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"table", required_argument, NULL, 't'}, {"size", required_argument, NULL, 's'},
        {"offset", required_argument, NULL, 'o'}, {"no-md5", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},         {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *table_path = NULL;
    uint64_t size = 4u * 1024u * 1024u, table_offset = OTA_PARTITION_TABLE_OFFSET;
    bool md5 = true, json = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":t:s:h", longopts, NULL)) != -1) {
        switch (c) {
        case 't': table_path = optarg; break;
        case 's':
            if (!cli_parse_size(optarg, &size) || size == 0 || size % OTA_FLASH_BLOCK_SIZE != 0 ||
                size > OTA_FLASH_EMU_MAX_SIZE) {
                return cli_usage_error("flash create",
                                       "invalid --size '%s': a flash size is a multiple of 64K, at most 16MB",
                                       optarg);
            }
            break;
        case 'o':
            if (!cli_parse_uint(optarg, UINT32_MAX, &table_offset) ||
                table_offset % OTA_PARTITION_TABLE_SECTOR_SIZE != 0) {
                return cli_usage_error("flash create", "invalid --offset '%s': a 4 KiB-aligned address",
                                       optarg);
            }
            break;
        case 'n': md5 = false; break;
        case 'j': json = true; break;
        case 'h': create_usage(stdout); return CLI_EXIT_OK;
        case ':': return cli_usage_error("flash create", "option '%s' needs a value", argv[optind - 1]);
        default: return cli_option_error("flash create", c, argv);
        }
    }
    if (argc - optind != 1) {
        return cli_usage_error("flash create", "%s",
                               argc - optind == 0 ? "missing DEVICE.bin" : "too many arguments");
    }
    const char *device = argv[optind];
    if (table_offset + OTA_PARTITION_TABLE_SECTOR_SIZE > size) {
        return cli_usage_error("flash create", "the table at 0x%llx does not fit in a %llu-byte flash",
                               (unsigned long long)table_offset, (unsigned long long)size);
    }

    /* Parse (and refuse) the table before the device file is touched. */
    uint8_t *csv = NULL;
    size_t csv_len = 0;
    if (table_path != NULL && cli_read_file(table_path, &csv, &csv_len) != OTA_OK) {
        return CLI_EXIT_FAIL;
    }
    ota_partition_csv_options_t opts = {
        .table_offset = (uint32_t)table_offset,
        .flash_size = (uint32_t)size,
        .env_lookup = cli_env_lookup,
    };
    ota_partition_table_t *table = calloc(1, sizeof *table);
    ota_partition_diag_t diag = {0};
    int err = table ? OTA_OK : OTA_ERR_NO_MEM;
    if (err == OTA_OK) {
        err = table_path ? ota_partition_table_parse_csv((const char *)csv, csv_len, &opts, table, &diag)
                         : ota_partition_table_parse_csv(k_default_table_csv, sizeof k_default_table_csv - 1,
                                                         &opts, table, &diag);
    }
    free(csv);
    if (err == OTA_OK) {
        err = ota_partition_table_check_bounds(table, (uint32_t)size, &diag);
    }
    if (err == OTA_OK &&
        (table->count + (md5 ? 1u : 0u)) * OTA_PARTITION_ENTRY_SIZE >= OTA_PARTITION_TABLE_MAX_LEN) {
        err = OTA_ERR_PT_TOO_MANY;
        snprintf(diag.message, sizeof diag.message, "Binary partition table length (%zu) longer than max",
                 (table->count + (md5 ? 1u : 0u)) * OTA_PARTITION_ENTRY_SIZE);
    }
    if (err != OTA_OK) {
        cli_error("%s: %s", table_path ? table_path : "built-in table",
                  diag.message[0] ? diag.message : ota_strerror(err));
        free(table);
        return CLI_EXIT_FAIL;
    }

    ota_flash_file_options_t fo = {.create = true, .emu = {.size = (uint32_t)size, .strict = true}};
    ota_flash_file_t *file = NULL;
    err = ota_flash_file_open(device, &fo, &file);
    if (err != OTA_OK) {
        cli_error("cannot create %s: %s", device,
                  err == OTA_ERR_BUSY ? "in use by another process" : ota_strerror(err));
        free(table);
        return CLI_EXIT_FAIL;
    }
    err = ota_partition_table_store(ota_flash_file_flash(file), (uint32_t)table_offset, table, md5);
    ota_flash_file_close(file);
    if (err != OTA_OK) {
        cli_error("%s: cannot write the partition table: %s", device, ota_strerror(err));
        free(table);
        return CLI_EXIT_FAIL;
    }

    if (json) {
        cJSON *o = cJSON_CreateObject();
        cli_json_add_string(o, "device", device);
        cJSON_AddNumberToObject(o, "size", (double)size);
        cJSON_AddNumberToObject(o, "table_offset", (double)table_offset);
        cJSON_AddNumberToObject(o, "partitions", (double)table->count);
        cJSON_AddBoolToObject(o, "md5", md5);
        cli_json_add_string(o, "table", table_path ? table_path : "built-in (ESP-ADF OTA example)");
        cli_json_print(o);
    } else {
        bool mib = size % (1024 * 1024) == 0;
        printf("Created %s: %llu %s erased flash, partition table at 0x%llx (%zu partitions%s) from %s\n",
               device, (unsigned long long)(mib ? size / (1024 * 1024) : size / 1024), mib ? "MiB" : "KiB",
               (unsigned long long)table_offset, table->count, md5 ? ", MD5" : "",
               table_path ? table_path : "the built-in ESP-ADF OTA example table");
    }
    free(table);
    return CLI_EXIT_OK;
}

int cmd_flash(int argc, char **argv)
{
    static const cli_command_t commands[] = {
        {"create", cmd_flash_create, "create an erased device image with a partition table"},
    };
    return cli_dispatch("flash", commands, sizeof commands / sizeof commands[0], argc, argv);
}
