/* What the two files of test_image_validator share (the du1906 image, loaded once by the group
 * setup of test_image_validator.c) and the tests test_image_corruption.c adds. */
#ifndef OTA_TEST_IMAGE_VALIDATOR_H
#define OTA_TEST_IMAGE_VALIDATOR_H

#include <stddef.h>
#include <stdint.h>

#include "ota/ota_app_image.h"

/* testdata/esp-adf/du1906_app.bin */
extern uint8_t *s_img;
extern size_t s_len;

/** ota_image_validate_buffer() with optional @p info and @p diag. */
int validate(const uint8_t *img, size_t len, const ota_image_validator_config_t *cfg, ota_image_info_t *info,
             ota_image_diag_t *diag);

/* test_image_corruption.c */
void test_flips(void **state);
void test_keep_going_reports_checksum_and_hash(void **state);
void test_truncated_everywhere(void **state);
void test_trailing_data(void **state);
void test_max_size(void **state);
void test_chip_checks(void **state);
void test_crafted(void **state);
void test_codecs_roundtrip(void **state);

#endif /* OTA_TEST_IMAGE_VALIDATOR_H */
