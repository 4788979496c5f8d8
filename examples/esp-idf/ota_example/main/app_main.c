/* upgrade app and data partition Example: ESP-ADF's examples/ota/main/ota_example.c on an
 * ESP32-C3 with ESP-IDF v6.0 and the ota_service component. The same upgrade list as the host and
 * bare-metal builds (ota_adf_example_list_make(), src/service/adf_example_list.c: the tone partition from file://sdcard/flash_tone.bin
 * with the example's tone-aware need_upgrade, then the app over HTTP with reboot_flag), run in the
 * service's own FreeRTOS task (ota_service_start / ota_service_wait).
 *
 * What differs from ESP-ADF's example: Wi-Fi through ESP-IDF's protocol_examples_common instead
 * of ESP-ADF's esp_peripherals; the SD card on SPI (the ESP32-C3 has no SDMMC host); the running
 * app confirms itself after its self-test (rollback on); otadata is written by the core's writer
 * through the flash port (docs/esp-idf.md says why). */
#include <string.h>

#include "driver/sdspi_host.h"
#include "driver/spi_common.h"
#include "esp_err.h"
#include "esp_event.h"
#include "esp_heap_caps.h"
#include "esp_log.h"
#include "esp_netif.h"
#include "esp_vfs_fat.h"
#include "flash_esp_partition.h"
#include "nvs_flash.h"
#include "protocol_examples_common.h"
#include "sdkconfig.h"
#include "sdmmc_cmd.h"

#include "ota/ota_adf_example.h"
#include "ota/ota_err.h"
#include "ota/port/ota_flash.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/port/ota_port_esp_idf.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_service.h"

static const char *TAG = "HTTPS_OTA_EXAMPLE";

#ifdef CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER
#define FORCE_CHECK_FIRMWARE_VERSION true
#else
#define FORCE_CHECK_FIRMWARE_VERSION false
#endif

/* The whole SPI flash as the core's ota_flash_t, on esp_partition (the component's flash port,
 * src/port/esp-idf/flash_esp_partition.h): every partition of the table, plus read-only regions it
 * registers for the bootloader and the table. Static: about 500 bytes. */
static ota_esp_flash_t s_flash;

/* The device: flash, partition table copy (about 3.6 KiB), chip and eFuse state. Static, not on
 * app_main's stack (CONFIG_ESP_MAIN_TASK_STACK_SIZE is 3584 by default). */
static ota_device_t s_device;

static esp_err_t mount_sdcard(const char *base_path, sdmmc_card_t **card)
{
    esp_vfs_fat_sdmmc_mount_config_t mount_config = {
        .format_if_mount_failed = false,
        .max_files = 2,
        .allocation_unit_size = 16 * 1024,
    };
    sdmmc_host_t host = SDSPI_HOST_DEFAULT();
    spi_bus_config_t bus = {
        .mosi_io_num = CONFIG_EXAMPLE_SD_PIN_MOSI,
        .miso_io_num = CONFIG_EXAMPLE_SD_PIN_MISO,
        .sclk_io_num = CONFIG_EXAMPLE_SD_PIN_CLK,
        .quadwp_io_num = -1,
        .quadhd_io_num = -1,
        .max_transfer_sz = 4000,
    };
    esp_err_t err = spi_bus_initialize(host.slot, &bus, SDSPI_DEFAULT_DMA);
    if (err != ESP_OK) {
        return err;
    }
    sdspi_device_config_t slot = SDSPI_DEVICE_CONFIG_DEFAULT();
    slot.gpio_cs = CONFIG_EXAMPLE_SD_PIN_CS;
    slot.host_id = host.slot;
    return esp_vfs_fat_sdspi_mount(base_path, &host, &slot, &mount_config, card);
}

/* The new app passed its self-test (it got this far: Wi-Fi and the card are up): cancel the
 * rollback the bootloader armed, as ESP-IDF's esp_ota_mark_app_valid_cancel_rollback() does. */
static void confirm_running_app(ota_device_t *dev)
{
    const ota_partition_info_t *running = ota_ops_get_running_partition(dev);
    uint32_t state = 0;
    if (dev->rollback_enabled && running != NULL && ota_partition_is_ota_app(running) &&
        ota_ops_get_state_partition(dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
        ESP_LOGI(TAG, "%s passed its self-test: marking it valid (cancel rollback)", running->label);
        int err = ota_ops_mark_app_valid_cancel_rollback(dev);
        if (err != OTA_OK) {
            ESP_LOGE(TAG, "cannot mark the app valid: %s", ota_strerror(err));
        }
    }
}

static void ota_service_cb(const ota_event_t *evt, void *ctx)
{
    (void)ctx;
    if (evt->type != OTA_EVENT_RESULT) {
        return;
    }
    switch (evt->result.result) {
    case OTA_ITEM_SUCCESS: ESP_LOGI(TAG, "List id: %d, OTA success", evt->id); break;
    case OTA_ITEM_SKIPPED:
        ESP_LOGI(TAG, "List id: %d, OTA skipped: %s", evt->id, ota_strerror(evt->result.reason));
        break;
    default:
        ESP_LOGE(TAG, "List id: %d, OTA failed: %s%s%s", evt->id, ota_strerror(evt->result.reason),
                 evt->result.detail[0] ? " - " : "", evt->result.detail);
        break;
    }
}

static int run_upgrade_list(ota_device_t *dev)
{
    ota_adf_example_list_config_t example = {
        .firmware_upgrade_uri = CONFIG_FIRMWARE_UPGRADE_URI,
        .data_upgrade_uri = CONFIG_DATA_UPGRADE_URI,
        .data_partition_label = CONFIG_DATA_PARTITION_LABEL,
    };
    /* The transport settings are the POSIX port's struct on ESP-IDF too (ota_port_esp_idf.h). */
    ota_source_posix_config_t transport = {.sdcard_root = OTA_ESP_IDF_DEFAULT_SDCARD_ROOT};
    ESP_LOGI(TAG, "[2.0] Create OTA service");
    ota_service_config_t cfg = {
        .device = dev,
        .event_cb = ota_service_cb,
        .restart = ota_esp_idf_restart,
        .source = {.transport = &transport},
        .version_check = FORCE_CHECK_FIRMWARE_VERSION,
        .features = ota_esp_idf_features(),
    };
    ota_service_t *service = NULL;
    int err = ota_service_create(&cfg, &service);
    if (err != OTA_OK) {
        ESP_LOGE(TAG, "cannot create the OTA service: %s", ota_strerror(err));
        return err;
    }
    ESP_LOGI(TAG, "[2.1] Set upgrade list");
    ota_upgrade_ops_t list[2];
    int count = ota_adf_example_list_make(&example, list);
    err = ota_service_set_upgrade_list(service, list, count);
    if (err == OTA_OK) {
        ESP_LOGI(TAG, "[2.2] Start OTA service");
        err = ota_service_start(service);
    }
    ota_service_summary_t summary = {0};
    if (err == OTA_OK) {
        err = ota_service_wait(service, &summary);
        ESP_LOGI(TAG, "[2.3] Finish OTA service");
    }
    /* The service's own heap (its counters) and the system's low-water mark: the two figures
     * docs/esp-idf.md compares with the 16 KiB goal. */
    ota_mem_stats_t mem;
    ota_mem_get_stats(&mem);
    ESP_LOGI(TAG, "service heap high-water %u B in %u allocations; system free heap low-water %u B",
             (unsigned)mem.peak_bytes, (unsigned)mem.allocations,
             (unsigned)heap_caps_get_minimum_free_size(MALLOC_CAP_8BIT));
    ESP_LOGI(TAG, "[2.4] Clear OTA service");
    ota_service_destroy(service);
    return err;
}

void app_main(void)
{
    ota_esp_idf_log_init(NULL);
    ESP_LOGI(TAG, "[1.0] Initialize peripherals management");
    esp_err_t err = nvs_flash_init();
    if (err == ESP_ERR_NVS_NO_FREE_PAGES || err == ESP_ERR_NVS_NEW_VERSION_FOUND) {
        ESP_ERROR_CHECK(nvs_flash_erase());
        err = nvs_flash_init();
    }
    ESP_ERROR_CHECK(err);
    ESP_ERROR_CHECK(esp_netif_init());
    ESP_ERROR_CHECK(esp_event_loop_create_default());

    ESP_LOGI(TAG, "[1.1] Start and wait for Wi-Fi network");
    ESP_ERROR_CHECK(example_connect());

    ESP_LOGI(TAG, "[1.2] Mount SDCard (base path=%s)", OTA_ESP_IDF_DEFAULT_SDCARD_ROOT);
    sdmmc_card_t *card = NULL;
    err = mount_sdcard(OTA_ESP_IDF_DEFAULT_SDCARD_ROOT, &card);
    if (err != ESP_OK) {
        /* The data item will fail (file not found); the app item can still run. */
        ESP_LOGW(TAG, "SD card not mounted: %s", esp_err_to_name(err));
    }

    int oerr = ota_esp_flash_init(&s_flash, 0); /* 0: the chip's size */
    if (oerr != OTA_OK) {
        ESP_LOGE(TAG, "flash port: %s", ota_strerror(oerr));
        return;
    }
    ota_device_init(&s_device, &s_flash.flash, NULL);
    ota_partition_diag_t diag = {0};
    oerr = ota_device_load_table(&s_device, &diag);
    if (oerr == OTA_OK) {
        oerr = ota_esp_idf_device_setup(&s_device);
    }
    if (oerr != OTA_OK) {
        ESP_LOGE(TAG, "device: %s %s", ota_strerror(oerr), diag.message);
        return;
    }
    confirm_running_app(&s_device);
    run_upgrade_list(&s_device);
}
