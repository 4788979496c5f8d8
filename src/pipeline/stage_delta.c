/* The delta stage: source -> delta apply -> checker -> verifiers -> target. See stage_delta.h and
 * docs/delta.md ("The stage in the data path"). */
#include "stage_delta.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "formats/ota_delta.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"

static const char *TAG = "esp_delta_ota";

/* Saved state layout version (first byte of save()). */
#define DELTA_SAVE_VERSION 1u

/*
 * RAM: this struct, the applier's state (ota_delta_t + 2^W window: 632 bytes at 8/7) and an
 * overflow buffer of 2^L bytes. Why the overflow: the item lends the stage an output area that
 * ends at the next sector boundary, but a back-reference can make up to 2^L bytes from one input
 * byte. The stage feeds the applier room/2^L input bytes at a time (never more output than room:
 * each input byte completes at most one heatshrink symbol, symbols being at least 8 bits), or one
 * byte when less room is left; what does not fit waits here and goes out first on the next call.
 * It is part of the checkpoint (the output offset on flash stops before it).
 */
typedef struct {
    ota_item_t *item;
    ota_partition_t base; /* the running slot: the old image, read at random offsets */
    ota_delta_config_t cfg;
    ota_delta_io_t io;
    size_t state_size;
    ota_delta_t *d;
    uint8_t *pend;
    size_t pend_cap, pend_len, pend_pos;
    size_t per_byte; /* most output bytes one input byte can make: 2^L */
    uint8_t *out;    /* the area lent by the current process() call */
    size_t out_cap, out_len;
    bool finished; /* ota_delta_finish has passed */
} delta_stage_t;

static int read_old(void *arg, uint64_t offset, uint8_t *buf, size_t len)
{
    delta_stage_t *s = arg;
    if (offset + len > s->base.info.size) {
        return OTA_ERR_DELTA_OLD_RANGE;
    }
    return ota_partition_read(&s->base, (uint32_t)offset, buf, len);
}

static int write_new(void *arg, const uint8_t *buf, size_t len)
{
    delta_stage_t *s = arg;
    size_t room = s->out_cap - s->out_len;
    size_t n = len < room ? len : room;
    memcpy(s->out + s->out_len, buf, n);
    s->out_len += n;
    if (n < len) {
        if (s->pend_len + (len - n) > s->pend_cap) {
            return OTA_ERR_INVALID_STATE; /* cannot happen by the bound above; never overrun */
        }
        memcpy(s->pend + s->pend_len, buf + n, len - n);
        s->pend_len += len - n;
    }
    return OTA_OK;
}

static int stage_reset(void *arg)
{
    delta_stage_t *s = arg;
    s->pend_len = s->pend_pos = 0;
    s->finished = false;
    return ota_delta_init(s->d, s->state_size, &s->cfg);
}

/* Move waiting overflow bytes into the lent area. */
static void drain(delta_stage_t *s)
{
    size_t n = s->pend_len - s->pend_pos;
    size_t room = s->out_cap - s->out_len;
    n = n < room ? n : room;
    memcpy(s->out + s->out_len, s->pend + s->pend_pos, n);
    s->out_len += n;
    s->pend_pos += n;
    if (s->pend_pos == s->pend_len) {
        s->pend_pos = s->pend_len = 0;
    }
}

static int stage_process(void *arg, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                         size_t out_cap, size_t *out_len)
{
    delta_stage_t *s = arg;
    s->out = out;
    s->out_cap = out_cap;
    s->out_len = 0;
    drain(s);
    size_t used = 0;
    /* overflow still waiting: hand out what fits, take no input (the item calls again) */
    while (s->pend_len == 0 && used < in_len && s->out_len < out_cap) {
        size_t step = (out_cap - s->out_len) / s->per_byte;
        step = step == 0 ? 1 : step;
        step = step < in_len - used ? step : in_len - used;
        int err = ota_delta_feed(s->d, &s->io, in + used, step);
        if (err != OTA_OK) {
            return err;
        }
        used += step;
    }
    *in_used = used;
    *out_len = s->out_len;
    return OTA_OK;
}

static int stage_finish(void *arg, uint8_t *out, size_t out_cap, size_t *out_len)
{
    delta_stage_t *s = arg;
    s->out = out;
    s->out_cap = out_cap;
    s->out_len = 0;
    drain(s);
    *out_len = s->out_len;
    if (s->out_len > 0 || s->finished) {
        return OTA_OK;
    }
    int err = ota_delta_finish(s->d);
    if (err == OTA_OK) {
        s->finished = true;
        const ota_delta_stats_t *st = &s->d->stats;
        OTA_LOGI(TAG, "patch applied: %llu patch bytes made %llu bytes (%llu chunks, %llu diff, %llu extra)",
                 (unsigned long long)ota_delta_patch_offset(s->d),
                 (unsigned long long)ota_delta_new_offset(s->d), (unsigned long long)st->chunks,
                 (unsigned long long)st->diff_bytes, (unsigned long long)st->extra_bytes);
    }
    return err;
}

/* Checkpoint: version, u16 overflow length, the overflow bytes, the applier's state (plain data). */
static int stage_save(void *arg, uint8_t *buf, size_t cap, size_t *len)
{
    delta_stage_t *s = arg;
    size_t pend = s->pend_len - s->pend_pos;
    size_t n = 3 + pend + s->state_size;
    if (n > cap) {
        return OTA_ERR_INVALID_SIZE;
    }
    buf[0] = DELTA_SAVE_VERSION;
    buf[1] = (uint8_t)(pend & 0xFF);
    buf[2] = (uint8_t)(pend >> 8);
    memcpy(buf + 3, s->pend + s->pend_pos, pend);
    memcpy(buf + 3 + pend, s->d, s->state_size);
    *len = n;
    return OTA_OK;
}

static int stage_restore(void *arg, const uint8_t *buf, size_t len)
{
    delta_stage_t *s = arg;
    if (len < 3 || buf[0] != DELTA_SAVE_VERSION) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    size_t pend = (size_t)buf[1] | (size_t)buf[2] << 8;
    if (pend > s->pend_cap || len != 3 + pend + s->state_size) {
        return OTA_ERR_SVC_CHECKPOINT;
    }
    memcpy(s->d, buf + 3 + pend, s->state_size);
    /* the saved base must be the one checked in this run (same running app, same bounds) */
    if (ota_delta_state_check(s->d, s->state_size) != OTA_OK || s->d->cfg.old_size != s->cfg.old_size ||
        s->d->cfg.allow_bare != s->cfg.allow_bare || s->d->cfg.check_base != s->cfg.check_base ||
        memcmp(s->d->cfg.base_sha256, s->cfg.base_sha256, sizeof s->cfg.base_sha256) != 0 ||
        ota_delta_done(s->d)) {
        ota_delta_init(s->d, s->state_size, &s->cfg);
        return OTA_ERR_SVC_CHECKPOINT;
    }
    memcpy(s->pend, buf + 3, pend);
    s->pend_pos = 0;
    s->pend_len = pend;
    s->finished = false;
    return OTA_OK;
}

static void hex8(const uint8_t *h, char out[17])
{
    for (size_t i = 0; i < 8; i++) {
        snprintf(out + 2 * i, 3, "%02x", h[i]);
    }
}

/* The running app: its validation hash (esp_partition_get_sha256 of an app, ESP-IDF v6.0.2
 * bootloader_common.c: the SHA-256 esptool appends, checked over the image up to it; never a
 * signature sector or padding after it) and its length. */
static int running_base(ota_item_t *item, const ota_partition_info_t **part, uint8_t sha[32], uint32_t *len)
{
    *part = ota_device_running(item->device);
    if (*part == NULL) {
        return ota_item_refuse(item, OTA_ERR_DELTA_BASE_MISMATCH, "patch base mismatch: no app is running");
    }
    ota_image_info_t info;
    ota_image_diag_t diag;
    int err = ota_ops_image_verify(item->device, *part, true, &info, &diag);
    if (err != OTA_OK || !info.header.hash_appended || !info.hash_read) {
        return ota_item_refuse(item, OTA_ERR_DELTA_BASE_MISMATCH,
                               "patch base mismatch: the running app in %s has no valid validation hash",
                               (*part)->label);
    }
    memcpy(sha, info.hash_stored, 32);
    *len = info.image_len;
    return OTA_OK;
}

/* The first @p len bytes of the patch into item->peek: the stream's, or the output of the stages
 * in front (decrypt). OTA_ERR_IMG_TRUNCATED if it is shorter. */
static int peek(ota_item_t *item, size_t len)
{
    if (item->stages == NULL) {
        return ota_item_peek(item, len);
    }
    bool ended = false;
    int err = ota_stages_peek(item, len, &ended);
    return err != OTA_OK ? err : item->peek_len < len ? OTA_ERR_IMG_TRUNCATED : OTA_OK;
}

/* True if the update slot holds a valid app whose validation hash is the patch's base. */
static bool updated_from_base(ota_item_t *item, const ota_delta_header_t *h, ota_app_desc_t *desc)
{
    ota_image_info_t info;
    ota_image_diag_t diag;
    return item->target.flash != NULL &&
           ota_ops_image_verify(item->device, &item->target.info, true, &info, &diag) == OTA_OK &&
           info.header.hash_appended && info.hash_read &&
           ota_delta_base_matches(h, info.hash_stored) == OTA_OK &&
           ota_image_read_app_desc(&item->target, desc) == OTA_OK;
}

/* Decoding the patch against the update slot: its first output bytes (the app description). */
typedef struct {
    ota_partition_t old;
    uint8_t out[OTA_IMAGE_PEEK_SIZE];
    size_t len;
} peek_new_t;

static int peek_read_old(void *arg, uint64_t offset, uint8_t *buf, size_t len)
{
    peek_new_t *p = arg;
    return offset + len > p->old.info.size ? OTA_ERR_DELTA_OLD_RANGE
                                           : ota_partition_read(&p->old, (uint32_t)offset, buf, len);
}

static int peek_write_new(void *arg, const uint8_t *buf, size_t len)
{
    peek_new_t *p = arg;
    size_t n = sizeof p->out - p->len < len ? sizeof p->out - p->len : len;
    memcpy(p->out + p->len, buf, n);
    p->len += n;
    return OTA_OK;
}

/*
 * The patch's base is the app in the update slot, not the running one. Two cases look alike:
 *  - the device was updated by this very patch (the server still offers it, or a power cut
 *    came after the switch): the running app is what the patch makes -> up to date;
 *  - the slot holds another app (e.g. a newer one that was rolled back, or one installed and
 *    never booted): applying the patch to the running app would make garbage -> base mismatch.
 * They are told apart by decoding the patch's first bytes against the update slot (nothing is
 * written; the stream is not used afterwards) and comparing the app description it makes with
 * the running app's (ELF SHA-256 and version).
 */
static int base_in_update_slot(ota_item_t *item, const ota_delta_header_t *h,
                               const ota_partition_info_t *running, const ota_app_desc_t *slot_desc)
{
    ota_app_desc_t run_desc, new_desc;
    memset(&new_desc, 0, sizeof new_desc);
    memset(&run_desc, 0, sizeof run_desc);
    bool same = false;
    size_t size = OTA_DELTA_STATE_SIZE(h->window_bits);
    ota_delta_t *d = h->window_bits <= OTA_DELTA_STAGE_WINDOW_BITS_MAX ? ota_malloc(size) : NULL;
    peek_new_t *p = ota_calloc(1, sizeof *p);
    if (d != NULL && p != NULL) {
        ota_device_partition(item->device, &item->target.info, &p->old);
        ota_delta_config_t cfg = {
            .allow_bare = false, .old_size = p->old.info.size, .expected_new_size = h->new_size};
        ota_delta_io_t io = {.read_old = peek_read_old, .write_new = peek_write_new, .ctx = p};
        int err = ota_delta_init(d, size, &cfg);
        if (err == OTA_OK) {
            err = ota_delta_feed(d, &io, item->peek, item->peek_len);
        }
        uint8_t buf[256];
        size_t fed = item->peek_len;
        if (err == OTA_OK && item->stages != NULL && peek(item, sizeof item->peek) != OTA_ERR_IMG_TRUNCATED &&
            item->peek_len > fed) {
            err = ota_delta_feed(d, &io, item->peek + fed, item->peek_len - fed); /* decrypted patch bytes */
        }
        while (err == OTA_OK && item->stages == NULL && p->len < sizeof p->out) {
            int n = ota_item_source_read(item, buf, sizeof buf);
            if (n <= 0) {
                break;
            }
            err = ota_delta_feed(d, &io, buf, (size_t)n);
        }
        ota_partition_t run_part;
        ota_device_partition(item->device, running, &run_part);
        if (p->len == sizeof p->out && ota_image_read_app_desc(&run_part, &run_desc) == OTA_OK) {
            ota_app_desc_decode(p->out + OTA_APP_DESC_OFFSET, &new_desc);
            same = new_desc.magic_word == OTA_APP_DESC_MAGIC &&
                   memcmp(new_desc.app_elf_sha256, run_desc.app_elf_sha256, sizeof run_desc.app_elf_sha256) ==
                       0 &&
                   strcmp(new_desc.version, run_desc.version) == 0;
        }
    }
    ota_free(d);
    ota_free(p);
    if (same) {
        OTA_LOGW(TAG,
                 "the patch's base is the previous app in %s and it makes the running app (%s): "
                 "already updated",
                 item->target.info.label, new_desc.version);
        ota_item_detail(item, 0,
                        "the patch makes the running app %s (its base is the "
                        "previous app in %s): already updated",
                        new_desc.version, item->target.info.label);
        return OTA_ERR_SVC_UP_TO_DATE;
    }
    return ota_item_refuse(
        item, OTA_ERR_DELTA_BASE_MISMATCH,
        "patch base mismatch: the patch is for the app in %s (%s), not running; the device runs "
        "%s in %s",
        item->target.info.label, slot_desc->version, run_desc.version, running->label);
}

int ota_delta_stage_attach(ota_item_t *item, bool allow_bare, void **ctx)
{
    *ctx = NULL;
    /* A stage in front (decrypt: an esp_encrypted_img-wrapped patch): its output is the patch */
    bool behind = item->stages != NULL;
    size_t want = 4;
    if (!behind && item->total >= 0 && (uint64_t)item->total < want) {
        return OTA_OK; /* too short for a patch: the checker refuses it */
    }
    int err = peek(item, want);
    if (err == OTA_ERR_IMG_TRUNCATED) {
        return OTA_OK;
    }
    if (err != OTA_OK) {
        return err;
    }
    uint32_t magic = (uint32_t)item->peek[0] | (uint32_t)item->peek[1] << 8 | (uint32_t)item->peek[2] << 16 |
                     (uint32_t)item->peek[3] << 24;
    if (magic != OTA_DELTA_ESP_MAGIC && !(allow_bare && item->peek[0] != OTA_IMAGE_MAGIC)) {
        return OTA_OK; /* an image: the path as it always was */
    }
    /* a patch: its headers, then the base, all before the checker and before any erase */
    want = OTA_DELTA_HEADER_MAX;
    if (!behind && item->total >= 0 && (uint64_t)item->total < want) {
        want = (size_t)item->total;
    }
    err = peek(item, want);
    if (err != OTA_OK && err != OTA_ERR_IMG_TRUNCATED) {
        return err;
    }
    ota_delta_header_t h;
    err = ota_delta_parse_header(item->peek, item->peek_len, allow_bare, &h);
    if (err != OTA_OK) {
        return ota_item_refuse(item, err, "%s", ota_strerror(err));
    }
    const ota_partition_info_t *running;
    uint8_t sha[32];
    uint32_t old_len = 0;
    if ((err = running_base(item, &running, sha, &old_len)) != OTA_OK) {
        return err;
    }
    if (h.esp_header && ota_delta_base_matches(&h, sha) != OTA_OK) {
        ota_app_desc_t slot_desc;
        memset(&slot_desc, 0, sizeof slot_desc);
        if (updated_from_base(item, &h, &slot_desc)) {
            return base_in_update_slot(item, &h, running, &slot_desc);
        }
        char want_hex[17], have_hex[17];
        hex8(h.base_sha256, want_hex);
        hex8(sha, have_hex);
        return ota_item_refuse(
            item, OTA_ERR_DELTA_BASE_MISMATCH,
            "patch base mismatch: the patch is for an app with hash %s..., the running app "
            "(%s) has %s...",
            want_hex, running->label, have_hex);
    }
    if (h.new_size > item->target.info.size) {
        return ota_item_refuse(
            item, OTA_ERR_IMG_TOO_LARGE, "patch makes %llu bytes, larger than partition %s (%u bytes)",
            (unsigned long long)h.new_size, item->target.info.label, (unsigned)item->target.info.size);
    }
    if (h.new_size > 0 && h.window_bits > OTA_DELTA_STAGE_WINDOW_BITS_MAX) {
        return ota_item_refuse(item, OTA_ERR_DELTA_WINDOW_TOO_LARGE,
                               "patch window of 2^%u bytes above the 2^%u taken", (unsigned)h.window_bits,
                               (unsigned)OTA_DELTA_STAGE_WINDOW_BITS_MAX);
    }
    delta_stage_t *s = ota_calloc(1, sizeof *s);
    if (s == NULL) {
        return OTA_ERR_NO_MEM;
    }
    /* the state and window for the most the stage takes (a patch's W is known only here) */
    s->state_size = OTA_DELTA_STATE_SIZE(OTA_DELTA_STAGE_WINDOW_BITS_MAX);
    s->per_byte = (size_t)1 << (h.new_size > 0 ? h.lookahead_bits : 0);
    s->pend_cap = s->per_byte;
    s->d = ota_malloc(s->state_size);
    s->pend = ota_malloc(s->pend_cap);
    if (s->d == NULL || s->pend == NULL) {
        ota_delta_stage_free(s);
        return OTA_ERR_NO_MEM;
    }
    s->item = item;
    ota_device_partition(item->device, running, &s->base);
    s->cfg.allow_bare = allow_bare;
    /* The base is the running partition, not only its image: esp_delta_ota's read callback is
     * esp_partition_read of the running partition (idf-extra-components esp_delta_ota example
     * main.c read_cb), so a patch may copy padding or a signature sector after the image. */
    s->cfg.old_size = running->size;
    s->cfg.check_base = h.esp_header;
    memcpy(s->cfg.base_sha256, sha, sizeof sha);
    s->cfg.expected_new_size = h.new_size;
    s->io.read_old = read_old;
    s->io.write_new = write_new;
    s->io.ctx = s;
    ota_stage_t stage = {.name = "delta",
                         .reset = stage_reset,
                         .process = stage_process,
                         .finish = stage_finish,
                         .resume = OTA_STAGE_RESUME_STATE,
                         .save = stage_save,
                         .restore = stage_restore,
                         .ctx = s};
    err = behind ? ota_stages_append_after_peek(item, &stage) : ota_stages_insert_after_peek(item, &stage);
    if (err != OTA_OK) {
        ota_delta_stage_free(s);
        return err;
    }
    item->stages->out_size = h.new_size; /* the journal can then keep stage records apart */
    *ctx = s;
    OTA_LOGI(TAG, "%s patch of %lld bytes: %llu-byte image from the running app in %s (%u bytes)",
             h.esp_header ? "esp_delta_ota" : "bare detools", (long long)item->total,
             (unsigned long long)h.new_size, running->label, (unsigned)old_len);
    return OTA_OK;
}

void ota_delta_stage_free(void *ctx)
{
    delta_stage_t *s = ctx;
    if (s != NULL) {
        ota_free(s->d);
        ota_free(s->pend);
        ota_free(s);
    }
}
