/* The stage chain (src/pipeline/stages.c) as a buffer chain, without a service: a pipeline opened
 * with test events over a memory source, two stages in a row, pulled through ota_item_check and
 * ota_item_next. Checks what the chain promises (ota_stage.h, path.h): the output is the composed
 * transform, byte for byte; the checker sees the first output bytes; no piece of output crosses
 * a sector boundary of the output (checkpoints fall on them); the buffers are the driver's work
 * buffer (nothing allocated per chunk); a stop request ends the read with OTA_ERR_CANCELLED and
 * a stage error reaches the RESULT detail through the events. */
#include "test_support.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_flash.h"
#include "ota/ota_path.h"
#include "pipeline/path.h"

#define SECTOR 4096u

/* --- the driver's side: events over a memory source -------------------------------------------- */

typedef struct {
    ota_source_t base;
    const uint8_t *data;
    size_t len, pos, max_read;
} mem_source_t;

static int mem_read(ota_source_t *src, void *buf, size_t len)
{
    mem_source_t *m = (mem_source_t *)src;
    size_t n = m->len - m->pos;
    n = n < len ? n : len;
    n = n < m->max_read ? n : m->max_read;
    memcpy(buf, m->data + m->pos, n);
    m->pos += n;
    return (int)n;
}

static void mem_close(ota_source_t *src)
{
    (void)src;
}

static const ota_source_ops_t s_mem_ops = {.read = mem_read, .close = mem_close};

static struct {
    mem_source_t src;
    uint8_t work[1024];
    bool cancel;
    char detail[256];
    int opens;
} g;

static int ev_open(void *ctx, const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                   const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *info)
{
    (void)ctx;
    (void)cfg;
    (void)uri;
    (void)expect;
    g.opens++;
    g.src.base.ops = &s_mem_ops;
    g.src.base.info.total_size = (int64_t)g.src.len;
    g.src.pos = (size_t)offset;
    *out = &g.src.base;
    if (info != NULL) {
        *info = g.src.base.info;
    }
    return OTA_OK;
}

static uint8_t *ev_work(void *ctx, size_t *size)
{
    (void)ctx;
    *size = sizeof g.work;
    return g.work;
}

static void ev_progress(void *ctx, uint64_t bytes, int64_t total, bool force)
{
    (void)ctx;
    (void)bytes;
    (void)total;
    (void)force;
}

static const char *ev_detail(void *ctx, int http_status, const char *fmt, va_list ap)
{
    (void)ctx;
    (void)http_status;
    vsnprintf(g.detail, sizeof g.detail, fmt, ap);
    return g.detail;
}

static bool ev_cancelled(void *ctx)
{
    (void)ctx;
    return g.cancel;
}

static bool ev_yield(void *ctx, ota_path_t *path)
{
    (void)ctx;
    (void)path;
    return false;
}

static const ota_path_events_t s_events = {
    .open_source = ev_open,
    .work_buffer = ev_work,
    .progress = ev_progress,
    .detail = ev_detail,
    .cancelled = ev_cancelled,
    .yield = ev_yield,
};

/* --- two stages: "double" (each byte twice) then "add" (+ k, taking at most 3 bytes a call) --- */

static int plain_reset(void *ctx)
{
    (void)ctx;
    return OTA_OK;
}

static int double_process(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                          size_t out_cap, size_t *out_len)
{
    (void)ctx;
    size_t n = in_len < out_cap / 2 ? in_len : out_cap / 2;
    if (n == 0) { /* room for one byte only: nothing to do this call is not allowed, so fail */
        return OTA_ERR_INVALID_SIZE;
    }
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = out[2 * i + 1] = in[i];
    }
    *in_used = n;
    *out_len = 2 * n;
    return OTA_OK;
}

static int add_process(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                       size_t out_cap, size_t *out_len)
{
    const uint8_t *k = ctx;
    size_t n = in_len < out_cap ? in_len : out_cap;
    n = n < 3 ? n : 3;
    for (size_t i = 0; i < n; i++) {
        out[i] = (uint8_t)(in[i] + *k);
    }
    *in_used = n;
    *out_len = n;
    return OTA_OK;
}

static int failing_process(void *ctx, const uint8_t *in, size_t in_len, size_t *in_used, uint8_t *out,
                           size_t out_cap, size_t *out_len)
{
    (void)ctx;
    (void)in;
    (void)in_len;
    (void)in_used;
    (void)out;
    (void)out_cap;
    (void)out_len;
    return OTA_ERR_ENC_AUTH;
}

static uint8_t g_k = 5;
static const ota_stage_t s_double = {.name = "double", .reset = plain_reset, .process = double_process};
static const ota_stage_t s_add = {.name = "add", .reset = plain_reset, .process = add_process, .ctx = &g_k};

/* --- helpers ------------------------------------------------------------------------------------ */

static ota_flash_t g_flash = {.sector_size = SECTOR};
static ota_device_t g_dev = {.flash = &g_flash};

static void open_item(ota_item_t *item, const uint8_t *data, size_t len, size_t max_read)
{
    memset(&g, 0, sizeof g);
    g.src.data = data;
    g.src.len = len;
    g.src.max_read = max_read;
    ota_source_config_t cfg = {0};
    ota_node_attr_t node = {.uri = "mem://test"};
    assert_int_equal(ota_item_open(item, &s_events, NULL, &g_dev, &cfg, &node, "TEST", NULL), OTA_OK);
    assert_int_equal(g.opens, 1);
    assert_int_equal(item->total, (int64_t)len);
}

static uint8_t *input(size_t len)
{
    uint8_t *p = malloc(len);
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(i * 7u + 1u);
    }
    return p;
}

static int checked_peek[4];
static int check_first(void *ctx, const uint8_t *head, size_t len, bool ended)
{
    (void)ctx;
    memcpy(checked_peek, head, sizeof checked_peek < len ? sizeof checked_peek : len);
    return ended ? OTA_ERR_IMG_TRUNCATED : OTA_OK;
}

/* --- tests -------------------------------------------------------------------------------------- */

/* Two stages in a row: the output is in[i] + 5 twice per input byte, every byte of it, in order;
 * the checker saw its first bytes; no piece crosses a 4 KiB boundary of the output; every piece
 * lies in the driver's work buffer or the item's peek (nothing allocated for the data). */
static void test_chain_composes_and_cuts_at_sectors(void **state)
{
    (void)state;
    const size_t len = 5000; /* 10,000 output bytes: crosses two sector boundaries */
    uint8_t *in = input(len);
    ota_item_t item;
    open_item(&item, in, len, 333);
    assert_int_equal(ota_path_add_stage(&item, &s_double), OTA_OK);
    assert_int_equal(ota_path_add_stage(&item, &s_add), OTA_OK);
    ota_checker_t checker = {.name = "first", .peek_len = 16, .check = check_first};
    assert_int_equal(ota_path_set_checker(&item, &checker), OTA_OK);
    assert_int_equal(ota_item_check(&item), OTA_OK);
    assert_int_equal(item.peek_len, 16);
    const uint8_t *head = (const uint8_t *)checked_peek;
    assert_int_equal(head[0], (uint8_t)(in[0] + 5));
    assert_int_equal(head[1], (uint8_t)(in[0] + 5));
    assert_int_equal(head[2], (uint8_t)(in[1] + 5));

    uint64_t at = 0;
    uint8_t scratch[700];
    for (;;) {
        const uint8_t *out;
        int n = ota_item_next(&item, scratch, sizeof scratch, &out);
        assert_true(n >= 0);
        if (n == 0) {
            break;
        }
        assert_true((size_t)n <= sizeof scratch);
        assert_true(at / SECTOR == (at + (uint64_t)n - 1) / SECTOR); /* within one sector */
        bool in_work = out >= g.work && out + n <= g.work + sizeof g.work;
        bool in_peek = out >= item.peek && out + n <= item.peek + sizeof item.peek;
        assert_true(in_work || in_peek);
        for (int i = 0; i < n; i++) {
            assert_int_equal(out[i], (uint8_t)(in[(at + (uint64_t)i) / 2] + 5));
        }
        at += (uint64_t)n;
    }
    assert_int_equal(at, 2 * len);
    assert_int_equal(item.consumed, len);
    uint64_t bytes;
    int64_t total;
    ota_path_progress(&item, &bytes, &total);
    assert_int_equal(bytes, len);
    assert_int_equal(total, (int64_t)len);
    ota_item_close(&item);
    free(in);
}

/* A stop request between reads ends the chain's next read with OTA_ERR_CANCELLED. */
static void test_chain_stops_when_cancelled(void **state)
{
    (void)state;
    uint8_t *in = input(3000);
    ota_item_t item;
    open_item(&item, in, 3000, 100);
    assert_int_equal(ota_path_add_stage(&item, &s_double), OTA_OK);
    const uint8_t *out;
    uint8_t scratch[64];
    assert_true(ota_item_next(&item, scratch, sizeof scratch, &out) > 0);
    g.cancel = true;
    int n;
    do {
        n = ota_item_next(&item, scratch, sizeof scratch, &out);
    } while (n > 0);
    assert_int_equal(n, OTA_ERR_CANCELLED);
    ota_item_close(&item);
    free(in);
}

/* A stage's error fails the read and names the stage in the RESULT detail (through the events). */
static void test_stage_error_reaches_detail(void **state)
{
    (void)state;
    uint8_t *in = input(100);
    ota_item_t item;
    open_item(&item, in, 100, 100);
    ota_stage_t bad = {.name = "bad", .reset = plain_reset, .process = failing_process};
    assert_int_equal(ota_path_add_stage(&item, &bad), OTA_OK);
    const uint8_t *out;
    uint8_t scratch[64];
    assert_int_equal(ota_item_next(&item, scratch, sizeof scratch, &out), OTA_ERR_ENC_AUTH);
    assert_non_null(strstr(g.detail, "stage bad"));
    ota_item_close(&item);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_composes_and_cuts_at_sectors),
        cmocka_unit_test(test_chain_stops_when_cancelled),
        cmocka_unit_test(test_stage_error_reaches_detail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
