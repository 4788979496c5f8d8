/* ota_service_step(): the whole example update (tone data item + app item) driven by a main loop
 * one bounded step at a time, against ota_service_run() on an identical RAM device. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/sim/ota_bootloader.h"
#include "ota/ota_err.h"
#include "ota/ota_proc_default.h"
#include "ota/port/ota_source_posix.h"
#include "ota/ota_update_features.h"
#include "service_fixture.h"

#define TONE_FMT0 "esp-adf/flash_tone_fmt0.bin"
#define WORK      4096u

/* A source that counts the reads made since the last step and their largest size. */
typedef struct {
    ota_source_t base;
    ota_source_t *inner;
} counted_source_t;

static int reads_this_step;
static size_t largest_read;
static int max_reads_per_step;
static size_t bytes_this_step, max_bytes_per_step;

static int counted_read(ota_source_t *src, void *buf, size_t len)
{
    counted_source_t *c = (counted_source_t *)src;
    reads_this_step++;
    bytes_this_step += len;
    if (len > largest_read) {
        largest_read = len;
    }
    return ota_source_read(c->inner, buf, len);
}

static void counted_close(ota_source_t *src)
{
    counted_source_t *c = (counted_source_t *)src;
    ota_source_close(c->inner);
    free(c);
}

static const ota_source_ops_t counted_ops = {counted_read, counted_close};

static int counted_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                        const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)ctx;
    ota_source_t *inner = NULL;
    int err = ota_source_open(NULL, cfg, uri, offset, expect, &inner, diag);
    if (err != OTA_OK) {
        return err;
    }
    counted_source_t *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->base.ops = &counted_ops;
    c->base.info = inner->info;
    c->inner = inner;
    *out = &c->base;
    return OTA_OK;
}

static void restart(void *ctx)
{
    ota_device_t *dev = ctx;
    ota_device_set_running(dev, NULL);
    ota_bootloader_run(dev, NULL);
}

static char *testdata_uri(const char *rel)
{
    char *uri = NULL;
    assert_true(asprintf(&uri, "file://%s", ts_testdata(rel)) > 0);
    return uri;
}

static ota_service_t *make_service(sf_device_t *d, ota_source_posix_config_t *posix,
                                   const ota_upgrade_ops_t *list, int count)
{
    posix->sdcard_root = d->dir;
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = &d->dev,
        .work_buffer_size = WORK,
        .restart = restart,
        .restart_ctx = &d->dev,
        .source = {.transport = posix},
        .open_source = counted_open,
    };
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    assert_int_equal(ota_service_set_upgrade_list(svc, list, count), OTA_OK);
    return svc;
}

/* Step until the end; returns the run's result, counts the steps. */
static int step_all(ota_service_t *svc, ota_service_summary_t *sum, int *steps)
{
    int ret;
    *steps = 0;
    max_reads_per_step = 0;
    largest_read = 0;
    max_bytes_per_step = 0;
    do {
        reads_this_step = 0;
        bytes_this_step = 0;
        ret = ota_service_step(svc, sum);
        (*steps)++;
        if (reads_this_step > max_reads_per_step) {
            max_reads_per_step = reads_this_step;
        }
        if (bytes_this_step > max_bytes_per_step) {
            max_bytes_per_step = bytes_this_step;
        }
        assert_true(*steps < 100000);
    } while (ret == OTA_SERVICE_IN_PROGRESS);
    return ret;
}

static void test_step_loop_equals_run(void **state)
{
    (void)state;
    sf_device_t a, b;
    sf_device_init(&a, SF_RUNNING_VERSION);
    sf_device_init(&b, SF_RUNNING_VERSION);
    const uint32_t app_size = 500000;
    char *tone = testdata_uri(TONE_FMT0);
    char *app_a = sf_make_app(&a, "app.bin", "v2.2-253-g0000001", app_size, 9);
    char *app_b = sf_make_app(&b, "app.bin", "v2.2-253-g0000001", app_size, 9);
    size_t tone_len;
    uint8_t *tone_bytes = ts_read_file(ts_testdata(TONE_FMT0), &tone_len);

    ota_source_posix_config_t pa, pb;
    ota_upgrade_ops_t list_a[] = {sf_data_item("flash_tone", tone), sf_app_item(app_a, true)};
    ota_upgrade_ops_t list_b[] = {sf_data_item("flash_tone", tone), sf_app_item(app_b, true)};

    /* a: the synchronous run */
    ota_service_t *svc = make_service(&a, &pa, list_a, 2);
    ota_service_summary_t sum_a;
    assert_int_equal(ota_service_run(svc, &sum_a), OTA_OK);
    ota_service_destroy(svc);

    /* b: the main loop */
    svc = make_service(&b, &pb, list_b, 2);
    ota_service_summary_t sum_b;
    int steps = 0;
    assert_int_equal(step_all(svc, &sum_b, &steps), OTA_OK);
    /* a second run steps again from the start (nothing newer to do is not checked here: the list
     * runs again and rewrites the same bytes) */
    ota_service_destroy(svc);

    assert_int_equal(sum_b.succeeded, 2);
    assert_int_equal(sum_b.failed, 0);
    assert_true(sum_b.restarted);
    assert_int_equal(sum_a.succeeded, sum_b.succeeded);
    assert_int_equal(sum_a.restarted, sum_b.restarted);

    /* bounded work: at most two source reads per step (a chunk's read, plus the refill when
     * the reader tops up what a peek left; measured: 2 reads, 7904 bytes), each at most the work
     * buffer, so there are more steps than work-buffer-sized chunks in the two files */
    fprintf(stderr, "steps %d, max reads/step %d, largest read %zu, max bytes/step %zu\n", steps,
            max_reads_per_step, largest_read, max_bytes_per_step);
    assert_true(max_reads_per_step <= 2);
    assert_true(max_bytes_per_step <= 2 * WORK);
    assert_true(largest_read <= WORK);
    size_t chunks = (tone_len + WORK - 1) / WORK + (app_size + WORK - 1) / WORK;
    assert_true((size_t)steps > chunks);

    /* the same flash bytes as run(): tone partition = the file, ota_1 = the app, same otadata */
    assert_memory_equal(sf_partition_bytes(&b, "flash_tone", NULL), tone_bytes, tone_len);
    const char *labels[] = {"flash_tone", "ota_0", "ota_1", "otadata"};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++) {
        uint32_t size_a = 0, size_b = 0;
        const uint8_t *pa_bytes = sf_partition_bytes(&a, labels[i], &size_a);
        const uint8_t *pb_bytes = sf_partition_bytes(&b, labels[i], &size_b);
        assert_int_equal(size_a, size_b);
        assert_memory_equal(pa_bytes, pb_bytes, size_a);
    }
    assert_string_equal(ota_device_running(&b.dev)->label, "ota_1"); /* the restart booted it */

    free(tone_bytes);
    free(tone);
    free(app_a);
    free(app_b);
    sf_device_free(&a);
    sf_device_free(&b);
}

static void test_stop_between_steps_keeps_device_bootable(void **state)
{
    (void)state;
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    char *app = sf_make_app(&d, "app.bin", "v2.2-253-g0000001", 300000, 5);
    ota_source_posix_config_t posix;
    ota_upgrade_ops_t list[] = {sf_app_item(app, true)};
    ota_service_t *svc = make_service(&d, &posix, list, 1);

    /* into the chunk loop: prepare, need_upgrade, execute (first chunk), then 20 chunks */
    for (int i = 0; i < 24; i++) {
        assert_int_equal(ota_service_step(svc, NULL), OTA_SERVICE_IN_PROGRESS);
    }
    /* run() and a second stepper are refused while the stepped run is open */
    assert_int_equal(ota_service_run(svc, NULL), OTA_ERR_BUSY);
    ota_service_stop(svc);
    ota_service_summary_t sum;
    int steps = 0;
    assert_int_equal(step_all(svc, &sum, &steps), OTA_ERR_CANCELLED);
    assert_true(steps <= 4); /* the stop takes effect at the next chunk */
    assert_int_equal(sum.failed, 1);
    assert_false(sum.restarted);

    ota_boot_result_t boot;
    assert_int_equal(ota_bootloader_predict(&d.dev, &boot), OTA_OK);
    assert_string_equal(boot.partition->label, "ota_0");

    /* the service is reusable: a new stepped run completes the update */
    assert_int_equal(step_all(svc, &sum, &steps), OTA_OK);
    assert_int_equal(sum.succeeded, 1);
    assert_true(sum.restarted);
    assert_string_equal(ota_device_running(&d.dev)->label, "ota_1");

    /* destroying a service half way through a stepped run releases everything (ASan checks) */
    char *tone = testdata_uri(TONE_FMT0);
    ota_upgrade_ops_t again[] = {sf_data_item("flash_tone", tone)};
    assert_int_equal(ota_service_set_upgrade_list(svc, again, 1), OTA_OK);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(ota_service_step(svc, NULL), OTA_SERVICE_IN_PROGRESS);
    }
    ota_service_destroy(svc);
    free(tone);
    free(app);
    sf_device_free(&d);
}

static void test_step_errors(void **state)
{
    (void)state;
    assert_int_equal(ota_service_step(NULL, NULL), OTA_ERR_INVALID_ARG);
    sf_device_t d;
    sf_device_init(&d, SF_RUNNING_VERSION);
    ota_service_config_t cfg = {.device = &d.dev, .features = &ota_update_features_all};
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_step(svc, &sum), OTA_ERR_SVC_NO_LIST);
    ota_service_destroy(svc);
    sf_device_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_loop_equals_run),
        cmocka_unit_test(test_stop_between_steps_keeps_device_bootable),
        cmocka_unit_test(test_step_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
