/* ota_service_set_release (ota_release.h): a release manifest becomes the service's upgrade list.
 * Everything that can refuse the release as a whole is checked here, before the list is set and so
 * before anything is erased: the signature, the manifest, the partition table, the release floor,
 * the running slot, the twins, the running app's version. Each item then becomes a default app or
 * data procedure bound to its manifest entry (release_item.c); the commit follows the list
 * (release_commit.c). */
#include <stdio.h>
#include <string.h>

#include "boot/ota_image_sig.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_release.h"
#include "ota/ota_version.h"
#include "ota/port/ota_mem.h"
#include "release_internal.h"
#include "service_struct.h"

static const char *TAG = "OTA_RELEASE";

/* A signed manifest file as espsecure writes it: whole 4 KiB sectors, the last one starting with a
 * signature block's magic. */
static bool looks_signed(const uint8_t *data, size_t len)
{
    return len >= 2 * 4096u && len % 4096u == 0 && data[len - 4096u] == OTA_SIG_BLOCK_MAGIC;
}

/* The manifest's JSON text length, after the signature check the device asks for. */
static int manifest_text(const ota_device_t *dev, const ota_release_config_t *cfg, size_t *json_len)
{
    if (ota_device_app_updates_signed(dev)) {
        ota_sig_trust_t trust;
        int err = looks_signed(cfg->manifest, cfg->manifest_len) ? ota_image_sig_trust(dev, &trust)
                                                                 : OTA_ERR_SIG_UNSIGNED;
        if (err == OTA_OK) {
            err = ota_manifest_verify_signed(cfg->manifest, cfg->manifest_len, &trust, NULL, json_len);
        }
        if (err == OTA_ERR_SIG_UNSIGNED) {
            OTA_LOGE(TAG, "the device requires signed updates: the manifest is not signed");
            return OTA_ERR_RELEASE_UNSIGNED;
        }
        if (err != OTA_OK) {
            OTA_LOGE(TAG, "manifest signature: %s", ota_strerror(err));
        }
        return err;
    }
    if (!cfg->allow_unsigned) {
        OTA_LOGE(TAG, "no trusted key to verify the manifest with, and allow_unsigned is off");
        return OTA_ERR_RELEASE_UNSIGNED;
    }
    size_t len =
        looks_signed(cfg->manifest, cfg->manifest_len) ? cfg->manifest_len - 4096u : cfg->manifest_len;
    *json_len = ota_manifest_json_len(cfg->manifest, len);
    return OTA_OK;
}

/* @p uri resolved against @p base (RFC 3986's simple cases: a URI with a scheme stays, "/path"
 * takes the base's scheme and authority, anything else replaces the base's last segment). */
static void resolve_uri(const char *base, const char *uri, char *out, size_t size)
{
    const char *scheme_end = base != NULL ? strstr(base, "://") : NULL;
    if (strstr(uri, "://") != NULL || base == NULL || base[0] == '\0') {
        snprintf(out, size, "%s", uri);
        return;
    }
    size_t keep;
    if (uri[0] == '/') {
        const char *path = scheme_end != NULL ? strchr(scheme_end + 3, '/') : NULL;
        keep = scheme_end == NULL ? 0 : path != NULL ? (size_t)(path - base) : strlen(base);
        if (scheme_end != NULL && strncmp(base, "file://", 7) == 0) {
            keep = 7; /* file:///abs: no authority */
        }
    } else {
        const char *slash = strrchr(base, '/');
        keep = slash != NULL ? (size_t)(slash - base) + 1 : 0;
        if (scheme_end != NULL && slash != NULL && slash < scheme_end + 3) {
            keep = strlen(base); /* "http://host" without a path */
        }
    }
    snprintf(out, size, "%.*s%s%s", (int)keep, base,
             uri[0] != '/' && keep > 0 && base[keep - 1] != '/' ? "/" : "", uri);
}

/* The data twin of @p label's partition: OTA_ERR_RELEASE_NO_TWIN unless label + "_b" is one of
 * the same type, subtype and size. */
static int find_twin(const ota_device_t *dev, const ota_partition_info_t *part,
                     const ota_partition_info_t **twin)
{
    char name[OTA_PARTITION_LABEL_MAX + 8];
    snprintf(name, sizeof name, "%s%s", part->label, OTA_RELEASE_TWIN_SUFFIX);
    const ota_partition_info_t *t = ota_partition_find_by_label(&dev->table, name);
    if (t == NULL || t->type != part->type || t->subtype != part->subtype || t->size != part->size) {
        OTA_LOGE(TAG, "data partition %s has no twin %s of its type, subtype and size", part->label, name);
        return OTA_ERR_RELEASE_NO_TWIN;
    }
    *twin = t;
    return OTA_OK;
}

/* The running app's version against an item's min_running_version. */
static int check_min_running(const ota_device_t *dev, const ota_manifest_item_t *m)
{
    if (m->min_running_version[0] == '\0') {
        return OTA_OK;
    }
    const ota_partition_info_t *running = ota_device_running(dev);
    ota_app_desc_t desc;
    if (running == NULL || ota_ops_get_partition_description(dev, running, &desc) != OTA_OK) {
        OTA_LOGE(TAG, "min_running_version %s: the running app's version is unknown", m->min_running_version);
        return OTA_ERR_RELEASE_VERSION;
    }
    ota_version_cmp_t cmp;
    ota_version_order_t order = ota_version_compare(desc.version, m->min_running_version, &cmp);
    if (order != OTA_VERSION_NEWER && order != OTA_VERSION_SAME) {
        OTA_LOGE(TAG, "running version %s is not at least min_running_version %s (%s)", desc.version,
                 m->min_running_version, cmp.reason);
        return OTA_ERR_RELEASE_VERSION;
    }
    return OTA_OK;
}

/* Where item @p b is written: the next OTA slot (never the running one), or the twin of its data
 * partition the installed release does not use. */
static int bind_target(const ota_device_t *dev, ota_release_item_t *b)
{
    const ota_manifest_item_t *m = b->m;
    const ota_partition_info_t *running = ota_device_running(dev);
    if (m->type == OTA_MANIFEST_ITEM_APP) {
        if (m->label[0] != '\0' && running != NULL && strcmp(m->label, running->label) == 0) {
            OTA_LOGE(TAG, "the app item targets %s, the slot the device runs from", m->label);
            return OTA_ERR_RELEASE_RUNNING_SLOT;
        }
        b->target = ota_ops_get_next_update_partition(dev, running);
        if (b->target == NULL) {
            OTA_LOGE(TAG, "no OTA app slot to write the app item to");
            return OTA_ERR_MANIFEST_PARTITION;
        }
        if (m->label[0] != '\0' && strcmp(m->label, b->target->label) != 0) {
            OTA_LOGE(TAG, "the app item names %s; the next OTA slot is %s", m->label, b->target->label);
            return OTA_ERR_MANIFEST_PARTITION;
        }
        return ota_ops_check_update_target(dev, b->target);
    }
    const ota_partition_info_t *part = ota_partition_find_by_label(&dev->table, m->label);
    const ota_partition_info_t *twin = NULL;
    if (part == NULL) {
        return OTA_ERR_MANIFEST_PARTITION; /* ota_manifest_check_partitions said so already */
    }
    int err = find_twin(dev, part, &twin);
    const ota_partition_info_t *live = NULL;
    if (err == OTA_OK) {
        err = ota_release_data_partition(dev, m->label, &live);
    }
    if (err == OTA_OK) {
        b->target = live == twin ? part : twin;
    }
    return err;
}

/* The checks of the whole release that need the device, in order; @p diag->item the item at fault. */
static int check_release(ota_release_run_t *r, const char *base_uri, ota_release_diag_t *diag)
{
    const ota_device_t *dev = r->dev;
    const ota_manifest_t *m = &r->manifest;
    int err = ota_manifest_check_partitions(m, &dev->table, &diag->item);
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "item %d: %s", diag->item, ota_strerror(err));
        return err;
    }
    uint32_t floor = 0;
    ota_release_state_t installed;
    err = ota_release_floor(dev, &floor);
    if (err == OTA_OK) {
        err = ota_release_installed(dev, &installed);
    }
    if (err != OTA_OK) {
        return err;
    }
    if (m->sequence < floor) {
        OTA_LOGE(TAG, "release %u is older than release %u, the newest this device accepted",
                 (unsigned)m->sequence, (unsigned)floor);
        return OTA_ERR_RELEASE_OLDER;
    }
    r->up_to_date = installed.sequence == m->sequence;
    r->app = -1;
    for (unsigned i = 0; i < m->count; i++) {
        ota_release_item_t *b = &r->item[i];
        b->m = &m->items[i];
        diag->item = (int)i;
        err = bind_target(dev, b);
        if (err == OTA_OK) {
            err = check_min_running(dev, b->m);
        }
        if (err != OTA_OK) {
            return err;
        }
        if (b->m->type == OTA_MANIFEST_ITEM_APP) {
            r->app = (int)i;
        }
        resolve_uri(base_uri, b->m->uri, b->uri, sizeof b->uri);
    }
    diag->item = -1;
    return ota_release_target_seq(dev, r->app >= 0 ? r->item[r->app].target : NULL, &r->otadata_seq);
}

/* The upgrade list of the release's items, handed to the engine with the release as its hook. */
static int set_list(ota_service_t *s, ota_release_run_t *r)
{
    ota_upgrade_ops_t ops[OTA_MANIFEST_MAX_ITEMS];
    memset(ops, 0, sizeof ops);
    for (unsigned i = 0; i < r->manifest.count; i++) {
        const ota_release_item_t *b = &r->item[i];
        bool app = b->m->type == OTA_MANIFEST_ITEM_APP;
        ops[i].node.type = (uint8_t)(app ? OTA_PART_TYPE_APP : OTA_PART_TYPE_DATA);
        ops[i].node.label = app ? NULL : b->target->label;
        ops[i].node.uri = b->uri;
        ota_release_item_proc(&ops[i]);
        ops[i].reboot_flag = app;
        ops[i].break_after_fail = true; /* the release is committed whole or not at all */
    }
    int err = ota_service_set_upgrade_list(s, ops, (int)r->manifest.count);
    if (err == OTA_OK) {
        r->ext.after_list = ota_release_after_list;
        s->ext = &r->ext;
    }
    return err;
}

int ota_service_set_release(ota_service_t *s, const ota_release_config_t *cfg, ota_release_diag_t *diag)
{
    ota_release_diag_t spare;
    diag = diag != NULL ? diag : &spare;
    memset(diag, 0, sizeof *diag);
    diag->item = -1;
    diag->parse.item = -1;
    if (s == NULL || cfg == NULL || cfg->manifest == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    if (__atomic_load_n(&s->running, __ATOMIC_ACQUIRE)) {
        return OTA_ERR_BUSY;
    }
    ota_release_run_t *r = ota_calloc(1, sizeof *r);
    if (r == NULL) {
        return OTA_ERR_NO_MEM;
    }
    r->dev = s->cfg.device;
    size_t json_len = 0;
    int err = manifest_text(r->dev, cfg, &json_len);
    if (err == OTA_OK) {
        err = ota_manifest_parse((const char *)cfg->manifest, json_len, &r->manifest, &diag->parse);
        diag->item = diag->parse.item;
        if (err != OTA_OK) {
            OTA_LOGE(TAG, "manifest: %s (offset %u, field %s)", ota_strerror(err),
                     (unsigned)diag->parse.offset, diag->parse.field != NULL ? diag->parse.field : "-");
        }
    }
    if (err == OTA_OK && r->manifest.kind != OTA_MANIFEST_RELEASE) {
        diag->parse.field = "format";
        OTA_LOGE(TAG, "an ESP-ADF single-item manifest is not a release (no format, no sequence)");
        err = OTA_ERR_MANIFEST_FIELD;
    }
    if (err == OTA_OK) {
        err = check_release(r, cfg->base_uri, diag);
    }
    if (err == OTA_OK) {
        err = set_list(s, r);
    }
    if (err != OTA_OK) {
        ota_free(r);
        return err;
    }
    OTA_LOGI(TAG, "release %u: %u item(s)%s", (unsigned)r->manifest.sequence, r->manifest.count,
             r->up_to_date ? ", installed already" : "");
    return OTA_OK;
}
