/* The OTA example as a program of its own:
 *   ota_example DEVICE.bin [FIRMWARE_UPGRADE_URI [DATA_UPGRADE_URI]]
 * with the example's Kconfig defaults otherwise (`ota run` is the same with every option). */
#include <stdio.h>
#include <string.h>

#include "ota/sim/ota_example_host.h"
#include "ota/ota_err.h"
#include "ota/port/ota_log_posix.h"

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4 || strcmp(argv[1], "--help") == 0) {
        fprintf(argc < 2 ? stderr : stdout,
                "Usage: %s DEVICE.bin [FIRMWARE_UPGRADE_URI [DATA_UPGRADE_URI]]\n"
                "Runs ESP-ADF's OTA example on the device image (see `ota run --help` for options).\n",
                argv[0]);
        return argc < 2 ? 2 : 0;
    }
    ota_log_to_stream(stdout, 0);
    ota_example_host_options_t opts = {
        .device_path = argv[1],
        .example =
            {
                .firmware_upgrade_uri = argc > 2 ? argv[2] : OTA_EXAMPLE_DEFAULT_FIRMWARE_UPGRADE_URI,
                .data_upgrade_uri = argc > 3 ? argv[3] : OTA_EXAMPLE_DEFAULT_DATA_UPGRADE_URI,
                .data_partition_label = OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL,
            },
    };
    ota_example_host_result_t result;
    int err = ota_example_host_run(&opts, &result);
    if (err != OTA_OK) {
        fprintf(stderr, "ota_example: %s\n", ota_strerror(err));
        return 1;
    }
    return result.boot_err == OTA_OK && result.summary.failed == 0 && result.example_err == OTA_OK ? 0 : 1;
}
