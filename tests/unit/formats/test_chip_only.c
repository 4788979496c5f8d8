/*
 * The chip table of a device build (OTA_CHIP_ONLY=ESP32C3, as the ESP-IDF component compiles it for
 * IDF_TARGET esp32c3): the ESP32-C3's facts alone. Expected values: esptool v4.9.1's CHIP_NAME
 * ("ESP32-C3", esptool/targets/esp32c3.py) and ESP-IDF v6.0.2's soc.h for ESP32-C3 (SOC_IROM_LOW
 * 0x42000000, SOC_IROM_HIGH 0x42800000); an ESP32's id is an unknown chip there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ota/ota_app_image.h"

static void test_only_the_target(void **state)
{
    (void)state;
    const ota_chip_info_t *c3 = ota_chip_info(OTA_CHIP_ESP32C3);
    assert_non_null(c3);
    assert_int_equal(c3->id, 0x0005);
    assert_string_equal(ota_chip_display_name(0x0005), "ESP32-C3");
    assert_true(ota_chip_addr_is_mapped(0x0005, 0x42000000));
    assert_false(ota_chip_addr_is_mapped(0x0005, 0x42800000));
    assert_ptr_equal(ota_chip_info_by_name("esp32c3"), c3);
    /* every other chip is unknown to this build */
    assert_null(ota_chip_info(OTA_CHIP_ESP32));
    assert_null(ota_chip_info(OTA_CHIP_ESP32S3));
    assert_null(ota_chip_info_by_name("esp32"));
    assert_string_equal(ota_chip_display_name(OTA_CHIP_ESP32), "Unknown ID");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_the_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
