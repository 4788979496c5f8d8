/* Partition tables from CSV (the host's CSV parser, src/formats/partition_csv.c), hand-made cases
 * whose expected values come from the rules in reference/esp-idf-formats.md §1 (worked out by
 * hand, not taken from this code's output). Against gen_esp32part.py's own files:
 * ../formats/test_partition_formats.c. */
#include "test_support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_partition.h"
#include "ota/sim/ota_partition_csv.h"

#define assert_contains(haystack, needle) \
    do { \
        if (strstr((haystack), (needle)) == NULL) { \
            fail_msg("expected \"%s\" in \"%s\"", (needle), (haystack)); \
        } \
    } while (0)

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
