/* `ota image make`'s builder: every chip and size gives an image the validator accepts, with
 * esptool's layout rules checked here independently (segment parsing, MMU alignment, the ESP32
 * page workaround, checksum, digest), exact sizes, determinism and the error cases. */
#include "test_support.h"

#include <stdlib.h>
#include <string.h>

#include "ota/ota_app_image.h"
#include "ota/sim/ota_app_image_builder.h"
#include "ota/port/ota_crypto.h"
#include "ota/ota_err.h"

static const uint16_t k_chips[] = {OTA_CHIP_ESP32, OTA_CHIP_ESP32S2, OTA_CHIP_ESP32S3, OTA_CHIP_ESP32C3,
                                   OTA_CHIP_ESP32C6};

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Walk the image as the format describes it and check esptool's layout rules. */
static void check_layout(const uint8_t *img, size_t len, uint16_t chip, bool expect_irom)
{
    assert_int_equal(img[0], 0xE9);
    assert_int_equal(img[8], 0xEE);
    assert_int_equal(img[12] | img[13] << 8, chip);
    assert_int_equal(img[23], 1);
    unsigned count = img[1];
    assert_true(count >= 3 && count <= 16);
    size_t pos = 24;
    uint8_t x = 0xEF;
    unsigned mapped_count = 0;
    const ota_chip_info_t *info = ota_chip_info(chip);
    for (unsigned i = 0; i < count; i++) {
        uint32_t addr = rd32(img + pos), n = rd32(img + pos + 4);
        assert_int_equal(n % 4, 0);
        size_t data = pos + 8;
        bool mapped = (addr >= info->drom_low && addr < info->drom_high) ||
                      (addr >= info->irom_low && addr < info->irom_high);
        if (mapped) {
            assert_int_equal(data % 0x10000, addr % 0x10000); /* esptool's IROM_ALIGN rule */
            if (chip == OTA_CHIP_ESP32) {
                assert_true((data + n) % 0x10000 >= 0x24); /* save_flash_segment workaround */
            }
            mapped_count++;
        }
        if (i == 0) {
            assert_true(mapped); /* DROM first, app description at 0x20 */
            assert_int_equal(rd32(img + 0x20), OTA_APP_DESC_MAGIC);
            assert_true(n >= 256);
        }
        for (uint32_t j = 0; j < n; j++) {
            x ^= img[data + j];
        }
        pos = data + n;
    }
    assert_int_equal(mapped_count, expect_irom ? 2 : 1); /* DROM, and IROM in the larger images */
    size_t end = (pos + 1 + 15) & ~(size_t)15;
    assert_int_equal(img[end - 1], x);
    for (size_t j = pos; j < end - 1; j++) {
        assert_int_equal(img[j], 0);
    }
    uint8_t digest[32];
    ota_sha256(img, end, digest);
    assert_memory_equal(img + end, digest, 32);
    assert_int_equal(end + 32, len);
}

static void test_every_chip_and_size_validates(void **state)
{
    (void)state;
    uint32_t sizes[] = {512, 4096, 100000, 0x20000, 300 * 1024, 0x100000, 0x100010, 1000001, 3 * 0x100000};
    size_t cap = 4u << 20;
    uint8_t *buf = malloc(cap);
    for (size_t c = 0; c < sizeof k_chips / sizeof k_chips[0]; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            ota_app_image_build_config_t cfg = {.chip_id = k_chips[c],
                                                .size = sizes[s],
                                                .seed = s,
                                                .version = "v2.3.4",
                                                .project_name = "builder_test",
                                                .secure_version = 3};
            size_t len = 0;
            assert_int_equal(ota_app_image_build_to_buffer(&cfg, buf, cap, &len), OTA_OK);
            assert_int_equal(len, sizes[s] & ~15u); /* exact when a multiple of 16 */
            check_layout(buf, len, k_chips[c], sizes[s] >= OTA_APP_IMAGE_BUILD_IROM_THRESHOLD);
            ota_image_validator_config_t vc = {.check_chip = true, .chip_id = k_chips[c], .chip_revision = 0};
            ota_image_info_t info;
            ota_image_diag_t diag;
            int err = ota_image_validate_buffer(buf, len, &vc, &info, &diag);
            if (err != OTA_OK) {
                fail_msg("chip 0x%x size %u: %s", k_chips[c], sizes[s], diag.message);
            }
            assert_string_equal(info.app_desc.version, "v2.3.4");
            assert_string_equal(info.app_desc.project_name, "builder_test");
            assert_int_equal(info.app_desc.secure_version, 3);
            assert_string_equal(info.app_desc.idf_ver, "v5.5.4");
            assert_string_equal(info.app_desc.date, "Jan  1 2026");
            assert_string_equal(info.app_desc.time, "00:00:00");
            const ota_chip_info_t *ci = ota_chip_info(k_chips[c]);
            assert_int_equal(info.header.max_chip_rev_full, ci->default_max_rev_full);
        }
    }
    free(buf);
}

static void test_plan_matches_bytes_and_streaming(void **state)
{
    (void)state;
    ota_app_image_build_config_t cfg = {
        .chip_id = OTA_CHIP_ESP32, .size = 0x80000, .seed = 42, .version = "1", .project_name = "p"};
    ota_app_image_build_plan_t plan;
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_OK);
    uint8_t *a = malloc(plan.image_size);
    size_t len;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, a, plan.image_size, &len), OTA_OK);
    assert_int_equal(len, plan.image_size);
    assert_int_equal(a[1], plan.segment_count);
    assert_int_equal(rd32(a + 4), plan.entry_addr);
    for (unsigned i = 0; i < plan.segment_count; i++) {
        const uint8_t *h = a + plan.segments[i].header_offset;
        assert_int_equal(rd32(h), plan.segments[i].load_addr);
        assert_int_equal(rd32(h + 4), plan.segments[i].data_len);
    }
    /* esptool's layout: the gap before IROM filled by a split of DRAM, then IROM, DRAM rest, IRAM */
    assert_int_equal(plan.segment_count, 5);
    assert_int_equal(plan.segments[0].load_addr, 0x3F400020);
    assert_int_equal(plan.segments[1].load_addr, 0x3FFB0000);
    assert_int_equal(plan.segments[2].load_addr, 0x400D0020);
    assert_int_equal(plan.segments[3].load_addr, 0x3FFB0000 + plan.segments[1].data_len);
    assert_int_equal(plan.segments[4].load_addr, 0x40080000);
    /* a too-small buffer is refused with the size needed */
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, a, 100, &len), OTA_ERR_BUFFER_TOO_SMALL);
    assert_int_equal(len, plan.image_size);
    free(a);
}

static void test_deterministic_and_seeded(void **state)
{
    (void)state;
    ota_app_image_build_config_t cfg = {
        .chip_id = OTA_CHIP_ESP32C3, .size = 0x40000, .seed = 7, .version = "9.9", .project_name = "det"};
    size_t len;
    uint8_t *a = malloc(0x40000), *b = malloc(0x40000);
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, a, 0x40000, &len), OTA_OK);
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, b, 0x40000, &len), OTA_OK);
    assert_memory_equal(a, b, len);
    cfg.seed = 8;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, b, 0x40000, &len), OTA_OK);
    assert_memory_equal(a, b, 0x20 + 0x90); /* same header and app description up to the ELF hash */
    assert_memory_not_equal(a + 0x1000, b + 0x1000, 256); /* different payload */
    free(a);
    free(b);
}

static void test_options(void **state)
{
    (void)state;
    uint8_t elf[32];
    memset(elf, 0xAB, sizeof elf);
    ota_app_image_build_config_t cfg = {.chip_id = OTA_CHIP_ESP32S3,
                                        .size = 4096,
                                        .version = "v1",
                                        .project_name = "o",
                                        .idf_ver = "v6.0.2",
                                        .time = "12:34:56",
                                        .date = "Mar  3 2026",
                                        .elf_sha256 = elf,
                                        .flash_mode = "qio",
                                        .flash_freq = "80m",
                                        .flash_size = "16MB",
                                        .min_rev_full = 1,
                                        .max_rev_full = 0xFFFF};
    uint8_t buf[4096];
    size_t len;
    assert_int_equal(ota_app_image_build_to_buffer(&cfg, buf, sizeof buf, &len), OTA_OK);
    ota_image_info_t info;
    assert_int_equal(ota_image_validate_buffer(buf, len, NULL, &info, NULL), OTA_OK);
    assert_int_equal(info.header.spi_mode, OTA_IMAGE_SPI_QIO);
    assert_string_equal(ota_image_flash_freq_name(OTA_CHIP_ESP32S3, info.header.spi_speed), "80m");
    assert_string_equal(ota_image_flash_size_name(info.header.spi_size), "16MB");
    assert_int_equal(info.header.min_chip_rev_full, 1);
    assert_int_equal(info.header.max_chip_rev_full, 0xFFFF);
    assert_memory_equal(info.app_desc.app_elf_sha256, elf, 32);
    assert_string_equal(info.app_desc.idf_ver, "v6.0.2");
    assert_string_equal(info.app_desc.time, "12:34:56");
    assert_string_equal(info.app_desc.date, "Mar  3 2026");
}

static void test_errors(void **state)
{
    (void)state;
    ota_app_image_build_plan_t plan;
    ota_app_image_build_config_t cfg = {.chip_id = OTA_CHIP_ESP32, .version = "1", .project_name = "p"};
    cfg.size = 100;
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_SIZE);
    cfg.size = 0x1000010;
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_SIZE);
    cfg.size = 0;
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_OK);
    assert_int_equal(plan.image_size, OTA_APP_IMAGE_BUILD_DEFAULT_SIZE);
    cfg.version = "0123456789012345678901234567890123"; /* 34 > 31 */
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_ARG);
    cfg.version = "1";
    cfg.chip_id = OTA_CHIP_ESP32P4; /* known id, no layout */
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_ARG);
    cfg.chip_id = OTA_CHIP_ESP32;
    cfg.flash_freq = "60m";
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_ARG);
    cfg.flash_freq = NULL;
    cfg.flash_mode = "quad";
    assert_int_equal(ota_app_image_build_plan(&cfg, &plan), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_app_image_build(&cfg, NULL, NULL, NULL), OTA_ERR_INVALID_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_chip_and_size_validates),
        cmocka_unit_test(test_plan_matches_bytes_and_streaming),
        cmocka_unit_test(test_deterministic_and_seeded),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
