/* Default procedure for a data item (ESP-ADF ota_data_get_default_proc, plus a default
 * need_upgrade and power-cut safety); see ota_proc_default.h. */
#include <stdio.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "pipeline/partition_writer.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_port.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_tone.h"
#include "ota/ota_version.h"
#include "pipeline/features.h"
#include "pipeline/path.h"
#include "pipeline/verifier_sig.h"
#include "service_internal.h"

static const char *TAG = "OTA_DEFAULT";

/* ESP-ADF's READER_BUF_LEN: the data stream is read and written in 2 KiB pieces. */
#define DATA_CHUNK 2048u

typedef struct {
    ota_item_t item; /* first: the handle is the item (ota_path.h) */
    const ota_partition_info_t *part;
    ota_sha256_ctx_t sha; /* over every byte written to the partition, in order */
    uint64_t hashed;      /* bytes fed to sha */
    uint64_t last_log_ms;
    ota_tone_info_t cur; /* the partition's tone image (need_upgrade) */
    bool cur_is_tone;
    bool floor_from_journal; /* cur is not on the partition: the floor an interrupted install kept */
    char tone_error[160];    /* why the tone validator refused the staged image */
    ota_sig_check_t *sig;    /* signed data partition (ESP-IDF v6.1): its verifier, else NULL */
    ota_stage_t decrypt;     /* the stream is esp_encrypted_img: the decrypt stage (ctx NULL: none) */
    const struct ota_update_feature_sig_item *sigf; /* the signature feature, NULL: not linked */
} data_ctx_t;

static int data_check(void *arg, const uint8_t *head, size_t len, bool ended);
static int hash_reset(void *arg);
static int hash_feed(void *arg, const uint8_t *data, size_t len);
static int hash_snapshot(void *arg, uint64_t *hashed, uint8_t digest[32]);
static int tone_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg);
static int attach_decrypt(data_ctx_t *ctx);
static int output_fits(data_ctx_t *ctx);
static const char *tone_message(void *arg);
static void load_floor(data_ctx_t *ctx);

int ota_get_version_number(const char *version)
{
    return ota_version_espadf_number(version);
}

int ota_data_partition_erase_mark(void *handle)
{
    (void)handle;
    return OTA_OK;
}

const ota_partition_t *ota_data_partition(void *handle)
{
    data_ctx_t *ctx = handle;
    return ctx != NULL ? &ctx->item.target : NULL;
}

int ota_data_partition_state(const ota_partition_t *part)
{
    uint8_t head[4];
    int err = ota_partition_read(part, 0, head, sizeof head);
    if (err != OTA_OK) {
        return err;
    }
    return ota_journal_is_present(head, sizeof head) ? OTA_ERR_DATA_INCOMPLETE : OTA_OK;
}

int ota_data_default_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    if (node->label == NULL || node->label[0] == '\0') {
        OTA_LOGE(TAG, "data item without a partition label");
        return OTA_ERR_INVALID_ARG;
    }
    ota_device_t *dev = ota_service_device(service);
    const ota_partition_info_t *part =
        ota_partition_find_next(&dev->table, NULL, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_ANY, node->label);
    if (part == NULL) {
        OTA_LOGE(TAG, "data partition [%s] not found", node->label);
        ota_service_set_item_detail(service, 0, "no data partition labelled '%s'", node->label);
        return OTA_ERR_NOT_FOUND;
    }
    /* otadata and the partition table's neighbours are the device's own bookkeeping. */
    if (part->subtype == OTA_PART_SUBTYPE_DATA_OTA) {
        OTA_LOGE(TAG, "refusing to write the otadata partition [%s]", node->label);
        return OTA_ERR_INVALID_ARG;
    }
    if (part->flags & OTA_PART_FLAG_READONLY) {
        OTA_LOGE(TAG, "data partition [%s] is read-only", node->label);
        return OTA_ERR_FLASH_READONLY;
    }
    data_ctx_t *ctx = ota_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return OTA_ERR_NO_MEM;
    }
    *handle = ctx;
    ctx->part = part;
    const ota_update_feature_sig_t *sigf = ota_service_features(service)->signatures;
    ctx->sigf = sigf != NULL ? sigf->item : NULL;
    ota_sha256_init(&ctx->sha);
    OTA_LOGI(TAG, "data upgrade uri %s", node->uri ? node->uri : "(null)");
    int err = ota_item_open(&ctx->item, &ota_service_path_events, service, dev,
                            &ota_service_config(service)->source, node, TAG, part);
    if (err != OTA_OK) {
        return err;
    }
    load_floor(ctx); /* here: a user's need_upgrade (the example's) replaces the default one */
    /* The composition (ota_path.h): tone checker -> SHA-256 (+ tone validator at the end) ->
     * the partition. */
    ota_checker_t checker = {.name = "tone image",
                             .peek_len = OTA_TONE_HEADER_SIZE + OTA_TONE_DESC_SIZE,
                             .check = data_check,
                             .ctx = ctx};
    ctx->item.checker = checker;
    ota_verifier_t verifier = {.name = "sha256+tone",
                               .reset = hash_reset,
                               .feed = hash_feed,
                               .snapshot = hash_snapshot,
                               .finish = tone_finish,
                               .message = tone_message,
                               .ctx = ctx};
    err = ota_item_add_verifier(&ctx->item, &verifier);
    /* A signed data partition (subtype 0x06, or marked signed): the last sector is the signature. */
    if (err == OTA_OK && ota_device_data_signed(dev, part)) {
        err = ctx->sigf == NULL
                  ? ota_feature_missing(&ctx->item, "signature verification", "the data partition is signed")
                  : ctx->sigf->add(&ctx->item, OTA_SIG_LAYOUT_DATA, part->size, NULL, NULL, &ctx->sig);
    }
    if (err != OTA_OK) {
        return err;
    }
    /* here, not in need_upgrade: a user's need_upgrade (the example's) reads the plaintext too */
    err = attach_decrypt(ctx);
    if (err != OTA_OK || ctx->item.stages != NULL) {
        return err; /* encrypted: the plaintext size is checked in need_upgrade (output_fits) */
    }
    return output_fits(ctx); /* the stream's size, known before anything is erased */
}

/* Read the partition's content (for the tone validator). */
static int partition_read_cb(void *arg, uint32_t off, void *buf, size_t len)
{
    return ota_partition_read(arg, off, buf, len);
}

/* True if the partition holds a valid tone image (its layout and description in @p info). */
static bool current_tone(const ota_partition_t *part, ota_tone_info_t *info)
{
    ota_tone_diag_t diag;
    return ota_tone_validate(partition_read_cb, (void *)part, part->info.size, info, &diag) == OTA_OK;
}

/* The partition's version floor: the version of the format-1 tone image it holds, else the one an
 * interrupted install kept: in its journal (the floor record, programmed before the journal
 * header, so it is there even when the header is not) or, when sector 0 holds neither (a cut in
 * the first erase or in the commit's rewrite of sector 0), in the otadata log. Every install of
 * the partition records it in otadata, then in its journal, before the first byte of the
 * partition is erased, so a refused or cut install cannot lower it: only a committed image
 * replaces it (ota_pw_kept_floor, docs/powercut.md). The kept floor comes with the signature
 * feature (ota_pw_floors): without it the floor is the image the partition holds, and none is
 * kept across an interrupted install. */
static void load_floor(data_ctx_t *ctx)
{
    const ota_pw_floors_t *floors = ctx->sigf != NULL ? ctx->sigf->floors : NULL;
    const ota_partition_t *part = &ctx->item.target;
    ctx->cur_is_tone = current_tone(part, &ctx->cur);
    ctx->floor_from_journal = false;
    char floor[OTA_JOURNAL_FLOOR_MAX + 1] = "";
    if (ctx->cur_is_tone) {
        if (ctx->cur.header.format == OTA_TONE_FORMAT_1) {
            snprintf(floor, sizeof floor, "%s", ctx->cur.desc.version);
        }
    } else if (floors != NULL) {
        if (floors->kept(ctx->item.device, part, floor) == OTA_OK) {
            /* compared with as if the partition still held a format-1 tone image of that version */
            memset(&ctx->cur, 0, sizeof ctx->cur);
            ctx->cur.header.tag = 0x2053;
            ctx->cur.header.format = OTA_TONE_FORMAT_1;
            snprintf(ctx->cur.desc.version, sizeof ctx->cur.desc.version, "%s", floor);
            ctx->cur_is_tone = true;
            ctx->floor_from_journal = true;
            OTA_LOGI(TAG, "partition %s: version floor %s kept by an interrupted install", part->info.label,
                     floor);
        }
    }
    /* ctx->cur.desc.version holds the floor in both cases */
    ctx->item.journal_floor = floors != NULL && floor[0] != '\0' ? ctx->cur.desc.version : NULL;
    ctx->item.floors = floors;
}

static int refuse(data_ctx_t *ctx, int err, const char *detail)
{
    return ota_item_refuse(&ctx->item, err, "%s", detail);
}

/* A pre-encrypted data item (esp_encrypted_img, e.g. a tone partition wrapped by
 * esp_enc_img_gen.py) is recognised by the header magic its stream starts with: with the device's
 * decryption key configured it goes through the decrypt stage, as an app does (the checker, the
 * verifiers and the partition then see the plaintext; the GCM tag is checked before the commit);
 * without one it is refused before anything is erased. A stream without the magic is written as it
 * is (raw data whose first 4 bytes happen to be CF B6 88 07 cannot be sent unwrapped). */
static int attach_decrypt(data_ctx_t *ctx)
{
    static const uint8_t enc_magic[4] = {0xCF, 0xB6, 0x88, 0x07}; /* 0x0788B6CF, little-endian */
    ota_item_t *item = &ctx->item;
    if (item->total >= 0 && item->total < (int64_t)sizeof enc_magic) {
        return OTA_OK; /* too short to be encrypted: the checker says what it is */
    }
    int err = ota_item_peek(item, sizeof enc_magic);
    if (err == OTA_ERR_IMG_TRUNCATED) {
        ota_service_set_item_detail(ota_item_service(item), 0, "%s", "");
        return OTA_OK;
    }
    if (err != OTA_OK || memcmp(item->peek, enc_magic, sizeof enc_magic) != 0) {
        return err;
    }
    const ota_enc_img_key_t *key = &item->device->security.decrypt_key;
    if (key->data == NULL) {
        return refuse(ctx, OTA_ERR_ENC_NO_KEY,
                      "pre-encrypted data (esp_encrypted_img) but no decryption key is configured "
                      "(ota_device_t security.decrypt_key)");
    }
    const ota_update_feature_decrypt_t *dec = ota_service_features(ota_item_service(item))->decryption;
    if (dec == NULL) {
        return ota_feature_missing(item, "image decryption",
                                   "the data item is pre-encrypted (esp_encrypted_img)");
    }
    OTA_LOGI(TAG, "data item is pre-encrypted (esp_encrypted_img): decrypting while writing");
    err = dec->create(key, &ctx->decrypt);
    if (err == OTA_OK) {
        err = dec->insert(item, &ctx->decrypt); /* the peeked magic is its first input */
    }
    return err;
}

/* The output must fit the partition (with the signature sector when signed): known here for an
 * encrypted stream (the header's plaintext size, decoded by the checker), before any erase. */
static int output_fits(data_ctx_t *ctx)
{
    ota_item_t *item = &ctx->item;
    int64_t size = item->total;
    if (item->stages != NULL) {
        size = item->stages->count == 1 && ctx->decrypt.ctx != NULL
                   ? ota_service_features(ota_item_service(item))->decryption->plain_size(&ctx->decrypt)
                   : -1;
    }
    if (ctx->sig != NULL) {
        return ctx->sigf->fit(ctx->sig, size);
    }
    if (size > (int64_t)ctx->part->size) {
        return ota_item_refuse_too_large(item, size);
    }
    return OTA_OK;
}

int ota_data_default_need_upgrade(void *handle, ota_node_attr_t *node)
{
    (void)node;
    data_ctx_t *ctx = handle;
    const ota_partition_t *part = &ctx->item.target;
    int err = ota_data_partition_state(part);
    if (err == OTA_ERR_DATA_INCOMPLETE) {
        /* still checked below: against the version floor the interrupted install kept */
        OTA_LOGW(TAG, "partition %s holds an interrupted install: installing it again", part->info.label);
    } else if (err != OTA_OK) {
        return err;
    }
    if (ctx->sig != NULL && (err = ctx->sigf->trust(ctx->sig)) != OTA_OK) {
        return err;
    }
    /* The checker (data_check, or the user's) on the first output bytes, before any erase. */
    err = ota_item_check(&ctx->item);
    return err == OTA_OK ? output_fits(ctx) : err;
}

/* The default checker: at most header + description; a short stream is simply not a tone image. */
static int data_check(void *arg, const uint8_t *head, size_t want, bool ended)
{
    data_ctx_t *ctx = arg;
    if (ended && want < ctx->item.checker.peek_len && ctx->item.stages == NULL && ctx->item.total < 0) {
        return OTA_ERR_IMG_TRUNCATED; /* the size was announced by nobody: the stream broke off */
    }
    const ota_tone_info_t cur = ctx->cur;
    bool cur_is_tone = ctx->cur_is_tone;
    int err;
    ota_tone_header_t in_hdr;
    ota_tone_diag_t diag;
    bool in_tagged = want >= 2 && head[0] == 0x53 && head[1] == 0x20;
    if (!in_tagged) {
        if (cur_is_tone) {
            return refuse(ctx, OTA_ERR_TONE_BAD_TAG,
                          ctx->floor_from_journal
                              ? "partition held a tone image (its version floor is kept by an interrupted "
                                "install); the incoming data is not one"
                              : "partition holds a tone image; the incoming data is not one");
        }
        OTA_LOGI(TAG, "incoming data is not a tone image: writing it as is");
        return OTA_OK;
    }
    err = ota_tone_header_parse(head, want, &in_hdr, &diag);
    if (err != OTA_OK) {
        char text[160];
        ota_tone_diag_format(err, &diag, text, sizeof text);
        return refuse(ctx, err, text);
    }
    OTA_LOGI(TAG, "tone format %u : %u", cur_is_tone ? (unsigned)cur.header.format : 0u,
             (unsigned)in_hdr.format);
    if (in_hdr.format != OTA_TONE_FORMAT_1) {
        ota_service_report_version_check(ota_item_service(&ctx->item), cur_is_tone ? cur.desc.version : "",
                                         "", false, OTA_OK);
        return OTA_OK; /* format 0 has no version: always upgrade, as ESP-ADF's example */
    }
    ota_tone_desc_t in_desc;
    err = ota_tone_desc_parse(head + OTA_TONE_HEADER_SIZE, want - OTA_TONE_HEADER_SIZE, &in_desc, &diag);
    if (err != OTA_OK) {
        char text[160];
        ota_tone_diag_format(err, &diag, text, sizeof text);
        return refuse(ctx, err, text);
    }
    ota_version_t cur_version;
    if (!cur_is_tone || cur.header.format != OTA_TONE_FORMAT_1 ||
        ota_version_parse(cur.desc.version, &cur_version) != OTA_OK) {
        /* Nothing comparable installed: the incoming image replaces it. */
        ota_service_report_version_check(ota_item_service(&ctx->item), cur_is_tone ? cur.desc.version : "",
                                         in_desc.version, true, OTA_OK);
        return OTA_OK;
    }
    ota_version_cmp_t cmp;
    int decision = ota_version_order_to_err(ota_version_compare(in_desc.version, cur.desc.version, &cmp));
    OTA_LOGI(TAG, "current version %s, incoming version %s (%s)", cur.desc.version, in_desc.version,
             cmp.reason);
    ota_service_report_version_check(ota_item_service(&ctx->item), cur.desc.version, in_desc.version, true,
                                     decision);
    if (decision == OTA_ERR_VERSION_NOT_NEWER) {
        OTA_LOGW(TAG, "The incoming version is same as or lower than the running version");
        ota_service_set_item_detail(ota_item_service(&ctx->item), 0,
                                    ctx->floor_from_journal
                                        ? "tone image %s is not newer than %s, the version floor kept by "
                                          "the interrupted install"
                                        : "tone image %s is not newer than installed %s",
                                    in_desc.version, cur.desc.version);
    } else if (decision != OTA_OK) {
        ota_service_set_item_detail(ota_item_service(&ctx->item), 0,
                                    "cannot compare tone versions %s and %s (%s)", in_desc.version,
                                    cur.desc.version, cmp.reason);
    }
    return decision;
}

/* The default verifier: SHA-256 over every byte written (the checkpoint digest) and, at the end,
 * the strict tone validator over the staged image when it is a tone image. */
static int hash_reset(void *arg)
{
    data_ctx_t *ctx = arg;
    ota_sha256_init(&ctx->sha);
    ctx->hashed = 0;
    ctx->tone_error[0] = '\0';
    return OTA_OK;
}

static int hash_feed(void *arg, const uint8_t *data, size_t len)
{
    data_ctx_t *ctx = arg;
    ota_sha256_update(&ctx->sha, data, len);
    ctx->hashed += len;
    return OTA_OK;
}

static int hash_snapshot(void *arg, uint64_t *hashed, uint8_t digest[32])
{
    data_ctx_t *ctx = arg;
    ota_sha256_ctx_t copy = ctx->sha;
    ota_sha256_final(&copy, digest);
    *hashed = ctx->hashed;
    return OTA_OK;
}

/* Every programmed byte was read back and compared by the writer. A tone image must also pass
 * the strict validator before its header is written and it looks valid. */
static int tone_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    data_ctx_t *ctx = arg;
    uint8_t tag[2];
    if (total < 2 || read(read_arg, 0, tag, sizeof tag) != OTA_OK || tag[0] != 0x53 || tag[1] != 0x20) {
        return OTA_OK;
    }
    ota_tone_info_t info;
    ota_tone_diag_t diag;
    /* signed: the tone image, its 0xFF padding, then the signature sector (not tone data). A tone
     * image without the sector is left to the signature verifier, which runs next and says
     * "unsigned" (the more telling reason). */
    if (ctx->sig != NULL && total >= 2 * OTA_SIG_SECTOR_SIZE &&
        ota_tone_validate(read, read_arg, (uint32_t)ota_sig_sector_offset_for_data(total), &info, &diag) !=
            OTA_OK &&
        ota_tone_validate(read, read_arg, (uint32_t)total, &info, &diag) == OTA_OK) {
        return OTA_OK;
    }
    if (ctx->sig != NULL && total >= 2 * OTA_SIG_SECTOR_SIZE) {
        total = ota_sig_sector_offset_for_data(total);
    }
    int err = ota_tone_validate(read, read_arg, (uint32_t)total, &info, &diag);
    if (err != OTA_OK) {
        ota_tone_diag_format(err, &diag, ctx->tone_error, sizeof ctx->tone_error);
    } else if (ctx->floor_from_journal && info.header.format == OTA_TONE_FORMAT_1) {
        /* a user's need_upgrade (the example's) sees no valid image on an interrupted install and
         * compares with nothing: the floor the journal kept still holds, before the commit */
        ota_version_cmp_t cmp;
        err = ota_version_order_to_err(ota_version_compare(info.desc.version, ctx->cur.desc.version, &cmp));
        if (err != OTA_OK) {
            snprintf(
                ctx->tone_error, sizeof ctx->tone_error,
                err == OTA_ERR_VERSION_NOT_NEWER
                    ? "tone image %s is not newer than %s, the version floor kept by the interrupted install"
                    : "cannot compare tone image %s with %s, the version floor kept by the interrupted "
                      "install",
                info.desc.version, ctx->cur.desc.version);
            OTA_LOGE(TAG, "%s (%s)", ctx->tone_error, cmp.reason);
        }
    }
    return err;
}

static const char *tone_message(void *arg)
{
    data_ctx_t *ctx = arg;
    return ctx->tone_error;
}

int ota_data_image_stream_read(void *handle, void *buf, size_t wanted)
{
    data_ctx_t *ctx = handle;
    if (ctx == NULL) {
        OTA_LOGE(TAG, "run prepare first");
        return OTA_ERR_INVALID_STATE;
    }
    return ota_item_read_exact(&ctx->item, buf, wanted);
}

int ota_data_partition_write(void *handle, const void *buf, size_t size)
{
    data_ctx_t *ctx = handle;
    if (ctx == NULL) {
        return OTA_ERR_INVALID_STATE;
    }
    OTA_LOGI(TAG, "write_offset %u, size %u", (unsigned)ctx->item.writer.written, (unsigned)size);
    return ota_item_put(&ctx->item, buf, size);
}

static void on_chunk(ota_item_t *item, uint32_t at, size_t n)
{
    data_ctx_t *ctx = (data_ctx_t *)item; /* the item is its first member */
    uint64_t now = ota_port_uptime_ms();
    if (now - ctx->last_log_ms >= 1000) {
        ctx->last_log_ms = now;
        OTA_LOGI(TAG, "write_offset %u, r_size %d", (unsigned)at, (int)n);
    } else {
        OTA_LOGD(TAG, "write_offset %u, r_size %d", (unsigned)at, (int)n);
    }
    ota_service_report_progress(ota_item_service(&ctx->item),
                                ota_item_stream_position(&ctx->item, ctx->item.writer.written),
                                ctx->item.total, false);
}

int ota_data_default_execute(void *handle, ota_node_attr_t *node)
{
    (void)node;
    data_ctx_t *ctx = handle;
    ota_item_t *item = &ctx->item;
    ctx->last_log_ms = ota_port_uptime_ms();
    /* stream -> stages -> SHA-256 -> partition, in 2 KiB pieces; then the tone validator */
    int err = ota_item_stream(item, DATA_CHUNK, on_chunk);
    if (err != OTA_OK) {
        return err;
    }
    if (!item->writer.begun) {
        return refuse(ctx, OTA_ERR_IMG_TRUNCATED, "the data image is empty");
    }
    ota_service_report_progress(ota_item_service(item), ota_item_stream_position(item, item->writer.written),
                                item->total, true);
    return OTA_OK;
}

static int commit(data_ctx_t *ctx)
{
    ota_item_t *item = &ctx->item;
    ota_target_t target;
    ota_item_target(item, &target);
    int err = target.commit(target.ctx);
    if (err != OTA_OK) {
        ota_service_set_item_detail(ota_item_service(item), 0, "committing %s failed: %s", ctx->part->label,
                                    ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "partition %s upgrade successes", ctx->part->label);
    return OTA_OK;
}

int ota_data_default_finished_check(void *handle, ota_node_attr_t *node, int result)
{
    (void)node;
    data_ctx_t *ctx = handle;
    if (ctx == NULL) {
        return result != OTA_OK ? result : OTA_ERR_INVALID_STATE;
    }
    if (result == OTA_OK) {
        result = commit(ctx);
    } else if (ctx->item.writer.begun) {
        OTA_LOGW(TAG, "partition %s left as an interrupted install (will be installed again)",
                 ctx->part->label);
    }
    ota_item_close(&ctx->item);
    if (ctx->sig != NULL) {
        ctx->sigf->free(ctx->sig);
    }
    if (ctx->decrypt.ctx != NULL) {
        ota_service_features(ota_item_service(&ctx->item))->decryption->free(&ctx->decrypt);
    }
    ota_free(ctx);
    return result;
}

void ota_data_get_default_proc(ota_upgrade_ops_t *ops)
{
    ops->prepare = ota_data_default_prepare;
    ops->need_upgrade = ota_data_default_need_upgrade;
    ops->execute_upgrade = ota_data_default_execute;
    ops->finished_check = ota_data_default_finished_check;
}
