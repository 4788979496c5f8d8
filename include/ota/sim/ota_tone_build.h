/**
 * @file ota_tone_build.h
 * @brief Building ESP-ADF tone partition images (mk_audio_tone.py's side), part of the simulation
 * library (ota-service-sim): a device only parses and validates tone images (ota_tone.h).
 */
#ifndef OTA_SIM_TONE_BUILD_H
#define OTA_SIM_TONE_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_tone.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- building (mk_audio_tone.py's exact layout) ------------------------------------------ */

/** Which format to build; zero is the default, like mk_audio_tone.py's -F default. */
typedef enum {
    OTA_TONE_BUILD_FORMAT_DEFAULT = 0, /**< format 1 */
    OTA_TONE_BUILD_FORMAT_0,           /**< format 0 */
    OTA_TONE_BUILD_FORMAT_1,           /**< format 1 */
} ota_tone_build_format_t;

/** Options of a build; fields as the format-1 description carries them. */
typedef struct {
    ota_tone_build_format_t format; /**< default: format 1 */
    const char *version;            /**< at most 32 bytes; NULL: "v1.0". Format 1 only. */
    const char *time; /**< "HH:MM:SS", at most 16 bytes; required for format 1 (no clock here) */
    const char *date; /**< "YYYY-MM-DD", at most 16 bytes; required for format 1 */
} ota_tone_build_config_t;

/** One file to pack, in table order (the caller sorts; see docs/tone-and-versions.md). */
typedef struct {
    const void *data;          /**< content; may be NULL when len is 0 */
    uint32_t len;              /**< bytes */
    ota_tone_file_type_t type; /**< mp3 or wav */
} ota_tone_file_t;

/**
 * Size of the image ota_tone_build() would write.
 * @return OTA_OK; OTA_ERR_INVALID_ARG (not 1..256 files, NULL arguments, format 1 without time
 *         or date, a field too long); OTA_ERR_INVALID_SIZE if it does not fit in 32 bits.
 */
int ota_tone_build_size(const ota_tone_build_config_t *config, const ota_tone_file_t *files, size_t count,
                        uint32_t *size);

/**
 * Write the image of @p files through @p write, in order: header, description (format 1), table
 * with song_adr(0) = 8 + D + 64N and each next = previous + len + padding, the files each padded
 * with 0xFF to 4 bytes, and for format 1 the CRC-32 of everything before it and the tail 0xDFAC.
 * A version/time/date too long for its field gives OTA_ERR_INVALID_ARG (the tool would cut it).
 * @return OTA_OK; ota_tone_build_size's codes; OTA_ERR_INVALID_ARG (NULL write); or @p write's
 *         error, as is (the build stops there).
 */
int ota_tone_build(const ota_tone_build_config_t *config, const ota_tone_file_t *files, size_t count,
                   ota_tone_write_fn write, void *ctx);

/** ota_tone_build() into @p out (@p cap bytes); *@p len (may be NULL) = the image's size,
 *  also when @p cap is too small.
 *  @return OTA_OK; ota_tone_build_size's codes; OTA_ERR_INVALID_ARG (NULL out with cap > 0);
 *          OTA_ERR_BUFFER_TOO_SMALL if @p cap is short (NULL out with cap 0: a size query). */
int ota_tone_build_to_buffer(const ota_tone_build_config_t *config, const ota_tone_file_t *files,
                             size_t count, void *out, size_t cap, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* OTA_SIM_TONE_BUILD_H */
