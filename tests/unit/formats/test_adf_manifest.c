/* ESP-ADF esp_ota_service's manifest reader and packed semver (ota_adf_manifest.h,
 * ota_semver_packed.h), against ESP-ADF's source read at espressif/esp-adf master af7b72fb:
 *  - components/esp_ota_service/src/checker/esp_ota_service_checker_manifest.c
 *    (manifest_evaluate_parsed_root: fields, cJSON_GetObjectItem, parse_hex_hash, the decision);
 *  - components/esp_ota_service/src/esp_ota_service_version_utils.c (parse_version: 'v' prefix,
 *    at most 32 chars, strtok on '.', 3 parts 0..255);
 *  - the example inputs of its repository: the manifest in the doc comment of
 *    include/checker/esp_ota_service_checker_manifest.h and the manifest.json of
 *    tools/firmware_samples/README.md (typed here, not copied from a build input), the userdata
 *    header of tools/gen_userdata_bin.py (struct.pack('<I', packed)).
 * Expected packed values are computed by hand from (major << 16) | (minor << 8) | patch. */
#include "test_support.h"

#include <stdio.h>
#include <string.h>

#include "ota/ota_adf_manifest.h"
#include "ota/ota_err.h"
#include "ota/ota_semver_packed.h"

static int parse(const char *json, const char *current, bool higher, ota_check_result_t *r)
{
    ota_adf_manifest_policy_t p = {.current_version = current, .require_higher_version = higher};
    return ota_adf_manifest_parse(json, strlen(json), &p, r);
}

/* The doc comment's example: "sha256" is a placeholder ("a1b2c3d4e5f6...": not 64 hex digits, so
 * ESP-ADF only warns and has_hash stays false); "md5" is real (MD5 of the empty string). */
static void test_adf_doc_example(void **state)
{
    (void)state;
    static const char doc[] = "{\n"
                              "    \"version\": \"1.2.3\",\n"
                              "    \"project_name\": \"my_app\",\n"
                              "    \"size\": 1048576,\n"
                              "    \"sha256\": \"a1b2c3d4e5f6...\",\n"
                              "    \"md5\": \"d41d8cd98f00b204e9800998ecf8427e\"\n"
                              "}\n";
    static const uint8_t md5_empty[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                          0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    ota_check_result_t r;
    assert_int_equal(parse(doc, "1.2.2", true, &r), OTA_OK);
    assert_string_equal(r.version, "1.2.3");
    assert_string_equal(r.label, "my_app");
    assert_int_equal(r.image_size, 1048576);
    assert_false(r.has_hash);
    assert_true(r.has_md5);
    assert_memory_equal(r.md5, md5_empty, 16);
    assert_true(r.upgrade_available);
    assert_int_equal(r.decision, OTA_OK);
    assert_string_equal(r.running, "1.2.2");
    /* same version: not strictly higher */
    assert_int_equal(parse(doc, "1.2.3", true, &r), OTA_OK);
    assert_false(r.upgrade_available);
    assert_int_equal(r.decision, OTA_ERR_VERSION_NOT_NEWER);
    /* require_higher_version off: always available, even when older */
    assert_int_equal(parse(doc, "9.9.9", false, &r), OTA_OK);
    assert_true(r.upgrade_available);
}

/* tools/firmware_samples/README.md's manifest.json: extra keys skipped, "..." hashes ignored. */
static void test_adf_firmware_samples_manifest(void **state)
{
    (void)state;
    static const char js[] = "{\n"
                             "    \"example\": \"http\",\n"
                             "    \"project_name\": \"ota_http\",\n"
                             "    \"version\": \"1.0.1\",\n"
                             "    \"file\": \"ota_http_v1.0.1.bin\",\n"
                             "    \"url\": \"http://10.0.0.42:18070/firmware.bin\",\n"
                             "    \"size\": 648496,\n"
                             "    \"sha256\": \"...\",\n"
                             "    \"md5\": \"...\",\n"
                             "    \"updated_at\": \"2026-04-21T09:00:00Z\"\n"
                             "}\n";
    ota_check_result_t r;
    ota_adf_manifest_policy_t p = {.current_version = "1.0.0",
                                   .require_higher_version = true,
                                   .check_project_name = true,
                                   .current_project = "ota_http"};
    assert_int_equal(ota_adf_manifest_parse(js, strlen(js), &p, &r), OTA_OK);
    assert_string_equal(r.version, "1.0.1");
    assert_string_equal(r.label, "ota_http");
    assert_int_equal(r.image_size, 648496);
    assert_false(r.has_hash);
    assert_false(r.has_md5);
    assert_true(r.upgrade_available);
    /* check_project_name: another project is no upgrade, and still ESP_OK */
    p.current_project = "ota_fs";
    assert_int_equal(ota_adf_manifest_parse(js, strlen(js), &p, &r), OTA_OK);
    assert_false(r.upgrade_available);
    assert_int_equal(r.decision, OTA_ERR_VERSION_PROJECT_MISMATCH);
    /* no current project: not compared */
    p.current_project = NULL;
    assert_int_equal(ota_adf_manifest_parse(js, strlen(js), &p, &r), OTA_OK);
    assert_true(r.upgrade_available);
}

static void test_hashes(void **state)
{
    (void)state;
    ota_check_result_t r;
    /* SHA-256 of "abc" (FIPS 180-2), upper case accepted as parse_hex_hash does */
    assert_int_equal(parse("{\"version\":\"1.0.0\",\"sha256\":"
                           "\"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\","
                           "\"md5\":\"900150983cd24fb0d6963f7d28e17f72\"}",
                           "0.0.1", true, &r),
                     OTA_OK);
    assert_true(r.has_hash);
    assert_int_equal(r.hash[0], 0xba);
    assert_int_equal(r.hash[31], 0xad);
    assert_true(r.has_md5);
    assert_int_equal(r.md5[0], 0x90);
    assert_int_equal(r.md5[15], 0x72);
    /* 63 digits, a non-hex digit, a number: ignored */
    assert_int_equal(parse("{\"version\":\"1.0.0\",\"sha256\":"
                           "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015a\","
                           "\"md5\":\"900150983cd24fb0d6963f7d28e17f7g\"}",
                           "0.0.1", true, &r),
                     OTA_OK);
    assert_false(r.has_hash);
    assert_false(r.has_md5);
    assert_int_equal(parse("{\"version\":\"1.0.0\",\"md5\":12}", "0.0.1", true, &r), OTA_OK);
    assert_false(r.has_md5);
}

/* cJSON's reading: keys ignore case, the first of two wins, escapes are decoded. */
static void test_cjson_rules(void **state)
{
    (void)state;
    ota_check_result_t r;
    assert_int_equal(parse("{\"VERSION\":\"2.0.0\",\"Project_Name\":\"p\"}", "1.0.0", true, &r), OTA_OK);
    assert_string_equal(r.version, "2.0.0");
    assert_string_equal(r.label, "p");
    assert_int_equal(parse("{\"version\":\"2.0.0\",\"version\":\"0.0.1\"}", "1.0.0", true, &r), OTA_OK);
    assert_string_equal(r.version, "2.0.0");
    assert_true(r.upgrade_available);
    assert_int_equal(parse("{\"ver\\u0073ion\":\"1.2.\\u0033\"}", "1.0.0", true, &r), OTA_OK);
    assert_string_equal(r.version, "1.2.3");
    /* cJSON_Parse reads one value and ignores what follows */
    assert_int_equal(parse("{\"version\":\"1.0.1\"} trailing", "1.0.0", true, &r), OTA_OK);
    assert_true(r.upgrade_available);
    /* a lone surrogate: cJSON refuses the document */
    assert_int_equal(parse("{\"version\":\"1.0.1\",\"x\":\"\\udc00\"}", "1.0.0", true, &r),
                     OTA_ERR_MANIFEST_MALFORMED);
    /* the 32-byte fields keep 31 bytes (snprintf) */
    assert_int_equal(parse("{\"version\":\"1.0.0\",\"project_name\":\"0123456789abcdef0123456789abcdefXYZ\"}",
                           "0.0.1", false, &r),
                     OTA_OK);
    assert_string_equal(r.label, "0123456789abcdef0123456789abcde");
}

static void test_version_required(void **state)
{
    (void)state;
    ota_check_result_t r;
    assert_int_equal(parse("{\"project_name\":\"p\"}", "1.0.0", true, &r), OTA_ERR_MANIFEST_FIELD);
    assert_int_equal(parse("{\"version\":\"\"}", "1.0.0", true, &r), OTA_ERR_MANIFEST_FIELD);
    assert_int_equal(parse("{\"version\":123}", "1.0.0", true, &r), OTA_ERR_MANIFEST_FIELD);
    assert_int_equal(parse("[\"version\"]", "1.0.0", true, &r), OTA_ERR_MANIFEST_MALFORMED);
    assert_int_equal(parse("not json", "1.0.0", true, &r), OTA_ERR_MANIFEST_MALFORMED);
    /* fuzz_adf_manifest's finding: jsmn takes a stray ':' before the object, cJSON does not */
    assert_int_equal(parse(":{\"version\":\"1.0.0\"}", "0.0.1", true, &r), OTA_ERR_MANIFEST_MALFORMED);
    assert_int_equal(parse("  \n", "0.0.1", true, &r), OTA_ERR_MANIFEST_TRUNCATED);
    assert_int_equal(parse("{\"version\":\"1.0.0\"", "1.0.0", true, &r), OTA_ERR_MANIFEST_TRUNCATED);
    assert_int_equal(parse("", "1.0.0", true, &r), OTA_ERR_MANIFEST_TRUNCATED);
    assert_int_equal(parse("{\"version\":\"1.0.0\",,}", "1.0.0", true, &r), OTA_ERR_MANIFEST_MALFORMED);
    /* incoming not x.y.z: no upgrade, ESP_OK; current not x.y.z: ESP_ERR_INVALID_VERSION */
    assert_int_equal(parse("{\"version\":\"1.0\"}", "1.0.0", true, &r), OTA_OK);
    assert_false(r.upgrade_available);
    assert_int_equal(r.decision, OTA_ERR_VERSION_UNPARSEABLE);
    assert_int_equal(parse("{\"version\":\"1.0.1\"}", "dev", true, &r), OTA_ERR_VERSION_UNPARSEABLE);
    assert_false(r.upgrade_available);
    assert_int_equal(parse("{\"version\":\"1.0.1\"}", "dev", false, &r), OTA_OK);
    assert_true(r.upgrade_available);
    ota_adf_manifest_policy_t p = {0};
    assert_int_equal(ota_adf_manifest_parse("{}", 2, &p, &r), OTA_ERR_INVALID_ARG);
}

/* "size": cJSON_IsNumber && valuedouble > 0, then (uint32_t)valuedouble. */
static void test_size(void **state)
{
    (void)state;
    static const struct {
        const char *size;
        uint32_t expect;
    } k[] = {
        {"648496", 648496u},
        {"1e3", 1000u},
        {"0.5", 0u},
        {"1234.99", 1234u},
        {"12.5e1", 125u},
        {"0.0125e4", 125u},
        {"4294967295", 4294967295u},
        {"0", UINT32_MAX},
        {"-1", UINT32_MAX},
        {"4294967296", UINT32_MAX},
        {"\"100\"", UINT32_MAX},
        {"true", UINT32_MAX},
        {"null", UINT32_MAX},
        {"1e-3", 0u},
    };
    for (size_t i = 0; i < sizeof k / sizeof k[0]; i++) {
        char js[128];
        snprintf(js, sizeof js, "{\"version\":\"1.0.0\",\"size\":%s}", k[i].size);
        ota_check_result_t r;
        assert_int_equal(parse(js, "0.0.1", true, &r), OTA_OK);
        if (r.image_size != k[i].expect) {
            fail_msg("size %s: %u, expected %u", k[i].size, (unsigned)r.image_size, (unsigned)k[i].expect);
        }
    }
}

/* Bounded memory: ESP-ADF's MANIFEST_MAX_SIZE bytes, OTA_ADF_MANIFEST_MAX_TOKENS tokens. */
static void test_bounds(void **state)
{
    (void)state;
    static char js[OTA_ADF_MANIFEST_MAX_SIZE + 2];
    ota_check_result_t r;
    int n = snprintf(js, sizeof js, "{\"version\":\"1.0.1\",\"pad\":\"");
    memset(js + n, 'x', sizeof js - (size_t)n);
    memcpy(js + OTA_ADF_MANIFEST_MAX_SIZE - 2, "\"}", 2);
    ota_adf_manifest_policy_t p = {.current_version = "1.0.0", .require_higher_version = true};
    assert_int_equal(ota_adf_manifest_parse(js, OTA_ADF_MANIFEST_MAX_SIZE, &p, &r), OTA_OK);
    assert_true(r.upgrade_available);
    memcpy(js + OTA_ADF_MANIFEST_MAX_SIZE - 1, "\"}", 2);
    assert_int_equal(ota_adf_manifest_parse(js, OTA_ADF_MANIFEST_MAX_SIZE + 1, &p, &r),
                     OTA_ERR_MANIFEST_TOO_LARGE);
    /* too many tokens */
    n = snprintf(js, sizeof js, "{\"version\":\"1.0.1\",\"a\":[");
    for (int i = 0; i < OTA_ADF_MANIFEST_MAX_TOKENS; i++) {
        n += snprintf(js + n, sizeof js - (size_t)n, "%s1", i ? "," : "");
    }
    n += snprintf(js + n, sizeof js - (size_t)n, "]}");
    assert_int_equal(ota_adf_manifest_parse(js, (size_t)n, &p, &r), OTA_ERR_MANIFEST_TOO_LARGE);
}

static void test_semver_pack(void **state)
{
    (void)state;
    assert_int_equal(ota_semver_pack("1.2.3"), 0x010203u);
    assert_int_equal(ota_semver_pack("v1.2.3"), 0x010203u);
    assert_int_equal(ota_semver_pack("V0.2.0"), 0x000200u);
    assert_int_equal(ota_semver_pack("255.255.255"), 0xFFFFFFu);
    assert_int_equal(ota_semver_pack("0.0.0"), 0u);
    assert_int_equal(ota_semver_pack("007.8.09"), 0x070809u); /* atoi */
    /* strtok skips empty tokens */
    assert_int_equal(ota_semver_pack("1..2.3"), 0x010203u);
    assert_int_equal(ota_semver_pack(".1.2.3."), 0x010203u);
    static const char *bad[] = {"",
                                "1.2",
                                "1.2.3.4",
                                "256.0.0",
                                "1.2.3a",
                                "1.2.-3",
                                "vv1.2.3",
                                "1 .2.3",
                                "v",
                                "...",
                                "1.2.3-rc1",
                                "+1.2.3",
                                "000000000000000000000000000001.2.3" /* 34 chars: over 32 */};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (ota_semver_pack(bad[i]) != OTA_SEMVER_PACKED_INVALID) {
            fail_msg("\"%s\" packed", bad[i]);
        }
    }
    assert_int_equal(ota_semver_pack(NULL), OTA_SEMVER_PACKED_INVALID);
    /* exactly 32 characters is still read */
    assert_int_equal(ota_semver_pack("v0000000000000000000000001.2.003"), 0x010203u);

    char buf[16];
    assert_int_equal(ota_semver_unpack(0x010203u, buf, sizeof buf), OTA_OK);
    assert_string_equal(buf, "1.2.3");
    assert_int_equal(ota_semver_unpack(0x01020304u, buf, sizeof buf), OTA_OK); /* low three bytes */
    assert_string_equal(buf, "2.3.4");
    assert_int_equal(ota_semver_unpack(OTA_SEMVER_PACKED_INVALID, buf, sizeof buf), OTA_ERR_INVALID_SIZE);
    assert_int_equal(ota_semver_unpack(0x010203u, buf, 11), OTA_ERR_INVALID_ARG);

    /* gen_userdata_bin.py 0.2.0: struct.pack('<I', 0x000200) = 00 02 00 00 */
    static const uint8_t userdata_0_2_0[4] = {0x00, 0x02, 0x00, 0x00};
    assert_int_equal(ota_semver_packed_read_le(userdata_0_2_0), ota_semver_pack("0.2.0"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adf_doc_example),  cmocka_unit_test(test_adf_firmware_samples_manifest),
        cmocka_unit_test(test_hashes),           cmocka_unit_test(test_cjson_rules),
        cmocka_unit_test(test_version_required), cmocka_unit_test(test_size),
        cmocka_unit_test(test_bounds),           cmocka_unit_test(test_semver_pack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
