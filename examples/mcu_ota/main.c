/* The ESP-ADF OTA example on a microcontroller, without an OS: the same upgrade list as the host
 * (ota_adf_example_list_make(): the tone partition from file://sdcard/flash_tone.bin, then the
 * app with reboot_flag), run by ota_service_step() in the main loop, against a RAM-backed NOR flash that
 * starts as a copy of a host device image. Restart = the simulated second-stage bootloader boots
 * the new app. At the end the flash is written back to a host file, and the exit status (over
 * semihosting) is the result: 0 when the new app booted.
 *
 * Command line (semihosting): mcu_ota DEVICE SDCARD APP_URI OUT [CUT_AT [clean|torn]]
 *   DEVICE  host file holding the device's flash image (at most 4 MiB)
 *   SDCARD  host directory file://sdcard/ stands for
 *   APP_URI CONFIG_FIRMWARE_UPGRADE_URI (file://...)
 *   OUT     host file the final flash is written to
 *   CUT_AT  cut the power before the CUT_AT-th program/erase of the run, then power on, boot and
 *           run the example again (what a device does after a power loss) */
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/sim/ota_flash_emu.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/port/ota_port.h"
#include "ota/port/ota_port_baremetal.h"
#include "ota/ota_update_features.h"
#include "ota/ota_adf_example.h"
#include "mcu_board.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

#define FLASH_MAX            (4u * 1024u * 1024u)
#define MCU_WORK_BUFFER_SIZE 2048u
/* MCU_OTA_ALL_FEATURES: the variant mcu_ota_all.elf, linked only to measure what the optional
 * features would add (scripts/mcu_footprint.py); the firmware that runs links none. */
#ifdef MCU_OTA_ALL_FEATURES
#define MCU_OTA_FEATURES (&ota_update_features_all)
#else
#define MCU_OTA_FEATURES NULL
#endif

/* The service's streaming buffer, given by the caller (static) instead of taken from the heap. */
static uint8_t s_work_buffer[MCU_WORK_BUFFER_SIZE];

/* Deepest stack of ota_service_step() (restart and bootloader included) over the runs. */
static size_t s_service_stack;

/* The NOR chip's cells: in the board's large RAM (linker section), not on the heap. */
static uint8_t s_flash_cells[FLASH_MAX] __attribute__((section(".flash_cells"), aligned(8)));

typedef struct {
    ota_device_t *dev;
    int boot_err;
    ota_boot_result_t boot;
    int restarts;
} board_t;

static int power_on(board_t *b)
{
    /* The simulated bootloader links what the firmware's features link: the Secure Boot V2
     * verifier only with the signature feature (a device with secure boot on and no verifier
     * boots nothing: fail closed). */
    const ota_update_features_t *features = MCU_OTA_FEATURES;
    ota_bootloader_config_t cfg = {0};
    if (features != NULL && features->signatures != NULL) {
        cfg.verify_signature = features->signatures->verify_boot;
    }
    b->boot_err = ota_bootloader_boot(b->dev, &cfg, &b->boot);
    return b->boot_err;
}

/* esp_restart(): the CPU resets and the bootloader picks the app. Called from the service. */
static void restart(void *arg)
{
    board_t *b = arg;
    b->restarts++;
    ota_device_set_running(b->dev, NULL);
    power_on(b);
}

/* The running app confirms itself after its self-test, as `ota run` does on the host. */
static int confirm_running(ota_device_t *dev)
{
    uint32_t state = 0;
    const ota_partition_info_t *running = ota_device_running(dev);
    if (dev->rollback_enabled && running != NULL && ota_partition_is_ota_app(running) &&
        ota_ops_get_state_partition(dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
        OTA_LOGI("host", "%s passed its self-test: marking it valid (cancel rollback)", running->label);
        return ota_ops_mark_app_valid_cancel_rollback(dev);
    }
    return OTA_OK;
}

/* app_main of the example (the host's: ota_example_app_main, src/sim/host/example_app.c) with the
 * service run in this thread: no OS. */
static int app_main(ota_device_t *dev, board_t *b, const char *sdcard, const char *app_uri,
                    ota_service_summary_t *summary)
{
    ota_adf_example_list_config_t cfg = {
        .firmware_upgrade_uri = app_uri,
        .data_upgrade_uri = OTA_EXAMPLE_DEFAULT_DATA_UPGRADE_URI,
        .data_partition_label = OTA_EXAMPLE_DEFAULT_DATA_PARTITION_LABEL,
    };
    /* The bare-metal port's transport settings (ota_port_baremetal.h): the SD card root. */
    ota_source_baremetal_config_t transport = {.sdcard_root = sdcard};
    OTA_LOGI(TAG, "[1.0] Initialize peripherals management");
    OTA_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network (semihosting stands in: nothing to do)");
    OTA_LOGI(TAG, "[1.2] Mount SDCard (base path=%s, read over semihosting)", sdcard);
    OTA_LOGI(TAG, "[2.0] Create OTA service");
    ota_service_config_t scfg = {
        .device = dev,
        /* The bare-metal port's default size (ota_port_work_buffer_default(), ESP-ADF's own read
         * size; the host's is 4096), given as a static array so it is not on the heap. The flash
         * bytes do not depend on it (the test compares them with the host's default run). */
        .work_buffer_size = sizeof s_work_buffer,
        .work_buffer = s_work_buffer,
        .restart = restart,
        .restart_ctx = b,
        .source = {.transport = &transport},
        /* The optional update features this firmware links (ota_update_features.h). The example's
         * list is a whole app and a tone image, and the hash-only crypto port has no public-key
         * or GCM code: no signatures, no decryption, no delta patches. A device that requires
         * one refuses the item before any erase (OTA_ERR_NOT_SUPPORTED). */
        .features = MCU_OTA_FEATURES,
    };
    ota_service_t *service = NULL;
    int err = ota_service_create(&scfg, &service);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot create the OTA service: %s", ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "[2.1] Set upgrade list");
    ota_upgrade_ops_t list[2];
    int count = ota_adf_example_list_make(&cfg, list);
    err = ota_service_set_upgrade_list(service, list, count);
    if (err == OTA_OK) {
        OTA_LOGI(TAG, "[2.2] Run OTA service (no threads: in the main loop)");
        mcu_stack_mark();
        /* The main loop: one bounded step per pass (at most one chunk of the work buffer), so
         * the firmware could serve its other duties between two steps. */
        unsigned steps = 0;
        while ((err = ota_service_step(service, summary)) == OTA_SERVICE_IN_PROGRESS) {
            if (++steps % 256u == 0) {
                OTA_LOGI(TAG, "... %u steps", steps);
            }
        }
        OTA_LOGI(TAG, "OTA service done in %u steps", steps + 1u);
        size_t used = mcu_stack_used_since_mark();
        if (used > s_service_stack) {
            s_service_stack = used;
        }
        if (!summary->restarted) {
            OTA_LOGI(TAG, "[2.3] Finish OTA service");
        }
    }
    if (!summary->restarted) {
        OTA_LOGI(TAG, "[2.4] Clear OTA service");
    }
    ota_service_destroy(service);
    return err;
}

static int load_device(const char *path, uint32_t *size)
{
    int h = ota_semihost_open(path, OTA_SEMIHOST_MODE_RB);
    if (h < 0) {
        OTA_LOGE("mcu", "cannot open %s on the host", path);
        return OTA_ERR_SRC_FILE_NOT_FOUND;
    }
    long len = ota_semihost_flen(h);
    int err = OTA_OK;
    if (len <= 0 || (unsigned long)len > FLASH_MAX || (unsigned long)len % OTA_FLASH_BLOCK_SIZE != 0) {
        OTA_LOGE("mcu", "%s: %ld bytes (a multiple of 64 KiB up to %u expected)", path, len,
                 (unsigned)FLASH_MAX);
        err = OTA_ERR_INVALID_ARG;
    } else if (ota_semihost_read(h, s_flash_cells, (size_t)len) != 0) {
        OTA_LOGE("mcu", "%s: short read", path);
        err = OTA_ERR_SRC_READ;
    }
    ota_semihost_close(h);
    *size = (uint32_t)len;
    return err;
}

static int dump_flash(const char *path, const uint8_t *cells, uint32_t size)
{
    int h = ota_semihost_open(path, OTA_SEMIHOST_MODE_WB);
    if (h < 0) {
        OTA_LOGE("mcu", "cannot create %s on the host", path);
        return OTA_ERR_SRC_FILE_NOT_FOUND;
    }
    long left = ota_semihost_write(h, cells, size);
    ota_semihost_close(h);
    return left == 0 ? OTA_OK : OTA_ERR_SRC_READ;
}

/* Split the semihosting command line on spaces (paths given by the test have none). */
static int split_args(char *line, char **argv, int max)
{
    int argc = 0;
    char *p = line;
    while (*p != '\0' && argc < max) {
        while (*p == ' ') {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        argv[argc++] = p;
        while (*p != '\0' && *p != ' ') {
            p++;
        }
        if (*p == ' ') {
            *p++ = '\0';
        }
    }
    return argc;
}

int main(void)
{
    ota_baremetal_clock_init(MCU_BOARD_CPU_HZ);
    ota_baremetal_log_init();
    static char cmdline[1024];
    char *argv[8];
    int argc = 0;
    if (ota_semihost_get_cmdline(cmdline, sizeof cmdline) == 0) {
        argc = split_args(cmdline, argv, 8);
    }
    if (argc < 5) {
        OTA_LOGE("mcu", "usage: mcu_ota DEVICE SDCARD APP_URI OUT [CUT_AT [clean|torn]]");
        return 2;
    }
    const char *device_path = argv[1], *sdcard = argv[2], *app_uri = argv[3], *out_path = argv[4];
    uint64_t cut_at = argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
    ota_flash_cut_mode_t cut_mode =
        argc > 6 && strcmp(argv[6], "torn") == 0 ? OTA_FLASH_CUT_TORN : OTA_FLASH_CUT_CLEAN;
    OTA_LOGI("mcu", "%s, %s, crypto %s", MCU_BOARD_NAME, "no OS", ota_crypto_backend());

    uint32_t size = 0;
    int err = load_device(device_path, &size);
    if (err != OTA_OK) {
        return 1;
    }
    ota_flash_emu_config_t ecfg = {.size = size, .strict = true};
    ota_flash_emu_t *emu = NULL;
    err = ota_flash_emu_create(&ecfg, s_flash_cells, &emu);
    if (err != OTA_OK) {
        OTA_LOGE("mcu", "flash emulator: %s", ota_strerror(err));
        return 1;
    }
    ota_device_t dev;
    ota_device_init(&dev, ota_flash_emu_flash(emu), NULL);
    ota_baremetal_device_hooks(&dev.hooks);
    ota_partition_diag_t pdiag;
    err = ota_device_load_table(&dev, &pdiag);
    if (err != OTA_OK) {
        OTA_LOGE("mcu", "partition table: %s %s", ota_strerror(err), pdiag.message);
        return 1;
    }

    /* From here on the heap is the update's: the emulator's own blocks are the "chip". */
    ota_mem_stats_t base, after;
    ota_mem_reset_peak();
    ota_mem_get_stats(&base);

    board_t board = {.dev = &dev};
    ota_service_summary_t summary = {0};
    int runs = 0;
    for (;;) {
        runs++;
        if (runs == 1 && cut_at > 0) {
            ota_flash_emu_schedule_cut(emu, cut_at, cut_mode, 12);
            OTA_LOGW("mcu", "power will be cut before flash operation %llu (%s)", (unsigned long long)cut_at,
                     cut_mode == OTA_FLASH_CUT_TORN ? "torn" : "clean");
        }
        board.restarts = 0;
        memset(&summary, 0, sizeof summary);
        err = power_on(&board);
        if (err == OTA_OK) {
            err = confirm_running(&dev);
        }
        if (err == OTA_OK) {
            err = app_main(&dev, &board, sdcard, app_uri, &summary);
        }
        if (!ota_flash_emu_is_powered_off(emu) || runs >= 2) {
            break;
        }
        OTA_LOGW("mcu", "power lost after %llu flash operations: power on and run again",
                 (unsigned long long)ota_flash_emu_op_count(emu));
        ota_flash_emu_power_on(emu);
        ota_device_set_running(&dev, NULL);
    }
    ota_mem_get_stats(&after);

    bool booted_new = board.restarts == 1 && board.boot_err == OTA_OK && board.boot.partition != NULL &&
                      summary.failed == 0 && summary.succeeded == 2;
    OTA_LOGI("mcu", "runs %d, service %s, items ok %d skipped %d failed %d, restarted %d, boot %s from %s",
             runs, ota_strerror(err), summary.succeeded, summary.skipped, summary.failed, board.restarts,
             ota_strerror(board.boot_err), board.boot.partition ? board.boot.partition->label : "-");
    OTA_LOGI("mcu", "heap high-water during the update: %u bytes (%u allocations), left allocated %u",
             (unsigned)(after.peak_bytes - base.current_bytes), (unsigned)after.allocations,
             (unsigned)(after.current_bytes - base.current_bytes));
    OTA_LOGI("mcu", "stack high-water (painted): %u bytes, of which ota_service_step: %u bytes",
             (unsigned)mcu_stack_high_water(), (unsigned)s_service_stack);
    OTA_LOGI("mcu",
             "device state (ota_device_t, kept by the caller): %u bytes; work buffer (static) %u bytes",
             (unsigned)sizeof dev, (unsigned)sizeof s_work_buffer);
    OTA_LOGI("mcu", "flash operations: %llu, eFuse secure version %u",
             (unsigned long long)ota_flash_emu_op_count(emu), (unsigned)ota_baremetal_efuse_secure_version());
    if (dump_flash(out_path, s_flash_cells, size) != OTA_OK) {
        return 1;
    }
    OTA_LOGI("mcu", "flash written to %s: %s", out_path,
             booted_new ? "OTA done, new app running" : "OTA FAILED");
    ota_flash_emu_destroy(emu);
    return booted_new ? 0 : 1;
}
