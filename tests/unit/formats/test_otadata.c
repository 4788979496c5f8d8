/* otadata entries: CRC vectors and entry bytes from reference/esp-idf-formats.md §2.3, validity
 * predicates, active-entry selection (v5.x equal seq, torn and blank entries), slot mapping and
 * compute_ota_seq_for_target_slot examples (§2.6). */
#include "test_support.h"

#include <string.h>

#include "ota/ota_otadata.h"

static void test_crc_vectors(void **state)
{
    (void)state;
    /* reference §2.3 table, verified there against zlib and a C table implementation */
    assert_int_equal(ota_otadata_crc(0), 0xFFFFFFFFu);
    assert_int_equal(ota_otadata_crc(1), 0x4743989Au);
    assert_int_equal(ota_otadata_crc(2), 0x55F63774u);
    assert_int_equal(ota_otadata_crc(3), 0xED4A5011u);
    assert_int_equal(ota_otadata_crc(4), 0x709D68A8u);
    assert_int_equal(ota_otadata_crc(0xFFFFFFFEu), 0x99F8B879u);
}

static void test_entry_bytes(void **state)
{
    (void)state;
    /* reference §2.3: seq=1, state NEW, label untouched: 01000000 ff*20 00000000 9a984347 */
    uint8_t want[32];
    memset(want, 0xFF, sizeof want);
    memcpy(want, "\x01\x00\x00\x00", 4);
    memcpy(want + 24, "\x00\x00\x00\x00\x9a\x98\x43\x47", 8);
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, 1, OTA_IMG_NEW);
    uint8_t raw[32];
    ota_otadata_entry_encode(&e, raw);
    assert_memory_equal(raw, want, 32);
    ota_otadata_entry_t back;
    ota_otadata_entry_decode(want, &back);
    assert_int_equal(back.ota_seq, 1);
    assert_int_equal(back.ota_state, OTA_IMG_NEW);
    assert_int_equal(back.crc, 0x4743989Au);
    /* the label is kept as read */
    want[4] = 'x';
    ota_otadata_entry_decode(want, &back);
    ota_otadata_entry_encode(&back, raw);
    assert_memory_equal(raw, want, 32);
}

static ota_otadata_entry_t entry(uint32_t seq, uint32_t state, bool good_crc)
{
    ota_otadata_entry_t e;
    ota_otadata_entry_make(&e, seq, state);
    if (!good_crc) {
        e.crc ^= 0x1;
    }
    return e;
}

static ota_otadata_entry_t blank(void)
{
    ota_otadata_entry_t e;
    uint8_t ff[32];
    memset(ff, 0xFF, sizeof ff);
    ota_otadata_entry_decode(ff, &e);
    return e;
}

static void test_predicates(void **state)
{
    (void)state;
    ota_otadata_entry_t b = blank();
    assert_true(ota_otadata_entry_is_invalid(&b));
    assert_false(ota_otadata_entry_is_valid(&b));
    assert_true(ota_otadata_entry_is_initial(&b));
    uint32_t states_ok[] = {OTA_IMG_NEW, OTA_IMG_PENDING_VERIFY, OTA_IMG_VALID, OTA_IMG_UNDEFINED, 0x55};
    for (size_t i = 0; i < 5; i++) {
        ota_otadata_entry_t e = entry(1, states_ok[i], true);
        assert_true(ota_otadata_entry_is_valid(&e));
        assert_false(ota_otadata_entry_is_invalid(&e));
    }
    ota_otadata_entry_t inv = entry(1, OTA_IMG_INVALID, true), ab = entry(1, OTA_IMG_ABORTED, true);
    assert_true(ota_otadata_entry_is_invalid(&inv));
    assert_true(ota_otadata_entry_is_invalid(&ab));
    assert_false(ota_otadata_entry_is_valid(&ab));
    /* a torn write: CRC wrong, state fine -> not "invalid" (that ignores CRC) but not valid either */
    ota_otadata_entry_t torn = entry(2, OTA_IMG_NEW, false);
    assert_false(ota_otadata_entry_is_invalid(&torn));
    assert_false(ota_otadata_entry_is_valid(&torn));
    assert_true(ota_otadata_entry_is_initial(&torn));
    /* seq 0 with its CRC 0xFFFFFFFF counts as valid */
    ota_otadata_entry_t zero = entry(0, OTA_IMG_VALID, true);
    assert_true(ota_otadata_entry_is_valid(&zero));
}

static void test_selection(void **state)
{
    (void)state;
    ota_otadata_entry_t e[2];
    e[0] = entry(1, OTA_IMG_VALID, true);
    e[1] = entry(2, OTA_IMG_NEW, true);
    assert_int_equal(ota_otadata_active(e), 1);
    e[0] = entry(3, OTA_IMG_VALID, true);
    assert_int_equal(ota_otadata_active(e), 0);
    /* ESP-IDF v5.x wrote the same seq into both sectors: ties go to entry 0 */
    e[0] = entry(2, OTA_IMG_VALID, true);
    e[1] = entry(2, OTA_IMG_VALID, true);
    assert_int_equal(ota_otadata_active(e), 0);
    /* torn newer entry: the older one stays active */
    e[0] = entry(1, OTA_IMG_VALID, true);
    e[1] = entry(2, OTA_IMG_NEW, false);
    assert_int_equal(ota_otadata_active(e), 0);
    /* aborted newer entry */
    e[1] = entry(2, OTA_IMG_ABORTED, true);
    assert_int_equal(ota_otadata_active(e), 0);
    /* blank + one */
    e[0] = blank();
    e[1] = entry(5, OTA_IMG_UNDEFINED, true);
    assert_int_equal(ota_otadata_active(e), 1);
    e[1] = blank();
    assert_int_equal(ota_otadata_active(e), -1);
    /* min selection (esp_ota_get_last_invalid_partition) */
    e[0] = entry(4, OTA_IMG_INVALID, true);
    e[1] = entry(3, OTA_IMG_ABORTED, true);
    bool both[2] = {true, true};
    assert_int_equal(ota_otadata_select(e, both, false), 1);
    assert_int_equal(ota_otadata_select(e, both, true), 0);
}

static void test_slots_and_next_seq(void **state)
{
    (void)state;
    assert_int_equal(ota_otadata_slot(1, 2), 0);
    assert_int_equal(ota_otadata_slot(2, 2), 1);
    assert_int_equal(ota_otadata_slot(3, 2), 0);
    assert_int_equal(ota_otadata_slot(5, 3), 1);
    assert_int_equal(ota_otadata_slot(0, 2), 1); /* (0 - 1) wraps: 0xFFFFFFFF % 2 */
    /* reference §2.6: 2 slots: set(ota_1) from seq 1 -> 2, set(ota_0) from 2 -> 3, set(ota_1) from 3 -> 4 */
    assert_int_equal(ota_otadata_seq_for_slot(1, 1, 2), 2);
    assert_int_equal(ota_otadata_seq_for_slot(2, 0, 2), 3);
    assert_int_equal(ota_otadata_seq_for_slot(3, 1, 2), 4);
    /* 3 slots, active seq 5 (slot 1), target slot 0 -> 7 */
    assert_int_equal(ota_otadata_seq_for_slot(5, 0, 3), 7);
    /* the same slot: the current seq itself */
    assert_int_equal(ota_otadata_seq_for_slot(5, 1, 3), 5);
    for (uint32_t seq = 1; seq < 50; seq++) {
        for (uint32_t count = 1; count <= 4; count++) {
            for (uint32_t slot = 0; slot < count; slot++) {
                uint32_t n = ota_otadata_seq_for_slot(seq, slot, count);
                assert_true(n >= seq && n < seq + count);
                assert_int_equal(ota_otadata_slot(n, count), slot);
            }
        }
    }
}

static void test_state_names(void **state)
{
    (void)state;
    char b[12];
    assert_string_equal(ota_otadata_state_name(OTA_IMG_PENDING_VERIFY, b), "PENDING_VERIFY");
    assert_string_equal(ota_otadata_state_name(OTA_IMG_UNDEFINED, b), "UNDEFINED");
    assert_string_equal(ota_otadata_state_name(0x1234, b), "0x00001234");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),        cmocka_unit_test(test_entry_bytes),
        cmocka_unit_test(test_predicates),         cmocka_unit_test(test_selection),
        cmocka_unit_test(test_slots_and_next_seq), cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
