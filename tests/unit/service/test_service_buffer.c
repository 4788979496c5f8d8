/* The caller may give the service its streaming buffer (ota_service_config_t.work_buffer), as
 * littlefs takes its buffers: the service then uses it, does not allocate one and never frees it
 * (ASan would report freeing a static array). */
#include "test_support.h"

#include <string.h>

#include "ota/ota_err.h"
#include "ota/port/ota_mem.h"
#include "ota/ota_service.h"
#include "ota/ota_update_features.h"
#include "service/service_internal.h"

static ota_device_t g_device; /* the service does not touch it until run */
static unsigned char g_buffer[1024];

static void test_caller_buffer_is_used_not_allocated(void **state)
{
    (void)state;
    ota_mem_stats_t before, with_own, with_caller;
    ota_service_config_t cfg = {
        .device = &g_device, .work_buffer_size = sizeof g_buffer, .features = &ota_update_features_all};

    ota_mem_get_stats(&before);
    ota_service_t *svc = NULL;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_mem_get_stats(&with_own);
    size_t size = 0;
    assert_ptr_not_equal(ota_service_work_buffer(svc, &size), g_buffer);
    ota_service_destroy(svc);

    cfg.work_buffer = g_buffer;
    assert_int_equal(ota_service_create(&cfg, &svc), OTA_OK);
    ota_mem_get_stats(&with_caller);
    assert_ptr_equal(ota_service_work_buffer(svc, &size), g_buffer);
    assert_int_equal(size, sizeof g_buffer);
    /* exactly the buffer's bytes fewer on the heap */
    assert_int_equal((with_own.current_bytes - before.current_bytes) -
                         (with_caller.current_bytes - before.current_bytes),
                     sizeof g_buffer);
    ota_service_destroy(svc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caller_buffer_is_used_not_allocated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
