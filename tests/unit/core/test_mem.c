/* The counting allocator: current, peak and allocation counts. */
#include "test_support.h"

#include <string.h>

#include "ota/ota_mem.h"

static void test_counts_current_and_peak(void **state)
{
    (void)state;
    ota_mem_reset_peak();
    ota_mem_stats_t before, s;
    ota_mem_get_stats(&before);
    void *a = ota_malloc(1000);
    void *b = ota_calloc(10, 100);
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_equal(b, (char[1000]){0}, 1000);
    ota_mem_get_stats(&s);
    assert_int_equal(s.current_bytes - before.current_bytes, 2000);
    assert_int_equal(s.allocations - before.allocations, 2);
    ota_free(a);
    ota_mem_get_stats(&s);
    assert_int_equal(s.current_bytes - before.current_bytes, 1000);
    assert_true(s.peak_bytes >= before.current_bytes + 2000);
    ota_free(b);
    ota_free(NULL);
    ota_mem_get_stats(&s);
    assert_int_equal(s.current_bytes, before.current_bytes);
    assert_int_equal(s.frees - before.frees, 2);
}

static void test_overflow_is_refused(void **state)
{
    (void)state;
    assert_null(ota_calloc(SIZE_MAX / 2, 4));
    assert_null(ota_malloc(SIZE_MAX));
}

static void test_strdup(void **state)
{
    (void)state;
    char *s = ota_strdup("flash_tone");
    assert_string_equal(s, "flash_tone");
    ota_free(s);
    assert_null(ota_strdup(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_current_and_peak),
        cmocka_unit_test(test_overflow_is_refused),
        cmocka_unit_test(test_strdup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
