/**
 * @file ota_stage.h
 * @brief A transform stage of an item's data path: source -> stages -> checker -> verifiers -> target.
 *
 * A stage turns the bytes that arrive (the source's, or the previous stage's output) into the
 * bytes that go on (a decrypted app image, a patched image...). The item drives it in the style
 * of zlib's inflate: it pushes input and lends an output buffer; the stage consumes what it can
 * and writes at most the room it was given. The item caps the room so that the output stops
 * exactly at the target's sector boundaries: that is where the install journal takes
 * checkpoints, and where a stage's state must describe a clean cut (input consumed so far,
 * output produced so far).
 *
 * Bounded memory: a stage keeps its state in its own context (allocated once, before the
 * stream, never per chunk). The output buffers are slices of the service's one working buffer.
 *
 * Resume: an interrupted install continues at the last checkpoint. The checkpoint records the
 * source offset (input consumed by the first stage) and the output offset (bytes on flash) and,
 * per stage, what @ref resume says:
 *  - OTA_STAGE_RESUME_STATE: save() writes at most OTA_STAGE_STATE_MAX bytes into the journal
 *    checkpoint; restore() reads them back (e.g. a delta applier: decoder window + positions);
 *  - OTA_STAGE_RESUME_REBUILD: nothing is saved. On resume the stage first runs from the stream's
 *    start until it has produced the output's sector 0 again (so it has read its own header),
 *    then rebuild() hands it the rest of the output prefix that is on flash, in order; it drops
 *    any input it holds and continues as if it had produced that prefix, its next input being
 *    the stream from the checkpoint's source offset (e.g. AES-GCM: re-encrypt the plaintext to
 *    rebuild GHASH, advance the counter). The last stage rebuilds from its output on flash; a
 *    rebuilding stage that is not the last must be the first (decrypt -> delta): its output is
 *    not on flash, so it is reset and fed the stream again from byte 0 to the checkpoint's source
 *    offset, its output dropped except the bytes the next stage had not taken at the checkpoint
 *    (their count is its saved state), while the later stages restore their state. That costs
 *    the stream's prefix again, not its output;
 *  - OTA_STAGE_RESUME_NONE: the item takes no checkpoint; an interruption restarts from zero.
 */
#ifndef OTA_STAGE_H
#define OTA_STAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most bytes a stage may save into one checkpoint: the delta applier's state (heatshrink window
 * 256 B + positions: 632 B at 8/7) and its overflow buffer fit; one journal stage record holds
 * OTA_JOURNAL_STAGE_STATE_MAX bytes for all stages, each with a 2-byte length. */
#define OTA_STAGE_STATE_MAX 1022u

/** Most stages one item can have. */
#define OTA_STAGE_MAX 4u

/** How a stage continues an interrupted install (see the file comment). */
typedef enum {
    OTA_STAGE_RESUME_NONE = 0,    /**< not resumable: an interrupted install restarts from zero */
    OTA_STAGE_RESUME_STATE = 1,   /**< save()/restore() a bounded state in the checkpoint */
    OTA_STAGE_RESUME_REBUILD = 2, /**< reset() then rebuild() from the output prefix on flash */
} ota_stage_resume_t;

/** A transform stage. Copied by value when added to an item; ctx stays the caller's. */
typedef struct {
    /** Short name for logs; also identifies the stage chain in the install journal (a resume
     *  continues only with the same names in the same order). Required. */
    const char *name;
    /**
     * Back to the start of a stream (called before the first byte, and when an install starts
     * over in the same run). Required.
     */
    int (*reset)(void *ctx);
    /**
     * Transform: read up to @p in_len bytes from @p in, write up to @p out_cap bytes into @p out;
     * set *in_used and *out_len. Called with in_len > 0 and out_cap > 0; must make progress
     * (consume or produce something). Output may be larger or smaller than input; output the
     * stage still holds is asked for by the next call (more input) or by finish(). Input it does
     * not consume is offered again. Returns OTA_OK or a negative ota_err_t (the item fails).
     * Required.
     */
    int (*process)(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out, size_t out_cap,
                   size_t *out_len);
    /**
     * End of input: write remaining output (at most @p out_cap; called again while it returns
     * *out_len > 0), then check the stream as a whole (e.g. the GCM tag). An error here fails the
     * item before any verifier finishes and before the target commits. NULL: nothing to flush.
     */
    int (*finish)(void *ctx, uint8_t *out, size_t out_cap, size_t *out_len);
    /** How this stage resumes. */
    ota_stage_resume_t resume;
    /** RESUME_STATE: write the state into @p buf (at most @p cap bytes), set *len. */
    int (*save)(void *ctx, uint8_t *buf, size_t cap, size_t *len);
    /** RESUME_STATE: continue from a saved state (after reset()). */
    int (*restore)(void *ctx, const uint8_t *buf, size_t len);
    /** RESUME_REBUILD: the next @p len bytes of the output prefix beyond sector 0, in order. */
    int (*rebuild)(void *ctx, const uint8_t *out_prefix, size_t len);
    void *ctx;
    /** RESUME_REBUILD: rebuild() gets the whole output prefix from offset 0 instead (sector 0 from
     *  the target's RAM copy, then flash), so the stage need not keep its own copy of sector 0. */
    bool rebuild_from_zero;
} ota_stage_t;

#ifdef __cplusplus
}
#endif
#endif /* OTA_STAGE_H */
