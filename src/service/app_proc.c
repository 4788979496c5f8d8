/* Default procedure for an app item (ESP-ADF ota_app_get_default_proc); see ota_proc_default.h. */
#include <stdint.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "formats/ota_idf_console.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_path.h"
#include "ota/port/ota_port.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_version.h"
#include "pipeline/features.h"
#include "pipeline/path.h"
#include "pipeline/verifier_image.h"
#include "pipeline/verifier_sig.h"
#include "service_internal.h"

static const char *TAG = "OTA_DEFAULT";
static const char *TAG_HTTPS = "esp_https_ota";
static const char *TAG_FS = "esp_fs_ota";

/* The image's header, first segment header and app description: what must be known before any
 * byte of the slot is erased. */
#define APP_PEEK_LEN (OTA_IMAGE_HEADER_SIZE + OTA_IMAGE_SEGMENT_HEADER_SIZE + OTA_APP_DESC_SIZE)

typedef struct {
    ota_item_t item; /* first: the handle is the item (ota_path.h) */
    const ota_partition_info_t *slot;
    ota_image_verifier_t image; /* the verifier: the ESP-IDF image validator (verifier_image.h) */
    uint64_t last_log_ms;
    void *delta;                       /* the delta stage's context when the stream is a patch */
    ota_sig_check_t *sig;              /* Secure Boot V2 / signed apps: the signature verifier, else NULL */
    ota_stage_t decrypt;               /* a decrypt key is configured: the decrypt stage (ctx NULL: none) */
    const ota_update_features_t *feat; /* the linked optional features (ota_update_features.h) */
} app_ctx_t;

static int app_check(void *arg, const uint8_t *head, size_t len, bool ended);
static int app_activate(void *arg);

/* The image length (with its appended hash) once the validator has seen all of it, else 0. */
static uint64_t validated_len(void *arg)
{
    const app_ctx_t *ctx = arg;
    const ota_image_info_t *info = ota_image_validator_info(&ctx->image.validator);
    return info->complete ? info->image_len : 0;
}

static bool is_file_uri(const ota_node_attr_t *node)
{
    return node != NULL && node->uri != NULL && strncmp(node->uri, "file://", 7) == 0;
}

static void running_idf(const ota_device_t *dev, ota_idf_version_t *ver);

/* What ESP-ADF's prepare prints when esp_https_ota_begin (or, for file://, ESP-ADF's own
 * esp_fs_ota_begin) has connected: "Starting OTA..." and the target, before need_upgrade's
 * "Running firmware version" (the order of the example README's log). esp_fs_ota.c keeps the
 * "partition subtype" wording in every ESP-ADF version (components/ota_service/esp_fs_ota.c). */
static void log_begin(app_ctx_t *ctx, const ota_node_attr_t *node)
{
    if (ctx->slot == NULL) {
        return; /* begin fails first: "Passive OTA partition not found" */
    }
    if (is_file_uri(node)) {
        OTA_LOGI(TAG_FS, "Starting OTA...");
        OTA_LOGI(TAG_FS, "Writing to partition subtype %u at offset 0x%x", (unsigned)ctx->slot->subtype,
                 (unsigned)ctx->slot->offset);
        return;
    }
    ota_idf_version_t idf;
    running_idf(ota_service_device(ota_item_service(&ctx->item)), &idf);
    OTA_LOGI(TAG_HTTPS, "Starting OTA...");
    ota_idf_log(&idf, OTA_IDF_HTTPS_WRITING,
                &(ota_idf_args_t){{ctx->slot->label, NULL}, {ctx->slot->subtype, ctx->slot->offset}});
}

int ota_app_default_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    app_ctx_t *ctx = ota_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return OTA_ERR_NO_MEM;
    }
    *handle = ctx;
    ctx->feat = ota_service_features(service);
    /* The target: the OTA slot after the running one (esp_ota_get_next_update_partition). */
    ota_device_t *dev = ota_service_device(service);
    ctx->slot = ota_ops_get_next_update_partition(dev, ota_device_running(dev));
    int err = ota_item_open(&ctx->item, &ota_service_path_events, service, dev,
                            &ota_service_config(service)->source, node, TAG, ctx->slot);
    if (err != OTA_OK) {
        return err;
    }
    log_begin(ctx, node);
    /* The composition (ota_path.h): app checker -> image validator -> slot, then otadata. */
    ota_checker_t checker = {
        .name = "app description", .peek_len = APP_PEEK_LEN, .check = app_check, .ctx = ctx};
    ctx->item.checker = checker;
    ctx->item.activate = app_activate;
    ctx->item.activate_ctx = ctx;
    ctx->item.detail_write_errors = true;
    ota_verifier_t image;
    ota_image_verifier(&ctx->image, &image);
    err = ota_item_add_verifier(&ctx->item, &image);
    /* Secure Boot V2 or signed apps: a trusted signature after the image, checked after the last
     * byte and before the commit (verifier_sig.h). After the image validator, which it asks for
     * the image length. */
    if (err == OTA_OK && ctx->slot != NULL && ota_device_app_updates_signed(dev)) {
        err =
            ctx->feat->signatures == NULL
                ? ota_feature_missing(&ctx->item, "signature verification", "the device requires signed apps")
                : ctx->feat->signatures->item->add(&ctx->item, OTA_SIG_LAYOUT_APP, ctx->slot->size,
                                                   validated_len, ctx, &ctx->sig);
    }
    /* A pre-encryption key (esp_encrypted_img): the stream is decrypted first, before any other
     * stage; the verifiers see the plaintext (signed, then encrypted, as ESP-IDF's flow). */
    if (err == OTA_OK && dev->security.decrypt_key.data != NULL) {
        err = ctx->feat->decryption == NULL
                  ? ota_feature_missing(&ctx->item, "image decryption", "the device has a decryption key")
                  : ctx->feat->decryption->create(&dev->security.decrypt_key, &ctx->decrypt);
        if (err == OTA_OK) {
            err = ctx->feat->decryption->insert(&ctx->item, &ctx->decrypt);
        }
    }
    return err;
}

/* The output's size when it is known before anything is erased: the stream's (Content-Length,
 * file size) without stages, the plaintext size of the esp_encrypted_img header when decrypting is
 * the only stage (the checker has decoded the header by then); -1 otherwise (a patch). */
static int64_t output_size(const app_ctx_t *ctx)
{
    const ota_item_t *item = &ctx->item;
    if (item->stages == NULL) {
        return item->total;
    }
    if (ctx->decrypt.ctx != NULL && item->stages->count == 1) {
        return ctx->feat->decryption->plain_size(&ctx->decrypt); /* ctx set: the feature is there */
    }
    return -1;
}

/* Image (+ padding + signature sector when signed) must fit the slot: checked here, before the
 * first erase, whenever the size is known; else while streaming (before the commit). */
static int output_fits(app_ctx_t *ctx)
{
    int64_t size = output_size(ctx);
    if (ctx->sig != NULL) {
        return ctx->feat->signatures->item->fit(ctx->sig, size);
    }
    if (size > (int64_t)ctx->slot->size) {
        return ota_item_refuse_too_large(&ctx->item, size);
    }
    return OTA_OK;
}

/* The running app's version, "" when nothing runs or its description is unreadable. */
static void running_version(const ota_device_t *dev, char out[33])
{
    out[0] = '\0';
    const ota_partition_info_t *running = ota_device_running(dev);
    ota_app_desc_t desc;
    if (running != NULL && ota_ops_get_partition_description(dev, running, &desc) == OTA_OK) {
        memcpy(out, desc.version, sizeof desc.version);
    }
}

/* The ESP-IDF of the running app: the updating firmware's esp_https_ota and esp_image print the
 * update's lines (ota_idf_console.h); nothing running: the newest wording. */
static void running_idf(const ota_device_t *dev, ota_idf_version_t *ver)
{
    const ota_partition_info_t *running = OTA_IDF_CONSOLE_HISTORY ? ota_device_running(dev) : NULL;
    ota_app_desc_t desc;
    bool ok = running != NULL && ota_ops_get_partition_description(dev, running, &desc) == OTA_OK;
    ota_idf_version_parse(ok ? desc.idf_ver : NULL, ver);
}

int ota_app_default_need_upgrade(void *handle, ota_node_attr_t *node)
{
    (void)node;
    app_ctx_t *ctx = handle;
    ota_item_t *item = &ctx->item;
    if (ctx->slot == NULL) {
        return ota_item_refuse(item, OTA_ERR_NOT_FOUND, "no OTA app partition to update");
    }
    int err = ota_ops_check_update_target(item->device, ctx->slot);
    if (err != OTA_OK) {
        return ota_item_refuse(item, err, "cannot update %s: %s", ctx->slot->label, ota_strerror(err));
    }
    /* A patch (esp_delta_ota): applied by the delta stage in front, base checked before any erase */
    bool allow_bare = ota_service_config(ota_item_service(item))->delta_allow_bare;
    err = ctx->feat->delta == NULL ? ota_feature_delta_absent(item, allow_bare)
                                   : ctx->feat->delta->attach(item, allow_bare, &ctx->delta);
    if (err != OTA_OK) {
        return err;
    }
    /* Without stages the stream is the image: its size is known before anything is read. (Signed:
     * output_fits says whether the image or only its signature sector is too much.) */
    if (item->stages == NULL && ctx->sig == NULL && item->total > (int64_t)ctx->slot->size) {
        return ota_item_refuse_too_large(item, item->total);
    }
    /* The checker (app_check, or the user's) on the first output bytes, before any erase. */
    err = ota_item_check(item);
    return err == OTA_OK ? output_fits(ctx) : err;
}

/* The default checker: header, chip and app description checks on the image's first bytes,
 * then the secure version and the version against the running app. */
static int app_check(void *arg, const uint8_t *head, size_t len, bool ended)
{
    (void)ended;
    app_ctx_t *ctx = arg;
    ota_device_t *dev = ctx->item.device;
    const ota_service_config_t *cfg = ota_service_config(ota_item_service(&ctx->item));
    /* esp_encrypted_img's magic 0x0788B6CF: encrypted, and no key to decrypt it with */
    static const uint8_t enc_magic[4] = {0xCF, 0xB6, 0x88, 0x07};
    if (ctx->decrypt.ctx == NULL && len >= 4 && memcmp(head, enc_magic, 4) == 0) {
        return ota_item_refuse(&ctx->item, OTA_ERR_ENC_NO_KEY,
                               "pre-encrypted image (esp_encrypted_img) but no decryption key is configured "
                               "(ota_device_t security.decrypt_key)");
    }
    if (len < APP_PEEK_LEN) {
        return ota_item_refuse(&ctx->item, OTA_ERR_IMG_TRUNCATED, "image ends before its app description");
    }
    ota_ops_validator_config(dev, &ctx->image.cfg);
    ctx->image.cfg.max_size = ctx->slot->size;
    ctx->image.cfg.flash_addr = ctx->slot->offset;
    /* Bytes after the image are written and do not fail the item: esp_https_ota (ESP-IDF v6.0.2)
     * writes the whole stream, then esp_ota_end verifies the image part only (esp_image_verify),
     * so a padded file or a partition read back installs. The stream still has to fit the slot
     * (output_fits). Signed: the signature verifier owns those bytes (its sector, nothing after). */
    ctx->image.cfg.ignore_trailing = true;
    if (ctx->sig != NULL) {
        int terr = ctx->feat->signatures->item->trust(ctx->sig);
        if (terr != OTA_OK) {
            return terr;
        }
    }
    ota_image_validator_t probe;
    ota_image_validator_init(&probe, &ctx->image.cfg, NULL, NULL);
    int err = ota_image_validator_feed(&probe, head, APP_PEEK_LEN);
    const ota_image_info_t *info = ota_image_validator_info(&probe);
    if (err == OTA_OK && !info->app_desc_valid) {
        err = OTA_ERR_IMG_APP_DESC;
    }
    if (err != OTA_OK) {
        const char *msg = ota_image_validator_diag(&probe)->message;
        return ota_item_refuse(&ctx->item, err, "%s", msg[0] ? msg : ota_strerror(err));
    }
    ctx->image.own_hash = info->header.hash_appended == 0;

    char running[33];
    running_version(dev, running);
    const char *incoming = info->app_desc.version;
    OTA_LOGI(TAG, "Running firmware version: %s, the incoming firmware version %s",
             running[0] ? running : "(none)", incoming);

    uint32_t secure = info->app_desc.secure_version;
    int sv = dev->anti_rollback_enabled ? ota_device_check_secure_version(dev, secure) : OTA_OK;
    if (sv != OTA_OK) {
        ota_service_report_version_check(ota_item_service(&ctx->item), running, incoming, true, sv);
        if (sv == OTA_ERR_SECURE_VERSION_RANGE) {
            return ota_item_refuse(
                &ctx->item, sv,
                "secure version %u of the incoming image does not fit the chip's %u-bit eFuse",
                (unsigned)secure, (unsigned)ota_device_secure_version_bits(dev));
        }
        return ota_item_refuse(&ctx->item, sv,
                               "secure version of the incoming image is too low (%u < eFuse %u)",
                               (unsigned)secure, (unsigned)dev->efuse_secure_version);
    }
    int decision = OTA_OK;
    if (cfg->version_check && running[0] != '\0') {
        ota_version_cmp_t cmp;
        decision = ota_version_order_to_err(ota_version_compare(incoming, running, &cmp));
        if (decision == OTA_ERR_VERSION_NOT_NEWER) {
            OTA_LOGW(TAG,
                     "Current running version is the same as or higher than a new, no need to upgrade (%s)",
                     cmp.reason);
            ota_service_set_item_detail(ota_item_service(&ctx->item), 0,
                                        "incoming %s is not newer than running %s (%s)", incoming, running,
                                        cmp.reason);
        } else if (decision != OTA_OK) {
            OTA_LOGE(TAG, "cannot compare versions %s and %s: %s", incoming, running, cmp.reason);
            ota_service_set_item_detail(ota_item_service(&ctx->item), 0,
                                        "cannot compare %s with running %s (%s)", incoming, running,
                                        cmp.reason);
        }
    }
    ota_service_report_version_check(ota_item_service(&ctx->item), running, incoming, cfg->version_check,
                                     decision);
    return decision;
}

static void log_progress(app_ctx_t *ctx, uint64_t bytes, bool last)
{
    uint64_t now = ota_port_uptime_ms();
    if (last || now - ctx->last_log_ms >= 1000) {
        ctx->last_log_ms = now;
        OTA_LOGI(TAG, "Image bytes read: %llu", (unsigned long long)bytes);
    } else {
        OTA_LOGD(TAG, "Image bytes read: %llu", (unsigned long long)bytes);
    }
}

static void on_chunk(ota_item_t *item, uint32_t at, size_t n)
{
    (void)at;
    (void)n;
    app_ctx_t *ctx = (app_ctx_t *)item; /* the item is its first member */
    log_progress(ctx, ota_item_position(&ctx->item), false);
    ota_service_report_progress(ota_item_service(&ctx->item),
                                ota_item_stream_position(&ctx->item, ctx->item.consumed), ctx->item.total,
                                false);
}

int ota_app_default_execute(void *handle, ota_node_attr_t *node)
{
    (void)node;
    app_ctx_t *ctx = handle;
    ota_item_t *item = &ctx->item;
    if (ctx->slot == NULL) {
        return OTA_ERR_INVALID_STATE; /* need_upgrade was skipped by a custom procedure */
    }
    int err = ota_ops_invalidate_inactive_ota_data_slot(item->device);
    if (err != OTA_OK) {
        return err;
    }
    ota_device_partition(item->device, ctx->slot, &item->target);
    err = ota_item_begin_write(item);
    if (err != OTA_OK) {
        return err;
    }
    ctx->last_log_ms = ota_port_uptime_ms();
    /* stream -> stages -> verifiers (the image validator first) -> slot; then their finish() */
    err = ota_item_stream(item, SIZE_MAX, on_chunk);
    if (err != OTA_OK) {
        return err;
    }
    log_progress(ctx, ota_item_position(item), true);
    ota_service_report_progress(ota_item_service(item), ota_item_stream_position(item, item->consumed),
                                item->total, true);
    if (!is_file_uri(node)) { /* esp_fs_ota prints nothing at the end of the file */
        ota_idf_version_t idf;
        running_idf(item->device, &idf);
        ota_idf_log(&idf, OTA_IDF_HTTPS_CLOSED, &(ota_idf_args_t){{NULL, NULL}, {0}});
    }
    return OTA_OK;
}

/* After sector 0 is on flash (the target's commit): esp_ota_set_boot_partition. */
static int app_activate(void *arg)
{
    app_ctx_t *ctx = arg;
    return ota_ops_set_boot_partition_verified(ctx->item.device, ctx->slot,
                                               ota_image_validator_info(&ctx->image.validator));
}

/* esp_ota_end + esp_ota_set_boot_partition. Every verifier has passed (the image validator:
 * header, segments, checksum, SHA-256, on the stream) and the writer has read back every
 * programmed byte and compared it with the stream: what is on flash is that image. Write sector
 * 0, then switch. */
static int commit(app_ctx_t *ctx)
{
    ota_item_t *item = &ctx->item;
    ota_idf_version_t idf;
    running_idf(item->device, &idf);
    /* esp_ota_end and then esp_ota_set_boot_partition each esp_image_verify the slot, each printing
     * the segments (components/app_update/esp_ota_ops.c, v4.0..v6.0; the ESP-ADF example's log
     * shows both) */
    for (int i = 0; i < 2; i++) {
        ota_idf_log_app_verify(&idf, ctx->slot->offset, ota_image_validator_info(&ctx->image.validator),
                               item->device->chip_revision);
    }
    ota_target_t target;
    ota_item_target(item, &target);
    int err = target.commit(target.ctx);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot make %s the boot partition: %s", ctx->slot->label, ota_strerror(err));
        ota_service_set_item_detail(ota_item_service(item), 0, "switching to %s failed: %s", ctx->slot->label,
                                    ota_strerror(err));
    }
    return err;
}

int ota_app_default_finished_check(void *handle, ota_node_attr_t *node, int result)
{
    (void)node;
    app_ctx_t *ctx = handle;
    if (ctx == NULL) {
        return result != OTA_OK ? result : OTA_ERR_INVALID_STATE;
    }
    if (result == OTA_OK) {
        result = commit(ctx);
    } else if (ctx->item.writer.begun) {
        OTA_LOGW(TAG, "%s left as an interrupted install; the boot partition is unchanged", ctx->slot->label);
    }
    ota_item_close(&ctx->item);
    if (ctx->delta != NULL) {
        ctx->feat->delta->free(ctx->delta);
    }
    if (ctx->sig != NULL) {
        ctx->feat->signatures->item->free(ctx->sig);
    }
    if (ctx->decrypt.ctx != NULL) {
        ctx->feat->decryption->free(&ctx->decrypt);
    }
    ota_free(ctx);
    return result;
}

void ota_app_get_default_proc(ota_upgrade_ops_t *ops)
{
    ops->prepare = ota_app_default_prepare;
    ops->need_upgrade = ota_app_default_need_upgrade;
    ops->execute_upgrade = ota_app_default_execute;
    ops->finished_check = ota_app_default_finished_check;
}
