/*
 * sdkconfig parser: the ESP-ADF OTA example's keys (reference §6 Kconfig table), Kconfig string
 * escapes, "is not set", CRLF, and syntax errors with their line and column.
 */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/sim/ota_sdkconfig.h"

/* What Kconfig writes for the example with its defaults (menu "OTA App Configuration"). */
static const char k_example[] = "#\n"
                                "# Automatically generated file. DO NOT EDIT.\n"
                                "# Espressif IoT Development Framework (ESP-IDF) Project Configuration\n"
                                "#\n"
                                "CONFIG_IDF_TARGET=\"esp32\"\n"
                                "\n"
                                "#\n"
                                "# OTA App Configuration\n"
                                "#\n"
                                "CONFIG_WIFI_SSID=\"myssid\"\n"
                                "CONFIG_WIFI_PASSWORD=\"mypassword\"\n"
                                "CONFIG_FIRMWARE_UPGRADE_URI=\"https://192.168.0.3:8070/hello-world.bin\"\n"
                                "CONFIG_DATA_UPGRADE_URI=\"file://sdcard/flash_tone.bin\"\n"
                                "CONFIG_DATA_PARTITION_LABEL=\"flash_tone\"\n"
                                "# CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER is not set\n"
                                "# end of OTA App Configuration\n"
                                "CONFIG_FREERTOS_HZ=1000\n"
                                "CONFIG_ESPTOOLPY_FLASHSIZE_4MB=y\n"
                                "CONFIG_PARTITION_TABLE_OFFSET=0x8000\n"
                                "CONFIG_ESP_TLS_INSECURE=y"; /* no final newline */

typedef struct {
    int count;
    char keys[16][64];
    char values[16][128];
    ota_sdkconfig_kind_t kinds[16];
    unsigned lines[16];
} collected_t;

static int collect(void *ctx, const ota_sdkconfig_entry_t *e)
{
    collected_t *c = ctx;
    assert_true(c->count < 16);
    snprintf(c->keys[c->count], sizeof c->keys[0], "%s", e->key);
    snprintf(c->values[c->count], sizeof c->values[0], "%s", e->value);
    assert_int_equal(strlen(e->value), e->value_len);
    c->kinds[c->count] = e->kind;
    c->lines[c->count] = e->line;
    c->count++;
    return OTA_OK;
}

static int parse(const char *text, size_t len, collected_t *c, ota_sdkconfig_diag_t *diag)
{
    char scratch[256];
    memset(c, 0, sizeof *c);
    return ota_sdkconfig_parse(text, len, scratch, sizeof scratch, collect, c, diag);
}

static void test_example_keys(void **state)
{
    (void)state;
    collected_t c;
    ota_sdkconfig_diag_t diag;
    assert_int_equal(parse(k_example, strlen(k_example), &c, &diag), OTA_OK);
    assert_int_equal(c.count, 11);
    assert_string_equal(c.keys[0], "CONFIG_IDF_TARGET");
    assert_string_equal(c.values[0], "esp32");
    assert_int_equal(c.kinds[0], OTA_SDKCONFIG_STRING);
    assert_int_equal(c.lines[0], 5);
    assert_string_equal(c.keys[6], "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER");
    assert_string_equal(c.values[6], "n");
    assert_int_equal(c.kinds[6], OTA_SDKCONFIG_NOT_SET);
    assert_int_equal(c.lines[6], 15);
    assert_string_equal(c.keys[7], "CONFIG_FREERTOS_HZ");
    assert_string_equal(c.values[7], "1000");
    assert_int_equal(c.kinds[7], OTA_SDKCONFIG_VALUE);
    assert_string_equal(c.keys[10], "CONFIG_ESP_TLS_INSECURE");
    assert_string_equal(c.values[10], "y");
    assert_int_equal(c.lines[10], 20);

    char v[128];
    ota_sdkconfig_kind_t kind;
    assert_int_equal(ota_sdkconfig_get(k_example, strlen(k_example), "CONFIG_FIRMWARE_UPGRADE_URI", v,
                                       sizeof v, &kind, &diag),
                     OTA_OK);
    assert_string_equal(v, "https://192.168.0.3:8070/hello-world.bin");
    assert_int_equal(kind, OTA_SDKCONFIG_STRING);
    assert_int_equal(
        ota_sdkconfig_get(k_example, strlen(k_example), "CONFIG_DATA_UPGRADE_URI", v, sizeof v, NULL, &diag),
        OTA_OK);
    assert_string_equal(v, "file://sdcard/flash_tone.bin");
    assert_int_equal(ota_sdkconfig_get(k_example, strlen(k_example), "CONFIG_DATA_PARTITION_LABEL", v,
                                       sizeof v, NULL, &diag),
                     OTA_OK);
    assert_string_equal(v, "flash_tone");
    bool force = true;
    assert_int_equal(ota_sdkconfig_get_bool(k_example, strlen(k_example),
                                            "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER", &force, &diag),
                     OTA_OK);
    assert_false(force);
    bool insecure = false;
    assert_int_equal(
        ota_sdkconfig_get_bool(k_example, strlen(k_example), "CONFIG_ESP_TLS_INSECURE", &insecure, &diag),
        OTA_OK);
    assert_true(insecure);
    assert_int_equal(ota_sdkconfig_get(k_example, strlen(k_example), "CONFIG_NOPE", v, sizeof v, NULL, &diag),
                     OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_sdkconfig_get(k_example, strlen(k_example), "CONFIG_WIFI", v, sizeof v, NULL, &diag),
                     OTA_ERR_NOT_FOUND); /* whole names only */
    /* the bool from the file, as `ota run` turns the check on */
    const char on[] = "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER=y\n";
    assert_int_equal(
        ota_sdkconfig_get_bool(on, strlen(on), "CONFIG_FORCE_CHECK_FIRMWARE_VERSION_NUMBER", &force, &diag),
        OTA_OK);
    assert_true(force);
}

static void test_crlf_same_as_lf(void **state)
{
    (void)state;
    char crlf[2048];
    size_t n = 0;
    for (const char *p = k_example; *p; p++) {
        if (*p == '\n') {
            crlf[n++] = '\r';
        }
        crlf[n++] = *p;
    }
    collected_t a, b;
    assert_int_equal(parse(k_example, strlen(k_example), &a, NULL), OTA_OK);
    assert_int_equal(parse(crlf, n, &b, NULL), OTA_OK);
    assert_memory_equal(&a, &b, sizeof a);
    /* a CR that does not end a line is an error, with its position */
    const char bad[] = "CONFIG_A=y\nCONFIG_B=x\ry\n";
    ota_sdkconfig_diag_t diag;
    assert_int_equal(parse(bad, strlen(bad), &a, &diag), OTA_ERR_PARSE);
    assert_int_equal(diag.line, 2);
    assert_int_equal(diag.column, 11);
    const char cr_at_end[] = "CONFIG_A=y\r"; /* no LF after it */
    assert_int_equal(parse(cr_at_end, strlen(cr_at_end), &a, &diag), OTA_ERR_PARSE);
}

static void test_strings_and_escapes(void **state)
{
    (void)state;
    const char text[] = "CONFIG_Q=\"a \\\"quoted\\\" \\\\ back\"\n" /* a "quoted" \ back */
                        "CONFIG_E=\"\"\n"
                        "CONFIG_L=\"\\x\"\n" /* any escaped char is itself */
                        "CONFIG_H=\"# not a comment\"   \n"
                        "CONFIG_R=a#b \"c\"\n" /* unquoted: as written */
                        "CONFIG_EMPTY=\n"
                        "\t  CONFIG_INDENT=1  \t\n"
                        "CONFIG_lower_9=ok\n";
    collected_t c;
    ota_sdkconfig_diag_t diag;
    assert_int_equal(parse(text, strlen(text), &c, &diag), OTA_OK);
    assert_int_equal(c.count, 8);
    assert_string_equal(c.values[0], "a \"quoted\" \\ back");
    assert_string_equal(c.values[1], "");
    assert_int_equal(c.kinds[1], OTA_SDKCONFIG_STRING);
    assert_string_equal(c.values[2], "x");
    assert_string_equal(c.values[3], "# not a comment");
    assert_string_equal(c.values[4], "a#b \"c\"");
    assert_int_equal(c.kinds[4], OTA_SDKCONFIG_VALUE);
    assert_string_equal(c.values[5], "");
    assert_int_equal(c.kinds[5], OTA_SDKCONFIG_VALUE);
    assert_string_equal(c.keys[6], "CONFIG_INDENT");
    assert_string_equal(c.values[6], "1");
    assert_string_equal(c.keys[7], "CONFIG_lower_9");
    char v[32];
    assert_int_equal(ota_sdkconfig_get(text, strlen(text), "CONFIG_Q", v, sizeof v, NULL, NULL), OTA_OK);
    assert_string_equal(v, "a \"quoted\" \\ back");
    /* exactly fitting buffer, then one byte short */
    assert_int_equal(ota_sdkconfig_get(text, strlen(text), "CONFIG_Q", v, 18, NULL, NULL), OTA_OK);
    assert_int_equal(ota_sdkconfig_get(text, strlen(text), "CONFIG_Q", v, 17, NULL, NULL),
                     OTA_ERR_BUFFER_TOO_SMALL);
}

static void test_not_set_and_comments(void **state)
{
    (void)state;
    const char text[] = "# CONFIG_A is not set\n"
                        "#CONFIG_B is not set\n" /* no space: just a comment */
                        "# CONFIG_C is not set   \n"
                        "# CONFIG_D is not set, really\n" /* more text: a comment */
                        "   # CONFIG_E is not set\n"
                        "# CONFIG_ is not set\n"
                        "\n   \n\t\n";
    collected_t c;
    assert_int_equal(parse(text, strlen(text), &c, NULL), OTA_OK);
    assert_int_equal(c.count, 3);
    assert_string_equal(c.keys[0], "CONFIG_A");
    assert_string_equal(c.keys[1], "CONFIG_C");
    assert_string_equal(c.keys[2], "CONFIG_E");
    assert_int_equal(c.kinds[2], OTA_SDKCONFIG_NOT_SET);
    bool b = true;
    assert_int_equal(ota_sdkconfig_get_bool(text, strlen(text), "CONFIG_B", &b, NULL), OTA_ERR_NOT_FOUND);
    assert_int_equal(ota_sdkconfig_get_bool(text, strlen(text), "CONFIG_C", &b, NULL), OTA_OK);
    assert_false(b);
    /* empty text, BOM */
    assert_int_equal(parse("", 0, &c, NULL), OTA_OK);
    assert_int_equal(c.count, 0);
    const char bom[] = "\xEF\xBB\xBF"
                       "CONFIG_A=y\n";
    assert_int_equal(parse(bom, strlen(bom), &c, NULL), OTA_OK);
    assert_string_equal(c.keys[0], "CONFIG_A");
}

static void expect_error(const char *text, unsigned line, unsigned column, const char *needle)
{
    collected_t c;
    ota_sdkconfig_diag_t diag;
    int rc = parse(text, strlen(text), &c, &diag);
    if (rc != OTA_ERR_PARSE || diag.line != line || diag.column != column || diag.message == NULL ||
        strstr(diag.message, needle) == NULL) {
        fail_msg("'%s': rc %d line %u col %u '%s'", text, rc, diag.line, diag.column,
                 diag.message ? diag.message : "(null)");
    }
}

static void test_syntax_errors(void **state)
{
    (void)state;
    expect_error("CONFIG_A=y\n\nFOO=bar\n", 3, 1, "expected CONFIG_NAME=value");
    expect_error("  WIFI_SSID=\"x\"\n", 1, 3, "expected CONFIG_NAME=value");
    expect_error("CONFIG_=x\n", 1, 8, "empty option name");
    expect_error("CONFIG_X y\n", 1, 9, "blank between");
    expect_error("CONFIG_X = y\n", 1, 9, "blank between");
    expect_error("CONFIG_X-Y=1\n", 1, 9, "invalid character");
    expect_error("CONFIG_X\n", 1, 9, "expected '='");
    expect_error("CONFIG_A=1\nCONFIG_X=\"abc\n", 2, 10, "unterminated string");
    expect_error("CONFIG_X=\"abc\\\"\n", 1, 10, "unterminated string");
    expect_error("CONFIG_X=\"abc\" junk\n", 1, 15, "text after the closing quote");
    expect_error("CONFIG_X=\"a\"\"b\"\n", 1, 13, "text after the closing quote");
    expect_error("config_x=y\n", 1, 1, "expected CONFIG_NAME=value");
    const char nul[] = "CONFIG_A=y\nCONFIG_B=a\0b\n";
    collected_t c;
    ota_sdkconfig_diag_t diag;
    assert_int_equal(parse(nul, sizeof nul - 1, &c, &diag), OTA_ERR_PARSE);
    assert_int_equal(diag.line, 2);
    assert_int_equal(diag.column, 11);
    assert_non_null(strstr(diag.message, "NUL"));
    /* a lookup refuses a file with an error anywhere, even after the key */
    const char later[] = "CONFIG_A=y\nbroken\n";
    char v[8];
    assert_int_equal(ota_sdkconfig_get(later, strlen(later), "CONFIG_A", v, sizeof v, NULL, &diag),
                     OTA_ERR_PARSE);
    assert_int_equal(diag.line, 2);
}

static int stop_at_second(void *ctx, const ota_sdkconfig_entry_t *e)
{
    int *seen = ctx;
    (void)e;
    return ++*seen == 2 ? OTA_ERR_CANCELLED : OTA_OK;
}

static void test_duplicates_callback_and_buffers(void **state)
{
    (void)state;
    const char text[] = "CONFIG_A=\"first\"\nCONFIG_B=1\nCONFIG_A=\"second\"\nCONFIG_C=maybe\n";
    collected_t c;
    assert_int_equal(parse(text, strlen(text), &c, NULL), OTA_OK);
    assert_int_equal(c.count, 4);
    assert_string_equal(c.values[0], "first");
    assert_string_equal(c.values[2], "second");
    char v[16];
    assert_int_equal(ota_sdkconfig_get(text, strlen(text), "CONFIG_A", v, sizeof v, NULL, NULL), OTA_OK);
    assert_string_equal(v, "second"); /* last wins, as in Kconfig */
    /* a callback error stops the walk and comes back */
    int seen = 0;
    char scratch[64];
    assert_int_equal(
        ota_sdkconfig_parse(text, strlen(text), scratch, sizeof scratch, stop_at_second, &seen, NULL),
        OTA_ERR_CANCELLED);
    assert_int_equal(seen, 2);
    /* scratch: key + NUL + value + NUL; one byte short is refused with the line */
    ota_sdkconfig_diag_t diag;
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), scratch, 14, collect, &c, &diag),
                     OTA_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(diag.line, 1); /* "CONFIG_A" + NUL + "first" + NUL = 15 bytes */
    memset(&c, 0, sizeof c);
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), scratch, 15, collect, &c, &diag),
                     OTA_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(diag.line, 3); /* "second" needs 16 */
    assert_int_equal(c.count, 2);
    memset(&c, 0, sizeof c);
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), scratch, 16, collect, &c, &diag), OTA_OK);
    assert_int_equal(c.count, 4);
    /* NULL callback: a syntax check */
    assert_int_equal(ota_sdkconfig_parse(text, strlen(text), NULL, 0, NULL, NULL, NULL), OTA_OK);
    /* bools that are not */
    bool b;
    assert_int_equal(ota_sdkconfig_get_bool(text, strlen(text), "CONFIG_C", &b, &diag), OTA_ERR_PARSE);
    assert_int_equal(diag.line, 4);
    assert_int_equal(ota_sdkconfig_get_bool(text, strlen(text), "CONFIG_A", &b, &diag), OTA_ERR_PARSE);
    const char quoted_y[] = "CONFIG_A=\"y\"\nCONFIG_N=n\n";
    assert_int_equal(ota_sdkconfig_get_bool(quoted_y, strlen(quoted_y), "CONFIG_A", &b, &diag),
                     OTA_ERR_PARSE);
    assert_int_equal(ota_sdkconfig_get_bool(quoted_y, strlen(quoted_y), "CONFIG_N", &b, &diag), OTA_OK);
    assert_false(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_keys),        cmocka_unit_test(test_crlf_same_as_lf),
        cmocka_unit_test(test_strings_and_escapes), cmocka_unit_test(test_not_set_and_comments),
        cmocka_unit_test(test_syntax_errors),       cmocka_unit_test(test_duplicates_callback_and_buffers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
