/**
 * @file ts_file.h
 * @brief Reading a test's input files whole. No dependency but cmocka, so the tests built without
 *        the library (NO_LIBRARY: another crypto backend) have it too (tests/CMakeLists.txt).
 */
#ifndef OTA_TS_FILE_H
#define OTA_TS_FILE_H

#include <stddef.h>
#include <stdint.h>

/** Read a whole file: malloc'ed, with one NUL byte after its *@p len bytes (a PEM key parses as a
 *  string); caller frees. Fails the test if it cannot. */
uint8_t *ts_read_file(const char *path, size_t *len);

/** ts_read_file of @p dir immediately followed by @p name (dir ends with '/'). */
uint8_t *ts_read_file_at(const char *dir, const char *name, size_t *len);

/** A file's bytes as ts_read_file returns them (one NUL byte after them). */
typedef struct {
    uint8_t *data;
    size_t len;
} ts_blob_t;

/** ts_read_file_at as a blob. */
ts_blob_t ts_blob_at(const char *dir, const char *name);

#endif /* OTA_TS_FILE_H */
