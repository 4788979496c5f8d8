/**
 * The target of an item's data path (pipeline internal: nothing outside the core creates one;
 * it was src/pipeline/target.h): where the output bytes end up, and what makes them count once
 * every stage and verifier agreed.
 *
 * The default target of both default procedures is the service's power-cut-safe partition
 * writer (DESIGN.md §4): sector 0 stays in RAM and holds the install journal on flash until the
 * commit, every later sector is erased just before its first byte, every program is read back
 * and compared. Only this writer journals, so only it can be resumed.
 *
 * commit() is called after the last byte, after every stage's finish() and every verifier's
 * finish() succeeded: it writes sector 0 (so the image becomes valid) and then does what makes
 * it count (the app procedure: switch otadata to the new slot). A failure anywhere before leaves
 * the target an interrupted install and otadata untouched.
 */
#ifndef OTA_PIPELINE_TARGET_H
#define OTA_PIPELINE_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_partition.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A target. */
typedef struct {
    /** Short name for logs ("app slot", "data partition"). */
    const char *name;
    /** The partition written (NULL for a target that is not a partition). */
    const ota_partition_t *partition;
    /** Append output bytes; OTA_ERR_IMG_TOO_LARGE past the partition's end. Required. */
    int (*write)(void *ctx, const uint8_t *data, size_t len);
    /** Read the staged image (what the partition will hold after commit). Required. */
    int (*read)(void *ctx, uint32_t offset, void *buf, size_t len);
    /** Bytes accepted so far. Required. */
    uint64_t (*written)(void *ctx);
    /** Make the image valid and active (see above). Required. */
    int (*commit)(void *ctx);
    void *ctx;
} ota_target_t;

#ifdef __cplusplus
}
#endif
#endif /* OTA_PIPELINE_TARGET_H */
