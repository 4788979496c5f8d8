/* esp_image format: header / segment / app description codecs and per-chip facts. Pure. */
#include "ota/ota_app_image.h"

#include <stdio.h>
#include <string.h>
#include "byte_order.h"

/* --- little-endian helpers ------------------------------------------------------------------- */

/* --- codecs ---------------------------------------------------------------------------------- */

void ota_image_header_decode(const uint8_t raw[OTA_IMAGE_HEADER_SIZE], ota_image_header_t *out)
{
    out->magic = raw[0];
    out->segment_count = raw[1];
    out->spi_mode = raw[2];
    out->spi_speed = raw[3] & 0x0F;
    out->spi_size = (uint8_t)(raw[3] >> 4);
    out->entry_addr = ota_get_le32(raw + 4);
    out->wp_pin = raw[8];
    memcpy(out->spi_pin_drv, raw + 9, 3);
    out->chip_id = ota_get_le16(raw + 12);
    out->min_chip_rev = raw[14];
    out->min_chip_rev_full = ota_get_le16(raw + 15);
    out->max_chip_rev_full = ota_get_le16(raw + 17);
    memcpy(out->reserved, raw + 19, 4);
    out->hash_appended = raw[23];
}

void ota_image_header_encode(const ota_image_header_t *h, uint8_t raw[OTA_IMAGE_HEADER_SIZE])
{
    raw[0] = h->magic;
    raw[1] = h->segment_count;
    raw[2] = h->spi_mode;
    raw[3] = (uint8_t)((h->spi_speed & 0x0F) | (h->spi_size << 4));
    ota_put_le32(raw + 4, h->entry_addr);
    raw[8] = h->wp_pin;
    memcpy(raw + 9, h->spi_pin_drv, 3);
    ota_put_le16(raw + 12, h->chip_id);
    raw[14] = h->min_chip_rev;
    ota_put_le16(raw + 15, h->min_chip_rev_full);
    ota_put_le16(raw + 17, h->max_chip_rev_full);
    memcpy(raw + 19, h->reserved, 4);
    raw[23] = h->hash_appended;
}

void ota_image_segment_header_decode(const uint8_t raw[OTA_IMAGE_SEGMENT_HEADER_SIZE],
                                     ota_image_segment_header_t *out)
{
    out->load_addr = ota_get_le32(raw);
    out->data_len = ota_get_le32(raw + 4);
}

void ota_image_segment_header_encode(const ota_image_segment_header_t *seg,
                                     uint8_t raw[OTA_IMAGE_SEGMENT_HEADER_SIZE])
{
    ota_put_le32(raw, seg->load_addr);
    ota_put_le32(raw + 4, seg->data_len);
}

/* Field offsets inside esp_app_desc_t (reference §3.5). */
enum {
    DESC_MAGIC = 0x00,
    DESC_SECURE_VERSION = 0x04,
    DESC_VERSION = 0x10,
    DESC_PROJECT = 0x30,
    DESC_TIME = 0x50,
    DESC_DATE = 0x60,
    DESC_IDF_VER = 0x70,
    DESC_ELF_SHA = 0x90,
    DESC_MIN_EFUSE = 0xB0,
    DESC_MAX_EFUSE = 0xB2,
    DESC_MMU_PAGE = 0xB4,
    DESC_SPI_MODE = 0xB5,
};

static void copy_field(char *dst, const uint8_t *src, size_t field_len)
{
    size_t n = 0;
    while (n < field_len && src[n] != 0) {
        n++;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static void put_field(uint8_t *dst, const char *src, size_t field_len)
{
    size_t n = strlen(src);
    if (n > field_len) {
        n = field_len;
    }
    memcpy(dst, src, n);
}

void ota_app_desc_decode(const uint8_t raw[OTA_APP_DESC_SIZE], ota_app_desc_t *out)
{
    out->magic_word = ota_get_le32(raw + DESC_MAGIC);
    out->secure_version = ota_get_le32(raw + DESC_SECURE_VERSION);
    copy_field(out->version, raw + DESC_VERSION, 32);
    copy_field(out->project_name, raw + DESC_PROJECT, 32);
    copy_field(out->time, raw + DESC_TIME, 16);
    copy_field(out->date, raw + DESC_DATE, 16);
    copy_field(out->idf_ver, raw + DESC_IDF_VER, 32);
    memcpy(out->app_elf_sha256, raw + DESC_ELF_SHA, 32);
    out->min_efuse_blk_rev_full = ota_get_le16(raw + DESC_MIN_EFUSE);
    out->max_efuse_blk_rev_full = ota_get_le16(raw + DESC_MAX_EFUSE);
    out->mmu_page_size = raw[DESC_MMU_PAGE];
    out->spi_flash_mode = raw[DESC_SPI_MODE];
}

void ota_app_desc_encode(const ota_app_desc_t *d, uint8_t raw[OTA_APP_DESC_SIZE])
{
    memset(raw, 0, OTA_APP_DESC_SIZE);
    ota_put_le32(raw + DESC_MAGIC, d->magic_word);
    ota_put_le32(raw + DESC_SECURE_VERSION, d->secure_version);
    put_field(raw + DESC_VERSION, d->version, 32);
    put_field(raw + DESC_PROJECT, d->project_name, 32);
    put_field(raw + DESC_TIME, d->time, 16);
    put_field(raw + DESC_DATE, d->date, 16);
    put_field(raw + DESC_IDF_VER, d->idf_ver, 32);
    memcpy(raw + DESC_ELF_SHA, d->app_elf_sha256, 32);
    ota_put_le16(raw + DESC_MIN_EFUSE, d->min_efuse_blk_rev_full);
    ota_put_le16(raw + DESC_MAX_EFUSE, d->max_efuse_blk_rev_full);
    raw[DESC_MMU_PAGE] = d->mmu_page_size;
    raw[DESC_SPI_MODE] = d->spi_flash_mode;
}

/* --- chips ----------------------------------------------------------------------------------- */

/* Secure Boot V2 rows (ota_chip_sbv2_t), from ESP-IDF v6.0.2 (tests/unit/formats/soc_caps_v6.0.2.txt
 * cites each file):
 *   min_rev  ESP32: Kconfig SECURE_BOOT_V2_RSA_SUPPORTED "depends on (IDF_TARGET_ESP32 &&
 *            ESP32_REV_MIN_FULL >= 300)" (soc_caps.h has no SOC_SECURE_BOOT_V2_RSA for it: the ECO3
 *            rule lives in Kconfig); ESP32-C3: SECURE_BOOT "depends on ... !(IDF_TARGET_ESP32C3 &&
 *            ESP32C3_REV_MIN_FULL < 3)".
 *   H4: SOC_SECURE_BOOT_SUPPORTED is commented out ("TODO: [ESP32H4] IDF-12262"), so no secure
 *   boot although the V2 macros are there; S31 has no soc_caps.h at v6.0.2. */
#define SB_NONE \
    { \
        false, 0, false, false, false, 0, false, 0 \
    }
#define SB(min_rev, rsa, p256, p384, digests, revocable, blocks) \
    { \
        true, min_rev, rsa, p256, p384, digests, revocable, blocks \
    }
#define SB_H4 \
    { \
        false, 0, true, true, false, 3, true, 3 \
    }

/* Mapped ranges are ESP-IDF's soc.h SOC_DROM/IROM_LOW/HIGH (should_map in esp_image_format.c);
 * C6/H2 map both buses over one 16 MiB window (page size << 8 with the default 64 KiB page).
 * display_name is esptool v4.9.1's CHIP_NAME (esptool/targets/<chip>.py); tests/integration/
 * test_image_info_esptool.py checks it. */
/* One row per chip; the table is every chip, or with OTA_CHIP_ONLY=<name> (a device build knows its
 * chip: the ESP-IDF component sets it from IDF_TARGET, docs/porting.md) that chip's row alone, so
 * an image for another chip is an unknown chip (refused by the chip check all the same). */
/* clang-format off */
#define CHIP_ESP32 \
    {OTA_CHIP_ESP32, "esp32", "ESP32", \
     0x3F400000, 0x3F800000, 0x400D0000, 0x40400000, false, 32, 399, SB(300, true, false, false, 1, false, 1)}
#define CHIP_ESP32S2 \
    {OTA_CHIP_ESP32S2, "esp32s2", "ESP32-S2", \
     0x3F000000, 0x3FF80000, 0x40080000, 0x40800000, false, 16, 199, SB(0, true, false, false, 3, true, 3)}
#define CHIP_ESP32C3 \
    {OTA_CHIP_ESP32C3, "esp32c3", "ESP32-C3", \
     0x3C000000, 0x3C800000, 0x42000000, 0x42800000, false, 16, 199, SB(3, true, false, false, 3, true, 3)}
#define CHIP_ESP32S3 \
    {OTA_CHIP_ESP32S3, "esp32s3", "ESP32-S3", \
     0x3C000000, 0x3E000000, 0x42000000, 0x44000000, false, 16, 99, SB(0, true, false, false, 3, true, 3)}
#define CHIP_ESP32C2 \
    {OTA_CHIP_ESP32C2, "esp32c2", "ESP32-C2", \
     0, 0, 0, 0, true, 4, 199, SB(0, false, true, false, 1, false, 1)}
#define CHIP_ESP32C6 \
    {OTA_CHIP_ESP32C6, "esp32c6", "ESP32-C6", \
     0x42000000, 0x43000000, 0x42000000, 0x43000000, true, 16, 99, SB(0, true, true, false, 3, true, 3)}
#define CHIP_ESP32H2 \
    {OTA_CHIP_ESP32H2, "esp32h2", "ESP32-H2", \
     0x42000000, 0x43000000, 0x42000000, 0x43000000, true, 16, 99, SB(0, true, true, false, 3, true, 3)}
#define CHIP_ESP32P4 \
    {OTA_CHIP_ESP32P4, "esp32p4", "ESP32-P4", 0, 0, 0, 0, false, 16, 199, SB(0, true, true, true, 3, true, 3)}
#define CHIP_ESP32C61 \
    {OTA_CHIP_ESP32C61, "esp32c61", "ESP32-C61", \
     0, 0, 0, 0, true, 16, 99, SB(0, false, true, false, 3, true, 3)}
#define CHIP_ESP32C5 \
    {OTA_CHIP_ESP32C5, "esp32c5", "ESP32-C5", 0, 0, 0, 0, false, 9, 199, SB(0, true, true, true, 3, true, 3)}
#define CHIP_ESP32H21 \
    {OTA_CHIP_ESP32H21, "esp32h21", "ESP32-H21", \
     0, 0, 0, 0, true, 16, 99, SB(0, true, false, false, 3, true, 3)}
#define CHIP_ESP32H4 \
    {OTA_CHIP_ESP32H4, "esp32h4", "ESP32-H4", 0, 0, 0, 0, true, 16, 99, SB_H4}
#define CHIP_ESP32S31 \
    {OTA_CHIP_ESP32S31, "esp32s31", "ESP32-S31", 0, 0, 0, 0, true, 16, 99, SB_NONE}
/* clang-format on */

#define CHIP_ROW_(name) CHIP_##name
#define CHIP_ROW(name)  CHIP_ROW_(name)
#ifdef OTA_CHIP_ONLY
static const ota_chip_info_t k_chips[] = {CHIP_ROW(OTA_CHIP_ONLY)};
#else
static const ota_chip_info_t k_chips[] = {
    CHIP_ESP32,   CHIP_ESP32S2,  CHIP_ESP32C3, CHIP_ESP32S3,  CHIP_ESP32C2, CHIP_ESP32C6,  CHIP_ESP32H2,
    CHIP_ESP32P4, CHIP_ESP32C61, CHIP_ESP32C5, CHIP_ESP32H21, CHIP_ESP32H4, CHIP_ESP32S31,
};
#endif

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

const ota_chip_info_t *ota_chip_info(uint16_t chip_id)
{
    for (size_t i = 0; i < COUNT_OF(k_chips); i++) {
        if (k_chips[i].id == chip_id) {
            return &k_chips[i];
        }
    }
    return NULL;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Compare ignoring case and '-' (so "ESP32-S3" == "esp32s3"). */
static bool same_chip_name(const char *a, const char *b)
{
    for (;;) {
        while (*a == '-') {
            a++;
        }
        while (*b == '-') {
            b++;
        }
        if (lower((unsigned char)*a) != lower((unsigned char)*b)) {
            return false;
        }
        if (*a == '\0') {
            return true;
        }
        a++;
        b++;
    }
}

const ota_chip_info_t *ota_chip_info_by_name(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < COUNT_OF(k_chips); i++) {
        if (same_chip_name(name, k_chips[i].name)) {
            return &k_chips[i];
        }
    }
    return NULL;
}

const char *ota_chip_display_name(uint16_t chip_id)
{
    const ota_chip_info_t *c = ota_chip_info(chip_id);
    return c ? c->display_name : "Unknown ID";
}

static const char *rev_text(uint16_t rev, char buf[16])
{
    snprintf(buf, 16, "v%u.%u", (unsigned)(rev / 100u), (unsigned)(rev % 100u));
    return buf;
}

int ota_chip_sbv2_unsupported(uint16_t chip_id, uint16_t rev, char *buf, size_t size)
{
    const ota_chip_info_t *c = ota_chip_info(chip_id);
    char r[16], m[16];
    if (c == NULL) {
        return snprintf(buf, size, "chip id %u: unknown chip, no Secure Boot V2", (unsigned)chip_id);
    }
    if (!c->sbv2.supported) {
        return snprintf(buf, size,
                        "%s: no Secure Boot V2 in ESP-IDF v6.0.2 (SOC_SECURE_BOOT_SUPPORTED unset)",
                        c->display_name);
    }
    if (rev < c->sbv2.min_rev) {
        return snprintf(buf, size, "%s (rev %s): Secure Boot V2 needs chip revision %s or later",
                        c->display_name, rev_text(rev, r), rev_text(c->sbv2.min_rev, m));
    }
    if (size > 0) {
        buf[0] = '\0';
    }
    return 0;
}

int ota_chip_sbv2_rule(uint16_t chip_id, uint16_t rev, char *buf, size_t size)
{
    const ota_chip_info_t *c = ota_chip_info(chip_id);
    if (c == NULL || !c->sbv2.supported || rev < c->sbv2.min_rev) {
        return ota_chip_sbv2_unsupported(chip_id, rev, buf, size);
    }
    const ota_chip_sbv2_t *sb = &c->sbv2;
    char schemes[48] = "", r[16], blocks[40];
    const char *names[3] = {sb->rsa3072 ? "RSA-3072" : NULL, sb->ecdsa_p256 ? "ECDSA-P256" : NULL,
                            sb->ecdsa_p384 ? "ECDSA-P384" : NULL};
    size_t n = 0;
    for (unsigned i = 0; i < 3; i++) {
        if (names[i] != NULL) {
            n += (size_t)snprintf(schemes + n, sizeof schemes - n, "%s%s", n ? " or " : "", names[i]);
        }
    }
    if (sb->sig_blocks == 1) {
        snprintf(blocks, sizeof blocks, "only signature block 0 counts");
    } else {
        snprintf(blocks, sizeof blocks, "signature blocks 0..%u count", (unsigned)sb->sig_blocks - 1u);
    }
    return snprintf(buf, size, "%s (rev %s): Secure Boot V2 takes %s signatures, %u key digest%s, %s, %s",
                    c->display_name, rev_text(rev, r), schemes, (unsigned)sb->key_digests,
                    sb->key_digests == 1 ? "" : "s", sb->revocable ? "revocable" : "no key revocation",
                    blocks);
}

const char *ota_chip_esptool_name(uint16_t chip_id)
{
    const ota_chip_info_t *c = ota_chip_info(chip_id);
    return c != NULL && chip_id != OTA_CHIP_ESP32S31 ? c->display_name : NULL;
}

bool ota_chip_addr_is_mapped(uint16_t chip_id, uint32_t addr)
{
    const ota_chip_info_t *c = ota_chip_info(chip_id);
    if (c == NULL) {
        return false;
    }
    bool drom = c->drom_high != 0 && addr >= c->drom_low && addr < c->drom_high;
    bool irom = c->irom_high != 0 && addr >= c->irom_low && addr < c->irom_high;
    return drom || irom;
}

/* esptool's MEMORY_MAP tables (esptool/targets/<chip>.py): every range containing the address
 * contributes its name, in table order. */
typedef struct {
    uint32_t low, high;
    const char *name;
} mem_range_t;

static const mem_range_t k_map_esp32[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3F400000, 0x3F800000, "DROM"},
    {0x3F800000, 0x3FC00000, "EXTRAM_DATA"},
    {0x3FF80000, 0x3FF82000, "RTC_DRAM"},
    {0x3FF90000, 0x40000000, "BYTE_ACCESSIBLE"},
    {0x3FFAE000, 0x40000000, "DRAM"},
    {0x3FFE0000, 0x3FFFFFFC, "DIRAM_DRAM"},
    {0x40000000, 0x40070000, "IROM"},
    {0x40070000, 0x40078000, "CACHE_PRO"},
    {0x40078000, 0x40080000, "CACHE_APP"},
    {0x40080000, 0x400A0000, "IRAM"},
    {0x400A0000, 0x400BFFFC, "DIRAM_IRAM"},
    {0x400C0000, 0x400C2000, "RTC_IRAM"},
    {0x400D0000, 0x40400000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
    {0, 0, NULL},
};
static const mem_range_t k_map_esp32s2[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3F000000, 0x3FF80000, "DROM"},
    {0x3F500000, 0x3FF80000, "EXTRAM_DATA"},
    {0x3FF9E000, 0x3FFA0000, "RTC_DRAM"},
    {0x3FF9E000, 0x40000000, "BYTE_ACCESSIBLE"},
    {0x3FF9E000, 0x40072000, "MEM_INTERNAL"},
    {0x3FFB0000, 0x40000000, "DRAM"},
    {0x40000000, 0x4001A100, "IROM_MASK"},
    {0x40020000, 0x40070000, "IRAM"},
    {0x40070000, 0x40072000, "RTC_IRAM"},
    {0x40080000, 0x40800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
    {0, 0, NULL},
};
static const mem_range_t k_map_esp32s3[] = {
    {0x00000000, 0x00010000, "PADDING"},
    {0x3C000000, 0x3D000000, "DROM"},
    {0x3D000000, 0x3E000000, "EXTRAM_DATA"},
    {0x600FE000, 0x60100000, "RTC_DRAM"},
    {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FC88000, 0x403E2000, "MEM_INTERNAL"},
    {0x3FC88000, 0x3FD00000, "DRAM"},
    {0x40000000, 0x4001A100, "IROM_MASK"},
    {0x40370000, 0x403E0000, "IRAM"},
    {0x600FE000, 0x60100000, "RTC_IRAM"},
    {0x42000000, 0x42800000, "IROM"},
    {0x50000000, 0x50002000, "RTC_DATA"},
    {0, 0, NULL},
};
static const mem_range_t k_map_esp32c3[] = {
    {0x00000000, 0x00010000, "PADDING"},       {0x3C000000, 0x3C800000, "DROM"},
    {0x3FC80000, 0x3FCE0000, "DRAM"},          {0x3FC88000, 0x3FD00000, "BYTE_ACCESSIBLE"},
    {0x3FF00000, 0x3FF20000, "DROM_MASK"},     {0x40000000, 0x40060000, "IROM_MASK"},
    {0x42000000, 0x42800000, "IROM"},          {0x4037C000, 0x403E0000, "IRAM"},
    {0x50000000, 0x50002000, "RTC_IRAM"},      {0x50000000, 0x50002000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"}, {0, 0, NULL},
};
static const mem_range_t k_map_esp32c6[] = {
    /* esptool v4.9.1's ESP32-C6 map: DROM and IROM both start at 0x42000000 (one MMU window), so a
     * segment there is "DROM, IROM" (testdata/secure/app_esp32c6.image_info.txt) */
    {0x00000000, 0x00010000, "PADDING"},       {0x42000000, 0x43000000, "DROM"},
    {0x40800000, 0x40880000, "DRAM"},          {0x40800000, 0x40880000, "BYTE_ACCESSIBLE"},
    {0x4004AC00, 0x40050000, "DROM_MASK"},     {0x40000000, 0x4004AC00, "IROM_MASK"},
    {0x42000000, 0x42800000, "IROM"},          {0x40800000, 0x40880000, "IRAM"},
    {0x50000000, 0x50004000, "RTC_IRAM"},      {0x50000000, 0x50004000, "RTC_DRAM"},
    {0x600FE000, 0x60100000, "MEM_INTERNAL2"}, {0, 0, NULL},
};

static const mem_range_t *memory_map(uint16_t chip_id)
{
    switch (chip_id) {
    case OTA_CHIP_ESP32: return k_map_esp32;
    case OTA_CHIP_ESP32S2: return k_map_esp32s2;
    case OTA_CHIP_ESP32S3: return k_map_esp32s3;
    case OTA_CHIP_ESP32C3: return k_map_esp32c3;
    case OTA_CHIP_ESP32C6: return k_map_esp32c6;
    default: return NULL;
    }
}

int ota_chip_memory_types(uint16_t chip_id, uint32_t addr, char *buf, size_t size)
{
    const mem_range_t *map = memory_map(chip_id);
    size_t used = 0; /* characters in buf, always < size when size > 0 */
    int total = 0;
    if (size > 0) {
        buf[0] = '\0';
    }
    for (; map != NULL && map->name != NULL; map++) {
        if (addr < map->low || addr >= map->high) {
            continue;
        }
        const char *sep = total > 0 ? ", " : "";
        int n = size > 0 ? snprintf(buf + used, size - used, "%s%s", sep, map->name)
                         : snprintf(NULL, 0, "%s%s", sep, map->name);
        if (n < 0) {
            return n;
        }
        total += n;
        if (size > 0) {
            used = (size_t)total < size ? (size_t)total : size - 1;
        }
    }
    return total;
}

/* --- flash parameters ------------------------------------------------------------------------ */

static const char *const k_modes[] = {"QIO", "QOUT", "DIO", "DOUT"};

const char *ota_image_flash_mode_name(uint8_t spi_mode)
{
    return spi_mode < COUNT_OF(k_modes) ? k_modes[spi_mode] : NULL;
}

bool ota_image_flash_mode_parse(const char *text, uint8_t *out)
{
    for (uint8_t i = 0; i < COUNT_OF(k_modes); i++) {
        if (text != NULL && same_chip_name(text, k_modes[i])) {
            *out = i;
            return true;
        }
    }
    return false;
}

typedef struct {
    const char *name;
    uint8_t code;
} freq_t;

/* esptool FLASH_FREQUENCY per chip family; the first name with a code is what esptool prints. */
static const freq_t k_freq_esp32[] = {{"80m", 0xF}, {"40m", 0x0}, {"26m", 0x1}, {"20m", 0x2}, {NULL, 0}};
static const freq_t k_freq_c6[] = {{"80m", 0x0}, {"40m", 0x0}, {"20m", 0x2}, {NULL, 0}};
static const freq_t k_freq_c2[] = {{"60m", 0xF}, {"30m", 0x0}, {"20m", 0x1}, {"15m", 0x2}, {NULL, 0}};
static const freq_t k_freq_h2[] = {{"48m", 0xF}, {"24m", 0x0}, {"16m", 0x1}, {"12m", 0x2}, {NULL, 0}};

static const freq_t *freq_table(uint16_t chip_id)
{
    switch (chip_id) {
    case OTA_CHIP_ESP32C6: return k_freq_c6;
    case OTA_CHIP_ESP32C2: return k_freq_c2;
    case OTA_CHIP_ESP32H2: return k_freq_h2;
    default: return k_freq_esp32;
    }
}

const char *ota_image_flash_freq_name(uint16_t chip_id, uint8_t spi_speed)
{
    for (const freq_t *f = freq_table(chip_id); f->name != NULL; f++) {
        if (f->code == spi_speed) {
            return f->name;
        }
    }
    return NULL;
}

bool ota_image_flash_freq_parse(uint16_t chip_id, const char *text, uint8_t *out)
{
    for (const freq_t *f = freq_table(chip_id); text != NULL && f->name != NULL; f++) {
        if (same_chip_name(text, f->name)) {
            *out = f->code;
            return true;
        }
    }
    return false;
}

static const char *const k_sizes[] = {"1MB", "2MB", "4MB", "8MB", "16MB", "32MB", "64MB", "128MB"};

const char *ota_image_flash_size_name(uint8_t spi_size)
{
    return spi_size < COUNT_OF(k_sizes) ? k_sizes[spi_size] : NULL;
}

bool ota_image_flash_size_parse(const char *text, uint8_t *out)
{
    for (uint8_t i = 0; i < COUNT_OF(k_sizes); i++) {
        if (text != NULL && same_chip_name(text, k_sizes[i])) {
            *out = i;
            return true;
        }
    }
    return false;
}
