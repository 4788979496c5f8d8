/* App image facts as esptool `image_info --version 2` (v4.9.1) prints them, and as JSON. */
#include "image_report.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ota/ota_err.h"

const char *image_report_revision(uint16_t full, char buf[16])
{
    snprintf(buf, 16, "v%u.%u", full / 100u, full % 100u);
    return buf;
}

static void title(FILE *out, const char *chip, const char *what)
{
    char t[96];
    int n = snprintf(t, sizeof t, "%s%s%s", chip ? chip : "", chip ? " " : "", what);
    fprintf(out, "\n%s\n", t);
    for (int i = 0; i < n; i++) {
        fputc('=', out);
    }
    fputc('\n', out);
}

static const char *or_invalid(const char *s, char *buf, size_t size, unsigned value)
{
    if (s != NULL) {
        return s;
    }
    snprintf(buf, size, "invalid (0x%x)", value);
    return buf;
}

void image_report_text(FILE *out, const ota_image_info_t *info)
{
    if (!info->header_valid && info->bytes_fed < OTA_IMAGE_HEADER_SIZE) {
        fprintf(out, "\nImage header incomplete (%llu bytes)\n", (unsigned long long)info->bytes_fed);
        return;
    }
    const ota_image_header_t *h = &info->header;
    /* esptool v4.9.1 titles the sections with the chip argument upper-cased ("ESP32C6 image
     * header"), and names the chip "ESP32-C6" elsewhere. */
    char chip_title[24];
    const ota_chip_info_t *ci = ota_chip_info(h->chip_id);
    const char *chip = ota_chip_display_name(h->chip_id);
    const char *tchip = chip;
    if (ci != NULL) {
        size_t i = 0;
        for (; ci->name[i] != '\0' && i + 1 < sizeof chip_title; i++) {
            char c = ci->name[i];
            chip_title[i] = c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
        }
        chip_title[i] = '\0';
        tchip = chip_title;
    }
    char b1[32], b2[16];
    title(out, tchip, "image header");
    fprintf(out, "Image version: 1\n");
    fprintf(out, "Entry point: 0x%08x\n", (unsigned)h->entry_addr);
    fprintf(out, "Segments: %u\n", (unsigned)h->segment_count);
    fprintf(out, "Flash size: %s\n",
            or_invalid(ota_image_flash_size_name(h->spi_size), b1, sizeof b1, h->spi_size));
    fprintf(out, "Flash freq: %s\n",
            or_invalid(ota_image_flash_freq_name(h->chip_id, h->spi_speed), b1, sizeof b1, h->spi_speed));
    fprintf(out, "Flash mode: %s\n",
            or_invalid(ota_image_flash_mode_name(h->spi_mode), b1, sizeof b1, h->spi_mode));

    title(out, tchip, "extended image header");
    fprintf(out, "WP pin: 0x%x%s\n", h->wp_pin, h->wp_pin == OTA_IMAGE_WP_PIN_DISABLED ? " (disabled)" : "");
    fprintf(
        out,
        "Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, "
        "wp_drv: 0x%x\n",
        h->spi_pin_drv[0] & 0xF, h->spi_pin_drv[0] >> 4, h->spi_pin_drv[1] & 0xF, h->spi_pin_drv[1] >> 4,
        h->spi_pin_drv[2] & 0xF, h->spi_pin_drv[2] >> 4);
    fprintf(out, "Chip ID: %u (%s)\n", (unsigned)h->chip_id, chip);
    fprintf(out, "Minimal chip revision: %s, (legacy min_rev = %u)\n",
            image_report_revision(h->min_chip_rev_full, b2), (unsigned)h->min_chip_rev);
    fprintf(out, "Maximal chip revision: %s\n", image_report_revision(h->max_chip_rev_full, b2));

    title(out, NULL, "Segments information");
    fprintf(out, "Segment   Length   Load addr   File offs  Memory types\n");
    fprintf(out, "-------  -------  ----------  ----------  ------------\n");
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        char types[128];
        ota_chip_memory_types(h->chip_id, s->load_addr, types, sizeof types);
        fprintf(out, "%7u  0x%05x  0x%08x  0x%08x  %s\n", i, (unsigned)s->data_len, (unsigned)s->load_addr,
                (unsigned)s->header_offset, types);
    }

    title(out, tchip, "image footer");
    if (info->checksum_read) {
        if (info->checksum_stored == info->checksum_calculated) {
            fprintf(out, "Checksum: 0x%02x (valid)\n", info->checksum_stored);
        } else {
            fprintf(out, "Checksum: 0x%02x (invalid - calculated 0x%02x)\n", info->checksum_stored,
                    info->checksum_calculated);
        }
    } else {
        fprintf(out, "Checksum: not found (image incomplete)\n");
    }
    if (!h->hash_appended) {
        fprintf(out, "Validation hash: not appended\n");
    } else if (info->hash_read) {
        char hex[2 * OTA_IMAGE_HASH_LEN + 1];
        cli_hex(info->hash_calculated, OTA_IMAGE_HASH_LEN, hex);
        bool ok = memcmp(info->hash_stored, info->hash_calculated, OTA_IMAGE_HASH_LEN) == 0;
        fprintf(out, "Validation hash: %s (%s)\n", hex, ok ? "valid" : "invalid");
    } else {
        fprintf(out, "Validation hash: not found (image incomplete)\n");
    }

    if (info->app_desc_valid) {
        const ota_app_desc_t *d = &info->app_desc;
        char sha[2 * 32 + 1];
        cli_hex(d->app_elf_sha256, 32, sha);
        title(out, NULL, "Application information");
        fprintf(out, "Project name: %s\n", d->project_name);
        fprintf(out, "App version: %s\n", d->version);
        fprintf(out, "Compile time: %s %s\n", d->date, d->time);
        fprintf(out, "ELF file SHA256: %s\n", sha);
        fprintf(out, "ESP-IDF: %s\n", d->idf_ver);
        fprintf(out, "Minimal eFuse block revision: %u.%u\n", d->min_efuse_blk_rev_full / 100u,
                d->min_efuse_blk_rev_full % 100u);
        fprintf(out, "Maximal eFuse block revision: %u.%u\n", d->max_efuse_blk_rev_full / 100u,
                d->max_efuse_blk_rev_full % 100u);
        if (d->mmu_page_size != 0 && d->mmu_page_size < 32) {
            fprintf(out, "MMU page size: %u KB\n", (unsigned)((1u << d->mmu_page_size) / 1024u));
        }
        fprintf(out, "Secure version: %u\n", (unsigned)d->secure_version);
    }
}

cJSON *image_report_app_desc_json(const ota_app_desc_t *d)
{
    cJSON *o = cJSON_CreateObject();
    char sha[2 * 32 + 1], b[16];
    cli_hex(d->app_elf_sha256, 32, sha);
    cli_json_add_string(o, "project_name", d->project_name);
    cli_json_add_string(o, "version", d->version);
    cli_json_add_string(o, "time", d->time);
    cli_json_add_string(o, "date", d->date);
    cli_json_add_string(o, "idf_ver", d->idf_ver);
    cli_json_add_string(o, "elf_sha256", sha);
    cJSON_AddNumberToObject(o, "secure_version", d->secure_version);
    snprintf(b, sizeof b, "%u.%u", d->min_efuse_blk_rev_full / 100u, d->min_efuse_blk_rev_full % 100u);
    cli_json_add_string(o, "min_efuse_blk_rev", b);
    snprintf(b, sizeof b, "%u.%u", d->max_efuse_blk_rev_full / 100u, d->max_efuse_blk_rev_full % 100u);
    cli_json_add_string(o, "max_efuse_blk_rev", b);
    cJSON_AddNumberToObject(o, "mmu_page_size",
                            d->mmu_page_size ? (double)(1u << (d->mmu_page_size & 31)) : 0);
    return o;
}

cJSON *image_report_error_json(int err, const ota_image_diag_t *diag)
{
    cJSON *o = cli_json_error(err, diag && diag->message[0] ? diag->message : NULL);
    if (diag != NULL && diag->err == err) {
        cJSON_AddNumberToObject(o, "offset", (double)diag->offset);
        if (diag->segment >= 0) {
            cJSON_AddNumberToObject(o, "segment", diag->segment);
        } else {
            cJSON_AddNullToObject(o, "segment");
        }
        cJSON_AddNumberToObject(o, "expected", diag->expected);
        cJSON_AddNumberToObject(o, "actual", diag->actual);
    }
    return o;
}

cJSON *image_report_json(const ota_image_info_t *info)
{
    cJSON *o = cJSON_CreateObject();
    char b[32];
    if (info->header_valid || info->bytes_fed >= OTA_IMAGE_HEADER_SIZE) {
        const ota_image_header_t *h = &info->header;
        cJSON *j = cJSON_AddObjectToObject(o, "header");
        cJSON_AddNumberToObject(j, "magic", h->magic);
        cJSON_AddNumberToObject(j, "image_version", 1);
        cJSON_AddNumberToObject(j, "entry_addr", h->entry_addr);
        cJSON_AddNumberToObject(j, "segment_count", h->segment_count);
        const char *s = ota_image_flash_size_name(h->spi_size);
        s ? cli_json_add_string(j, "flash_size", s) : cJSON_AddNullToObject(j, "flash_size");
        s = ota_image_flash_freq_name(h->chip_id, h->spi_speed);
        s ? cli_json_add_string(j, "flash_freq", s) : cJSON_AddNullToObject(j, "flash_freq");
        s = ota_image_flash_mode_name(h->spi_mode);
        s ? cli_json_add_string(j, "flash_mode", s) : cJSON_AddNullToObject(j, "flash_mode");
        cJSON_AddNumberToObject(j, "wp_pin", h->wp_pin);
        cJSON_AddBoolToObject(j, "wp_pin_disabled", h->wp_pin == OTA_IMAGE_WP_PIN_DISABLED);
        cJSON_AddNumberToObject(j, "clk_drv", h->spi_pin_drv[0] & 0xF);
        cJSON_AddNumberToObject(j, "q_drv", h->spi_pin_drv[0] >> 4);
        cJSON_AddNumberToObject(j, "d_drv", h->spi_pin_drv[1] & 0xF);
        cJSON_AddNumberToObject(j, "cs0_drv", h->spi_pin_drv[1] >> 4);
        cJSON_AddNumberToObject(j, "hd_drv", h->spi_pin_drv[2] & 0xF);
        cJSON_AddNumberToObject(j, "wp_drv", h->spi_pin_drv[2] >> 4);
        cJSON_AddNumberToObject(j, "chip_id", h->chip_id);
        cli_json_add_string(j, "chip", ota_chip_display_name(h->chip_id));
        cJSON_AddNumberToObject(j, "min_chip_rev_full", h->min_chip_rev_full);
        cli_json_add_string(j, "min_chip_rev", image_report_revision(h->min_chip_rev_full, b));
        cJSON_AddNumberToObject(j, "legacy_min_rev", h->min_chip_rev);
        cJSON_AddNumberToObject(j, "max_chip_rev_full", h->max_chip_rev_full);
        cli_json_add_string(j, "max_chip_rev", image_report_revision(h->max_chip_rev_full, b));
        cJSON_AddBoolToObject(j, "hash_appended", h->hash_appended != 0);
    }
    cJSON *segs = cJSON_AddArrayToObject(o, "segments");
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        cJSON *j = cJSON_CreateObject();
        char types[128];
        ota_chip_memory_types(info->header.chip_id, s->load_addr, types, sizeof types);
        cJSON_AddNumberToObject(j, "index", i);
        cJSON_AddNumberToObject(j, "length", s->data_len);
        cJSON_AddNumberToObject(j, "load_addr", s->load_addr);
        cJSON_AddNumberToObject(j, "file_offset", s->header_offset);
        cli_json_add_string(j, "memory_types", types);
        cJSON_AddItemToArray(segs, j);
    }
    if (info->checksum_read) {
        cJSON *j = cJSON_AddObjectToObject(o, "checksum");
        cJSON_AddNumberToObject(j, "stored", info->checksum_stored);
        cJSON_AddNumberToObject(j, "calculated", info->checksum_calculated);
        cJSON_AddBoolToObject(j, "valid", info->checksum_stored == info->checksum_calculated);
    } else {
        cJSON_AddNullToObject(o, "checksum");
    }
    if (info->hash_read) {
        char hex[2 * OTA_IMAGE_HASH_LEN + 1];
        cJSON *j = cJSON_AddObjectToObject(o, "hash");
        cli_hex(info->hash_stored, OTA_IMAGE_HASH_LEN, hex);
        cli_json_add_string(j, "stored", hex);
        cli_hex(info->hash_calculated, OTA_IMAGE_HASH_LEN, hex);
        cli_json_add_string(j, "calculated", hex);
        cJSON_AddBoolToObject(j, "valid",
                              memcmp(info->hash_stored, info->hash_calculated, OTA_IMAGE_HASH_LEN) == 0);
    } else {
        cJSON_AddNullToObject(o, "hash");
    }
    if (info->app_desc_valid) {
        cJSON_AddItemToObject(o, "app_desc", image_report_app_desc_json(&info->app_desc));
    } else {
        cJSON_AddNullToObject(o, "app_desc");
    }
    if (info->complete) {
        cJSON_AddNumberToObject(o, "image_len", info->image_len);
    } else {
        cJSON_AddNullToObject(o, "image_len");
    }
    return o;
}
