/* Every error code has a distinct value, a name equal to its identifier and its own message. */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"

typedef struct {
    int code;
    const char *name;
} code_t;

static const code_t k_codes[] = {
#define ENTRY(name, value, message) {value, #name},
    OTA_ERR_LIST(ENTRY)
#undef ENTRY
};
#define N_CODES (sizeof k_codes / sizeof k_codes[0])

static void test_values_are_unique_and_non_positive(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        assert_true(k_codes[i].code <= 0);
        for (size_t j = i + 1; j < N_CODES; j++) {
            assert_int_not_equal(k_codes[i].code, k_codes[j].code);
        }
    }
}

static void test_names_and_messages(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CODES; i++) {
        assert_string_equal(ota_err_name(k_codes[i].code), k_codes[i].name);
        const char *msg = ota_strerror(k_codes[i].code);
        assert_non_null(msg);
        assert_true(strlen(msg) > 3);
        assert_string_not_equal(msg, "unknown error");
        for (size_t j = i + 1; j < N_CODES; j++) {
            assert_string_not_equal(msg, ota_strerror(k_codes[j].code));
        }
    }
}

static void test_unknown_code(void **state)
{
    (void)state;
    assert_string_equal(ota_strerror(-12345), "unknown error");
    assert_string_equal(ota_err_name(12345), "OTA_ERR_UNKNOWN");
}

static void test_codes_sit_in_their_layer_block(void **state)
{
    (void)state;
    assert_int_equal(OTA_ERR_FLASH_OUT_OF_RANGE / 100, -1);
    assert_int_equal(OTA_ERR_PT_SYNTAX / 100, -2);
    assert_int_equal(OTA_ERR_IMG_BAD_MAGIC / 100, -3);
    assert_int_equal(OTA_ERR_SRC_URI / 100, -6);
    assert_string_equal(ota_strerror(OTA_ERR_FLASH_PROGRAM_ONE),
                        "flash: program would set a 0 bit back to 1 (erase first)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_are_unique_and_non_positive),
        cmocka_unit_test(test_names_and_messages),
        cmocka_unit_test(test_unknown_code),
        cmocka_unit_test(test_codes_sit_in_their_layer_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
