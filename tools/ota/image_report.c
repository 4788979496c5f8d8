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

/* A raw description field as esptool prints it: bytes.decode("utf-8"), NULs and all. */
static void raw_field(FILE *out, const uint8_t *p, size_t n)
{
    fwrite(p, 1, n, out);
}

/* True if esptool's list of memory types ("BYTE_ACCESSIBLE, DRAM") holds @p name itself. */
static bool has_type(const char *types, const char *name)
{
    size_t n = strlen(name);
    for (const char *t = types; *t != '\0';) {
        const char *end = strstr(t, ", ");
        size_t len = end != NULL ? (size_t)(end - t) : strlen(t);
        if (len == n && strncmp(t, name, n) == 0) {
            return true;
        }
        t += len;
        if (*t != '\0') {
            t += 2;
        }
    }
    return false;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* esptool v4.9.1 cmds.py image_info v2(): the app description comes from the first segment whose
 * memory types include DROM (its first 256 bytes, printed when the magic is 0xABCD5432); with no
 * such segment, the bootloader description from the last DRAM segment of 80 bytes or more
 * (printed when its first byte is 80). */
static void descriptions(FILE *out, const ota_image_info_t *info, image_report_read_fn read, void *arg)
{
    const ota_image_segment_t *app = NULL, *bl = NULL;
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        char types[128];
        ota_chip_memory_types(info->header.chip_id, s->load_addr, types, sizeof types);
        if (has_type(types, "DROM") && app == NULL) {
            app = s;
        } else if (has_type(types, "DRAM") && s->data_len >= 80) {
            bl = s;
        }
    }
    uint8_t raw[OTA_APP_DESC_SIZE];
    if (app != NULL) {
        size_t n = app->data_len < sizeof raw ? app->data_len : sizeof raw;
        memset(raw, 0, sizeof raw);
        if (n < sizeof raw ||
            read(arg, app->header_offset + OTA_IMAGE_SEGMENT_HEADER_SIZE, raw, n) != OTA_OK ||
            le32(raw) != OTA_APP_DESC_MAGIC) {
            return;
        }
        title(out, NULL, "Application information");
        fputs("Project name: ", out);
        raw_field(out, raw + 0x30, 32);
        fputs("\nApp version: ", out);
        raw_field(out, raw + 0x10, 32);
        fputs("\nCompile time: ", out);
        raw_field(out, raw + 0x60, 16);
        fputc(' ', out);
        raw_field(out, raw + 0x50, 16);
        char sha[2 * 32 + 1];
        cli_hex(raw + 0x90, 32, sha);
        fprintf(out, "\nELF file SHA256: %s\nESP-IDF: ", sha);
        raw_field(out, raw + 0x70, 32);
        unsigned min = le16(raw + 0xB0), max = le16(raw + 0xB2), page = raw[0xB4];
        fprintf(out, "\nMinimal eFuse block revision: %u.%u\n", min / 100u, min % 100u);
        fprintf(out, "Maximal eFuse block revision: %u.%u\n", max / 100u, max % 100u);
        if (page != 0) {
            fprintf(out, "MMU page size: %llu KB\n",
                    page < 64 ? (unsigned long long)((1ull << page) / 1024u) : 0ull);
        }
        fprintf(out, "Secure version: %u\n", (unsigned)le32(raw + 4));
    } else if (bl != NULL) {
        if (read(arg, bl->header_offset + OTA_IMAGE_SEGMENT_HEADER_SIZE, raw, 80) != OTA_OK || raw[0] != 80) {
            return;
        }
        title(out, NULL, "Bootloader information");
        fprintf(out, "Bootloader version: %u\nESP-IDF: ", (unsigned)le32(raw + 4));
        raw_field(out, raw + 8, 32);
        fputs("\nCompile time: ", out);
        raw_field(out, raw + 40, 24);
        fputc('\n', out);
    }
}

/* The decoded fields, when no reader is given. */
static void decoded_app_desc(FILE *out, const ota_app_desc_t *d)
{
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

void image_report_text(FILE *out, const ota_image_info_t *info, const char *title_chip,
                       image_report_read_fn read, void *read_arg)
{
    if (!info->header_valid && info->bytes_fed < OTA_IMAGE_HEADER_SIZE) {
        fprintf(out, "\nImage header incomplete (%llu bytes)\n", (unsigned long long)info->bytes_fed);
        return;
    }
    const ota_image_header_t *h = &info->header;
    /* The formats are esptool v4.9.1 cmds.py image_info v2()'s: "{:#8x}" for the entry point,
     * "{:#02x}" (Python's "0x" even for 0) for the other numbers, WARNING lines for codes outside
     * its tables. */
    const char *chip = ota_chip_esptool_name(h->chip_id);
    char b2[16];
    title(out, title_chip, "image header");
    fprintf(out, "Image version: 1\n");
    if (h->entry_addr != 0) {
        fprintf(out, "Entry point: %#8x\n", (unsigned)h->entry_addr);
    } else {
        fprintf(out, "Entry point not set\n");
    }
    fprintf(out, "Segments: %u\n", (unsigned)h->segment_count);
    const char *s = ota_image_flash_size_name(h->spi_size);
    s ? fprintf(out, "Flash size: %s\n", s)
      : fprintf(out, "WARNING: Invalid flash size (0x%x)\n", (unsigned)(h->spi_size << 4));
    s = ota_image_flash_freq_name(h->chip_id, h->spi_speed);
    s ? fprintf(out, "Flash freq: %s\n", s)
      : fprintf(out, "WARNING: Invalid flash frequency (0x%x)\n", (unsigned)h->spi_speed);
    s = ota_image_flash_mode_name(h->spi_mode);
    s ? fprintf(out, "Flash mode: %s\n", s) : fprintf(out, "WARNING: Invalid flash mode (%u)\n", h->spi_mode);

    title(out, title_chip, "extended image header");
    fprintf(out, "WP pin: 0x%x%s\n", h->wp_pin, h->wp_pin == OTA_IMAGE_WP_PIN_DISABLED ? " (disabled)" : "");
    fprintf(
        out,
        "Flash pins drive settings: clk_drv: 0x%x, q_drv: 0x%x, d_drv: 0x%x, cs0_drv: 0x%x, hd_drv: 0x%x, "
        "wp_drv: 0x%x\n",
        h->spi_pin_drv[0] & 0xF, h->spi_pin_drv[0] >> 4, h->spi_pin_drv[1] & 0xF, h->spi_pin_drv[1] >> 4,
        h->spi_pin_drv[2] & 0xF, h->spi_pin_drv[2] >> 4);
    fprintf(out, "Chip ID: %u (%s)\n", (unsigned)h->chip_id, chip != NULL ? chip : "Unknown ID");
    fprintf(out, "Minimal chip revision: %s, (legacy min_rev = %u)\n",
            image_report_revision(h->min_chip_rev_full, b2), (unsigned)h->min_chip_rev);
    fprintf(out, "Maximal chip revision: %s\n", image_report_revision(h->max_chip_rev_full, b2));

    title(out, NULL, "Segments information");
    fprintf(out, "Segment   Length   Load addr   File offs  Memory types\n");
    fprintf(out, "-------  -------  ----------  ----------  ------------\n");
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *seg = &info->segments[i];
        char types[128];
        ota_chip_memory_types(h->chip_id, seg->load_addr, types, sizeof types);
        fprintf(out, "%7u  0x%05x  0x%08x  0x%08x  %s\n", i, (unsigned)seg->data_len,
                (unsigned)seg->load_addr, (unsigned)seg->header_offset, types);
    }

    title(out, title_chip, "image footer");
    if (info->checksum_read) {
        if (info->checksum_stored == info->checksum_calculated) {
            fprintf(out, "Checksum: 0x%x (valid)\n", info->checksum_stored);
        } else {
            fprintf(out, "Checksum: 0x%x (invalid - calculated %02x)\n", info->checksum_stored,
                    info->checksum_calculated);
        }
    } else {
        fprintf(out, "Checksum: not found (image incomplete)\n");
    }
    /* esptool prints no hash line at all when the header says none is appended */
    if (h->hash_appended && info->hash_read) {
        char hex[2 * OTA_IMAGE_HASH_LEN + 1];
        cli_hex(info->hash_calculated, OTA_IMAGE_HASH_LEN, hex);
        bool ok = memcmp(info->hash_stored, info->hash_calculated, OTA_IMAGE_HASH_LEN) == 0;
        fprintf(out, "Validation hash: %s (%s)\n", hex, ok ? "valid" : "invalid");
    } else if (h->hash_appended) {
        fprintf(out, "Validation hash: not found (image incomplete)\n");
    }

    if (read != NULL) {
        descriptions(out, info, read, read_arg);
    } else if (info->app_desc_valid) {
        decoded_app_desc(out, &info->app_desc);
    }
}

out_t *image_report_app_desc_json(const ota_app_desc_t *d)
{
    out_t *o = out_object();
    char sha[2 * 32 + 1], b[16];
    cli_hex(d->app_elf_sha256, 32, sha);
    out_str(o, "project_name", d->project_name);
    out_str(o, "version", d->version);
    out_str(o, "time", d->time);
    out_str(o, "date", d->date);
    out_str(o, "idf_ver", d->idf_ver);
    out_str(o, "elf_sha256", sha);
    out_int(o, "secure_version", d->secure_version);
    snprintf(b, sizeof b, "%u.%u", d->min_efuse_blk_rev_full / 100u, d->min_efuse_blk_rev_full % 100u);
    out_str(o, "min_efuse_blk_rev", b);
    snprintf(b, sizeof b, "%u.%u", d->max_efuse_blk_rev_full / 100u, d->max_efuse_blk_rev_full % 100u);
    out_str(o, "max_efuse_blk_rev", b);
    out_int(o, "mmu_page_size", d->mmu_page_size ? (double)(1u << (d->mmu_page_size & 31)) : 0);
    return o;
}

out_t *image_report_error_json(int err, const ota_image_diag_t *diag)
{
    out_t *o = out_error(err, diag && diag->message[0] ? diag->message : NULL);
    if (diag != NULL && diag->err == err) {
        out_int(o, "offset", (int64_t)diag->offset);
        if (diag->segment >= 0) {
            out_int(o, "segment", diag->segment);
        } else {
            out_null(o, "segment");
        }
        out_int(o, "expected", diag->expected);
        out_int(o, "actual", diag->actual);
    }
    return o;
}

out_t *image_report_json(const ota_image_info_t *info)
{
    out_t *o = out_object();
    char b[32];
    if (info->header_valid || info->bytes_fed >= OTA_IMAGE_HEADER_SIZE) {
        const ota_image_header_t *h = &info->header;
        out_t *j = out_obj(o, "header");
        out_int(j, "magic", h->magic);
        out_int(j, "image_version", 1);
        out_int(j, "entry_addr", h->entry_addr);
        out_int(j, "segment_count", h->segment_count);
        out_str(j, "flash_size", ota_image_flash_size_name(h->spi_size));
        out_str(j, "flash_freq", ota_image_flash_freq_name(h->chip_id, h->spi_speed));
        out_str(j, "flash_mode", ota_image_flash_mode_name(h->spi_mode));
        out_int(j, "wp_pin", h->wp_pin);
        out_bool(j, "wp_pin_disabled", h->wp_pin == OTA_IMAGE_WP_PIN_DISABLED);
        out_int(j, "clk_drv", h->spi_pin_drv[0] & 0xF);
        out_int(j, "q_drv", h->spi_pin_drv[0] >> 4);
        out_int(j, "d_drv", h->spi_pin_drv[1] & 0xF);
        out_int(j, "cs0_drv", h->spi_pin_drv[1] >> 4);
        out_int(j, "hd_drv", h->spi_pin_drv[2] & 0xF);
        out_int(j, "wp_drv", h->spi_pin_drv[2] >> 4);
        out_int(j, "chip_id", h->chip_id);
        out_str(j, "chip", ota_chip_display_name(h->chip_id));
        out_int(j, "min_chip_rev_full", h->min_chip_rev_full);
        out_str(j, "min_chip_rev", image_report_revision(h->min_chip_rev_full, b));
        out_int(j, "legacy_min_rev", h->min_chip_rev);
        out_int(j, "max_chip_rev_full", h->max_chip_rev_full);
        out_str(j, "max_chip_rev", image_report_revision(h->max_chip_rev_full, b));
        out_bool(j, "hash_appended", h->hash_appended != 0);
    }
    out_t *segs = out_arr(o, "segments");
    for (unsigned i = 0; i < info->segments_seen; i++) {
        const ota_image_segment_t *s = &info->segments[i];
        out_t *j = out_obj(segs, NULL);
        char types[128];
        ota_chip_memory_types(info->header.chip_id, s->load_addr, types, sizeof types);
        out_int(j, "index", i);
        out_int(j, "length", s->data_len);
        out_int(j, "load_addr", s->load_addr);
        out_int(j, "file_offset", s->header_offset);
        out_str(j, "memory_types", types);
    }
    if (info->checksum_read) {
        out_t *j = out_obj(o, "checksum");
        out_int(j, "stored", info->checksum_stored);
        out_int(j, "calculated", info->checksum_calculated);
        out_bool(j, "valid", info->checksum_stored == info->checksum_calculated);
    } else {
        out_null(o, "checksum");
    }
    if (info->hash_read) {
        char hex[2 * OTA_IMAGE_HASH_LEN + 1];
        out_t *j = out_obj(o, "hash");
        cli_hex(info->hash_stored, OTA_IMAGE_HASH_LEN, hex);
        out_str(j, "stored", hex);
        cli_hex(info->hash_calculated, OTA_IMAGE_HASH_LEN, hex);
        out_str(j, "calculated", hex);
        out_bool(j, "valid", memcmp(info->hash_stored, info->hash_calculated, OTA_IMAGE_HASH_LEN) == 0);
    } else {
        out_null(o, "hash");
    }
    out_put(o, "app_desc", info->app_desc_valid ? image_report_app_desc_json(&info->app_desc) : NULL);
    if (info->complete) {
        out_int(o, "image_len", info->image_len);
    } else {
        out_null(o, "image_len");
    }
    return o;
}
