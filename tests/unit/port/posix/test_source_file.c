/* The file:// source on a real file system: mapping, offsets, resume checks, clear errors.
 * Path walk and symlinks: test_source_file_walk.c. */
#include "test_support.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ota/ota_err.h"
#include "ota/ota_log.h"
#include "ota/port/ota_mem.h"
#include "ota/port/ota_source.h"
#include "ota/port/ota_source_posix.h"
#include "port/posix/open_beneath.h"
#include "source_file_fixture.h"

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->dir = ts_mkdtemp();
    f->root = ts_path_join(f->dir, "sdcard");
    assert_int_equal(mkdir(f->root, 0755), 0);
    f->file = ts_path_join(f->root, "tone.bin");
    ts_fill_random(f->data, sizeof f->data, 42);
    ts_write_file(f->file, f->data, sizeof f->data);
    f->posix.sdcard_root = f->root;
    f->cfg.transport = &f->posix;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    ts_rmtree(f->dir);
    free(f->file);
    free(f->root);
    free(f->dir);
    free(f);
    return 0;
}

static int open_uri(fixture_t *f, const char *uri, uint64_t offset, const ota_source_expect_t *expect,
                    ota_source_t **out, ota_source_info_t *diag)
{
    return ota_source_open(NULL, &f->cfg, uri, offset, expect, out, diag);
}

static void test_whole_file_and_info(void **state)
{
    fixture_t *f = *state;
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    const ota_source_info_t *info = ota_source_get_info(src);
    assert_int_equal(info->total_size, FILE_SIZE);
    assert_int_equal(info->offset, 0);
    assert_int_equal(info->http_status, 0);
    assert_true(info->etag[0] == '"'); /* a validator, so resumes across runs can be checked */
    assert_non_null(strstr(info->last_modified, "GMT"));

    static uint8_t out[FILE_SIZE + 10];
    /* odd read sizes cross no boundary the file source could get wrong, but check the count */
    size_t got = 0;
    for (;;) {
        int n = ota_source_read(src, out + got, 333);
        assert_true(n >= 0);
        if (n == 0) {
            break;
        }
        got += (size_t)n;
        assert_int_equal(info->offset, got);
    }
    assert_int_equal(got, FILE_SIZE);
    assert_memory_equal(out, f->data, FILE_SIZE);
    assert_int_equal(ota_source_read(src, out, 10), 0); /* stays at end */
    ota_source_close(src);
}

static void test_offsets(void **state)
{
    fixture_t *f = *state;
    static uint8_t out[FILE_SIZE];
    const uint64_t offsets[] = {1, 4095, 4096, FILE_SIZE - 1};
    for (size_t i = 0; i < sizeof offsets / sizeof offsets[0]; i++) {
        ota_source_t *src = NULL;
        assert_int_equal(
            ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", offsets[i], NULL, &src, NULL), OTA_OK);
        assert_int_equal(ota_source_get_info(src)->offset, offsets[i]);
        long n = ota_source_read_full(src, out, sizeof out);
        assert_int_equal(n, FILE_SIZE - offsets[i]);
        assert_memory_equal(out, f->data + offsets[i], (size_t)n);
        ota_source_close(src);
    }
    /* at the very end: opens, reads nothing */
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", FILE_SIZE, NULL, &src, NULL),
                     OTA_OK);
    assert_int_equal(ota_source_read(src, out, 10), 0);
    ota_source_close(src);
    /* past the end: the file is not the one the caller started on */
    ota_source_info_t diag;
    assert_int_equal(open_uri(f, "file://sdcard/tone.bin", FILE_SIZE + 1, NULL, &src, &diag),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_null(src);
    assert_non_null(strstr(diag.error, "10000"));
}

static void test_absolute_uri(void **state)
{
    fixture_t *f = *state;
    char uri[512];
    snprintf(uri, sizeof uri, "file://%s", f->file); /* file:///tmp/.../tone.bin */
    ota_source_t *src = NULL;
    ota_source_config_t nocfg = {0}; /* the root does not matter for an absolute path */
    assert_int_equal(ota_source_open(NULL, &nocfg, uri, 0, NULL, &src, NULL), OTA_OK);
    static uint8_t out[FILE_SIZE];
    assert_int_equal(ota_source_read_full(src, out, sizeof out), FILE_SIZE);
    assert_memory_equal(out, f->data, FILE_SIZE);
    ota_source_close(src);
}

/* RFC 8089: file://localhost/ABS is file:///ABS, an absolute path, not a name on the SD card. */
static void test_localhost_uri(void **state)
{
    fixture_t *f = *state;
    /* a file outside the sdcard root: an absolute path may name it, the SD card may not */
    char *other = ts_path_join(f->dir, "app.bin");
    ts_write_file(other, f->data, sizeof f->data);
    char uri[512];
    snprintf(uri, sizeof uri, "file://localhost%s", other);
    ota_source_t *src = NULL;
    ota_source_info_t diag;
    int err = ota_source_open(NULL, &f->cfg, uri, 0, NULL, &src, &diag);
    if (err != OTA_OK) {
        fail_msg("%s: %s (%s)", uri, ota_err_name(err), diag.error);
    }
    static uint8_t out[FILE_SIZE];
    assert_int_equal(ota_source_read_full(src, out, sizeof out), FILE_SIZE);
    assert_memory_equal(out, f->data, FILE_SIZE);
    ota_source_close(src);
    snprintf(uri, sizeof uri, "FILE://LocalHost%s", other);
    assert_int_equal(ota_source_open(NULL, &f->cfg, uri, 0, NULL, &src, NULL), OTA_OK);
    ota_source_close(src);
    free(other);
}

static void test_expect(void **state)
{
    fixture_t *f = *state;
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    ota_source_expect_t ex = {.total_size = ota_source_get_info(src)->total_size};
    memcpy(ex.etag, ota_source_get_info(src)->etag, sizeof ex.etag);
    ota_source_close(src);

    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 100, &ex, &src, NULL), OTA_OK);
    ota_source_close(src);

    ota_source_expect_t other = ex;
    other.total_size = FILE_SIZE + 1;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 100, &other, &src, NULL),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    other = ex;
    other.etag[1] ^= 1;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 100, &other, &src, NULL),
                     OTA_ERR_SRC_RESOURCE_CHANGED);

    /* same size, new content and mtime: the validator changes */
    struct timespec times[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    assert_int_equal(utimensat(AT_FDCWD, f->file, times, 0), 0);
    ota_source_info_t diag;
    assert_int_equal(open_uri(f, "file://sdcard/tone.bin", 100, &ex, &src, &diag),
                     OTA_ERR_SRC_RESOURCE_CHANGED);
    assert_non_null(strstr(diag.error, "ETag changed"));
}

void expect_open_error(fixture_t *f, const char *uri, int want, const char *in_error)
{
    ota_source_t *src = (ota_source_t *)0x1;
    ota_source_info_t diag;
    ts_log_capture_start();
    int err = open_uri(f, uri, 0, NULL, &src, &diag);
    if (err != want) {
        fail_msg("%s: %s, expected %s (%s)", uri, ota_err_name(err), ota_err_name(want), diag.error);
    }
    assert_null(src);
    if (strstr(diag.error, in_error) == NULL) {
        fail_msg("%s: error '%s' does not mention '%s'", uri, diag.error, in_error);
    }
    /* a failed open is logged with its cause */
    assert_true(ts_log_contains(ota_strerror(want)));
    ts_log_capture_stop();
}

static void test_errors(void **state)
{
    fixture_t *f = *state;
    expect_open_error(f, "file://sdcard/missing.bin", OTA_ERR_SRC_FILE_NOT_FOUND, "No such file");
    expect_open_error(f, "file://sdcard/missing.bin", OTA_ERR_SRC_FILE_NOT_FOUND, "missing.bin");
    expect_open_error(f, "file://sdcard/tone.bin/x", OTA_ERR_SRC_FILE_NOT_FOUND, "tone.bin/x");

    char *sub = ts_path_join(f->root, "sub");
    assert_int_equal(mkdir(sub, 0755), 0);
    expect_open_error(f, "file://sdcard/sub", OTA_ERR_SRC_IS_DIRECTORY, "sub");
    char abs_uri[600];
    snprintf(abs_uri, sizeof abs_uri, "file://%s", sub);
    expect_open_error(f, abs_uri, OTA_ERR_SRC_IS_DIRECTORY, "Is a directory");

    char *fifo = ts_path_join(f->root, "fifo");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    expect_open_error(f, "file://sdcard/fifo", OTA_ERR_SRC_NOT_REGULAR_FILE, "not a regular file");

    expect_open_error(f, "file://sdcard/../sdcard/tone.bin", OTA_ERR_SRC_PATH_ESCAPE, "..");
    expect_open_error(f, "file://elsewhere/tone.bin", OTA_ERR_SRC_URI, "file://elsewhere");
    expect_open_error(f, "file://sdcard/", OTA_ERR_SRC_URI, "file://sdcard/");
    expect_open_error(f, "gopher://x/y", OTA_ERR_SRC_URI, "gopher");

    /* the root itself missing */
    ota_source_posix_config_t saved = f->posix;
    char *gone = ts_path_join(f->dir, "no-sdcard");
    f->posix.sdcard_root = gone;
    expect_open_error(f, "file://sdcard/tone.bin", OTA_ERR_SRC_FILE_NOT_FOUND, "sdcard root");
    f->posix = saved;

    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, NULL, 0, NULL, &src, NULL), OTA_ERR_INVALID_ARG);
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, NULL, NULL),
                     OTA_ERR_INVALID_ARG);
    free(gone);
    free(fifo);
    free(sub);
}

static void test_unreadable(void **state)
{
    fixture_t *f = *state;
    char *locked = ts_path_join(f->root, "locked.bin");
    ts_write_file(locked, "x", 1);
    assert_int_equal(chmod(locked, 0), 0);
    assert_int_equal(chmod(f->dir, 0755), 0);
    if (geteuid() != 0) {
        expect_open_error(f, "file://sdcard/locked.bin", OTA_ERR_SRC_PERMISSION, "Permission denied");
    } else {
        /* root reads anything: check as an unprivileged user in a child process */
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0) {
                _exit(3);
            }
            ota_source_t *src = NULL;
            ota_source_info_t diag;
            int err = open_uri(f, "file://sdcard/locked.bin", 0, NULL, &src, &diag);
            _exit(err == OTA_ERR_SRC_PERMISSION && strstr(diag.error, "Permission denied") != NULL ? 0 : 1);
        }
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    free(locked);
}

static void test_file_changes_while_read(void **state)
{
    fixture_t *f = *state;
    static uint8_t out[FILE_SIZE * 2];
    /* grows: reading stops at the size seen at open, which is what the caller was told */
    ota_source_t *src = NULL;
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    FILE *a = fopen(f->file, "ab");
    assert_non_null(a);
    assert_int_equal(fwrite("more", 1, 4, a), 4);
    fclose(a);
    assert_int_equal(ota_source_read_full(src, out, sizeof out), FILE_SIZE);
    ota_source_close(src);

    /* shrinks: a truncation, not a silent short file */
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    assert_int_equal(ota_source_read_full(src, out, 100), 100);
    assert_int_equal(truncate(f->file, 5000), 0);
    assert_int_equal(ota_source_read_full(src, out, sizeof out), OTA_ERR_SRC_TRUNCATED);
    assert_int_equal(ota_source_read(src, out, 1), OTA_ERR_SRC_TRUNCATED); /* and stays failed */
    assert_non_null(strstr(ota_source_get_info(src)->error, "shrank"));
    ota_source_close(src);
}

static void test_no_allocation_per_read(void **state)
{
    fixture_t *f = *state;
    ota_source_t *src = NULL;
    ota_mem_stats_t before, after;
    ota_mem_get_stats(&before);
    assert_int_equal(ota_source_open(NULL, &f->cfg, "file://sdcard/tone.bin", 0, NULL, &src, NULL), OTA_OK);
    ota_mem_get_stats(&after);
    uint64_t at_open = after.allocations - before.allocations;
    uint8_t buf[64];
    while (ota_source_read(src, buf, sizeof buf) > 0) {
    }
    ota_mem_get_stats(&after);
    assert_int_equal(after.allocations - before.allocations, at_open);
    ota_source_close(src);
    ota_mem_get_stats(&after);
    assert_int_equal(after.current_bytes, before.current_bytes);
}

/* The descriptor walk alone resolves like RESOLVE_BENEATH: links below the root are followed. */
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_whole_file_and_info, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offsets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_absolute_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_changes_while_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_allocation_per_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_localhost_uri, setup, teardown),
        cmocka_unit_test_setup_teardown(test_walk_semantics, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sdcard_swap_race, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
