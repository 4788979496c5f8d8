/* The ESP-IDF port's HTTP source (src/port/esp-idf/source_http_esp.c) on the host, against a
 * scripted esp_http_client (fake_esp_http_client.c): what it asks for on a resume (Range,
 * If-Range), which answers it accepts (the core's HTTP rules: RFC 9110 range semantics), how it
 * resumes a body cut short, follows a redirect, and reports a status. The expected bytes and
 * headers follow from RFC 9110 (14.2 Range, 13.1.5 If-Range, 15.3.7 206) and the script, not
 * from the source's own output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fake_esp_http_client.h"
#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

static const char k_body[] = "0123456789";

/* Retries without waiting: the back-off is not what is tested here. */
static const ota_source_posix_config_t k_transport = {.retry_backoff_ms = 1};
static const ota_source_config_t k_cfg = {.transport = &k_transport};

static int setup(void **state)
{
    (void)state;
    fake_http_reset();
    return 0;
}

/* Everything the source gives until its end, as a string. */
static int read_all(ota_source_t *src, char *out, size_t size)
{
    size_t used = 0;
    for (;;) {
        int n = ota_source_read(src, out + used, size - 1 - used > 3 ? 3 : size - 1 - used);
        if (n <= 0) {
            out[used] = '\0';
            return n;
        }
        used += (size_t)n;
    }
}

static void test_whole_resource(void **state)
{
    (void)state;
    g_fake.response[0] = (fake_response_t){200, {"Content-Length: 10", "ETag: \"v1\""}, k_body, 10, 0};
    g_fake.count = 1;
    ota_source_t *src = NULL;
    ota_source_info_t diag;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/fw.bin", 0, NULL, &src, &diag), OTA_OK);
    assert_string_equal(g_fake.request[0].range, ""); /* offset 0, no limit: a plain GET */
    assert_int_equal(diag.http_status, 200);
    assert_int_equal(diag.total_size, 10);
    assert_string_equal(diag.etag, "\"v1\"");
    char got[32];
    assert_int_equal(read_all(src, got, sizeof got), 0);
    assert_string_equal(got, k_body);
    ota_source_close(src);
    assert_int_equal(g_fake.clients, 0);
}

static void test_resume_sends_range_and_if_range(void **state)
{
    (void)state;
    g_fake.response[0] = (fake_response_t){
        206, {"Content-Length: 6", "Content-Range: bytes 4-9/10", "ETag: \"v1\""}, k_body + 4, 6, 0};
    g_fake.count = 1;
    ota_source_expect_t expect = {.etag = "\"v1\"", .total_size = 10};
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/fw.bin", 4, &expect, &src, NULL), OTA_OK);
    assert_string_equal(g_fake.request[0].range, "bytes=4-");
    assert_string_equal(g_fake.request[0].if_range, "\"v1\"");
    char got[32];
    assert_int_equal(read_all(src, got, sizeof got), 0);
    assert_string_equal(got, "456789");
    assert_int_equal(ota_source_get_info(src)->offset, 10);
    ota_source_close(src);
}

static void test_ranged_request_answered_200_is_refused(void **state)
{
    (void)state;
    /* The server ignored Range (or If-Range did not match): the whole resource again, which must
     * not be appended at offset 4. */
    g_fake.response[0] = (fake_response_t){200, {"Content-Length: 10", "ETag: \"v2\""}, k_body, 10, 0};
    g_fake.count = 1;
    ota_source_expect_t expect = {.etag = "\"v1\"", .total_size = 10};
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/fw.bin", 4, &expect, &src, NULL),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_null(src);
    assert_int_equal(g_fake.clients, 0);
}

static void test_body_cut_short_is_resumed(void **state)
{
    (void)state;
    g_fake.response[0] = (fake_response_t){200, {"Content-Length: 10", "ETag: \"v1\""}, k_body, 10, 6};
    g_fake.response[1] = (fake_response_t){
        206, {"Content-Length: 4", "Content-Range: bytes 6-9/10", "ETag: \"v1\""}, k_body + 6, 4, 0};
    g_fake.count = 2;
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/fw.bin", 0, NULL, &src, NULL), OTA_OK);
    char got[32];
    assert_int_equal(read_all(src, got, sizeof got), 0);
    assert_string_equal(got, k_body);
    assert_int_equal(g_fake.requests, 2);
    /* The resume asks for the first byte not delivered, and only if it is still the same resource. */
    assert_string_equal(g_fake.request[1].range, "bytes=6-");
    assert_string_equal(g_fake.request[1].if_range, "\"v1\"");
    assert_int_equal(ota_source_get_info(src)->retries, 1);
    ota_source_close(src);
}

static void test_redirect_followed(void **state)
{
    (void)state;
    g_fake.response[0] =
        (fake_response_t){302, {"Location: http://b.example/fw.bin", "Content-Length: 0"}, "", 0, 0};
    g_fake.response[1] = (fake_response_t){200, {"Content-Length: 10", "ETag: \"v1\""}, k_body, 10, 0};
    g_fake.count = 2;
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/fw.bin", 0, NULL, &src, NULL), OTA_OK);
    assert_string_equal(g_fake.request[1].url, "http://b.example/fw.bin");
    char got[32];
    assert_int_equal(read_all(src, got, sizeof got), 0);
    assert_string_equal(got, k_body);
    ota_source_close(src);
}

static void test_not_found(void **state)
{
    (void)state;
    g_fake.response[0] = (fake_response_t){404, {"Content-Length: 9"}, "not found", 9, 0};
    g_fake.count = 1;
    ota_source_t *src = NULL;
    ota_source_info_t diag;
    assert_int_equal(ota_source_http_open(&k_cfg, "http://a.example/none.bin", 0, NULL, &src, &diag),
                     OTA_ERR_SRC_HTTP_STATUS);
    assert_int_equal(diag.http_status, 404);
    assert_int_equal(g_fake.clients, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_whole_resource, setup),
        cmocka_unit_test_setup(test_resume_sends_range_and_if_range, setup),
        cmocka_unit_test_setup(test_ranged_request_answered_200_is_refused, setup),
        cmocka_unit_test_setup(test_body_cut_short_is_resumed, setup),
        cmocka_unit_test_setup(test_redirect_followed, setup),
        cmocka_unit_test_setup(test_not_found, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
