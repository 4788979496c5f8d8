/* The console wording of each ESP-IDF version (pure): the idf_ver parser and the one table of
 * "from version X, line Y". See ota_idf_console.h.
 *
 * OTA_IDF_CONSOLE_HISTORY=0 (a device build, ota_idf_console.h): only today's rows (NOW) are
 * compiled and no version is read - the older rows (OLD), the idf_ver parser and the bootloader
 * scan imitate other ESP-IDF releases for the host simulator, which a device does not do. */
#include "formats/ota_idf_console.h"

#include <stdio.h>
#include <string.h>

/* An unparsable idf_ver counts as newer than every tag: it prints the newest rows. */
#define NEWEST_MAJOR 255u

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Digits at *p as a number (saturated), advancing *p; false when there are none. */
static bool take_number(const char **p, uint32_t *out)
{
    const char *s = *p;
    uint32_t v = 0;
    if (!is_digit(*s)) {
        return false;
    }
    while (is_digit(*s)) {
        v = v > 100000000u ? v : v * 10u + (uint32_t)(*s - '0');
        s++;
    }
    *p = s;
    *out = v;
    return true;
}

static bool take_word(const char **p, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(*p, word, n) != 0) {
        return false;
    }
    *p += n;
    return true;
}

static void set_newest(ota_idf_version_t *out)
{
    memset(out, 0, sizeof *out);
    out->major = NEWEST_MAJOR;
    out->stage = OTA_IDF_STAGE_RELEASE;
}

void ota_idf_version_parse(const char *s, ota_idf_version_t *out)
{
    set_newest(out);
    if (s == NULL || !OTA_IDF_CONSOLE_HISTORY) {
        return;
    }
    const char *p = s;
    if (*p == 'v' || *p == 'V') {
        p++;
    }
    uint32_t major, minor, patch = 0;
    if (!take_number(&p, &major) || *p != '.') {
        return;
    }
    p++;
    if (!take_number(&p, &minor)) {
        return;
    }
    if (*p == '.') {
        p++;
        if (!take_number(&p, &patch)) {
            return;
        }
    }
    if (major > 99 || minor > 99 || patch > 99 || (*p != '\0' && *p != '-')) {
        return;
    }
    ota_idf_version_t v = {
        .major = (uint8_t)major, .minor = (uint8_t)minor, .patch = (uint8_t)patch, .parsed = true};
    v.stage = OTA_IDF_STAGE_RELEASE;
    uint32_t n = 0;
    /* git describe: "-dev[-N-gHASH]", "-betaN[-N-gHASH]", "-rcN[-N-gHASH]", "-N-gHASH"; a
     * "-dirty" or any other tail says nothing about the order. */
    if (take_word(&p, "-dev")) {
        v.stage = OTA_IDF_STAGE_DEV;
    } else if (take_word(&p, "-beta")) {
        v.stage = OTA_IDF_STAGE_BETA;
        v.stage_n = take_number(&p, &n) ? (uint16_t)(n > 0xFFFF ? 0xFFFF : n) : 0;
    } else if (take_word(&p, "-rc")) {
        v.stage = OTA_IDF_STAGE_RC;
        v.stage_n = take_number(&p, &n) ? (uint16_t)(n > 0xFFFF ? 0xFFFF : n) : 0;
    }
    if (*p == '-' && is_digit(p[1])) {
        p++;
        (void)take_number(&p, &v.commits);
    }
    *out = v;
}

int ota_idf_version_cmp(const ota_idf_version_t *a, const ota_idf_version_t *b)
{
    const uint32_t ka[] = {a->major, a->minor, a->patch, a->stage, a->stage_n, a->commits};
    const uint32_t kb[] = {b->major, b->minor, b->patch, b->stage, b->stage_n, b->commits};
    for (size_t i = 0; i < sizeof ka / sizeof ka[0]; i++) {
        if (ka[i] != kb[i]) {
            return ka[i] < kb[i] ? -1 : 1;
        }
    }
    return 0;
}

static bool time_char(uint8_t c)
{
    return is_digit((char)c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' || c == ':';
}

/* The text after the first "compile time " that is not a format ("%s"): the log format string is
 * "\033[0;32mI (%d) %s: compile time 17:46:22\033[0m\n", so it ends at the colour escape. */
static void scan_compile_time(const uint8_t *data, size_t len, char out[32])
{
    static const char ct[] = "compile time ";
    const size_t ct_len = sizeof ct - 1;
    for (size_t i = 0; i + ct_len < len; i++) {
        if (memcmp(&data[i], ct, ct_len) != 0) {
            continue;
        }
        size_t k = i + ct_len, m = 0;
        while (k + m < len && m < 31 && time_char(data[k + m])) {
            m++;
        }
        if (k + m >= len) {
            continue; /* cut by the end of the data: not known whole */
        }
        while (m > 0 && data[k + m - 1] == ' ') {
            m--;
        }
        if (m > 0) {
            memcpy(out, &data[k], m);
            out[m] = '\0';
            return;
        }
    }
}

bool ota_idf_scan_bootloader(const uint8_t *data, size_t len, char idf_ver[33], char compile_time[32])
{
    idf_ver[0] = compile_time[0] = '\0';
    if (data == NULL || !OTA_IDF_CONSOLE_HISTORY) {
        return false;
    }
    scan_compile_time(data, len, compile_time);
    for (size_t i = 0; i < len; i++) {
        /* IDF_VER is a string of its own: after a NUL, printable, NUL-terminated */
        if ((i > 0 && data[i - 1] != 0) || data[i] != 'v') {
            continue;
        }
        size_t n = 0;
        while (i + n < len && n < 33 && data[i + n] >= 0x20 && data[i + n] < 0x7F) {
            n++;
        }
        if (n >= 33 || i + n >= len || data[i + n] != 0) {
            continue;
        }
        char tmp[33];
        memcpy(tmp, &data[i], n);
        tmp[n] = '\0';
        ota_idf_version_t v;
        ota_idf_version_parse(tmp, &v);
        /* "v%d.%d"-style format strings do not parse; ESP-IDF's versions start at 2 */
        if (v.parsed && v.major >= 2) {
            memcpy(idf_ver, tmp, n + 1);
            return true;
        }
    }
    return false;
}

/* A version bound: V(a, b, c) the release vA.B.C (its -dev/-beta/-rc are older), D(a, b, n) the
 * master commit `git describe` names vA.B-dev-N, where a change landed: a -dev build from before
 * it prints the old line, one from after it the new one, as the board would. */
typedef struct {
    uint8_t major, minor, patch;
    bool dev;
    uint32_t commits;
} bound_t;

/* clang-format off */
#define V(a, b, c) {a, b, c, false, 0}
#define D(a, b, n) {a, b, 0, true, n}
#define OPEN       {0, 0, 0, false, 0}
/* clang-format on */

#if OTA_IDF_CONSOLE_HISTORY

static bool bound_is_open(const bound_t *b)
{
    return b->major == 0 && b->minor == 0 && b->patch == 0 && !b->dev;
}

static bool at_or_after(const ota_idf_version_t *v, const bound_t *b)
{
    ota_idf_version_t t = {.major = b->major,
                           .minor = b->minor,
                           .patch = b->patch,
                           .stage = b->dev ? OTA_IDF_STAGE_DEV : OTA_IDF_STAGE_RELEASE,
                           .commits = b->commits};
    return ota_idf_version_cmp(v, &t) >= 0;
}

#endif /* OTA_IDF_CONSOLE_HISTORY */

/* Which wording a line has. Variants of one line print the same arguments differently. */
enum {
    W_PLAIN,           /* the format takes the line's arguments as documented in the header */
    W_REV_MAJOR,       /* "%u": the revision's major number only */
    W_REV_MAJOR_MINOR, /* "v%u.%u" */
    W_SEG_0X,          /* "0x%08x" paddr/vaddr, "0x%05x" size */
    W_WRITING_SUBTYPE, /* subtype, offset */
    W_WRITING_LABEL,   /* label, offset */
    W_TIME_ONLY,       /* compile time: __TIME__ only */
    W_BOOT_COMM,       /* the major revision, the image type, its legacy min_chip_rev */
};

/* One row: from version `from` (inclusive) until `until` (exclusive; OPEN: no end), ESP-IDF prints
 * `line` at `level` with `tag` and `fmt`. A line with no row for a version is not printed by it.
 * Rows of a line must not overlap; a line printed with one wording throughout has one OPEN row. */
typedef struct {
    uint8_t line;
#if OTA_IDF_CONSOLE_HISTORY
    bound_t from, until;
#endif
    uint8_t level;
    uint8_t wording;
    const char *tag;
    const char *fmt;
} row_t;

/* NOW: a row of today's ESP-IDF (its `until` is OPEN); OLD: a row of older releases only, left out
 * of a device build. Each expands to its initializer and comma. */
#if OTA_IDF_CONSOLE_HISTORY
#define NOW(line, from, until, ...) {line, from, until, __VA_ARGS__},
#define OLD(line, from, until, ...) {line, from, until, __VA_ARGS__},
#else
#define NOW(line, from, until, ...) {line, __VA_ARGS__},
#define OLD(line, from, until, ...)
#endif

/* clang-format off */
static const row_t ROWS[] = {
    /* App startup. components/esp32/cpu_start.c (v3.3..v4.2.x, call_start_cpu0) and
     * components/esp_system/startup.c (v4.3..v5.2.x, start_cpu0_default) print the block with
     * tag "cpu_start"; from v5.3 components/esp_app_format/esp_app_desc.c (init_show_app_info, tag
     * "app_init") prints it. Order in every version: project, version, secure version (only with
     * CONFIG_BOOTLOADER_APP_SECURE_VERSION), compile time, ELF SHA256, ESP-IDF. On master the move is
     * 5430e2ff4c9 (v5.3-dev-2021). */
    OLD(OTA_IDF_APP_INFO, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "Application information:")
    NOW(OTA_IDF_APP_INFO, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init", "Application information:")
    OLD(OTA_IDF_APP_PROJECT, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "Project name:     %s")
    NOW(OTA_IDF_APP_PROJECT, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init", "Project name:     %s")
    OLD(OTA_IDF_APP_VERSION, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "App version:      %s")
    NOW(OTA_IDF_APP_VERSION, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init", "App version:      %s")
    OLD(OTA_IDF_APP_SECURE_VER, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "Secure version:   %u")
    NOW(OTA_IDF_APP_SECURE_VER, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init",
        "Secure version:   %u")
    OLD(OTA_IDF_APP_COMPILE_TIME, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "Compile time:     %s %s")
    NOW(OTA_IDF_APP_COMPILE_TIME, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init",
        "Compile time:     %s %s")
    OLD(OTA_IDF_APP_ELF_SHA256, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "ELF file SHA256:  %s...")
    NOW(OTA_IDF_APP_ELF_SHA256, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init",
        "ELF file SHA256:  %s...")
    OLD(OTA_IDF_APP_IDF, V(0, 0, 0), D(5, 3, 2021), OTA_LOG_INFO, W_PLAIN, "cpu_start",
        "ESP-IDF:          %s")
    NOW(OTA_IDF_APP_IDF, D(5, 3, 2021), OPEN, OTA_LOG_INFO, W_PLAIN, "app_init", "ESP-IDF:          %s")
    /* The chip revision lines after the block: components/esp_system/startup.c from v5.0.1, and
     * backported to v4.3.5 and v4.4.5 (absent in v4.3..v4.3.4, v4.4..v4.4.4, v5.0); from v5.3
     * components/efuse/src/esp_efuse_startup.c (init_efuse_show_app_info, tag "efuse_init", run
     * right after init_show_app_info: system_init_fn.txt priorities 20 and 21). "Max chip rev" ends
     * in "%s" = "" or "(constraint ignored)": a space is printed either way. On master: added by
     * 1f9260d790d (v5.1-dev-1605), moved to efuse_init by f9800e0726d (v5.3-dev-2078). */
    OLD(OTA_IDF_APP_MIN_REV, V(4, 3, 5), D(4, 4, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Min chip rev:     ")
    OLD(OTA_IDF_APP_MIN_REV, V(4, 4, 5), D(5, 0, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Min chip rev:     ")
    OLD(OTA_IDF_APP_MIN_REV, V(5, 0, 1), D(5, 1, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Min chip rev:     ")
    OLD(OTA_IDF_APP_MIN_REV, D(5, 1, 1605), D(5, 3, 2078), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Min chip rev:     ")
    NOW(OTA_IDF_APP_MIN_REV, D(5, 3, 2078), OPEN, OTA_LOG_INFO, W_REV_MAJOR_MINOR, "efuse_init",
        "Min chip rev:     ")
    OLD(OTA_IDF_APP_MAX_REV, V(4, 3, 5), D(4, 4, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Max chip rev:     ")
    OLD(OTA_IDF_APP_MAX_REV, V(4, 4, 5), D(5, 0, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Max chip rev:     ")
    OLD(OTA_IDF_APP_MAX_REV, V(5, 0, 1), D(5, 1, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Max chip rev:     ")
    OLD(OTA_IDF_APP_MAX_REV, D(5, 1, 1605), D(5, 3, 2078), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Max chip rev:     ")
    NOW(OTA_IDF_APP_MAX_REV, D(5, 3, 2078), OPEN, OTA_LOG_INFO, W_REV_MAJOR_MINOR, "efuse_init",
        "Max chip rev:     ")
    OLD(OTA_IDF_APP_CHIP_REV, V(4, 3, 5), D(4, 4, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Chip rev:         ")
    OLD(OTA_IDF_APP_CHIP_REV, V(4, 4, 5), D(5, 0, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Chip rev:         ")
    OLD(OTA_IDF_APP_CHIP_REV, V(5, 0, 1), D(5, 1, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Chip rev:         ")
    OLD(OTA_IDF_APP_CHIP_REV, D(5, 1, 1605), D(5, 3, 2078), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "cpu_start",
        "Chip rev:         ")
    NOW(OTA_IDF_APP_CHIP_REV, D(5, 3, 2078), OPEN, OTA_LOG_INFO, W_REV_MAJOR_MINOR, "efuse_init",
        "Chip rev:         ")

    /* Bootloader. components/bootloader_support/src/bootloader_init.c: "ESP-IDF %s 2nd stage
     * bootloader" with IDF_VER (v3.3..v5.1.x), from v5.2 with esp_bootloader_desc_t.idf_ver; then
     * "compile time " __TIME__ (v3.3..v5.0.x), "compile time " __DATE__ " " __TIME__ (v5.1.x), from
     * v5.2 "compile time %s" with the description's date_time (the same text); the date came with
     * 3a429b8b7a4 (v5.1-dev-684). */
    NOW(OTA_IDF_BOOT_BANNER, V(0, 0, 0), OPEN, OTA_LOG_INFO, W_PLAIN, "boot",
        "ESP-IDF %s 2nd stage bootloader")
    OLD(OTA_IDF_BOOT_COMPILE_TIME, V(0, 0, 0), D(5, 1, 684), OTA_LOG_INFO, W_TIME_ONLY, "boot",
        "compile time ")
    NOW(OTA_IDF_BOOT_COMPILE_TIME, D(5, 1, 684), OPEN, OTA_LOG_INFO, W_PLAIN, "boot", "compile time %s %s")
    /* bootloader_init.c bootloader_check_bootloader_validity: "chip revision: %d" with the major
     * revision (v4.1..v4.4.x; v3.3/v4.0 print none there), "chip revision: v%d.%d" from v5.0 and in
     * v4.3.5+ and v4.4.4+ (the revision-format backport); on master f8d4bc8911f (v5.0-dev-5379). */
    OLD(OTA_IDF_BOOT_CHIP_REV, V(4, 1, 0), V(4, 3, 5), OTA_LOG_INFO, W_REV_MAJOR, "boot", "chip revision: ")
    OLD(OTA_IDF_BOOT_CHIP_REV, V(4, 3, 5), D(4, 4, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "boot",
        "chip revision: ")
    OLD(OTA_IDF_BOOT_CHIP_REV, D(4, 4, 0), V(4, 4, 4), OTA_LOG_INFO, W_REV_MAJOR, "boot", "chip revision: ")
    OLD(OTA_IDF_BOOT_CHIP_REV, V(4, 4, 4), D(5, 0, 0), OTA_LOG_INFO, W_REV_MAJOR_MINOR, "boot",
        "chip revision: ")
    OLD(OTA_IDF_BOOT_CHIP_REV, D(5, 0, 0), D(5, 0, 5379), OTA_LOG_INFO, W_REV_MAJOR, "boot",
        "chip revision: ")
    NOW(OTA_IDF_BOOT_CHIP_REV, D(5, 0, 5379), OPEN, OTA_LOG_INFO, W_REV_MAJOR_MINOR, "boot",
        "chip revision: ")
    /* bootloader_init.c bootloader_print_banner: "Multicore bootloader" unless
     * CONFIG_FREERTOS_UNICORE, from v5.1 (975c138fad8, v5.1-dev-4301). */
    NOW(OTA_IDF_BOOT_MULTICORE, D(5, 1, 4301), OPEN, OTA_LOG_INFO, W_PLAIN, "boot", "Multicore bootloader")
    /* bootloader_common_check_chip_validity (bootloader_common.c, from v4.3
     * bootloader_common_loader.c; tag "boot_comm"), bootloader builds only, when the chip's
     * revision is above the image's min_chip_rev: v3.3.1..v4.3.4, v4.4..v4.4.4, v5.0; dropped by
     * 1f9260d790d (v5.1-dev-1605) on master, in v4.3.5, v4.4.5 and v5.0.1. */
    OLD(OTA_IDF_BOOT_COMM_REV, V(3, 3, 1), V(4, 3, 5), OTA_LOG_INFO, W_BOOT_COMM, "boot_comm",
        "chip revision: %u, min. %s chip revision: %u")
    OLD(OTA_IDF_BOOT_COMM_REV, D(4, 4, 0), V(4, 4, 5), OTA_LOG_INFO, W_BOOT_COMM, "boot_comm",
        "chip revision: %u, min. %s chip revision: %u")
    OLD(OTA_IDF_BOOT_COMM_REV, D(5, 0, 0), V(5, 0, 1), OTA_LOG_INFO, W_BOOT_COMM, "boot_comm",
        "chip revision: %u, min. %s chip revision: %u")
    OLD(OTA_IDF_BOOT_COMM_REV, D(5, 1, 0), D(5, 1, 1605), OTA_LOG_INFO, W_BOOT_COMM, "boot_comm",
        "chip revision: %u, min. %s chip revision: %u")
    /* Before b2ed553bbf1 (v4.1-dev-1680) the note had no #ifdef BOOTLOADER_BUILD: an app's
     * esp_image_verify (esp_image_format.c verify_image_header) printed it too (v3.3.1..v4.0.x). */
    OLD(OTA_IDF_APP_COMM_REV, V(3, 3, 1), D(4, 1, 1680), OTA_LOG_INFO, W_BOOT_COMM, "boot_comm",
        "chip revision: %u, min. %s chip revision: %u")
    /* print_flash_info (ESP32): in bootloader_init.c with tag "boot" (v3.3, v4.0), in
     * components/bootloader_support/src/esp32/bootloader_esp32.c with tag "boot.esp32" from v4.1
     * (888316fc64b, v4.1-dev-1634), in bootloader_flash/src/bootloader_flash_config_esp32.c (same
     * tag) from v5.1. The words are the same throughout. */
    OLD(OTA_IDF_BOOT_SPI_SPEED, V(0, 0, 0), D(4, 1, 1634), OTA_LOG_INFO, W_PLAIN, "boot",
        "SPI Speed      : %s")
    NOW(OTA_IDF_BOOT_SPI_SPEED, D(4, 1, 1634), OPEN, OTA_LOG_INFO, W_PLAIN, "boot.esp32",
        "SPI Speed      : %s")
    OLD(OTA_IDF_BOOT_SPI_MODE, V(0, 0, 0), D(4, 1, 1634), OTA_LOG_INFO, W_PLAIN, "boot",
        "SPI Mode       : %s")
    NOW(OTA_IDF_BOOT_SPI_MODE, D(4, 1, 1634), OPEN, OTA_LOG_INFO, W_PLAIN, "boot.esp32",
        "SPI Mode       : %s")
    OLD(OTA_IDF_BOOT_SPI_SIZE, V(0, 0, 0), D(4, 1, 1634), OTA_LOG_INFO, W_PLAIN, "boot",
        "SPI Flash Size : %s")
    NOW(OTA_IDF_BOOT_SPI_SIZE, D(4, 1, 1634), OPEN, OTA_LOG_INFO, W_PLAIN, "boot.esp32",
        "SPI Flash Size : %s")
    /* components/bootloader_support/src/esp_image_format.c process_segment: "paddr=0x%08x
     * vaddr=0x%08x size=0x%05x (%6d)" until v4.2.x, "paddr=%08x vaddr=%08x size=%05xh (%6d)" from
     * v4.3 (89d39308a09, v4.3-dev-2058, "bootloader: avoid printing load addresses with '0x'"). The same function
     * prints it in the bootloader (load) and in the app (esp_ota_end's verify). */
    OLD(OTA_IDF_IMAGE_SEGMENT, V(0, 0, 0), D(4, 3, 2058), OTA_LOG_INFO, W_SEG_0X, "esp_image",
        "segment %u: paddr=0x%08x vaddr=0x%08x size=0x%05x (%6u) %s")
    NOW(OTA_IDF_IMAGE_SEGMENT, D(4, 3, 2058), OPEN, OTA_LOG_INFO, W_PLAIN, "esp_image",
        "segment %u: paddr=%08x vaddr=%08x size=%05xh (%6u) %s")

    /* Update. components/esp_https_ota/src/esp_https_ota.c esp_https_ota_begin: "Writing to
     * partition subtype %d at offset 0x%x" until v5.3.x, "Writing to <%s> partition at offset
     * 0x%" PRIx32 with the label from v5.4 (d11b9582096, v5.4-dev-3246). */
    OLD(OTA_IDF_HTTPS_WRITING, V(0, 0, 0), D(5, 4, 3246), OTA_LOG_INFO, W_WRITING_SUBTYPE, "esp_https_ota",
        "Writing to partition subtype %u at offset 0x%x")
    NOW(OTA_IDF_HTTPS_WRITING, D(5, 4, 3246), OPEN, OTA_LOG_INFO, W_WRITING_LABEL, "esp_https_ota",
        "Writing to <%s> partition at offset 0x%x")
    /* esp_https_ota_perform at the stream's end: "Connection closed, all data received" (v3.3,
     * v3.3.1, v4.0), "Connection closed" (v3.3.2..v3.3.x, v4.0.1..v4.3.x), at DEBUG from v4.4
     * (69eb190310b, v4.4-dev-2689). */
    OLD(OTA_IDF_HTTPS_CLOSED, V(0, 0, 0), V(3, 3, 2), OTA_LOG_INFO, W_PLAIN, "esp_https_ota",
        "Connection closed, all data received")
    OLD(OTA_IDF_HTTPS_CLOSED, V(3, 3, 2), V(4, 0, 0), OTA_LOG_INFO, W_PLAIN, "esp_https_ota",
        "Connection closed")
    OLD(OTA_IDF_HTTPS_CLOSED, V(4, 0, 0), V(4, 0, 1), OTA_LOG_INFO, W_PLAIN, "esp_https_ota",
        "Connection closed, all data received")
    OLD(OTA_IDF_HTTPS_CLOSED, V(4, 0, 1), D(4, 4, 2689), OTA_LOG_INFO, W_PLAIN, "esp_https_ota",
        "Connection closed")
    NOW(OTA_IDF_HTTPS_CLOSED, D(4, 4, 2689), OPEN, OTA_LOG_DEBUG, W_PLAIN, "esp_https_ota",
        "Connection closed")
};
/* clang-format on */

static const row_t *find_row(const ota_idf_version_t *ver, ota_idf_line_t line)
{
    for (size_t i = 0; i < sizeof ROWS / sizeof ROWS[0]; i++) {
        const row_t *r = &ROWS[i];
#if OTA_IDF_CONSOLE_HISTORY
        if (r->line == line && at_or_after(ver, &r->from) &&
            (bound_is_open(&r->until) || !at_or_after(ver, &r->until))) {
            return r;
        }
#else
        (void)ver;
        if (r->line == line) {
            return r;
        }
#endif
    }
    return NULL;
}

bool ota_idf_line(const ota_idf_version_t *ver, ota_idf_line_t line, const ota_idf_args_t *args, char *buf,
                  size_t size, const char **tag, ota_log_level_t *level)
{
    const row_t *r = ver != NULL && args != NULL ? find_row(ver, line) : NULL;
    if (r == NULL || buf == NULL || size == 0) {
        return false;
    }
    const char *s0 = args->s[0] != NULL ? args->s[0] : "";
    const char *s1 = args->s[1] != NULL ? args->s[1] : "";
    const uint32_t *u = args->u;
    *tag = r->tag;
    *level = (ota_log_level_t)r->level;
    switch (r->wording) {
    case W_REV_MAJOR_MINOR:
        snprintf(buf, size, "%sv%u.%u%s", r->fmt, (unsigned)(u[0] / 100u), (unsigned)(u[0] % 100u),
                 line == OTA_IDF_APP_MAX_REV ? " " : "");
        break;
    case W_WRITING_LABEL: snprintf(buf, size, r->fmt, s0, (unsigned)u[1]); break;
#if OTA_IDF_CONSOLE_HISTORY
    case W_REV_MAJOR: snprintf(buf, size, "%s%u", r->fmt, (unsigned)(u[0] / 100u)); break;
    case W_TIME_ONLY: snprintf(buf, size, "%s%s", r->fmt, s1); break;
    case W_BOOT_COMM: snprintf(buf, size, r->fmt, (unsigned)(u[0] / 100u), s0, (unsigned)u[1]); break;
    case W_WRITING_SUBTYPE: snprintf(buf, size, r->fmt, (unsigned)u[0], (unsigned)u[1]); break;
#endif
    case W_SEG_0X:
    default:
        switch (line) {
        case OTA_IDF_APP_INFO:
        case OTA_IDF_BOOT_MULTICORE:
        case OTA_IDF_HTTPS_CLOSED: snprintf(buf, size, "%s", r->fmt); break;
        case OTA_IDF_APP_SECURE_VER: snprintf(buf, size, r->fmt, (unsigned)u[0]); break;
        case OTA_IDF_APP_COMPILE_TIME:
        case OTA_IDF_BOOT_COMPILE_TIME: snprintf(buf, size, r->fmt, s0, s1); break;
        case OTA_IDF_IMAGE_SEGMENT:
            snprintf(buf, size, r->fmt, (unsigned)u[0], (unsigned)u[1], (unsigned)u[2], (unsigned)u[3],
                     (unsigned)u[3], s0);
            break;
        default: snprintf(buf, size, r->fmt, s0); break;
        }
        break;
    }
    return true;
}
