/* One item of a release (release_internal.h): the default app or data procedure with a checker and
 * a verifier bound to the item's manifest entry, written into the partition the release chose
 * (the next OTA slot, or the data twin not in use), the app's otadata switch left to the commit.
 *
 * The checker runs the procedure's own first (chip, app description, tone format...), then wants
 * the item's version to be the manifest's; the partition's version does not decide (a skip for
 * "not newer" becomes an install: the release's sequence decides). The verifier counts and hashes
 * every output byte: more bytes than the manifest's size fail at once, fewer or another SHA-256
 * fail after the last byte, before the item commits (OTA_ERR_RELEASE_ITEM_MISMATCH). */
#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/ota_proc_default.h"
#include "ota/ota_semver_packed.h"
#include "ota/ota_tone.h"
#include "boot/ota_release_log.h"
#include "pipeline/path.h"
#include "release_internal.h"
#include "service_internal.h"
#include "service_struct.h"

static const char *TAG = "OTA_RELEASE";

/* The binding of the service's current item. */
static ota_release_item_t *binding_of(ota_service_t *s)
{
    ota_release_run_t *r = (ota_release_run_t *)s->ext;
    return &r->item[s->current_id];
}

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* --- the verifier: size + SHA-256 of the item's bytes ---------------------------------------- */

static int bound_reset(void *arg)
{
    ota_release_item_t *b = arg;
    ota_sha256_init(&b->sha);
    b->fed = 0;
    b->message[0] = '\0';
    return OTA_OK;
}

static int bound_feed(void *arg, const uint8_t *data, size_t len)
{
    ota_release_item_t *b = arg;
    b->fed += len;
    if (b->fed > b->m->size) {
        snprintf(b->message, sizeof b->message, "item is longer than the manifest's %u bytes",
                 (unsigned)b->m->size);
        return OTA_ERR_RELEASE_ITEM_MISMATCH;
    }
    ota_sha256_update(&b->sha, data, len);
    return OTA_OK;
}

static int bound_finish(void *arg, uint64_t total, ota_staged_read_fn read, void *read_arg)
{
    (void)total;
    (void)read;
    (void)read_arg;
    ota_release_item_t *b = arg;
    uint8_t digest[32];
    ota_sha256_final(&b->sha, digest);
    if (b->fed != b->m->size) {
        snprintf(b->message, sizeof b->message, "item has %llu bytes, the manifest says %u",
                 (unsigned long long)b->fed, (unsigned)b->m->size);
    } else if (memcmp(digest, b->m->sha256, sizeof digest) != 0) {
        char got[65], want[65];
        hex(digest, sizeof digest, got);
        hex(b->m->sha256, sizeof digest, want);
        snprintf(b->message, sizeof b->message, "SHA-256 %.16s..., the manifest says %.16s...", got, want);
    } else {
        return OTA_OK;
    }
    OTA_LOGE(TAG, "%s: %s", b->m->label[0] ? b->m->label : "app", b->message);
    return OTA_ERR_RELEASE_ITEM_MISMATCH;
}

static const char *bound_message(void *arg)
{
    const ota_release_item_t *b = arg;
    return b->message;
}

/* --- the checker: the procedure's, then the manifest's version ------------------------------- */

/* The version a data item carries in its first bytes ("" when it has none this can read): a
 * format-1 tone image's description version; else, when the manifest's version is "x.y.z"
 * (ota_semver_pack), the x.y.z of ESP-ADF's 4-byte packed header. */
static void data_version(const ota_release_item_t *b, const uint8_t *head, size_t len, char *out, size_t size)
{
    out[0] = '\0';
    ota_tone_header_t th;
    ota_tone_desc_t td;
    ota_tone_diag_t diag;
    if (len >= 2 && head[0] == 0x53 && head[1] == 0x20) {
        if (ota_tone_header_parse(head, len, &th, &diag) == OTA_OK && th.format == OTA_TONE_FORMAT_1 &&
            ota_tone_desc_parse(head + OTA_TONE_HEADER_SIZE, len - OTA_TONE_HEADER_SIZE, &td, &diag) ==
                OTA_OK) {
            snprintf(out, size, "%s", td.version);
        }
        return;
    }
    uint32_t want = ota_semver_pack(b->m->version);
    if (len >= 4 && want != OTA_SEMVER_PACKED_INVALID) {
        uint32_t have = ota_semver_packed_read_le(head);
        if (have == want) {
            snprintf(out, size, "%s", b->m->version); /* "v1.2.3" is the header's 1.2.3 */
        } else if (ota_semver_unpack(have, out, size) != OTA_OK) {
            snprintf(out, size, "0x%08x", (unsigned)have);
        }
    }
}

static int bound_check(void *arg, const uint8_t *head, size_t len, bool ended)
{
    ota_release_item_t *b = arg;
    ota_item_t *item = b->path;
    int err = b->inner.check(b->inner.ctx, head, len, ended);
    if (err == OTA_ERR_VERSION_NOT_NEWER || err == OTA_ERR_SVC_UP_TO_DATE) {
        err = OTA_OK; /* the release's sequence decides, not the partition's version */
    }
    if (err != OTA_OK) {
        return err;
    }
    char got[OTA_MANIFEST_VERSION_MAX + 1];
    if (b->m->type == OTA_MANIFEST_ITEM_APP) {
        /* the procedure's checker has read the image header and a valid app description */
        ota_app_desc_decode(head + OTA_IMAGE_HEADER_SIZE + OTA_IMAGE_SEGMENT_HEADER_SIZE, &b->desc);
        b->desc_seen = true;
        snprintf(got, sizeof got, "%s", b->desc.version);
    } else {
        data_version(b, head, len, got, sizeof got);
        if (got[0] == '\0') {
            return OTA_OK; /* no version in the bytes: the SHA-256 binds them */
        }
    }
    if (strcmp(got, b->m->version) != 0) {
        return ota_item_refuse(item, OTA_ERR_RELEASE_VERSION, "item's version %s, the manifest says %s", got,
                               b->m->version);
    }
    return OTA_OK;
}

/* --- the procedure ------------------------------------------------------------------------- */

/* A run of the list starts (its first item): what set_release found may have changed since (an
 * earlier run of the same list committed, or the bootloader rolled back): skip an installed
 * release; refuse to write into a partition the device now runs from. */
static int run_start(ota_release_run_t *r)
{
    r->begun = false;
    for (unsigned i = 0; i < r->manifest.count; i++) {
        r->item[i].done = false;
    }
    ota_release_state_t installed;
    int err = ota_release_installed(r->dev, &installed);
    if (err != OTA_OK) {
        return err;
    }
    r->up_to_date = installed.sequence == r->manifest.sequence;
    for (unsigned i = 0; i < r->manifest.count && !r->up_to_date; i++) {
        const ota_release_item_t *b = &r->item[i];
        const ota_partition_info_t *live = ota_device_running(r->dev);
        if (b->m->type == OTA_MANIFEST_ITEM_DATA &&
            (err = ota_release_data_partition(r->dev, b->m->label, &live)) != OTA_OK) {
            return err;
        }
        if (live == b->target) {
            OTA_LOGE(TAG, "%s is in use now: set the release again (ota_service_set_release)", live->label);
            return OTA_ERR_INVALID_STATE;
        }
    }
    return OTA_OK;
}

static int rel_prepare(ota_service_t *s, void **handle, ota_node_attr_t *node)
{
    ota_release_run_t *r = (ota_release_run_t *)s->ext;
    ota_release_item_t *b = binding_of(s);
    *handle = NULL;
    int err = s->current_id == 0 ? run_start(r) : OTA_OK;
    if (err != OTA_OK || r->up_to_date) {
        return err; /* up to date: need_upgrade skips the item; no source opened */
    }
    bool app = b->m->type == OTA_MANIFEST_ITEM_APP;
    err = app ? ota_app_default_prepare(s, handle, node) : ota_data_default_prepare(s, handle, node);
    ota_item_t *item = *handle;
    b->path = item;
    b->desc_seen = false;
    if (err != OTA_OK || item == NULL) {
        return err;
    }
    b->inner = item->checker;
    item->checker = (ota_checker_t){
        .name = "release item", .peek_len = b->inner.peek_len, .check = bound_check, .ctx = b};
    if (app) {
        item->activate = NULL; /* the otadata switch follows the commit (release_commit.c) */
    } else {
        /* the manifest binds the size: the twin's bytes after the item are not erased (readers
         * stop at the item's end; docs/releases.md "Installed as one") */
        item->writer.keep_tail = true; /* into the journal header (resume.c), then the writer */
    }
    ota_verifier_t v = {.name = "release size+sha256",
                        .reset = bound_reset,
                        .feed = bound_feed,
                        .finish = bound_finish,
                        .message = bound_message,
                        .ctx = b};
    bound_reset(b);
    err = ota_item_add_verifier(item, &v);
    if (err == OTA_OK) {
        /* first: the manifest's size and SHA-256 decide before the item's own checks do (a tone
         * image's validator, a signature) */
        memmove(&item->verifier[1], &item->verifier[0], (item->verifiers - 1) * sizeof item->verifier[0]);
        item->verifier[0] = v;
    }
    return err;
}

static int rel_need_upgrade(void *handle, ota_node_attr_t *node)
{
    if (handle == NULL) {
        return OTA_ERR_SVC_UP_TO_DATE; /* the release is installed already */
    }
    ota_item_t *item = handle;
    ota_service_t *s = ota_item_service(item);
    ota_release_run_t *r = (ota_release_run_t *)s->ext;
    ota_release_item_t *b = binding_of(s);
    if (item->total >= 0 && (uint64_t)item->total != b->m->size) {
        return ota_item_refuse(item, OTA_ERR_RELEASE_ITEM_MISMATCH,
                               "item has %lld bytes, the manifest says %u", (long long)item->total,
                               (unsigned)b->m->size);
    }
    bool app = b->m->type == OTA_MANIFEST_ITEM_APP;
    int err = app ? ota_app_default_need_upgrade(handle, node) : ota_data_default_need_upgrade(handle, node);
    if (ota_item_result_of(err) == OTA_ITEM_SKIPPED) {
        return ota_item_refuse(item, OTA_ERR_RELEASE_VERSION, "item refused by its procedure: %s",
                               ota_strerror(err));
    }
    if (err == OTA_OK && item->stages != NULL) {
        /* the manifest's SHA-256 is of the item's bytes; with a stage the output differs */
        return ota_item_refuse(item, OTA_ERR_NOT_SUPPORTED,
                               "encrypted or delta items are not supported in a release yet");
    }
    bool check_only = item->events->check_only != NULL && item->events->check_only(item->events_ctx);
    if (err == OTA_OK && !r->begun && !check_only) { /* ESP-ADF's check_update writes nothing */
        /* before the first erase: the release floor, and "in progress" (ota_release_log.h) */
        err = ota_release_log_begin(item->device, r->manifest.sequence, r->otadata_seq);
        r->begun = err == OTA_OK;
    }
    return err;
}

static int rel_execute(void *handle, ota_node_attr_t *node)
{
    ota_item_t *item = handle;
    ota_release_item_t *b = binding_of(ota_item_service(item));
    return b->m->type == OTA_MANIFEST_ITEM_APP ? ota_app_default_execute(handle, node)
                                               : ota_data_default_execute(handle, node);
}

static int rel_finished_check(void *handle, ota_node_attr_t *node, int result)
{
    if (handle == NULL) {
        return result != OTA_OK ? result : OTA_ERR_INVALID_STATE;
    }
    ota_item_t *item = handle;
    ota_release_item_t *b = binding_of(ota_item_service(item));
    bool app = b->m->type == OTA_MANIFEST_ITEM_APP;
    result = app ? ota_app_default_finished_check(handle, node, result)
                 : ota_data_default_finished_check(handle, node, result);
    b->path = NULL;
    b->done = result == OTA_OK && (!app || b->desc_seen);
    return result;
}

void ota_release_item_proc(ota_upgrade_ops_t *ops)
{
    ops->prepare = rel_prepare;
    ops->need_upgrade = rel_need_upgrade;
    ops->execute_upgrade = rel_execute;
    ops->finished_check = rel_finished_check;
}
