/* The commit of a release (ota_release.h), the service's hook after the last item: when every item
 * was written and verified, the COMMIT record binding the otadata entry that will boot to the data
 * partitions written (ota_release_log.h), then, with an app item, the otadata switch to its slot,
 * which the app procedure left out. A run with a failed item commits nothing: the old release runs,
 * its partitions untouched. */
#include <string.h>

#include "boot/ota_release_log.h"
#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/port/ota_mem.h"
#include "release_internal.h"

static const char *TAG = "OTA_RELEASE";

int ota_release_target_seq(const ota_device_t *dev, const ota_partition_info_t *slot, uint32_t *out)
{
    *out = 0;
    ota_otadata_entry_t e[2];
    if (ota_device_otadata(dev) == NULL) {
        return OTA_OK; /* no otadata: nothing to bind (ota_release_log_begin says so) */
    }
    int err = ota_ops_read_otadata(dev, e);
    if (err != OTA_OK) {
        return err;
    }
    int active = ota_otadata_active(e);
    if (slot == NULL) {
        *out = active >= 0 ? e[active].ota_seq : 0;
        return OTA_OK;
    }
    /* as the switch plans it (esp_rewrite_ota_data): the smallest seq above the active one naming
     * the slot */
    uint32_t count = ota_device_ota_slot_count(dev);
    uint32_t n = (uint32_t)(slot->subtype - OTA_PART_SUBTYPE_APP_OTA_0);
    if (active < 0) {
        *out = n + 1;
        return OTA_OK;
    }
    if (ota_otadata_slot(e[active].ota_seq, count) == n) {
        *out = e[active].ota_seq;
        return OTA_OK;
    }
    return ota_otadata_next_seq(e[active].ota_seq, n, count, out);
}

/* The binding: every data item's label to the partition written, and the labels of the installed
 * release this one does not name to where they are (the new app sees them as the old one did). */
static int binding(const ota_release_run_t *r, ota_release_state_t *st)
{
    int err = ota_release_installed(r->dev, st);
    if (err != OTA_OK) {
        return err;
    }
    unsigned kept = 0;
    for (unsigned j = 0; j < st->count; j++) {
        bool named = false;
        for (unsigned i = 0; i < r->manifest.count; i++) {
            named |= r->manifest.items[i].type == OTA_MANIFEST_ITEM_DATA &&
                     strcmp(r->manifest.items[i].label, st->data[j].label) == 0;
        }
        if (!named) {
            st->data[kept++] = st->data[j];
        }
    }
    st->count = kept;
    st->sequence = r->manifest.sequence;
    st->otadata_seq = r->otadata_seq;
    for (unsigned i = 0; i < r->manifest.count; i++) {
        const ota_release_item_t *b = &r->item[i];
        if (b->m->type != OTA_MANIFEST_ITEM_DATA) {
            continue;
        }
        if (st->count >= OTA_MANIFEST_MAX_ITEMS) {
            /* more labels than a record binds (the kept ones and the new): nothing is committed */
            OTA_LOGE(TAG, "release %u: more than %u data partitions to bind", (unsigned)st->sequence,
                     OTA_MANIFEST_MAX_ITEMS);
            return OTA_ERR_INVALID_SIZE;
        }
        memcpy(st->data[st->count].label, b->m->label, sizeof st->data[0].label);
        st->data[st->count].offset = b->target->offset;
        st->count++;
    }
    return OTA_OK;
}

static int commit(ota_release_run_t *r, ota_service_summary_t *sum)
{
    if (r->up_to_date) {
        return OTA_OK;
    }
    for (unsigned i = 0; i < r->manifest.count; i++) {
        if (!r->item[i].done) {
            OTA_LOGE(TAG, "release %u not committed: item %u did not install; the old release stays",
                     (unsigned)r->manifest.sequence, i);
            /* an error: no restart (the run's result stays the failed item's reason) */
            return sum->first_error != OTA_OK ? sum->first_error : OTA_ERR_INVALID_STATE;
        }
    }
    ota_release_state_t *st = ota_calloc(1, sizeof *st);
    if (st == NULL) {
        return OTA_ERR_NO_MEM;
    }
    const ota_release_item_t *app = r->app >= 0 ? &r->item[r->app] : NULL;
    int err = ota_release_target_seq(r->dev, app != NULL ? app->target : NULL, &r->otadata_seq);
    if (err == OTA_OK) {
        err = binding(r, st);
    }
    if (err == OTA_OK) {
        err = ota_release_log_commit(r->dev, st, app != NULL ? app->desc.app_elf_sha256 : NULL);
    }
    ota_free(st);
    if (err == OTA_OK && app != NULL) {
        /* the commit point of a release with an app: the switch the app procedure left out */
        ota_image_info_t info;
        memset(&info, 0, sizeof info);
        info.app_desc_valid = true;
        info.app_desc = app->desc;
        err = ota_ops_set_boot_partition_verified(r->dev, app->target, &info);
    }
    if (err != OTA_OK) {
        OTA_LOGE(TAG, "release %u: commit failed: %s", (unsigned)r->manifest.sequence, ota_strerror(err));
        return err;
    }
    OTA_LOGI(TAG, "release %u committed (otadata seq %u)", (unsigned)r->manifest.sequence,
             (unsigned)r->otadata_seq);
    return OTA_OK;
}

int ota_release_after_list(ota_service_ext_t *ext, ota_service_summary_t *sum)
{
    if (sum == NULL) {
        ota_free(ext); /* the service frees its list */
        return OTA_OK;
    }
    int err = commit((ota_release_run_t *)ext, sum);
    if (err != OTA_OK && sum->first_error == OTA_OK) {
        sum->first_error = err;
    }
    return err;
}
