/* The decrypt stage (ota_stage_decrypt.h). The decryptor writes up to 16 bytes more than it is
 * fed (a held-back AES block); the item may lend less room than that (it stops output exactly at
 * sector boundaries), so such output goes through a small carry buffer. */
#include "pipeline/ota_stage_decrypt.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"

static const char *TAG = "esp_encrypted_img";

#define CARRY_FEED 16u

typedef struct {
    ota_enc_img_key_t key;
    ota_enc_img_decryptor_t d;
    bool live;
    bool finished;
    uint8_t carry[CARRY_FEED + OTA_ENC_IMG_OUT_SLACK];
    size_t carry_len, carry_pos;
    bool rebuilding; /* rebuild() has started a fresh decryptor */
} dec_ctx_t;

static int dec_reset(void *arg)
{
    dec_ctx_t *c = arg;
    if (c->live) {
        ota_enc_img_dec_abort(&c->d);
    }
    c->carry_len = c->carry_pos = 0;
    c->finished = false;
    c->rebuilding = false;
    int err = ota_enc_img_dec_init(&c->d, &c->key);
    c->live = err == OTA_OK;
    return err;
}

static size_t drain(dec_ctx_t *c, uint8_t *out, size_t out_cap)
{
    size_t n = c->carry_len - c->carry_pos;
    n = n < out_cap ? n : out_cap;
    memcpy(out, c->carry + c->carry_pos, n);
    c->carry_pos += n;
    if (c->carry_pos == c->carry_len) {
        c->carry_pos = c->carry_len = 0;
    }
    return n;
}

static int log_err(int err)
{
    if (err == OTA_ERR_ENC_BAD_MAGIC) {
        OTA_LOGE(TAG, "Magic Verification failed");
    } else if (err < 0) {
        OTA_LOGE(TAG, "decryption failed: %s", ota_strerror(err));
    }
    return err;
}

static int dec_process_inner(dec_ctx_t *c, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                             size_t out_cap, size_t *out_len);

static int dec_process(void *arg, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                       size_t out_cap, size_t *out_len)
{
    return dec_process_inner(arg, in, in_len, in_used, out, out_cap, out_len);
}

static int dec_process_inner(dec_ctx_t *c, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                             size_t out_cap, size_t *out_len)
{
    *in_used = 0;
    *out_len = 0;
    if (c->carry_len > 0) {
        *out_len = drain(c, out, out_cap);
        return OTA_OK;
    }
    int n;
    if (out_cap > OTA_ENC_IMG_OUT_SLACK) {
        size_t take = in_len < out_cap - OTA_ENC_IMG_OUT_SLACK ? in_len : out_cap - OTA_ENC_IMG_OUT_SLACK;
        n = ota_enc_img_dec_update(&c->d, in, take, out, out_cap);
        if (n < 0) {
            return log_err(n);
        }
        *in_used = take;
        *out_len = (size_t)n;
        return OTA_OK;
    }
    /* Feed no more than the room: with a backend that holds nothing back (OpenSSL), input and
     * output then stay level at every sector boundary, where a checkpoint records the stream
     * offset. */
    size_t take = in_len < out_cap ? in_len : out_cap;
    n = ota_enc_img_dec_update(&c->d, in, take, c->carry, sizeof c->carry);
    if (n < 0) {
        return log_err(n);
    }
    *in_used = take;
    c->carry_len = (size_t)n;
    c->carry_pos = 0;
    *out_len = drain(c, out, out_cap);
    return OTA_OK;
}

static int dec_finish(void *arg, uint8_t *out, size_t out_cap, size_t *out_len)
{
    dec_ctx_t *c = arg;
    *out_len = 0;
    if (!c->finished) {
        if (c->carry_len > 0) {
            *out_len = drain(c, out, out_cap);
            return OTA_OK;
        }
        /* the tag: nothing decrypted counts until it matches */
        int n = ota_enc_img_dec_finish(&c->d, c->carry);
        c->live = false;
        c->finished = true;
        if (n < 0) {
            return log_err(n);
        }
        OTA_LOGI(TAG, "GCM tag verified: image authenticated");
        c->carry_len = (size_t)n;
        c->carry_pos = 0;
    }
    *out_len = drain(c, out, out_cap);
    return OTA_OK;
}

/* Resume (OTA_STAGE_RESUME_REBUILD, from zero): sector 0 has just been produced again from the
 * stream's start. The decryptor starts over after the header (same key, ota_enc_img_dec_restart),
 * then re-encrypts the output prefix (ota_enc_img_dec_advance) — sector 0 from the target's RAM copy, the rest from flash — which
 * rebuilds GHASH and the counter; the tag at the end then covers the whole image as in an
 * uninterrupted run (a wrong byte on flash makes it fail). */
static int dec_rebuild(void *arg, const uint8_t *prefix, size_t len)
{
    dec_ctx_t *c = arg;
    int err;
    if (!c->rebuilding) {
        if (!c->live || !ota_enc_img_dec_header_done(&c->d) || c->d.produced == 0 || c->carry_len != 0) {
            return OTA_ERR_SVC_CHECKPOINT; /* not at the cut a checkpoint describes */
        }
        /* The same decryptor starts over with the header and key it already has (no second RSA
         * decryption / PBKDF2); advance() then rebuilds GHASH and the counter. */
        if ((err = ota_enc_img_dec_restart(&c->d)) != OTA_OK) {
            return err;
        }
        c->rebuilding = true;
    }
    return ota_enc_img_dec_advance(&c->d, prefix, len);
}

int ota_stage_decrypt_create(const ota_enc_img_key_t *key, ota_stage_t *out)
{
    memset(out, 0, sizeof *out);
    if (key == NULL || key->data == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    dec_ctx_t *c = ota_calloc(1, sizeof *c);
    if (c == NULL) {
        return OTA_ERR_NO_MEM;
    }
    c->key = *key;
    out->name = "decrypt";
    out->reset = dec_reset;
    out->process = dec_process;
    out->finish = dec_finish;
    out->resume = OTA_STAGE_RESUME_REBUILD;
    out->rebuild = dec_rebuild;
    out->rebuild_from_zero = true; /* no copy of sector 0 here: the writer has one */
    out->ctx = c;
    return OTA_OK;
}

int64_t ota_stage_decrypt_plain_size(const ota_stage_t *stage)
{
    if (stage == NULL || stage->ctx == NULL) {
        return -1;
    }
    const dec_ctx_t *c = stage->ctx;
    return c->live && ota_enc_img_dec_header_done(&c->d) ? (int64_t)c->d.image_len : -1;
}

void ota_stage_decrypt_free(ota_stage_t *stage)
{
    if (stage == NULL || stage->ctx == NULL) {
        return;
    }
    dec_ctx_t *c = stage->ctx;
    if (c->live) {
        ota_enc_img_dec_abort(&c->d);
    }
    ota_free(c);
    stage->ctx = NULL;
}
