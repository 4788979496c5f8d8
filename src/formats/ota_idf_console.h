/**
 * @file ota_idf_console.h
 * @brief The console lines of the ESP-IDF version recorded in an image.
 *
 * A board prints what the ESP-IDF its code was built with prints: the second-stage bootloader
 * its own version's lines, an app its own version's startup lines, and an update the lines of the
 * running app's esp_https_ota / esp_image. Which wording a version prints lives in one table
 * (src/formats/idf_console.c, each row citing the ESP-IDF file and tag it was read from), so a log
 * pattern written for a real board matches the simulator's log for an image of the same era.
 *
 * That history is host simulation: a device prints what today's ESP-IDF prints (and ESP-IDF prints
 * its own startup and bootloader lines). Built with OTA_IDF_CONSOLE_HISTORY=0 - the ESP-IDF
 * component unless Kconfig OTA_SERVICE_IDF_CONSOLE_HISTORY is set, the bare-metal firmware unless
 * CMake's OTA_IDF_CONSOLE_HISTORY is ON (docs/porting.md) - only today's rows are compiled: every
 * version gets them, ota_idf_version_parse gives the newest version for any string and
 * ota_idf_scan_bootloader finds nothing. The host build keeps the default, 1.
 */
#ifndef OTA_IDF_CONSOLE_H
#define OTA_IDF_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota/ota_app_image.h"
#include "ota/ota_log.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef OTA_IDF_CONSOLE_HISTORY
#define OTA_IDF_CONSOLE_HISTORY 1 /**< 1: every ESP-IDF version's wording (host); 0: today's only */
#endif

/** Where a version stands in the release order of one minor line. */
typedef enum {
    OTA_IDF_STAGE_DEV = 0, /**< "vX.Y-dev-N": master before the X.Y branch */
    OTA_IDF_STAGE_BETA,    /**< "vX.Y-betaN" */
    OTA_IDF_STAGE_RC,      /**< "vX.Y-rcN" */
    OTA_IDF_STAGE_RELEASE, /**< "vX.Y[.Z]" and "vX.Y.Z-N-gHASH" (N commits after it) */
} ota_idf_stage_t;

/** An ESP-IDF version as `git describe` writes it into IDF_VER. */
typedef struct {
    uint8_t major, minor, patch;
    uint8_t stage;    /**< ota_idf_stage_t */
    uint16_t stage_n; /**< the N of betaN / rcN */
    uint32_t commits; /**< commits after the tag ("-dev-N", "-N-gHASH") */
    bool parsed;      /**< false: the string was no version; it counts as the newest known */
} ota_idf_version_t;

/**
 * Parse an idf_ver string: "v4.2.2-1-g379ca2123", "v5.2-dev-254-g1950b15", "v5.3.1", "v5.4-rc1",
 * "v5.4-beta2-dirty", "4.4". Anything else (empty, "qa-build", a bare hash) gives the newest
 * version this table knows, with parsed = false: an unknown build prints today's lines.
 */
void ota_idf_version_parse(const char *s, ota_idf_version_t *out);

/**
 * Order two versions: major, minor, patch, then stage (-dev < -beta < -rc < release), then the
 * stage's number and the commits after the tag.
 * @return -1 (@p a is older), 0 (the same), 1 (@p a is newer); never an error code.
 */
int ota_idf_version_cmp(const ota_idf_version_t *a, const ota_idf_version_t *b);

/**
 * A bootloader image from before esp_bootloader_desc_t (ESP-IDF < v5.2) still holds what its banner
 * prints (components/bootloader_support/src/bootloader_init.c): IDF_VER as a string of its own and
 * the literal "compile time " __TIME__ (from v5.1: __DATE__ " " __TIME__). Find them in @p data:
 * @p idf_ver gets the first NUL-delimited "vX.Y..." string that parses as a version, @p compile_time
 * the text after "compile time " ("" when absent). @return true when a version was found.
 */
bool ota_idf_scan_bootloader(const uint8_t *data, size_t len, char idf_ver[33], char compile_time[32]);

/** One console line whose tag, level or wording depends on the ESP-IDF version. */
typedef enum {
    /* the app's startup (its own idf_ver) */
    OTA_IDF_APP_INFO,         /**< "Application information:" */
    OTA_IDF_APP_PROJECT,      /**< s: project name */
    OTA_IDF_APP_VERSION,      /**< s: version */
    OTA_IDF_APP_SECURE_VER,   /**< u: secure version (anti-rollback on) */
    OTA_IDF_APP_COMPILE_TIME, /**< s, s: date, time */
    OTA_IDF_APP_ELF_SHA256,   /**< s: the first 16 hex digits */
    OTA_IDF_APP_IDF,          /**< s: idf_ver */
    OTA_IDF_APP_MIN_REV,      /**< u: min_chip_rev_full */
    OTA_IDF_APP_MAX_REV,      /**< u: max_chip_rev_full */
    OTA_IDF_APP_CHIP_REV,     /**< u: the chip's revision (major * 100 + minor) */
    /* the second-stage bootloader (the bootloader's idf_ver) */
    OTA_IDF_BOOT_BANNER,       /**< s: idf_ver */
    OTA_IDF_BOOT_COMPILE_TIME, /**< s, s: date, time */
    OTA_IDF_BOOT_CHIP_REV,     /**< u: the chip's revision (major * 100 + minor) */
    OTA_IDF_BOOT_MULTICORE,    /**< "Multicore bootloader" (a dual-core chip) */
    OTA_IDF_BOOT_COMM_REV,     /**< s "bootloader"/"application", u revision (full), u min_chip_rev */
    OTA_IDF_APP_COMM_REV,      /**< the same note printed by an app's esp_image_verify */
    OTA_IDF_BOOT_SPI_SPEED,    /**< s: "40MHz"... (ESP32) */
    OTA_IDF_BOOT_SPI_MODE,     /**< s: "DIO"... */
    OTA_IDF_BOOT_SPI_SIZE,     /**< s: "4MB"... */
    OTA_IDF_IMAGE_SEGMENT,     /**< u index, x paddr, x vaddr, x size, s "load"/"map"/"" */
    /* an update (the running app's idf_ver) */
    OTA_IDF_HTTPS_WRITING, /**< s label, u subtype, x offset */
    OTA_IDF_HTTPS_CLOSED,  /**< the stream's end */
    OTA_IDF_LINE_COUNT
} ota_idf_line_t;

/** Arguments of a line; each line reads the fields its comment above names, in order. */
typedef struct {
    const char *s[2];
    uint32_t u[5];
} ota_idf_args_t;

/**
 * Render @p line as ESP-IDF @p ver prints it: the message into @p buf, its tag and level into
 * @p tag and @p level. @return false when that version prints no such line (or prints it at a
 * level below INFO only when *level says so: the caller logs at *level either way).
 */
bool ota_idf_line(const ota_idf_version_t *ver, ota_idf_line_t line, const ota_idf_args_t *args, char *buf,
                  size_t size, const char **tag, ota_log_level_t *level);

/** ota_idf_line, then ota_log_write: nothing when the version prints no such line. */
void ota_idf_log(const ota_idf_version_t *ver, ota_idf_line_t line, const ota_idf_args_t *args);

/** The esp_image "segment N: ..." lines of @p info at @p partition_offset, as @p ver prints them;
 *  @p loading: the bootloader loading the app (RAM segments say "load"), else a verify. */
/** An app's esp_image_verify of the image at @p partition_offset (esp_ota_end,
 *  esp_ota_set_boot_partition): the revision note where @p ver prints it, then the segments.
 *  Nothing with OTA_IDF_CONSOLE_HISTORY=0: on a device, esp_image prints its own lines. */
void ota_idf_log_app_verify(const ota_idf_version_t *ver, uint32_t partition_offset,
                            const ota_image_info_t *info, uint16_t chip_revision);

void ota_idf_log_segments(const ota_idf_version_t *ver, uint32_t partition_offset,
                          const ota_image_info_t *info, bool loading);

#ifdef __cplusplus
}
#endif
#endif /* OTA_IDF_CONSOLE_H */
