/*
 * The CLI's output layer (tools/ota/out.h): what a command builds as typed fields comes out as the
 * compact JSON line docs/json.md describes (fields in the order built, null for a missing string,
 * lowercase hex, the shared error object, invalid UTF-8 as "\xNN"), and the text renderer reads
 * the same fields back. Expected lines are written out by hand from docs/json.md's rules.
 */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "out.h"

/* Run @p fn with stdout sent to a file; returns what it printed (malloc'ed). */
static char *capture_stdout(void (*fn)(void *), void *arg)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(STDOUT_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    fn(arg);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    long n = ftell(tmp);
    assert_true(n >= 0);
    char *text = calloc(1, (size_t)n + 1);
    assert_non_null(text);
    rewind(tmp);
    assert_int_equal(fread(text, 1, (size_t)n, tmp), (size_t)n);
    fclose(tmp);
    return text;
}

static out_t *sample_result(void)
{
    static const uint8_t digest[4] = {0x00, 0xAB, 0x7F, 0xFF};
    out_t *r = out_object();
    out_str(r, "label", "ota_0");
    out_int(r, "offset", 0x10000);
    out_int(r, "code", -401);
    out_bool(r, "valid", false);
    out_str(r, "running", NULL);
    out_hex(r, "digest", digest, sizeof digest);
    out_hex(r, "none", NULL, 32);
    out_err(r, "ok", OTA_OK);
    out_t *arr = out_arr(r, "items");
    out_str(arr, NULL, "a");
    out_int(out_obj(arr, NULL), "n", 4294967295LL);
    return r;
}

static void emit_json(void *arg)
{
    out_emit(arg, true, NULL, NULL);
}

static void test_json_is_one_compact_line_in_build_order(void **state)
{
    (void)state;
    char *line = capture_stdout(emit_json, sample_result());
    assert_string_equal(
        line, "{\"label\":\"ota_0\",\"offset\":65536,\"code\":-401,\"valid\":false,\"running\":null,"
              "\"digest\":\"00ab7fff\",\"none\":null,\"ok\":null,"
              "\"items\":[\"a\",{\"n\":4294967295}]}\n");
    free(line);
}

static void emit_error(void *arg)
{
    (void)arg;
    out_t *e = out_error(OTA_ERR_NO_BOOTABLE_APP, NULL);
    out_str(e, "device", "dev.bin");
    out_emit(e, true, NULL, NULL);
}

static void test_error_object_names_the_code(void **state)
{
    (void)state;
    char *line = capture_stdout(emit_error, NULL);
    char want[256];
    snprintf(
        want, sizeof want,
        "{\"error\":\"OTA_ERR_NO_BOOTABLE_APP\",\"code\":%d,\"message\":\"%s\",\"device\":\"dev.bin\"}\n",
        OTA_ERR_NO_BOOTABLE_APP, ota_strerror(OTA_ERR_NO_BOOTABLE_APP));
    assert_string_equal(line, want);
    free(line);
}

static void emit_bad_utf8(void *arg)
{
    (void)arg;
    out_t *r = out_object();
    /* "é" (valid, kept), a lone continuation byte, an overlong "/" (C0 AF), a surrogate (ED A0 80) */
    out_str(r, "v", "\xc3\xa9-\x80-\xc0\xaf-\xed\xa0\x80");
    out_emit(r, true, NULL, NULL);
}

static void test_invalid_utf8_becomes_escapes(void **state)
{
    (void)state;
    char *line = capture_stdout(emit_bad_utf8, NULL);
    assert_string_equal(line, "{\"v\":\"\xc3\xa9-\\\\x80-\\\\xc0\\\\xaf-\\\\xed\\\\xa0\\\\x80\"}\n");
    free(line);
}

/* A text renderer reading the result back: what the JSON holds is what the text says. */
static void sample_text(const out_t *r, const void *ctx)
{
    const out_t *items = out_get(r, "items");
    printf("%s %s at 0x%x, %s, %s, %u items, n=%lld, ctx=%s\n", out_get_str(r, "label"),
           out_get_bool(r, "valid") ? "valid" : "invalid", (unsigned)out_get_int(r, "offset"),
           out_has(r, "running") ? "running" : "not running", out_get_str(r, "digest"),
           (unsigned)out_count(items), (long long)out_get_int(out_at(items, 1), "n"), (const char *)ctx);
    /* missing fields read as nothing */
    printf("%d %lld %d %d\n", out_get_str(r, "nope") == NULL, (long long)out_get_int(r, "nope"),
           out_get_bool(r, "nope"), out_at(items, 9) == NULL);
}

static void emit_text(void *arg)
{
    out_emit(arg, false, sample_text, "c");
}

static void test_text_reads_the_same_fields(void **state)
{
    (void)state;
    char *text = capture_stdout(emit_text, sample_result());
    assert_string_equal(text,
                        "ota_0 invalid at 0x10000, not running, 00ab7fff, 2 items, n=4294967295, ctx=c\n"
                        "1 0 0 1\n");
    free(text);
}

static void emit_failure_text(void *arg)
{
    (void)arg;
    assert_int_equal(out_failure(false, OTA_ERR_IO, "gone"), 1);
    out_emit(out_object(), false, NULL, NULL); /* no text renderer: nothing */
}

static void emit_failure_json(void *arg)
{
    (void)arg;
    assert_int_equal(out_failure(true, OTA_ERR_IO, "gone"), 1);
}

static void test_failure_document_only_with_json(void **state)
{
    (void)state;
    char *text = capture_stdout(emit_failure_text, NULL);
    assert_string_equal(text, "");
    free(text);
    char *line = capture_stdout(emit_failure_json, NULL);
    char want[160];
    snprintf(want, sizeof want, "{\"error\":\"OTA_ERR_IO\",\"code\":%d,\"message\":\"gone\"}\n", OTA_ERR_IO);
    assert_string_equal(line, want);
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_is_one_compact_line_in_build_order),
        cmocka_unit_test(test_error_object_names_the_code),
        cmocka_unit_test(test_invalid_utf8_becomes_escapes),
        cmocka_unit_test(test_text_reads_the_same_fields),
        cmocka_unit_test(test_failure_document_only_with_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
