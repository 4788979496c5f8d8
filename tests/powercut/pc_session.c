/* The sessions the cuts interrupt (power-on, boot, the example's service run, restart), the spy
 * flash that logs and checks every operation, and the memory source of the new app. */
#include "powercut.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_ops.h"
#include "ota/ota_otadata.h"
#include "ota/ota_partition.h"
#include "ota/port/ota_source.h"
#include "ota/ota_update_features.h"
#include "ota/sim/ota_example_host.h"

/* --- the spy flash: every program/erase is logged and checked before the emulator sees it ---- */

const char *pc_partition_at(const pc_harness_t *h, uint32_t addr, uint32_t *rel)
{
    for (size_t i = 0; i < h->dev.table.count; i++) {
        const ota_partition_info_t *p = &h->dev.table.entries[i];
        if (addr >= p->offset && addr - p->offset < p->size) {
            *rel = addr - p->offset;
            return p->label;
        }
    }
    *rel = addr;
    return addr >= OTA_PARTITION_TABLE_OFFSET && addr < OTA_PARTITION_TABLE_OFFSET + 0x1000
               ? "partition table"
               : "?";
}

static void spy_note(pc_harness_t *h, bool erase, uint32_t addr, uint32_t len, uint64_t before, int result)
{
    if (!h->watch) {
        return;
    }
    const ota_partition_info_t *running = ota_device_running(&h->dev);
    if (running != NULL && addr < running->offset + running->size && running->offset < addr + len) {
        uint32_t rel;
        const char *label = pc_partition_at(h, addr, &rel);
        pc_violation(h, PC_INV_RUNNING, "%s of %u bytes at 0x%06x (%s+0x%x) while %s runs from there",
                     erase ? "erase" : "program", (unsigned)len, (unsigned)addr, label, (unsigned)rel,
                     running->label);
    }
    /* a release: nor any data partition the running app reads its release's data from */
    for (int i = 0; running != NULL && h->scenario == PC_SCENARIO_RELEASE && i < PC_DATA_ITEMS; i++) {
        const ota_partition_info_t *p = h->resolved[i];
        if (p != NULL && addr < p->offset + p->size && p->offset < addr + len) {
            pc_violation(h, PC_INV_RUNNING,
                         "%s of %u bytes at 0x%06x (%s) while the running app reads its data there",
                         erase ? "erase" : "program", (unsigned)len, (unsigned)addr, p->label);
        }
    }
    if (result == OTA_ERR_FLASH_PROGRAM_ONE || result == OTA_ERR_FLASH_MISALIGNED) {
        pc_violation(h, PC_INV_NOR, "%s at 0x%06x breaks the NOR rules: %s", erase ? "erase" : "program",
                     (unsigned)ota_flash_emu_last_fault_addr(h->emu), ota_strerror(result));
    }
    if (ota_flash_emu_op_count(h->emu) == before) {
        return; /* refused before it reached the chip (power off, NOR rule): not an operation */
    }
    if (h->log_len == h->log_cap) {
        size_t cap = h->log_cap ? h->log_cap * 2 : 1024;
        pc_op_t *grown = realloc(h->log, cap * sizeof *grown);
        if (grown == NULL) {
            return;
        }
        h->log = grown;
        h->log_cap = cap;
    }
    h->log[h->log_len++] = (pc_op_t){
        .n = ota_flash_emu_op_count(h->emu) - h->session_base,
        .erase = erase,
        .addr = addr,
        .len = len,
        .result = result,
    };
}

static int spy_read(void *ctx, uint32_t addr, void *buf, size_t len)
{
    pc_harness_t *h = ctx;
    return h->real->ops->read(h->real->ctx, addr, buf, len);
}

static int spy_program(void *ctx, uint32_t addr, const void *buf, size_t len)
{
    pc_harness_t *h = ctx;
    uint64_t before = ota_flash_emu_op_count(h->emu);
    int err = h->real->ops->program(h->real->ctx, addr, buf, len);
    spy_note(h, false, addr, (uint32_t)len, before, err);
    return err;
}

static int spy_erase(void *ctx, uint32_t addr, uint32_t len)
{
    pc_harness_t *h = ctx;
    uint64_t before = ota_flash_emu_op_count(h->emu);
    int err = h->real->ops->erase(h->real->ctx, addr, len);
    spy_note(h, true, addr, len, before, err);
    return err;
}

static int spy_map(void *ctx, uint32_t addr, size_t len, const void **out)
{
    pc_harness_t *h = ctx;
    return h->real->ops->map(h->real->ctx, addr, len, out);
}

static const ota_flash_ops_t k_spy_ops = {spy_read, spy_program, spy_erase, spy_map};

void pc_spy_attach(pc_harness_t *h)
{
    h->real = ota_flash_emu_flash(h->emu);
    h->spy = *h->real;
    h->spy.ops = &k_spy_ops;
    h->spy.ctx = h;
}

void pc_describe_op(const pc_harness_t *h, uint64_t n, char *buf, size_t size)
{
    for (size_t i = 0; i < h->log_len; i++) {
        if (h->log[i].n == n) {
            const pc_op_t *op = &h->log[i];
            uint32_t rel;
            const char *label = pc_partition_at(h, op->addr, &rel);
            snprintf(buf, size, "%s %u B at 0x%06x (%s+0x%x)", op->erase ? "erase" : "program",
                     (unsigned)op->len, (unsigned)op->addr, label, (unsigned)rel);
            return;
        }
    }
    snprintf(buf, size, "operation %llu not in the log", (unsigned long long)n);
}

void pc_describe_otadata(const pc_harness_t *h, char *buf, size_t size)
{
    const uint8_t *mem = ota_flash_emu_memory(h->emu);
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < 2 && used < size; i++) {
        ota_otadata_entry_t e;
        ota_otadata_entry_decode(mem + h->otadata->offset + (uint32_t)i * OTA_OTADATA_SECTOR_SIZE, &e);
        char st[12];
        int w;
        if (e.ota_seq == OTA_OTADATA_SEQ_BLANK) {
            w = snprintf(buf + used, size - used, "%s[%d] blank", i ? ", " : "", i);
        } else {
            w = snprintf(buf + used, size - used, "%s[%d] seq %u %s%s", i ? ", " : "", i, (unsigned)e.ota_seq,
                         ota_otadata_state_name(e.ota_state, st),
                         ota_otadata_entry_is_valid(&e) ? "" : " (invalid)");
        }
        used += w > 0 ? (size_t)w : 0;
    }
}

/* --- the app's source: the image built in memory, resumable like a file with an ETag -------- */

typedef struct {
    ota_source_t base;
    const uint8_t *data;
    size_t len, pos;
} mem_source_t;

static int mem_read(ota_source_t *src, void *buf, size_t len)
{
    mem_source_t *m = (mem_source_t *)src;
    size_t n = m->len - m->pos;
    if (n > len) {
        n = len;
    }
    if (n > INT_MAX) {
        n = INT_MAX;
    }
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    m->base.info.offset = m->pos;
    return (int)n;
}

static void mem_close(ota_source_t *src)
{
    free(src);
}

static const ota_source_ops_t k_mem_ops = {mem_read, mem_close};

static int pc_open_source(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                          const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    pc_harness_t *h = ctx;
    if (strcmp(uri, PC_APP_URI) != 0) {
        return ota_source_open(NULL, cfg, uri, offset, expect, out, diag); /* the tone: file:///... */
    }
    const pc_images_t *img = h->img;
    if (offset > img->app_stream_len) {
        return OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    if (expect != NULL && ((expect->etag[0] != '\0' && strcmp(expect->etag, img->app_etag) != 0) ||
                           (expect->total_size >= 0 && (size_t)expect->total_size != img->app_stream_len))) {
        return OTA_ERR_SRC_RESOURCE_CHANGED;
    }
    mem_source_t *m = calloc(1, sizeof *m);
    if (m == NULL) {
        return OTA_ERR_NO_MEM;
    }
    m->base.ops = &k_mem_ops;
    m->base.info.total_size = (int64_t)img->app_stream_len;
    m->base.info.offset = offset;
    snprintf(m->base.info.etag, sizeof m->base.info.etag, "%s", img->app_etag);
    m->data = img->app_stream;
    m->len = img->app_stream_len;
    if (expect != NULL && expect->length != 0 && expect->length < m->len - (size_t)offset) {
        m->len = (size_t)offset + (size_t)expect->length; /* a bounded request (ota_source.h) */
    }
    m->pos = (size_t)offset;
    *out = &m->base;
    return OTA_OK;
}

/* --- sessions ------------------------------------------------------------------------------- */

static bool powered_off(const pc_harness_t *h)
{
    return ota_flash_emu_is_powered_off(h->emu);
}

/* A reset: the bootloader picks and verifies an app, then the app starts and, if it is new
 * (PENDING_VERIFY), confirms itself as an ESP-IDF app with rollback does once its self-test
 * passed (host.c does the same). */
static int boot(pc_harness_t *h)
{
    ota_device_set_running(&h->dev, NULL);
    memset(h->resolved, 0, sizeof h->resolved);
    ota_boot_result_t br;
    memset(&br, 0, sizeof br);
    int err = ota_bootloader_run(&h->dev, &br);
    if (powered_off(h)) {
        return PC_STEP_CUT;
    }
    pc_check_boot(h, err, err == OTA_OK ? br.partition : NULL, br.image.app_desc.version);
    if (err != OTA_OK || br.partition == NULL) {
        return PC_STEP_FATAL;
    }
    const ota_partition_info_t *running = ota_device_running(&h->dev);
    if (h->session_boot_slot < 0) {
        h->session_boot_slot = running == h->slot[0] ? 0 : running == h->slot[1] ? 1 : -1;
    }
    uint32_t state = 0;
    if (h->dev.rollback_enabled && ota_partition_is_ota_app(running) &&
        ota_ops_get_state_partition(&h->dev, running, &state) == OTA_OK && state == OTA_IMG_PENDING_VERIFY) {
        if (h->rollback) {
            /* --rollback: the new app's self-test fails and it resets before doing anything else
             * (it never confirms); at that reset the bootloader rolls it back */
            return boot(h);
        }
        err = ota_ops_mark_app_valid_cancel_rollback(&h->dev);
        if (powered_off(h)) {
            return PC_STEP_CUT;
        }
        if (err != OTA_OK) {
            pc_violation(h, PC_INV_BOOT, "the new app %s cannot confirm itself: %s", running->label,
                         ota_strerror(err));
            return PC_STEP_FATAL;
        }
    }
    return PC_STEP_OK;
}

static void on_restart(void *ctx)
{
    pc_harness_t *h = ctx;
    h->hook_status = boot(h);
}

static void on_event(const ota_event_t *ev, void *ctx)
{
    pc_harness_t *h = ctx;
    if (ev->type == OTA_EVENT_RESULT && ev->id >= 0 && ev->id < PC_MAX_ITEMS) {
        h->item_result[ev->id] = (int)ev->result.result;
        h->item_reason[ev->id] = ev->result.reason;
    }
    if (ev->type == OTA_EVENT_RESULT && ev->result.result == OTA_ITEM_FAILED && h->failed_item < 0) {
        h->failed_item = ev->id;
        h->failed_reason = ev->result.reason;
        snprintf(h->failed_detail, sizeof h->failed_detail, "%s", ev->result.detail ? ev->result.detail : "");
    }
}

/* The example's app_main: the OTA service with the example's list (data item with the example's
 * tone need_upgrade, app item with reboot_flag), version check on. */
static int run_service(pc_harness_t *h)
{
    ota_example_config_t ex = {
        .device = &h->dev,
        .firmware_upgrade_uri = PC_APP_URI,
        .data_upgrade_uri = h->img->tone_uri,
        .data_partition_label = PC_TONE_LABEL,
        .force_check_firmware_version = true,
    };
    ota_upgrade_ops_t list[2];
    int count = h->scenario == PC_SCENARIO_EXAMPLE ? ota_example_make_upgrade_list(&ex, list) : 0;
    if (h->inplace) {
        pc_inplace_get_proc(&list[0]);
    }
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = &h->dev,
        .event_cb = on_event,
        .event_ctx = h,
        .restart = on_restart,
        .restart_ctx = h,
        .open_source = pc_open_source,
        .open_source_ctx = h,
        .version_check = ex.force_check_firmware_version,
    };
    ota_service_t *svc = NULL;
    int err = ota_service_create(&cfg, &svc);
    if (err == OTA_OK) {
        err = count > 0 ? ota_service_set_upgrade_list(svc, list, count) : pc_release_set_up(h, svc);
    }
    if (err != OTA_OK) {
        pc_violation(h, PC_INV_HARNESS, "cannot set up the OTA service: %s", ota_strerror(err));
        ota_service_destroy(svc);
        return PC_STEP_FATAL;
    }
    h->hook_status = PC_STEP_OK;
    h->failed_item = -1;
    for (int i = 0; i < PC_MAX_ITEMS; i++) {
        h->item_result[i] = -1;
        h->item_reason[i] = OTA_OK;
    }
    ota_service_summary_t sum;
    memset(&sum, 0, sizeof sum);
    (void)ota_service_run(svc, &sum);
    ota_service_destroy(svc);
    h->restarted = sum.restarted;
    if (powered_off(h)) {
        return PC_STEP_CUT;
    }
    if (h->hook_status != PC_STEP_OK) {
        return h->hook_status;
    }
    if (sum.failed > 0) {
        pc_violation(h, PC_INV_RERUN, "item %d failed without a power cut: %s%s%s", h->failed_item,
                     ota_strerror(h->failed_reason), h->failed_detail[0] ? " - " : "", h->failed_detail);
    }
    return PC_STEP_OK;
}

int pc_session(pc_harness_t *h, int index, const pc_cut_t *cut, uint64_t *completed_ops)
{
    h->log_len = 0;
    h->watch = true;
    h->session_boot_slot = -1;
    if (index > 0) {
        ota_flash_emu_power_on(h->emu);
    }
    h->session_base = ota_flash_emu_op_count(h->emu);
    ota_flash_emu_schedule_cut(h->emu, cut != NULL ? cut->k : 0,
                               cut != NULL ? cut->mode : OTA_FLASH_CUT_CLEAN, cut != NULL ? cut->seed : 0);
    int st = index > 0 ? boot(h) : PC_STEP_OK;
    if (st == PC_STEP_OK) {
        st = run_service(h);
    }
    if (st == PC_STEP_OK) {
        st = boot(h); /* and once more: a reset after the update */
    }
    h->watch = false;
    if (st == PC_STEP_OK && powered_off(h)) {
        st = PC_STEP_CUT;
    }
    if (st != PC_STEP_CUT) {
        ota_flash_emu_schedule_cut(h->emu, 0, OTA_FLASH_CUT_CLEAN, 0); /* not reached: cancel */
    }
    if (completed_ops != NULL) {
        *completed_ops = ota_flash_emu_op_count(h->emu) - h->session_base;
    }
    return st;
}
