/* The counting allocator: current, peak and allocation counts. */
#include "test_support.h"

#include <string.h>

#include "ota/port/ota_mem.h"

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

typedef struct {
    int mallocs, frees;
    unsigned char arena[256];
    size_t used;
} bump_t;

static void *bump_malloc(void *ctx, size_t size)
{
    bump_t *b = ctx;
    if (size > sizeof b->arena - b->used) {
        return NULL;
    }
    b->mallocs++;
    void *p = b->arena + b->used;
    b->used += (size + 7u) & ~(size_t)7u;
    return p;
}

static void bump_free(void *ctx, void *ptr)
{
    bump_t *b = ctx;
    assert_true((unsigned char *)ptr >= b->arena && (unsigned char *)ptr < b->arena + sizeof b->arena);
    b->frees++;
}

static void bump_stats(void *ctx, ota_mem_stats_t *out)
{
    bump_t *b = ctx;
    out->allocations = (uint64_t)b->mallocs;
    out->current_bytes = b->used;
}

/* The caller's allocator gets every call (a static arena on a device, as littlefs takes buffers). */
static void test_caller_allocator(void **state)
{
    (void)state;
    bump_t b = {0};
    ota_allocator_t a = {.malloc = bump_malloc, .free = bump_free, .get_stats = bump_stats, .ctx = &b};
    ota_mem_set_allocator(&a);
    char *s = ota_strdup("ota_1");
    void *z = ota_calloc(4, 4);
    void *big = ota_malloc(1000);
    ota_mem_stats_t st;
    ota_mem_get_stats(&st);
    ota_mem_set_allocator(NULL);
    assert_non_null(s);
    assert_ptr_equal(s, b.arena);
    assert_memory_equal(z, (char[16]){0}, 16);
    assert_null(big);
    assert_int_equal(st.allocations, 2);
    assert_int_equal(st.current_bytes, 24);
    ota_mem_set_allocator(&a);
    ota_free(s);
    ota_free(z);
    ota_free(NULL);
    ota_mem_set_allocator(NULL);
    assert_int_equal(b.frees, 2);
    /* back on the port's heap */
    void *p = ota_malloc(10);
    assert_true((unsigned char *)p < b.arena || (unsigned char *)p >= b.arena + sizeof b.arena);
    ota_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts_current_and_peak),
        cmocka_unit_test(test_overflow_is_refused),
        cmocka_unit_test(test_strdup),
        cmocka_unit_test(test_caller_allocator),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
