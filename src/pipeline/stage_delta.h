/* The delta stage of the app path (service internal): an item whose stream is an esp_delta_ota
 * patch (docs/delta.md) is applied while it streams, against the running app read from flash, so
 * that the checker, the verifiers and the target see the new image as if it had been sent whole. */
#ifndef OTA_STAGE_DELTA_H
#define OTA_STAGE_DELTA_H

#include "path.h"

/* Largest heatshrink window the stage takes (2^8, esp_delta_ota's own): the decoder state, the
 * window and the overflow buffer then fit one journal stage record (resume). */
#define OTA_DELTA_STAGE_WINDOW_BITS_MAX 8u

/**
 * Before the checker, on an item without stages: peek the stream; if it is a patch (the
 * esp_delta_ota magic, or any non-image first byte when @p allow_bare), check its header and base
 * (the running app's validation hash: OTA_ERR_DELTA_BASE_MISMATCH, nothing erased) and put the
 * delta stage in front. *ctx gets the stage's context (NULL: not a patch); free it with
 * ota_delta_stage_free after the item. Errors are refusals (the item's detail says why).
 */
int ota_delta_stage_attach(ota_item_t *item, bool allow_bare, void **ctx);

/** Free a context of ota_delta_stage_attach (NULL: nothing). */
void ota_delta_stage_free(void *ctx);

#endif /* OTA_STAGE_DELTA_H */
