/*
 * Version strings. ota_version_espadf_number: every rule and quirk of ESP-ADF's
 * ota_get_version_number listed in reference/esp-adf-ota-service.md §4.3. ota_version_compare:
 * the rules of ota_version.h, with the example README's v2.2-252 / v2.2-237 pair.
 */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_version.h"

static void test_espadf_number_documented_values(void **state)
{
    (void)state;
    assert_int_equal(ota_version_espadf_number("V1.2.3"), 66051); /* §4.3's example */
    assert_int_equal(ota_version_espadf_number("v1.2.3"), 0x010203);
    assert_int_equal(ota_version_espadf_number("v0.0.0"), 0);
    assert_int_equal(ota_version_espadf_number("v255.255.255"), 0xFFFFFF);
    assert_int_equal(ota_version_espadf_number("v001.002.003"), 0x010203);
    /* -1 for: NULL, "v1.0" (mk_audio_tone.py's default), no v, git describe */
    assert_int_equal(ota_version_espadf_number(NULL), -1);
    assert_int_equal(ota_version_espadf_number("v1.0"), -1);
    assert_int_equal(ota_version_espadf_number("1.2.3"), -1);
    assert_int_equal(ota_version_espadf_number("v2.2-252-g62edbd26-dirty"), -1);
    assert_int_equal(ota_version_espadf_number("v2.2-237-g62edbd26"), -1);
}

static void test_espadf_number_quirks(void **state)
{
    (void)state;
    /* strtok merges empty fields */
    assert_int_equal(ota_version_espadf_number("v1..2.3"), 0x010203);
    assert_int_equal(ota_version_espadf_number(".v1.2.3"), 0x010203);
    assert_int_equal(ota_version_espadf_number("v1.2.3."), 0x010203);
    assert_int_equal(ota_version_espadf_number("v1.2...3"), 0x010203);
    /* the 'v' is skipped and what remains may be empty: atoi("") = 0 */
    assert_int_equal(ota_version_espadf_number("v.1.2"), 0x000102);
    assert_int_equal(ota_version_espadf_number("V.0.0"), 0);
    /* exactly 3 fields: a 4th gives -1 (negative shift in the original) */
    assert_int_equal(ota_version_espadf_number("v1.2.3.4"), -1);
    assert_int_equal(ota_version_espadf_number("v1.2.3.x"), -1);
    assert_int_equal(ota_version_espadf_number("v1.2"), -1);
    assert_int_equal(ota_version_espadf_number("v1"), -1);
    assert_int_equal(ota_version_espadf_number("v"), -1);
    assert_int_equal(ota_version_espadf_number(""), -1);
    assert_int_equal(ota_version_espadf_number("..."), -1);
    /* each field <= 255, digits only */
    assert_int_equal(ota_version_espadf_number("v256.0.0"), -1);
    assert_int_equal(ota_version_espadf_number("v1.256.0"), -1);
    assert_int_equal(ota_version_espadf_number("v1.2.256"), -1);
    assert_int_equal(ota_version_espadf_number("v99999999999.0.0"), -1);
    assert_int_equal(ota_version_espadf_number("v1.2.x"), -1);
    assert_int_equal(ota_version_espadf_number("v1.2.3 "), -1);
    assert_int_equal(ota_version_espadf_number("v+1.2.3"), -1);
    assert_int_equal(ota_version_espadf_number("v-1.2.3"), -1);
    assert_int_equal(ota_version_espadf_number("vv1.2.3"), -1);
    assert_int_equal(ota_version_espadf_number("x1.2.3"), -1);
    /* strlen > 32 gives -1; exactly 32 is fine */
    const char *len32 = "v1.2.00000000000000000000000003"; /* 31 */
    assert_int_equal(strlen(len32), 31);
    assert_int_equal(ota_version_espadf_number(len32), 0x010203);
    const char *len32b = "v1.2.000000000000000000000000003";
    assert_int_equal(strlen(len32b), 32);
    assert_int_equal(ota_version_espadf_number(len32b), 0x010203);
    const char *len33 = "v1.2.0000000000000000000000000003";
    assert_int_equal(strlen(len33), 33);
    assert_int_equal(ota_version_espadf_number(len33), -1);
}

static ota_version_order_t cmp(const char *incoming, const char *running)
{
    ota_version_cmp_t r;
    memset(&r, 0x5A, sizeof r);
    ota_version_order_t o = ota_version_compare(incoming, running, &r);
    assert_int_equal(r.order, o);
    assert_true(strlen(r.reason) > 3 && strlen(r.reason) < sizeof r.reason);
    return o;
}

static void test_readme_pair_and_git_describe(void **state)
{
    (void)state;
    /* The example README installs v2.2-237 over a running v2.2-252: a downgrade. */
    assert_int_equal(cmp("v2.2-237-g2a1c4e8d", "v2.2-252-g62edbd26"), OTA_VERSION_OLDER);
    assert_int_equal(cmp("v2.2-252-g62edbd26", "v2.2-237-g2a1c4e8d"), OTA_VERSION_NEWER);
    ota_version_cmp_t r;
    ota_version_compare("v2.2-237-g2a1c4e8d", "v2.2-252-g62edbd26-dirty", &r);
    assert_int_equal(r.order, OTA_VERSION_OLDER);
    assert_non_null(strstr(r.reason, "237"));
    assert_non_null(strstr(r.reason, "252"));
    assert_non_null(strstr(r.reason, "v2.2"));
    /* -dirty does not change the order of different counts */
    assert_int_equal(cmp("v2.2-252-g62edbd26-dirty", "v2.2-237-g2a1c4e8d"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v2.2-252-g62edbd26-dirty", "v2.2-237-g2a1c4e8d-dirty"), OTA_VERSION_NEWER);
    /* plain tag vs tag + commits */
    assert_int_equal(cmp("v2.2", "v2.2-5-gabc1"), OTA_VERSION_OLDER);
    assert_int_equal(cmp("v2.2-5-gabc1", "v2.2"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v2.2-1-g0000", "v2.2"), OTA_VERSION_NEWER);
    /* identical strings, also dirty ones */
    assert_int_equal(cmp("v2.2-252-g62edbd26-dirty", "v2.2-252-g62edbd26-dirty"), OTA_VERSION_SAME);
    assert_int_equal(cmp("v2.2-252-g62edbd26", "v2.2-252-g62edbd26"), OTA_VERSION_SAME);
    /* the same commit written two ways */
    assert_int_equal(cmp("v2.2-0-g62edbd26", "v2.2"), OTA_VERSION_SAME);
    assert_int_equal(cmp("v2.2-5-g62edbd26", "v2.2-5-g62edbd2"), OTA_VERSION_SAME);
    assert_int_equal(cmp("v2.2-5-g62EDBD26", "v2.2-5-g62edbd26"), OTA_VERSION_SAME);
    /* same distance, different commits: two branches */
    assert_int_equal(cmp("v2.2-5-gabcd", "v2.2-5-gef01"), OTA_VERSION_NOT_COMPARABLE);
    /* a modified tree of the same commit */
    assert_int_equal(cmp("v2.2-5-gabcd-dirty", "v2.2-5-gabcd"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("v2.2-5-gabcd", "v2.2-5-gabcd-dirty"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("v2.2-dirty", "v2.2"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("v2.2-dirty", "v2.2-3-gabcd"), OTA_VERSION_OLDER);
}

static void test_dotted_numbers(void **state)
{
    (void)state;
    assert_int_equal(cmp("v2.3", "v2.2-252-g62edbd26"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v2.2-252-g62edbd26", "v2.3"), OTA_VERSION_OLDER);
    assert_int_equal(cmp("v2.3-1-gabcd", "v2.2-252-g62edbd26"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v2.10", "v2.9"), OTA_VERSION_NEWER); /* numbers, not text */
    assert_int_equal(cmp("v1.0.1", "v1.0"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v1.0", "v1.0.0"), OTA_VERSION_SAME);
    assert_int_equal(cmp("v1.2.3", "V1.2.3"), OTA_VERSION_SAME);
    assert_int_equal(cmp("1.2.3", "v1.2.4"), OTA_VERSION_OLDER);
    assert_int_equal(cmp("v1.0", "v1.0-2-gabcd"), OTA_VERSION_OLDER); /* "v1.0": ESP-ADF gives -1 */
    assert_int_equal(cmp("v3", "v2.99.99"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("v4294967295.1", "v4294967295.0"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("1", "2"), OTA_VERSION_OLDER); /* IDF's PROJECT_VER "1" */
}

/* On ESP-ADF numbers our order is ESP-ADF's order (where it gives one). */
static void test_agrees_with_espadf_numbers(void **state)
{
    (void)state;
    const char *v[] = {"v0.0.0",  "v0.0.1",   "v0.1.0", "v1.0.0",       "v1.2.3",  "V1.2.4",
                       "v1.10.0", "v2.0.255", "v2.1.0", "v255.255.255", "v10.0.0", "v9.99.99"};
    const size_t n = sizeof v / sizeof v[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int a = ota_version_espadf_number(v[i]), b = ota_version_espadf_number(v[j]);
            assert_true(a >= 0 && b >= 0);
            ota_version_order_t expected = a > b   ? OTA_VERSION_NEWER
                                           : a < b ? OTA_VERSION_OLDER
                                                   : OTA_VERSION_SAME;
            if (cmp(v[i], v[j]) != expected) {
                fail_msg("%s vs %s", v[i], v[j]);
            }
        }
    }
}

static void test_not_comparable(void **state)
{
    (void)state;
    assert_int_equal(cmp("release-a", "release-b"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("v5.1-rc1", "v5.1"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("62edbd26", "v2.2"), OTA_VERSION_NOT_COMPARABLE);   /* describe --always */
    assert_int_equal(cmp("v2.2-5-gab", "v2.2"), OTA_VERSION_NOT_COMPARABLE); /* hash too short: a tag */
    assert_int_equal(cmp("v1-99999999999-gabcd", "v1"), OTA_VERSION_NOT_COMPARABLE);
    assert_int_equal(cmp("v1.0 beta", "v1.0"), OTA_VERSION_NOT_COMPARABLE);
    /* a common non-numeric base still orders by commit count */
    assert_int_equal(cmp("v5.1-rc1-3-gabcd", "v5.1-rc1"), OTA_VERSION_NEWER);
    assert_int_equal(cmp("nightly-2-gabcd", "nightly-7-g1234"), OTA_VERSION_OLDER);
}

static void test_unparseable(void **state)
{
    (void)state;
    ota_version_cmp_t r;
    assert_int_equal(ota_version_compare(NULL, "v1.0", &r), OTA_VERSION_UNPARSEABLE);
    assert_non_null(strstr(r.reason, "incoming"));
    assert_int_equal(ota_version_compare("v1.0", "", &r), OTA_VERSION_UNPARSEABLE);
    assert_non_null(strstr(r.reason, "running"));
    assert_non_null(strstr(r.reason, "empty"));
    assert_int_equal(cmp("", ""), OTA_VERSION_UNPARSEABLE);
    assert_int_equal(cmp("\xff\xff\xff\xff", "\xff\xff\xff\xff"), OTA_VERSION_UNPARSEABLE); /* erased field */
    assert_int_equal(cmp("v1.0\n", "v1.0"), OTA_VERSION_UNPARSEABLE);
    assert_int_equal(cmp("v1.0.0000000000000000000000000001", "v1.0"), OTA_VERSION_UNPARSEABLE); /* 33 */
    assert_int_equal(cmp("v1.0.000000000000000000000000001", "v1.0"), OTA_VERSION_NEWER);        /* 32 */
    assert_int_equal(ota_version_compare("v1", "v2", NULL), OTA_VERSION_OLDER);
}

static void test_parse_fields(void **state)
{
    (void)state;
    ota_version_t v;
    assert_int_equal(ota_version_parse("v2.2-252-g62edbd26-dirty", &v), OTA_OK);
    assert_int_equal(v.base_len, 4);
    assert_memory_equal(v.base, "v2.2", 4);
    assert_int_equal(v.commits, 252);
    assert_true(v.has_hash);
    assert_int_equal(v.hash_len, 8);
    assert_memory_equal(v.hash, "62edbd26", 8);
    assert_true(v.dirty);
    assert_true(v.numeric);
    assert_int_equal(v.nparts, 2);
    assert_int_equal(v.parts[0], 2);
    assert_int_equal(v.parts[1], 2);
    assert_int_equal(ota_version_parse("V1.2.3", &v), OTA_OK);
    assert_int_equal(v.commits, 0);
    assert_false(v.has_hash);
    assert_false(v.dirty);
    assert_int_equal(v.nparts, 3);
    assert_int_equal(ota_version_parse("-dirty", &v), OTA_OK); /* nothing before it: a name */
    assert_false(v.dirty);
    assert_false(v.numeric);
    assert_int_equal(ota_version_parse("1.2.3.4.5.6.7.8.9", &v), OTA_OK);
    assert_false(v.numeric); /* more than 8 parts */
    assert_int_equal(ota_version_parse("", &v), OTA_ERR_VERSION_UNPARSEABLE);
    assert_int_equal(ota_version_parse(NULL, &v), OTA_ERR_VERSION_UNPARSEABLE);
    assert_int_equal(ota_version_parse("v1", NULL), OTA_ERR_INVALID_ARG);
}

static void test_names_and_errors(void **state)
{
    (void)state;
    assert_string_equal(ota_version_order_name(OTA_VERSION_NEWER), "newer");
    assert_string_equal(ota_version_order_name(OTA_VERSION_SAME), "same");
    assert_string_equal(ota_version_order_name(OTA_VERSION_OLDER), "older");
    assert_string_equal(ota_version_order_name(OTA_VERSION_NOT_COMPARABLE), "not comparable");
    assert_string_equal(ota_version_order_name(OTA_VERSION_UNPARSEABLE), "unparseable");
    assert_int_equal(ota_version_order_to_err(OTA_VERSION_NEWER), OTA_OK);
    assert_int_equal(ota_version_order_to_err(OTA_VERSION_SAME), OTA_ERR_VERSION_NOT_NEWER);
    assert_int_equal(ota_version_order_to_err(OTA_VERSION_OLDER), OTA_ERR_VERSION_NOT_NEWER);
    assert_int_equal(ota_version_order_to_err(OTA_VERSION_NOT_COMPARABLE), OTA_ERR_VERSION_NOT_COMPARABLE);
    assert_int_equal(ota_version_order_to_err(OTA_VERSION_UNPARSEABLE), OTA_ERR_VERSION_UNPARSEABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_espadf_number_documented_values),
        cmocka_unit_test(test_espadf_number_quirks),
        cmocka_unit_test(test_readme_pair_and_git_describe),
        cmocka_unit_test(test_dotted_numbers),
        cmocka_unit_test(test_agrees_with_espadf_numbers),
        cmocka_unit_test(test_not_comparable),
        cmocka_unit_test(test_unparseable),
        cmocka_unit_test(test_parse_fields),
        cmocka_unit_test(test_names_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
