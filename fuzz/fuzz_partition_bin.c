/*
 * Binary partition table: both parsers (gen_esp32part's from_binary and the app's load_partitions)
 * on any bytes, then what the CLI does with a parsed table (verify, bounds, CSV, binary again).
 * Property: from_binary keeps every byte it read, so to_binary gives the input's entries back
 * (an MD5 entry is checked and skipped wherever it stands, as gen_esp32part does, so it is left
 * out of the comparison: tests/fuzz/regressions/partition_bin/md5_entry_not_last).
 */
#include "fuzz.h"

#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

OTA_FUZZ_QUIET_INIT

static void use_table(const ota_partition_table_t *t)
{
    ota_partition_diag_t diag;
    (void)ota_partition_table_verify(t, NULL, &diag);
    (void)ota_partition_table_check_bounds(t, 4u * 1024u * 1024u, &diag);
    (void)ota_partition_table_check_flash_size(t, 16u * 1024u * 1024u, &diag);
    static char csv[64 * 1024];
    int n = ota_partition_table_to_csv(t, csv, sizeof csv);
    OTA_FUZZ_CHECK(n < 0 || (size_t)n < sizeof csv);
    for (size_t i = 0; i < t->count; i++) {
        char buf[64];
        (void)ota_partition_format_size(t->entries[i].size, buf, sizeof buf);
        (void)ota_partition_format_flags(t->entries[i].flags, buf, sizeof buf);
        (void)ota_partition_type_name(t->entries[i].type);
        (void)ota_partition_subtype_name(t->entries[i].type, t->entries[i].subtype);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Exact-size heap copy: a read past the table's end is an ASan report. */
    uint8_t *copy = malloc(size ? size : 1);
    if (copy == NULL) {
        return 0;
    }
    memcpy(copy, data, size);

    static ota_partition_table_t t;
    ota_partition_diag_t diag;
    if (ota_partition_table_from_binary(copy, size, &t, &diag) == 0) {
        use_table(&t);
        static uint8_t out[OTA_PARTITION_TABLE_MAX_LEN];
        if (ota_partition_table_to_binary(&t, false, out) == 0) {
            /* Entries come back byte for byte, in order, MD5 entries left out. */
            size_t k = 0;
            for (size_t off = 0; k < t.count && off + OTA_PARTITION_ENTRY_SIZE <= size;
                 off += OTA_PARTITION_ENTRY_SIZE) {
                if (copy[off] == 0xEB && copy[off + 1] == 0xEB) {
                    continue;
                }
                OTA_FUZZ_CHECK(
                    memcmp(out + k * OTA_PARTITION_ENTRY_SIZE, copy + off, OTA_PARTITION_ENTRY_SIZE) == 0);
                k++;
            }
            OTA_FUZZ_CHECK(k == t.count);
        }
    }
    if (ota_partition_table_parse_app(copy, size, &t, &diag) == 0) {
        use_table(&t);
    }
    free(copy);
    return 0;
}
