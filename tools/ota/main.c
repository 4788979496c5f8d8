/* `ota`: the command-line face of ota-service. Each subcommand lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "ota/port/ota_crypto.h"

#ifndef OTA_VERSION_STRING
#define OTA_VERSION_STRING "unknown"
#endif

static const cli_command_t k_commands[] = {
    {"flash", cmd_flash, "create an erased device image with a partition table"},
    {"partition", cmd_partition, "list, convert, read or write partitions"},
    {"image", cmd_image, "inspect or make ESP app images"},
    {"tone", cmd_tone, "inspect or make ESP-ADF tone partition images"},
    {"info", cmd_info, "show a device: table, otadata, app slots, next boot"},
    {"boot", cmd_boot, "run the simulated second-stage bootloader"},
    {"set-boot", cmd_set_boot, "verify an app slot and make it the boot partition"},
    {"confirm", cmd_confirm, "mark the running app valid (cancel rollback)"},
    {"rollback", cmd_rollback, "mark the running app invalid and boot the previous one"},
    {"fetch", cmd_fetch, "download a file://, http:// or https:// URI to a file"},
    {"run", cmd_run, "run the ESP-ADF OTA example's upgrade list on a device"},
    {"keys", cmd_keys, "generate signing keys, key digests (espsecure)"},
    {"efuse", cmd_efuse, "burn Secure Boot V2 key digests, revoke keys, enable secure boot"},
    {"config", cmd_config, "set signed-app, signed-data and decryption key settings"},
    {"delta", cmd_delta, "make, apply or inspect esp_delta_ota (detools) patches"},
    {"release", cmd_release, "make, sign, show or verify a signed release manifest"},
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: ota COMMAND [OPTIONS] [ARGS]\n"
                 "\n"
                 "Over-the-air updates for ESP32 flash images, modelled on ESP-ADF's ota_service.\n"
                 "A DEVICE is a file holding the whole flash of an ESP32 (a flash dump or merged image\n"
                 "works as is: partition table at 0x8000 or ESP-IDF's other offsets, chip from the\n"
                 "bootloader), with DEVICE.state beside it for what is not in flash.\n"
                 "\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        fprintf(out, "  %-10s %s\n", k_commands[i].name, k_commands[i].summary);
    }
    fprintf(out, "\n"
                 "Options:\n"
                 "  -h, --help     show this help\n"
                 "  --version      show the version\n"
                 "\n"
                 "Run 'ota COMMAND --help' for a command's options.\n"
                 "Exit status: 0 success, 1 the operation failed, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    /* A CI log is a file or a pipe, where stdio would buffer stdout in blocks: the last error line
     * (stderr, unbuffered) would come before the results it follows, and a run killed by a timeout
     * (SIGKILL) would leave nothing. Line by line, both streams keep the order things happened in. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    setvbuf(stderr, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("ota %s (crypto: %s)\n", OTA_VERSION_STRING, ota_crypto_backend());
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++) {
        if (strcmp(argv[1], k_commands[i].name) == 0) {
            return k_commands[i].run(argc - 1, argv + 1);
        }
    }
    cli_error("unknown command '%s'", argv[1]);
    fprintf(stderr, "Try 'ota --help'.\n");
    return CLI_EXIT_USAGE;
}
