/* ESP-IDF log line format and level filtering. */
#include "test_support.h"

#include <string.h>

#include "ota/ota_log.h"

static void test_line_format_matches_esp_idf(void **state)
{
    (void)state;
    char line[128];
    ota_log_format_line(line, sizeof line, OTA_LOG_INFO, 1234, "esp_ota", "hello 7");
    assert_string_equal(line, "I (1234) esp_ota: hello 7");
    ota_log_format_line(line, sizeof line, OTA_LOG_ERROR, 0, "boot", "x");
    assert_string_equal(line, "E (0) boot: x");
    ota_log_format_line(line, sizeof line, OTA_LOG_WARN, 99, "T", "y");
    assert_string_equal(line, "W (99) T: y");
}

static void test_level_filter(void **state)
{
    (void)state;
    ts_log_capture_start();
    ota_log_set_level(OTA_LOG_WARN);
    OTA_LOGI("T", "info %d", 1);
    OTA_LOGW("T", "warn %d", 2);
    OTA_LOGE("T", "error %s", "three");
    assert_false(ts_log_contains("info 1"));
    assert_true(ts_log_contains("W T: warn 2"));
    assert_true(ts_log_contains("E T: error three"));
    ota_log_set_level(OTA_LOG_NONE);
    OTA_LOGE("T", "silent");
    assert_false(ts_log_contains("silent"));
    ts_log_capture_stop();
}

static void test_long_message_is_cut_not_overflowed(void **state)
{
    (void)state;
    ts_log_capture_start();
    char big[2000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    OTA_LOGI("T", "%s", big);
    assert_true(ts_log_contains("I T: aaaa"));
    assert_true(strlen(ts_log_text()) < 600);
    ts_log_capture_stop();
}

static void test_no_sink_is_silent(void **state)
{
    (void)state;
    ota_log_set_sink(NULL, NULL);
    OTA_LOGE("T", "nobody listens"); /* must not crash */
    assert_int_equal(ota_log_get_level(), OTA_LOG_INFO);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format_matches_esp_idf),
        cmocka_unit_test(test_level_filter),
        cmocka_unit_test(test_long_message_is_cut_not_overflowed),
        cmocka_unit_test(test_no_sink_is_silent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
