/* The sweep loop; see ts_sweep.h. No cmocka here: ota_powercut links it too. */
#include "ts_sweep.h"

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
