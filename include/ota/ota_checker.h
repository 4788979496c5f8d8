/**
 * @file ota_checker.h
 * @brief The checker of an item's data path: decides, from the first output bytes, whether the
 *        item is installed, before anything of the target is erased.
 *
 * The item decodes ahead (source -> stages) until it holds the first peek_len output bytes, so
 * the checker sees the plain image even when the stream is encrypted or a patch; those bytes are
 * then written first, nothing is read twice. The default app checker reads the image header and
 * app description (chip, size, secure version, version); the default data checker recognises a
 * tone image and compares its version with the installed one.
 */
#ifndef OTA_CHECKER_H
#define OTA_CHECKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most output bytes a checker can ask for. */
#define OTA_CHECKER_PEEK_MAX 288u

/** A checker. Copied by value when set on an item; ctx stays the caller's. */
typedef struct {
    /** Short name for logs. Required. */
    const char *name;
    /** Output bytes wanted (<= OTA_CHECKER_PEEK_MAX). */
    size_t peek_len;
    /**
     * Decide: OTA_OK install; OTA_ERR_VERSION_NOT_NEWER / OTA_ERR_SVC_UP_TO_DATE skip; anything
     * else refuse. @p head holds the first @p len output bytes: len < peek_len only when the
     * output is that short (@p ended true). Required.
     */
    int (*check)(void *ctx, const uint8_t *head, size_t len, bool ended);
    void *ctx;
} ota_checker_t;

#ifdef __cplusplus
}
#endif
#endif /* OTA_CHECKER_H */
