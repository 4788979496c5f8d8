/*
 * ota_idf_console.h in a device build (OTA_IDF_CONSOLE_HISTORY=0, as the ESP-IDF component and the
 * bare-metal firmware compile it): every ESP-IDF version gets the wording of today's ESP-IDF
 * (v6.0.2), and no version is read. The expected lines are ESP-IDF v6.0.2's format strings at the
 * tags named, filled in by hand: components/esp_https_ota/src/esp_https_ota.c ("Writing to <%s>
 * partition at offset 0x%" PRIx32, "Connection closed" at ESP_LOGD),
 * components/bootloader_support/src/esp_image_format.c ("segment %d: paddr=%08" PRIx32 " vaddr=%08"
 * PRIx32 " size=%05" PRIx32 "h (%6" PRIu32 ") %s"), components/esp_app_format/esp_app_desc.c (tag
 * app_init); the revision note of boot_comm is gone since v5.1 (bootloader_common.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "formats/ota_idf_console.h"

static void expect(const char *idf, ota_idf_line_t line, ota_idf_args_t a, const char *tag,
                   ota_log_level_t lvl, const char *msg)
{
    ota_idf_version_t v;
    ota_idf_version_parse(idf, &v);
    char buf[200];
    const char *got_tag = NULL;
    ota_log_level_t got_lvl = OTA_LOG_NONE;
    bool printed = ota_idf_line(&v, line, &a, buf, sizeof buf, &got_tag, &got_lvl);
    if (msg == NULL) {
        if (printed) {
            fail_msg("%s should print no line %d, got %s: %s", idf, (int)line, got_tag, buf);
        }
        return;
    }
    if (!printed) {
        fail_msg("%s prints no line %d", idf, (int)line);
    }
    if (strcmp(got_tag, tag) != 0 || strcmp(buf, msg) != 0 || got_lvl != lvl) {
        fail_msg("%s line %d: got %d %s: \"%s\", expected %d %s: \"%s\"", idf, (int)line, (int)got_lvl,
                 got_tag, buf, (int)lvl, tag, msg);
    }
}

#define I OTA_LOG_INFO

static void test_every_version_prints_today(void **state)
{
    (void)state;
    const char *versions[] = {"v3.3.1", "v4.2.2-1-g379ca2123", "v5.0", "v5.3-dev-99-gabc", "v6.0.2",
                              "garbage"};
    ota_idf_args_t w = {{"ota_1", NULL}, {0x11, 0x110000}};
    ota_idf_args_t seg = {{"map", NULL}, {0, 0x10020, 0x3f400020, 0x272e4}};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        const char *v = versions[i];
        expect(v, OTA_IDF_HTTPS_WRITING, w, "esp_https_ota", I,
               "Writing to <ota_1> partition at offset 0x110000");
        expect(v, OTA_IDF_HTTPS_CLOSED, w, "esp_https_ota", OTA_LOG_DEBUG, "Connection closed");
        expect(v, OTA_IDF_IMAGE_SEGMENT, seg, "esp_image", I,
               "segment 0: paddr=00010020 vaddr=3f400020 size=272e4h (160484) map");
        expect(v, OTA_IDF_APP_VERSION, ((ota_idf_args_t){{"1.0", NULL}, {0}}), "app_init", I,
               "App version:      1.0");
        expect(v, OTA_IDF_APP_CHIP_REV, ((ota_idf_args_t){{NULL, NULL}, {301}}), "efuse_init", I,
               "Chip rev:         v3.1");
        expect(v, OTA_IDF_APP_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), NULL, I, NULL);
        expect(v, OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"bootloader", NULL}, {300, 0}}), NULL, I, NULL);
    }
}

static void test_no_version_read(void **state)
{
    (void)state;
    ota_idf_version_t v;
    ota_idf_version_parse("v4.2.2-1-g379ca2123", &v);
    assert_false(v.parsed);
    /* an ESP-IDF v5.0 bootloader's strings (bootloader_init.c: IDF_VER, "compile time " __TIME__) */
    static const uint8_t bl[] = "\0v5.0.2\0\033[0;32mI (%d) %s: compile time 00:13:32\033[0m\n";
    char idf_ver[33] = "x", compile_time[32] = "x";
    assert_false(ota_idf_scan_bootloader(bl, sizeof bl, idf_ver, compile_time));
    assert_string_equal(idf_ver, "");
    assert_string_equal(compile_time, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_version_prints_today),
        cmocka_unit_test(test_no_version_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
