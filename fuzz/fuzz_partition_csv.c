/*
 * Partition table CSV (gen_esp32part.py's rules): any text, with the parser's options taken from
 * the first byte, then the parsed table through binary and CSV output and back. Property: a table
 * that parsed and verified converts to binary, and that binary parses to the same entries.
 */
#include "fuzz.h"

#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

OTA_FUZZ_QUIET_INIT

/* A small fixed environment so `$VAR` expansion runs too. */
static const char *env_lookup(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "OFFSET") == 0) {
        return "0x10000";
    }
    if (strcmp(name, "SIZE") == 0) {
        return "1M";
    }
    if (strcmp(name, "LONG") == 0) {
        return "0x0000000000000000000000000000000000000000000000000000000000000000000000000000001";
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t sel = data[0];
    char *text = ota_fuzz_strndup(data + 1, size - 1);
    if (text == NULL) {
        return 0;
    }
    ota_partition_csv_options_t opts = {0};
    opts.table_offset = (sel & 1) ? 0x9000u : 0;
    opts.flash_size = (sel & 2) ? 4u * 1024u * 1024u : 0;
    opts.secure_v1 = (sel & 4) != 0;
    opts.no_verify = (sel & 8) != 0;
    opts.primary_bootloader_offset = 0x1000u;
    opts.primary_bootloader_offset_set = (sel & 16) != 0;
    opts.recovery_bootloader_offset = 0x3F0000u;
    opts.recovery_bootloader_offset_set = (sel & 32) != 0;
    opts.env_lookup = (sel & 64) ? env_lookup : NULL;

    static ota_partition_table_t t;
    static ota_partition_table_t back;
    ota_partition_diag_t diag;
    /* The length excludes the NUL: the parser must stop at len, not at a terminator. */
    if (ota_partition_table_parse_csv(text, size - 1, &opts, &t, &diag) == 0) {
        static uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];
        static char csv[64 * 1024];
        (void)ota_partition_table_verify(&t, &opts, &diag);
        int n = ota_partition_table_to_csv(&t, csv, sizeof csv);
        OTA_FUZZ_CHECK(n < 0 || (size_t)n < sizeof csv);
        if (ota_partition_table_to_binary(&t, true, bin) == 0) {
            OTA_FUZZ_CHECK(ota_partition_table_from_binary(bin, sizeof bin, &back, &diag) == 0);
            OTA_FUZZ_CHECK(back.count == t.count);
            for (size_t i = 0; i < t.count; i++) {
                OTA_FUZZ_CHECK(back.entries[i].offset == t.entries[i].offset &&
                               back.entries[i].size == t.entries[i].size &&
                               back.entries[i].type == t.entries[i].type &&
                               back.entries[i].subtype == t.entries[i].subtype);
            }
        }
    }
    free(text);
    return 0;
}
