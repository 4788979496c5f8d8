/*
 * The device state file (DEVICE.bin.state, src/sim/host/device_state.c): the sidecar text that
 * `ota` reads for every device command, parsed into a device whose table has the ESP-ADF example's
 * partitions (so `running=` resolves labels). Property: whatever parsed formats back into text
 * that parses to the same state.
 */
#include "fuzz.h"

#include "ota/ota_device.h"
#include "ota/sim/ota_device_file.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

OTA_FUZZ_QUIET_INIT

static const char table_csv[] = "nvs,data,nvs,0x9000,0x4000\n"
                                "otadata,data,ota,0xd000,0x2000\n"
                                "phy_init,data,phy,0xf000,0x1000\n"
                                "ota_0,app,ota_0,0x10000,0x100000\n"
                                "ota_1,app,ota_1,0x110000,0x100000\n"
                                "flash_tone,data,0x27,0x210000,0x80000\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ota_partition_table_t table;
    static bool have_table;
    if (!have_table) {
        ota_partition_diag_t pdiag;
        OTA_FUZZ_CHECK(ota_partition_table_parse_csv(table_csv, sizeof table_csv - 1, NULL, &table, &pdiag) ==
                       0);
        have_table = true;
    }
    char *text = ota_fuzz_strndup(data, size);
    if (text == NULL) {
        return 0;
    }
    static ota_device_t dev;
    static ota_device_t again;
    ota_device_init(&dev, NULL, &table);
    char diag[160];
    if (ota_device_state_parse(text, size, &dev, diag, sizeof diag) == 0) {
        char out[1024];
        int n = ota_device_state_format(&dev, out, sizeof out);
        OTA_FUZZ_CHECK(n > 0 && (size_t)n < sizeof out);
        ota_device_init(&again, NULL, &table);
        OTA_FUZZ_CHECK(ota_device_state_parse(out, (size_t)n, &again, diag, sizeof diag) == 0);
        OTA_FUZZ_CHECK(again.chip_id == dev.chip_id && again.chip_revision == dev.chip_revision &&
                       again.efuse_secure_version == dev.efuse_secure_version &&
                       again.rollback_enabled == dev.rollback_enabled &&
                       again.anti_rollback_enabled == dev.anti_rollback_enabled &&
                       again.running_index == dev.running_index);
    } else {
        OTA_FUZZ_CHECK(memchr(diag, '\0', sizeof diag) != NULL);
    }
    free(text);
    return 0;
}
