/* What the two files of test_source_file share: a temporary sdcard root holding tone.bin. */
#ifndef OTA_TEST_SOURCE_FILE_H
#define OTA_TEST_SOURCE_FILE_H

#include <stdint.h>

#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"

#define FILE_SIZE 10000

typedef struct {
    char *dir;  /* temp dir */
    char *root; /* dir/sdcard */
    char *file; /* dir/sdcard/tone.bin */
    uint8_t data[FILE_SIZE];
    ota_source_posix_config_t posix;
    ota_source_config_t cfg; /* .transport = &posix */
} fixture_t;

/** Open @p uri and require @p want, with @p in_error in the source's error text. */
void expect_open_error(fixture_t *f, const char *uri, int want, const char *in_error);

/* test_source_file_walk.c */
void test_symlinks(void **state);
void test_walk_semantics(void **state);
void test_sdcard_swap_race(void **state);

#endif /* OTA_TEST_SOURCE_FILE_H */
