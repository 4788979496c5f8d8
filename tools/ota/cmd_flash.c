/* `ota flash create`: a new device image — erased flash with a partition table (at 0x8000 by
 * default) and optionally a second-stage bootloader where the chip's ROM loads it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "out.h"
#include "commands.h"
#include "flash_presets.h"
#include "ota/ota_app_image.h"
#include "ota/ota_bootloader_image.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_file.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

static void create_usage(FILE *out)
{
    fprintf(out, "Usage: ota flash create [OPTIONS] DEVICE.bin\n"
                 "\n"
                 "Create DEVICE.bin, an erased flash image (every byte 0xFF), and write a partition\n"
                 "table at --offset (binary form of gen_esp32part.py, with its MD5 entry). An existing\n"
                 "DEVICE.bin is overwritten. Without --table or --preset the table is the ESP-ADF OTA\n"
                 "example's of 2020 (preset adf-ota-2020): nvs 0x9000 16K, otadata 0xd000 8K,\n"
                 "phy_init 0xf000 4K, ota_0 0x10000 1M, ota_1 0x110000 1M, flash_tone 0x210000 1M.\n"
                 "\n"
                 "Options:\n"
                 "  -t, --table FILE      partition table: CSV (gen_esp32part.py syntax, $VAR\n"
                 "                        expanded) or a binary table (gen_esp32part.py output)\n"
                 "  -p, --preset NAME     a known partition table (below), as gen_esp32part.py makes it\n"
                 "                        from its CSV\n"
                 "  -s, --size SIZE       flash size, a multiple of 64K up to 16MB (default 4MB, or\n"
                 "                        the flash size in --bootloader's header); e.g. 4MB, 0x400000\n"
                 "      --offset ADDR     partition table offset (default 0x8000; another offset is\n"
                 "                        kept in DEVICE.bin.state, CONFIG_PARTITION_TABLE_OFFSET)\n"
                 "      --chip CHIP       the device's chip (esp32, esp32c3, ...; default esp32, or\n"
                 "                        the chip --bootloader is built for)\n"
                 "      --bootloader FILE a second-stage bootloader image (bootloader.bin), placed\n"
                 "                        where the chip's ROM loads it: 0x1000 (ESP32, -S2), 0x2000\n"
                 "                        (-P4, -C5), 0x0 (others), as in a real flash\n"
                 "      --keep-efuses     keep the eFuses (chip, secure version, Secure Boot key\n"
                 "                        digests and revocations) of an existing DEVICE.bin.state\n"
                 "      --no-md5, --disable-md5sum\n"
                 "                        write the table without its MD5 entry\n"
                 "      --json            print the result as one JSON object\n"
                 "  -h, --help            show this help\n"
                 "\n"
                 "Presets (--preset NAME):\n");
    flash_presets_usage(out);
    fprintf(out, "\n"
                 "DEVICE.bin is a new device: DEVICE.bin.state is written afresh (chip, table offset;\n"
                 "removed when all is default), nothing running, eFuses kept only with --keep-efuses.\n"
                 "A table that does not fit the flash size,\n"
                 "or a bootloader reaching the table, is refused. Exit status: 0 created,\n"
                 "1 failed (bad table, I/O), 2 usage error.\n");
}

/* The eFuse lines of a sidecar (ota_device_file.h): burnt into the chip, they outlive its flash. */
static bool is_efuse_line(const char *line)
{
    static const char *const keys[] = {"chip=",           "chip_revision=",         "efuse_secure_version=",
                                       "secure_boot_v2=", "secure_boot_key_digest", "secure_boot_key_revoke"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
            return true;
        }
    }
    return false;
}

/* The eFuse lines of DEVICE.bin.state for --keep-efuses ("" when there is no sidecar); NULL after
 * an error, printed. */
static char *read_old_efuses(const char *state_path)
{
    uint8_t *text = NULL;
    size_t len = 0;
    FILE *probe = fopen(state_path, "rb");
    if (probe == NULL) {
        return calloc(1, 1);
    }
    fclose(probe);
    if (cli_read_file(state_path, &text, &len) != OTA_OK) {
        return NULL;
    }
    char *kept = calloc(1, len + 2);
    size_t out = 0;
    for (size_t pos = 0; kept != NULL && pos < len;) {
        size_t end = pos;
        while (end < len && text[end] != '\n') {
            end++;
        }
        size_t start = pos;
        while (start < end && (text[start] == ' ' || text[start] == '\t')) {
            start++;
        }
        char line[600];
        size_t n = end - start < sizeof line - 1 ? end - start : sizeof line - 1;
        memcpy(line, text + start, n);
        line[n] = '\0';
        if (is_efuse_line(line)) {
            memcpy(kept + out, line, n);
            out += n;
            kept[out++] = '\n';
        }
        pos = end + 1;
    }
    free(text);
    return kept;
}

/* A new device's sidecar: the defaults of a fresh chip (nothing running: RAM state does not survive
 * a new flash), its chip and table offset, and with --keep-efuses the old sidecar's eFuse lines. */
static int write_fresh_state(const char *state_path, uint16_t chip_id, bool chip_given, uint32_t table_offset,
                             const char *efuses)
{
    ota_device_t dev;
    ota_device_init(&dev, NULL, NULL);
    dev.chip_id = chip_id;
    dev.chip_revision = chip_id == OTA_CHIP_ESP32 ? OTA_DEVICE_DEFAULT_REVISION_ESP32 : 0;
    if (efuses != NULL && efuses[0] != '\0') {
        char why[200] = "";
        int err = ota_device_state_parse(efuses, strlen(efuses), &dev, why, sizeof why);
        if (err != OTA_OK) {
            cli_error("%s: %s (--keep-efuses)", state_path, why);
            return err;
        }
        if (chip_given && dev.chip_id != chip_id) {
            cli_error("%s holds the eFuses of an %s, not an %s: --keep-efuses keeps a chip's eFuses",
                      state_path, ota_chip_display_name(dev.chip_id), ota_chip_display_name(chip_id));
            return OTA_ERR_INVALID_ARG;
        }
    }
    dev.table_offset = table_offset;
    char text[1024];
    int n = ota_device_state_format(&dev, text, sizeof text);
    if (n < 0 || (size_t)n >= sizeof text) {
        cli_error("%s: cannot format the device state", state_path);
        return OTA_ERR_BUFFER_TOO_SMALL;
    }
    return cli_write_file(state_path, text, (size_t)n);
}

/* What the text says and the JSON does not: the bootloader file and chip names. */
typedef struct {
    const char *bootloader_path; /* NULL: none written */
    uint16_t bootloader_chip;
    const ota_chip_info_t *chip; /* NULL: --chip not given */
} create_text_ctx_t;

static void create_text(const out_t *r, const void *ctx)
{
    const create_text_ctx_t *t = ctx;
    uint64_t size = (uint64_t)out_get_int(r, "size");
    bool mib = size % (1024 * 1024) == 0;
    const char *table = out_get_str(r, "table");
    printf("Created %s: %llu %s erased flash, partition table at 0x%llx (%u partitions%s) from %s%s\n",
           out_get_str(r, "device"), (unsigned long long)(mib ? size / (1024 * 1024) : size / 1024),
           mib ? "MiB" : "KiB", (unsigned long long)out_get_int(r, "table_offset"),
           (unsigned)out_get_int(r, "partitions"), out_get_bool(r, "md5") ? ", MD5" : "",
           table ? table : "preset ", table ? "" : out_get_str(r, "preset"));
    if (t->bootloader_path != NULL) {
        printf("Bootloader %s (%s) at 0x%x\n", t->bootloader_path, ota_chip_display_name(t->bootloader_chip),
               (unsigned)out_get_int(r, "bootloader_offset"));
    } else if (t->chip != NULL) {
        printf("Chip %s (in %s%s)\n", t->chip->display_name, out_get_str(r, "device"),
               OTA_DEVICE_STATE_SUFFIX);
    }
}

static int cmd_flash_create(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"table", required_argument, NULL, 't'},
        {"preset", required_argument, NULL, 'p'},
        {"size", required_argument, NULL, 's'},
        {"offset", required_argument, NULL, 'o'},
        {"no-md5", no_argument, NULL, 'n'},
        {"chip", required_argument, NULL, 'c'},
        {"bootloader", required_argument, NULL, 'b'},
        {"disable-md5sum", no_argument, NULL, 'n'}, /* gen_esp32part's name, as partition convert */
        {"keep-efuses", no_argument, NULL, 'k'},
        CLI_OPTION_JSON,
        CLI_OPTION_HELP,
        CLI_OPTIONS_END,
    };
    cli_args_t a = {.command = "flash create", .usage = create_usage};
    const char *table_path = NULL, *bootloader_path = NULL;
    const flash_preset_t *preset = NULL;
    const ota_chip_info_t *chip = NULL;
    bool size_set = false;
    uint64_t size = 4u * 1024u * 1024u, table_offset = OTA_PARTITION_TABLE_OFFSET;
    bool md5 = true, keep_efuses = false;
    int c;
    while ((c = cli_getopt(&a, argc, argv, ":t:p:s:h", longopts)) != -1) {
        switch (c) {
        case 't': table_path = optarg; break;
        case 'p':
            preset = flash_preset_find(optarg);
            if (preset == NULL) {
                return cli_usage_error("flash create", "unknown --preset '%s' (the list is in --help)",
                                       optarg);
            }
            break;
        case 's':
            if (!cli_parse_size(optarg, &size) || size == 0 || size % OTA_FLASH_BLOCK_SIZE != 0 ||
                size > OTA_FLASH_EMU_MAX_SIZE) {
                return cli_usage_error("flash create",
                                       "invalid --size '%s': a flash size is a multiple of 64K, at most 16MB",
                                       optarg);
            }
            size_set = true;
            break;
        case 'c':
            chip = ota_chip_info_by_name(optarg);
            if (chip == NULL) {
                return cli_usage_error("flash create",
                                       "unknown --chip '%s' (esp32, esp32s2, esp32c3, esp32s3, ...)", optarg);
            }
            break;
        case 'b': bootloader_path = optarg; break;
        case 'o':
            if (!cli_parse_uint(optarg, UINT32_MAX, &table_offset) ||
                table_offset % OTA_PARTITION_TABLE_SECTOR_SIZE != 0) {
                return cli_usage_error("flash create", "invalid --offset '%s': a 4 KiB-aligned address",
                                       optarg);
            }
            break;
        case 'n': md5 = false; break;
        case 'k': keep_efuses = true; break;
        }
    }
    if (!cli_operands(&a, argc, 1, 1, "missing DEVICE.bin")) {
        return a.status;
    }
    const char *device = argv[optind];
    if (table_path != NULL && preset != NULL) {
        return cli_usage_error("flash create",
                               "--table and --preset both name the partition table: give one");
    }
    if (table_path == NULL && preset == NULL) {
        preset = flash_preset_default();
    }

    /* The bootloader first: its header names the chip and, unless --size says otherwise, the flash. */
    uint8_t *bootloader = NULL;
    size_t bootloader_len = 0;
    ota_bootloader_image_info_t bl = {0};
    if (bootloader_path != NULL) {
        if (cli_read_file(bootloader_path, &bootloader, &bootloader_len) != OTA_OK) {
            return CLI_EXIT_FAIL;
        }
        /* its own chip id (header offset 0x0C) says at which address its ROM expects it */
        uint16_t id =
            bootloader_len >= OTA_IMAGE_HEADER_SIZE ? (uint16_t)(bootloader[12] | bootloader[13] << 8) : 0;
        int berr =
            ota_bootloader_image_parse(bootloader, bootloader_len, ota_bootloader_image_offset(id), &bl);
        if (berr != OTA_OK) {
            cli_error("%s: not a second-stage bootloader image: %s", bootloader_path, ota_strerror(berr));
            free(bootloader);
            return CLI_EXIT_FAIL;
        }
        if (chip != NULL && chip->id != bl.chip_id) {
            cli_error("%s is built for %s, not %s (--chip)", bootloader_path,
                      ota_chip_display_name(bl.chip_id), chip->display_name);
            free(bootloader);
            return CLI_EXIT_FAIL;
        }
        chip = ota_chip_info(bl.chip_id);
        if (!size_set) {
            size = bl.flash_size;
        }
        if (size > OTA_FLASH_EMU_MAX_SIZE) {
            cli_error("%s names a %u MiB flash; the emulator holds at most 16 MiB (use --size)",
                      bootloader_path, (unsigned)(bl.flash_size >> 20));
            free(bootloader);
            return CLI_EXIT_FAIL;
        }
        if (bl.offset + bootloader_len > table_offset) {
            cli_error("%s (%zu bytes at 0x%x) reaches the partition table at 0x%llx (use --offset)",
                      bootloader_path, bootloader_len, (unsigned)bl.offset, (unsigned long long)table_offset);
            free(bootloader);
            return CLI_EXIT_FAIL;
        }
    }
    if (table_offset + OTA_PARTITION_TABLE_SECTOR_SIZE > size) {
        free(bootloader);
        return cli_usage_error("flash create", "the table at 0x%llx does not fit in a %llu-byte flash",
                               (unsigned long long)table_offset, (unsigned long long)size);
    }

    /* Parse (and refuse) the table before the device file is touched. */
    uint8_t *csv = NULL;
    size_t csv_len = 0;
    if (table_path != NULL && cli_read_file(table_path, &csv, &csv_len) != OTA_OK) {
        free(bootloader);
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
    /* A binary table (gen_esp32part.py's output, what `idf.py build` leaves in build/partition_table/)
     * starts with an entry's magic AA 50, as `ota partition convert` tells them apart. */
    bool binary_in = csv_len >= 2 && csv[0] == 0xAA && csv[1] == 0x50;
    if (err == OTA_OK && binary_in) {
        err = ota_partition_table_from_binary(csv, csv_len, table, &diag);
        if (err == OTA_OK) {
            err = ota_partition_table_verify(table, &opts, &diag);
        }
        md5 = md5 && table->has_md5; /* the table as it was made: with its MD5 entry or without */
    } else if (err == OTA_OK) {
        err = table_path
                  ? ota_partition_table_parse_csv((const char *)csv, csv_len, &opts, table, &diag)
                  : ota_partition_table_parse_csv(preset->csv, strlen(preset->csv), &opts, table, &diag);
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
        cli_error("%s%s: %s", table_path ? table_path : "preset ", table_path ? "" : preset->name,
                  diag.message[0] ? diag.message : ota_strerror(err));
        free(table);
        free(bootloader);
        return CLI_EXIT_FAIL;
    }

    size_t dlen = strlen(device);
    char *state_path = malloc(dlen + sizeof OTA_DEVICE_STATE_SUFFIX);
    char *kept_efuses = NULL;
    if (state_path != NULL) {
        memcpy(state_path, device, dlen);
        memcpy(state_path + dlen, OTA_DEVICE_STATE_SUFFIX, sizeof OTA_DEVICE_STATE_SUFFIX);
        kept_efuses = keep_efuses ? read_old_efuses(state_path) : NULL;
    }
    if (state_path == NULL || (keep_efuses && kept_efuses == NULL)) {
        if (state_path == NULL) {
            cli_error("%s", ota_strerror(OTA_ERR_NO_MEM));
        }
        free(state_path);
        free(table);
        free(bootloader);
        return CLI_EXIT_FAIL;
    }
    ota_flash_file_options_t fo = {.create = true, .emu = {.size = (uint32_t)size, .strict = true}};
    ota_flash_file_t *file = NULL;
    err = ota_flash_file_open(device, &fo, &file);
    if (err != OTA_OK) {
        cli_error("cannot create %s: %s", device,
                  err == OTA_ERR_BUSY ? "in use by another process" : ota_strerror(err));
        free(state_path);
        free(kept_efuses);
        free(table);
        free(bootloader);
        return CLI_EXIT_FAIL;
    }
    err = ota_partition_table_store(ota_flash_file_flash(file), (uint32_t)table_offset, table, md5);
    if (err == OTA_OK && bootloader != NULL) {
        err = ota_flash_program(ota_flash_file_flash(file), bl.offset, bootloader, bootloader_len);
    }
    ota_flash_file_close(file);
    free(bootloader);
    if (err != OTA_OK) {
        cli_error("%s: cannot write the partition table or bootloader: %s", device, ota_strerror(err));
        free(state_path);
        free(kept_efuses);
        free(table);
        return CLI_EXIT_FAIL;
    }
    /* A new device: the sidecar is written afresh, so no RAM state (the running app) of an earlier
     * device of this name survives, and its eFuses only with --keep-efuses. */
    if (chip == NULL && table_offset == OTA_PARTITION_TABLE_OFFSET &&
        (kept_efuses == NULL || !kept_efuses[0])) {
        /* nothing to say: no sidecar, as a device flashed by ESP-IDF's tools (defaults) */
        err = unlink(state_path) == 0 || errno == ENOENT ? OTA_OK : OTA_ERR_IO;
        if (err != OTA_OK) {
            cli_error("%s: cannot remove the old device state: %s", state_path, strerror(errno));
        }
    } else {
        err = write_fresh_state(state_path, chip != NULL ? chip->id : OTA_CHIP_ESP32, chip != NULL,
                                (uint32_t)table_offset, kept_efuses);
    }
    free(kept_efuses);
    free(state_path);
    if (err != OTA_OK) {
        free(table);
        return CLI_EXIT_FAIL;
    }

    out_t *o = out_object();
    out_str(o, "device", device);
    out_int(o, "size", (int64_t)size);
    out_int(o, "table_offset", (int64_t)table_offset);
    out_int(o, "partitions", (int64_t)table->count);
    out_bool(o, "md5", md5);
    out_str(o, "chip", chip != NULL ? chip->name : "esp32");
    if (bootloader_path != NULL) {
        out_int(o, "bootloader_offset", bl.offset);
    }
    out_str(o, "table", table_path);
    out_str(o, "preset", table_path != NULL ? NULL : preset->name);
    create_text_ctx_t t = {bootloader_path, bl.chip_id, chip};
    out_emit(o, a.json, create_text, &t);
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
