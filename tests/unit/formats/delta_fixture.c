#include "delta_fixture.h"

#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_delta_make.h"
#include "ota/ota_err.h"

static int rd(void *ctx, uint64_t off, uint8_t *buf, size_t len)
{
    df_io_t *io = ctx;
    if (off > io->old_len || len > io->old_len - off) {
        io->reads_past++;
        return OTA_ERR_IO;
    }
    memcpy(buf, io->old + off, len);
    return OTA_OK;
}

static int wr(void *ctx, const uint8_t *buf, size_t len)
{
    df_io_t *io = ctx;
    if (io->out_len + len > io->out_cap) {
        size_t cap = io->out_cap ? io->out_cap * 2 : 4096;
        while (cap < io->out_len + len) {
            cap *= 2;
        }
        io->out = realloc(io->out, cap);
        assert_non_null(io->out);
        io->out_cap = cap;
    }
    memcpy(io->out + io->out_len, buf, len);
    io->out_len += len;
    return OTA_OK;
}

ota_delta_io_t df_io(df_io_t *ctx)
{
    return (ota_delta_io_t){.read_old = rd, .write_new = wr, .ctx = ctx};
}

void df_io_free(df_io_t *ctx)
{
    free(ctx->out);
    memset(ctx, 0, sizeof *ctx);
}

int df_apply(const uint8_t *old, size_t old_len, const uint8_t *patch, size_t patch_len, size_t step,
             const ota_delta_config_t *cfg, df_io_t *io)
{
    memset(io, 0, sizeof *io);
    io->old = old;
    io->old_len = old_len;
    ota_delta_config_t c = {.allow_bare = true, .old_size = old_len};
    if (cfg != NULL) {
        c = *cfg;
    }
    size_t size = OTA_DELTA_STATE_SIZE(OTA_HS_MAX_WINDOW_BITS);
    ota_delta_t *d = malloc(size);
    assert_non_null(d);
    assert_int_equal(ota_delta_init(d, size, &c), OTA_OK);
    ota_delta_io_t ops = df_io(io);
    int err = OTA_OK;
    if (step == 0) {
        step = patch_len ? patch_len : 1;
    }
    for (size_t pos = 0; pos < patch_len && err == OTA_OK; pos += step) {
        size_t n = patch_len - pos < step ? patch_len - pos : step;
        err = ota_delta_feed(d, &ops, patch + pos, n);
    }
    if (err == OTA_OK) {
        err = ota_delta_finish(d);
    }
    assert_int_equal(io->reads_past, 0);
    free(d);
    return err;
}

void df_put(df_bytes_t *b, const void *data, size_t len)
{
    if (b->len + len > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + len) {
            cap *= 2;
        }
        b->buf = realloc(b->buf, cap);
        assert_non_null(b->buf);
        b->cap = cap;
    }
    if (len > 0) {
        memcpy(b->buf + b->len, data, len);
    }
    b->len += len;
}

void df_put_size(df_bytes_t *b, int64_t v)
{
    uint8_t tmp[10];
    df_put(b, tmp, ota_delta_put_size(tmp, v));
}

void df_put_byte(df_bytes_t *b, uint8_t v)
{
    df_put(b, &v, 1);
}

df_bytes_t df_patch(bool esp, const uint8_t *base_sha, uint8_t type_byte, int64_t new_size, uint8_t hs_byte,
                    const df_bytes_t *stream)
{
    df_bytes_t p = {0};
    if (esp) {
        uint8_t hdr[64] = {0x10, 0xde, 0xcd, 0xfc};
        if (base_sha != NULL) {
            memcpy(hdr + 4, base_sha, 32);
        }
        df_put(&p, hdr, sizeof hdr);
    }
    df_put_byte(&p, type_byte ? type_byte : 0x04);
    df_put_size(&p, new_size);
    uint8_t hs = hs_byte ? hs_byte : 0x44;
    df_put_byte(&p, hs);
    unsigned w = (hs >> 4) + 4u, l = (hs & 15u) + 3u;
    if (!ota_hs_params_valid(w, l)) {
        w = 8;
        l = 7;
    }
    uint8_t *comp = NULL;
    size_t comp_len = 0;
    assert_int_equal(delta_hs_encode(stream->buf, stream->len, w, l, &comp, &comp_len), OTA_OK);
    df_put(&p, comp, comp_len);
    free(comp);
    return p;
}
