/* URI schemes, the file:// path mapping, Content-Range, resume checks, read_full (all pure). */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "source/source_internal.h"

static void test_scheme_is_a_prefix(void **state)
{
    (void)state;
    assert_int_equal(ota_uri_scheme("file://sdcard/flash_tone.bin"), OTA_URI_FILE);
    assert_int_equal(ota_uri_scheme("FILE:///x"), OTA_URI_FILE);
    assert_int_equal(ota_uri_scheme("http://192.168.1.2:8080/play_mp3_control.bin"), OTA_URI_HTTP);
    assert_int_equal(ota_uri_scheme("HtTp://h/x"), OTA_URI_HTTP);
    assert_int_equal(ota_uri_scheme("https://h/x"), OTA_URI_HTTPS);
    assert_int_equal(ota_uri_scheme("HTTPS://h"), OTA_URI_HTTPS);
    /* ESP-ADF's strstr() took these for file:// or http:// URIs (reference §4.1). */
    assert_int_equal(ota_uri_scheme("x-file://sdcard/a"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("ftp://h/?u=http://x"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme(" http://h/x"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("http:/h/x"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("httpx://h"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("http://"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("https://"), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme("test"), OTA_URI_INVALID); /* the ESP-ADF unit test's bad URI */
    assert_int_equal(ota_uri_scheme(""), OTA_URI_INVALID);
    assert_int_equal(ota_uri_scheme(NULL), OTA_URI_INVALID);
}

static void expect_path(const char *uri, const char *root, const char *want)
{
    char out[256];
    memset(out, 'x', sizeof out);
    int err = ota_uri_file_path(uri, root, out, sizeof out);
    if (err != OTA_OK) {
        fail_msg("%s (root %s): %s", uri, root ? root : "NULL", ota_err_name(err));
    }
    assert_string_equal(out, want);
}

static void expect_refused(const char *uri, int want)
{
    char out[256];
    int err = ota_uri_file_path(uri, "/sd", out, sizeof out);
    if (err != want) {
        fail_msg("%s: %s, expected %s", uri, ota_err_name(err), ota_err_name(want));
    }
    assert_string_equal(out, ""); /* nothing half-built is left for a careless caller */
}

static void test_file_path_mapping(void **state)
{
    (void)state;
    /* reference §4.2: ESP-ADF maps file://sdcard/f.bin to /sdcard/f.bin (its mount point) */
    expect_path("file://sdcard/flash_tone.bin", "/sdcard", "/sdcard/flash_tone.bin");
    expect_path("file://sdcard/flash_tone.bin", NULL, "./sdcard/flash_tone.bin");
    expect_path("file://sdcard/flash_tone.bin", "", "./sdcard/flash_tone.bin");
    expect_path("file://sdcard/a/b/c.bin", "/mnt/sd", "/mnt/sd/a/b/c.bin");
    expect_path("file://sdcard/x.bin", "/mnt/sd/", "/mnt/sd/x.bin");
    expect_path("file://sdcard/x.bin", "/mnt/sd//", "/mnt/sd/x.bin");
    expect_path("file://sdcard/x.bin", "/", "/x.bin");
    expect_path("file://SDCARD/x.bin", "/sd", "/sd/x.bin"); /* a host is case-insensitive */
    expect_path("FILE://sdcard/x.bin", "/sd", "/sd/x.bin");
    expect_path("file:///abs/path/app.bin", "/sd", "/abs/path/app.bin");
    expect_path("file://localhost/abs/app.bin", "/sd", "/abs/app.bin"); /* RFC 8089 */
    /* percent escapes are decoded */
    expect_path("file://sdcard/my%20tone.bin", "/sd", "/sd/my tone.bin");
    expect_path("file://sdcard/%41%62c", "/sd", "/sd/Abc");
    expect_path("file://sdcard/dir%2Ffile", "/sd", "/sd/dir/file");
    /* names that merely contain dots are fine */
    expect_path("file://sdcard/..hidden", "/sd", "/sd/..hidden");
    expect_path("file://sdcard/a..b/c...", "/sd", "/sd/a..b/c...");
    expect_path("file://sdcard/./x.bin", "/sd", "/sd/./x.bin");
    expect_path("file://sdcard/dir/", "/sd", "/sd/dir/"); /* a directory: the opener refuses it */
}

static void test_file_is_sdcard(void **state)
{
    (void)state;
    assert_true(ota_uri_file_is_sdcard("file://sdcard/flash_tone.bin"));
    assert_true(ota_uri_file_is_sdcard("FILE://SDCard/x"));
    /* RFC 8089: an empty host and "localhost" both name the local file system, absolutely */
    assert_false(ota_uri_file_is_sdcard("file:///sdcard/x"));
    assert_false(ota_uri_file_is_sdcard("file://localhost/abs/x"));
    assert_false(ota_uri_file_is_sdcard("file://LOCALHOST/abs/x"));
    assert_false(ota_uri_file_is_sdcard("file://sdcardx/x"));
    assert_false(ota_uri_file_is_sdcard("file://sdcar/x"));
    assert_false(ota_uri_file_is_sdcard("http://sdcard/x"));
    assert_false(ota_uri_file_is_sdcard(NULL));
}

static void test_file_path_refusals(void **state)
{
    (void)state;
    expect_refused("file://sdcard/../etc/passwd", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/a/../../x", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/a/..", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/..", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/a/../b", OTA_ERR_SRC_PATH_ESCAPE); /* even when it stays inside */
    expect_refused("file://sdcard/%2e%2e/x", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/%2E./x", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/a%2f..%2fb", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file:///tmp/../etc/passwd", OTA_ERR_SRC_PATH_ESCAPE);
    expect_refused("file://sdcard/", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard", OTA_ERR_SRC_URI);
    expect_refused("file:///", OTA_ERR_SRC_URI);
    expect_refused("file://", OTA_ERR_SRC_URI);
    expect_refused("file://otherhost/x.bin", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard2/x.bin", OTA_ERR_SRC_URI);
    expect_refused("file://sd/x.bin", OTA_ERR_SRC_URI);
    expect_refused("http://sdcard/x.bin", OTA_ERR_SRC_URI);
    expect_refused("sdcard/x.bin", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard/%zz", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard/a%2", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard/a%", OTA_ERR_SRC_URI);
    expect_refused("file://sdcard/a%00b", OTA_ERR_SRC_URI);

    char small[12];
    assert_int_equal(ota_uri_file_path("file://sdcard/x.bin", "/sd", small, 8), OTA_ERR_BUFFER_TOO_SMALL);
    assert_string_equal(small, "");
    assert_int_equal(ota_uri_file_path("file://sdcard/x.bin", "/a/very/long/root", small, sizeof small),
                     OTA_ERR_BUFFER_TOO_SMALL);
    /* exactly fitting: "/sd/x.bin" is 9 characters + NUL */
    assert_int_equal(ota_uri_file_path("file://sdcard/x.bin", "/sd", small, 10), OTA_OK);
    assert_string_equal(small, "/sd/x.bin");
    assert_int_equal(ota_uri_file_path("file://sdcard/x.bin", "/sd", small, 9), OTA_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(ota_uri_file_path(NULL, "/sd", small, sizeof small), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_uri_file_path("file://sdcard/x", "/sd", NULL, 10), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_uri_file_path("file://sdcard/x", "/sd", small, 0), OTA_ERR_INVALID_ARG);
}

static void test_content_range(void **state)
{
    (void)state;
    uint64_t first, last;
    int64_t total;
    bool unsat;
#define CR(text) ota_http_parse_content_range(text, strlen(text), &first, &last, &total, &unsat)
    assert_int_equal(CR("bytes 0-99/100"), OTA_OK);
    assert_true(first == 0 && last == 99 && total == 100 && !unsat);
    assert_int_equal(CR("  bytes 4096-8388607/8388608 \r\n"), OTA_OK);
    assert_true(first == 4096 && last == 8388607 && total == 8388608);
    assert_int_equal(CR("bytes 100-199/*"), OTA_OK);
    assert_true(first == 100 && last == 199 && total == -1 && !unsat);
    assert_int_equal(CR("bytes */1048579"), OTA_OK);
    assert_true(unsat && total == 1048579);
    assert_int_equal(CR("bytes 0-0/1"), OTA_OK);
    assert_true(first == 0 && last == 0 && total == 1);
    assert_int_equal(CR("bytes 5-4/10"), OTA_ERR_PARSE);  /* last before first */
    assert_int_equal(CR("bytes 0-10/10"), OTA_ERR_PARSE); /* past the end */
    assert_int_equal(CR("bytes */*"), OTA_ERR_PARSE);
    assert_int_equal(CR("items 0-1/2"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes0-1/2"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes 0-1/2x"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes -1/2"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes 0-1"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes 1-/2"), OTA_ERR_PARSE);
    assert_int_equal(CR("bytes 0-99999999999999999999/99999999999999999999"), OTA_ERR_PARSE);
    assert_int_equal(CR(""), OTA_ERR_PARSE);
#undef CR
    assert_true(ota_http_etag_is_weak("W/\"abc\""));
    assert_false(ota_http_etag_is_weak("\"abc\""));
    assert_false(ota_http_etag_is_weak(""));
}

static void test_expect_checks(void **state)
{
    (void)state;
    ota_source_info_t info;
    ota_source_info_init(&info, 7);
    assert_int_equal(info.total_size, -1);
    assert_int_equal(info.offset, 7);
    assert_int_equal(info.http_status, 0);

    assert_int_equal(ota_source_check_expect(&info, NULL, "\"a\"", 10), OTA_OK);
    ota_source_expect_t ex = {.etag = "\"a\"", .total_size = 10};
    assert_int_equal(ota_source_check_expect(&info, &ex, "\"a\"", 10), OTA_OK);
    assert_int_equal(ota_source_check_expect(&info, &ex, "\"a\"", -1), OTA_OK); /* server does not say */
    assert_int_equal(ota_source_check_expect(&info, &ex, "\"b\"", 10), OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(info.error, "\"b\""));
    assert_int_equal(ota_source_check_expect(&info, &ex, "", 10), OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_int_equal(ota_source_check_expect(&info, &ex, "\"a\"", 11), OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(info.error, "11"));
    ota_source_expect_t size_only = {.etag = "", .total_size = 10};
    assert_int_equal(ota_source_check_expect(&info, &size_only, "\"z\"", 10), OTA_OK);
    ota_source_expect_t nothing = {.etag = "", .total_size = -1};
    assert_int_equal(ota_source_check_expect(&info, &nothing, "", 5), OTA_OK);
}

static void test_config_defaults(void **state)
{
    (void)state;
    ota_source_posix_config_t c = ota_source_posix_config_resolve(NULL);
    assert_string_equal(c.sdcard_root, "./sdcard");
    assert_int_equal(c.connect_timeout_ms, 10000);
    assert_int_equal(c.stall_timeout_ms, 20000);
    assert_int_equal(c.max_redirects, 5);
    assert_int_equal(c.max_retries, 3);
    assert_int_equal(c.retry_backoff_ms, 500);
    assert_false(c.insecure);
    assert_null(c.ca_file);
    assert_null(c.cert_pem);
    ota_source_posix_config_t in = {
        .max_redirects = -1, .max_retries = -2, .stall_timeout_ms = 5, .cert_pem = ""};
    ota_source_config_t core = {.transport = &in};
    c = ota_source_posix_config_resolve(&core);
    assert_int_equal(c.max_redirects, 0);
    assert_int_equal(c.max_retries, 0);
    assert_int_equal(c.stall_timeout_ms, 5);
    assert_null(c.cert_pem);
    /* the item's cert_pem (the core config's) wins over the transport's */
    ota_source_posix_config_t pem = {.cert_pem = "transport"};
    ota_source_config_t item = {.cert_pem = "item", .transport = &pem};
    assert_string_equal(ota_source_posix_config_resolve(&item).cert_pem, "item");
    item.cert_pem = NULL;
    assert_string_equal(ota_source_posix_config_resolve(&item).cert_pem, "transport");
    /* libcurl's download buffer: libcurl's own default (curl.h's CURL_MAX_WRITE_SIZE), within its range */
    assert_int_equal(ota_source_posix_config_resolve(NULL).http_buffer_size, 16384);
    uint32_t asked[] = {1, 1024, 8192, 16384, 100000};
    uint32_t got[] = {1024, 1024, 8192, 16384, 16384};
    for (size_t i = 0; i < sizeof asked / sizeof asked[0]; i++) {
        ota_source_posix_config_t b = {.http_buffer_size = asked[i]};
        ota_source_config_t bc = {.transport = &b};
        assert_int_equal(ota_source_posix_config_resolve(&bc).http_buffer_size, got[i]);
    }
}

/* A scripted source: hands out `data` in pieces of `piece` bytes, then `end_code`. */
typedef struct {
    ota_source_t base;
    const uint8_t *data;
    size_t len, pos, piece;
    int end_code;
    int reads;
} fake_source_t;

static int fake_read(ota_source_t *src, void *buf, size_t len)
{
    fake_source_t *f = (fake_source_t *)src;
    f->reads++;
    if (f->pos == f->len) {
        return f->end_code;
    }
    size_t n = f->len - f->pos;
    n = n < f->piece ? n : f->piece;
    n = n < len ? n : len;
    memcpy(buf, f->data + f->pos, n);
    f->pos += n;
    return (int)n;
}

static void fake_close(ota_source_t *src)
{
    (void)src;
}

static const ota_source_ops_t k_fake_ops = {.read = fake_read, .close = fake_close};

static void test_read_full(void **state)
{
    (void)state;
    uint8_t data[100];
    ts_fill_random(data, sizeof data, 4);
    uint8_t out[128];

    fake_source_t f = {.base = {.ops = &k_fake_ops}, .data = data, .len = 100, .piece = 7, .end_code = 0};
    assert_int_equal(ota_source_read_full(&f.base, out, 50), 50);
    assert_memory_equal(out, data, 50);
    assert_int_equal(f.reads, 8); /* 7*7 + 1: short reads are looped over */
    /* the resource ends first: the count read, then 0 */
    assert_int_equal(ota_source_read_full(&f.base, out, sizeof out), 50);
    assert_memory_equal(out, data + 50, 50);
    assert_int_equal(ota_source_read_full(&f.base, out, sizeof out), 0);
    assert_int_equal(ota_source_read_full(&f.base, out, 0), 0);

    /* an error is returned as is, even after some bytes */
    fake_source_t e = {
        .base = {.ops = &k_fake_ops}, .data = data, .len = 10, .piece = 4, .end_code = OTA_ERR_SRC_TRUNCATED};
    assert_int_equal(ota_source_read_full(&e.base, out, 20), OTA_ERR_SRC_TRUNCATED);
    assert_int_equal(ota_source_read_full(NULL, out, 20), OTA_ERR_INVALID_ARG);
    ota_source_close(NULL); /* NULL-safe */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheme_is_a_prefix), cmocka_unit_test(test_file_path_mapping),
        cmocka_unit_test(test_file_path_refusals), cmocka_unit_test(test_file_is_sdcard),
        cmocka_unit_test(test_content_range),      cmocka_unit_test(test_expect_checks),
        cmocka_unit_test(test_config_defaults),    cmocka_unit_test(test_read_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
