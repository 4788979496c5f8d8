/* Reading a test's input files whole; see ts_file.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ts_file.h"

uint8_t *ts_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s: %s", path, strerror(errno));
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    assert_true(size >= 0);
    uint8_t *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    data[size] = 0;
    *len = (size_t)size;
    return data;
}

uint8_t *ts_read_file_at(const char *dir, const char *name, size_t *len)
{
    char path[512];
    int n = snprintf(path, sizeof path, "%s%s", dir, name);
    assert_true(n > 0 && (size_t)n < sizeof path);
    return ts_read_file(path, len);
}

ts_blob_t ts_blob_at(const char *dir, const char *name)
{
    ts_blob_t b = {NULL, 0};
    b.data = ts_read_file_at(dir, name, &b.len);
    return b;
}
