/* The service engine's ESP-ADF semantics, with hand-written steps (no flash or network): call
 * order, finished_check deciding the result, NULL steps, break_after_fail, the restart decision,
 * events, copies of the list, worker thread, stop, two services at once. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ota/ota_err.h"
#include "ota/ota_service.h"
#include "ota/ota_update_features.h"

/* --- a scripted item ------------------------------------------------------------------------ */

typedef struct {
    int prepare_ret, need_ret, execute_ret;
    int finished_override; /* 1: finished_check returns finished_ret instead of the result */
    int finished_ret;
    bool static_handle; /* for an item without finished_check: nobody frees its handle */
} script_t;

typedef struct {
    char calls[1024]; /* "P0 N0 E0 F0(0) ..." */
    int finished_seen[8];
    ota_event_t events[64];
    char event_uri[64][64];
    int n_events;
    int restarts;
    int finish_before_restart; /* FINISH arrived before the restart hook */
} trace_t;

static trace_t *g_trace; /* the steps have ESP-ADF's signatures: no context pointer */
static char g_static_handle[16];
static script_t g_scripts[8];

static void note(const char *fmt, int id, int value)
{
    char buf[32];
    snprintf(buf, sizeof buf, fmt, id, value);
    strncat(g_trace->calls, buf, sizeof g_trace->calls - strlen(g_trace->calls) - 1);
}

static int item_id(const ota_node_attr_t *node)
{
    return atoi(node->label);
}

static int s_prepare(ota_service_t *svc, void **handle, ota_node_attr_t *node)
{
    (void)svc;
    int id = item_id(node);
    note("P%d ", id, 0);
    /* finished_check must free it: LeakSanitizer checks */
    *handle = g_scripts[id].static_handle ? g_static_handle : malloc(16);
    return g_scripts[id].prepare_ret;
}

static int s_need(void *handle, ota_node_attr_t *node)
{
    assert_non_null(handle);
    int id = item_id(node);
    note("N%d ", id, 0);
    return g_scripts[id].need_ret;
}

static int s_execute(void *handle, ota_node_attr_t *node)
{
    assert_non_null(handle);
    int id = item_id(node);
    note("E%d ", id, 0);
    return g_scripts[id].execute_ret;
}

static int s_finished(void *handle, ota_node_attr_t *node, int result)
{
    free(handle);
    int id = item_id(node);
    note("F%d(%d) ", id, result);
    g_trace->finished_seen[id]++;
    return g_scripts[id].finished_override ? g_scripts[id].finished_ret : result;
}

static void on_event(const ota_event_t *ev, void *ctx)
{
    trace_t *t = ctx;
    assert_true(t->n_events < 64);
    t->events[t->n_events] = *ev;
    snprintf(t->event_uri[t->n_events], 64, "%s", ev->node && ev->node->uri ? ev->node->uri : "");
    t->n_events++;
}

static void on_restart(void *ctx)
{
    trace_t *t = ctx;
    t->restarts++;
    t->finish_before_restart = t->n_events > 0 && t->events[t->n_events - 1].type == OTA_EVENT_FINISH;
}

static ota_device_t g_device; /* the engine never touches it */

static ota_service_t *make_service(trace_t *t)
{
    memset(t, 0, sizeof *t);
    g_trace = t;
    memset(g_scripts, 0, sizeof g_scripts);
    ota_service_config_t cfg = {
        .features = &ota_update_features_all,
        .device = &g_device,
        .event_cb = on_event,
        .event_ctx = t,
        .restart = on_restart,
        .restart_ctx = t,
    };
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    return svc;
}

static ota_upgrade_ops_t item(const char *id, bool reboot, bool brk)
{
    ota_upgrade_ops_t ops = {
        {OTA_PART_TYPE_DATA, id, "file://sdcard/x.bin", NULL},
        s_prepare,
        s_need,
        s_execute,
        s_finished,
        reboot,
        brk,
    };
    return ops;
}

static int count_events(const trace_t *t, ota_event_type_t type)
{
    int n = 0;
    for (int i = 0; i < t->n_events; i++) {
        n += t->events[i].type == type;
    }
    return n;
}

static const ota_event_t *result_event(const trace_t *t, int id)
{
    for (int i = 0; i < t->n_events; i++) {
        if (t->events[i].type == OTA_EVENT_RESULT && t->events[i].id == id) {
            return &t->events[i];
        }
    }
    return NULL;
}

/* --- tests ---------------------------------------------------------------------------------- */

static void test_order_and_success_restart(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", false, false), item("1", true, false)};
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 2), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(svc, &sum), OTA_OK);
    assert_string_equal(t.calls, "P0 N0 E0 F0(0) P1 N1 E1 F1(0) ");
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(sum.failed, 0);
    assert_true(sum.restarted);
    assert_int_equal(t.restarts, 1);
    assert_true(t.finish_before_restart);
    /* ITEM_BEGIN, RESULT per item, then FINISH with restart */
    assert_int_equal(t.events[0].type, OTA_EVENT_ITEM_BEGIN);
    assert_int_equal(t.events[0].id, 0);
    assert_int_equal(count_events(&t, OTA_EVENT_RESULT), 2);
    const ota_event_t *fin = &t.events[t.n_events - 1];
    assert_int_equal(fin->type, OTA_EVENT_FINISH);
    assert_int_equal(fin->id, -1);
    assert_int_equal(fin->finish.succeeded, 2);
    assert_true(fin->finish.restart);
    ota_service_destroy(svc);
}

static void test_skip_is_not_success_and_never_restarts(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", true, false), item("1", true, false)};
    g_scripts[0].need_ret = OTA_ERR_VERSION_NOT_NEWER;
    g_scripts[1].need_ret = OTA_ERR_SVC_UP_TO_DATE;
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 2), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(svc, &sum), OTA_OK);
    /* execute skipped, finished_check gets the skip reason */
    assert_string_equal(t.calls, "P0 N0 F0(-702) P1 N1 F1(-805) ");
    assert_int_equal(sum.skipped, 2);
    assert_false(sum.restarted);
    assert_int_equal(t.restarts, 0);
    assert_int_equal(result_event(&t, 0)->result.result, OTA_ITEM_SKIPPED);
    assert_int_equal(result_event(&t, 0)->result.reason, OTA_ERR_VERSION_NOT_NEWER);
    assert_false(t.events[t.n_events - 1].finish.restart);
    ota_service_destroy(svc);
}

static void test_finished_check_always_runs_and_decides(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", false, false), item("1", false, false), item("2", true, false)};
    g_scripts[0].prepare_ret = OTA_ERR_SRC_FILE_NOT_FOUND; /* finished_check still runs */
    g_scripts[1].execute_ret = OTA_ERR_IMG_CHECKSUM;
    g_scripts[1].finished_override = 1; /* ...and may override: */
    g_scripts[1].finished_ret = OTA_OK;
    g_scripts[2].finished_override = 1; /* a success turned into a failure */
    g_scripts[2].finished_ret = OTA_ERR_SVC_VERIFY_FAILED;
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 3), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(svc, &sum), OTA_ERR_SRC_FILE_NOT_FOUND);
    assert_string_equal(t.calls, "P0 F0(-601) P1 N1 E1 F1(-306) P2 N2 E2 F2(0) ");
    assert_int_equal(sum.failed, 2);
    assert_int_equal(sum.succeeded, 1);
    assert_int_equal(sum.first_error, OTA_ERR_SRC_FILE_NOT_FOUND);
    assert_int_equal(result_event(&t, 1)->result.result, OTA_ITEM_SUCCESS);
    assert_int_equal(result_event(&t, 2)->result.result, OTA_ITEM_FAILED);
    assert_int_equal(result_event(&t, 2)->result.reason, OTA_ERR_SVC_VERIFY_FAILED);
    assert_int_equal(t.restarts, 0); /* the reboot item failed */
    ota_service_destroy(svc);
}

static void test_null_steps_as_esp_adf(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", false, false), item("1", false, false)};
    list[0].need_upgrade = NULL;       /* nothing is called, not even finished_check */
    list[1].finished_check = NULL;     /* steps run, result is NULL_STEP */
    g_scripts[1].static_handle = true; /* ESP-ADF leaks the handle then */
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 2), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(svc, &sum), OTA_ERR_SVC_NULL_STEP);
    assert_int_equal(g_trace->finished_seen[0], 0);
    assert_int_equal(result_event(&t, 0)->result.reason, OTA_ERR_SVC_NULL_STEP);
    assert_int_equal(result_event(&t, 1)->result.reason, OTA_ERR_SVC_NULL_STEP);
    assert_int_equal(sum.failed, 2);
    ota_service_destroy(svc);
}

static void test_break_after_fail(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", true, false), item("1", false, true), item("2", true, false)};
    g_scripts[1].execute_ret = OTA_ERR_SRC_HTTP_STATUS;
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 3), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_run(svc, &sum), OTA_ERR_SRC_HTTP_STATUS);
    assert_string_equal(t.calls, "P0 N0 E0 F0(0) P1 N1 E1 F1(-605) ");
    assert_int_equal(sum.not_run, 1);
    assert_null(result_event(&t, 2)); /* no RESULT for items not run, as ESP-ADF */
    assert_int_equal(count_events(&t, OTA_EVENT_FINISH), 1);
    assert_int_equal(t.events[t.n_events - 1].finish.not_run, 1);
    /* item 0 succeeded with reboot_flag: the device restarts even though the list broke off */
    assert_int_equal(t.restarts, 1);

    /* without break_after_fail the list goes on */
    trace_t t2;
    ota_service_t *svc2 = make_service(&t2);
    list[1].break_after_fail = false;
    g_scripts[1].execute_ret = OTA_ERR_SRC_HTTP_STATUS;
    assert_int_equal(ota_service_set_upgrade_list(svc2, list, 3), OTA_OK);
    assert_int_equal(ota_service_run(svc2, &sum), OTA_ERR_SRC_HTTP_STATUS);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(sum.not_run, 0);
    ota_service_destroy(svc);
    ota_service_destroy(svc2);
}

static void test_list_is_copied(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    char label[8] = "0", uri[64] = "http://127.0.0.1:1/app.bin";
    ota_upgrade_ops_t list[] = {item("0", false, false)};
    list[0].node.label = label;
    list[0].node.uri = uri;
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 1), OTA_OK);
    memset(uri, 'x', sizeof uri - 1); /* the caller's strings may go away */
    memset(list, 0, sizeof list);
    assert_int_equal(ota_service_run(svc, NULL), OTA_OK);
    assert_string_equal(t.event_uri[0], "http://127.0.0.1:1/app.bin");
    /* errors */
    assert_int_equal(ota_service_set_upgrade_list(svc, NULL, 1), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 0), OTA_ERR_INVALID_ARG);
    ota_service_destroy(svc);

    svc = make_service(&t);
    assert_int_equal(ota_service_run(svc, NULL), OTA_ERR_SVC_NO_LIST);
    ota_service_destroy(svc);
}

static void test_create_arguments(void **state)
{
    (void)state;
    ota_service_t *svc = NULL;
    ota_service_config_t cfg = {0};
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_ERR_INVALID_ARG); /* no device */
    cfg.device = &g_device;
    cfg.work_buffer_size = 100;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_ERR_INVALID_SIZE);
    assert_null(svc);
    ota_service_destroy(NULL);
}

static void test_classification(void **state)
{
    (void)state;
    assert_int_equal(ota_item_result_of(OTA_OK), OTA_ITEM_SUCCESS);
    assert_int_equal(ota_item_result_of(OTA_ERR_VERSION_NOT_NEWER), OTA_ITEM_SKIPPED);
    assert_int_equal(ota_item_result_of(OTA_ERR_SVC_UP_TO_DATE), OTA_ITEM_SKIPPED);
    assert_int_equal(ota_item_result_of(OTA_ERR_VERSION_NOT_COMPARABLE), OTA_ITEM_FAILED);
    assert_int_equal(ota_item_result_of(OTA_ERR_SECURE_VERSION), OTA_ITEM_FAILED);
    assert_string_equal(ota_item_result_name(OTA_ITEM_SKIPPED), "skipped");
}

/* A step that waits until the service is told to stop, like a long download would. */
static volatile int g_stop_seen;
static int s_execute_until_stopped(void *handle, ota_node_attr_t *node)
{
    (void)handle;
    (void)node;
    for (int i = 0; i < 5000 && !g_stop_seen; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return g_stop_seen ? OTA_ERR_CANCELLED : OTA_OK;
}

static ota_service_t *g_stoppable;
static void on_event_stop(const ota_event_t *ev, void *ctx)
{
    on_event(ev, ctx);
    if (ev->type == OTA_EVENT_ITEM_BEGIN && ev->id == 0) {
        ota_service_stop(g_stoppable); /* from the worker thread: takes effect at once */
        g_stop_seen = 1;
    }
}

static void test_worker_start_wait_stop(void **state)
{
    (void)state;
    trace_t t;
    ota_service_t *svc = make_service(&t);
    ota_upgrade_ops_t list[] = {item("0", false, false), item("1", true, false)};
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 2), OTA_OK);
    assert_int_equal(ota_service_wait(svc, NULL), OTA_ERR_INVALID_STATE); /* nothing started */
    assert_int_equal(ota_service_start(svc), OTA_OK);
    ota_service_summary_t sum;
    assert_int_equal(ota_service_wait(svc, &sum), OTA_OK);
    assert_int_equal(sum.succeeded, 2);
    assert_int_equal(t.restarts, 1);
    ota_service_destroy(svc);

    /* stop: the current item fails CANCELLED, the list ends, no restart */
    svc = make_service(&t);
    g_stoppable = svc;
    g_stop_seen = 0;
    ota_service_config_t *cfg = (ota_service_config_t *)ota_service_config(svc);
    cfg->event_cb = on_event_stop;
    list[0].execute_upgrade = s_execute_until_stopped;
    assert_int_equal(ota_service_set_upgrade_list(svc, list, 2), OTA_OK);
    assert_int_equal(ota_service_start(svc), OTA_OK);
    assert_int_equal(ota_service_wait(svc, &sum), OTA_ERR_CANCELLED);
    assert_int_equal(sum.failed, 1);
    assert_int_equal(sum.not_run, 1);
    assert_int_equal(t.restarts, 0);
    ota_service_destroy(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_success_restart),
        cmocka_unit_test(test_skip_is_not_success_and_never_restarts),
        cmocka_unit_test(test_finished_check_always_runs_and_decides),
        cmocka_unit_test(test_null_steps_as_esp_adf),
        cmocka_unit_test(test_break_after_fail),
        cmocka_unit_test(test_list_is_copied),
        cmocka_unit_test(test_create_arguments),
        cmocka_unit_test(test_classification),
        cmocka_unit_test(test_worker_start_wait_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
