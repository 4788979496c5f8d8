/* A release's BEGIN and COMMIT records (src/formats/release_record.c, ota_release_record.h): the
 * bytes, a torn record skipped, the floor log's frame shared with the version floors (each reader
 * skips the other kinds), which COMMIT binds an entry. */
#include "test_support.h"

#include <string.h>

#include "formats/ota_floor_log.h"
#include "formats/ota_release_record.h"
#include "ota/ota_err.h"

static const uint8_t k_app_id[8] = {0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x18};

static ota_release_record_t commit_rec(uint32_t seq, uint32_t otadata_seq, const uint8_t *app_id)
{
    ota_release_record_t r = {.kind = OTA_FLOOR_LOG_COMMIT,
                              .seq = seq,
                              .sequence = 42,
                              .otadata_seq = otadata_seq,
                              .has_app_id = app_id != NULL,
                              .count = 8};
    if (app_id != NULL) {
        memcpy(r.app_id, app_id, 8);
    }
    for (uint32_t i = 0; i < 8; i++) {
        r.offset[i] = 0x200000 + i * 0x10000;
    }
    return r;
}

static void assert_same(const ota_release_record_t *a, const ota_release_record_t *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->sequence, b->sequence);
    assert_int_equal(a->otadata_seq, b->otadata_seq);
    assert_int_equal(a->has_app_id, b->has_app_id);
    if (a->has_app_id) {
        assert_memory_equal(a->app_id, b->app_id, 8);
    }
    assert_int_equal(a->count, b->count);
    for (uint32_t i = 0; i < a->count; i++) {
        assert_int_equal(a->offset[i], b->offset[i]);
    }
}

static void test_round_trip_and_bytes(void **state)
{
    (void)state;
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_release_record_t in = {
        .kind = OTA_FLOOR_LOG_BEGIN, .seq = 9, .sequence = 0x01020304, .otadata_seq = 5};
    ota_release_record_encode(&in, raw);
    static const uint8_t begin_head[16] = {'O', 'T', 'R', 'B', 9, 0, 0, 0, 4, 3, 2, 1, 5, 0, 0, 0};
    assert_memory_equal(raw, begin_head, 16);
    for (uint32_t i = 16; i < 60; i++) {
        assert_int_equal(raw[i], 0);
    }
    ota_release_record_t out;
    assert_int_equal(ota_release_record_decode(raw, &out), OTA_OK);
    assert_same(&out, &in);
    uint32_t seq = 0;
    assert_int_equal(ota_floor_log_kind(raw, &seq), OTA_FLOOR_LOG_BEGIN);
    assert_int_equal(seq, 9);

    in = commit_rec(10, 6, k_app_id);
    ota_release_record_encode(&in, raw);
    assert_memory_equal(raw, "OTRC", 4);
    assert_int_equal(raw[16], 0x01); /* flags: app id */
    assert_int_equal(raw[17], 8);    /* count */
    assert_memory_equal(raw + 20, k_app_id, 8);
    assert_int_equal(raw[28], 0x00); /* offset[0] = 0x200000, little endian */
    assert_int_equal(raw[30], 0x20);
    assert_int_equal(raw[28 + 7 * 4 + 2], 0x27); /* offset[7] = 0x270000, bytes 56..59 */
    assert_int_equal(ota_release_record_decode(raw, &out), OTA_OK);
    assert_same(&out, &in);

    in = commit_rec(11, 6, NULL);
    in.count = 2;
    in.offset[2] = in.offset[3] = in.offset[4] = in.offset[5] = in.offset[6] = in.offset[7] = 0;
    ota_release_record_encode(&in, raw);
    assert_int_equal(raw[16], 0x00);
    for (uint32_t i = 20; i < 28; i++) {
        assert_int_equal(raw[i], 0xFF); /* no app: 0xFF x 8 */
    }
    assert_int_equal(ota_release_record_decode(raw, &out), OTA_OK);
    assert_false(out.has_app_id);
    assert_int_equal(out.count, 2);
    assert_int_equal(out.offset[1], 0x210000);
    /* a record is 64 bytes, in the floor log's 16-byte aligned slots after the 32-byte entry */
    assert_int_equal(OTA_FLOOR_LOG_RECORD_SIZE, 64);
    for (uint32_t i = 0; i < OTA_FLOOR_LOG_SLOTS; i++) {
        assert_int_equal(ota_floor_log_slot_offset(i) % 16, 0);
    }
}

/* A cut while a record is programmed leaves some bits of it: its CRC fails, it is skipped. */
static void test_torn_record_skipped(void **state)
{
    (void)state;
    uint8_t raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_release_record_t in = commit_rec(3, 2, k_app_id), out;
    ota_release_record_encode(&in, raw);
    for (uint32_t byte = 0; byte < OTA_FLOOR_LOG_RECORD_SIZE; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t torn[OTA_FLOOR_LOG_RECORD_SIZE];
            memcpy(torn, raw, sizeof torn);
            torn[byte] ^= (uint8_t)(1u << bit);
            assert_int_equal(ota_release_record_decode(torn, &out), OTA_ERR_SVC_CHECKPOINT);
            assert_int_equal(out.seq, 0);
        }
    }
    /* a program stopped half way: the first half written, the rest still erased */
    uint8_t half[OTA_FLOOR_LOG_RECORD_SIZE];
    memset(half, 0xFF, sizeof half);
    memcpy(half, raw, 32);
    assert_int_equal(ota_release_record_decode(half, &out), OTA_ERR_SVC_CHECKPOINT);
    memset(half, 0xFF, sizeof half);
    assert_int_equal(ota_release_record_decode(half, &out), OTA_ERR_NOT_FOUND);
    /* a COMMIT claiming more offsets than it has room for is not one, whatever its CRC */
    in.count = 8;
    ota_release_record_encode(&in, raw);
    raw[17] = 9;
    ota_floor_log_seal(raw, 3);
    assert_int_equal(ota_release_record_decode(raw, &out), OTA_ERR_SVC_CHECKPOINT);
}

/* One frame, one seq, three kinds: each reader skips the others' records. */
static void test_kinds_skip_each_other(void **state)
{
    (void)state;
    uint8_t floor_raw[OTA_FLOOR_LOG_RECORD_SIZE], begin_raw[OTA_FLOOR_LOG_RECORD_SIZE],
        commit_raw[OTA_FLOOR_LOG_RECORD_SIZE];
    ota_floor_record_t f = {.seq = 1, .part_offset = 0x210000, .label = "flash_tone", .version = "V2.0.0"};
    ota_floor_record_encode(&f, floor_raw);
    ota_release_record_t b = {.kind = OTA_FLOOR_LOG_BEGIN, .seq = 2, .sequence = 7, .otadata_seq = 3};
    ota_release_record_encode(&b, begin_raw);
    ota_release_record_t c = commit_rec(3, 3, NULL);
    ota_release_record_encode(&c, commit_raw);
    uint32_t seq;
    assert_int_equal(ota_floor_log_kind(floor_raw, &seq), OTA_FLOOR_LOG_FLOOR);
    assert_int_equal(seq, 1);
    assert_int_equal(ota_floor_log_kind(commit_raw, &seq), OTA_FLOOR_LOG_COMMIT);
    assert_int_equal(seq, 3);
    ota_floor_record_t fo;
    ota_release_record_t ro;
    assert_int_equal(ota_floor_record_decode(begin_raw, &fo), OTA_ERR_SVC_CHECKPOINT);
    assert_int_equal(ota_floor_record_decode(commit_raw, &fo), OTA_ERR_SVC_CHECKPOINT);
    assert_int_equal(fo.seq, 0);
    assert_int_equal(ota_release_record_decode(floor_raw, &ro), OTA_ERR_SVC_CHECKPOINT);
    assert_int_equal(ota_floor_record_decode(floor_raw, &fo), OTA_OK);
    assert_string_equal(fo.version, "V2.0.0");
    /* sealing renumbers a record and keeps it valid */
    ota_floor_log_seal(commit_raw, 77);
    assert_int_equal(ota_release_record_decode(commit_raw, &ro), OTA_OK);
    assert_int_equal(ro.seq, 77);
    assert_int_equal(ro.otadata_seq, 3);
}

/* A COMMIT binds its entry and the later ones, for its app only when it names one. */
static void test_binds(void **state)
{
    (void)state;
    static const uint8_t other[8] = {0xA1, 0xB2, 0xC3, 0xD4, 0xE5, 0xF6, 0x07, 0x19};
    ota_release_record_t app = commit_rec(5, 4, k_app_id), data = commit_rec(6, 4, NULL);
    assert_true(ota_release_record_binds(&app, 4, k_app_id));
    assert_true(ota_release_record_binds(&app, 5, k_app_id));
    assert_false(ota_release_record_binds(&app, 3, k_app_id)); /* a switch to come */
    assert_false(ota_release_record_binds(&app, 4, other));    /* another app wrote entry 4 */
    assert_false(ota_release_record_binds(&app, 4, NULL));     /* no app description */
    assert_true(ota_release_record_binds(&data, 4, other));
    assert_true(ota_release_record_binds(&data, 4, NULL));
    assert_false(ota_release_record_binds(&data, 3, NULL));
    ota_release_record_t begin = {.kind = OTA_FLOOR_LOG_BEGIN, .seq = 7, .sequence = 42, .otadata_seq = 4};
    assert_false(ota_release_record_binds(&begin, 4, NULL)); /* a BEGIN binds nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_bytes),
        cmocka_unit_test(test_torn_record_skipped),
        cmocka_unit_test(test_kinds_skip_each_other),
        cmocka_unit_test(test_binds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
