/* ota_bench release: the simulated flash time of a release installed as one
 * (ota_service_set_release, include/ota/ota_release.h) per partition it touches, against writing
 * the same items once (the floor) and against today's single-item updates of the same bytes;
 * ota_bench space: the flash the mechanism needs (one twin per data partition a release can name)
 * for each partition table given. */
#include "ota_bench.h"
#include "ota/ota_manifest.h"
#include "ota/ota_release.h"
#include "ota/sim/ota_partition_csv.h"

/* ---- a flash that charges every operation to the partition it addresses ------------------- */

#define OUTSIDE OTA_PARTITION_MAX_ENTRIES /* bootloader, partition table: no partition */

typedef struct {
    ota_flash_t flash; /* first member: handed to the device */
    const ota_flash_t *inner;
    const ota_flash_emu_t *emu;
    const ota_partition_table_t *table;
    ota_flash_emu_stats_t per[OTA_PARTITION_MAX_ENTRIES + 1];
} part_flash_t;

static size_t part_index(const part_flash_t *p, uint32_t addr)
{
    for (size_t i = 0; i < p->table->count; i++) {
        const ota_partition_info_t *e = &p->table->entries[i];
        if (addr >= e->offset && addr - e->offset < e->size) {
            return i;
        }
    }
    return OUTSIDE;
}

/* Add what the emulator counted between @p before and now to the partition holding @p addr. */
static void charge(part_flash_t *p, uint32_t addr, const ota_flash_emu_stats_t *before)
{
    ota_flash_emu_stats_t now;
    ota_flash_emu_get_stats(p->emu, &now);
    ota_flash_emu_stats_t *s = &p->per[part_index(p, addr)];
    s->read_ops += now.read_ops - before->read_ops;
    s->read_bytes += now.read_bytes - before->read_bytes;
    s->program_ops += now.program_ops - before->program_ops;
    s->program_bytes += now.program_bytes - before->program_bytes;
    s->program_pages += now.program_pages - before->program_pages;
    s->sector_erases += now.sector_erases - before->sector_erases;
    s->block_erases += now.block_erases - before->block_erases;
    s->erase_bytes += now.erase_bytes - before->erase_bytes;
    s->sim_time_ns += now.sim_time_ns - before->sim_time_ns;
}

static int pf_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    part_flash_t *p = ctx;
    ota_flash_emu_stats_t before;
    ota_flash_emu_get_stats(p->emu, &before);
    int err = p->inner->ops->read(p->inner->ctx, addr, buf, len);
    charge(p, addr, &before);
    return err;
}

static int pf_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    part_flash_t *p = ctx;
    ota_flash_emu_stats_t before;
    ota_flash_emu_get_stats(p->emu, &before);
    int err = p->inner->ops->program(p->inner->ctx, addr, buf, len);
    charge(p, addr, &before);
    return err;
}

static int pf_erase(void *ctx, uint32_t addr, uint32_t len)
{
    part_flash_t *p = ctx;
    ota_flash_emu_stats_t before;
    ota_flash_emu_get_stats(p->emu, &before);
    int err = p->inner->ops->erase(p->inner->ctx, addr, len);
    charge(p, addr, &before);
    return err;
}

static int pf_map(void *ctx, uint32_t addr, size_t len, const void **out)
{
    part_flash_t *p = ctx;
    ota_flash_emu_stats_t before;
    ota_flash_emu_get_stats(p->emu, &before);
    int err = p->inner->ops->map(p->inner->ctx, addr, len, out);
    charge(p, addr, &before);
    return err;
}

static const ota_flash_ops_t k_part_ops = {
    .read = pf_read, .program = pf_program, .erase = pf_erase, .map = pf_map};

/* What the data twins (label + "_b") hold before the release (not counted: the chip's state). */
typedef enum {
    TWINS_STALE,    /* old bytes to their end (fill_stale), as section 4's data partition: the worst case */
    TWINS_PREVIOUS, /* the previous release's item, erased to the end: the live partition's bytes */
} twins_t;

/* Put @p d back to its pristine bytes, the twins as @p twins says, and charge every operation
 * from now on per partition. */
static void reset_wrapped(bench_device_t *d, part_flash_t *pf, twins_t twins)
{
    device_reset(d);
    uint8_t *mem = ota_flash_emu_memory(d->emu);
    for (size_t i = 0; i < d->dev->table.count; i++) {
        const ota_partition_info_t *e = &d->dev->table.entries[i];
        size_t n = strlen(e->label), k = strlen(OTA_RELEASE_TWIN_SUFFIX);
        if (e->type != OTA_PART_TYPE_DATA || n <= k ||
            strcmp(e->label + n - k, OTA_RELEASE_TWIN_SUFFIX) != 0) {
            continue;
        }
        char base[OTA_PARTITION_LABEL_MAX + 1];
        snprintf(base, sizeof base, "%.*s", (int)(n - k), e->label);
        const ota_partition_info_t *live = ota_partition_find_by_label(&d->dev->table, base);
        if (twins == TWINS_PREVIOUS && live != NULL && live->size == e->size) {
            memcpy(mem + e->offset, mem + live->offset, e->size);
        } else {
            fill_stale(d, e, true);
        }
    }
    ota_flash_emu_reset_stats(d->emu);
    memset(pf, 0, sizeof *pf);
    pf->inner = ota_flash_emu_flash(d->emu);
    pf->emu = d->emu;
    pf->table = &d->dev->table;
    pf->flash = *pf->inner;
    pf->flash.ops = &k_part_ops;
    pf->flash.ctx = pf;
    d->dev->flash = &pf->flash;
}

/* One JSON line per partition the run touched, then the run's total (the emulator's own). */
static void print_parts(const char *run, const bench_device_t *d, const part_flash_t *pf)
{
    for (size_t i = 0; i <= OUTSIDE; i++) {
        const ota_flash_emu_stats_t *s = &pf->per[i];
        if (s->sim_time_ns == 0 && s->read_ops + s->program_ops + s->sector_erases + s->block_erases == 0) {
            continue;
        }
        const ota_partition_info_t *e = i < OUTSIDE ? &d->dev->table.entries[i] : NULL;
        printf("{\"cmd\":\"release_ops\",\"run\":\"%s\",\"label\":\"%s\",\"offset\":%u,\"size\":%u,", run,
               e ? e->label : "(outside any partition)", e ? (unsigned)e->offset : 0u,
               e ? (unsigned)e->size : 0u);
        print_flash_stats(s);
        printf("}\n");
    }
    ota_flash_emu_stats_t all;
    ota_flash_emu_get_stats(d->emu, &all);
    printf("{\"cmd\":\"release_ops\",\"run\":\"%s\",\"label\":\"(total)\",\"offset\":0,\"size\":0,", run);
    print_flash_stats(&all);
    printf("}\n");
}

/* ---- the items ---------------------------------------------------------------------------- */

typedef struct {
    ota_manifest_t m;
    char path[OTA_MANIFEST_MAX_ITEMS][OTA_MANIFEST_URI_MAX + 1]; /* the item's file (file:// URI) */
    const ota_partition_info_t *target[OTA_MANIFEST_MAX_ITEMS];  /* where a release writes it */
} items_t;

static void load_items(const char *manifest_path, const bench_device_t *d, items_t *it)
{
    size_t len;
    uint8_t *text = read_file(manifest_path, &len);
    ota_manifest_diag_t diag;
    int err = ota_manifest_parse((const char *)text, ota_manifest_json_len(text, len), &it->m, &diag);
    free(text);
    if (err != OTA_OK) {
        die("%s: not a release manifest", manifest_path, err);
    }
    for (unsigned i = 0; i < it->m.count; i++) {
        const ota_manifest_item_t *item = &it->m.items[i];
        if (strncmp(item->uri, "file://", 7) != 0) {
            die("item %s: the bench wants absolute file:// URIs (ota release make --uri-base file:///...)",
                item->label, 0);
        }
        size_t n = strlen(item->uri + 7);
        memcpy(it->path[i], item->uri + 7, n + 1); /* fits: uri holds at most as many bytes */
        if (item->type == OTA_MANIFEST_ITEM_APP) {
            it->target[i] = item->label[0] ? ota_partition_find_by_label(&d->dev->table, item->label)
                                           : ota_ops_get_next_update_partition(d->dev, NULL);
        } else {
            char twin[OTA_PARTITION_LABEL_MAX + 8];
            snprintf(twin, sizeof twin, "%s%s", item->label, OTA_RELEASE_TWIN_SUFFIX);
            it->target[i] = ota_partition_find_by_label(&d->dev->table, twin);
        }
        if (it->target[i] == NULL) {
            die("item %s: no partition to write it to (a data item needs its twin)", item->label, 0);
        }
    }
}

/* The partition's first @p size bytes have SHA-256 @p sha. */
static bool holds(const bench_device_t *d, const ota_partition_info_t *p, uint32_t size,
                  const uint8_t sha[32])
{
    uint8_t got[OTA_SHA256_LEN];
    ota_sha256(ota_flash_emu_memory(d->emu) + p->offset, size, got);
    return memcmp(got, sha, sizeof got) == 0;
}

#ifdef BENCH_HAVE_RELEASE
/* The release through the service, as firmware installs it; then (not counted) the restart into
 * the simulated bootloader and the checks that it was installed as one. */
static void run_release(bench_device_t *d, const char *manifest_path, const items_t *it, twins_t twins)
{
    part_flash_t pf;
    reset_wrapped(d, &pf, twins);
    size_t mlen;
    uint8_t *mtext = read_file(manifest_path, &mlen);
    char base[4200];
    char abs[4096];
    if (realpath(manifest_path, abs) == NULL) {
        die("cannot resolve %s", manifest_path, 0);
    }
    snprintf(base, sizeof base, "file://%s", abs);
    ota_source_posix_config_t transport = {.proxy = ""};
    ota_service_config_t cfg = {.features = &ota_update_features_all,
                                .device = d->dev,
                                .work_buffer_size = 4096,
                                .source = {.transport = &transport}};
    ota_service_t *svc = NULL;
    int err = ota_service_create(&cfg, &svc);
    ota_release_config_t rcfg = {
        .manifest = mtext, .manifest_len = mlen, .base_uri = base, .allow_unsigned = true};
    ota_release_diag_t diag = {.item = -1};
    if (err == OTA_OK) {
        err = ota_service_set_release(svc, &rcfg, &diag);
    }
    ota_service_summary_t sum = {0};
    if (err == OTA_OK) {
        err = ota_service_run(svc, &sum);
    }
    ota_service_destroy(svc);
    free(mtext);
    if (err != OTA_OK || sum.first_error != OTA_OK) {
        die("the release failed (item %s)", diag.item >= 0 ? it->m.items[diag.item].label : "-",
            err != OTA_OK ? err : sum.first_error);
    }
    d->dev->flash = pf.inner;
    print_parts(twins == TWINS_STALE ? "release" : "release:previous", d, &pf);

    /* not counted: restart, boot, and what the device now runs */
    ota_device_set_running(d->dev, NULL);
    ota_boot_result_t boot;
    char why[160] = "";
    ota_release_state_t st = {0};
    err = ota_bootloader_run(d->dev, &boot);
    const char *booted = err == OTA_OK && boot.partition != NULL ? boot.partition->label : "";
    if (err != OTA_OK) {
        snprintf(why, sizeof why, "the device does not boot after the release (%s)", ota_err_name(err));
    } else if ((err = ota_release_installed(d->dev, &st)) != OTA_OK || st.sequence != it->m.sequence) {
        snprintf(why, sizeof why, "after the boot ota_release_installed() gives sequence %u (%s), not %u",
                 (unsigned)st.sequence, ota_err_name(err), (unsigned)it->m.sequence);
    }
    for (unsigned i = 0; why[0] == '\0' && i < it->m.count; i++) {
        const ota_manifest_item_t *item = &it->m.items[i];
        const ota_partition_info_t *p = NULL;
        if (item->type == OTA_MANIFEST_ITEM_APP) {
            p = boot.partition;
        } else if (ota_release_data_partition(d->dev, item->label, &p) != OTA_OK) {
            p = NULL;
        }
        if (p != it->target[i] || !holds(d, p, item->size, item->sha256)) {
            snprintf(why, sizeof why, "item %s: the device runs it from %s, not from %s holding the item",
                     item->label[0] ? item->label : "app", p ? p->label : "nothing", it->target[i]->label);
        }
    }
    /* the release wrote the items where it should have, whatever the device now resolves */
    for (unsigned i = 0; i < it->m.count; i++) {
        if (!holds(d, it->target[i], it->m.items[i].size, it->m.items[i].sha256)) {
            die("%s does not hold its item after the release", it->target[i]->label, 0);
        }
    }
    printf("{\"cmd\":\"release_check\",\"run\":\"%s\",\"ok\":%s,\"why\":\"%s\",\"sequence\":%u,\"booted\":\"%"
           "s\"}\n",
           twins == TWINS_STALE ? "release" : "release:previous", why[0] ? "false" : "true", why,
           (unsigned)st.sequence, booted);
}
#endif

/* Today's update of one item alone: the default app or data procedure (ota_proc_default.h, what
 * the release engine builds its items on) with one item in the list, into the item's own label. */
static void run_single(bench_device_t *d, const items_t *it, unsigned i)
{
    const ota_manifest_item_t *item = &it->m.items[i];
    part_flash_t pf;
    reset_wrapped(d, &pf, TWINS_PREVIOUS);
    bool app = item->type == OTA_MANIFEST_ITEM_APP;
    ota_source_posix_config_t transport = {.proxy = ""};
    ota_service_config_t cfg = {.features = &ota_update_features_all,
                                .device = d->dev,
                                .work_buffer_size = 4096,
                                .source = {.transport = &transport}};
    ota_upgrade_ops_t op;
    memset(&op, 0, sizeof op);
    if (app) {
        ota_app_get_default_proc(&op);
    } else {
        ota_data_get_default_proc(&op);
    }
    op.node.type = app ? OTA_PART_TYPE_APP : OTA_PART_TYPE_DATA;
    op.node.label = app ? NULL : item->label;
    op.node.uri = item->uri;
    ota_service_t *svc = NULL;
    ota_service_summary_t sum = {0};
    int err = ota_service_create(&cfg, &svc);
    if (err == OTA_OK) {
        err = ota_service_set_upgrade_list(svc, &op, 1);
    }
    if (err == OTA_OK) {
        err = ota_service_run(svc, &sum);
    }
    ota_service_destroy(svc);
    d->dev->flash = pf.inner;
    const ota_partition_info_t *p =
        app ? it->target[i] : ota_partition_find_by_label(&d->dev->table, item->label);
    if (err != OTA_OK || sum.succeeded != 1 || !holds(d, p, item->size, item->sha256)) {
        die("the single update of %s failed", item->label[0] ? item->label : "the app",
            err != OTA_OK ? err : sum.first_error);
    }
    char run[64];
    snprintf(run, sizeof run, "single:%s", app ? "app" : item->label);
    print_parts(run, d, &pf);
}

/* The floor of item @p i on its release target: the item's bytes written once (cover "item"),
 * and written once with the stale rest of the partition erased too (cover "partition"). */
static void run_floor(bench_device_t *d, const items_t *it, unsigned i, bool whole)
{
    const ota_partition_info_t *p = it->target[i];
    size_t len;
    uint8_t *data = read_file(it->path[i], &len);
    device_reset(d);
    fill_stale(d, p, true);
    ota_flash_emu_reset_stats(d->emu);
    const ota_flash_t *flash = ota_flash_emu_flash(d->emu);
    floor_strategy(flash, &ota_flash_emu_config(d->emu)->timing, p->offset, data, len,
                   whole ? p->offset + p->size : 0);
    free(data);
    ota_flash_emu_stats_t s;
    ota_flash_emu_get_stats(d->emu, &s);
    printf("{\"cmd\":\"release_floor\",\"item\":\"%s\",\"type\":\"%s\",\"target\":\"%s\",\"target_size\":%u,"
           "\"bytes\":%u,\"cover\":\"%s\",",
           it->m.items[i].label[0] ? it->m.items[i].label : "app",
           it->m.items[i].type == OTA_MANIFEST_ITEM_APP ? "app" : "data", p->label, (unsigned)p->size,
           (unsigned)it->m.items[i].size, whole ? "partition" : "item");
    print_flash_stats(&s);
    putchar(',');
    print_timing(ota_flash_emu_config(d->emu));
    printf("}\n");
}

int cmd_release(const options_t *o)
{
    if (o->device == NULL || o->image == NULL) {
        die("release needs --device and a manifest%s", "", 0);
    }
    bench_device_t d = {.pristine_path = o->device, .running = o->running};
    device_load(&d);
    device_reset(&d);
    items_t it;
    load_items(o->image, &d, &it);
#ifdef BENCH_HAVE_RELEASE
    run_release(&d, o->image, &it, TWINS_STALE);
    run_release(&d, o->image, &it, TWINS_PREVIOUS);
#else
    printf("{\"cmd\":\"release_unavailable\",\"why\":\"ota_service_set_release is not in this build\"}\n");
#endif
    for (unsigned i = 0; i < it.m.count; i++) {
        run_single(&d, &it, i);
        run_floor(&d, &it, i, false);
        run_floor(&d, &it, i, true);
    }
    ota_flash_emu_destroy(d.emu);
    free(d.pristine);
    return 0;
}

/* ---- ota_bench space: the twins a release needs, per partition table ---------------------- */

/* A data partition a release can name: any but ESP-IDF's own (otadata, phy, nvs, nvs_keys,
 * coredump, efuse, TEE otadata), which hold the device's state, not a release's. */
static bool releasable(const ota_partition_info_t *e)
{
    if (e->type != OTA_PART_TYPE_DATA) {
        return false;
    }
    switch (e->subtype) {
    case OTA_PART_SUBTYPE_DATA_OTA:
    case OTA_PART_SUBTYPE_DATA_PHY:
    case OTA_PART_SUBTYPE_DATA_NVS:
    case OTA_PART_SUBTYPE_DATA_COREDUMP:
    case OTA_PART_SUBTYPE_DATA_NVS_KEYS:
    case OTA_PART_SUBTYPE_DATA_EFUSE:
    case OTA_PART_SUBTYPE_DATA_TEE_OTA: return false;
    default: return true;
    }
}

/* @p e is a data partition a release can name whose twin is not in the table yet (a partition
 * that is itself the twin of another one is counted with it). */
static bool needs_twin(const ota_partition_table_t *t, const ota_partition_info_t *e)
{
    if (!releasable(e)) {
        return false;
    }
    char name[OTA_PARTITION_LABEL_MAX + 8];
    snprintf(name, sizeof name, "%s%s", e->label, OTA_RELEASE_TWIN_SUFFIX);
    if (ota_partition_find_by_label(t, name) != NULL) {
        return false;
    }
    size_t n = strlen(e->label), k = strlen(OTA_RELEASE_TWIN_SUFFIX);
    if (n > k && strcmp(e->label + n - k, OTA_RELEASE_TWIN_SUFFIX) == 0) {
        snprintf(name, sizeof name, "%.*s", (int)(n - k), e->label);
        if (ota_partition_find_by_label(t, name) != NULL) {
            return false;
        }
    }
    return true;
}

static bool same_table(const ota_partition_table_t *a, const ota_partition_table_t *b)
{
    if (a->count != b->count) {
        return false;
    }
    for (size_t i = 0; i < a->count; i++) {
        const ota_partition_info_t *x = &a->entries[i], *y = &b->entries[i];
        if (strcmp(x->label, y->label) != 0 || x->type != y->type || x->subtype != y->subtype ||
            x->offset != y->offset || x->size != y->size) {
            return false;
        }
    }
    return true;
}

static void space_one(const char *csv)
{
    size_t len;
    char *text = (char *)read_file(csv, &len);
    ota_partition_table_t t;
    ota_partition_diag_t diag = {0};
    int err = ota_partition_table_parse_csv(text, len, NULL, &t, &diag);
    free(text);
    if (err != OTA_OK) {
        die("%s: not a valid partition table", csv, err);
    }
    /* the .bin gen_esp32part.py made from the CSV, when there is one, must say the same */
    char bin[4096] = "";
    size_t clen = strlen(csv);
    if (clen > 4 && clen < sizeof bin && strcmp(csv + clen - 4, ".csv") == 0) {
        memcpy(bin, csv, clen - 4);
        memcpy(bin + clen - 4, ".bin", 5);
    }
    const char *checked = "none";
    if (bin[0] != '\0' && access(bin, R_OK) == 0) {
        size_t blen;
        uint8_t *b = read_file(bin, &blen);
        ota_partition_table_t tb;
        if (ota_partition_table_from_binary(b, blen, &tb, &diag) != OTA_OK || !same_table(&t, &tb)) {
            die("%s: the .bin next to it holds another table", csv, 0);
        }
        free(b);
        checked = "bin";
    }
    uint64_t end = 0, extra = 0;
    unsigned slots = 0, twins = 0;
    bool otadata = false;
    printf("{\"cmd\":\"space\",\"table\":\"%s\",\"checked_against\":\"%s\",\"entries\":%zu,\"data\":[", csv,
           checked, t.count);
    for (size_t i = 0; i < t.count; i++) {
        const ota_partition_info_t *e = &t.entries[i];
        end = e->offset + (uint64_t)e->size > end ? e->offset + (uint64_t)e->size : end;
        otadata |= e->type == OTA_PART_TYPE_DATA && e->subtype == OTA_PART_SUBTYPE_DATA_OTA;
        slots += e->type == OTA_PART_TYPE_APP && e->subtype >= OTA_PART_SUBTYPE_APP_OTA_0 &&
                 e->subtype <= OTA_PART_SUBTYPE_APP_OTA_MAX;
        if (!needs_twin(&t, e)) {
            continue;
        }
        size_t n = strlen(e->label), k = strlen(OTA_RELEASE_TWIN_SUFFIX);
        printf("%s{\"label\":\"%s\",\"subtype\":%u,\"size\":%u,\"twin_fits_label\":%s}", twins ? "," : "",
               e->label, (unsigned)e->subtype, (unsigned)e->size,
               n + k <= OTA_PARTITION_LABEL_MAX ? "true" : "false");
        extra += e->size;
        twins++;
    }
    /* twins appended after the last partition, each on a 4 KiB boundary (data partitions) */
    uint64_t end_twins = (end + 0xFFFu) & ~(uint64_t)0xFFFu;
    for (size_t i = 0, n = 0; i < t.count && n < twins; i++) {
        const ota_partition_info_t *e = &t.entries[i];
        if (needs_twin(&t, e)) {
            end_twins = ((end_twins + 0xFFFu) & ~(uint64_t)0xFFFu) + e->size;
            n++;
        }
    }
    printf("],\"twins\":%u,\"extra_bytes\":%llu,\"end\":%llu,\"end_with_twins\":%llu,\"otadata\":%s,"
           "\"ota_slots\":%u,\"entries_with_twins\":%zu,\"max_entries\":%u}\n",
           twins, (unsigned long long)extra, (unsigned long long)end, (unsigned long long)end_twins,
           otadata ? "true" : "false", slots, t.count + twins, OTA_PARTITION_MAX_ENTRIES - 1u);
}

int cmd_space(int argc, char **argv)
{
    if (argc < 1) {
        die("space needs partition table CSV files%s", "", 0);
    }
    for (int i = 0; i < argc; i++) {
        space_one(argv[i]);
    }
    return 0;
}
