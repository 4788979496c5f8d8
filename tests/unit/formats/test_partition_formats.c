/* Partition tables, formats half: CSV -> binary byte-identical to gen_esp32part.py v6.0.2's output
 * in ../shared/testdata, binary round trips, CSV output, every invalid table of the testdata with
 * the reference tool's wording, and binary input errors. The hand-made CSV cases, whose expected
 * values come from the rules in reference/esp-idf-formats.md §1, are ../sim/test_partition_csv.c. */
#include "test_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

#define assert_contains(haystack, needle) \
    do { \
        if (strstr((haystack), (needle)) == NULL) { \
            fail_msg("expected \"%s\" in \"%s\"", (needle), (haystack)); \
        } \
    } while (0)

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Sorted list of the files in testdata/@dir ending in @suffix (NULL-terminated, malloc'ed). */
static char **list_files(const char *dir, const char *suffix, size_t *count)
{
    DIR *d = opendir(ts_testdata(dir));
    assert_non_null(d);
    char **names = calloc(256, sizeof *names);
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (ends_with(e->d_name, suffix) && n < 255) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    for (size_t i = 1; i < n; i++) { /* insertion sort: stable order for readable failures */
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    }
    *count = n;
    return names;
}

static void free_list(char **names)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        free(names[i]);
    }
    free(names);
}

static char *testdata_path(const char *dir, const char *name)
{
    char rel[512];
    snprintf(rel, sizeof rel, "%s/%s", dir, name);
    return strdup(ts_testdata(rel));
}

static int parse_text(const char *text, const ota_partition_csv_options_t *opts, ota_partition_table_t *t,
                      ota_partition_diag_t *diag)
{
    return ota_partition_table_parse_csv(text, strlen(text), opts, t, diag);
}

/* --- testdata --------------------------------------------------------------------------------- */

static void check_csv_gives_bin(const char *dir, const char *csv_name)
{
    char *csv_path = testdata_path(dir, csv_name);
    char *bin_path = strdup(csv_path);
    strcpy(bin_path + strlen(bin_path) - 4, ".bin");
    size_t csv_len, bin_len;
    uint8_t *csv = ts_read_file(csv_path, &csv_len);
    uint8_t *expected = ts_read_file(bin_path, &bin_len);
    assert_int_equal(bin_len, OTA_PARTITION_TABLE_MAX_LEN);

    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_diag_t diag = {0};
    int err = ota_partition_table_parse_csv((const char *)csv, csv_len, NULL, t, &diag);
    if (err != OTA_OK) {
        fail_msg("%s: %s: %s", csv_name, ota_err_name(err), diag.message);
    }
    uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(ota_partition_table_to_binary(t, true, bin), OTA_OK);
    for (size_t i = 0; i < sizeof bin; i++) {
        if (bin[i] != expected[i]) {
            fail_msg("%s: byte 0x%zx is 0x%02x, gen_esp32part wrote 0x%02x", csv_name, i, bin[i],
                     expected[i]);
        }
    }
    free(t);
    free(csv);
    free(expected);
    free(csv_path);
    free(bin_path);
}

static void test_every_testdata_csv_matches_its_bin(void **state)
{
    (void)state;
    size_t n;
    char **names = list_files("partitions", ".csv", &n);
    assert_true(n >= 8); /* the 8 tables of testdata/README.md at least: an empty glob must fail */
    for (size_t i = 0; i < n; i++) {
        check_csv_gives_bin("partitions", names[i]);
    }
    free_list(names);
    check_csv_gives_bin("esp-adf", "du1906_partitions.csv");
}

static void check_binary_round_trip(const char *path)
{
    size_t len;
    uint8_t *bin = ts_read_file(path, &len);
    ota_partition_table_t *t = calloc(1, sizeof *t), *app = calloc(1, sizeof *app),
                          *again = calloc(1, sizeof *t);
    ota_partition_diag_t diag = {0};
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, &diag), OTA_OK);
    assert_true(t->count > 0);
    assert_true(t->has_md5);
    uint8_t out[OTA_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(ota_partition_table_to_binary(t, true, out), OTA_OK);
    assert_memory_equal(out, bin, OTA_PARTITION_TABLE_MAX_LEN);

    /* the app-side reader sees the same entries */
    assert_int_equal(ota_partition_table_parse_app(bin, len, app, &diag), OTA_OK);
    assert_int_equal(app->count, t->count);
    assert_true(app->has_md5);
    assert_memory_equal(app->entries, t->entries, t->count * sizeof t->entries[0]);

    /* binary -> CSV -> binary */
    char csv[8192];
    int n = ota_partition_table_to_csv(t, csv, sizeof csv);
    assert_true(n > 0 && (size_t)n < sizeof csv);
    assert_int_equal(parse_text(csv, NULL, again, &diag), OTA_OK);
    assert_int_equal(ota_partition_table_to_binary(again, true, out), OTA_OK);
    assert_memory_equal(out, bin, OTA_PARTITION_TABLE_MAX_LEN);
    free(t);
    free(app);
    free(again);
    free(bin);
}

static void test_binary_round_trips(void **state)
{
    (void)state;
    size_t n;
    char **names = list_files("partitions", ".bin", &n);
    assert_true(n >= 8);
    for (size_t i = 0; i < n; i++) {
        char *path = testdata_path("partitions", names[i]);
        check_binary_round_trip(path);
        free(path);
    }
    free_list(names);
    check_binary_round_trip(ts_testdata("esp-adf/du1906_partitions.bin"));
}

static void test_du1906_to_csv_is_the_reference_csv(void **state)
{
    (void)state;
    size_t bin_len, csv_len;
    uint8_t *bin = ts_read_file(ts_testdata("esp-adf/du1906_partitions.bin"), &bin_len);
    uint8_t *expected = ts_read_file(ts_testdata("esp-adf/du1906_partitions.csv"), &csv_len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(bin, bin_len, t, NULL), OTA_OK);
    char csv[4096];
    int n = ota_partition_table_to_csv(t, csv, sizeof csv);
    assert_int_equal(n, (int)csv_len);
    assert_memory_equal(csv, expected, csv_len);
    /* snprintf-style length when the buffer is short, and no overflow */
    char small[16];
    assert_int_equal(ota_partition_table_to_csv(t, small, sizeof small), (int)csv_len);
    assert_int_equal(small[15], '\0');
    assert_int_equal(ota_partition_table_to_csv(t, NULL, 0), (int)csv_len);
    free(t);
    free(bin);
    free(expected);
}

/* The README lists gen_esp32part's message for each invalid table: "- `name.csv`: "message"". */
static bool readme_message(const char *readme, const char *name, char *out, size_t size)
{
    char key[128];
    snprintf(key, sizeof key, "`%s`: \"", name);
    const char *p = strstr(readme, key);
    if (p == NULL) {
        return false;
    }
    p += strlen(key);
    const char *end = strchr(p, '"');
    if (end == NULL || (size_t)(end - p) >= size) {
        return false;
    }
    memcpy(out, p, (size_t)(end - p));
    out[end - p] = '\0';
    return true;
}

static void test_every_invalid_table_is_rejected_like_the_reference(void **state)
{
    (void)state;
    /* Code and line worked out from each file by hand. */
    static const struct {
        const char *name;
        int err;
        int line;
    } known[] = {
        {"duplicate_name.csv", OTA_ERR_PT_DUPLICATE_NAME, 2},
        {"otadata_wrong_size.csv", OTA_ERR_PT_OTADATA, 1},
        {"overlap.csv", OTA_ERR_PT_OVERLAP, 2},
        {"unaligned_app.csv", OTA_ERR_PT_ALIGNMENT, 1},
        {"unknown_type.csv", OTA_ERR_PT_UNKNOWN_KEYWORD, 1},
    };
    size_t readme_len;
    char *readme = (char *)ts_read_file(ts_testdata("README.md"), &readme_len);
    readme = realloc(readme, readme_len + 1);
    readme[readme_len] = '\0';

    size_t n, matched = 0;
    char **names = list_files("partitions/invalid", ".csv", &n);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        char *path = testdata_path("partitions/invalid", names[i]);
        size_t len;
        uint8_t *csv = ts_read_file(path, &len);
        ota_partition_table_t *t = calloc(1, sizeof *t);
        ota_partition_diag_t diag = {0};
        int err = ota_partition_table_parse_csv((const char *)csv, len, NULL, t, &diag);
        if (err > -200 || err <= -300) {
            fail_msg("%s: accepted or wrong error block (%s)", names[i], ota_err_name(err));
        }
        char expected[512];
        if (!readme_message(readme, names[i], expected, sizeof expected)) {
            fail_msg("%s: testdata/README.md gives no message for it", names[i]);
        }
        assert_contains(diag.message, expected);
        assert_true(diag.line > 0);
        char line_text[32];
        snprintf(line_text, sizeof line_text, "line %d", diag.line);
        assert_contains(diag.message, line_text);
        for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
            if (strcmp(known[k].name, names[i]) == 0) {
                if (err != known[k].err) {
                    fail_msg("%s: expected %s, got %s", names[i], ota_err_name(known[k].err),
                             ota_err_name(err));
                }
                assert_int_equal(diag.line, known[k].line);
                matched++;
            }
        }
        free(t);
        free(csv);
        free(path);
    }
    assert_int_equal(matched, sizeof known / sizeof known[0]);
    free_list(names);
    free(readme);
}

/* --- binary input errors ------------------------------------------------------------------------ */

static void test_md5_mismatch_and_missing_end_marker(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_diag_t diag = {0};

    uint8_t bad[OTA_PARTITION_TABLE_MAX_LEN];
    memcpy(bad, bin, sizeof bad);
    bad[4 * 32 + 8] ^= 0x01; /* ota_1's size */
    assert_int_equal(ota_partition_table_from_binary(bad, sizeof bad, t, &diag), OTA_ERR_PT_MD5_MISMATCH);
    assert_contains(diag.message, "MD5 checksums don't match!");
    assert_int_equal(ota_partition_table_parse_app(bad, sizeof bad, t, &diag), OTA_ERR_PT_MD5_MISMATCH);

    memcpy(bad, bin, sizeof bad);
    bad[6 * 32 + 31] ^= 0x80; /* the digest itself (MD5 entry at 0xC0) */
    assert_int_equal(ota_partition_table_from_binary(bad, sizeof bad, t, &diag), OTA_ERR_PT_MD5_MISMATCH);
    assert_int_equal(ota_partition_table_parse_app(bad, sizeof bad, t, &diag), OTA_ERR_PT_MD5_MISMATCH);

    /* digest printed like Python's hexdigest: the real one is md5 of the first 6 entries */
    uint8_t digest[OTA_MD5_LEN];
    ota_md5(bin, 6 * 32, digest);
    char hexd[40];
    for (int i = 0; i < 16; i++) {
        snprintf(hexd + 2 * i, 3, "%02x", digest[i]);
    }
    char needle[64];
    snprintf(needle, sizeof needle, "computed: 0x%s", hexd);
    assert_contains(diag.message, needle);

    /* 6 entries + MD5 entry, nothing after: no end marker */
    assert_int_equal(ota_partition_table_from_binary(bin, 7 * 32, t, &diag), OTA_ERR_PT_NO_END_MARKER);
    assert_contains(diag.message, "Partition table is missing an end-of-table marker");
    /* with the marker it is fine */
    assert_int_equal(ota_partition_table_from_binary(bin, 8 * 32, t, &diag), OTA_OK);
    assert_int_equal(t->count, 6);

    assert_int_equal(ota_partition_table_from_binary(bin, 100, t, &diag), OTA_ERR_PT_INVALID);
    assert_contains(diag.message, "Partition table length must be a multiple of 32 bytes");

    memcpy(bad, bin, sizeof bad);
    bad[32] = 0x12;
    bad[33] = 0x34;
    assert_int_equal(ota_partition_table_from_binary(bad, sizeof bad, t, &diag), OTA_ERR_PT_BAD_MAGIC);
    assert_contains(diag.message,
                    "Invalid magic bytes (b'\\x124') for partition definition"); /* Python repr */

    /* erased sector: the app finds no table */
    memset(bad, 0xFF, sizeof bad);
    assert_int_equal(ota_partition_table_parse_app(bad, sizeof bad, t, &diag), OTA_ERR_PT_BAD_MAGIC);
    free(t);
    free(bin);
}

static void test_table_without_md5(void **state)
{
    (void)state;
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/idf_partitions_two_ota.bin"), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t), *u = calloc(1, sizeof *u);
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, NULL), OTA_OK);
    uint8_t out[OTA_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(ota_partition_table_to_binary(t, false, out), OTA_OK);
    /* same 6 entries, then 0xFF where the MD5 entry was */
    assert_memory_equal(out, bin, 6 * 32);
    for (size_t i = 6 * 32; i < sizeof out; i++) {
        assert_int_equal(out[i], 0xFF);
    }
    assert_int_equal(ota_partition_table_from_binary(out, sizeof out, u, NULL), OTA_OK);
    assert_false(u->has_md5);
    assert_int_equal(u->count, 6);
    assert_int_equal(ota_partition_table_parse_app(out, sizeof out, u, NULL), OTA_OK);
    assert_false(u->has_md5);
    assert_int_equal(u->count, 6);
    free(t);
    free(u);
    free(bin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_testdata_csv_matches_its_bin),
        cmocka_unit_test(test_binary_round_trips),
        cmocka_unit_test(test_du1906_to_csv_is_the_reference_csv),
        cmocka_unit_test(test_every_invalid_table_is_rejected_like_the_reference),
        cmocka_unit_test(test_md5_mismatch_and_missing_end_marker),
        cmocka_unit_test(test_table_without_md5),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
