/* The sweep loop; see ts_sweep.h. No cmocka here: ota_powercut links it too. */
#include "ts_sweep.h"

#include <string.h>

static void one_point(const ts_sweep_t *sweep, uint64_t k)
{
    ota_flash_emu_t *emu = sweep->setup(sweep->ctx);
    sweep->arm(sweep->ctx, emu, k);
    int result = sweep->run(sweep->ctx);
    sweep->check(sweep->ctx, k, result);
    if (sweep->teardown != NULL) {
        sweep->teardown(sweep->ctx);
    }
}

uint64_t ts_sweep_points(const ts_sweep_t *sweep, uint64_t first, uint64_t last, uint64_t step)
{
    uint64_t points = 0;
    if (step < 1) {
        step = 1;
    }
    for (uint64_t k = first < 1 ? 1 : first; k <= last; k += step) {
        one_point(sweep, k);
        points++;
        if (k > UINT64_MAX - step) {
            break; /* k + step would wrap and restart the sweep */
        }
    }
    return points;
}

uint64_t ts_sweep(const ts_sweep_t *sweep, uint64_t first, uint64_t step)
{
    ota_flash_emu_t *emu = sweep->setup(sweep->ctx);
    uint64_t before = ota_flash_emu_op_count(emu);
    int result = sweep->run(sweep->ctx);
    uint64_t n = ota_flash_emu_op_count(emu) - before;
    sweep->check(sweep->ctx, 0, result);
    if (sweep->teardown != NULL) {
        sweep->teardown(sweep->ctx);
    }
    ts_sweep_points(sweep, first, n, step);
    return n;
}

/* ts_case_run()'s sweep of one kind of cut: the generic loop with the harness's own arm(). */
typedef struct {
    const ts_case_t *c;
    void *ctx;
    ota_flash_cut_mode_t mode;
} case_sweep_t;

static ota_flash_emu_t *case_setup(void *p)
{
    case_sweep_t *s = p;
    return s->c->setup(s->ctx);
}

static void case_arm(void *p, ota_flash_emu_t *emu, uint64_t k)
{
    case_sweep_t *s = p;
    if (s->c->fault != OTA_FLASH_FAULT_NONE) {
        ota_flash_fault_t fault = {.kind = s->c->fault, .at_op = k, .seed = k * 31u + (uint64_t)s->c->fault};
        ota_flash_emu_set_fault(emu, &fault);
        return;
    }
    ota_flash_emu_schedule_cut(emu, k, s->mode, s->c->torn_seed + k);
}

static int case_run(void *p)
{
    case_sweep_t *s = p;
    return s->c->run(s->ctx);
}

static void case_check(void *p, uint64_t k, int result)
{
    case_sweep_t *s = p;
    s->c->check(s->ctx, k, result);
}

static void case_teardown(void *p)
{
    case_sweep_t *s = p;
    if (s->c->teardown != NULL) {
        s->c->teardown(s->ctx);
    }
}

uint64_t ts_case_run(const ts_case_t *c, void *ctx, size_t ctx_size)
{
    static const ota_flash_cut_mode_t modes[] = {OTA_FLASH_CUT_CLEAN, OTA_FLASH_CUT_TORN};
    uint64_t n = 0;
    bool first = true;
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        bool fault = c->fault != OTA_FLASH_FAULT_NONE;
        if (!fault && ((c->cuts == TS_CUT_CLEAN_ONLY && modes[i] != OTA_FLASH_CUT_CLEAN) ||
                       (c->cuts == TS_CUT_TORN_ONLY && modes[i] != OTA_FLASH_CUT_TORN))) {
            continue;
        }
        memset(ctx, 0, ctx_size);
        case_sweep_t s = {c, ctx, modes[i]};
        ts_sweep_t sweep = {case_setup, case_arm, case_run, case_check, case_teardown, &s};
        /* not reentrant: the uninterrupted run alone (the first cut point is past any N) */
        uint64_t got = ts_sweep(&sweep, c->reentrant ? 1 : UINT64_MAX, c->step);
        if (c->after != NULL) {
            c->after(ctx, got);
        }
        if (!first && got != n) {
            return UINT64_MAX;
        }
        n = got;
        first = false;
        if (!c->reentrant || fault) {
            break; /* one uninterrupted run says all; a fault is swept once */
        }
    }
    return n;
}
