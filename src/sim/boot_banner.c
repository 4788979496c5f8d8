/* The second-stage bootloader's banner in the ESP-IDF the bootloader was built with (see
 * boot_banner.h): which version that is, and bootloader_init's lines before the partition table. */
#include "sim/boot_banner.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_bootloader_image.h"
#include "ota/ota_err.h"
#include "ota/port/ota_flash.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_partition.h"

static const char *TAG = "boot";

/* "Apr 25 2023 00:13:32" -> date, time; "17:46:22" -> "", time */
static void split_date_time(const char *dt, char date[16], char time[16])
{
    const char *sp = strrchr(dt, ' ');
    size_t dlen = sp != NULL ? (size_t)(sp - dt) : 0;
    const char *t = sp != NULL ? sp + 1 : dt;
    if (dlen < 16 && strlen(t) < 16) {
        memcpy(date, dt, dlen);
        date[dlen] = '\0';
        strcpy(time, t);
    }
}

/* A bootloader without a description (ESP-IDF < v5.2): the version and compile time strings its
 * banner prints, read from its image (the bytes up to the partition table) in overlapping chunks,
 * so the scan costs 4 KiB of heap whatever the bootloader's size. */
#define SCAN_CHUNK   4096u
#define SCAN_OVERLAP 64u /* longer than either string: one cut by a chunk's end is whole in the next */

static bool scan_bootloader(const ota_device_t *dev, const ota_bootloader_image_info_t *bl, char idf_ver[33],
                            char date[16], char time[16])
{
    uint32_t end = dev->table_offset != 0 ? dev->table_offset : OTA_PARTITION_TABLE_OFFSET;
    if (end <= bl->offset || end > dev->flash->size) {
        return false;
    }
    uint8_t *buf = ota_malloc(SCAN_CHUNK);
    if (buf == NULL) {
        return false;
    }
    char ver[33] = "", ct[32] = "";
    for (uint32_t at = bl->offset; at < end && (ver[0] == '\0' || ct[0] == '\0');
         at += SCAN_CHUNK - SCAN_OVERLAP) {
        uint32_t n = end - at < SCAN_CHUNK ? end - at : SCAN_CHUNK;
        char v[33], t[32];
        if (ota_flash_read(dev->flash, at, buf, n) != OTA_OK) {
            break;
        }
        ota_idf_scan_bootloader(buf, n, v, t);
        if (ver[0] == '\0' && v[0] != '\0') {
            memcpy(ver, v, sizeof ver);
        }
        if (ct[0] == '\0' && t[0] != '\0') {
            memcpy(ct, t, sizeof ct);
        }
        if (n < SCAN_CHUNK) {
            break;
        }
    }
    ota_free(buf);
    if (ver[0] == '\0') {
        return false;
    }
    memcpy(idf_ver, ver, sizeof ver);
    split_date_time(ct, date, time);
    return true;
}

/* What the bootloader's banner prints from: its ESP-IDF, build time and image header. */
typedef struct {
    char idf_ver[33], date[16], time[16];
    bool have_header; /* flash settings of the header the bootloader was built with */
    uint8_t spi_mode, spi_speed, spi_size;
    uint8_t min_rev; /* the header's legacy min_chip_rev */
} boot_identity_t;

/* The bootloader's ESP-IDF and build time: its esp_bootloader_desc_t (ESP-IDF v5.2+), else the
 * strings of an older bootloader image, else the app flashed with it (the first app partition with
 * a description: `idf.py flash` writes the bootloader and that app from one build, with the same
 * flash settings), else the newest wording. */
static void bootloader_identity(const ota_device_t *dev, boot_identity_t *id)
{
    memset(id, 0, sizeof *id);
    ota_bootloader_image_info_t bl;
    /* Which ESP-IDF built the bootloader only chooses among releases' wordings: without them
     * (OTA_IDF_CONSOLE_HISTORY=0, the bare-metal firmware) the banner names the app's ESP-IDF and
     * settings, and the bootloader image is not read. */
    if (OTA_IDF_CONSOLE_HISTORY && ota_device_probe_bootloader(dev->flash, &bl) == OTA_OK) {
        id->have_header = true;
        id->spi_mode = bl.spi_mode;
        id->spi_speed = bl.spi_speed;
        id->spi_size = bl.spi_size;
        id->min_rev = (uint8_t)(bl.min_chip_rev_full / 100u); /* esptool writes the major there */
        if (bl.has_desc) {
            memcpy(id->idf_ver, bl.idf_ver, 33);
            split_date_time(bl.date_time, id->date, id->time);
            return;
        }
        if (scan_bootloader(dev, &bl, id->idf_ver, id->date, id->time)) {
            return;
        }
    }
    const ota_partition_table_t *t = &dev->table;
    for (size_t i = 0; i < t->count; i++) {
        const ota_partition_info_t *p = &t->entries[i];
        ota_app_desc_t d;
        uint8_t raw[OTA_IMAGE_HEADER_SIZE];
        if (p->type == OTA_PART_TYPE_APP && ota_ops_get_partition_description(dev, p, &d) == OTA_OK) {
            memcpy(id->idf_ver, d.idf_ver, 33);
            id->idf_ver[32] = '\0';
            snprintf(id->date, sizeof id->date, "%.15s", d.date);
            snprintf(id->time, sizeof id->time, "%.15s", d.time);
            if (!id->have_header && ota_flash_read(dev->flash, p->offset, raw, sizeof raw) == OTA_OK) {
                ota_image_header_t h;
                ota_image_header_decode(raw, &h);
                id->have_header = true;
                id->spi_mode = h.spi_mode;
                id->spi_speed = h.spi_speed;
                id->spi_size = h.spi_size;
                id->min_rev = h.min_chip_rev;
            }
            return;
        }
    }
}

void ota_boot_log_chip_check(const ota_device_t *dev, const ota_idf_version_t *ver, const char *type,
                             uint8_t min_rev)
{
    if (dev->chip_revision / 100u > min_rev) {
        ota_idf_log(ver, OTA_IDF_BOOT_COMM_REV,
                    &(ota_idf_args_t){{type, NULL}, {dev->chip_revision, min_rev}});
    }
}

/* print_flash_info's words for an ESP32 header (bootloader_esp32.c; other chips' speed codes
 * differ, and are not printed here) */
static void log_flash_info(const ota_device_t *dev, const ota_idf_version_t *ver, const boot_identity_t *id)
{
    static const char *const speed[16] = {
        [0x0] = "40MHz", [0x1] = "26.7MHz", [0x2] = "20MHz", [0xF] = "80MHz"};
    static const char *const mode[] = {"QIO", "QOUT", "DIO", "DOUT", "FAST READ", "SLOW READ"};
    static const char *const size[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};
    if (dev->chip_id != OTA_CHIP_ESP32 || !id->have_header) {
        return;
    }
    const char *sp = speed[id->spi_speed & 0xF] != NULL ? speed[id->spi_speed & 0xF] : "20MHz";
    ota_idf_log(ver, OTA_IDF_BOOT_SPI_SPEED, &(ota_idf_args_t){{sp, NULL}, {0}});
    ota_idf_log(ver, OTA_IDF_BOOT_SPI_MODE,
                &(ota_idf_args_t){{id->spi_mode < 6 ? mode[id->spi_mode] : "SLOW READ", NULL}, {0}});
    /* an unknown size code: ESP-IDF prints "2MB" (the default of its switch) */
    ota_idf_log(ver, OTA_IDF_BOOT_SPI_SIZE,
                &(ota_idf_args_t){{id->spi_size < 8 ? size[id->spi_size] : "2MB", NULL}, {0}});
}

/* bootloader_init: bootloader_print_banner, bootloader_check_bootloader_validity,
 * bootloader_init_spi_flash (print_flash_info), bootloader_enable_random. */
void ota_boot_log_banner(const ota_device_t *dev, ota_idf_version_t *ver)
{
    boot_identity_t id;
    bootloader_identity(dev, &id);
    ota_idf_version_parse(id.idf_ver[0] ? id.idf_ver : NULL, ver);
    ota_idf_log(ver, OTA_IDF_BOOT_BANNER,
                &(ota_idf_args_t){{id.idf_ver[0] ? id.idf_ver : "(unknown)", NULL}, {0}});
    if (id.time[0] != '\0') {
        ota_idf_log(ver, OTA_IDF_BOOT_COMPILE_TIME, &(ota_idf_args_t){{id.date, id.time}, {0}});
    }
    uint16_t chip = dev->chip_id;
    if (chip == OTA_CHIP_ESP32 || chip == OTA_CHIP_ESP32S3 || chip == OTA_CHIP_ESP32P4) {
        /* dual-core chips: without CONFIG_FREERTOS_UNICORE (the default) */
        ota_idf_log(ver, OTA_IDF_BOOT_MULTICORE, &(ota_idf_args_t){{NULL, NULL}, {0}});
    }
    ota_idf_log(ver, OTA_IDF_BOOT_CHIP_REV, &(ota_idf_args_t){{NULL, NULL}, {dev->chip_revision}});
    ota_boot_log_chip_check(dev, ver, "bootloader", id.min_rev);
    log_flash_info(dev, ver, &id);
    ota_log_write(OTA_LOG_INFO, TAG, "Enabling RNG early entropy source...");
}

void ota_idf_log_app_info(const ota_idf_app_info_t *app)
{
    ota_idf_version_t ver;
    ota_idf_version_parse(app->idf_ver, &ver);
    char sha[17];
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        sha[2 * i] = hex[app->elf_sha256[i] >> 4];
        sha[2 * i + 1] = hex[app->elf_sha256[i] & 0xF];
    }
    sha[16] = '\0';
    /* The order of every version's block (ota_idf_console.c, the APP rows). */
    ota_idf_log(&ver, OTA_IDF_APP_INFO, &(ota_idf_args_t){{NULL, NULL}, {0}});
    /* A field the build left out is empty and its line is not printed: CONFIG_APP_EXCLUDE_PROJECT_
     * NAME_VAR / _VER_VAR, and without CONFIG_APP_COMPILE_TIME_DATE no date or time (the du1906
     * releases, ESP-IDF v3.3.1) */
    if (app->project_name[0] != '\0') {
        ota_idf_log(&ver, OTA_IDF_APP_PROJECT, &(ota_idf_args_t){{app->project_name, NULL}, {0}});
    }
    if (app->version[0] != '\0') {
        ota_idf_log(&ver, OTA_IDF_APP_VERSION, &(ota_idf_args_t){{app->version, NULL}, {0}});
    }
    if (app->secure_version_shown) {
        ota_idf_log(&ver, OTA_IDF_APP_SECURE_VER, &(ota_idf_args_t){{NULL, NULL}, {app->secure_version}});
    }
    if (app->date[0] != '\0' || app->time[0] != '\0') {
        ota_idf_log(&ver, OTA_IDF_APP_COMPILE_TIME, &(ota_idf_args_t){{app->date, app->time}, {0}});
    }
    ota_idf_log(&ver, OTA_IDF_APP_ELF_SHA256, &(ota_idf_args_t){{sha, NULL}, {0}});
    ota_idf_log(&ver, OTA_IDF_APP_IDF, &(ota_idf_args_t){{app->idf_ver, NULL}, {0}});
    ota_idf_log(&ver, OTA_IDF_APP_MIN_REV, &(ota_idf_args_t){{NULL, NULL}, {app->min_rev_full}});
    ota_idf_log(&ver, OTA_IDF_APP_MAX_REV, &(ota_idf_args_t){{NULL, NULL}, {app->max_rev_full}});
    ota_idf_log(&ver, OTA_IDF_APP_CHIP_REV, &(ota_idf_args_t){{NULL, NULL}, {app->chip_rev}});
}
