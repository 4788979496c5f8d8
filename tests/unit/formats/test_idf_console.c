/*
 * The console wording of each ESP-IDF version (ota_idf_console.h). Expected lines are ESP-IDF's
 * format strings at the tags named, filled in by hand, and for v4.2.2 the real board log of the
 * ESP-ADF OTA example (examples/ota/README.md, ESP-IDF v4.2.2-1-g379ca2123).
 */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "formats/ota_idf_console.h"

static ota_idf_version_t ver(const char *s)
{
    ota_idf_version_t v;
    ota_idf_version_parse(s, &v);
    return v;
}

static void test_parse(void **state)
{
    (void)state;
    ota_idf_version_t v = ver("v4.2.2-1-g379ca2123");
    assert_true(v.parsed);
    assert_int_equal(v.major, 4);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.patch, 2);
    assert_int_equal(v.stage, OTA_IDF_STAGE_RELEASE);
    assert_int_equal(v.commits, 1);
    v = ver("v5.2-dev-254-g1950b15"); /* bootloader_esp32_v5_2.bin's description */
    assert_true(v.parsed);
    assert_int_equal(v.major, 5);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.stage, OTA_IDF_STAGE_DEV);
    assert_int_equal(v.commits, 254);
    v = ver("v5.4-rc1");
    assert_int_equal(v.stage, OTA_IDF_STAGE_RC);
    assert_int_equal(v.stage_n, 1);
    v = ver("v5.4-beta2-dirty");
    assert_int_equal(v.stage, OTA_IDF_STAGE_BETA);
    assert_int_equal(v.stage_n, 2);
    v = ver("4.4");
    assert_true(v.parsed);
    assert_int_equal(v.major, 4);
    assert_int_equal(v.minor, 4);
    assert_int_equal(v.patch, 0);
    v = ver("v3.3.1");
    assert_int_equal(v.patch, 1);
    /* no version: the newest */
    const char *junk[] = {"", "qa-build", "g1950b15", "v5", "v5.", "v5.x", "v5.3.1x", "V100.0"};
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        v = ver(junk[i]);
        assert_false(v.parsed);
        ota_idf_version_t newest = ver("v99.99.99");
        assert_true(ota_idf_version_cmp(&v, &newest) > 0);
    }
    v = ver(NULL);
    assert_false(v.parsed);
}

static void test_order(void **state)
{
    (void)state;
    /* git describe order: -dev < -beta < -rc < release < release plus commits < next patch */
    const char *asc[] = {"v4.4.8",
                         "v5.3-dev-10-gabc",
                         "v5.3-dev-200-gdef",
                         "v5.3-beta1",
                         "v5.3-beta2",
                         "v5.3-rc1",
                         "v5.3",
                         "v5.3-2-gabc",
                         "v5.3.1",
                         "v5.4-dev",
                         "v10.0",
                         "unknown"};
    for (size_t i = 0; i + 1 < sizeof asc / sizeof asc[0]; i++) {
        ota_idf_version_t a = ver(asc[i]), b = ver(asc[i + 1]);
        if (ota_idf_version_cmp(&a, &b) >= 0) {
            fail_msg("%s should be older than %s", asc[i], asc[i + 1]);
        }
        assert_int_equal(ota_idf_version_cmp(&a, &a), 0);
    }
}

static void expect(const char *idf, ota_idf_line_t line, ota_idf_args_t a, const char *tag,
                   ota_log_level_t lvl, const char *msg)
{
    ota_idf_version_t v = ver(idf);
    char buf[200];
    const char *got_tag = NULL;
    ota_log_level_t got_lvl = OTA_LOG_NONE;
    if (msg == NULL) {
        if (ota_idf_line(&v, line, &a, buf, sizeof buf, &got_tag, &got_lvl)) {
            fail_msg("%s should print no line %d, got %s: %s", idf, (int)line, got_tag, buf);
        }
        return;
    }
    if (!ota_idf_line(&v, line, &a, buf, sizeof buf, &got_tag, &got_lvl)) {
        fail_msg("%s prints no line %d", idf, (int)line);
    }
    if (strcmp(got_tag, tag) != 0 || strcmp(buf, msg) != 0 || got_lvl != lvl) {
        fail_msg("%s line %d: got %d %s: \"%s\", expected %d %s: \"%s\"", idf, (int)line, (int)got_lvl,
                 got_tag, buf, (int)lvl, tag, msg);
    }
}

#define S1(x)    ((ota_idf_args_t){{x, NULL}, {0}})
#define S2(x, y) ((ota_idf_args_t){{x, y}, {0}})
#define U1(x)    ((ota_idf_args_t){{NULL, NULL}, {x}})
#define I        OTA_LOG_INFO

/* The ESP-ADF example README's board log (ESP-IDF v4.2.2-1-g379ca2123), line for line. */
static void test_readme_v4_2_2(void **state)
{
    (void)state;
    const char *v = "v4.2.2-1-g379ca2123";
    expect(v, OTA_IDF_BOOT_BANNER, S1(v), "boot", I, "ESP-IDF v4.2.2-1-g379ca2123 2nd stage bootloader");
    expect(v, OTA_IDF_BOOT_COMPILE_TIME, S2("Nov 25 2021", "14:59:43"), "boot", I, "compile time 14:59:43");
    expect(v, OTA_IDF_BOOT_CHIP_REV, U1(300), "boot", I, "chip revision: 3");
    expect(v, OTA_IDF_IMAGE_SEGMENT, ((ota_idf_args_t){{"map", NULL}, {0, 0x10020, 0x3f400020, 0x272e4}}),
           "esp_image", I, "segment 0: paddr=0x00010020 vaddr=0x3f400020 size=0x272e4 (160484) map");
    expect(v, OTA_IDF_IMAGE_SEGMENT, ((ota_idf_args_t){{"", NULL}, {1, 0x1955b8, 0x3ffb0000, 0x02100}}),
           "esp_image", I, "segment 1: paddr=0x001955b8 vaddr=0x3ffb0000 size=0x02100 (  8448) ");
    expect(v, OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"bootloader", NULL}, {300, 0}}), "boot_comm", I,
           "chip revision: 3, min. bootloader chip revision: 0");
    expect(v, OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), "boot_comm", I,
           "chip revision: 3, min. application chip revision: 0");
    expect(v, OTA_IDF_BOOT_SPI_SPEED, S1("40MHz"), "boot.esp32", I, "SPI Speed      : 40MHz");
    expect(v, OTA_IDF_BOOT_SPI_MODE, S1("DIO"), "boot.esp32", I, "SPI Mode       : DIO");
    expect(v, OTA_IDF_BOOT_SPI_SIZE, S1("4MB"), "boot.esp32", I, "SPI Flash Size : 4MB");
    expect(v, OTA_IDF_BOOT_MULTICORE, S1(NULL), NULL, I, NULL);
    expect(v, OTA_IDF_APP_INFO, S1(NULL), "cpu_start", I, "Application information:");
    expect(v, OTA_IDF_APP_PROJECT, S1("ota_example"), "cpu_start", I, "Project name:     ota_example");
    expect(v, OTA_IDF_APP_VERSION, S1("v2.2-252-g62edbd26-dirty"), "cpu_start", I,
           "App version:      v2.2-252-g62edbd26-dirty");
    expect(v, OTA_IDF_APP_COMPILE_TIME, S2("Nov 25 2021", "16:38:27"), "cpu_start", I,
           "Compile time:     Nov 25 2021 16:38:27");
    expect(v, OTA_IDF_APP_ELF_SHA256, S1("4acd1ee4e347ff83"), "cpu_start", I,
           "ELF file SHA256:  4acd1ee4e347ff83...");
    expect(v, OTA_IDF_APP_IDF, S1(v), "cpu_start", I, "ESP-IDF:          v4.2.2-1-g379ca2123");
    expect(v, OTA_IDF_APP_MIN_REV, U1(0), NULL, I, NULL); /* v4.2 prints no chip rev lines */
    expect(v, OTA_IDF_APP_CHIP_REV, U1(300), NULL, I, NULL);
    expect(v, OTA_IDF_HTTPS_WRITING, ((ota_idf_args_t){{"ota_1", NULL}, {0x11, 0x110000}}), "esp_https_ota",
           I, "Writing to partition subtype 17 at offset 0x110000");
    expect(v, OTA_IDF_HTTPS_CLOSED, S1(NULL), "esp_https_ota", I, "Connection closed");
}

/* From v5.3 the app block is app_init's and the revision lines efuse_init's
 * (components/esp_app_format/esp_app_desc.c, components/efuse/src/esp_efuse_startup.c at v5.3); from
 * v5.4 esp_https_ota names the label (components/esp_https_ota/src/esp_https_ota.c at v5.4). */
static void test_eras(void **state)
{
    (void)state;
    ota_idf_args_t w = {{"ota_1", NULL}, {0x11, 0x110000}};
    expect("v5.2.3", OTA_IDF_APP_VERSION, S1("1.0"), "cpu_start", I, "App version:      1.0");
    expect("v5.3", OTA_IDF_APP_VERSION, S1("1.0"), "app_init", I, "App version:      1.0");
    expect("v5.3-dev-99-gabc", OTA_IDF_APP_VERSION, S1("1.0"), "cpu_start", I, "App version:      1.0");
    expect("v5.5.4", OTA_IDF_APP_INFO, S1(NULL), "app_init", I, "Application information:");
    expect("v5.5.4", OTA_IDF_APP_SECURE_VER, U1(2), "app_init", I, "Secure version:   2");
    expect("v5.5.4", OTA_IDF_APP_MIN_REV, U1(0), "efuse_init", I, "Min chip rev:     v0.0");
    expect("v5.5.4", OTA_IDF_APP_MAX_REV, U1(399), "efuse_init", I, "Max chip rev:     v3.99 ");
    expect("v5.5.4", OTA_IDF_APP_CHIP_REV, U1(301), "efuse_init", I, "Chip rev:         v3.1");
    /* startup.c: the revision lines from v5.0.1, backported to v4.3.5 and v4.4.5 */
    expect("v5.1.2", OTA_IDF_APP_CHIP_REV, U1(300), "cpu_start", I, "Chip rev:         v3.0");
    expect("v5.0", OTA_IDF_APP_CHIP_REV, U1(300), NULL, I, NULL);
    expect("v5.0.1", OTA_IDF_APP_CHIP_REV, U1(300), "cpu_start", I, "Chip rev:         v3.0");
    expect("v4.4.4", OTA_IDF_APP_CHIP_REV, U1(300), NULL, I, NULL);
    expect("v4.4.5", OTA_IDF_APP_CHIP_REV, U1(300), "cpu_start", I, "Chip rev:         v3.0");
    expect("v4.3.4", OTA_IDF_APP_CHIP_REV, U1(300), NULL, I, NULL);
    expect("v4.3.5", OTA_IDF_APP_CHIP_REV, U1(300), "cpu_start", I, "Chip rev:         v3.0");
    expect("v5.3.2", OTA_IDF_HTTPS_WRITING, w, "esp_https_ota", I,
           "Writing to partition subtype 17 at offset 0x110000");
    expect("v5.4", OTA_IDF_HTTPS_WRITING, w, "esp_https_ota", I,
           "Writing to <ota_1> partition at offset 0x110000");
    expect("v6.0.2", OTA_IDF_HTTPS_WRITING, w, "esp_https_ota", I,
           "Writing to <ota_1> partition at offset 0x110000");
    expect("garbage", OTA_IDF_HTTPS_WRITING, w, "esp_https_ota", I,
           "Writing to <ota_1> partition at offset 0x110000");
    /* "Connection closed": v4.0 adds ", all data received", v4.4 logs it at DEBUG */
    expect("v4.0", OTA_IDF_HTTPS_CLOSED, S1(NULL), "esp_https_ota", I,
           "Connection closed, all data received");
    expect("v4.0.1", OTA_IDF_HTTPS_CLOSED, S1(NULL), "esp_https_ota", I, "Connection closed");
    expect("v4.4", OTA_IDF_HTTPS_CLOSED, S1(NULL), "esp_https_ota", OTA_LOG_DEBUG, "Connection closed");
    /* esp_image_format.c: no "0x" from v4.3 */
    expect("v4.3", OTA_IDF_IMAGE_SEGMENT,
           ((ota_idf_args_t){{"map", NULL}, {0, 0x10020, 0x3f400020, 0x272e4}}), "esp_image", I,
           "segment 0: paddr=00010020 vaddr=3f400020 size=272e4h (160484) map");
    /* bootloader_init.c: "compile time " __DATE__ " " __TIME__ from v5.1; "chip revision: v%d.%d" from v5.0
     * (v4.3.5, v4.4.4) */
    expect("v5.0.2", OTA_IDF_BOOT_COMPILE_TIME, S2("Apr 25 2023", "00:13:32"), "boot", I,
           "compile time 00:13:32");
    expect("v5.2-dev-254-g1950b15", OTA_IDF_BOOT_COMPILE_TIME, S2("Apr 25 2023", "00:13:32"), "boot", I,
           "compile time Apr 25 2023 00:13:32");
    expect("v5.0", OTA_IDF_BOOT_CHIP_REV, U1(300), "boot", I, "chip revision: v3.0");
    expect("v4.4.3", OTA_IDF_BOOT_CHIP_REV, U1(300), "boot", I, "chip revision: 3");
    expect("v4.4.4", OTA_IDF_BOOT_CHIP_REV, U1(300), "boot", I, "chip revision: v3.0");
    expect("v4.0", OTA_IDF_BOOT_CHIP_REV, U1(300), NULL, I, NULL);
    /* print_flash_info in bootloader_init.c (tag boot) until bootloader_esp32.c (boot.esp32), v4.1 */
    expect("v4.0.2", OTA_IDF_BOOT_SPI_MODE, S1("QIO"), "boot", I, "SPI Mode       : QIO");
    expect("v3.3.1", OTA_IDF_BOOT_SPI_SIZE, S1("16MB"), "boot", I, "SPI Flash Size : 16MB");
    expect("v5.1", OTA_IDF_BOOT_MULTICORE, S1(NULL), "boot", I, "Multicore bootloader");
    expect("v5.0.9", OTA_IDF_BOOT_MULTICORE, S1(NULL), NULL, I, NULL);
    /* boot_comm's revision note: gone in v4.3.5, v4.4.5, v5.0.1 */
    expect("v4.4.4", OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), "boot_comm",
           I, "chip revision: 3, min. application chip revision: 0");
    expect("v5.0", OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 1}}), "boot_comm", I,
           "chip revision: 3, min. application chip revision: 1");
    /* an app's verify printed it too until v4.1 (no #ifdef BOOTLOADER_BUILD) */
    expect("v4.0.4", OTA_IDF_APP_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), "boot_comm",
           I, "chip revision: 3, min. application chip revision: 0");
    expect("v3.3.1-203-g0c1859a5a-dirty", OTA_IDF_APP_COMM_REV,
           ((ota_idf_args_t){{"application", NULL}, {300, 0}}), "boot_comm", I,
           "chip revision: 3, min. application chip revision: 0");
    expect("v4.1", OTA_IDF_APP_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), NULL, I, NULL);
    const char *without[] = {"v3.3", "v4.3.5", "v4.4.5", "v5.0.1", "v5.5.4"};
    for (size_t i = 0; i < sizeof without / sizeof without[0]; i++) {
        expect(without[i], OTA_IDF_BOOT_COMM_REV, ((ota_idf_args_t){{"application", NULL}, {300, 0}}), NULL,
               I, NULL);
    }
}

/* Bootloaders from before esp_bootloader_desc_t: the strings their banner prints are in the image
 * (`strings` shows them; testdata/bootloaders/README.md). */
static void test_scan_bootloaders(void **state)
{
    (void)state;
    size_t len = 0;
    char idf[33], ct[32];
    uint8_t *img = ts_read_file(ts_testdata("bootloaders/bootloader_esp32c3.bin"), &len);
    assert_true(ota_idf_scan_bootloader(img, len, idf, ct));
    assert_string_equal(idf, "v4.3-dev-334-g16e95d0-dirty");
    assert_string_equal(ct, "17:46:22");
    free(img);
    /* the oldest: "Espressif ESP32 2nd stage bootloader v. %s" with "V0.1", no ESP-IDF version */
    img = ts_read_file(ts_testdata("bootloaders/bootloader_esp32.bin"), &len);
    assert_false(ota_idf_scan_bootloader(img, len, idf, ct));
    assert_string_equal(idf, "");
    assert_string_equal(ct, "15:00:13");
    free(img);
    /* v5.2: "compile time %s" is a format there; the version string is IDF_VER all the same */
    img = ts_read_file(ts_testdata("bootloaders/bootloader_esp32_v5_2.bin"), &len);
    assert_true(ota_idf_scan_bootloader(img, len, idf, ct));
    assert_string_equal(idf, "v5.2-dev-254-g1950b15");
    assert_string_equal(ct, "");
    free(img);
    /* a string cut by the end of the data is not taken */
    static const uint8_t cut[] = {'c', 'o', 'm', 'p', 'i', 'l', 'e', ' ', 't',
                                  'i', 'm', 'e', ' ', '1', '7', ':', '4'};
    assert_false(ota_idf_scan_bootloader(cut, sizeof cut, idf, ct));
    assert_string_equal(ct, "");
    static const uint8_t none[] = "\0v%d.%d\0vX.1\0v1.0\0compile time %s\0";
    assert_false(ota_idf_scan_bootloader(none, sizeof none, idf, ct));
    assert_string_equal(ct, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_readme_v4_2_2),
        cmocka_unit_test(test_eras),
        cmocka_unit_test(test_scan_bootloaders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
