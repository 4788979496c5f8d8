/* The HTTP rules of a source (src/source/http_rules.c), without a network: header blocks,
 * which responses are the resource asked for, completeness, retries and back-off. */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "source/source_internal.h"

static void feed_block(ota_http_response_t *r, const char *const *lines)
{
    for (size_t i = 0; lines[i] != NULL; i++) {
        ota_http_response_feed(r, lines[i], strlen(lines[i]));
    }
}

static void test_header_block(void **state)
{
    (void)state;
    ota_http_response_t r;
    ota_http_response_reset(&r);
    assert_int_equal(ota_http_response_feed(&r, "HTTP/1.1 206 Partial Content\r\n", 31),
                     OTA_HTTP_LINE_STATUS);
    assert_int_equal(r.status, 206);
    const char *const lines[] = {"content-LENGTH:  900 \r\n",
                                 "Content-Range: bytes 100-999/1000\r\n",
                                 "ETag: \"5f3-3e8\"\r\n",
                                 "Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n",
                                 "X-Other: ignored\r\n",
                                 "no colon here\r\n",
                                 NULL};
    feed_block(&r, lines);
    assert_int_equal(r.content_length, 900);
    assert_true(r.has_content_range);
    assert_true(r.cr_first == 100 && r.cr_last == 999 && r.cr_total == 1000 && !r.cr_unsatisfied);
    assert_string_equal(r.etag, "\"5f3-3e8\"");
    assert_string_equal(r.last_modified, "Tue, 01 Dec 2026 10:00:00 GMT");
    assert_false(r.has_location);
    assert_int_equal(ota_http_response_feed(&r, "\r\n", 2), OTA_HTTP_LINE_END);
    assert_int_equal(ota_http_response_feed(&r, "", 0), OTA_HTTP_LINE_END);

    /* a new status line starts a new response (after a redirect or a 100 Continue) */
    assert_int_equal(ota_http_response_feed(&r, "HTTP/1.1 302 Found", 18), OTA_HTTP_LINE_STATUS);
    assert_int_equal(r.status, 302);
    assert_int_equal(r.content_length, -1);
    assert_false(r.has_content_range);
    assert_string_equal(r.etag, "");
    assert_false(ota_http_response_is_redirect(&r)); /* no Location: curl does not follow it */
    ota_http_response_feed(&r, "Location: /next", 15);
    assert_true(ota_http_response_is_redirect(&r));
    ota_http_response_feed(&r, "HTTP/1.1 304 Not Modified", 25);
    ota_http_response_feed(&r, "Location: /x", 12);
    assert_false(ota_http_response_is_redirect(&r));

    /* values a source must not trust */
    ota_http_response_feed(&r, "HTTP/1.1 200 OK", 15);
    ota_http_response_feed(&r, "Content-Length: 12x", 19);
    assert_int_equal(r.content_length, -1);
    ota_http_response_feed(&r, "Content-Length: -5", 18);
    assert_int_equal(r.content_length, -1);
    ota_http_response_feed(&r, "Content-Range: bytes 5-1/10", 27);
    assert_false(r.has_content_range);
    char long_etag[300] = "ETag: \"";
    memset(long_etag + 7, 'a', 200);
    strcpy(long_etag + 207, "\"");
    ota_http_response_feed(&r, long_etag, strlen(long_etag));
    assert_string_equal(r.etag, ""); /* too long to compare: absent, not truncated */
}

/* A final response built from a status, Content-Length, Content-Range and ETag. */
static ota_http_response_t response(int status, int64_t length, const char *content_range, const char *etag)
{
    ota_http_response_t r;
    ota_http_response_reset(&r);
    char line[128];
    snprintf(line, sizeof line, "HTTP/1.1 %d X", status);
    ota_http_response_feed(&r, line, strlen(line));
    if (length >= 0) {
        snprintf(line, sizeof line, "Content-Length: %lld", (long long)length);
        ota_http_response_feed(&r, line, strlen(line));
    }
    if (content_range != NULL) {
        snprintf(line, sizeof line, "Content-Range: %s", content_range);
        ota_http_response_feed(&r, line, strlen(line));
    }
    if (etag != NULL) {
        snprintf(line, sizeof line, "ETag: %s", etag);
        ota_http_response_feed(&r, line, strlen(line));
    }
    return r;
}

static ota_source_expect_t no_identity(void)
{
    ota_source_expect_t id = {.etag = "", .total_size = -1};
    return id;
}

static void test_first_response(void **state)
{
    (void)state;
    ota_source_info_t info;
    ota_source_info_init(&info, 0);
    ota_source_expect_t id = no_identity();
    ota_http_accept_t acc;
    ota_http_response_t r = response(200, 1000, NULL, "\"e1\"");
    assert_int_equal(ota_http_check_response(&r, 0, false, &id, &info, &acc), OTA_OK);
    assert_int_equal(info.http_status, 200);
    assert_int_equal(info.total_size, 1000);
    assert_string_equal(info.etag, "\"e1\"");
    assert_string_equal(id.etag, "\"e1\""); /* binds the resumes that follow */
    assert_int_equal(id.total_size, 1000);
    assert_int_equal(acc.response_end, 1000);
    assert_false(acc.complete);

    /* chunked: no length, known later only if an earlier response told it */
    ota_source_expect_t id2 = no_identity();
    r = response(200, -1, NULL, NULL);
    assert_int_equal(ota_http_check_response(&r, 0, false, &id2, &info, &acc), OTA_OK);
    assert_int_equal(info.total_size, -1);
    assert_int_equal(acc.response_end, UINT64_MAX);

    /* the caller's expectation is checked on a fresh download too */
    ota_source_expect_t old = {.etag = "\"e0\"", .total_size = 1000};
    r = response(200, 1000, NULL, "\"e1\"");
    assert_int_equal(ota_http_check_response(&r, 0, false, &old, &info, &acc), OTA_ERR_SRC_RESOURCE_CHANGED);

    /* errors carry the status */
    const int statuses[] = {404, 500, 204, 304, 302};
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
        ota_source_expect_t idn = no_identity();
        r = response(statuses[i], 10, NULL, NULL);
        assert_int_equal(ota_http_check_response(&r, 0, false, &idn, &info, &acc), OTA_ERR_SRC_HTTP_STATUS);
        assert_int_equal(info.http_status, statuses[i]);
    }
    /* a 206 nobody asked for */
    r = response(206, 10, "bytes 0-9/10", NULL);
    assert_int_equal(ota_http_check_response(&r, 0, false, &id2, &info, &acc), OTA_ERR_SRC_HTTP_STATUS);
}

static void test_resume_responses(void **state)
{
    (void)state;
    ota_source_info_t info;
    ota_source_info_init(&info, 400);
    ota_http_accept_t acc;
    ota_source_expect_t id = {.etag = "\"e1\"", .total_size = 1000};
    ota_http_response_t r;

    r = response(206, 600, "bytes 400-999/1000", "\"e1\"");
    assert_int_equal(ota_http_check_response(&r, 400, true, &id, &info, &acc), OTA_OK);
    assert_int_equal(acc.response_end, 1000);
    assert_int_equal(info.http_status, 206);
    assert_int_equal(info.total_size, 1000);

    r = response(206, -1, "bytes 400-999/*", "\"e1\""); /* total unknown: the known one stays */
    assert_int_equal(ota_http_check_response(&r, 400, true, &id, &info, &acc), OTA_OK);
    assert_int_equal(info.total_size, 1000);

    /* a 206 for part of the rest is accepted; the end tells where it stops */
    r = response(206, 100, "bytes 400-499/1000", "\"e1\"");
    assert_int_equal(ota_http_check_response(&r, 400, true, &id, &info, &acc), OTA_OK);
    assert_int_equal(acc.response_end, 500);

    struct {
        ota_http_response_t r;
        int err;
        const char *says;
    } refused[] = {
        {response(200, 1000, NULL, "\"e1\""), OTA_ERR_SRC_RESOURCE_CHANGED, "HTTP 200"},
        {response(200, 1000, NULL, NULL), OTA_ERR_SRC_RESOURCE_CHANGED, "If-Range"},
        {response(206, 600, "bytes 399-999/1000", "\"e1\""), OTA_ERR_SRC_RESOURCE_CHANGED, "asked for 400-"},
        {response(206, 600, "bytes 401-999/1000", "\"e1\""), OTA_ERR_SRC_RESOURCE_CHANGED, "asked for 400-"},
        {response(206, 601, "bytes 400-1000/1001", "\"e1\""), OTA_ERR_SRC_RESOURCE_CHANGED, "length changed"},
        {response(206, 600, "bytes 400-999/1000", "\"e2\""), OTA_ERR_SRC_RESOURCE_CHANGED, "ETag changed"},
        {response(206, 600, "bytes 400-999/1000", NULL), OTA_ERR_SRC_RESOURCE_CHANGED, "no longer has ETag"},
        {response(206, 600, NULL, "\"e1\""), OTA_ERR_SRC_READ, "Content-Range"},
        {response(206, 600, "bytes */1000", "\"e1\""), OTA_ERR_SRC_READ, "Content-Range"},
        {response(416, 10, "bytes */399", NULL), OTA_ERR_SRC_RESOURCE_CHANGED, "399 bytes"},
        {response(416, 10, NULL, NULL), OTA_ERR_SRC_HTTP_STATUS, "416"},
        {response(503, 10, NULL, NULL), OTA_ERR_SRC_HTTP_STATUS, "503"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        ota_source_expect_t idc = id;
        int err = ota_http_check_response(&refused[i].r, 400, true, &idc, &info, &acc);
        if (err != refused[i].err || strstr(info.error, refused[i].says) == NULL) {
            fail_msg("case %zu: %s '%s', expected %s mentioning '%s'", i, ota_err_name(err), info.error,
                     ota_err_name(refused[i].err), refused[i].says);
        }
        assert_string_equal(idc.etag, id.etag); /* a refused response binds nothing */
    }

    /* 416 to bytes=1000- of a 1000-byte resource: complete, the error page is not a validator */
    r = response(416, 10, "bytes */1000", NULL);
    assert_int_equal(ota_http_check_response(&r, 1000, true, &id, &info, &acc), OTA_OK);
    assert_true(acc.complete);
    assert_int_equal(acc.response_end, 1000);
    assert_string_equal(info.etag, "\"e1\"");

    /* If-Range only with a strong validator */
    assert_true(ota_http_send_if_range(&id));
    ota_source_expect_t weak = {.etag = "W/\"e1\"", .total_size = 1000};
    assert_false(ota_http_send_if_range(&weak));
    ota_source_expect_t none = no_identity();
    assert_false(ota_http_send_if_range(&none));
    /* and so the 200 message names the cause it can know */
    r = response(200, 1000, NULL, NULL);
    assert_int_equal(ota_http_check_response(&r, 400, true, &none, &info, &acc),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(info.error, "cannot resume"));
}

static void test_end_of_body(void **state)
{
    (void)state;
    ota_source_info_t info;
    ota_source_info_init(&info, 1000);
    info.total_size = 1000;
    assert_int_equal(ota_http_check_end(&info, 1000, UINT64_MAX), OTA_OK);
    info.offset = 999;
    assert_int_equal(ota_http_check_end(&info, 1000, UINT64_MAX), OTA_ERR_SRC_TRUNCATED);
    assert_non_null(strstr(info.error, "999"));
    info.offset = 500; /* the response ended where it said, the resource did not */
    assert_int_equal(ota_http_check_end(&info, 500, UINT64_MAX), OTA_ERR_SRC_TRUNCATED);
    /* ...unless the request was bounded there (expect.length) */
    assert_int_equal(ota_http_check_end(&info, 500, 500), OTA_OK);
    assert_int_equal(ota_http_check_end(&info, 600, 600), OTA_ERR_SRC_TRUNCATED);
    info.total_size = -1; /* unknown length: a clean end is the end */
    assert_int_equal(ota_http_check_end(&info, UINT64_MAX, UINT64_MAX), OTA_OK);
}

static void test_retry_policy(void **state)
{
    (void)state;
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_TRUNCATED, 200));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_STALLED, 206));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_READ, 206));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_CONNECT, 0));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_CONNECT_TIMEOUT, 0));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_HTTP_STATUS, 500));
    assert_true(ota_source_err_retryable(OTA_ERR_SRC_HTTP_STATUS, 503));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_HTTP_STATUS, 404));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_HTTP_STATUS, 416));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_RESOURCE_CHANGED, 200));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_TLS_VERIFY, 0));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_TLS, 0));
    assert_false(ota_source_err_retryable(OTA_ERR_SRC_TOO_MANY_REDIRECTS, 302));
    assert_false(ota_source_err_retryable(OTA_ERR_NO_MEM, 0));

    assert_int_equal(ota_source_backoff_ms(500, 0), 500);
    assert_int_equal(ota_source_backoff_ms(500, 1), 1000);
    assert_int_equal(ota_source_backoff_ms(500, 2), 2000);
    assert_int_equal(ota_source_backoff_ms(500, 5), 16000);
    assert_int_equal(ota_source_backoff_ms(500, 6), 30000); /* capped */
    assert_int_equal(ota_source_backoff_ms(500, 1000), 30000);
    assert_int_equal(ota_source_backoff_ms(UINT32_MAX, 16), 30000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_block),     cmocka_unit_test(test_first_response),
        cmocka_unit_test(test_resume_responses), cmocka_unit_test(test_end_of_body),
        cmocka_unit_test(test_retry_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
