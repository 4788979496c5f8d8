/* The release the device runs, as its otadata records say (ota_release.h's readers). Only
 * firmware that calls them links this file. */
#include "ota/ota_release.h"

#include <string.h>

#include "boot/ota_otadata_floor.h"
#include "formats/ota_release_record.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"

typedef struct {
    uint32_t booted_seq;                         /* the entry the running app booted from (0: none) */
    const uint8_t *app_id;                       /* the running app's (NULL: unknown) */
    uint32_t floor;                              /* the highest release sequence of any record */
    ota_release_record_t begin, commit, binding; /* the newest of each (seq 0: none) */
} found_t;

static void visit(void *ctx, const uint8_t *raw, int kind, uint32_t seq)
{
    found_t *f = ctx;
    ota_release_record_t r;
    if (kind == OTA_FLOOR_LOG_FLOOR || ota_release_record_decode(raw, &r) != OTA_OK) {
        return;
    }
    f->floor = r.sequence > f->floor ? r.sequence : f->floor;
    ota_release_record_t *newest = kind == OTA_FLOOR_LOG_BEGIN ? &f->begin : &f->commit;
    if (seq > newest->seq) {
        *newest = r;
    }
    if (ota_release_record_binds(&r, f->booted_seq, f->app_id) && seq > f->binding.seq) {
        f->binding = r;
    }
}

/* Every record; no otadata partition: none. */
static int find(const ota_device_t *dev, found_t *f)
{
    int err = ota_otadata_log_each(dev, visit, f, NULL);
    return err == OTA_ERR_NOT_FOUND ? OTA_OK : err;
}

/* The running app's id (the first bytes of its app_elf_sha256; false: no app description) and the
 * seq of the valid otadata entry it booted from, the highest naming its slot (0: none, factory). */
static int booted(const ota_device_t *dev, found_t *f, uint8_t id[OTA_RELEASE_RECORD_APP_ID_SIZE])
{
    const ota_partition_info_t *run = ota_device_running(dev);
    if (run == NULL) {
        return OTA_OK;
    }
    ota_partition_t p;
    ota_device_partition(dev, run, &p);
    uint8_t magic[4];
    int err = ota_partition_read(&p, OTA_APP_DESC_OFFSET, magic, sizeof magic);
    if (err == OTA_OK) {
        err = ota_partition_read(&p, OTA_RELEASE_APP_ELF_SHA_AT, id, OTA_RELEASE_RECORD_APP_ID_SIZE);
    }
    uint32_t m =
        (uint32_t)magic[0] | (uint32_t)magic[1] << 8 | (uint32_t)magic[2] << 16 | (uint32_t)magic[3] << 24;
    f->app_id = err == OTA_OK && m == OTA_APP_DESC_MAGIC ? id : NULL;
    uint32_t count = ota_device_ota_slot_count(dev);
    ota_otadata_entry_t e[2];
    if (err != OTA_OK || count == 0 || ota_device_otadata(dev) == NULL || !ota_partition_is_ota_app(run)) {
        return err;
    }
    if ((err = ota_ops_read_otadata(dev, e)) != OTA_OK) {
        return err;
    }
    for (int i = 0; i < 2; i++) {
        const ota_partition_info_t *slot = ota_device_ota_slot(dev, ota_otadata_slot(e[i].ota_seq, count));
        if (ota_otadata_entry_is_valid(&e[i]) && slot != NULL && slot->offset == run->offset &&
            e[i].ota_seq > f->booted_seq) {
            f->booted_seq = e[i].ota_seq;
        }
    }
    return OTA_OK;
}

static const ota_partition_info_t *part_at(const ota_device_t *dev, uint32_t offset)
{
    for (size_t i = 0; i < dev->table.count; i++) {
        if (dev->table.entries[i].offset == offset) {
            return &dev->table.entries[i];
        }
    }
    return NULL;
}

/* @p have is @p label or its twin (label + OTA_RELEASE_TWIN_SUFFIX). */
static bool is_label_or_twin(const char *have, const char *label)
{
    size_t n = strlen(label);
    return strncmp(have, label, n) == 0 &&
           (have[n] == '\0' || strcmp(have + n, OTA_RELEASE_TWIN_SUFFIX) == 0);
}

static void state_of(const ota_device_t *dev, const ota_release_record_t *r, ota_release_state_t *out)
{
    memset(out, 0, sizeof *out);
    out->sequence = r->sequence;
    out->otadata_seq = r->otadata_seq;
    for (uint32_t i = 0; i < r->count; i++) {
        const ota_partition_info_t *p = part_at(dev, r->offset[i]);
        if (p == NULL) {
            continue; /* not in this table */
        }
        /* the label the manifest names: the partition's, less the suffix when that one exists */
        size_t n = strlen(p->label), k = sizeof OTA_RELEASE_TWIN_SUFFIX - 1;
        char *label = out->data[out->count].label;
        memcpy(label, p->label, n + 1);
        if (n > k && strcmp(p->label + n - k, OTA_RELEASE_TWIN_SUFFIX) == 0) {
            label[n - k] = '\0';
            if (ota_partition_find_by_label(&dev->table, label) == NULL) {
                label[n - k] = OTA_RELEASE_TWIN_SUFFIX[0];
            }
        }
        out->data[out->count++].offset = p->offset;
    }
}

int ota_release_floor(const ota_device_t *dev, uint32_t *out)
{
    if (dev == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    found_t f = {0};
    int err = find(dev, &f);
    *out = f.floor;
    return err;
}

int ota_release_in_progress(const ota_device_t *dev, ota_release_state_t *out)
{
    if (dev == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    found_t f = {0};
    int err = find(dev, &f);
    /* a COMMIT of its sequence after the newest BEGIN ends it */
    if (err == OTA_OK && f.begin.seq != 0 &&
        !(f.commit.sequence == f.begin.sequence && f.commit.seq > f.begin.seq)) {
        state_of(dev, &f.begin, out);
    }
    return err;
}

int ota_release_installed(const ota_device_t *dev, ota_release_state_t *out)
{
    if (dev == NULL || out == NULL) {
        return OTA_ERR_INVALID_ARG;
    }
    memset(out, 0, sizeof *out);
    found_t f = {0};
    uint8_t id[OTA_RELEASE_RECORD_APP_ID_SIZE];
    int err = booted(dev, &f, id);
    if (err == OTA_OK) {
        err = find(dev, &f);
    }
    if (err == OTA_OK && f.binding.seq != 0) {
        state_of(dev, &f.binding, out);
    }
    return err;
}

int ota_release_data_partition(const ota_device_t *dev, const char *label, const ota_partition_info_t **out)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (dev == NULL || label == NULL || out == NULL || label[0] == '\0') {
        return OTA_ERR_INVALID_ARG;
    }
    ota_release_state_t st;
    int err = ota_release_installed(dev, &st);
    for (unsigned i = 0; err == OTA_OK && i < st.count; i++) {
        const ota_partition_info_t *p = part_at(dev, st.data[i].offset);
        if (is_label_or_twin(p->label, label)) {
            *out = p;
            return OTA_OK;
        }
    }
    if (err == OTA_OK) {
        *out = ota_partition_find_by_label(&dev->table, label);
        err = *out != NULL ? OTA_OK : OTA_ERR_NOT_FOUND;
    }
    return err;
}
