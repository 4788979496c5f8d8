/* Partition tables, formats half: CSV -> binary byte-identical to gen_esp32part.py v6.0.2's output
 * in ../shared/testdata, binary round trips, CSV output, every invalid table of the testdata with
 * the reference tool's wording, and hand-made cases whose expected values come from the rules in
 * reference/esp-idf-formats.md §1 (worked out by hand, not taken from this code's output). */
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

/* Parse and require success, printing the diagnostic otherwise. */
static void parse_ok(const char *text, const ota_partition_csv_options_t *opts, ota_partition_table_t *t)
{
    ota_partition_diag_t diag = {0};
    int err = parse_text(text, opts, t, &diag);
    if (err != OTA_OK) {
        fail_msg("parse failed (%s): %s\n--- csv ---\n%s", ota_err_name(err), diag.message, text);
    }
}

/* Parse and require @p err at @p line with @p needle in the message. */
static void parse_fails(const char *text, const ota_partition_csv_options_t *opts, int err, int line,
                        const char *needle)
{
    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_diag_t diag = {0};
    int got = parse_text(text, opts, t, &diag);
    if (got != err) {
        fail_msg("expected %s, got %s (%s)\n--- csv ---\n%s", ota_err_name(err), ota_err_name(got),
                 diag.message, text);
    }
    assert_int_equal(diag.line, line);
    assert_contains(diag.message, needle);
    free(t);
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

/* --- hand-made CSV cases ----------------------------------------------------------------------- */

static void test_numbers_and_suffixes(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    parse_ok("a,data,fat,,16K\n"     /* 0x9000 + 0x4000 */
             "b,data,fat,,1kk\n"     /* 1 MiB: suffixes apply recursively */
             "c,data,fat,,0x1_000\n" /* underscores */
             "d,data,fat,,0o10000\n" /* octal 4096 */
             "e,data,fat,,0b1000000000000\n"
             "f,data,fat,,4_096\n"
             "g,data,fat,,2m\n" /* lower-case suffix */
             "h,data,fat,0x400000,+4096\n",
             NULL, t);
    static const uint32_t offsets[] = {0x9000,   0xD000,   0x10D000, 0x10E000,
                                       0x10F000, 0x110000, 0x111000, 0x400000};
    static const uint32_t sizes[] = {0x4000, 0x100000, 0x1000, 0x1000, 0x1000, 0x1000, 0x200000, 0x1000};
    assert_int_equal(t->count, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_int_equal(t->entries[i].offset, offsets[i]);
        assert_int_equal(t->entries[i].size, sizes[i]);
        assert_int_equal(t->entries[i].subtype, OTA_PART_SUBTYPE_DATA_FAT);
        assert_int_equal(t->line[i], i + 1);
    }
    /* Python int(x, 0) refuses these */
    parse_fails("a,data,fat,,012\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Error at line 1: Invalid field value 012");
    parse_fails("a,data,fat,,1__0\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Invalid field value 1__0");
    parse_fails("a,data,fat,,0x\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Invalid field value 0x");
    parse_fails("a,data,fat,,_1\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Invalid field value _1");
    parse_fails("a,data,fat,,k\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Invalid field value ");
    parse_fails("a,data,fat,,0x100000000\n", NULL, OTA_ERR_PT_VALUE_RANGE, 1, "32 bits");
    parse_fails("a,data,fat,,8kkkkkk\n", NULL, OTA_ERR_PT_VALUE_RANGE, 1, "out of range"); /* 2^63 */

    /* a very long suffix run: 0 times anything is 0, 1 times it is out of range; no recursion */
    enum {
        RUN = 200000
    };
    char *big = malloc(RUN + 32);
    strcpy(big, "z,data,fat,,0");
    memset(big + strlen(big), 'k', RUN);
    strcpy(big + 13 + RUN, "\n");
    parse_ok(big, NULL, t);
    assert_int_equal(t->entries[0].size, 0);
    big[12] = '1';
    parse_fails(big, NULL, OTA_ERR_PT_VALUE_RANGE, 1, "out of range");
    free(big);
    free(t);
}

static void test_negative_size_is_end_address(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    parse_ok("ota_0,app,ota_0,0x10000,-0x20000\n"
             "x,data,spiffs,,-0x40000\n", /* auto offset 0x20000, ends at 0x40000 */
             NULL, t);
    assert_int_equal(t->entries[0].offset, 0x10000);
    assert_int_equal(t->entries[0].size, 0x10000);
    assert_int_equal(t->entries[1].offset, 0x20000);
    assert_int_equal(t->entries[1].size, 0x20000);
    /* an end before the start cannot be packed */
    parse_fails("x,data,spiffs,0x20000,-0x10000\n", NULL, OTA_ERR_PT_VALUE_RANGE, 1, "do not fit");
    free(t);
}

static void test_types_subtypes_keywords(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    parse_ok("c,0x40,0x01,,0x1000\n" /* custom type, numeric subtype */
             "d,64,,,4K\n"           /* empty subtype of a non-app type: 0x06 */
             "e,DATA,NVS,,16K\n"     /* keywords are case-insensitive */
             "f,App,OTA_3,,64K\n"
             "g,1,0x99,,4K\n"
             "h,254,255,,4K\n",
             NULL, t);
    assert_int_equal(t->entries[0].type, 0x40);
    assert_int_equal(t->entries[0].subtype, 0x01);
    assert_int_equal(t->entries[1].type, 64);
    assert_int_equal(t->entries[1].subtype, 0x06);
    assert_int_equal(t->entries[2].type, OTA_PART_TYPE_DATA);
    assert_int_equal(t->entries[2].subtype, OTA_PART_SUBTYPE_DATA_NVS);
    assert_int_equal(t->entries[3].type, OTA_PART_TYPE_APP);
    assert_int_equal(t->entries[3].subtype, 0x13);
    assert_int_equal(t->entries[3].offset, 0x10000);
    assert_int_equal(t->entries[4].subtype, 0x99);

    char csv[1024];
    assert_true(ota_partition_table_to_csv(t, csv, sizeof csv) > 0);
    assert_contains(csv, "\nc,64,1,0x9000,4K,\n");
    assert_contains(csv, "\nd,64,6,0xa000,4K,\n");
    assert_contains(csv, "\ne,data,nvs,0xb000,16K,\n");
    assert_contains(csv, "\nf,app,ota_3,0x10000,64K,\n");
    assert_contains(csv, "\ng,data,153,0x20000,4K,\n");
    assert_contains(csv, "\nh,254,255,0x21000,4K,\n");

    parse_fails(
        "a,app,bogus,,1M\n", NULL, OTA_ERR_PT_UNKNOWN_KEYWORD, 1,
        "Error at line 1: Value 'bogus' is not valid. Known keywords: factory, test, ota_0, ota_1, ota_2, "
        "ota_3, ota_4, ota_5, ota_6, ota_7, ota_8, ota_9, ota_10, ota_11, ota_12, ota_13, ota_14, ota_15, "
        "tee_0, tee_1");
    parse_fails("a,data,bogus,,4K\n", NULL, OTA_ERR_PT_UNKNOWN_KEYWORD, 1,
                "Known keywords: ota, phy, nvs, coredump, nvs_keys, efuse, undefined, esphttpd, fat, spiffs, "
                "littlefs, tee_ota");
    parse_fails("a,0x40,nvs,,4K\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Invalid field value nvs");
    parse_fails("a,,nvs,,4K\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Field 'type' can't be left empty.");
    parse_fails("a,app,,,1M\n", NULL, OTA_ERR_PT_SYNTAX, 1, "App partition cannot have an empty subtype");
    parse_fails("a,data,nvs\n", NULL, OTA_ERR_PT_SYNTAX, 1, "Size field can't be empty");
    parse_fails("a,256,0,,4K\n", NULL, OTA_ERR_PT_VALUE_RANGE, 1, "out of range");
    free(t);
}

static void test_flags(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    parse_ok("a,data,nvs,,16K,encrypted\n"
             "b,data,nvs,,16K,readonly\n"
             "c,data,spiffs,,16K,encrypted:readonly\n"
             "d,data,spiffs,,16K,readonly::encrypted\n"
             "e,data,spiffs,,16K,  readonly  \n",
             NULL, t);
    assert_int_equal(t->entries[0].flags, OTA_PART_FLAG_ENCRYPTED);
    assert_int_equal(t->entries[1].flags, OTA_PART_FLAG_READONLY);
    assert_int_equal(t->entries[2].flags, 3);
    assert_int_equal(t->entries[3].flags, 3);
    assert_int_equal(t->entries[4].flags, OTA_PART_FLAG_READONLY);
    uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(ota_partition_table_to_binary(t, true, bin), OTA_OK);
    assert_int_equal(bin[2 * 32 + 28], 3); /* flags word, little-endian */
    char csv[1024];
    assert_true(ota_partition_table_to_csv(t, csv, sizeof csv) > 0);
    assert_contains(csv, "\nc,data,spiffs,0x11000,16K,encrypted:readonly\n");

    parse_fails("a,data,nvs,,16K,bogus\n", NULL, OTA_ERR_PT_UNKNOWN_KEYWORD, 1,
                "CSV flag column contains unknown flag 'bogus'");
    /* pieces between ':' are not stripped by gen_esp32part */
    parse_fails("a,data,nvs,,16K,encrypted: readonly\n", NULL, OTA_ERR_PT_UNKNOWN_KEYWORD, 1,
                "unknown flag ' readonly'");
    /* verify(): readonly restrictions */
    parse_fails(
        "otadata,data,ota,,8K,readonly\n", NULL, OTA_ERR_PT_READONLY_NOT_ALLOWED, 1,
        "Partition otadata invalid: 'otadata' partition of type 1 and subtype 0 is always read-write and "
        "cannot be read-only");
    parse_fails("cd,data,coredump,,64K,readonly\n", NULL, OTA_ERR_PT_READONLY_NOT_ALLOWED, 1,
                "subtype 3 is always");
    parse_fails(
        "n,data,nvs,,8K\n", NULL, OTA_ERR_PT_NVS_TOO_SMALL, 1,
        "Partition n invalid: 'n' partition of type 1 and subtype 2 of this size (0x2000) must be flagged as "
        "'readonly' (the size of read/write NVS has to be at least 0x3000)");
    parse_ok("n,data,nvs,,8K,readonly\n", NULL, t);
    free(t);
}

static void test_labels(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    parse_ok("custom_label_16c,data,fat,,4K\n"
             "seventeen_chars_x,data,fat,,4K\n"
             ",data,fat,,4K\n",
             NULL, t);
    assert_string_equal(t->entries[0].label, "custom_label_16c");
    assert_string_equal(t->entries[1].label, "seventeen_chars_"); /* struct '16s' truncates */
    assert_string_equal(t->entries[2].label, "");
    uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];
    assert_int_equal(ota_partition_table_to_binary(t, true, bin), OTA_OK);
    assert_memory_equal(bin + 12, "custom_label_16c", 16); /* all 16 bytes, no NUL */
    assert_int_equal(bin[28], 0);                          /* flags follow directly */
    assert_memory_equal(bin + 32 + 12, "seventeen_chars_", 16);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(bin[64 + 12 + i], 0);
    }
    ota_partition_table_t *u = calloc(1, sizeof *u);
    assert_int_equal(ota_partition_table_from_binary(bin, sizeof bin, u, NULL), OTA_OK);
    assert_string_equal(u->entries[0].label, "custom_label_16c");
    assert_non_null(ota_partition_find_by_label(u, "custom_label_16c"));
    free(u);
    free(t);
}

static char *many_entries_csv(size_t n)
{
    char *csv = malloc(n * 40 + 1);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        used += (size_t)sprintf(csv + used, "p%zu,data,undefined,,4K\n", i);
    }
    return csv;
}

static void test_entry_limits(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    uint8_t bin[OTA_PARTITION_TABLE_MAX_LEN];

    char *csv = many_entries_csv(94);
    parse_ok(csv, NULL, t);
    assert_int_equal(ota_partition_table_to_binary(t, true, bin), OTA_OK); /* 94 + MD5 = 3040 < 3072 */
    assert_int_equal(bin[94 * 32], 0xEB);
    free(csv);

    csv = many_entries_csv(95);
    parse_ok(csv, NULL, t);
    assert_int_equal(t->count, 95);
    assert_int_equal(ota_partition_table_to_binary(t, true, bin), OTA_ERR_PT_TOO_MANY); /* 3072 >= 3072 */
    assert_int_equal(ota_partition_table_to_binary(t, false, bin), OTA_OK);
    for (size_t i = 95 * 32; i < sizeof bin; i++) {
        assert_int_equal(bin[i], 0xFF); /* the end marker still fits */
    }
    ota_partition_table_t *u = calloc(1, sizeof *u);
    assert_int_equal(ota_partition_table_from_binary(bin, sizeof bin, u, NULL), OTA_OK);
    assert_int_equal(u->count, 95);
    assert_int_equal(ota_partition_table_parse_app(bin, sizeof bin, u, NULL), OTA_OK);
    assert_int_equal(u->count, 95);
    free(u);
    free(csv);

    csv = many_entries_csv(96);
    parse_fails(csv, NULL, OTA_ERR_PT_TOO_MANY, 96, "longer than max");
    free(csv);
    free(t);
}

static void test_lines_comments_and_placement(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    /* CRLF, comments, blank lines and a BOM; line numbers count every physical line */
    const char *text = "\xEF\xBB\xBF# header\r\n\r\n   # indented comment\r\nnvs, data, nvs, , 0x4000\r\n\r\n"
                       "ota_0, app, ota_0, , 1M\r\n";
    parse_ok(text, NULL, t);
    assert_int_equal(t->count, 2);
    assert_int_equal(t->line[0], 4);
    assert_int_equal(t->line[1], 6);
    assert_int_equal(t->entries[1].offset, 0x10000); /* app aligned to 64K after nvs ends 0xd000 */

    parse_fails("# c\nx,data,nvs,,16K\nx,data,fat,,4K\n", NULL, OTA_ERR_PT_DUPLICATE_NAME, 3,
                "line 3: Partition names must be unique (also on line 2)");
    parse_fails("a,data,nvs,0x8000,0x4000\n", NULL, OTA_ERR_PT_OVERLAP, 1,
                "CSV Error at line 1: Partitions overlap. Partition sets offset 0x8000. But partition table "
                "occupies the whole sector 0x8000. Use a free offset 0x9000 or higher.");
    /* a parse error on a later line wins over a placement error (gen_esp32part parses first) */
    parse_fails("a,data,nvs,0x9000,0x4000\nb,data,nvs,0xa000,0x4000\nc,bogus,nvs,,4K\n", NULL,
                OTA_ERR_PT_UNKNOWN_KEYWORD, 3, "Value 'bogus' is not valid");
    parse_fails(
        "o1,data,ota,,8K\no2,data,ota,,8K\n", NULL, OTA_ERR_PT_OTADATA, 2,
        "Found multiple otadata partitions. Only one partition can be defined with type=\"data\"(1) and "
        "subtype=\"ota\"(0).");
    parse_fails("a,app,factory,0x10000,0x1800\n", NULL, OTA_ERR_PT_ALIGNMENT, 1,
                "Partition a invalid: Size 0x1800 is not aligned to 0x1000");
    parse_fails("a,data,fat,0x9800,4K\n", NULL, OTA_ERR_PT_ALIGNMENT, 1,
                "Offset 0x9800 is not aligned to 0x1000");
    ota_partition_csv_options_t v1 = {.secure_v1 = true};
    parse_fails("a,app,factory,0x10000,0x11000\n", &v1, OTA_ERR_PT_ALIGNMENT, 1,
                "Size 0x11000 is not aligned to 0x10000");

    /* --flash-size: the end of the last partition (0x310000) must fit */
    size_t len;
    uint8_t *two_ota = ts_read_file(ts_testdata("partitions/idf_partitions_two_ota.csv"), &len);
    ota_partition_csv_options_t small = {.flash_size = 2 * 1024 * 1024};
    ota_partition_diag_t diag = {0};
    assert_int_equal(ota_partition_table_parse_csv((const char *)two_ota, len, &small, t, &diag),
                     OTA_ERR_PT_FLASH_SIZE);
    assert_contains(diag.message,
                    "Partitions tables occupies 3.1MB of flash (3211264 bytes) which does not fit in "
                    "configured flash size 2MB");
    assert_int_equal(diag.line, 8); /* ota_1, the partition that ends last */
    ota_partition_csv_options_t fits = {.flash_size = 4 * 1024 * 1024};
    assert_int_equal(ota_partition_table_parse_csv((const char *)two_ota, len, &fits, t, &diag), OTA_OK);
    /* --no-verify skips verify() */
    ota_partition_csv_options_t nv = {.no_verify = true};
    parse_ok("n,data,nvs,,8K\n", &nv, t);
    free(two_ota);

    /* --offset moves the first free address */
    ota_partition_csv_options_t off = {.table_offset = 0xE000};
    parse_ok("nvs,data,nvs,,16K\n", &off, t);
    assert_int_equal(t->entries[0].offset, 0xF000);
    free(t);
}

static const char *fake_env(void *ctx, const char *name)
{
    (void)ctx;
    if (strcmp(name, "NVS_SIZE") == 0) {
        return "0x6000";
    }
    if (strcmp(name, "ROW") == 0) {
        return "r,data,fat,,4K";
    }
    return NULL;
}

static void test_variables_and_bootloader_entries(void **state)
{
    (void)state;
    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_csv_options_t env = {.env_lookup = fake_env};
    parse_ok("nvs,data,nvs,,$NVS_SIZE\n"
             "fat,data,fat,,${NVS_SIZE}\n"
             "$ROW\n",
             &env, t);
    assert_int_equal(t->count, 3);
    assert_int_equal(t->entries[0].size, 0x6000);
    assert_int_equal(t->entries[1].size, 0x6000);
    assert_string_equal(t->entries[2].label, "r");
    parse_fails("$UNSET_VAR,data,fat,,4K\n", &env, OTA_ERR_PT_SYNTAX, 1, "unknown variable 'UNSET_VAR'");
    parse_fails("a,data,fat,,$UNSET_VAR\n", &env, OTA_ERR_PT_SYNTAX, 1, "Invalid field value $UNSET_VAR");
    parse_fails("$NVS_SIZE_X,data,fat,,4K\n", NULL, OTA_ERR_PT_SYNTAX, 1, "unknown variable 'NVS_SIZE_X'");

    ota_partition_csv_options_t boot = {.primary_bootloader_offset = 0x1000};
    parse_ok("bootloader,bootloader,primary,,\n"
             "pt,partition_table,primary,,\n"
             "nvs,data,nvs,,16K\n",
             &boot, t);
    assert_int_equal(t->entries[0].type, OTA_PART_TYPE_BOOTLOADER);
    assert_int_equal(t->entries[0].offset, 0x1000);
    assert_int_equal(t->entries[0].size, 0x7000);
    assert_int_equal(t->entries[1].type, OTA_PART_TYPE_PARTITION_TABLE);
    assert_int_equal(t->entries[1].offset, 0x8000);
    assert_int_equal(t->entries[1].size, 0x1000);
    assert_int_equal(t->entries[2].offset, 0x9000);
    char csv[512];
    assert_true(ota_partition_table_to_csv(t, csv, sizeof csv) > 0);
    assert_contains(csv,
                    "\nbootloader,bootloader,primary,0x1000,28K,\npt,partition_table,primary,0x8000,4K,\n");
    parse_fails("bootloader,bootloader,primary,,\n", NULL, OTA_ERR_PT_INVALID, 1,
                "Primary bootloader offset is not defined. Please use --primary-bootloader-offset");
    parse_fails("rec,bootloader,recovery,,\n", &boot, OTA_ERR_PT_INVALID, 1,
                "Recovery bootloader offset is not defined. Please use --recovery-bootloader-offset");
    free(t);
}

static void test_names_and_lookups(void **state)
{
    (void)state;
    assert_string_equal(ota_partition_type_name(0), "app");
    assert_string_equal(ota_partition_type_name(1), "data");
    assert_null(ota_partition_type_name(0x40));
    assert_string_equal(ota_partition_subtype_name(0, 0x1F), "ota_15");
    assert_string_equal(ota_partition_subtype_name(1, 0x83), "littlefs");
    assert_string_equal(ota_partition_subtype_name(2, 2), "recovery");
    assert_null(ota_partition_subtype_name(1, 0xFF));
    assert_null(ota_partition_subtype_name(0x40, 0));

    char buf[16];
    ota_partition_format_size(0x100000, buf, sizeof buf);
    assert_string_equal(buf, "1M");
    ota_partition_format_size(0x177000, buf, sizeof buf);
    assert_string_equal(buf, "1500K");
    ota_partition_format_size(0x1234, buf, sizeof buf);
    assert_string_equal(buf, "0x1234");

    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata("partitions/tricky_valid.bin"), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, NULL), OTA_OK);
    const ota_partition_info_t *p = ota_partition_find_by_label(t, "storage");
    assert_non_null(p);
    assert_int_equal(p->offset, 0x321000);
    assert_null(ota_partition_find_by_label(t, "nope"));
    size_t apps = 0;
    for (p = ota_partition_find_next(t, NULL, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL); p != NULL;
         p = ota_partition_find_next(t, p, OTA_PART_TYPE_APP, OTA_PART_SUBTYPE_ANY, NULL)) {
        apps++;
    }
    assert_int_equal(apps, 3); /* factory, ota_0, ota_1 */
    p = ota_partition_find_next(t, NULL, OTA_PART_TYPE_DATA, OTA_PART_SUBTYPE_DATA_OTA, NULL);
    assert_non_null(p);
    assert_string_equal(p->label, "otadata");
    p = ota_partition_find_next(t, NULL, 0x40, 0x01, "custom_label_16c");
    assert_non_null(p);
    assert_int_equal(p->offset, 0x371000);
    free(t);
    free(bin);
}

/* Issue 10, class 9: gen_esp32part's --offset 0 means a table at 0 (the first automatic offset is
 * then 0x1000, the end of the table's sector), not "the default 0x8000". */
static void test_table_offset_zero_is_zero(void **state)
{
    (void)state;
    static const char csv[] = "nvs, data, nvs, , 0x4000\nfactory, app, factory, , 1M\n";
    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_diag_t diag;
    ota_partition_csv_options_t opts = {.table_offset = 0, .table_offset_set = true};
    assert_int_equal(ota_partition_table_parse_csv(csv, sizeof csv - 1, &opts, t, &diag), OTA_OK);
    assert_int_equal(t->entries[0].offset, 0x1000);
    assert_int_equal(t->entries[1].offset, 0x10000);
    /* a fixed offset below 0x1000 now overlaps the table at 0 */
    static const char low[] = "nvs, data, nvs, 0x0, 0x4000\n";
    assert_int_not_equal(ota_partition_table_parse_csv(low, sizeof low - 1, &opts, t, &diag), OTA_OK);
    /* not given: the default 0x8000 */
    ota_partition_csv_options_t dflt = {0};
    assert_int_equal(ota_partition_table_parse_csv(csv, sizeof csv - 1, &dflt, t, &diag), OTA_OK);
    assert_int_equal(t->entries[0].offset, 0x9000);
    free(t);
}

/* Issue 10, class 9: gen_esp32part's warnings for names that look like a type or subtype keyword
 * of something else, in its words (components/partition_table/gen_esp32part.py, verify()). */
static void test_gen_esp32part_name_warnings(void **state)
{
    (void)state;
    static const char csv[] = "nvs, data, nvs, , 0x4000\n"
                              "app, data, spiffs, , 0x4000\n"
                              "ota_1, data, nvs, , 0x4000\n"
                              "factory, app, factory, , 1M\n"
                              "ota_0, app, ota_0, , 1M\n";
    ota_partition_table_t *t = calloc(1, sizeof *t);
    ota_partition_diag_t diag;
    assert_int_equal(ota_partition_table_parse_csv(csv, sizeof csv - 1, NULL, t, &diag), OTA_OK);
    char w[256];
    size_t at = 0;
    assert_int_equal(ota_partition_table_name_warning(t, &at, w, sizeof w), 1);
    assert_string_equal(
        w, "WARNING: Partition has name 'app' which is a partition type, but does not match this "
           "partition's type (0x1). Mistake in partition table?");
    assert_int_equal(ota_partition_table_name_warning(t, &at, w, sizeof w), 1);
    assert_string_equal(
        w, "WARNING: Partition has name 'ota_1' which is a partition subtype, but this partition "
           "has non-matching type 0x1 and subtype 0x2. Mistake in partition table?");
    assert_int_equal(ota_partition_table_name_warning(t, &at, w, sizeof w), 0);
    free(t);
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
        cmocka_unit_test(test_numbers_and_suffixes),
        cmocka_unit_test(test_negative_size_is_end_address),
        cmocka_unit_test(test_types_subtypes_keywords),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_entry_limits),
        cmocka_unit_test(test_lines_comments_and_placement),
        cmocka_unit_test(test_variables_and_bootloader_entries),
        cmocka_unit_test(test_names_and_lookups),
        cmocka_unit_test(test_table_offset_zero_is_zero),
        cmocka_unit_test(test_gen_esp32part_name_warnings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
