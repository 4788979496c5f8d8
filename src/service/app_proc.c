/* Default procedure for an app item (ESP-ADF ota_app_get_default_proc); see ota_proc_default.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "item.h"
#include "ota/ota_app_image.h"
#include "ota/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_mem.h"
#include "ota/ota_ops.h"
#include "ota/ota_port.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_version.h"
#include "service_internal.h"

static const char *TAG = "OTA_DEFAULT";
static const char *TAG_HTTPS = "esp_https_ota";
static const char *TAG_IMAGE = "esp_image";

/* The image's header, first segment header and app description: what must be known before any
 * byte of the slot is erased. */
#define APP_PEEK_LEN (OTA_IMAGE_HEADER_SIZE + OTA_IMAGE_SEGMENT_HEADER_SIZE + OTA_APP_DESC_SIZE)

typedef struct {
    ota_item_t item;
    const ota_partition_info_t *slot;
    ota_image_validator_config_t vcfg;
    ota_image_validator_t validator;
    bool own_hash;               /* image has no appended SHA-256: hash the stream ourselves */
    ota_sha256_ctx_t sha;
    uint64_t last_log_ms;
} app_ctx_t;

int ota_app_default_prepare(ota_service_t *service, void **handle, ota_node_attr_t *node)
{
    app_ctx_t *ctx = ota_calloc(1, sizeof *ctx);
    if (ctx == NULL) {
        return OTA_ERR_NO_MEM;
    }
    *handle = ctx;
    /* The target: the OTA slot after the running one (esp_ota_get_next_update_partition). */
    ota_device_t *dev = ota_service_device(service);
    ctx->slot = ota_ops_get_next_update_partition(dev, ota_device_running(dev));
    return ota_item_open(&ctx->item, service, node, TAG, ctx->slot);
}

/* Log why the item is refused and attach it to the RESULT event; returns @p err. */
__attribute__((format(printf, 3, 4))) static int refuse(app_ctx_t *ctx, int err, const char *fmt, ...)
{
    char detail[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    OTA_LOGE(TAG, "%s", detail);
    ota_service_set_item_detail(ctx->item.service, 0, "%s", detail);
    return err;
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

int ota_app_default_need_upgrade(void *handle, ota_node_attr_t *node)
{
    (void)node;
    app_ctx_t *ctx = handle;
    ota_device_t *dev = ctx->item.device;
    const ota_service_config_t *cfg = ota_service_config(ctx->item.service);

    if (ctx->slot == NULL) {
        return refuse(ctx, OTA_ERR_NOT_FOUND, "no OTA app partition to update");
    }
    int err = ota_ops_check_update_target(dev, ctx->slot);
    if (err != OTA_OK) {
        return refuse(ctx, err, "cannot update %s: %s", ctx->slot->label, ota_strerror(err));
    }
    if (ctx->item.total > (int64_t)ctx->slot->size) {
        return refuse(ctx, OTA_ERR_IMG_TOO_LARGE, "image of %lld bytes larger than partition %s (%u bytes)",
                      (long long)ctx->item.total, ctx->slot->label, (unsigned)ctx->slot->size);
    }
    err = ota_item_peek(&ctx->item, APP_PEEK_LEN);
    if (err != OTA_OK) {
        return err == OTA_ERR_IMG_TRUNCATED
                   ? refuse(ctx, err, "image ends before its app description")
                   : err;
    }
    /* Header, chip and app description checks, on the peeked bytes, before any erase. */
    ota_ops_validator_config(dev, &ctx->vcfg);
    ctx->vcfg.max_size = ctx->slot->size;
    ctx->vcfg.flash_addr = ctx->slot->offset;
    ota_image_validator_t probe;
    ota_image_validator_init(&probe, &ctx->vcfg, NULL, NULL);
    err = ota_image_validator_feed(&probe, ctx->item.peek, APP_PEEK_LEN);
    const ota_image_info_t *info = ota_image_validator_info(&probe);
    if (err == OTA_OK && !info->app_desc_valid) {
        err = OTA_ERR_IMG_APP_DESC;
    }
    if (err != OTA_OK) {
        const char *msg = ota_image_validator_diag(&probe)->message;
        return refuse(ctx, err, "%s", msg[0] ? msg : ota_strerror(err));
    }
    ctx->own_hash = info->header.hash_appended == 0;

    char running[33];
    running_version(dev, running);
    const char *incoming = info->app_desc.version;
    OTA_LOGI(TAG, "Running firmware version: %s, the incoming firmware version %s",
             running[0] ? running : "(none)", incoming);

    uint32_t secure = info->app_desc.secure_version;
    int sv = dev->anti_rollback_enabled ? ota_device_check_secure_version(dev, secure) : OTA_OK;
    if (sv != OTA_OK) {
        ota_service_report_version_check(ctx->item.service, running, incoming, true, sv);
        if (sv == OTA_ERR_SECURE_VERSION_RANGE) {
            return refuse(ctx, sv, "secure version %u of the incoming image does not fit the chip's %u-bit eFuse",
                          (unsigned)secure, (unsigned)ota_device_secure_version_bits(dev));
        }
        return refuse(ctx, sv, "secure version of the incoming image is too low (%u < eFuse %u)",
                      (unsigned)info->app_desc.secure_version, (unsigned)dev->efuse_secure_version);
    }
    int decision = OTA_OK;
    if (cfg->version_check && running[0] != '\0') {
        ota_version_cmp_t cmp;
        decision = ota_version_order_to_err(ota_version_compare(incoming, running, &cmp));
        if (decision == OTA_ERR_VERSION_NOT_NEWER) {
            OTA_LOGW(TAG, "Current running version is the same as or higher than a new, no need to upgrade (%s)",
                     cmp.reason);
            ota_service_set_item_detail(ctx->item.service, 0, "incoming %s is not newer than running %s (%s)",
                                        incoming, running, cmp.reason);
        } else if (decision != OTA_OK) {
            OTA_LOGE(TAG, "cannot compare versions %s and %s: %s", incoming, running, cmp.reason);
            ota_service_set_item_detail(ctx->item.service, 0, "cannot compare %s with running %s (%s)",
                                        incoming, running, cmp.reason);
        }
    }
    ota_service_report_version_check(ctx->item.service, running, incoming, cfg->version_check, decision);
    return decision;
}

/* The stream hash: the validator's own SHA-256 (the image's appended digest covers everything
 * before it), or ours when the image has no appended digest. */
static int hash_feed(void *arg, const uint8_t *data, size_t len)
{
    app_ctx_t *ctx = arg;
    if (ctx->own_hash) {
        ota_sha256_update(&ctx->sha, data, len);
    }
    return ota_image_validator_feed(&ctx->validator, data, len);
}

static int hash_snapshot(void *arg, uint64_t *hashed, uint8_t digest[32])
{
    app_ctx_t *ctx = arg;
    if (ctx->own_hash) {
        ota_sha256_ctx_t copy = ctx->sha;
        ota_sha256_final(&copy, digest);
        *hashed = ota_image_validator_info(&ctx->validator)->bytes_fed;
        return OTA_OK;
    }
    return ota_image_validator_hash_snapshot(&ctx->validator, digest, hashed);
}

static void hash_reset(void *arg)
{
    app_ctx_t *ctx = arg;
    ota_image_validator_init(&ctx->validator, &ctx->vcfg, NULL, NULL);
    if (ctx->own_hash) {
        ota_sha256_init(&ctx->sha);
    }
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

int ota_app_default_execute(void *handle, ota_node_attr_t *node)
{
    (void)node;
    app_ctx_t *ctx = handle;
    ota_item_t *item = &ctx->item;
    if (ctx->slot == NULL) {
        return OTA_ERR_INVALID_STATE; /* need_upgrade was skipped by a custom procedure */
    }
    OTA_LOGI(TAG_HTTPS, "Starting OTA...");
    int err = ota_ops_invalidate_inactive_ota_data_slot(item->device);
    if (err != OTA_OK) {
        return err;
    }
    OTA_LOGI(TAG_HTTPS, "Writing to partition subtype %u at offset 0x%x", (unsigned)ctx->slot->subtype,
             (unsigned)ctx->slot->offset);
    ota_device_partition(item->device, ctx->slot, &item->target);
    hash_reset(ctx);
    ota_item_hasher_t hasher = {.feed = hash_feed, .snapshot = hash_snapshot, .reset = hash_reset, .ctx = ctx};
    err = ota_item_begin_write(item, &hasher);
    if (err != OTA_OK) {
        return err;
    }
    size_t buf_size;
    uint8_t *buf = ota_service_work_buffer(item->service, &buf_size);
    ctx->last_log_ms = ota_port_uptime_ms();
    for (;;) {
        int n = ota_item_read(item, buf, buf_size);
        if (n < 0) {
            OTA_LOGE(TAG, "read failed after %llu bytes: %s", (unsigned long long)item->consumed, ota_strerror(n));
            return n;
        }
        if (n == 0) {
            break;
        }
        err = hash_feed(ctx, buf, (size_t)n);
        if (err == OTA_OK) {
            err = ota_item_write(item, buf, (size_t)n);
        }
        if (err != OTA_OK) {
            const char *msg = ota_image_validator_diag(&ctx->validator)->message;
            OTA_LOGE(TAG, "%s", msg[0] ? msg : ota_strerror(err));
            ota_service_set_item_detail(item->service, 0, "%s", msg[0] ? msg : ota_strerror(err));
            return err;
        }
        log_progress(ctx, item->consumed, false);
        ota_service_report_progress(item->service, item->consumed, item->total, false);
    }
    log_progress(ctx, item->consumed, true);
    ota_service_report_progress(item->service, item->consumed, item->total, true);
    OTA_LOGI(TAG_HTTPS, "Connection closed");
    err = ota_image_validator_finish(&ctx->validator);
    if (err != OTA_OK) {
        const char *msg = ota_image_validator_diag(&ctx->validator)->message;
        OTA_LOGE(TAG, "%s", msg[0] ? msg : ota_strerror(err));
        ota_service_set_item_detail(item->service, 0, "%s", msg[0] ? msg : ota_strerror(err));
        return err;
    }
    return OTA_OK;
}

/* esp_ota_end + esp_ota_set_boot_partition. The stream validator has checked the image (header,
 * segments, checksum, SHA-256) and the writer has read back every programmed byte and compared it
 * with the stream: what is on flash is that image. Write sector 0, then switch. */
static int commit(app_ctx_t *ctx)
{
    ota_item_t *item = &ctx->item;
    const ota_image_info_t *info = ota_image_validator_info(&ctx->validator);
    ota_image_log_segments(TAG_IMAGE, ctx->slot->offset, info);
    int err = ota_pw_commit(&item->writer);
    if (err == OTA_OK) {
        err = ota_ops_set_boot_partition_verified(item->device, ctx->slot, info);
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "cannot make %s the boot partition: %s", ctx->slot->label, ota_strerror(err));
        ota_service_set_item_detail(item->service, 0, "switching to %s failed: %s", ctx->slot->label,
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
