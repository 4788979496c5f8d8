/**
 * @file ota_verifier.h
 * @brief A verifier of an item's data path: sees every output byte, in order, before it goes to
 *        the target, and decides at the end whether the target may commit.
 *
 * The default app procedure's verifier is the ESP-IDF image validator (header, segments,
 * checksum, appended SHA-256); the data procedure's is a SHA-256 of the stream (and, for a tone
 * image, the strict tone validator at the end). More can be appended to an item
 * (ota_path_add_verifier), e.g. a signature check: they run in the order added.
 *
 * On resume the item replays the output prefix that is on flash through every verifier (after
 * reset()), so a verifier needs no state of its own in the journal. The first verifier that has
 * snapshot() provides the digest a checkpoint records, which a resume compares with the replay.
 */
#ifndef OTA_VERIFIER_H
#define OTA_VERIFIER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Reads the image as it will be after the commit (the target's staged bytes), for finish(). */
typedef int (*ota_staged_read_fn)(void *arg, uint32_t offset, void *buf, size_t len);

/** A verifier. Copied by value when added to an item; ctx stays the caller's. */
typedef struct {
    /** Short name for logs. Required. */
    const char *name;
    /** Back to "nothing fed" (before the first byte; again when an install starts over). Required. */
    int (*reset)(void *ctx);
    /** The next @p len output bytes. An error fails the item at once; nothing is committed. Required. */
    int (*feed)(void *ctx, const uint8_t *data, size_t len);
    /**
     * Digest of the bytes fed so far (*fed = how many of them it covers), for the checkpoint.
     * NULL: this verifier does not checkpoint. May return an error to skip a checkpoint (e.g.
     * past the hashed region).
     */
    int (*snapshot)(void *ctx, uint64_t *fed, uint8_t digest[32]);
    /**
     * After the last byte (stages finished), before the target commits sector 0 and before
     * otadata changes. @p total is the output size; @p read / @p read_arg read the staged image.
     * An error means nothing is committed. NULL: nothing to check at the end.
     */
    int (*finish)(void *ctx, uint64_t total, ota_staged_read_fn read, void *read_arg);
    /** Text explaining the last failure ("" or NULL if none), for the item's RESULT detail. NULL ok. */
    const char *(*message)(void *ctx);
    void *ctx;
} ota_verifier_t;

#ifdef __cplusplus
}
#endif
#endif /* OTA_VERIFIER_H */
