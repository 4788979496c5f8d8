/* Shared by the delta tests: apply a patch through the C API in pieces, build crafted patches. */
#ifndef DELTA_FIXTURE_H
#define DELTA_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/ota_delta.h"

typedef struct {
    const uint8_t *old;
    size_t old_len;
    uint8_t *out; /* grows */
    size_t out_len, out_cap;
    size_t reads_past; /* reads outside old (must stay 0: the applier checks first) */
} df_io_t;

/** ota_delta_io_t over @p ctx. */
ota_delta_io_t df_io(df_io_t *ctx);
void df_io_free(df_io_t *ctx);

/**
 * Apply @p patch to @p old feeding @p step bytes at a time (0: all at once); result of the last
 * feed/finish. The new image is in io->out (caller df_io_free). @p cfg may be NULL (bare allowed,
 * old_size = old_len).
 */
int df_apply(const uint8_t *old, size_t old_len, const uint8_t *patch, size_t patch_len, size_t step,
             const ota_delta_config_t *cfg, df_io_t *io);

/** A growing byte string. */
typedef struct {
    uint8_t *buf;
    size_t len, cap;
} df_bytes_t;

void df_put(df_bytes_t *b, const void *data, size_t len);
void df_put_size(df_bytes_t *b, int64_t v);
void df_put_byte(df_bytes_t *b, uint8_t v);

/**
 * A patch: [ESP header with @p base] type byte 0x04 (or @p type_byte if non-zero), @p new_size,
 * heatshrink byte @p hs_byte (0: 0x44 = 8/7), then @p stream (data-format size and chunks)
 * compressed with the W/L the byte says (or, when invalid, 8/7).
 */
df_bytes_t df_patch(bool esp, const uint8_t *base_sha, uint8_t type_byte, int64_t new_size, uint8_t hs_byte,
                    const df_bytes_t *stream);

#endif
