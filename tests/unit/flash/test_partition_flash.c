/* Partition tables on a flash device and the bounded partition API: store/load at 0x8000 with and
 * without MD5, corrupt MD5 refused, entries outside the flash refused, and read/program/erase
 * that never touch a neighbour. Expected bytes come from gen_esp32part's .bin files in testdata. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_err.h"
#include "ota/ota_partition.h"

static ota_partition_table_t *table_from_testdata(const char *relative)
{
    size_t len;
    uint8_t *bin = ts_read_file(ts_testdata(relative), &len);
    ota_partition_table_t *t = calloc(1, sizeof *t);
    assert_int_equal(ota_partition_table_from_binary(bin, len, t, NULL), OTA_OK);
    free(bin);
    return t;
}

static void test_store_writes_gen_esp32part_bytes_and_load_reads_them(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(4 * 1024 * 1024);
    ota_flash_t *flash = ota_flash_emu_flash(emu);
    uint8_t *mem = ota_flash_emu_memory(emu);
    memset(mem + 0x8000, 0x00, 0x1000); /* stale content: store must erase the sector first */

    size_t len;
    uint8_t *expected = ts_read_file(ts_testdata("partitions/seed_ota_example.bin"), &len);
    ota_partition_table_t *t = table_from_testdata("partitions/seed_ota_example.bin");
    assert_int_equal(ota_partition_table_store(flash, 0, t, true), OTA_OK);
    assert_memory_equal(mem + 0x8000, expected, len);
    for (size_t i = 0x8000 + len; i < 0x9000; i++) {
        assert_int_equal(mem[i], 0xFF); /* rest of the sector erased */
    }
    for (size_t i = 0x7000; i < 0x8000; i++) {
        assert_int_equal(mem[i], 0xFF); /* nothing before */
    }

    ota_partition_table_t *loaded = calloc(1, sizeof *loaded);
    ota_partition_diag_t diag = {0};
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, &diag), OTA_OK);
    assert_true(loaded->has_md5);
    assert_int_equal(loaded->count, 6);
    assert_memory_equal(loaded->entries, t->entries, 6 * sizeof t->entries[0]);
    assert_string_equal(loaded->entries[5].label, "flash_tone");
    assert_int_equal(loaded->entries[5].offset, 0x210000);

    /* without MD5: the app accepts it too */
    assert_int_equal(ota_partition_table_store(flash, OTA_PARTITION_TABLE_OFFSET, t, false), OTA_OK);
    assert_int_equal(mem[0x8000 + 6 * 32], 0xFF);
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, &diag), OTA_OK);
    assert_false(loaded->has_md5);
    assert_int_equal(loaded->count, 6);

    /* another table offset: read there, and checked against it - this table's nvs (0x9000+0x6000)
     * would hold the table's own sector at 0xE000, which gen_esp32part --offset 0xE000 refuses */
    assert_int_equal(ota_partition_table_store(flash, 0xE000, t, true), OTA_OK);
    assert_memory_equal(mem + 0xE000, expected, len);
    assert_int_equal(ota_partition_table_load(flash, 0xE000, loaded, &diag), OTA_ERR_PT_OVERLAP);
    assert_non_null(strstr(diag.message, "Partition offset 0x9000 is below 0xf000"));

    free(loaded);
    free(t);
    free(expected);
    ota_flash_emu_destroy(emu);
}

static void test_load_refuses_corrupt_md5_and_empty_and_oversized_tables(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(4 * 1024 * 1024);
    ota_flash_t *flash = ota_flash_emu_flash(emu);
    ota_partition_table_t *loaded = calloc(1, sizeof *loaded);
    ota_partition_diag_t diag = {0};

    /* erased flash: no table */
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, &diag), OTA_ERR_PT_BAD_MAGIC);
    assert_int_equal(loaded->count, 0);

    ota_partition_table_t *t = table_from_testdata("partitions/idf_partitions_two_ota.bin");
    assert_int_equal(ota_partition_table_store(flash, 0, t, true), OTA_OK);
    /* clear one bit of the stored digest (MD5 entry at 0xC0, digest at +16) */
    uint8_t byte;
    assert_int_equal(ota_flash_read(flash, 0x8000 + 0xC0 + 20, &byte, 1), OTA_OK);
    assert_true(byte != 0);
    byte = (uint8_t)(byte & (byte - 1));
    assert_int_equal(ota_flash_program(flash, 0x8000 + 0xC0 + 20, &byte, 1), OTA_OK);
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, &diag), OTA_ERR_PT_MD5_MISMATCH);
    assert_non_null(strstr(diag.message, "MD5 checksums don't match!"));

    /* a table reaching past the end of this flash (du1906 ends at 8 MiB, flash is 4 MiB) */
    ota_partition_table_t *big = table_from_testdata("esp-adf/du1906_partitions.bin");
    assert_int_equal(ota_partition_table_store(flash, 0, big, true), OTA_OK);
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, &diag), OTA_ERR_PT_FLASH_SIZE);
    assert_non_null(strstr(diag.message, "ota_1"));

    /* table offset past the end of the flash */
    assert_int_equal(ota_partition_table_load(flash, 4 * 1024 * 1024, loaded, &diag),
                     OTA_ERR_FLASH_OUT_OF_RANGE);
    free(big);
    free(t);
    free(loaded);
    ota_flash_emu_destroy(emu);
}

/* otadata (0xd000, 8K) between nvs (ends 0xd000) and phy_init (0xf000): marks on both sides. */
typedef struct {
    ota_flash_emu_t *emu;
    ota_partition_table_t *table;
    ota_partition_t otadata;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->emu = ts_ram_flash(4 * 1024 * 1024);
    f->table = table_from_testdata("partitions/seed_ota_example.bin");
    ota_flash_t *flash = ota_flash_emu_flash(f->emu);
    assert_int_equal(ota_partition_table_store(flash, 0, f->table, true), OTA_OK);
    uint8_t mark[0x1000];
    memset(mark, 0xA5, sizeof mark);
    assert_int_equal(ota_flash_program(flash, 0xC000, mark, sizeof mark), OTA_OK); /* end of nvs */
    assert_int_equal(ota_flash_program(flash, 0xF000, mark, sizeof mark), OTA_OK); /* phy_init */
    const ota_partition_info_t *info = ota_partition_find_by_label(f->table, "otadata");
    assert_non_null(info);
    assert_int_equal(info->offset, 0xD000);
    assert_int_equal(info->size, 0x2000);
    ota_partition_init(&f->otadata, flash, info);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    ota_flash_emu_destroy(f->emu);
    free(f->table);
    free(f);
    return 0;
}

static void assert_neighbours_untouched(fixture_t *f)
{
    const uint8_t *mem = ota_flash_emu_memory(f->emu);
    for (size_t i = 0xC000; i < 0xD000; i++) {
        if (mem[i] != 0xA5) {
            fail_msg("nvs byte 0x%zx changed to 0x%02x", i, mem[i]);
        }
    }
    for (size_t i = 0xF000; i < 0x10000; i++) {
        if (mem[i] != 0xA5) {
            fail_msg("phy_init byte 0x%zx changed to 0x%02x", i, mem[i]);
        }
    }
}

/* Issue 10, class 2: a table whose MD5 is right can still be wrong. Loading refuses what
 * gen_esp32part's verify() refuses (overlaps, entries under the table, app offsets not on 64 KiB,
 * data offsets not on 4 KiB, app sizes not on 4 KiB) and entries past the flash, with its wording. */
static void test_load_refuses_overlapping_misaligned_and_out_of_flash_tables(void **state)
{
    (void)state;
    ota_flash_emu_t *emu = ts_ram_flash(4 * 1024 * 1024);
    ota_flash_t *flash = ota_flash_emu_flash(emu);
    ota_partition_table_t *t = table_from_testdata("partitions/seed_ota_example.bin");
    ota_partition_table_t *bad = calloc(1, sizeof *bad);
    ota_partition_table_t *loaded = calloc(1, sizeof *loaded);
    ota_partition_diag_t diag;
    /* seed_ota_example.csv: ota_0 0x10000+1M (entry 3), ota_1 0x110000+1M (4), flash_tone 0x210000+1M (5) */
    assert_string_equal(t->entries[3].label, "ota_0");
    assert_string_equal(t->entries[4].label, "ota_1");
    static const struct {
        size_t entry;
        uint32_t offset, size; /* 0: keep */
        int err;
        const char *message;
    } cases[] = {
        /* ota_1 starting inside ota_0: an update of ota_1 would overwrite the running ota_0 */
        {4, 0x100000, 0, OTA_ERR_PT_OVERLAP, "Partition at 0x100000 overlaps 0x10000-0x10ffff"},
        /* flash_tone on top of ota_1 */
        {5, 0x120000, 0, OTA_ERR_PT_OVERLAP, "Partition at 0x120000 overlaps 0x110000-0x20ffff"},
        /* a data partition over the table's sector and the bootloader */
        {5, 0x1000, 0x1000, OTA_ERR_PT_OVERLAP, "Partition offset 0x1000 is below 0x9000"},
        {4, 0x118000, 0, OTA_ERR_PT_ALIGNMENT,
         "Partition ota_1 invalid: Offset 0x118000 is not aligned to 0x10000"},
        {5, 0x310800, 0x1000, OTA_ERR_PT_ALIGNMENT,
         "Partition flash_tone invalid: Offset 0x310800 is not aligned to 0x1000"},
        {3, 0, 0xFF800, OTA_ERR_PT_ALIGNMENT,
         "Partition ota_0 invalid: Size 0xff800 is not aligned to 0x1000"},
        /* flash_tone reaching past the 4 MiB flash */
        {5, 0x3F0000, 0x20000, OTA_ERR_PT_FLASH_SIZE, "ends past the end of the flash"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        *bad = *t;
        if (cases[i].offset != 0) {
            bad->entries[cases[i].entry].offset = cases[i].offset;
        }
        if (cases[i].size != 0) {
            bad->entries[cases[i].entry].size = cases[i].size;
        }
        assert_int_equal(ota_partition_table_store(flash, 0, bad, true), OTA_OK); /* with a valid MD5 */
        memset(&diag, 0, sizeof diag);
        int err = ota_partition_table_load(flash, 0, loaded, &diag);
        if (err != cases[i].err || strstr(diag.message, cases[i].message) == NULL) {
            print_error("case %zu: got %d '%s', want %d '%s'\n", i, err, diag.message, cases[i].err,
                        cases[i].message);
            fail();
        }
    }
    free(loaded);
    free(bad);
    free(t);
    ota_flash_emu_destroy(emu);
}

static void test_requests_outside_the_partition_fail(void **state)
{
    fixture_t *f = *state;
    ota_partition_t *p = &f->otadata;
    uint8_t buf[0x40];
    memset(buf, 0x00, sizeof buf);
    assert_int_equal(ota_partition_read(p, 0x1FF0, buf, 0x20), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_read(p, 0x2000, buf, 1), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_read(p, UINT32_MAX, buf, 1), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_program(p, 0x1FFF, buf, 2), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_program(p, 0x2000, buf, 1), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_program(p, UINT32_MAX - 1, buf, 0x10), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_erase_range(p, 0x1000, 0x2000), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_erase_range(p, 0x2000, 0x1000), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_erase_range(p, 0, UINT32_MAX & ~0xFFFu), OTA_ERR_FLASH_OUT_OF_RANGE);
    assert_int_equal(ota_partition_erase_range(p, 0x800, 0x1000), OTA_ERR_FLASH_MISALIGNED);
    assert_int_equal(ota_partition_erase_range(p, 0, 0x800), OTA_ERR_FLASH_MISALIGNED);
    assert_neighbours_untouched(f);
    /* nothing at all was written into otadata either */
    const uint8_t *mem = ota_flash_emu_memory(f->emu);
    for (size_t i = 0xD000; i < 0xF000; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
}

static void test_requests_inside_the_partition_work(void **state)
{
    fixture_t *f = *state;
    ota_partition_t *p = &f->otadata;
    uint8_t data[0x2000], back[0x2000];
    ts_fill_random(data, sizeof data, 7);
    assert_int_equal(ota_partition_program(p, 0, data, sizeof data), OTA_OK); /* the whole partition */
    assert_int_equal(ota_partition_read(p, 0, back, sizeof back), OTA_OK);
    assert_memory_equal(back, data, sizeof data);
    assert_memory_equal(ota_flash_emu_memory(f->emu) + 0xD000, data,
                        sizeof data); /* at the absolute address */
    assert_int_equal(ota_partition_read(p, 0x1FFC, back, 4), OTA_OK);
    assert_memory_equal(back, data + 0x1FFC, 4);
    assert_int_equal(ota_partition_read(p, 0x2000, back, 0), OTA_OK);

    assert_int_equal(ota_partition_erase_range(p, 0x1000, 0x1000), OTA_OK); /* second sector only */
    const uint8_t *mem = ota_flash_emu_memory(f->emu);
    assert_memory_equal(mem + 0xD000, data, 0x1000);
    for (size_t i = 0xE000; i < 0xF000; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
    assert_int_equal(ota_partition_erase_range(p, 0, 0x2000), OTA_OK);
    for (size_t i = 0xD000; i < 0xF000; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
    assert_neighbours_untouched(f);
}

static void test_readonly_partition(void **state)
{
    fixture_t *f = *state;
    ota_partition_info_t info = f->otadata.info;
    info.flags |= OTA_PART_FLAG_READONLY;
    ota_partition_t ro;
    ota_partition_init(&ro, ota_flash_emu_flash(f->emu), &info);
    uint8_t buf[16] = {0};
    assert_int_equal(ota_partition_program(&ro, 0, buf, sizeof buf), OTA_ERR_FLASH_READONLY);
    assert_int_equal(ota_partition_erase_range(&ro, 0, 0x1000), OTA_ERR_FLASH_READONLY);
    assert_int_equal(ota_partition_read(&ro, 0, buf, sizeof buf), OTA_OK);
    assert_int_equal(buf[0], 0xFF);
    const uint8_t *mem = ota_flash_emu_memory(f->emu);
    for (size_t i = 0xD000; i < 0xF000; i++) {
        assert_int_equal(mem[i], 0xFF);
    }
    assert_neighbours_untouched(f);

    /* a readonly entry of a real table (tricky_valid's storage) keeps its flag through a load */
    ota_partition_table_t *t = table_from_testdata("partitions/tricky_valid.bin");
    ota_flash_t *flash = ota_flash_emu_flash(f->emu);
    assert_int_equal(ota_partition_table_store(flash, 0, t, true), OTA_OK);
    ota_partition_table_t *loaded = calloc(1, sizeof *loaded);
    assert_int_equal(ota_partition_table_load(flash, 0, loaded, NULL), OTA_OK);
    const ota_partition_info_t *storage = ota_partition_find_by_label(loaded, "storage");
    assert_non_null(storage);
    ota_partition_init(&ro, flash, storage);
    assert_int_equal(ota_partition_program(&ro, 0, buf, 1), OTA_ERR_FLASH_READONLY);
    assert_int_equal(ota_partition_erase_range(&ro, 0, 0x1000), OTA_ERR_FLASH_READONLY);
    free(loaded);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_writes_gen_esp32part_bytes_and_load_reads_them),
        cmocka_unit_test(test_load_refuses_corrupt_md5_and_empty_and_oversized_tables),
        cmocka_unit_test(test_load_refuses_overlapping_misaligned_and_out_of_flash_tables),
        cmocka_unit_test_setup_teardown(test_requests_outside_the_partition_fail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_inside_the_partition_work, setup, teardown),
        cmocka_unit_test_setup_teardown(test_readonly_partition, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
