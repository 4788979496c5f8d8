/* The source rules every port shares (src/source/: source_config.c, source_dispatch.c,
 * file_rules.c, http_session.c), called as a port calls them, without a transport. Expected values
 * come from the RFCs and formats named at each check, not from our output. */
#include "test_support.h"
#include <string.h>
#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

static void test_config_port_defaults(void **state)
{
    (void)state;
    /* A port's own defaults (as the ESP-IDF port's: the FAT mount point, a 2 KiB receive buffer)
     * replace only the two the port chooses; the rest are the common defaults. */
    const ota_source_port_defaults_t esp = {.sdcard_root = "/sdcard", .http_buffer_size = 2048};
    ota_source_posix_config_t c = ota_source_config_resolve(NULL, &esp);
    assert_string_equal(c.sdcard_root, "/sdcard");
    assert_int_equal(c.http_buffer_size, 2048);
    assert_int_equal(c.connect_timeout_ms, 10000);
    assert_int_equal(c.max_retries, 3);
    /* a caller's value wins over the port's default; "" is unset */
    ota_source_posix_config_t in = {.sdcard_root = "", .http_buffer_size = 4096, .ca_file = ""};
    ota_source_config_t cfg = {.transport = &in};
    c = ota_source_config_resolve(&cfg, &esp);
    assert_string_equal(c.sdcard_root, "/sdcard");
    assert_int_equal(c.http_buffer_size, 4096);
    assert_null(c.ca_file);
    /* the host's defaults are the POSIX port's public ones */
    c = ota_source_config_resolve(NULL, &ota_source_host_defaults);
    assert_string_equal(c.sdcard_root, "./sdcard");
    assert_int_equal(c.http_buffer_size, 16384);
}

static int g_file_calls;
static int g_http_calls;

static int fake_file_open(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                          const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)cfg, (void)uri, (void)offset, (void)expect, (void)out, (void)diag;
    g_file_calls++;
    return OTA_ERR_SRC_FILE_NOT_FOUND;
}

static int fake_http_open(const ota_source_config_t *cfg, const char *uri, uint64_t offset,
                          const ota_source_expect_t *expect, ota_source_t **out, ota_source_info_t *diag)
{
    (void)cfg, (void)uri, (void)offset, (void)expect, (void)out, (void)diag;
    g_http_calls++;
    return OTA_ERR_SRC_CONNECT;
}

static void test_dispatch_by_scheme(void **state)
{
    (void)state;
    const ota_source_openers_t both = {
        .file_open = fake_file_open, .http_open = fake_http_open, .schemes = "any"};
    ota_source_t *src = (ota_source_t *)&src; /* not NULL: the dispatch clears it */
    ota_source_info_t diag;
    g_file_calls = g_http_calls = 0;
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, "file://sdcard/a.bin", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_FILE_NOT_FOUND);
    assert_null(src);
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, "https://h/a.bin", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_CONNECT);
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, "HTTP://h/a.bin", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_CONNECT); /* RFC 3986 3.1: schemes are case-insensitive */
    assert_int_equal(g_file_calls, 1);
    assert_int_equal(g_http_calls, 2);
    /* a port without HTTP refuses http(s):// with the schemes it has in the message */
    const ota_source_openers_t file_only = {.file_open = fake_file_open, .schemes = "file://"};
    assert_int_equal(ota_source_open_by_scheme(&file_only, NULL, "http://h/a.bin", 7, NULL, &src, &diag),
                     OTA_ERR_SRC_URI);
    assert_int_equal(g_http_calls, 2);
    assert_non_null(strstr(diag.error, "file:// expected"));
    assert_int_equal(diag.offset, 7);
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, "ftp://h/a", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_URI);
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, NULL, 0, NULL, &src, &diag), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_source_open_by_scheme(&both, NULL, "file:///a", 0, NULL, NULL, &diag),
                     OTA_ERR_INVALID_ARG);
}

static void test_file_rules(void **state)
{
    (void)state;
    ota_source_info_t info;
    char path[32];
    ota_source_info_init(&info, 0);
    assert_int_equal(ota_source_file_path("file://sdcard/fw/a.bin", "/sdcard", path, sizeof path, &info),
                     OTA_OK);
    assert_string_equal(path, "/sdcard/fw/a.bin");
    assert_int_equal(ota_source_file_path("file://sdcard/../x", "/sdcard", path, sizeof path, &info),
                     OTA_ERR_SRC_PATH_ESCAPE);
    assert_non_null(strstr(info.error, "'..'"));
    assert_int_equal(ota_source_file_path("file://sdcard/a-name-longer-than-the-buffer.bin", "/sdcard", path,
                                          sizeof path, &info),
                     OTA_ERR_SRC_URI);
    assert_non_null(strstr(info.error, "path too long"));

    /* nginx's ETag of a static file (ngx_http_set_etag: "\"%xT-%xO\"", mtime and size in hex) */
    ota_source_info_init(&info, 0);
    assert_int_equal(ota_source_file_accept(&info, "/p", 0x1234, 0x5f5e1000, 0, NULL), OTA_OK);
    assert_string_equal(info.etag, "\"5f5e1000-1234\"");
    assert_int_equal(info.total_size, 0x1234);
    ota_source_info_init(&info, 0);
    assert_int_equal(ota_source_file_accept(&info, "/p", 0x1234, -1, 0, NULL), OTA_OK);
    assert_string_equal(info.etag, "\"1234\""); /* no modification time: the size alone */
    /* a resume: the same validator is accepted, another is a different resource */
    ota_source_expect_t same = {.etag = "\"5f5e1000-1234\"", .total_size = 0x1234};
    ota_source_info_init(&info, 16);
    assert_int_equal(ota_source_file_accept(&info, "/p", 0x1234, 0x5f5e1000, 16, &same), OTA_OK);
    ota_source_info_init(&info, 16);
    assert_int_equal(ota_source_file_accept(&info, "/p", 0x1234, 0x5f5e1001, 16, &same),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    ota_source_info_init(&info, 0x1235);
    assert_int_equal(ota_source_file_accept(&info, "/p", 0x1234, 1, 0x1235, NULL),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(info.error, "cannot resume at 4661"));

    ota_source_expect_t bounded = {.etag = "", .total_size = -1, .length = 10};
    assert_int_equal(ota_source_file_end(100, 20, &bounded), 30);
    assert_int_equal(ota_source_file_end(100, 95, &bounded), 100);
    assert_int_equal(ota_source_file_end(100, 20, NULL), 100);
    ota_source_info_init(&info, 90);
    assert_int_equal(ota_source_read_len(&info, 100, 4096), 10);
    assert_int_equal(ota_source_read_len(&info, 90, 4096), 0);
}

static void test_http_identity_and_range(void **state)
{
    (void)state;
    ota_source_expect_t id;
    uint64_t limit;
    char range[64];
    ota_http_identity_init(&id, &limit, NULL, 0);
    assert_int_equal(id.total_size, -1);
    assert_true(limit == UINT64_MAX);
    /* RFC 9110 14.1.2: "bytes=first-last", last inclusive; "bytes=first-" to the end */
    assert_false(ota_http_range_value(range, sizeof range, 0, limit));
    assert_string_equal(range, "");
    assert_true(ota_http_range_value(range, sizeof range, 500, limit));
    assert_string_equal(range, "bytes=500-");
    ota_source_expect_t ex = {.etag = "\"v1\"", .total_size = 1000, .length = 100};
    ota_http_identity_init(&id, &limit, &ex, 500);
    assert_string_equal(id.etag, "\"v1\"");
    assert_int_equal(id.total_size, 1000);
    assert_int_equal(limit, 600);
    assert_true(ota_http_range_value(range, sizeof range, 500, limit));
    assert_string_equal(range, "bytes=500-599");
    assert_true(ota_http_range_value(range, sizeof range, 0, limit)); /* bounded from 0: still ranged */
    assert_string_equal(range, "bytes=0-599");
}

typedef struct {
    int calls;
    int fail_first; /* this many requests fail with `fail_err` before one is accepted */
    int fail_err;
    uint64_t last_offset;
} fake_requests_t;

static int fake_request(void *ctx, uint64_t offset)
{
    fake_requests_t *r = ctx;
    r->calls++;
    r->last_offset = offset;
    return r->calls <= r->fail_first ? r->fail_err : OTA_OK;
}

static void test_http_recover(void **state)
{
    (void)state;
    ota_source_posix_config_t cfg = {.max_retries = 3, .retry_backoff_ms = 1};
    ota_source_info_t info;
    /* a cut body resumed at the next byte; two more cuts are retried within the budget */
    ota_source_info_init(&info, 4096);
    fake_requests_t r = {.fail_first = 2, .fail_err = OTA_ERR_SRC_TRUNCATED};
    assert_int_equal(ota_http_recover(&info, &cfg, OTA_ERR_SRC_TRUNCATED, fake_request, &r), OTA_OK);
    assert_int_equal(r.calls, 3);
    assert_int_equal(r.last_offset, 4096);
    assert_int_equal(info.retries, 3);
    /* the budget is per source: spent, the next break is final */
    r = (fake_requests_t){0};
    assert_int_equal(ota_http_recover(&info, &cfg, OTA_ERR_SRC_STALLED, fake_request, &r),
                     OTA_ERR_SRC_STALLED);
    assert_int_equal(r.calls, 0);
    /* a refusal is not retried: a changed resource, a 404 */
    ota_source_info_init(&info, 0);
    assert_int_equal(ota_http_recover(&info, &cfg, OTA_ERR_SRC_RESOURCE_CHANGED, fake_request, &r),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    info.http_status = 404;
    assert_int_equal(ota_http_recover(&info, &cfg, OTA_ERR_SRC_HTTP_STATUS, fake_request, &r),
                     OTA_ERR_SRC_HTTP_STATUS);
    assert_int_equal(r.calls, 0);
    /* a resume answered with a refusal stops there */
    ota_source_info_init(&info, 10);
    r = (fake_requests_t){.fail_first = 5, .fail_err = OTA_ERR_SRC_RESOURCE_CHANGED};
    assert_int_equal(ota_http_recover(&info, &cfg, OTA_ERR_SRC_READ, fake_request, &r),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_int_equal(r.calls, 1);
    /* the report of an open fills an empty error and copies the info */
    ota_source_info_t diag;
    ota_source_info_init(&info, 0);
    assert_int_equal(ota_http_opened(&info, "http://h/a", OTA_ERR_SRC_CONNECT, &diag), OTA_ERR_SRC_CONNECT);
    assert_string_equal(diag.error, ota_strerror(OTA_ERR_SRC_CONNECT));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_port_defaults), cmocka_unit_test(test_dispatch_by_scheme),
        cmocka_unit_test(test_file_rules),           cmocka_unit_test(test_http_identity_and_range),
        cmocka_unit_test(test_http_recover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
